"""Human units beside the kernel's internal ones: U, U/h, U/min, min, h, mg/dL next to pulses, ticks and mU.

Theory of operation
-------------------
The kernel counts insulin in whole pulses and time in one-minute ticks; a
configuration field's name carries its unit (``_pulses``, ``_pph`` pulses per
hour, ``_ticks``, ``_mgdl``, ``_mgdl_per_tick``, ``_kpa``, ``_mu``
milliunits).  ``human(field, value, pulse_mu)`` gives the same quantity in
the units a clinician reads, exactly (decimal arithmetic, no rounding): one
pulse is ``PumpConfig.pulse_mu`` mU, 1 U is 1000 mU, one tick is one minute.
``internal(field, value)`` is the value with its internal unit spelled out.
"""

from __future__ import annotations

from decimal import Decimal

MU_PER_UNIT = 1000
MINUTES_PER_TICK = 1


def units_of_insulin(pulses: int, pulse_mu: int) -> str:
    """``pulses`` of ``pulse_mu`` mU each, in U (exact, trailing zeros dropped)."""
    amount = Decimal(pulses * pulse_mu) / MU_PER_UNIT
    text = format(amount.normalize(), "f")
    return f"{text} U"


def duration(ticks: int) -> str:
    """``ticks`` one-minute ticks as minutes, with hours or days when whole enough to help."""
    minutes = ticks * MINUTES_PER_TICK
    text = f"{minutes:,} min"
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes // 60
        text += f" ({hours} h)" if hours < 48 or hours % 24 else f" ({hours // 24} days)"
    elif minutes > 60:
        text += f" ({Decimal(minutes) / 60:.1f} h)"
    return text


def internal(field: str, value: int) -> str:
    """The value with its internal unit, from the field's name."""
    for suffix, unit in (
        ("_mgdl_per_tick", "mg/dL per tick"),
        ("_pulses_per_tick", "pulses per tick"),
        ("_pulses", "pulses"),
        ("_pph", "pulses/h"),
        ("_ticks", "ticks"),
        ("_mgdl", "mg/dL"),
        ("_kpa", "kPa"),
        ("_mu", "mU"),
        ("_percent_max", "%"),
        ("_samples", "samples"),
    ):
        if field.endswith(suffix):
            return f"{value:,} {unit}"
    return f"{value:,}"


def human(field: str, value: int, pulse_mu: int) -> str:
    """The value in human units (U, U/h, U/min, min, h, mg/dL); the internal text when there is nothing to add."""
    if field == "pulse_mu":
        return f"{units_of_insulin(1, value)} per pulse"
    if field.endswith("_pulses_per_tick"):
        return f"{units_of_insulin(value, pulse_mu)}/min"
    if field.endswith("_pulses"):
        return units_of_insulin(value, pulse_mu)
    if field.endswith("_pph"):
        return f"{units_of_insulin(value, pulse_mu)}/h"
    if field.endswith("_ticks"):
        return duration(value)
    if field.endswith("_mgdl_per_tick"):
        return f"{value} mg/dL per min"
    if field.endswith("_mgdl"):
        return f"{value} mg/dL"
    return internal(field, value)


def config_rows(values: dict[str, int]) -> list[list[str]]:
    """[field, internal value, human value] for every field of a configuration table."""
    pulse_mu = int(values.get("pulse_mu", 0))
    return [[f"`{k}`", internal(k, int(v)), human(k, int(v), pulse_mu)] for k, v in values.items()]
