"""The ``pumpkernel`` command."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pumpkernel", description="pumpkernel: a verified insulin-pump kernel")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("day", help="run a scripted day of delivery on the default configuration")
    args = parser.parse_args(argv)
    if args.command == "day":
        from pumpkernel.day import render, scripted_day

        rows, _ = scripted_day()
        render(rows)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
