"""The lemma chains of proofs.arithmetic_lemmas (CALC-2, CALC-3): they name the primitives' own terms, prove
what they say on small bit counts, and fail when their premise is missing."""

from __future__ import annotations

from typing import Any

import z3

from proofs import arithmetic_lemmas as lemmas
from proofs.framework import Obligation, Query, run_query
from specs.z3_logic import Z3Logic, _shift_and_add, restoring_steps, shift_and_add_steps

BITS = 6


def _run(tracked: list[tuple[str, Any]], goals: list[tuple[str, Any]]) -> str:
    query = Query(tracked, [], goals, chained=True)
    obligation = Obligation("TEST/lemmas", "test", "safety", ("CALC-2",), "test", lambda ctx: query)
    return run_query(obligation, query, lambda q, m: {}).status


def test_the_steps_end_in_the_primitives_own_terms() -> None:
    """The last step is the very term (same AST) that divmod_bounded and the product's sum build."""
    n, d, x, k = z3.Ints("n d x k")
    quotient, rest = Z3Logic().divmod_bounded(n, d, BITS)
    _, last_quotient, last_rest = restoring_steps(n, d, BITS)[-1]
    assert last_quotient.eq(quotient) and last_rest.eq(rest)
    assert shift_and_add_steps(x, k, BITS)[-1][1].eq(_shift_and_add(x, k, BITS))
    assert [bit for bit, _, _ in restoring_steps(n, d, BITS)] == list(range(BITS - 1, -1, -1))


def test_each_chain_proves_its_property() -> None:
    """Remainder below the divisor, the identity for a constant divisor, quotients, rounded values and products
    in order: each chain ends in its property, proved."""
    n, m, d, x, y, k = z3.Ints("n m d x y k")
    pre = z3.BoolVal(True)
    domain = [("d-positive", d >= 1), ("n-range", z3.And(n >= 0, n < d * (1 << BITS)))]
    _, _, rest = restoring_steps(n, d, BITS)[-1]
    assert _run(domain, [*lemmas.remainder_bounds("r", n, d, BITS, pre), ("below", rest < d)]) == "proved"
    _, quotient, rest = restoring_steps(n, d, BITS)[-1]
    identity = lemmas.quotient_identity("i", n, d, 3, BITS, pre)
    assert _run(domain, [*identity, ("whole", z3.Implies(d == 3, n == 3 * quotient + rest))]) == "proved"
    ordered = [("d-positive", d >= 1), ("order", n <= m), ("n-range", n >= 0)]
    _, q_n, r_n = restoring_steps(n, d, BITS)[-1]
    _, q_m, r_m = restoring_steps(m, d, BITS)[-1]
    chain = lemmas.quotient_monotone("q", n, d, m, d, BITS, pre)
    assert _run(ordered, [*chain, ("quotients", q_n <= q_m)]) == "proved"
    chain = lemmas.rounded_monotone("t", n, m, d, BITS, pre)
    assert _run(ordered, [*chain, ("rounded", n - r_n <= m - r_m)]) == "proved"
    products = lemmas.product_monotone("p", x, y, k, BITS)
    factors = [("order", x <= y), ("k-range", z3.And(k >= 0, k < (1 << BITS)))]
    end = ("product", _shift_and_add(x, k, BITS) <= _shift_and_add(y, k, BITS))
    assert _run(factors, [*products, end]) == "proved"


def test_a_chain_without_its_premise_fails() -> None:
    """Quotients of a larger and a smaller dividend are not in order: the chain fails (a model), never proves."""
    n, m, d = z3.Ints("n m d")
    unordered = [("d-positive", d >= 1), ("n-range", n >= 0)]
    chain = lemmas.quotient_monotone("q", n, d, m, d, BITS, z3.BoolVal(True))
    assert _run(unordered, chain) == "failed"
