"""The ``pumpkernel`` command: one subcommand per module, listed in ``SUBCOMMANDS``.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args) -> int`` (the exit code).  Modules are imported only when their
subcommand runs, so ``pumpkernel day`` does not load Z3.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS: dict[str, str] = {
    "day": "pumpkernel.day",
    "simulate": "pumpkernel.simulate",
    "prove": "pumpkernel.prove",
    "crosshair": "pumpkernel.crosshair",
    "verify": "pumpkernel.verify",
    "vectors": "pumpkernel.vectors",
    "requirements": "pumpkernel.reqexport",
    "modes": "pumpkernel.modesdoc",
}
"""Subcommand name -> module implementing it."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pumpkernel", description="pumpkernel: a verified insulin-pump dosing kernel")
    commands = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        modules[name] = module
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
    args = parser.parse_args(argv)
    code: int = modules[args.command].run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
