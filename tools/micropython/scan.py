"""Where the kernel uses each construct of the MicroPython catalogue: modules and lines, from the AST.

Theory of operation
-------------------
``scan(kernel_dir)`` parses every ``kernel/*.py`` with CPython's ``ast`` and
collects, per construct key (the ``scan`` keys of ``catalogue.CATALOGUE``),
the ``module:line`` places where it occurs.  The detectors are syntactic:

* exact ones: ``from __future__``, imports of typing / collections.abc /
  dataclasses / enum, ``@dataclass`` classes, ``NamedTuple`` and ``IntEnum``
  class definitions, ``*x`` inside a tuple/list/set display, ``zip(...,
  strict=)``, slices with a step, ``match``, ``:=``, f-strings, keyword-only
  parameters, ``.bit_length`` / ``.hexdigest`` / ``_replace``-style attributes,
  ``json.dumps`` keywords, ``itertools.<name>`` outside MicroPython's set;
* heuristic ones (said so in docs/micropython.md): type expressions evaluated
  at run time (a module- or class-level assignment whose value subscripts a
  builtin/typing generic or ``|``-joins class names), enum-class behaviour
  (``len(E)``, ``for x in E``, ``E(v)`` for a class ``E`` defined as an enum
  anywhere in the kernel), ``.items()/.keys()/.values()`` calls (dict iteration
  order), ``isinstance(x, int)`` (``bool`` is not an ``int`` there).
"""

from __future__ import annotations

import ast
import pathlib
from collections import defaultdict
from collections.abc import Callable

MICROPYTHON_ITERTOOLS = frozenset({"accumulate", "chain", "count", "cycle", "islice", "repeat", "starmap", "tee"})
"""``dir(itertools)`` in the WebAssembly port of MicroPython 1.27 (a frozen micropython-lib module)."""

_GENERIC_NAMES = frozenset({"tuple", "list", "dict", "set", "frozenset", "type", "Callable", "Mapping", "Sequence"})
_ENUM_BASES = frozenset({"IntEnum", "Enum", "IntFlag", "Flag"})
_NAMEDTUPLE_METHODS = frozenset({"_replace", "_fields", "_asdict", "_make"})

Places = dict[str, list[str]]


def _name(node: ast.AST) -> str:
    """``a.b.c`` for a name or attribute chain, else ``""``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}".lstrip(".")
    return ""


def _is_runtime_type_expr(value: ast.AST) -> bool:
    if isinstance(value, ast.Subscript):
        return _name(value.value).split(".")[-1] in _GENERIC_NAMES
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr):
        leaves = [value.left, value.right]
        return all(_is_runtime_type_expr(leaf) or _name(leaf)[:1].isupper() for leaf in leaves)
    return False


def _enum_classes(trees: dict[str, ast.Module]) -> set[str]:
    return {
        node.name
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and any(_name(base).split(".")[-1] in _ENUM_BASES for base in node.bases)
    }


def _scan_module(tree: ast.Module, enums: set[str], add: Callable[[str, ast.AST], None]) -> None:
    for statement in tree.body:
        targets = [statement] + [item for item in getattr(statement, "body", []) if isinstance(statement, ast.ClassDef)]
        for item in targets:
            if isinstance(item, ast.Assign) and _is_runtime_type_expr(item.value):
                add("runtime_type_expr", item)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module == "__future__":
                add("future_annotations", node)
            elif module == "typing":
                add("typing_import", node)
            elif module == "collections.abc":
                add("collections_abc", node)
            elif module == "dataclasses":
                add("dataclasses_import", node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                key = {"typing": "typing_import", "dataclasses": "dataclasses_import", "enum": "enum_import"}
                if alias.name in key:
                    add(key[alias.name], node)
        elif isinstance(node, ast.ClassDef):
            if any(_name(d.func if isinstance(d, ast.Call) else d).endswith("dataclass") for d in node.decorator_list):
                add("dataclass_class", node)
            bases = {_name(base).split(".")[-1] for base in node.bases}
            if "NamedTuple" in bases:
                add("namedtuple_class", node)
            if bases & _ENUM_BASES:
                add("intenum_class", node)
            if any(keyword.arg == "metaclass" for keyword in node.keywords):
                add("metaclass", node)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            if isinstance(getattr(node, "ctx", ast.Load()), ast.Load) and any(
                isinstance(element, ast.Starred) for element in node.elts
            ):
                add("star_display", node)
        elif isinstance(node, ast.Call):
            function = _name(node.func)
            keywords = {keyword.arg for keyword in node.keywords}
            if function == "zip" and "strict" in keywords:
                add("zip_strict", node)
            if function in ("replace", "dataclasses.replace"):
                add("dataclasses_replace", node)
            if function in ("dataclasses.fields", "fields", "dataclasses.is_dataclass"):
                add("dataclasses_fields", node)
            if function == "json.dumps" and keywords & {"sort_keys", "separators", "indent"}:
                add("json_dumps_keywords", node)
            if function == "len" and node.args and _name(node.args[0]) in enums:
                add("enum_class_behaviour", node)
            if function in enums and node.args:
                add("enum_class_behaviour", node)
            if function == "isinstance" and len(node.args) == 2 and _name(node.args[1]) == "int":
                add("isinstance_int", node)
            if function == "isinstance" and len(node.args) == 2 and _name(node.args[1]).split(".")[-1] in _ENUM_BASES:
                add("enum_class_behaviour", node)
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("items", "keys", "values") and not node.args:
                add("dict_iteration", node)
        elif isinstance(node, ast.For | ast.comprehension):
            if _name(node.iter) in enums:
                add("enum_class_behaviour", node if isinstance(node, ast.For) else node.iter)
        elif isinstance(node, ast.Attribute):
            if node.attr == "bit_length":
                add("bit_length", node)
            elif node.attr == "hexdigest":
                add("hexdigest", node)
            elif node.attr in _NAMEDTUPLE_METHODS:
                add("namedtuple_methods", node)
            elif _name(node.value) == "itertools" and node.attr not in MICROPYTHON_ITERTOOLS:
                add("itertools_missing", node)
            elif node.attr == "__new__" and _name(node.value) in ("tuple", "int"):
                add("tuple_int_new", node)
            elif node.attr == "__init_subclass__":
                add("init_subclass", node)
        elif isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice) and node.slice.step is not None:
                add("step_slice", node)
        elif isinstance(node, ast.Match):
            add("match", node)
        elif isinstance(node, ast.NamedExpr):
            add("walrus", node)
        elif isinstance(node, ast.JoinedStr):
            add("fstring", node)
        elif isinstance(node, ast.FunctionDef):
            if node.args.kwonlyargs:
                add("kwonly_args", node)
            annotated = [arg for arg in node.args.args + node.args.kwonlyargs if arg.annotation is not None]
            if annotated or node.returns is not None:
                add("annotations", node)
            if node.name == "__init_subclass__":
                add("init_subclass", node)


def scan(kernel_dir: pathlib.Path) -> dict[str, Places]:
    """Per construct key: module name -> ``["line", ...]`` (sorted, one entry per occurrence)."""
    trees = {path.stem: ast.parse(path.read_text(), filename=str(path)) for path in sorted(kernel_dir.glob("*.py"))}
    enums = _enum_classes(trees)
    found: dict[str, Places] = defaultdict(lambda: defaultdict(list))
    for module, tree in trees.items():
        seen: set[tuple[str, int, int]] = set()

        def add(key: str, node: ast.AST, module: str = module, seen: set[tuple[str, int, int]] = seen) -> None:
            place = (key, getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
            if place not in seen:
                seen.add(place)
                found[key][module].append(str(place[1]))

        _scan_module(tree, enums, add)
    return {key: {module: sorted(lines, key=int) for module, lines in places.items()} for key, places in found.items()}


def summary(places: Places) -> str:
    """``"N in M modules"`` for a construct's places (``"none"`` when absent)."""
    if not places:
        return "none"
    count = sum(len(lines) for lines in places.values())
    return f"{count} in {len(places)} module{'s' if len(places) != 1 else ''}"
