"""The pump-manager facade: LoopKit/AndroidAPS verbs, the kernel deciding."""

from __future__ import annotations

from adapters.manager import BasalDeliveryState, BolusDeliveryState, PumpManager, ResultKind
from adapters.motor import Fault, FaultKind
from adapters.persistence import MemoryStore
from adapters.shell import PumpShell, RecordingDisplay
from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.events import Source
from kernel.modes import Mode
from kernel.reasons import Reason
from tests.adapters.conftest import C, Rig, rig, settings


def manager() -> tuple[PumpManager, Rig]:
    r = rig(therapy=settings(remote_bolus_enabled=True, controller_enabled=True))
    return PumpManager(r.shell), r


def test_bolus_rounds_down_to_whole_pulses_and_is_announced() -> None:
    m, r = manager()
    result = m.enact_bolus(1.234)
    assert result.kind is ResultKind.ENACTED and result.programmed_pulses == 24
    assert m.status().bolus_state is BolusDeliveryState.IN_PROGRESS
    r.ticks(2)
    assert m.status().bolus_state is BolusDeliveryState.NO_BOLUS


def test_bolus_above_max_is_refused_not_truncated() -> None:
    m, _ = manager()
    result = m.enact_bolus(10.05)
    assert result.kind is ResultKind.REFUSED and result.reason == Reason.ABOVE_MAX_BOLUS


def test_retry_with_the_same_request_id_is_a_replay() -> None:
    m, r = manager()
    first = m.enact_bolus(1.0)
    again = m.enact_bolus(1.0, request_id=first.request_id)
    assert again.kind is ResultKind.ENACTED and again.replayed
    r.ticks(3)
    assert r.shell.state.totals.bolus_pulses == 20


def test_new_request_ids_stay_above_remembered_ones_after_a_restart() -> None:
    store = MemoryStore()
    r = rig(therapy=settings(remote_bolus_enabled=True), store=store)
    m = PumpManager(r.shell)
    m.enact_bolus(0.5, request_id=500)
    restarted = PumpShell.start(C, motor=r.motor, display=RecordingDisplay(), store=store)
    m2 = PumpManager(restarted)
    result = m2.enact_bolus(0.5)
    assert result.request_id == 501 and not result.replayed


def test_temp_basal_and_cancel_by_zero_duration() -> None:
    m, _ = manager()
    result = m.enact_temp_basal(1.5, 30, automatic=False)
    assert result.ok
    status = m.status()
    assert status.basal_delivery_state is BasalDeliveryState.TEMP_BASAL
    assert status.temp_basal_units_per_hour == 1.5 and status.temp_basal_remaining_minutes == 30
    assert m.enact_temp_basal(0, 0).ok
    assert m.status().basal_delivery_state is BasalDeliveryState.ACTIVE


def test_controller_temp_is_limited_by_the_kernel() -> None:
    m, _ = manager()
    assert m.enact_temp_basal(1.0, 60, automatic=True).reason == Reason.TEMP_DURATION  # 30 min at most (TMP-3)
    assert m.enact_temp_basal(5.0, 30, automatic=True).reason == Reason.TEMP_RATE_ABOVE_MAX_BASAL


def test_suspend_resume_and_status() -> None:
    m, _ = manager()
    assert m.suspend_delivery().ok
    status = m.status()
    assert status.basal_delivery_state is BasalDeliveryState.SUSPENDED and status.mode == Mode.SUSPENDED
    assert m.enact_bolus(1.0).reason == Reason.NOT_ALLOWED_IN_MODE
    assert m.resume_delivery().ok and m.status().basal_delivery_state is BasalDeliveryState.ACTIVE
    assert m.status().reservoir_units == 4000 * 0.05 - 1.5


def test_uncertain_delivery_is_reported_and_blocks_automatic_commands() -> None:
    r = rig(
        [Fault(FaultKind.LOST_ACK, 3, by_tick=True, unreachable_ticks=-1)],
        therapy=settings(remote_bolus_enabled=True, controller_enabled=True),
    )
    m = PumpManager(r.shell)
    r.ticks(4)
    status = m.status()
    assert status.delivery_is_uncertain and AlarmKind.DELIVERY_UNCERTAIN in status.active_alarms
    assert m.enact_temp_basal(0.5, 30, automatic=True).reason == Reason.ALARM_UNACKNOWLEDGED
    assert m.acknowledge_alarm(AlarmKind.DELIVERY_UNCERTAIN).kind is ResultKind.UNCERTAIN
    assert m.enact_temp_basal(0.5, 30, automatic=True).reason == Reason.DELIVERY_UNCERTAIN


def test_locked_shell_is_unavailable() -> None:
    store = MemoryStore()
    store.save(b"garbage")
    shell = PumpShell.start(C, motor=rig(set_up=False).motor, display=RecordingDisplay(), store=store)
    m = PumpManager(shell)
    assert m.enact_bolus(1.0).kind is ResultKind.UNAVAILABLE
    assert m.status().locked is not None


def test_manual_source_is_configurable() -> None:
    r = rig(therapy=settings())  # remote bolus disabled (SEC-2)
    assert PumpManager(r.shell).enact_bolus(1.0).reason == Reason.REMOTE_BOLUS_DISABLED
    assert PumpManager(r.shell, manual_source=Source.USER).enact_bolus(1.0).ok
    assert r.shell.submit(ev.CancelBolus(r.shell.now)) is not None
