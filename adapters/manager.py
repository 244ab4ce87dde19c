"""A pump-manager facade for integrators, in the vocabulary of open closed-loop apps.

Theory of operation
-------------------
Open closed-loop apps talk to a pump through a driver interface: LoopKit's
``PumpManager`` (``enactBolus``, ``enactTempBasal`` where a duration of 0
cancels, ``cancelBolus``, ``suspendDelivery``, ``resumeDelivery``, a status
with ``basalDeliveryState``, ``bolusState`` and ``deliveryIsUncertain``) and
AndroidAPS's ``Pump`` (``deliverTreatment``, ``setTempBasalAbsolute``,
``cancelTempBasal``, ``isSuspended``, ``reservoirLevel``).  ``PumpManager``
offers the same verbs on top of ``PumpShell``, so an app's driver for a
pumpkernel pump is a thin translation.

Each verb builds one kernel event at the shell's current tick and submits it;
the kernel decides.  The result says what happened, in the apps' terms:
``ENACTED`` (accepted; ``replayed`` when it repeated an earlier request ID),
``REFUSED`` with the kernel's ``Reason`` (LoopKit's ``deviceState`` error;
e.g. ``MAX_IOB``, ``TEMP_RATE_ABOVE_MAX_BASAL``), ``UNCERTAIN`` when delivery
is uncertain after the command (LoopKit's ``uncertainDelivery``), and
``UNAVAILABLE`` when the shell is locked (PER-3).

Conversions at this edge, all in the direction of less insulin: units and
units per hour are turned into whole pulses and pulses per hour by rounding
*down* (LoopKit's ``roundToSupportedBolusVolume`` contract, U-2); the amount
actually programmed is in the result.  Nothing is clamped to a limit here: a
request above a limit goes to the kernel as it is and is refused there
(BOL-1, TMP-1).

Request IDs (BOL-5): a caller that retries passes the same ``request_id``;
otherwise the facade takes one above every ID the kernel remembers, so a new
request is never mistaken for a replay, also after a restart.

``automatic=True`` marks a closed-loop command (``Source.CONTROLLER``: 30-minute
temps, max IOB, sensor data required, TMP-3, LIM-4, SEN-2); manual commands
come from ``manual_source`` (``Source.REMOTE`` for an app on a phone, SEC-2).

Units: ``_units`` (U), ``_units_per_hour``, ``_pulses``, ``_pph``, ``_minutes``.
Requirements served: SEC-2, SEC-3, BOL-1, BOL-5, TMP-1, TMP-3, DLV-2 (status).
No dosing decision lives here.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from adapters.shell import PumpShell
from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.events import Source, TempKind
from kernel.iob import iob_pulses
from kernel.logic import PY
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.step import StepResult
from kernel.units import MU_PER_UNIT


class ResultKind(enum.Enum):
    ENACTED = "enacted"
    REFUSED = "refused"
    UNCERTAIN = "uncertain"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class PumpManagerResult:
    """What became of one command."""

    kind: ResultKind
    reason: Reason = Reason.ACCEPTED
    request_id: int = 0
    programmed_pulses: int = 0
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.kind is ResultKind.ENACTED


class BasalDeliveryState(enum.Enum):
    """LoopKit's ``BasalDeliveryState``, reduced to what a settled pump can be in."""

    ACTIVE = "active"
    TEMP_BASAL = "temp basal"
    SUSPENDED = "suspended"
    """Manually or automatically (low glucose) suspended."""
    STOPPED = "stopped"
    """Not delivering for any other reason: an alarm state or a reservoir change."""


class BolusDeliveryState(enum.Enum):
    NO_BOLUS = "no bolus"
    IN_PROGRESS = "in progress"


@dataclass(frozen=True)
class PumpManagerStatus:
    """The pump's status, in the apps' terms."""

    tick: int
    mode: Mode
    basal_delivery_state: BasalDeliveryState
    temp_basal_units_per_hour: float
    temp_basal_remaining_minutes: int
    bolus_state: BolusDeliveryState
    bolus_remaining_units: float
    reservoir_units: float
    insulin_on_board_units: float
    delivery_is_uncertain: bool
    active_alarms: tuple[AlarmKind, ...]
    locked: str | None


class PumpManager:
    """LoopKit/AndroidAPS-style verbs over a ``PumpShell`` (see module docstring)."""

    def __init__(self, shell: PumpShell, *, manual_source: Source = Source.REMOTE) -> None:
        self.shell = shell
        self.manual_source = manual_source
        self._last_request_id = 0

    # ------------------------------------------------------------ conversions

    @property
    def pulse_mu(self) -> int:
        return self.shell.config.pulse_mu

    def supported_pulses(self, units: float) -> int:
        """Whole pulses for ``units``, rounded down (U-2; LoopKit ``roundToSupportedBolusVolume``)."""
        if not math.isfinite(units) or units <= 0:
            return 0
        return math.floor(round(units * MU_PER_UNIT, 6)) // self.pulse_mu

    def units(self, pulses: int) -> float:
        return pulses * self.pulse_mu / MU_PER_UNIT

    def _request_id(self, request_id: int | None) -> int:
        if request_id is not None:
            return request_id
        self._last_request_id = max(self._last_request_id, max(self.shell.state.requests.ids)) + 1
        return self._last_request_id

    def _source(self, automatic: bool) -> Source:
        return Source.CONTROLLER if automatic else self.manual_source

    def _result(self, result: StepResult | None, request_id: int = 0, pulses: int = 0) -> PumpManagerResult:
        if result is None:
            return PumpManagerResult(ResultKind.UNAVAILABLE, request_id=request_id)
        outcome = result.outcome
        if not outcome.accepted:
            return PumpManagerResult(ResultKind.REFUSED, outcome.reason, request_id, pulses)
        kind = ResultKind.UNCERTAIN if self.shell.state.motor.uncertain else ResultKind.ENACTED
        return PumpManagerResult(kind, outcome.reason, request_id, pulses, outcome.replayed)

    # -------------------------------------------------------------- commands

    def enact_bolus(self, units: float, *, automatic: bool = False, request_id: int | None = None) -> PumpManagerResult:
        """A normal bolus of ``units`` (rounded down to whole pulses)."""
        pulses = self.supported_pulses(units)
        rid = self._request_id(request_id)
        event = ev.BolusRequest(self.shell.now, rid, self._source(automatic), pulses)
        return self._result(self.shell.submit(event), rid, pulses)

    def cancel_bolus(self) -> PumpManagerResult:
        return self._result(self.shell.submit(ev.CancelBolus(self.shell.now)))

    def enact_temp_basal(
        self,
        units_per_hour: float,
        duration_minutes: int,
        *,
        automatic: bool = True,
        request_id: int | None = None,
    ) -> PumpManagerResult:
        """An absolute temp basal; a duration of 0 cancels the running one (LoopKit's convention)."""
        if duration_minutes == 0:
            return self.cancel_temp_basal(automatic=automatic)
        pph = self.supported_pulses(units_per_hour)
        rid = self._request_id(request_id)
        event = ev.TempBasal(self.shell.now, rid, self._source(automatic), TempKind.ABSOLUTE, pph, duration_minutes)
        return self._result(self.shell.submit(event), rid, pph)

    def enact_temp_basal_percent(
        self, percent: int, duration_minutes: int, *, request_id: int | None = None
    ) -> PumpManagerResult:
        """A percent temp basal (AndroidAPS ``setTempBasalPercent``); manual."""
        rid = self._request_id(request_id)
        event = ev.TempBasal(self.shell.now, rid, self.manual_source, TempKind.PERCENT, percent, duration_minutes)
        return self._result(self.shell.submit(event), rid)

    def cancel_temp_basal(self, *, automatic: bool = True) -> PumpManagerResult:
        return self._result(self.shell.submit(ev.CancelTempBasal(self.shell.now, self._source(automatic))))

    def suspend_delivery(self) -> PumpManagerResult:
        return self._result(self.shell.submit(ev.Suspend(self.shell.now)))

    def resume_delivery(self) -> PumpManagerResult:
        return self._result(self.shell.submit(ev.Resume(self.shell.now)))

    def acknowledge_alarm(self, kind: AlarmKind) -> PumpManagerResult:
        return self._result(self.shell.submit(ev.AlarmAck(self.shell.now, int(kind))))

    # ---------------------------------------------------------------- status

    def status(self) -> PumpManagerStatus:
        s = self.shell.state
        mode = Mode(s.mode)
        temp_running = s.basal.temp_kind != TempKind.NONE and s.basal.temp_remaining_ticks > 0
        if mode == Mode.DELIVERING:
            basal = BasalDeliveryState.TEMP_BASAL if temp_running else BasalDeliveryState.ACTIVE
        elif mode in (Mode.SUSPENDED, Mode.LGS_SUSPENDED):
            basal = BasalDeliveryState.SUSPENDED
        else:
            basal = BasalDeliveryState.STOPPED
        temp_pph = s.basal.temp_value if temp_running and s.basal.temp_kind == TempKind.ABSOLUTE else 0
        bolus_left = s.bolus.remaining_pulses + s.bolus.ext_remaining_pulses
        return PumpManagerStatus(
            tick=s.now_ticks,
            mode=mode,
            basal_delivery_state=basal,
            temp_basal_units_per_hour=self.units(temp_pph),
            temp_basal_remaining_minutes=s.basal.temp_remaining_ticks if temp_running else 0,
            bolus_state=BolusDeliveryState.IN_PROGRESS if bolus_left > 0 else BolusDeliveryState.NO_BOLUS,
            bolus_remaining_units=self.units(bolus_left),
            reservoir_units=self.units(s.reservoir.pulses),
            insulin_on_board_units=self.units(iob_pulses(s.settings, s.windows, PY)),
            delivery_is_uncertain=s.motor.uncertain,
            active_alarms=tuple(kind for kind in AlarmKind if s.alarms[kind] == AlarmStatus.ACTIVE),
            locked=None if self.shell.locked is None else self.shell.locked.value,
        )
