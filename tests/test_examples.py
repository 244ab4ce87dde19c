"""The embedding guide's builder example (examples/minimal_pump.py) runs, and says what the guide shows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kernel.reasons import Reason


def test_minimal_pump_example(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).resolve().parent.parent / "examples" / "minimal_pump.py"
    spec = importlib.util.spec_from_file_location("minimal_pump", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main()
    out = capsys.readouterr().out
    assert figures["refusal"] == Reason.ABOVE_MAX_BOLUS and figures["settings_refusal"] == Reason.SETTINGS_INVALID
    assert figures["now_ticks"] == 80 and figures["time_of_day_ticks"] == 7 * 60 + 30 + 80
    # 2 U bolus and 80 minutes of basal from 07:30 (1.1 U/h, then 0.9 U/h from 08:00): 3.25 U commanded.
    assert figures["reservoir_mu"] == 198_500 - 3_250
    assert 0 < figures["iob_mu"] <= 3_250 and figures["limit_room_mu"] > 0
    assert figures["bolus_stop_causes"] == 1
    for line in (
        "config with a 50 U bolus ceiling: ['MAX_BOLUS_CEILING_ABOVE_HARD_CEILING']",
        "settings with 12.345 U max bolus, DIA 200 min: ['MAX_BOLUS_NOT_WHOLE_PULSES', 'DIA_NOT_30_MINUTE_STEPS']",
        "a jump to 300 mg/dL in a minute: IMPLAUSIBLE_JUMP",
        "a 20 U bolus: ABOVE_MAX_BOLUS",
        "settings change: SETTINGS_INVALID ['MAX_BOLUS_OUTSIDE_CEILING', 'MAX_BOLUS_ABOVE_HOURLY_LIMIT']",
        "notices: bolus ended ['COMPLETED'], glucose not used ['IMPLAUSIBLE_JUMP']",
        "damaged: CHECKSUM_MISMATCH",
    ):
        assert line in out, line
