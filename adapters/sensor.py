"""Sensor input: CGM readings from the world turned into kernel ``GlucoseReading`` events.

Theory of operation
-------------------
A CGM source delivers ``CgmSample`` values: a time stamp in seconds, a value
(a number in mg/dL or mmol/L, or the strings ``"LOW"`` and ``"HIGH"`` that
receivers show outside their range), a trend arrow and an error code.  Sources
have quirks: they repeat readings (overlapping download windows), backfill
readings missed during a dropout, leave gaps, report in the user's units.
``CgmInput`` handles the quirks here, so the kernel sees only well-formed
``GlucoseReading(tick, measured_tick, mgdl, status)`` events:

* units: mmol/L is converted to mg/dL (x 18.0156, the molar mass of glucose
  over 10), rounded to the nearest whole mg/dL;
* ``"LOW"`` and ``"HIGH"`` (the sensor's own below- and above-range
  indication) become the statuses ``LOW`` and ``HIGH``: the kernel keeps them
  at the edges of its range and never as a measured number (SEN-5).  A number
  outside the range with no error is passed as it is, and the kernel refuses
  it as out of range: "no valid glucose" and "LOW" stay different facts;
* errors map to named ``GlucoseStatus`` error states, never to a glucose
  (SEN-5, ``STATUS_OF_ERROR``).  Drivers name them with two tables:
  ``DEXCOM_ALGORITHM_STATES`` (the algorithm/session state a Dexcom G5/G6/G7
  transmitter reports beside each value, as catalogued by xDrip4iOS's
  ``DexcomAlgorithmState``) and ``LEGACY_ERROR_VALUES`` (the small integers
  older Dexcom receivers send in place of a glucose value, as Nightscout's
  ``errorcodes`` plugin names them).  An unknown state or a legacy value
  below 39 that is not in the table is a sensor error; a value that is not
  a finite number is a sensor error;
* time: ``measured_tick`` is the whole minute of the time stamp since the
  pump's epoch (rounded down, so a reading never looks younger than it is);
* duplicates (a time stamp already seen) are dropped and counted;
* of a batch, only the newest reading is live and passed on; the older ones
  (a source catching up after a dropout) and any reading older than one
  already passed on are *backfill*: kept in ``history`` for display and
  analysis, not sent to the kernel, which acts only on new readings (it would
  refuse an older one as ``NOT_NEWER``, and one past its age limit would make
  the sensor look lost for a moment);
* a gap (more than one and a half sample periods between readings passed on)
  is counted, for the status screen.

Validity (age, range, rate of change) is *not* judged here: that is the
kernel's job (SEN-1..3).  A reading from the future or far in the past is
passed on as it is and refused there.

``SimulatedCgm`` is a sensor for tests and demonstrations: a glucose truth
function plus autocorrelated noise, dropouts with optional backfill when they
end, occasional duplicate sends, ``"LOW"``/``"HIGH"`` outside 40..400 mg/dL,
and either unit.

Units: ``_mgdl``, ``_mmoll``, ``_s`` seconds, ``_ticks``.  Requirements served:
SEN-1 (form only), SEN-5 (error states named, LOW and HIGH only from the
sensor's own indication).  No dosing decision lives here.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from adapters.clock import TICK_S
from kernel.config import PumpConfig
from kernel.events import GlucoseReading, GlucoseStatus

MGDL_PER_MMOLL = 18.0156
"""mg/dL per mmol/L of glucose (molar mass 180.156 g/mol)."""

MAX_EVENT_MGDL = 10_000
"""The kernel's static bound on ``GlucoseReading.mgdl`` (``kernel.events.EVENT_SCHEMA``)."""


class GlucoseUnit(enum.Enum):
    MGDL = "mg/dL"
    MMOLL = "mmol/L"


class CgmError(enum.Enum):
    """A source's error states, after the source-specific driver has named them (SEN-5)."""

    NONE = "none"
    WARM_UP = "warm-up"
    CALIBRATION = "calibration needed"
    EXCESS_NOISE = "excess noise"
    SENSOR_FAILED = "sensor failed"
    SESSION_STOPPED = "session stopped"
    SENSOR_ERROR = "sensor error"


STATUS_OF_ERROR: dict[CgmError, GlucoseStatus] = {
    CgmError.NONE: GlucoseStatus.OK,
    CgmError.WARM_UP: GlucoseStatus.WARM_UP,
    CgmError.CALIBRATION: GlucoseStatus.CALIBRATION,
    CgmError.EXCESS_NOISE: GlucoseStatus.NOISE,
    CgmError.SENSOR_FAILED: GlucoseStatus.SENSOR_FAILED,
    CgmError.SESSION_STOPPED: GlucoseStatus.SESSION_STOPPED,
    CgmError.SENSOR_ERROR: GlucoseStatus.SENSOR_ERROR,
}
"""The kernel status of each named error state: only ``NONE`` lets a value through as glucose (SEN-5)."""

DEXCOM_ALGORITHM_STATES: dict[int, tuple[str, CgmError]] = {
    0x01: ("session stopped", CgmError.SESSION_STOPPED),
    0x02: ("sensor warm-up", CgmError.WARM_UP),
    0x03: ("excess noise", CgmError.EXCESS_NOISE),
    0x04: ("first of two BGs needed", CgmError.CALIBRATION),
    0x05: ("second of two BGs needed", CgmError.CALIBRATION),
    0x06: ("okay", CgmError.NONE),
    0x07: ("needs calibration", CgmError.CALIBRATION),
    0x08: ("calibration error 1", CgmError.CALIBRATION),
    0x09: ("calibration error 2", CgmError.CALIBRATION),
    0x0A: ("calibration linearity fit failure", CgmError.CALIBRATION),
    0x0B: ("sensor failed due to counts aberration", CgmError.SENSOR_FAILED),
    0x0C: ("sensor failed due to residual aberration", CgmError.SENSOR_FAILED),
    0x0D: ("out of calibration due to outlier", CgmError.CALIBRATION),
    0x0E: ("outlier calibration request", CgmError.CALIBRATION),
    0x0F: ("session expired", CgmError.SESSION_STOPPED),
    0x10: ("session failed due to unrecoverable error", CgmError.SENSOR_FAILED),
    0x11: ("session failed due to transmitter error", CgmError.SENSOR_FAILED),
    0x12: ("temporary sensor issue", CgmError.SENSOR_ERROR),
    0x13: ("sensor failed due to progressive sensor decline", CgmError.SENSOR_FAILED),
    0x14: ("sensor failed due to high counts aberration", CgmError.SENSOR_FAILED),
    0x15: ("sensor failed due to low counts aberration", CgmError.SENSOR_FAILED),
    0x16: ("sensor failed due to restart", CgmError.SENSOR_FAILED),
}
"""A Dexcom G5/G6/G7 transmitter's algorithm (session) state byte -> (name, error).

Names as in xDrip4iOS ``DexcomAlgorithmState`` (JohanDegraeve/xdripswift).  Only
"okay" lets the value through; every calibration state, including "needs
calibration", is an error here (issue 16 lists "calibration needed" among the
states that are not a glucose)."""

LEGACY_ERROR_VALUES: dict[int, tuple[str, CgmError]] = {
    1: ("SENSOR_NOT_ACTIVE (?SN)", CgmError.SESSION_STOPPED),
    2: ("MINIMAL_DEVIATION (?MD)", CgmError.SENSOR_ERROR),
    3: ("NO_ANTENNA (?NA)", CgmError.SENSOR_ERROR),
    5: ("SENSOR_NOT_CALIBRATED (?NC)", CgmError.CALIBRATION),
    6: ("COUNTS_DEVIATION (?CD)", CgmError.SENSOR_ERROR),
    9: ("ABSOLUTE_DEVIATION (?AD)", CgmError.SENSOR_ERROR),
    10: ("POWER_DEVIATION (???)", CgmError.SENSOR_ERROR),
    12: ("BAD_RF (?RF)", CgmError.SENSOR_ERROR),
}
"""The values below 39 mg/dL that older Dexcom receivers (G4 era) send in place of a glucose value to mean
an error, as Nightscout's ``lib/plugins/errorcodes.js`` names them (it treats every value below 39 as an error
code)."""

LEGACY_ERROR_BELOW_MGDL = 39
"""A legacy receiver value below this is an error code, never a glucose."""


def dexcom_state_error(raw_state: int) -> CgmError:
    """The named error of a Dexcom transmitter algorithm state byte (unknown bytes are sensor errors)."""
    named = DEXCOM_ALGORITHM_STATES.get(raw_state)
    return named[1] if named is not None else CgmError.SENSOR_ERROR


def legacy_value_error(value_mgdl: int) -> CgmError:
    """The named error a legacy receiver means by a small value; ``NONE`` for a value that is a glucose."""
    if value_mgdl >= LEGACY_ERROR_BELOW_MGDL:
        return CgmError.NONE
    named = LEGACY_ERROR_VALUES.get(value_mgdl)
    return named[1] if named is not None else CgmError.SENSOR_ERROR


@dataclass(frozen=True)
class CgmSample:
    """One reading as a CGM source gives it."""

    time_s: int
    value: float | str | None
    """A number in ``unit``, ``"LOW"``, ``"HIGH"``, or ``None`` with an error."""
    unit: GlucoseUnit = GlucoseUnit.MGDL
    trend: str | None = None
    """The source's trend arrow, kept for display; the kernel computes its own trend."""
    error: CgmError = CgmError.NONE


@dataclass
class CgmCounters:
    passed: int = 0
    duplicates: int = 0
    backfilled: int = 0
    gaps: int = 0
    lows: int = 0
    highs: int = 0
    errors: int = 0
    before_epoch: int = 0


@dataclass
class CgmInput:
    """Turns ``CgmSample`` batches into kernel events (see module docstring)."""

    config: PumpConfig
    epoch_s: int = 0
    sample_period_s: int = 300
    latest_tick: int | None = None
    """``measured_tick`` of the newest reading passed on."""
    counters: CgmCounters = field(default_factory=CgmCounters)
    history: list[tuple[int, CgmSample]] = field(default_factory=list)
    """Backfilled readings, by ``measured_tick``, kept for display."""

    def mgdl(self, sample: CgmSample) -> tuple[int, GlucoseStatus]:
        """The value and status the kernel gets for one sample (units and quirks; SEN-5)."""
        status = STATUS_OF_ERROR[sample.error]
        value = sample.value
        if isinstance(value, str):
            word = value.strip().upper()
            if word in ("LOW", "HIGH") and status == GlucoseStatus.OK:
                if word == "LOW":
                    self.counters.lows += 1
                    return 0, GlucoseStatus.LOW
                self.counters.highs += 1
                return 0, GlucoseStatus.HIGH
            self.counters.errors += 1
            return 0, status if status != GlucoseStatus.OK else GlucoseStatus.SENSOR_ERROR
        if value is None or not math.isfinite(value) or value < 0:
            self.counters.errors += 1
            return 0, GlucoseStatus.SENSOR_ERROR if status == GlucoseStatus.OK else status
        scaled = value * MGDL_PER_MMOLL if sample.unit is GlucoseUnit.MMOLL else value
        mgdl = min(round(scaled), MAX_EVENT_MGDL)
        if status != GlucoseStatus.OK:
            self.counters.errors += 1
        return mgdl, status

    def _measured(self, sample: CgmSample) -> int:
        return (sample.time_s - self.epoch_s) // TICK_S

    def _keep(self, measured: int, sample: CgmSample) -> None:
        """File a reading that is not live: a duplicate is dropped, backfill kept for display."""
        if measured == self.latest_tick or any(tick == measured for tick, _ in self.history):
            self.counters.duplicates += 1
        else:
            self.counters.backfilled += 1
            self.history.append((measured, sample))

    def events(self, samples: Iterable[CgmSample], now_tick: int) -> list[GlucoseReading]:
        """The kernel event for a batch of samples (at most one: the newest), at the kernel's ``now_tick``."""
        batch = []
        for sample in samples:
            if sample.time_s < self.epoch_s:
                self.counters.before_epoch += 1
            else:
                batch.append((self._measured(sample), sample))
        if not batch:
            return []
        batch.sort(key=lambda item: item[0])
        newest_tick, newest = batch[-1]
        for measured, sample in batch[:-1]:
            if measured != newest_tick:
                self._keep(measured, sample)
            else:
                self.counters.duplicates += 1
        if self.latest_tick is not None and newest_tick <= self.latest_tick:
            self._keep(newest_tick, newest)
            return []
        if self.latest_tick is not None and (newest_tick - self.latest_tick) * TICK_S * 2 > self.sample_period_s * 3:
            self.counters.gaps += 1
        mgdl, status = self.mgdl(newest)
        self.latest_tick = newest_tick
        self.counters.passed += 1
        return [GlucoseReading(now_tick, newest_tick, mgdl, int(status))]


@dataclass
class SimulatedCgm:
    """A simulated CGM source (see module docstring).

    ``truth(tick)`` is the glucose in mg/dL at a tick; samples are taken every
    ``period_ticks``.  Noise is AR(1) with standard deviation ``noise_mgdl``.
    A dropout starts at a sample with probability ``dropout_chance`` and
    lasts ``dropout_ticks``; with ``backfill`` the missed samples come with
    the first sample after it.  ``duplicate_chance`` re-sends the previous
    sample with the next one.
    """

    truth: Callable[[int], float]
    epoch_s: int = 0
    period_ticks: int = 5
    noise_mgdl: float = 0.0
    noise_ar: float = 0.7
    dropout_chance: float = 0.0
    dropout_ticks: int = 20
    backfill: bool = True
    duplicate_chance: float = 0.0
    unit: GlucoseUnit = GlucoseUnit.MGDL
    low_mgdl: float = 40.0
    high_mgdl: float = 400.0
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)
    _noise: float = field(default=0.0, init=False)
    _dropout_until: int = field(default=-1, init=False)
    _missed: list[CgmSample] = field(default_factory=list, init=False)
    _previous: CgmSample | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _sample(self, tick: int) -> CgmSample:
        innovation = self._rng.gauss(0.0, self.noise_mgdl * math.sqrt(1 - self.noise_ar**2))
        self._noise = self.noise_ar * self._noise + innovation
        mgdl = self.truth(tick) + self._noise
        time_s = self.epoch_s + tick * TICK_S
        if mgdl < self.low_mgdl:
            return CgmSample(time_s, "LOW", self.unit)
        if mgdl > self.high_mgdl:
            return CgmSample(time_s, "HIGH", self.unit)
        value = round(mgdl / MGDL_PER_MMOLL, 1) if self.unit is GlucoseUnit.MMOLL else float(round(mgdl))
        return CgmSample(time_s, value, self.unit)

    def poll(self, tick: int) -> list[CgmSample]:
        """What the source sends at ``tick`` (usually nothing, one sample every period)."""
        if tick % self.period_ticks != 0:
            return []
        sample = self._sample(tick)
        if tick < self._dropout_until:
            self._missed.append(sample)
            return []
        if self.dropout_chance > 0 and self._rng.random() < self.dropout_chance:
            self._dropout_until = tick + self.dropout_ticks
            self._missed.append(sample)
            return []
        batch = [*self._missed, sample] if self.backfill else [sample]
        self._missed = []
        if self._previous is not None and self.duplicate_chance > 0 and self._rng.random() < self.duplicate_chance:
            batch.insert(0, self._previous)
        self._previous = sample
        return batch
