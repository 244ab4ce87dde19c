"""Harness only: rewrite star-unpacking in tuple/list/set displays as concatenation, lines kept.

Theory of operation
-------------------
MicroPython 1.27 rejects ``(a, *b, c)`` at compile time (``SyntaxError: *x
must be assignment target``), which hides every later problem of the module.
To look past it, ``python -m tools.micropython.check`` also runs the kernel
after this rewrite (third run, with the shims): each display with a starred
element becomes ``((a,) + tuple(b) + (c,))`` (``list(...)``/``set(...)`` around
it for lists and sets).  The replacement keeps the original's line count (it
pads with newlines inside the parentheses), so MicroPython's line numbers still
point into the real source.  Innermost displays are rewritten first.  The
shipped kernel is never changed: the result is written under ``build/``.
"""

from __future__ import annotations

import ast
import pathlib


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    for index, byte in enumerate(data):
        if byte == 0x0A:
            starts.append(index + 1)
    return starts


def _is_star_display(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Tuple | ast.List | ast.Set)
        and isinstance(getattr(node, "ctx", ast.Load()), ast.Load)
        and any(isinstance(element, ast.Starred) for element in node.elts)
    )


def _innermost_star_display(tree: ast.AST) -> ast.Tuple | ast.List | ast.Set | None:
    """The last (in source order) star display that contains no other star display."""
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple | ast.List | ast.Set)
        and _is_star_display(node)
        and not any(_is_star_display(inner) for inner in ast.walk(node) if inner is not node)
    ]
    if not found:
        return None
    return max(found, key=lambda node: (node.lineno, node.col_offset))


def _replacement(node: ast.Tuple | ast.List | ast.Set, source: str) -> str:
    parts: list[str] = []
    run: list[str] = []
    for element in node.elts:
        if isinstance(element, ast.Starred):
            if run:
                parts.append("(" + ", ".join(run) + ",)")
                run = []
            parts.append(f"tuple({ast.get_source_segment(source, element.value)})")
        else:
            run.append(ast.get_source_segment(source, element) or "")
    if run:
        parts.append("(" + ", ".join(run) + ",)")
    expression = " + ".join(parts)
    if isinstance(node, ast.List):
        expression = f"list({expression})"
    elif isinstance(node, ast.Set):
        expression = f"set({expression})"
    return "(" + expression


def without_star_displays(source: str) -> str:
    """``source`` with every star display rewritten (see module docstring); line numbers unchanged."""
    while True:
        node = _innermost_star_display(ast.parse(source))
        if node is None:
            return source
        data = source.encode("utf-8")
        starts = _line_starts(data)
        begin = starts[node.lineno - 1] + node.col_offset
        end = starts[(node.end_lineno or node.lineno) - 1] + (node.end_col_offset or 0)
        original = data[begin:end].decode("utf-8")
        text = _replacement(node, source)
        text += "\n" * (original.count("\n") - text.count("\n")) + ")"
        source = (data[:begin] + text.encode("utf-8") + data[end:]).decode("utf-8")


def write_kernel_without_star_displays(kernel_dir: pathlib.Path, out_dir: pathlib.Path) -> list[str]:
    """Copy ``kernel_dir/*.py`` to ``out_dir`` rewritten; returns the modules that changed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    changed: list[str] = []
    for path in sorted(kernel_dir.glob("*.py")):
        source = path.read_text()
        rewritten = without_star_displays(source)
        if rewritten != source:
            changed.append(path.stem)
        (out_dir / path.name).write_text(rewritten)
    return changed
