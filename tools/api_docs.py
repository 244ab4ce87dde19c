"""The API reference: pdoc renders the kernel's and the adapters' docstrings as HTML.

Run as ``python -m tools.api_docs [OUT]`` (``make api-docs``; OUT defaults to
``build/api``, which git ignores).  The start page is ``OUT/kernel.html``
(the public API, ``kernel/__init__.py``); every kernel module and every
adapter has its page.  ``adapters.simulation`` is left out: it imports the
closed-loop simulator (simglucose, matplotlib), which a pump builder does not
ship.

pdoc imports the modules it documents and reads their docstrings and type
annotations (``pdoc.dev``); nothing is written into the source tree.  The
script prints the number of pages and the wall time of the build.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import time
import warnings
from pathlib import Path

import pdoc
import pdoc.render


def modules() -> tuple[str, ...]:
    """What is documented, in pdoc's module-spec syntax (``!`` excludes).

    pdoc walks a package's submodules unless the package has ``__all__``:
    ``adapters`` is walked (without ``adapters.simulation``), ``kernel``'s
    ``__all__`` names its public API, so its other submodules are listed one by one.
    """
    kernel = importlib.import_module("kernel")
    public = set(kernel.__all__)  # these are walked already (``events``, and ``step``, the module's name)
    submodules = tuple(
        f"kernel.{info.name}" for info in pkgutil.iter_modules(kernel.__path__) if info.name not in public
    )
    return ("kernel", *submodules, "adapters", "!adapters.simulation")


def build(out: Path) -> tuple[int, float]:
    """Write the HTML reference into ``out``; return the number of pages and the seconds taken."""
    started = time.perf_counter()
    pdoc.render.configure(docformat="restructuredtext", show_source=False, search=True)
    with warnings.catch_warnings():
        # pdoc cannot resolve the postponed annotations of a NamedTuple's generated __new__ (it looks them up in
        # the collections module): it warns once per record and shows them as written.  Nothing else is hidden.
        warnings.filterwarnings("ignore", message="Error parsing type annotation ForwardRef", category=UserWarning)
        pdoc.pdoc(*modules(), output_directory=out)
    seconds = time.perf_counter() - started
    pages = sum(1 for _ in out.rglob("*.html"))
    return pages, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", nargs="?", type=Path, default=Path("build/api"))
    args = parser.parse_args(argv)
    pages, seconds = build(args.out)
    print(f"API reference: {pages} pages in {args.out} ({args.out / 'kernel.html'}), built in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
