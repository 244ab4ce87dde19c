"""The proof families: one module per group of requirements, each with its obligations and planted defects.

Theory of operation
-------------------
Every family module defines

* ``FAMILY``: its name;
* ``obligations() -> list[Obligation]``: its proof obligations
  (``proofs.framework``), built with ``proofs.builders``; a requirement is
  *proved* only by obligations that observe what the step emits (deliver,
  alarm, notice, outcome) against the reference specs (``specs.reference``),
  never by the kernel's own helpers;
* ``WEAKENINGS``: planted wrong kernels (``proofs.weakening``) that some of its
  obligations must refute;
* ``SCOPE``: for each requirement it speaks of, what its obligations leave
  out (what the adapters or the tests carry), shown beside the status.

``FAMILY_MODULES`` lists them; ``load()`` imports them.  The invariants'
induction (``proofs.invariance``) is a family too: the hypotheses every other
obligation assumes.
"""

from __future__ import annotations

import importlib
from types import ModuleType

FAMILY_MODULES: tuple[str, ...] = (
    "proofs.invariance",
    "proofs.families.limits",
    "proofs.families.delivery",
    "proofs.families.reservoir",
    "proofs.families.sensing",
    "proofs.families.suspend",
    "proofs.families.alarms",
    "proofs.families.alarm_burden",
    "proofs.families.basal",
    "proofs.families.inputs",
    "proofs.families.emission",
    "proofs.families.primitives",
    "proofs.families.bolus",
    "proofs.families.requests",
    "proofs.families.calculator",
)


def load() -> list[ModuleType]:
    """Every family module, in the order of ``FAMILY_MODULES``."""
    return [importlib.import_module(name) for name in FAMILY_MODULES]
