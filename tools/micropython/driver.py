"""Runs inside MicroPython 1.27 (``node run.mjs kernel``): how far does the kernel get?

Theory of operation
-------------------
``run.mjs`` has put the kernel's modules in ``/lib/kernel`` with an empty
package ``__init__.py`` (the real one is ``/lib/kernel_init.py``), the scripted
hour in ``/lib/mpy_hour.py``, the shims in ``/shims`` (``--shims`` only) and
CPython's results for the hour in ``/expected.json``.

1. The kernel's own imports (``from kernel.x import ...``, ``from kernel import
   x``) give a dependency order; each module is imported in that order and the
   first error it raises is kept: type, message, file and line of the innermost
   frame, and ``blocked_by`` when that frame is in another kernel module (a
   dependency failed first).  The real package ``__init__`` runs last, in the
   package's namespace.
2. Only if every import succeeded: ``mpy_hour.run()`` (the same script CPython
   ran) and a comparison with ``/expected.json``, step by step (event, outcome,
   commands, state digest), then the final state field by field.

Prints one line ``@@REPORT <json>``.  MicroPython-compatible on purpose: no
star-unpacking in displays, no dataclasses, no typing at run time.
"""

import gc
import io
import json
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KERNEL_DIR = "/lib/kernel"


def _source(name: str) -> str:
    with open(KERNEL_DIR + "/" + name + ".py") as handle:
        return handle.read()


def _kernel_imports(text: str, names: list[str]) -> list[str]:
    """The kernel modules one module's source imports (``from kernel.x``, ``from kernel import x``)."""
    found: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line.startswith("from kernel."):
            found.append(line[len("from kernel.") :].split(" ")[0])
        elif line.startswith("from kernel import "):
            for part in line[len("from kernel import ") :].replace("(", " ").replace(")", " ").split(","):
                word = part.strip().split(" ")[0]
                if word in names:
                    found.append(word)
    return [name for name in found if name in names]


def dependency_order() -> list[str]:
    """Kernel modules (without the package ``__init__``), each after the modules it imports."""
    names = sorted(name[:-3] for name in os.listdir(KERNEL_DIR) if name.endswith(".py") and name != "__init__.py")
    needs = {name: _kernel_imports(_source(name), names) for name in names}
    order: list[str] = []
    while len(order) < len(names):
        ready = [name for name in names if name not in order and all(dep in order for dep in needs[name])]
        if not ready:  # an import cycle: take the rest alphabetically
            ready = [name for name in names if name not in order][:1]
        order.append(ready[0])
    return order


def describe(error: BaseException, module_file: str) -> "dict[str, Any]":
    """Type, message and place of ``error``.

    The place is the innermost frame in a kernel module (``raised_in`` adds the
    innermost frame when that is elsewhere, e.g. in a shim); ``blocked_by`` names
    the kernel module when it is not the one being imported (a dependency failed).
    """
    buffer = io.StringIO()
    sys.print_exception(error, buffer)  # type: ignore[attr-defined]
    frames: list[tuple[str, int]] = []
    for line in buffer.getvalue().split("\n"):
        line = line.strip()
        if line.startswith('File "'):
            frames.append((line.split('"')[1], int(line.split("line ")[1].split(",")[0])))
    kernel_frames = [frame for frame in frames if frame[0].startswith(KERNEL_DIR + "/")]
    place = kernel_frames[-1] if kernel_frames else (frames[-1] if frames else ("", 0))
    blocked_by = None
    if place[0].startswith(KERNEL_DIR + "/") and place[0] != module_file:
        blocked_by = place[0][len(KERNEL_DIR) + 1 : -3]
    entry = {
        "type": type(error).__name__,
        "message": str(error),
        "file": place[0].replace(KERNEL_DIR + "/", "kernel/"),
        "line": place[1],
        "blocked_by": blocked_by,
    }
    if frames and frames[-1] != place:
        entry["raised_in"] = f"{frames[-1][0]}:{frames[-1][1]}"
    return entry


def import_all(order: list[str]) -> "list[dict[str, Any]]":
    results: list[dict[str, Any]] = []
    for name in order:
        try:
            __import__("kernel." + name)
            results.append({"module": "kernel." + name, "ok": True})
        except Exception as error:
            entry = describe(error, KERNEL_DIR + "/" + name + ".py")
            entry["module"] = "kernel." + name
            entry["ok"] = False
            results.append(entry)
    try:
        import kernel

        with open("/lib/kernel_init.py") as handle:
            exec(compile(handle.read(), KERNEL_DIR + "/__init__.py", "exec"), kernel.__dict__)
        results.append({"module": "kernel (package __init__)", "ok": True})
    except Exception as error:
        entry = describe(error, KERNEL_DIR + "/__init__.py")
        entry["module"] = "kernel (package __init__)"
        entry["ok"] = False
        results.append(entry)
    return results


def first_difference(expected: "Any", got: "Any", path: str) -> "dict[str, Any] | None":
    """The first place where two plain values (ints, bools, strings, lists) differ."""
    if type(expected) is list and type(got) is list:
        if len(expected) != len(got):
            return {"path": path, "expected": f"length {len(expected)}", "got": f"length {len(got)}"}
        for index in range(len(expected)):
            found = first_difference(expected[index], got[index], f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if type(expected) is not type(got) or expected != got:
        return {"path": path, "expected": expected, "got": got}
    return None


def compare_hour(expected: "dict[str, Any]", got: "dict[str, Any]") -> "dict[str, Any]":
    parts = ("event", "outcome", "commands", "state_digest")
    steps_expected, steps_got = expected["steps"], got["steps"]
    for index in range(min(len(steps_expected), len(steps_got))):
        for part_index in range(len(parts)):
            found = first_difference(steps_expected[index][part_index], steps_got[index][part_index], "")
            if found is not None:
                found["step"] = index
                found["part"] = parts[part_index]
                found["event"] = steps_expected[index][0]
                return {"equal": False, "first_difference": found, "steps": len(steps_got)}
    if len(steps_expected) != len(steps_got):
        return {"equal": False, "first_difference": {"part": "number of steps"}, "steps": len(steps_got)}
    found = first_difference(expected["final_state"], got["final_state"], "final_state")
    return {"equal": found is None, "first_difference": found, "steps": len(steps_got)}


def main() -> None:
    shims = "shims" in os.listdir("/")
    if shims:
        sys.path.insert(0, "/shims")
        # collections is MicroPython's own package, so collections.abc cannot be a file on sys.path.
        import collections_abc  # type: ignore[import-not-found]

        sys.modules["collections.abc"] = collections_abc
    gc.collect()
    heap_before = gc.mem_alloc()  # type: ignore[attr-defined]
    order = dependency_order()
    imports = import_all(order)
    gc.collect()
    report: dict[str, Any] = {
        "implementation": sys.implementation.name
        + " "
        + ".".join(str(part) for part in sys.implementation.version[:3]),
        "shims": shims,
        "order": order,
        "imports": imports,
        "heap_after_imports_bytes": gc.mem_alloc() - heap_before,  # type: ignore[attr-defined]
        "hour": None,
    }
    if all(entry["ok"] for entry in imports):
        try:
            import mpy_hour  # type: ignore[import-not-found]

            got = mpy_hour.run()
            with open("/expected.json") as handle:
                expected = json.load(handle)
            report["hour"] = compare_hour(expected, got)
        except Exception as error:
            report["hour"] = {"equal": False, "error": describe(error, "/lib/mpy_hour.py")}
    print("@@REPORT " + json.dumps(report))


main()
