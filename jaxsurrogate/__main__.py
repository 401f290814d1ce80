"""Command line: ``python -m jaxsurrogate gallery OUT.png`` and ``... catalogue``."""

from __future__ import annotations

import argparse
import sys


def _gallery(args: argparse.Namespace) -> int:
    from jaxsurrogate._src import gallery

    try:
        names = gallery.draw(args.out, columns=args.columns, dpi=args.dpi)
    except ImportError as err:
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
    text = path.read_text()
    if not tables.marked(text):
        print(f"error: {path} has no <!-- catalogue:NAME --> markers", file=sys.stderr)
        return 1
    filled = tables.fill(text)
    if args.check is not None:
        if filled != text:
            print(f"{path}: the catalogue tables differ from the registry; run "
                  f"python -m jaxsurrogate catalogue --write {path}", file=sys.stderr)
            return 1
        return 0
    path.write_text(filled)
    print(f"wrote {', '.join(tables.marked(text))} into {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parses ``argv`` and runs the subcommand; returns the exit status."""
    ap = argparse.ArgumentParser(
        prog="python -m jaxsurrogate",
        description="jaxsurrogate command line tools.")
    sub = ap.add_subparsers(dest="command", required=True)
    gal = sub.add_parser(
        "gallery", help="draw every surrogate derivative into one image",
        description="Draws g (and the primitive S, dashed) of every canonical "
                    "surrogate over x in [-3, 3] at its default alpha.")
    gal.add_argument("out", help="image file to write (e.g. gallery.png)")
    gal.add_argument("--columns", type=int, default=6, help="panels per row")
    gal.add_argument("--dpi", type=int, default=110, help="resolution")
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
