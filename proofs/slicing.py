"""Cone-of-influence slicing: prove a goal from only the hypotheses that can matter to it.

Theory of operation
-------------------
Every step obligation assumes the whole invariant set (a few thousand facts:
the request memory alone has 600 slots) although most goals are about a
handful of state fields.  A solver given all of them can spend minutes where
the relevant facts settle the goal in milliseconds.

Dropping hypotheses only makes a query *harder* to prove: if the goal follows
from a subset of the hypotheses, it follows from all of them.  So the runner
first tries a *slice*: the hypotheses' conjuncts that share a constant with
the goal, and those that share a constant with them (two rounds), leaving out
the definitions of named pick conditions (``specs.z3_logic``), whose Booleans
are then free: again only weaker.  If the slice proves the goal (unsat), that
is a proof of the full query; its unsat core names the conjuncts used.  If
not (a model, or unknown), the runner runs the full query; a slice is never
taken as a counterexample.  A goal that is a large conjunction is split into
its conjuncts, each proved on its own slice: the same conjunction.

Units: none.  Trusted base: Z3 and this argument (weakening a query cannot
turn an unprovable goal into a proved one).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import z3

from specs.z3_logic import is_product_id

SPLIT_ABOVE = 8
"""A conjunctive goal with more conjuncts than this is proved conjunct by conjunct."""


_AST_ID = z3.Z3_get_ast_id
_AST_KIND = z3.Z3_get_ast_kind
_NUM_ARGS = z3.Z3_get_app_num_args
_ARG = z3.Z3_get_app_arg
_DECL = z3.Z3_get_app_decl
_DECL_KIND = z3.Z3_get_decl_kind
_DECL_NAME = z3.Z3_get_decl_name
_BODY = z3.Z3_get_quantifier_body


def _constants(term: Any, memo: dict[int, frozenset[str]]) -> frozenset[str]:
    """Names of the uninterpreted constants in ``term`` (memoised by AST id: terms share structure), and a name
    ``PRODUCT_MARK + id`` for each product application in it (``specs.z3_logic``), so that a slice holding a
    product holds its definition, and ``product_ids`` finds the definitions a query needs.

    The walk reads the term through Z3's C API (``z3core``'s functions: ids, kinds, arguments) rather than
    building a Python object for every subterm: the same result (tested against the walk through ``z3``'s
    Python objects); measured, the 27 obligations of the first event class a process proves 4.1 s -> 3.5 s,
    40 planted defects 22.6 s -> 21.9 s.  Z3 reuses the id of a freed AST, so every term whose subterms enter
    the memo is kept alive (``_ALIVE``): a parent holds its children, so their ids stay theirs, and so do the
    raw pointers read here while ``term`` is alive.
    """
    root_key = term.get_id()
    if root_key in memo:
        return memo[root_key]
    _ALIVE.append(term)
    ctx = term.ctx.ref()
    stack: list[tuple[Any, int, bool]] = [(term.as_ast(), root_key, False)]
    while stack:
        node, key, expanded = stack.pop()
        if key in memo:
            continue
        kind = _AST_KIND(ctx, node)
        if kind == z3.Z3_APP_AST:
            count = _NUM_ARGS(ctx, node)
            if count == 0:
                decl = _DECL(ctx, node)
                if _DECL_KIND(ctx, decl) == z3.Z3_OP_UNINTERPRETED:
                    memo[key] = frozenset((z3.z3._symbol2py(term.ctx, _DECL_NAME(ctx, decl)),))
                else:
                    memo[key] = frozenset()
                continue
            children = [_ARG(ctx, node, i) for i in range(count)]
        elif kind == z3.Z3_QUANTIFIER_AST:
            children = [_BODY(ctx, node)]
        else:
            memo[key] = frozenset()
            continue
        if expanded:
            found: set[str] = set()
            for child in children:
                found |= memo[_AST_ID(ctx, child)]
            if is_product_id(key):
                found.add(f"{PRODUCT_MARK}{key}")
            memo[key] = frozenset(found)
        else:
            stack.append((node, key, True))
            for child in children:
                child_key = _AST_ID(ctx, child)
                if child_key not in memo:
                    stack.append((child, child_key, False))
    return memo[root_key]


def conjuncts(formula: Any) -> list[Any]:
    """The top-level conjuncts of a formula (``And`` flattened)."""
    out: list[Any] = []
    stack = [formula]
    while stack:
        node = stack.pop()
        if z3.is_and(node):
            stack.extend(reversed(node.children()))
        elif z3.is_true(node):
            continue
        else:
            out.append(node)
    return out


PRODUCT_MARK = "mul_small#"
"""Prefix of the name ``_constants`` gives a product application (no Z3 constant's name contains ``#``)."""


def product_ids(formulas: list[Any]) -> set[int]:
    """AST ids of the product applications in ``formulas`` (memoised with the constants)."""
    found: set[int] = set()
    for formula in formulas:
        for name in _constants(formula, _MEMO):
            if name.startswith(PRODUCT_MARK):
                found.add(int(name[len(PRODUCT_MARK) :]))
    return found


_ALIVE: list[Any] = []
"""Terms whose ids are in the memo (see ``_constants``)."""

_PARTS: dict[tuple[int, bool], tuple[tuple[Any, frozenset[str]], ...]] = {}
"""A hypothesis's conjuncts with their constants, by the hypothesis's AST id and whether definitions are kept."""

_MEMO: dict[int, frozenset[str]] = {}
"""Constants of every term seen, by AST id (terms of one step are shared by all its obligations)."""


class Slicer:
    """The hypotheses of a query as labelled conjuncts, indexed by the constants they mention.

    The obligations about one event class's step share most of their hypotheses (the same Z3 terms, built
    once by ``proofs.context.Context``), so each hypothesis is split into conjuncts, and their constants found,
    once (``_parts_of``); a slicer only indexes them.
    """

    def __init__(self, tracked: list[tuple[str, Any]], plain: list[Any]) -> None:
        self.memo = _MEMO
        self.parts: list[tuple[str, Any, frozenset[str]]] = []
        self.by_constant: dict[str, list[int]] = defaultdict(list)
        for label, formula in tracked:
            self._add(label, _parts_of(formula, definitions=True))
        for formula in plain:
            self._add("plain", _parts_of(formula, definitions=False))

    def add(self, label: str, formula: Any) -> None:
        """One more tracked hypothesis (a goal already proved, for a chained query)."""
        self._add(label, _parts_of(formula, definitions=True))

    def _add(self, label: str, parts: tuple[tuple[Any, frozenset[str]], ...]) -> None:
        for part, names in parts:
            index = len(self.parts)
            self.parts.append((label, part, names))
            for name in names:
                self.by_constant[name].append(index)

    def slice(self, goal: Any, rounds: int = 2) -> list[tuple[str, Any]]:
        """The conjuncts within ``rounds`` shared-constant steps of the goal."""
        frontier = set(_constants(goal, self.memo))
        seen = set(frontier)
        chosen: set[int] = set()
        for _ in range(rounds):
            new = {index for name in frontier for index in self.by_constant.get(name, ()) if index not in chosen}
            if not new:
                break
            chosen |= new
            frontier = set().union(*(self.parts[index][2] for index in new)) - seen
            seen |= frontier
        return [(self.parts[index][0], self.parts[index][1]) for index in sorted(chosen)]


def _parts_of(formula: Any, *, definitions: bool) -> tuple[tuple[Any, frozenset[str]], ...]:
    """The conjuncts of one hypothesis with their constants; without definitions of named pick conditions
    unless ``definitions`` (memoised by AST id; the formula is kept alive, so its id stays its own)."""
    key = (formula.get_id(), definitions)
    found = _PARTS.get(key)
    if found is None:
        _ALIVE.append(formula)
        found = _PARTS[key] = tuple(
            (part, _constants(part, _MEMO)) for part in conjuncts(formula) if definitions or not _is_definition(part)
        )
    return found


def _is_definition(part: Any) -> bool:
    """``pick!n == condition``: a named pick condition's definition."""
    if not z3.is_eq(part):
        return False
    left = part.children()[0]
    return bool(z3.is_const(left)) and bool(left.decl().name().startswith("pick!"))


def split_goal(goal: Any) -> list[Any]:
    """A large conjunctive goal as its conjuncts; any other goal as itself."""
    parts = conjuncts(goal)
    return parts if len(parts) > SPLIT_ABOVE else [goal]
