"""A builder's minimal loop: the kernel alone, driven step by step, with the builder API.

Run it with ``python examples/minimal_pump.py``.  No shell, no adapters: this
is what your firmware does around ``step`` (``examples/shell_pump.py`` shows
the same behind the reference shell, with storage and a restart).

It builds a configuration and settings with the validated constructors
(problems come back as named enum members, nothing raises), starts a pump at
07:30 local time, sets it up, lets basal run, gives a bolus, reads insulin on
board, the reservoir and the room left under the limits, shows refusals with
their named reasons, and writes and reads back the persistent record.
Every ``Deliver`` is answered at once by an ideal motor (HARDWARE: yours).
"""

from __future__ import annotations

from typing import Any

from kernel import (
    Corrupt,
    Decoded,
    Deliver,
    Notice,
    NoticeKind,
    PumpConfig,
    PumpState,
    StepResult,
    config_from_units,
    decode,
    encode,
    events,
    fresh_glucose_mgdl,
    glucose_use,
    insulin_on_board_mu,
    limit_room_mu,
    make_settings,
    notice_cause,
    pump_mode,
    record_problem,
    reservoir_mu,
    settings_from_units,
    start_state,
    step,
)

MU_PER_U = 1000


def units(mu: int) -> str:
    """Milliunits as units with two decimals (display only)."""
    return f"{mu / MU_PER_U:.2f} U"


def name(code: Any) -> str:
    """A named code's name; ``None`` (no code) as "none"."""
    return "none" if code is None else str(code.name)


def names(codes: list[Any]) -> list[str]:
    """The names of named codes.  (``is not None``: a code of value 0, such as ``COMPLETED``, is falsy.)"""
    return [code.name for code in codes if code is not None]


class Pump:
    """The smallest driver: one ``step`` per event, an ideal motor (HARDWARE), the notices kept."""

    def __init__(self, config: PumpConfig, state: PumpState) -> None:
        self.config, self.state = config, state
        self.notices: list[Notice] = []

    def submit(self, event: object) -> StepResult:
        result = step(self.config, self.state, event)
        self.state = result.state
        for command in result.commands:
            if isinstance(command, Notice):
                self.notices.append(command)
            if isinstance(command, Deliver):  # HARDWARE: your motor displaces the pulses and reports
                report = events.MotorReport(self.state.now_ticks, command.seq, command.pulses)
                answer = step(self.config, self.state, report)
                assert answer.outcome.accepted, answer.outcome
                self.state = answer.state
                self.notices.extend(c for c in answer.commands if isinstance(c, Notice))
        return result

    def tick(self, minutes: int) -> None:
        for _ in range(minutes):  # HARDWARE: your one-minute timer
            self.submit(events.Tick(self.state.now_ticks + 1))


def main() -> dict[str, int]:
    # 1. Configuration, fixed for the device build: validated, named problems, never raised.
    config, problems = config_from_units(pulse_mu=50, reservoir_units=300)
    assert config is not None, problems
    _, refused = config_from_units(pulse_mu=50, reservoir_units=300, max_bolus_ceiling_pulses=1000)
    print("config with a 50 U bolus ceiling:", [p.name for p in refused])

    # 2. Therapy settings in user units (mU, mU/h, minutes, hours), checked before the pump sees them.
    _, refused_settings = settings_from_units(config, max_bolus_mu=12_345, dia_minutes=200)
    print("settings with 12.345 U max bolus, DIA 200 min:", [p.name for p in refused_settings])
    settings, settings_problems = settings_from_units(config, auto_off_hours=0, lgs_enabled=False)
    assert settings is not None, settings_problems

    # 3. A new pump at 07:30 local time (kernel time starts at 0).
    state, start_problems = start_state(config, now_ticks=0, time_of_day_ticks=7 * 60 + 30)
    assert state is not None, start_problems
    pump = Pump(config, state)

    # 4. Set-up (RES-3): settings, fill 200 U, prime, fill the cannula, resume.
    now = pump.state.now_ticks
    for event in (
        events.SettingsChange(now, settings),
        events.FillReservoir(now, 4000),
        events.PrimeTubing(now, 20),
        events.FillCannula(now, 10),
        events.Resume(now),
    ):
        outcome = pump.submit(event).outcome
        assert outcome.accepted, outcome
    print(f"set up: mode {pump_mode(pump.state).name}, reservoir {units(reservoir_mu(config, pump.state))}")

    # 5. A sensor reading, and one the kernel will not use (it says why, by name).
    pump.submit(events.GlucoseReading(pump.state.now_ticks, pump.state.now_ticks, 130))
    print(f"glucose: {name(glucose_use(pump.state))} {fresh_glucose_mgdl(config, pump.state)} mg/dL")
    pump.tick(1)
    pump.submit(events.GlucoseReading(pump.state.now_ticks, pump.state.now_ticks, 300))
    print(f"a jump to 300 mg/dL in a minute: {name(glucose_use(pump.state))}")

    # 6. An hour of basal, a 2 U bolus, then 20 minutes.
    pump.tick(59)
    bolus = events.BolusRequest(pump.state.now_ticks, request_id=1, source=events.Source.USER, immediate_pulses=40)
    assert pump.submit(bolus).outcome.accepted
    pump.tick(20)
    iob = insulin_on_board_mu(config, pump.state)
    room = limit_room_mu(config, pump.state)
    left = reservoir_mu(config, pump.state)
    print(f"after 80 min: IOB {units(iob)}, reservoir {units(left)}, room under the limits {units(room)}")

    # 7. Refusals: every one names its reason; a refused settings change lists its failed rules.
    too_big = events.BolusRequest(pump.state.now_ticks, request_id=2, source=events.Source.USER, immediate_pulses=400)
    refusal = pump.submit(too_big).outcome
    print(f"a 20 U bolus: {refusal.reason.name}")
    unchecked = make_settings(config, max_bolus_mu=20_000, max_hourly_mu=10_000)  # not validated: the step does it
    change = pump.submit(events.SettingsChange(pump.state.now_ticks, unchecked)).outcome
    print(f"settings change: {change.reason.name} {[rule.name for rule in change.problems]}")
    ended = [notice_cause(n) for n in pump.notices if n.kind == NoticeKind.BOLUS_ENDED]
    unused = [notice_cause(n) for n in pump.notices if n.kind == NoticeKind.GLUCOSE_NOT_USED]
    print(f"notices: bolus ended {names(ended)}, glucose not used {names(unused)}")

    # 8. The persistent record (PER-1): encode, decode, the same state; a damaged record is named.
    record = encode(config, pump.state)
    back = decode(record)
    assert isinstance(back, Decoded) and back.state == pump.state and encode(back.config, back.state) == record
    damaged = decode(record[:-2] + b"0}")
    assert isinstance(damaged, Corrupt)
    print(f"record: {len(record)} bytes, read back equal; damaged: {record_problem(damaged).name}")

    return {
        "iob_mu": iob,
        "reservoir_mu": left,
        "limit_room_mu": room,
        "refusal": int(refusal.reason),
        "settings_refusal": int(change.reason),
        "record_bytes": len(record),
        "bolus_stop_causes": len(ended),
        "now_ticks": pump.state.now_ticks,
        "time_of_day_ticks": pump.state.time_of_day_ticks,
    }


if __name__ == "__main__":
    main()
