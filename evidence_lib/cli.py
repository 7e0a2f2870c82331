"""Command-line entry point ``evidence-lib``."""

from __future__ import annotations

import argparse
import sys


def _cmd_run(args) -> int:
    from evidence_lib.notebook_runner import run_notebooks

    timings = run_notebooks(args.notebooks or None, update=args.update)
    total = sum(t["seconds"] for t in timings)
    print(f"all {len(timings)} notebook(s) done in {total:.1f} s; HTML in reports/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evidence-lib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute every notebook in order and render HTML to reports/")
    run.add_argument("notebooks", nargs="*", help="only these notebooks (stem or number prefix, e.g. 03)")
    run.add_argument("--update", action="store_true",
                     help="also write the executed outputs back to notebooks/*.ipynb (refresh the pairs)")
    run.set_defaults(func=_cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
