"""Every quantity in human units beside the internal one: U, U/h, U/min, min, h, mg/dL next to pulses and ticks.

One pulse is ``PumpConfig.pulse_mu`` mU (1 U = 1000 mU), one tick one minute;
the conversions are exact.  The configuration table of the report shows both.
"""

from __future__ import annotations

import pathlib

import pytest

from kernel.config import DEFAULT_CONFIG
from pumpkernel.report.bundle import write_bundle
from pumpkernel.report.units import config_rows, human, internal
from tests.bundle.fakes import fake_verification


@pytest.mark.parametrize(
    ("field", "value", "pulse_mu", "expected"),
    [
        ("pulse_mu", 50, 50, "0.05 U per pulse"),
        ("max_bolus_ceiling_pulses", 340, 50, "17 U"),
        ("reservoir_very_low_pulses", 3, 25, "0.075 U"),
        ("max_basal_ceiling_pph", 200, 50, "10 U/h"),
        ("bolus_pulses_per_tick", 30, 50, "1.5 U/min"),
        ("temp_max_ticks", 1440, 50, "1,440 min (24 h)"),
        ("set_max_age_ceiling_ticks", 10080, 50, "10,080 min (7 days)"),
        ("lgs_max_ticks", 120, 50, "120 min (2 h)"),
        ("temp_min_ticks", 15, 50, "15 min"),
        ("extended_max_ticks", 90, 50, "90 min (1.5 h)"),
        ("glucose_max_mgdl", 400, 50, "400 mg/dL"),
        ("glucose_max_change_mgdl_per_tick", 8, 50, "8 mg/dL per min"),
        ("occlusion_pressure_kpa", 150, 50, "150 kPa"),
    ],
)
def test_human_units(field: str, value: int, pulse_mu: int, expected: str) -> None:
    assert human(field, value, pulse_mu) == expected


def test_internal_units_are_spelled_out() -> None:
    assert internal("max_bolus_ceiling_pulses", 340) == "340 pulses"
    assert internal("max_basal_ceiling_pph", 200) == "200 pulses/h"
    assert internal("temp_max_ticks", 1440) == "1,440 ticks"


def test_the_configuration_table_shows_both(tmp_path: pathlib.Path) -> None:
    rows = config_rows({"pulse_mu": 50, "max_bolus_ceiling_pulses": 340})
    assert rows == [["`pulse_mu`", "50 mU", "0.05 U per pulse"], ["`max_bolus_ceiling_pulses`", "340 pulses", "17 U"]]
    write_bundle(fake_verification(tmp_path), tmp_path)
    report = (tmp_path / "report.md").read_text()
    bolus = DEFAULT_CONFIG.max_bolus_ceiling_pulses
    units = bolus * DEFAULT_CONFIG.pulse_mu / 1000
    assert f"| `max_bolus_ceiling_pulses` | {bolus} pulses | {units:g} U |" in report
    assert "| field | internal value | human units |" in report
