"""The catalogue: each construct, its minimal reproduction, its portable alternative, what we observed.

Theory of operation
-------------------
Each ``Construct`` names probe files in ``tools/micropython/probes`` (minimal
reproductions, run by MicroPython 1.27 and by CPython), optionally an
alternative probe (the cheapest portable form, which must print the same under
both), the ``scan`` keys that count its uses in ``kernel/``, and the verdict
MicroPython gave when this catalogue was written (``expected``):

* ``fails``   MicroPython raises (the probe's last traceback line is kept);
* ``differs`` both run, the printed output differs;
* ``works``   both run and print the same.

``python -m tools.micropython.check`` re-runs every probe and reports any
verdict that no longer matches (``tests/test_micropython.py`` fails on it), so
docs/micropython.md cannot silently drift from what MicroPython does.
"""

from __future__ import annotations

from typing import NamedTuple


class Construct(NamedTuple):
    key: str
    construct: str
    probes: tuple[str, ...]
    expected: str
    scan: tuple[str, ...] = ()
    alternative: str = ""
    alternative_probes: tuple[str, ...] = ()


CATALOGUE: tuple[Construct, ...] = (
    Construct(
        "star_display",
        "star-unpacking in a tuple/list display `(0, *t[:-1])`",
        ("star_display.py",),
        "fails",
        ("star_display",),
        "concatenation `(0,) + t[:-1]`; star in calls and targets is fine (star_call.py)",
        ("star_display_alt.py", "star_call.py"),
    ),
    Construct(
        "future_annotations",
        "`from __future__ import annotations`",
        ("future_annotations.py",),
        "fails",
        ("future_annotations",),
        "drop it and quote forward references (MicroPython never evaluates annotations), "
        "or ship a one-line `__future__.py` beside the kernel",
        ("future_annotations_alt.py",),
    ),
    Construct(
        "annotations",
        "annotations in signatures and assignments, PEP 604 `int | None`, `tuple[int, ...]`, keyword-only",
        ("annotations.py", "module_annotation_evaluated.py"),
        "works",
        ("annotations",),
        "none needed: compiled and ignored (never evaluated), also at module level",
    ),
    Construct(
        "runtime_type_expr",
        "type expressions evaluated at run time: aliases `tuple[bool, int]`, `Deliver | Alarm`, `Callable[...]`; "
        "field types of a functional NamedTuple",
        ("runtime_type_alias.py", "runtime_union.py", "namedtuple_functional_generic.py"),
        "fails",
        ("runtime_type_expr",),
        "aliases under a local `TYPE_CHECKING = False` / `if TYPE_CHECKING:` (mypy honours it), used quoted; "
        'generic field types quoted (`"tuple[int, ...]"`)',
        ("type_alias_alt.py", "namedtuple_functional_alt.py"),
    ),
    Construct(
        "typing_import",
        "`from typing import Any, Protocol, TypeVar` (the module does not exist)",
        ("typing_import.py",),
        "fails",
        ("typing_import",),
        "import under `if TYPE_CHECKING:`; the `Logic` Protocol defined there, annotations quoted",
        ("typing_protocol_alt.py", "type_alias_alt.py"),
    ),
    Construct(
        "collections_abc",
        "`from collections.abc import Callable, Mapping, Sequence`",
        ("collections_abc.py",),
        "fails",
        ("collections_abc",),
        "import under `if TYPE_CHECKING:` (the kernel uses them in annotations and aliases only)",
        ("type_alias_alt.py",),
    ),
    Construct(
        "class_annotations",
        "bare annotations in a class body (`a: int` without a value): the class never sees them",
        ("class_annotations.py",),
        "differs",
        (),
        "none: this is why no stand-in module can provide `@dataclass` or `class P(NamedTuple)`",
    ),
    Construct(
        "dataclasses",
        "`dataclasses` (`@dataclass(frozen=True)`, `replace`, `fields`, `is_dataclass`)",
        ("dataclasses_import.py",),
        "fails",
        ("dataclass_class", "dataclasses_replace", "dataclasses_fields"),
        'records as `class P(NamedTuple("P", [("a", int), ...])): __slots__ = ()` with the typing '
        "stand-in, `_replace`/`_fields`; or a namedtuple subclass with its own `_replace`; or `__slots__` classes",
        ("namedtuple_functional_alt.py", "namedtuple_collections_alt.py", "slots_class_alt.py"),
    ),
    Construct(
        "namedtuple_class",
        "`class P(NamedTuple): a: int` (typing.NamedTuple, class syntax)",
        ("namedtuple_class_syntax.py",),
        "fails",
        ("namedtuple_class",),
        'functional syntax `NamedTuple("P", [("a", int)])` (subclassed for a docstring) + the typing '
        "stand-in (mypy types it fully); the class syntax cannot work even with a stand-in",
        ("namedtuple_functional_alt.py",),
    ),
    Construct(
        "namedtuple_methods",
        "`_replace`, `_fields`, `_asdict`, `_make` on `collections.namedtuple`",
        ("namedtuple_methods.py",),
        "fails",
        ("namedtuple_methods",),
        "provided by the typing stand-in's `NamedTuple`, or a `_replace` written once in a subclass",
        ("namedtuple_functional_alt.py", "namedtuple_collections_alt.py"),
    ),
    Construct(
        "namedtuple_subclass_assign",
        "assigning to a field of a namedtuple subclass instance",
        ("namedtuple_subclass_assign.py",),
        "differs",
        (),
        "none needed while the kernel never assigns to a record (CPython's tests would raise)",
    ),
    Construct(
        "intenum",
        "`enum.IntEnum` classes and what the kernel does with them: `len(E)`, `for m in E`, `E(v)`, `.name`",
        ("intenum.py",),
        "fails",
        ("intenum_class", "enum_class_behaviour"),
        "plain int constants in a class + an explicit names tuple (length, iteration, names)",
        ("intenum_alt.py",),
    ),
    Construct(
        "enum_stand_in",
        "what an enum stand-in would need: a metaclass (keyword or inherited), `__init_subclass__`, `int.__new__`",
        ("metaclass_keyword.py", "metaclass_inherited.py", "init_subclass.py", "int_new.py"),
        "fails",
        (),
        "none: an `enum` stand-in can only be a stub (members stay plain ints)",
    ),
    Construct(
        "zip_strict",
        "`zip(a, b, strict=True)`",
        ("zip_strict.py",),
        "fails",
        ("zip_strict",),
        "plain `zip` (lengths equal by construction) or an explicit length check",
        ("zip_strict_alt.py",),
    ),
    Construct(
        "itertools_pairwise",
        "`itertools.pairwise` (this build's frozen itertools has 8 functions)",
        ("itertools_pairwise.py",),
        "fails",
        ("itertools_missing",),
        "`zip(s, s[1:])`",
        ("itertools_pairwise_alt.py",),
    ),
    Construct(
        "dict_order",
        "dict iteration order (insertion order in CPython, hash order in MicroPython)",
        ("dict_order.py",),
        "differs",
        ("dict_iteration",),
        "iterate a tuple of pairs or sorted keys, or keep results order-independent",
        ("dict_order_alt.py",),
    ),
    Construct(
        "bool_is_int",
        "`isinstance(True, int)` / `issubclass(bool, int)` (False in MicroPython; arithmetic on bools works)",
        ("bool_is_int.py",),
        "differs",
        ("isinstance_int",),
        "`type(x) is int` / test bool first (the kernel's own checks already do)",
        ("bool_is_int_alt.py",),
    ),
    Construct(
        "hexdigest",
        "`hashlib.sha256(b).hexdigest()` (sha256 exists, hexdigest does not)",
        ("hexdigest.py",),
        "fails",
        ("hexdigest",),
        "`binascii.hexlify(h.digest()).decode()`",
        ("hexdigest_alt.py",),
    ),
    Construct(
        "json_canonical",
        "`json.dumps(..., sort_keys=True, separators=(',', ':'))`",
        ("json_canonical.py",),
        "fails",
        ("json_dumps_keywords",),
        "a 10-line canonical encoder (`json.loads` works)",
        ("json_canonical_alt.py", "json_loads.py"),
    ),
    Construct(
        "step_slice",
        "slices with a step on tuples `t[::-1]`",
        ("tuple_step_slice.py",),
        "fails",
        ("step_slice",),
        "`tuple(reversed(t))`",
        ("tuple_step_slice_alt.py",),
    ),
    Construct(
        "bit_length",
        "`int.bit_length()`",
        ("bit_length.py",),
        "fails",
        ("bit_length",),
        "`len(bin(abs(x))) - 2 if x else 0`",
        ("bit_length_alt.py",),
    ),
    Construct(
        "tuple_new",
        "`tuple.__new__` (hand-written tuple subclasses)",
        ("tuple_new.py",),
        "fails",
        ("tuple_int_new",),
        "subclass a `namedtuple` instead",
        ("namedtuple_collections_alt.py",),
    ),
    Construct(
        "object_init_args",
        "calling a class without `__init__` with arguments (CPython: TypeError; MicroPython: silently accepted)",
        ("object_init_args.py",),
        "differs",
        (),
        "none needed; it is why a `dataclass` stub fails far from the cause",
    ),
    Construct(
        "slots_enforced",
        "`__slots__` restricting attributes (not enforced by MicroPython)",
        ("slots_enforced.py",),
        "differs",
        (),
        "none needed (`__slots__` classes work; only the restriction is missing)",
    ),
    Construct(
        "match",
        "`match` statement",
        ("match_statement.py",),
        "fails",
        ("match",),
        "if/elif",
    ),
    Construct(
        "works",
        "f-strings (`{x=}`, `!r`, format specs), keyword-only args, `:=`, big ints and floor division, "
        "the builtins the kernel uses, properties, static/class methods, exception subclasses, `json.loads`",
        (
            "fstrings.py",
            "kwonly_args.py",
            "walrus.py",
            "int_arithmetic.py",
            "builtins_used.py",
            "properties.py",
            "json_loads.py",
        ),
        "works",
        ("fstring", "kwonly_args", "walrus"),
        "none needed",
    ),
)
