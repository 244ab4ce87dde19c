"""The rules by which the proof report calls a requirement proved, and the counterexample machinery (EVD-1).

The whole suite (every obligation proved, every planted defect refuted) runs as its own step of
``make test`` (``pumpkernel prove``, which exits non-zero otherwise); the families' fast samples are in
``tests/proofs``.  Here: each status rule is seen to bite on made-up results, and a refuted planted
defect yields a counterexample that the real kernel replays.
"""

from __future__ import annotations

from typing import Any

from kernel.commands import Deliver, Purpose
from kernel.step import step
from proofs.context import Context, describe
from proofs.framework import run_query
from proofs.report import ProofReport, to_json
from proofs.suite import SuiteResult, collect
from proofs.weakening import planted


def test_refuted_defect_gives_a_counterexample_the_real_kernel_replays() -> None:
    obligations, weakenings, _ = collect()
    weakening = next(w for w in weakenings if w.id == "limits/tick-never-records")
    obligation = next(o for o in obligations if o.id == "GHOST-CONS/HOUR/Tick")
    with planted(weakening.patches):
        result = run_query(obligation, obligation.build(Context()), describe)
        assert result.status == "failed"
        cx = result.counterexample
        assert cx is not None and cx["kernel_agrees"], "the planted kernel takes exactly the Z3 step"
        forgetful = step(cx["config"], cx["before"], cx["event"])
    shipped = step(cx["config"], cx["before"], cx["event"])
    commanded = sum(c.pulses for c in shipped.commands if isinstance(c, Deliver) and c.purpose == Purpose.THERAPY)
    assert commanded > 0
    assert forgetful.commands == shipped.commands, "the same command goes to the motor"
    forgotten = shipped.state.windows.hour_total_pulses - forgetful.state.windows.hour_total_pulses
    assert forgotten == commanded, "the planted kernel leaves exactly the commanded pulses out of the hour window"


# --- the status rules, on made-up results ------------------------------------------------------------------------


def _row(
    oid: str, rid: str, result: str = "proved", observes: tuple[str, ...] = ("deliver",), **more: Any
) -> dict[str, Any]:
    return {
        "id": oid,
        "family": more.get("family", "limits"),
        "kind": more.get("kind", "safety"),
        "requirements": [rid],
        "statement": "",
        "observes": list(observes),
        "assumes": [],
        "event": None,
        "result": result,
        "seconds": 0.0,
        "used": [],
        "premise": "none",
        "detail": "",
        "counterexample": None,
    }


def _report(
    rows: list[dict[str, Any]], weakenings: list[dict[str, Any]] | None = None, selection: str = "all"
) -> dict[str, dict[str, Any]]:
    induction = _row("CONS/Tick", "LIM-1", observes=(), family="invariants", kind="consecution")
    suite = SuiteResult([induction, *rows], weakenings or [], {}, 0.0, 1, selection)
    return {row["id"]: row for row in to_json(ProofReport(suite))["requirements"]}


def test_bookkeeping_alone_never_proves() -> None:
    """EVD-1: an obligation that observes none of the step's outputs never makes a requirement proved."""
    rows = _report([_row("X", "LIM-1", observes=())])
    assert rows["LIM-1"]["status"] in ("tested", "open")


def test_unknown_vacuous_and_error_are_failures() -> None:
    for result in ("unknown", "vacuous", "error", "failed"):
        rows = _report([_row("A", "LIM-1"), _row("B", "LIM-1", result)])
        assert rows["LIM-1"]["status"] == "open", result


def test_a_missed_planted_defect_opens_its_requirement() -> None:
    missed = {"id": "w", "requirements": ["LIM-1"], "caught_by": None}
    assert _report([_row("A", "LIM-1")], [missed])["LIM-1"]["status"] == "open"


def test_a_partial_run_proves_nothing() -> None:
    """EVD-2: a run of some obligations, or without the planted defects, is never reported as proved."""
    assert _report([_row("A", "LIM-1")], selection="partial")["LIM-1"]["status"] == "open"
    assert _report([_row("A", "LIM-1")])["LIM-1"]["status"] == "proved"


def test_a_failed_induction_opens_everything() -> None:
    bad = _row("CONS/Tick", "LIM-1", "unknown", observes=(), family="invariants", kind="consecution")
    suite = SuiteResult([bad, _row("A", "LIM-1")], [], {}, 0.0, 1)
    rows = {row["id"]: row for row in to_json(ProofReport(suite))["requirements"]}
    assert rows["LIM-1"]["status"] == "open"


def test_a_chunked_goal_is_proved_only_if_every_conjunct_is() -> None:
    """Goals are proved in chunks of ``CHUNK`` conjuncts on the union of their slices: one false conjunct among
    many still fails the obligation, and the chunks cover every conjunct exactly once."""
    import z3

    from proofs.framework import CHUNK, Query, _check, _parts
    from proofs.slicing import SPLIT_ABOVE, conjuncts

    xs = [z3.Int(f"chunk_x{i}") for i in range(CHUNK + SPLIT_ABOVE + 3)]
    hyps = [("H", z3.And(*(x >= 0 for x in xs)))]
    true_goal = z3.And(*(x >= -1 for x in xs))
    parts = _parts(true_goal)
    assert len(parts) == 2
    assert [c.get_id() for p in parts for c in conjuncts(p)] == [c.get_id() for c in conjuncts(true_goal)]
    assert _check(Query(hyps, [], true_goal), 5.0)[0] == z3.unsat
    one_false = z3.And(*(x >= (1 if i == CHUNK + 1 else -1) for i, x in enumerate(xs)))
    assert _check(Query(hyps, [], one_false), 5.0)[0] == z3.sat


def test_hypotheses_are_split_once_and_definitions_stay_out_of_plain_slices() -> None:
    """The slicer's per-hypothesis cache returns the same split for the same term, keeps tracked hypotheses
    whole, and leaves the definitions of named pick conditions out of the plain ones (``proofs.slicing``)."""
    import z3

    from proofs.slicing import Slicer, _parts_of

    a, b = z3.Ints("split_a split_b")
    pick = z3.Bool("pick!split_test")
    plain = z3.And(pick == (a > 0), b > a)
    assert _parts_of(plain, definitions=False) is _parts_of(plain, definitions=False)
    assert [str(p) for p, _ in _parts_of(plain, definitions=False)] == ["split_b > split_a"]
    assert len(_parts_of(plain, definitions=True)) == 2
    slicer = Slicer([("T", z3.And(a >= 0, b >= 0))], [plain])
    assert sorted(label for label, _ in slicer.slice(b > 5)) == ["T", "T", "plain"]


def test_a_chained_goal_leans_on_the_goals_before_it_and_a_false_one_still_fails() -> None:
    """``Query(chained=True)``: a proved goal is a hypothesis of the later ones, and the labels used name the
    hypotheses behind it, never ``GOAL:``; ``using`` restricts only the first attempt (a goal it starves is proved
    on everything), a false goal gives a model of every hypothesis, and ``using`` naming what the goal does not have
    is a build error."""
    import pytest
    import z3

    from proofs.framework import Query, _check

    a, b, c = z3.Ints("chain_a chain_b chain_c")
    hyps = [("A", a >= 1), ("AB", b >= a), ("BC", c >= b), ("noise", a <= 100)]
    goals = [("b", b >= 1), ("c", c >= 1)]
    using = {"c": ("BC", "GOAL:b")}
    answer, _, used, _ = _check(Query(hyps, [], goals, chained=True, using=using), 5.0)
    assert answer == z3.unsat and used == ["A", "AB", "BC"]
    starved = {"c": ("BC",)}  # not enough on its own: the goal is then proved on every hypothesis
    answer, _, used, _ = _check(Query(hyps, [], goals, chained=True, using=starved), 5.0)
    assert answer == z3.unsat and {"A", "AB", "BC"} <= set(used) and not any(u.startswith("GOAL:") for u in used)
    false = [("b", b >= 1), ("c", c >= 2)]
    answer, solver, _, name = _check(Query(hyps, [], false, chained=True, using=using), 5.0)
    assert answer == z3.sat and name == "c" and solver is not None
    model = solver.model()
    assert all(z3.is_true(model.eval(f, model_completion=True)) for _, f in hyps)
    with pytest.raises(ValueError, match="does not have"):
        _check(Query(hyps, [], goals, using=using), 5.0)  # GOAL:b without chained=True
    with pytest.raises(ValueError, match="no goal"):
        _check(Query(hyps, [], goals, chained=True, using={"d": ("A",)}), 5.0)


def _constants_by_python_objects(term: Any, memo: dict[int, frozenset[str]]) -> frozenset[str]:
    """The definition ``proofs.slicing._constants`` keeps, walked through ``z3``'s Python objects."""
    import z3

    from proofs.slicing import PRODUCT_MARK
    from specs.z3_logic import is_product

    key = term.get_id()
    if key not in memo:
        if z3.is_const(term) and term.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            memo[key] = frozenset((term.decl().name(),))
        else:
            found: set[str] = set()
            for child in term.children():
                found |= _constants_by_python_objects(child, memo)
            if is_product(term):
                found.add(f"{PRODUCT_MARK}{key}")
            memo[key] = frozenset(found)
    return memo[key]


def test_the_constant_walk_through_the_c_api_finds_what_the_python_objects_show() -> None:
    """The slicer reads constants through Z3's C API; on every hypothesis and definition of two steps (a tick, with
    products, and a bolus request) and on a quantified formula, it finds the same names as the walk through
    ``z3``'s Python objects, and marks the same product applications."""
    import sys

    import z3

    from proofs.slicing import _constants
    from specs.z3_logic import Z3Logic

    ctx = Context()
    terms: list[Any] = []
    for event in ("Tick", "BolusRequest"):
        st = ctx.step(event)
        terms += [f for _, f in ctx.invariant_hypotheses(st.before)] + list(st.definitions)
    x, k = z3.Int("walk_x"), z3.Int("walk_k")
    product = Z3Logic().mul_small(x, k, 4)
    terms += [product + 1 == x, z3.ForAll([x], z3.Implies(x > k, product >= 0)), z3.IntVal(3) > 2]
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        reference: dict[int, frozenset[str]] = {}
        fast: dict[int, frozenset[str]] = {}
        for term in terms:
            assert _constants(term, fast) == _constants_by_python_objects(term, reference)
    finally:
        sys.setrecursionlimit(old_limit)
    assert any(name.startswith("mul_small#") for term in terms for name in _constants(term, fast))


def test_a_query_without_tracked_hypotheses_goes_straight_to_the_full_query() -> None:
    """With no tracked hypothesis and only definitions among the plain ones, every slice is empty: the runner does
    not try slices (they could only fail on what needs a definition) and the full query, definitions included,
    decides each goal."""
    import z3

    from proofs.framework import Query, _check
    from proofs.slicing import Slicer

    a = z3.Int("straight_a")
    pick = z3.Bool("pick!straight_test")
    definition = pick == (a > 0)
    assert not Slicer([], [definition]).parts
    goals = [("needs-the-definition", z3.Implies(a > 0, pick)), ("and-more", z3.Implies(a > 5, pick))]
    answer, _, used, _ = _check(Query([], [definition], goals), 5.0)
    assert answer == z3.unsat and used == []
    answer, _, _, name = _check(Query([], [definition], [("false", z3.Implies(a > -1, pick))]), 5.0)
    assert answer == z3.sat and name == "false"
