"""Hypothesis profiles for the property tests, chosen by ``HYPOTHESIS_PROFILE``.

* ``ci`` (default): derandomized (the same examples on every run, so CI is
  reproducible) and without an example database; sized so the property tests
  add about two minutes to ``pytest -n 2`` on two cores.
* ``quick``: a smoke run while editing, and the profile mutation testing uses.
* ``deep`` (``make deep``): hundreds of thousands of examples in total, long
  stateful runs; still derandomized is off so every run explores anew.

``scale(ci=..., quick=..., deep=...)`` gives per-test sizes (random-run lengths,
fuzz counts) for the active profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "ci",
    max_examples=60,
    stateful_step_count=60,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)
settings.register_profile(
    "quick",
    max_examples=10,
    stateful_step_count=30,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=_SLOW_OK,
)
settings.register_profile(
    "deep",
    max_examples=20_000,
    stateful_step_count=400,
    derandomize=False,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def scale(*, ci: int, quick: int, deep: int) -> int:
    """A size for the active profile."""
    return {"ci": ci, "quick": quick, "deep": deep}.get(PROFILE, ci)
