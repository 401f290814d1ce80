"""Command line: ``python -m jaxsurrogate gallery OUT.png``."""

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
    args = ap.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
