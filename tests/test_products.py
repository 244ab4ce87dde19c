"""Products as applications of one function, defined by their shift-and-add sums (``specs.z3_logic``).

``Z3Logic.mul_small`` returns ``mul_small_<bits>(x, k)`` and keeps its sum as its definition; the proof runner
either replaces every product by its sum (the default: the very terms of the old encoding) or keeps the
applications and asserts the definition of every product the query mentions (``Query.products``).  Here:
the expansion (Z3's instantiation of the function's body) gives back the sum ``mul_small`` builds for those
arguments, AST for AST; the definitions a query gets are those of the products it
mentions, a product inside a product included; a goal about a product's value is proved either way, and
is *not* proved when the definitions are withheld (so they are what the proof uses: a missing definition
can only make a proof fail, never pass).  Requirements: the trusted base of every proof (docs/proofs.md).
"""

from __future__ import annotations

import z3

from proofs.framework import Obligation, Query, _check, run_query, with_product_definitions, without_products
from specs.z3_logic import (
    Z3Logic,
    _shift_and_add,
    expand_products,
    is_product,
    product_definitions,
    products_in,
)


def _obligation() -> Obligation:
    return Obligation("TEST/products", "test", "lemma", (), "a product's value", lambda ctx: Query([], [], True))


def test_a_product_is_an_application_whose_expansion_is_its_sum_ast_for_ast() -> None:
    x, k = z3.Int("prod_x"), z3.Int("prod_k")
    logic = Z3Logic()
    product = logic.mul_small(x, k, 4)
    assert is_product(product) and product.decl().name() == "mul_small_4"
    assert logic.mul_small(x, k, 4).eq(product), "the same arguments give the same application"
    assert expand_products(product).eq(_shift_and_add(x, k, 4))
    assert expand_products(product + 1 < x).eq(_shift_and_add(x, k, 4) + 1 < x)
    assert logic.mul_small(x, 3, 4) is not None and not is_product(logic.mul_small(x, 3, 4)), "a literal factor"
    assert logic.mul_small(3, k, 4).eq(_shift_and_add(3, k, 4)), "a literal multiplicand: the plain sum"


def test_a_query_gets_the_definitions_of_the_products_it_mentions_nested_included() -> None:
    x, k, j = z3.Int("nest_x"), z3.Int("nest_k"), z3.Int("nest_j")
    logic = Z3Logic()
    inner = logic.mul_small(x, k, 3)
    outer = logic.mul_small(j, inner, 5)
    other = logic.mul_small(j, k, 3)  # made, but not mentioned by the query below
    query = with_product_definitions(Query([], [], outer >= 0))
    defined = {d.arg(0).get_id() for d in query.plain}
    assert defined == {inner.get_id(), outer.get_id()}
    assert other.get_id() not in defined
    assert [d.get_id() for d in product_definitions({outer.get_id()})] == [d.get_id() for d in query.plain]
    assert products_in(expand_products(outer)) == set()


def test_a_goal_about_a_product_is_proved_with_its_definition_and_not_without() -> None:
    x, k = z3.Int("goal_x"), z3.Int("goal_k")
    product = Z3Logic().mul_small(x, k, 4)
    hyps = [("H", z3.And(k == 5, x >= 0, x <= 100))]
    goal = product == 5 * x
    for products in (False, True):
        result = run_query(_obligation(), Query(hyps, [], goal, products=products), lambda q, m: {})
        assert result.status == "proved", products
    withheld = Query(hyps, [], goal)  # the application left uninterpreted: any function, so not proved
    assert _check(withheld, 5.0)[0] == z3.sat
    assert _check(without_products(withheld), 5.0)[0] == z3.unsat


def test_the_percent_temp_accounting_is_proved_and_a_one_point_error_in_the_product_is_refuted() -> None:
    """``GHOST-CONS/basal/Tick`` keeps products as applications: proved on the shipped kernel, and refuted, with
    a counterexample the planted kernel replays, when the kernel's percent product has one point too many."""
    from proofs.context import Context, describe
    from proofs.families import basal
    from proofs.weakening import planted

    obligation = next(ob for ob in basal.obligations() if ob.id == "GHOST-CONS/basal/Tick")
    assert obligation.build(Context()).products
    assert run_query(obligation, obligation.build(Context()), describe).status == "proved"
    weakening = next(w for w in basal.WEAKENINGS if w.id == "basal/percent-one-point-high")
    with planted(weakening.patches):
        result = run_query(obligation, obligation.build(Context()), describe)
        assert result.status == "failed", result.detail
        assert result.counterexample is not None and result.counterexample["kernel_agrees"]
