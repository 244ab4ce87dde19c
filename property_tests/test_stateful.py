"""A Hypothesis state machine over the real kernel: every event kind, hostile ones, a simulated motor.

Every rule issues events through ``property_tests.world.World.apply``, which
checks after every step that no exception escaped (INP-1), that every shared
invariant holds (``specs.invariants``), that a refused event changed nothing
but the log and commanded nothing (INP-1, INP-2, LOG-1), and that the
independent oracle's limits hold (LIM-1, LIM-2, LIM-3, LIM-5, BOL-1, BOL-3,
BAS-4, RES-1, RES-3).  Rules aim events at the worst moments: during a
bolus, a prime, an occlusion, an uncertain delivery; with stale and future
ticks, duplicated request IDs (BOL-5), and fields of the wrong type.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Deliver
from kernel.config import DEFAULT_CONFIG, make_config
from kernel.events import CancelTarget, Source, TempKind
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.record import Decoded, decode, encode
from kernel.state import evolve, field_names
from property_tests.conformance import Conformance
from property_tests.world import (
    ODD_VALUES,
    HypothesisChooser,
    MotorBehaviour,
    World,
    hostile_event,
    recovery_event,
    settings_presets,
    well_formed_event,
)

CONFIGS = (DEFAULT_CONFIG, make_config(pulse_mu=100, reservoir_units=200), make_config(pulse_mu=25))

CONFORMANCE = Conformance()
"""Z3 conformance of a sample of the machine's steps (``property_tests.conformance``)."""


class PumpMachine(RuleBasedStateMachine):
    """The pump under random and hostile events (see module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.world = World.fresh(DEFAULT_CONFIG)

    @initialize(config_index=st.integers(0, len(CONFIGS) - 1), preset=st.integers(0, 2), set_up=st.booleans())
    def start(self, config_index: int, preset: int, set_up: bool) -> None:
        self.world = World.fresh(CONFIGS[config_index])
        self.world.on_step = CONFORMANCE.maybe_check
        if set_up:
            self.world.set_up(settings_presets(self.world.config)[preset])

    # Time and the motor.

    @rule(count=st.integers(1, 20), behaviour=st.sampled_from(MotorBehaviour.ALL), data=st.data())
    def ticks(self, count: int, behaviour: str, data: st.DataObject) -> None:
        """Minutes pass; the motor answers each command as ``behaviour`` says (DLV-1..3, OCC-1, CLK-1)."""
        chooser = HypothesisChooser(data.draw)
        for _ in range(count):
            self.world.apply(ev.Tick(self.world.now + 1))
            self.world.answer_all(behaviour, chooser)

    @rule()
    def missed_tick(self) -> None:
        """A tick the platform missed: time moves, nothing is caught up (CLK-1)."""
        self.world.apply(ev.Tick(self.world.now + 1, True))

    @rule()
    def late_answers(self) -> None:
        """Read-back of commands whose answer was held back (DLV-2)."""
        self.world.answer_late()

    # Any event, well-formed or hostile.

    @rule(data=st.data())
    def any_event(self, data: st.DataObject) -> None:
        """An event of any class with plausible fields (INP-1, CLK-2, every handler)."""
        self.world.apply(well_formed_event(self.world, HypothesisChooser(data.draw)))

    @rule(data=st.data())
    def hostile(self, data: st.DataObject) -> None:
        """Stale, future, ill-typed, absurd or not an event at all: refused, nothing changes (INP-1, CLK-2)."""
        result = self.world.apply(hostile_event(self.world, HypothesisChooser(data.draw)))
        assert result.outcome.reason != Reason.ACCEPTED or result.state.mode in set(Mode)

    @rule(cls=st.sampled_from(ev.EVENT_CLASSES), odd=st.sampled_from(ODD_VALUES), data=st.data())
    def wrong_field_type(self, cls: type, odd: object, data: st.DataObject) -> None:
        """Every event class with one field of the wrong type is refused ILL_TYPED or OUT_OF_RANGE (INP-1)."""
        from specs.z3_model import EVENT_TEMPLATES

        template = evolve(EVENT_TEMPLATES[cls], tick=self.world.now)
        name = data.draw(st.sampled_from(list(field_names(template))))
        result = self.world.apply(evolve(template, **{name: odd}))
        [(_, kind, low, high)] = [spec for spec in ev.EVENT_SCHEMA[cls] if spec[0] == name]
        in_domain = kind is int and type(odd) is int and low <= odd <= high  # e.g. -1 for delta_ticks
        assert in_domain or not result.outcome.accepted

    @precondition(lambda self: self.world.state.mode != Mode.DELIVERING)
    @rule()
    def recover(self) -> None:
        """The next step back toward delivery (RES-3, OCC-4, ALM-1)."""
        event = recovery_event(self.world)
        if event is not None:
            self.world.apply(event)
            self.world.answer_all(MotorBehaviour.EXACT)

    # Worst moments.

    @rule(
        immediate=st.integers(0, 40),
        extended=st.integers(0, 40),
        ext_ticks=st.sampled_from((0, 15, 30, 120, 14, 481)),
        source=st.sampled_from(tuple(Source)),
        duplicate=st.booleans(),
    )
    def bolus(self, immediate: int, extended: int, ext_ticks: int, source: int, duplicate: bool) -> None:
        """Normal, extended and dual boluses, with repeated IDs answered without delivery (BOL-1..5, SEC-2)."""
        w = self.world
        rid = w.request_ids[-1] if duplicate and w.request_ids else w.fresh_request_id()
        result = w.apply(ev.BolusRequest(w.now, rid, source, immediate, extended, ext_ticks))
        if result.outcome.replayed:
            assert not any(isinstance(c, Deliver) for c in result.commands), "a repeated request delivered"

    @precondition(
        lambda self: self.world.state.bolus.remaining_pulses + self.world.state.bolus.ext_remaining_pulses > 0
    )
    @rule(
        cancel=st.sampled_from(tuple(CancelTarget)),
        suspend=st.booleans(),
        behaviour=st.sampled_from(MotorBehaviour.ALL),
        data=st.data(),
    )
    def interrupt_bolus(self, cancel: int, suspend: bool, behaviour: str, data: st.DataObject) -> None:
        """During a bolus: cancel or suspend, with the motor misbehaving (BOL-6, SUS-1, OCC-2)."""
        w = self.world
        w.apply(ev.Tick(w.now + 1))
        w.answer_all(behaviour, HypothesisChooser(data.draw))
        w.apply(ev.Suspend(w.now) if suspend else ev.CancelBolus(w.now, cancel))

    @precondition(lambda self: self.world.state.motor.pending_pulses > 0)
    @rule(data=st.data())
    def during_uncertain_delivery(self, data: st.DataObject) -> None:
        """While a command is unconfirmed: a new bolus, a controller temp, a stale report (DLV-2, LIM-5)."""
        w = self.world
        chooser = HypothesisChooser(data.draw)
        choice = chooser.integers(0, 3)
        if choice == 0:
            w.apply(ev.BolusRequest(w.now, w.fresh_request_id(), Source.USER, 2, 0, 0))
        elif choice == 1:
            w.apply(ev.TempBasal(w.now, w.fresh_request_id(), Source.CONTROLLER, TempKind.PERCENT, 200, 30))
        elif choice == 2:
            w.apply(ev.MotorReport(w.now, max(1, w.state.motor.seq - 1), 1))
        else:
            w.apply(ev.MotorReport(w.now, w.state.motor.seq + 1, 1))

    @precondition(lambda self: self.world.state.mode in (Mode.FILLED, Mode.PRIMED, Mode.READY))
    @rule(pulses=st.integers(0, 700), data=st.data())
    def during_prime(self, pulses: int, data: st.DataObject) -> None:
        """During a reservoir change: priming too much, cannula fills out of range, a bolus (RES-3)."""
        w = self.world
        choice = data.draw(st.integers(0, 3))
        if choice == 0:
            w.apply(ev.PrimeTubing(w.now, max(1, pulses)))
        elif choice == 1:
            w.apply(ev.FillCannula(w.now, pulses))
        elif choice == 2:
            w.apply(ev.BolusRequest(w.now, w.fresh_request_id(), Source.USER, 1, 0, 0))
        else:
            w.apply(ev.Resume(w.now))
        w.answer_all(data.draw(st.sampled_from(MotorBehaviour.ALL)), HypothesisChooser(data.draw))

    @precondition(lambda self: self.world.state.mode == Mode.DELIVERING)
    @rule(samples=st.integers(1, 5))
    def occlude(self, samples: int) -> None:
        """High line pressure on every command until the occlusion is raised (OCC-1..3)."""
        w = self.world
        for _ in range(samples * 5):
            w.apply(ev.Tick(w.now + 1))
            w.answer_all(MotorBehaviour.HIGH_PRESSURE)
        if w.state.mode == Mode.OCCLUDED:
            assert w.state.alarms[AlarmKind.OCCLUSION] in (AlarmStatus.ACTIVE, AlarmStatus.ACKED)
            before = w.state.totals.bolus_pulses + w.state.totals.basal_pulses
            w.apply(ev.Tick(w.now + 1))
            assert w.state.totals.bolus_pulses + w.state.totals.basal_pulses == before, "delivered while occluded"

    @rule(mgdl=st.sampled_from((39, 55, 65, 70, 71, 85, 95, 150, 250, 401)), age=st.integers(-6, 14))
    def glucose(self, mgdl: int, age: int) -> None:
        """Readings at the thresholds, stale and from the future (SEN-1..3, SUS-2..4)."""
        w = self.world
        w.apply(ev.GlucoseReading(w.now, max(0, w.now - age), mgdl))

    @rule(kind=st.integers(-1, 13))
    def ack(self, kind: int) -> None:
        """Acknowledge any alarm kind, active or not, in range or not (ALM-1, ALM-3)."""
        self.world.apply(ev.AlarmAck(self.world.now, kind))

    @rule(kind=st.sampled_from((TempKind.ABSOLUTE, TempKind.PERCENT, TempKind.NONE, 3)), value=st.integers(0, 300))
    def temp(self, kind: int, value: int) -> None:
        """Temp basals of every kind and source, durations off the 15-minute grid (TMP-1..3, BAS-4)."""
        w = self.world
        for source, duration in ((Source.USER, 15), (Source.CONTROLLER, 30), (Source.CONTROLLER, 31)):
            w.apply(ev.TempBasal(w.now, w.fresh_request_id(), source, kind, value, duration))

    @rule()
    def restart(self) -> None:
        """A power cycle: the state is written and read back bit-exact and the pump goes on (PER-1)."""
        w = self.world
        record = encode(w.config, w.state)
        decoded = decode(record)
        assert isinstance(decoded, Decoded), decoded
        assert decoded.state == w.state and decoded.config == w.config
        assert encode(decoded.config, decoded.state) == record

    @invariant()
    def invariants_hold(self) -> None:
        """Checked by ``World.apply`` after every step; here also between rules (no rule left it broken)."""
        from specs.invariants import failing

        assert not failing(self.world.config, self.world.state)


TestPumpMachine = PumpMachine.TestCase
