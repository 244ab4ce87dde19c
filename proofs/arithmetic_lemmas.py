"""Lemma chains for the kernel's bounded arithmetic on Z3 terms: restoring division and shift-and-add products.

Theory of operation
-------------------
``Z3Logic.divmod_bounded`` unrolls a restoring division into one
compare-and-subtract per quotient bit, and ``Z3Logic.mul_small`` a product
into one conditional shifted term per bit of its second factor
(``specs.z3_logic.restoring_steps``, ``shift_and_add_steps``).  A property
of the whole unrolled term (a remainder below the divisor, a quotient that
grows with the dividend) is an induction over the bits that Z3 does not find
by itself: the calculator's rounding and monotonicity queries ended
``unknown`` after minutes.  Stated bit by bit, each step is a small linear
fact about the previous one, which Z3 proves at once.

Each function here returns named goals for a chained ``Query``
(``proofs.framework``: a goal once proved is a hypothesis of the goals after
it).  The goals name the intermediate terms the primitive builds, rebuilt by
the same ``specs.z3_logic`` step functions, so they are the very terms (Z3
shares equal terms) of the kernel's computation.  They are hints, never
assumptions: every goal is proved from the hypotheses and the goals before
it, so a hint that did not match the kernel's terms would make the
obligation fail, not pass.  Every goal holds under ``pre`` (the obligation's
condition, for instance that the inputs were valid); the divisor and the
second factor must be at least 0 there (the settings rules give it).

Units: whatever the dividend, divisor and factors count (pulses, numerators
over a denominator); ``bits`` is the primitive's bit count at the call.
"""

from __future__ import annotations

from typing import Any

import z3

from specs.z3_logic import restoring_steps, shift_and_add_steps


def remainder_bounds(tag: str, n: Any, d: Any, bits: int, pre: Any) -> list[tuple[str, Any]]:
    """For ``0 <= n < d * 2**bits``: after each bit ``b`` the rest is in ``0 .. d * 2**b - 1``, so the
    remainder ends below ``d`` (the first goal is that ``pre`` gives the domain)."""
    goals: list[tuple[str, Any]] = [(f"{tag}/domain", z3.Implies(pre, z3.And(n >= 0, n < d * (1 << bits))))]
    for bit, _, rest in restoring_steps(n, d, bits):
        goals.append((f"{tag}/rest-bound-{bit}", z3.Implies(pre, z3.And(rest >= 0, rest < d * (1 << bit)))))
    return goals


def quotient_identity(tag: str, n: Any, d: Any, divisor: int, bits: int, pre: Any) -> list[tuple[str, Any]]:
    """Where ``d`` equals the constant ``divisor``: ``n == divisor * quotient + rest`` after every bit (linear,
    the divisor being a constant), so ``n - remainder`` is a whole multiple of it."""
    where = z3.And(pre, d == divisor)
    return [
        (f"{tag}/identity-{divisor}-{bit}", z3.Implies(where, n == divisor * quotient + rest))
        for bit, quotient, rest in restoring_steps(n, d, bits)
    ]


def quotient_monotone(
    tag: str, n_lo: Any, d_lo: Any, n_hi: Any, d_hi: Any, bits: int, pre: Any
) -> list[tuple[str, Any]]:
    """For the same divisor and ``n_lo <= n_hi``: after each bit ``b`` either the quotient so far of ``n_lo`` is
    at least ``2**b`` below that of ``n_hi``, or they are equal and so is the order of the rests; at the end
    the quotients are in order."""
    goals: list[tuple[str, Any]] = [(f"{tag}/same-divisor", z3.Implies(pre, d_lo == d_hi))]
    for (bit, q_lo, r_lo), (_, q_hi, r_hi) in zip(
        restoring_steps(n_lo, d_lo, bits), restoring_steps(n_hi, d_hi, bits), strict=True
    ):
        ordered = z3.Or(q_lo + (1 << bit) <= q_hi, z3.And(q_lo == q_hi, r_lo <= r_hi))
        goals.append((f"{tag}/quotient-order-{bit}", z3.Implies(pre, ordered)))
    return goals


def rounded_monotone(tag: str, n_lo: Any, n_hi: Any, d: Any, bits: int, pre: Any) -> list[tuple[str, Any]]:
    """For ``n_lo <= n_hi`` and ``d >= 0``: ``n - rest``, what the division took away so far, in order after each
    bit (at least ``d * 2**b`` apart, or equal with the rests in order); at the end ``n - remainder`` (``n``
    rounded down to a multiple of ``d``) is in order, without a product of ``d`` by a quotient."""
    goals: list[tuple[str, Any]] = []
    steps = zip(restoring_steps(n_lo, d, bits), restoring_steps(n_hi, d, bits), strict=True)
    for (bit, _, r_lo), (_, _, r_hi) in steps:
        taken_lo, taken_hi = n_lo - r_lo, n_hi - r_hi
        ordered = z3.Or(taken_lo + d * (1 << bit) <= taken_hi, z3.And(taken_lo == taken_hi, r_lo <= r_hi))
        goals.append((f"{tag}/taken-order-{bit}", z3.Implies(pre, ordered)))
    return goals


def product_monotone(tag: str, x_lo: Any, x_hi: Any, k: Any, bits: int) -> list[tuple[str, Any]]:
    """For ``x_lo <= x_hi`` and the same second factor ``k``: the sums so far in order after each bit of ``k``,
    so the products ``x_lo * k <= x_hi * k``."""
    steps = zip(shift_and_add_steps(x_lo, k, bits), shift_and_add_steps(x_hi, k, bits), strict=True)
    return [(f"{tag}/product-order-{bit}", lo <= hi) for (bit, lo), (_, hi) in steps]
