"""Command line: ``python -m jaxsurrogate gallery OUT.png`` and ``... catalogue``."""

from __future__ import annotations

import argparse
import sys


def _gallery(args: argparse.Namespace) -> int:
    import jaxsurrogate as js
    from jaxsurrogate._src import gallery

    names = args.names
    if args.presets:
        names = [*(names or js.names()), *js.presets()]
    try:
        problem = _writable_image(args.out)
    except ImportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.x_range is not None and not args.x_range[0] < args.x_range[1]:
        print(f"error: --x-range: LOW must be below HIGH, got {args.x_range}",
              file=sys.stderr)
        return 2
    try:
        names = gallery.draw(args.out, names=names, alpha=args.alpha,
                             x_range=args.x_range, columns=args.columns,
                             dpi=args.dpi)
    except (ImportError, js.UnknownSurrogateError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {len(names)} surrogates")
    return 0


def _catalogue(args: argparse.Namespace) -> int:
    from pathlib import Path

    from jaxsurrogate._src import tables

    if args.write is None and args.check is None:
        print(tables.markdown(), end="")
        return 0
    path = Path(args.write or args.check)
    try:
        # newline="": CRLF files are read, and written back, as they are.
        with open(path, encoding="utf-8", newline="") as f:
            raw = f.read()
    except (OSError, UnicodeDecodeError) as err:
        reason = "is not UTF-8 text" if isinstance(err, UnicodeDecodeError) else (
            f"can't be read ({err.strerror or err})")
        print(f"error: {path} {reason}", file=sys.stderr)
        return 2
    crlf = "\r\n" in raw
    text = raw.replace("\r\n", "\n") if crlf else raw
    problem = tables.marker_problem(text)
    if problem:
        print(f"error: {path} {problem}", file=sys.stderr)
        return 2
    filled = tables.fill(text)
    if args.check is not None:
        if filled != text:
            print(f"{path}: the catalogue tables differ from the registry; run "
                  f"python -m jaxsurrogate catalogue --write {path}", file=sys.stderr)
            return 1
        return 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(filled.replace("\n", "\r\n") if crlf else filled)
    print(f"wrote {', '.join(tables.marked(text))} into {path}")
    return 0


def _writable_image(out: str) -> str | None:
    """Why matplotlib can't write ``out`` (a sentence), or None: checked before drawing."""
    from pathlib import Path

    from matplotlib.figure import Figure

    path = Path(out)
    formats = Figure().canvas.get_supported_filetypes()
    suffix = path.suffix.lstrip(".").lower()
    if suffix not in formats:
        return (f"{out}: the format {suffix or '(none)'!r} is not one matplotlib writes; "
                f"use one of {', '.join(sorted(formats))}")
    if not path.parent.is_dir():
        return f"{out}: the folder {path.parent} does not exist"
    return None


def main(argv: list[str] | None = None) -> int:
    """Parses ``argv`` and runs the subcommand; returns the exit status."""
    ap = argparse.ArgumentParser(
        prog="python -m jaxsurrogate",
        description="jaxsurrogate command line tools.")
    sub = ap.add_subparsers(dest="command", required=True)
    gal = sub.add_parser(
        "gallery", help="draw every surrogate derivative into one image",
        description="Draws g (and the primitive S, dashed) of every canonical "
                    "surrogate, or of the ones named, at its default alpha, each "
                    "over an x-range that follows its width.")
    gal.add_argument("out", help="image file to write (e.g. gallery.png)")
    gal.add_argument("--names", nargs="+", metavar="NAME",
                     help="names, aliases or presets to draw (default: every "
                          "canonical shape)")
    gal.add_argument("--presets", action="store_true",
                     help="also draw every preset")
    gal.add_argument("--alpha", type=float,
                     help="draw every function that has an alpha at this one "
                          "(default: each function's own)")
    gal.add_argument("--x-range", nargs=2, type=float, metavar=("LOW", "HIGH"),
                     help="one x-range for every panel (default: each shape's "
                          "own, four times the half width of its peak)")
    gal.add_argument("--columns", type=int, default=6, help="panels per row (default: 6)")
    gal.add_argument("--dpi", type=int, default=110, help="resolution in dots per inch (default: 110)")
    gal.set_defaults(run=_gallery)
    cat = sub.add_parser(
        "catalogue", help="the shape, preset and Norse tables as markdown",
        description="Prints the catalogue tables generated from the registry, or "
                    "writes them into a file between <!-- catalogue:NAME --> markers.")
    where = cat.add_mutually_exclusive_group()
    where.add_argument("--write", metavar="FILE", help="replace the marked tables in FILE")
    where.add_argument("--check", metavar="FILE",
                       help="exit 1 if the marked tables in FILE differ")
    cat.set_defaults(run=_catalogue)
    args = ap.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
