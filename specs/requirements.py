"""The requirement catalogue, as data: every requirement with its hazard, parameters and methods.

Theory of operation
-------------------
``REQUIREMENTS`` carries every requirement of the project catalogue
(``../shared/requirements.md``; a test checks that every ID and statement here
matches it when the catalogue is present) plus the requirements this project
adds, with new IDs in the same scheme.  For each: its statement, the hazard
classes it controls (FDA infusion pump guidance), the configuration or settings
parameters it is stated in, and the verification methods that cover it:

* ``z3``: a Z3 proof obligation over every structurally valid configuration
  (``proofs.obligations``);
* ``crosshair``: a CrossHair contract confirmed over all paths;
* ``hypothesis``: the stateful property tests and the oracle tests;
* ``bfs``: the exhaustive small-scope search;
* ``unit``: example and scenario tests;
* ``adapter``: tests of the imperative shell (crash test, channel attacks).

The proof report derives each requirement's *status* (proved, tested, open)
from which obligations and tests actually cover it, not from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

HAZARDS: dict[str, str] = {
    "H-OVER": "over-delivery",
    "H-UNDER": "under-delivery",
    "H-UNEVEN": "delivery not as programmed (timing)",
    "H-OCC": "occlusion and post-occlusion bolus",
    "H-DATA": "corrupted or stale data and commands",
    "H-USE": "use errors (double entry, forgotten resume)",
    "H-SEC": "unauthorised commands",
    "H-FAIL": "software/hardware fault without alarm",
}


@dataclass(frozen=True)
class Requirement:
    """One catalogue entry."""

    id: str
    statement: str
    hazards: tuple[str, ...]
    parameters: str
    methods: tuple[str, ...]
    added: bool = False
    """True for requirements this project added to the catalogue."""


R = Requirement

REQUIREMENTS: tuple[Requirement, ...] = (
    R(
        "U-1",
        (
            "Insulin amounts are integers: whole pulses inside the kernel's step, a fixed sub-unit such as "
            "milliunits at its edges; time is integer ticks of a fixed length. No floating point anywhere in "
            "the kernel."
        ),
        ("H-DATA",),
        "",
        ("unit", "crosshair"),
    ),
    R(
        "U-2",
        (
            "Every amount commanded to the motor is a whole number of pulses (pulse sizes seen: 0.01, 0.025, "
            "0.05, 0.1 U). Rounding is always down; what rounding leaves over is carried, never lost and "
            "never delivered twice."
        ),
        ("H-OVER", "H-UNEVEN"),
        "PumpConfig.pulse_mu in {10, 25, 50, 100}",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "CFG-1",
        (
            "A configuration is validated as a whole before use. An invalid one is refused with every reason "
            "listed; nothing is clamped silently, and the previous configuration stays in force."
        ),
        ("H-USE", "H-DATA"),
        "",
        ("z3", "unit", "hypothesis"),
    ),
    R(
        "CFG-2",
        (
            "Cross-field consistency: every scheduled basal rate <= max basal rate; max bolus <= the 24-hour "
            "limit; low-reservoir threshold < capacity; and so on for every pair that can conflict."
        ),
        ("H-USE", "H-OVER"),
        "",
        ("z3", "unit"),
    ),
    R(
        "CFG-3",
        (
            "Hard ceilings that no configuration may exceed (a builder-level table, like AndroidAPS' "
            "per-patient-class hard limits): e.g. max bolus <= 30 U (Loop's ceiling; 25 U insulin-resistant "
            "adult, 60 U pregnancy in AndroidAPS), max basal <= 35 U/h (Medtronic), 24-hour limit <= 250 U."
        ),
        ("H-OVER",),
        "HARD_CEILINGS_MU; PumpConfig.*_ceiling_*",
        ("z3", "unit"),
    ),
    R(
        "BAS-1",
        (
            "A basal profile is 1 to 48 segments covering 24 h from local midnight, each at least 30 min, "
            "rates from 0 to max basal, in the pump's rate increment."
        ),
        ("H-USE",),
        "TherapySettings.basal_slots_pph (48 slots of 30 min), max_basal_pph",
        ("z3", "unit"),
    ),
    R(
        "BAS-2",
        (
            "Delivered basal tracks the programmed rate with no drift: over any interval, delivered basal "
            "differs from the integral of the programmed rate by less than one pulse."
        ),
        ("H-UNEVEN",),
        "",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "BAS-3",
        (
            "Segment boundaries and midnight rollover are exact; a change of local time offset (travel, "
            "daylight saving) re-selects the segment without delivering a catch-up or skipping more than the "
            "interval actually elapsed."
        ),
        ("H-UNEVEN", "H-OVER"),
        "",
        ("z3", "unit"),
    ),
    R(
        "BAS-4",
        ("Basal never exceeds max basal rate, whatever temp basal, schedule or controller command."),
        ("H-OVER",),
        "TherapySettings.max_basal_pph",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "TMP-1",
        (
            "Temp basal as absolute rate (0..max basal) or percent (0..250 %), duration 15 min..24 h in "
            "15-min steps; the effective rate is re-clamped in the absolute domain."
        ),
        ("H-OVER", "H-USE"),
        "PumpConfig.temp_min_ticks, temp_max_ticks, temp_percent_max",
        ("z3", "unit"),
    ),
    R(
        "TMP-2",
        (
            "A temp basal ends exactly at its end time and the schedule resumes; cancelling resumes at once. "
            "A new temp replaces the old one."
        ),
        ("H-UNEVEN",),
        "",
        ("z3", "unit", "bfs"),
    ),
    R(
        "TMP-3",
        (
            "Temp basals set by an external controller (closed loop) last at most 30 min (oref0/Loop "
            "practice) and, when the controller falls silent, delivery falls back to the scheduled basal "
            '(ACE: "pre-programmed safe rate" on communication loss).'
        ),
        ("H-OVER", "H-DATA"),
        "PumpConfig.controller_temp_max_ticks (30)",
        ("z3", "unit"),
    ),
    R(
        "BOL-1",
        (
            "A bolus request above max bolus is refused, not truncated, with the reason (users complain of "
            "silent truncation: Trio #271, oref0 #623)."
        ),
        ("H-OVER", "H-USE"),
        "TherapySettings.max_bolus_pulses",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "BOL-2",
        (
            "Bolus kinds: normal; extended (square wave) over 15 min..8 h; dual wave (immediate part plus "
            "extended part). The extended part obeys the same limits as it is delivered."
        ),
        ("H-UNEVEN",),
        "PumpConfig.extended_min_ticks, extended_max_ticks",
        ("z3", "unit"),
    ),
    R(
        "BOL-3",
        ("Bolus delivery speed is bounded (e.g. 1.5 U/min, Omnipod; configurable)."),
        ("H-OVER",),
        "PumpConfig.bolus_pulses_per_tick",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "BOL-4",
        (
            "Concurrency of boluses follows one explicit, specified rule (e.g. one immediate bolus at a time;"
            " a normal bolus may run during an extended one); anything else is refused, never merged or "
            "queued silently."
        ),
        ("H-USE", "H-OVER"),
        "",
        ("z3", "unit"),
    ),
    R(
        "BOL-5",
        (
            "Each request carries an ID; a repeated ID (double key-strike, retried radio message) is answered "
            "with the original outcome and delivers nothing more. This holds for any request, accepted or "
            "refused, within at least the last 24 h, however many other requests came between; memory is bounded "
            "by a configured number of requests per day, and a request beyond that capacity is refused, never "
            "forgotten silently."
        ),
        ("H-USE", "H-OVER"),
        "PumpConfig.requests_per_day_max (600); REQUEST_SLOTS (600), REQUEST_MEMORY_TICKS (1440)",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "BOL-6",
        ("Cancelling a bolus stops it within one tick; what was delivered and what was not are both reported."),
        ("H-USE",),
        "",
        ("z3", "unit"),
    ),
    R(
        "CALC-1",
        (
            "A recommendation is never negative, never above max bolus, and never above the room left under "
            "any rolling limit; every cap is shown with its reason."
        ),
        ("H-OVER",),
        "TherapySettings.max_bolus_pulses, max_hourly_pulses, max_daily_pulses; kernel.windows hour_room/day_room",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "CALC-2",
        (
            "Monotone: more carbohydrate never gives less insulin; more insulin on board never gives more; "
            "higher glucose never gives less."
        ),
        ("H-OVER", "H-USE"),
        "CalculatorSettings carb ratio (dg/U), sensitivity, targets per half-hour slot; iob_rule",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "CALC-3",
        ("Rounded down to the bolus increment; the rounding error is below one increment."),
        ("H-OVER",),
        "CalculatorSettings.increment_pulses (1 pulse .. 0.1 U)",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "CALC-4",
        (
            "No meal-plus-correction recommendation without a warning when glucose is below the calculation "
            "minimum or invalid; the calculator is disabled for one insulin-action period after an "
            "unconfirmed bolus (Omnipod 5 behaviour)."
        ),
        ("H-USE", "H-DATA"),
        "CalculatorSettings.min_calc_glucose_mgdl (50..70); TherapySettings.dia_index",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "LIM-1",
        ("Total insulin (basal + bolus, priming excluded) in any rolling 60-min window <= max hourly amount."),
        ("H-OVER",),
        "TherapySettings.max_hourly_pulses; PumpConfig.hour_bucket_ticks",
        ("z3", "hypothesis", "bfs", "unit"),
    ),
    R(
        "LIM-2",
        (
            "Total insulin in any rolling 24-h window <= max daily amount (Sommerville SR2; Medtronic TDD "
            "range 8..250 U). A fixed calendar day is not enough: the window rolls."
        ),
        ("H-OVER",),
        "TherapySettings.max_daily_pulses; PumpConfig.day_bucket_ticks",
        ("z3", "hypothesis", "bfs", "unit"),
    ),
    R(
        "LIM-3",
        (
            "Limits are enforced on every delivered pulse, not only when a request is accepted: a running "
            "bolus or temp basal stops when the next pulse would break a limit (the CADD-Solis hourly-limit "
            "behaviour), and the user is told."
        ),
        ("H-OVER",),
        "",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "LIM-4",
        (
            "Insulin on board (IOB), computed by the kernel from its own delivery history with a fixed "
            "integer insulin-action table (DIA 2..8 h), bounds automated dosing: a controller command that "
            "would take IOB above max IOB is refused (oref0/AndroidAPS max IOB; Loop 2 x max bolus)."
        ),
        ("H-OVER",),
        "TherapySettings.max_iob_pulses, dia_index",
        ("z3", "unit"),
    ),
    R(
        "LIM-5",
        (
            "Delivery that is uncertain (commanded, not confirmed) counts as delivered for every limit and "
            "for IOB until resolved."
        ),
        ("H-OVER", "H-DATA"),
        "",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "RES-1",
        (
            "Reservoir level is tracked from confirmed and uncertain delivery; nothing is delivered beyond "
            "what remains; an empty reservoir stops delivery and alarms."
        ),
        ("H-UNDER", "H-FAIL"),
        "PumpConfig.reservoir_capacity_pulses",
        ("z3", "hypothesis", "bfs", "unit"),
    ),
    R(
        "RES-2",
        (
            "Low-reservoir alert at a configurable level (default 20 U, range 5..50 U) and a fixed very-low "
            "alert (5 U); alerts raised during a bolus or prime are shown when it ends, never lost."
        ),
        ("H-UNDER", "H-USE"),
        "TherapySettings.reservoir_low_pulses; PumpConfig.reservoir_very_low_pulses",
        ("z3", "unit"),
    ),
    R(
        "RES-3",
        (
            "Reservoir change follows a fixed sequence: suspend, rewind/fill, prime tubing (up to a bounded "
            "amount), fill cannula (e.g. 0.3..1.0 U), resume. Priming and cannula fill draw on the reservoir "
            "but never count toward therapy totals, limits or IOB (AndroidAPS #1234)."
        ),
        ("H-OVER", "H-DATA"),
        "PumpConfig.prime_max_pulses, cannula_min_pulses, cannula_max_pulses",
        ("z3", "unit"),
    ),
    R(
        "RES-4",
        (
            "Infusion set age is tracked from insertion; a reminder at a configurable age (default 72 h; sets"
            " are changed every 2-3 days) and a hard stop alarm at a configurable maximum (e.g. 80 h for a "
            "pod)."
        ),
        ("H-UNDER", "H-OCC"),
        "TherapySettings.set_reminder_ticks, set_max_age_ticks",
        ("z3", "unit"),
    ),
    R(
        "OCC-1",
        (
            "Occlusion is detected from the motor adapter's evidence (force/pressure samples over a threshold"
            " for N consecutive samples, or commanded-but-not-displaced volume over a threshold such as 3 U) "
            "and raised as a high-priority alarm within a bounded number of ticks of the evidence."
        ),
        ("H-OCC", "H-UNDER"),
        "PumpConfig.occlusion_pressure_kpa, occlusion_consecutive_samples, occlusion_undisplaced_pulses",
        ("z3", "unit", "adapter"),
    ),
    R(
        "OCC-2",
        (
            "While occluded, nothing is delivered; the running bolus is cancelled and the undelivered amount "
            "is reported."
        ),
        ("H-OCC",),
        "",
        ("z3", "unit"),
    ),
    R(
        "OCC-3",
        (
            'No catch-up: insulin missed during an occlusion is never re-delivered automatically ("bolus '
            'after occlusion" hazard, FDA guidance; IEC 60601-2-24 unintended bolus).'
        ),
        ("H-OCC", "H-OVER"),
        "",
        ("z3", "unit"),
    ),
    R(
        "OCC-4",
        (
            "Leaving the occluded state needs an explicit user action (new set or cleared line, then prime) -"
            " the alarm does not clear itself."
        ),
        ("H-OCC",),
        "",
        ("z3", "unit"),
    ),
    R(
        "DLV-1",
        (
            "Every motor command carries a sequence number; a command is recorded before it is sent "
            "(write-ahead intent); the motor adapter confirms the pulses actually delivered."
        ),
        ("H-DATA", "H-OVER"),
        "",
        ("z3", "unit", "adapter"),
    ),
    R(
        "DLV-2",
        (
            "Unconfirmed delivery puts the pump in an uncertain state: it counts as delivered (LIM-5), new "
            "boluses and controller commands are refused until it is resolved by read-back; if it cannot be "
            "resolved, the full amount is assumed delivered (Loop #1913 policy; OmniBLE pending command)."
        ),
        ("H-OVER", "H-DATA"),
        "PumpConfig.motor_ack_timeout_ticks",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "DLV-3",
        (
            "A motor fault (stall, over-delivery, encoder mismatch) stops delivery and alarms; the fail-safe "
            'state is "nothing delivered, alarm on" (Sommerville).'
        ),
        ("H-FAIL", "H-OVER"),
        "",
        ("z3", "unit", "adapter"),
    ),
    R(
        "SUS-1",
        (
            "Manual suspend stops all delivery within one tick; resume needs an explicit command; a reminder "
            "repeats while suspended (forgotten-resume hazard)."
        ),
        ("H-USE",),
        "PumpConfig.suspend_reminder_ticks",
        ("z3", "unit"),
    ),
    R(
        "SUS-2",
        (
            "Low-glucose suspend: when valid sensor glucose <= threshold (default 70 mg/dL, range 60..90), "
            "basal and any running extended bolus are suspended."
        ),
        ("H-OVER",),
        "TherapySettings.lgs_threshold_mgdl, lgs_enabled",
        ("z3", "unit"),
    ),
    R(
        "SUS-3",
        (
            "Predictive suspend: when glucose is predicted to reach threshold + 20 mg/dL within 30 min "
            "(linear prediction from valid recent readings), suspend before the low."
        ),
        ("H-OVER",),
        "PumpConfig.lgs_predict_margin_mgdl; PREDICTION_HORIZON_TICKS",
        ("z3", "unit"),
    ),
    R(
        "SUS-4",
        (
            "Automatic suspension lasts at most 2 h, then basal resumes; it resumes earlier once glucose is "
            "above threshold and rising. After a manual resume, automatic suspension is disabled for 30 min "
            "(Medtronic behaviour)."
        ),
        ("H-UNDER", "H-OVER"),
        "PumpConfig.lgs_max_ticks, lgs_lockout_ticks",
        ("z3", "unit"),
    ),
    R(
        "SEN-1",
        (
            "A glucose reading is used only if it is in range (e.g. 40..400 mg/dL), not an error code, not "
            "older than 12 min and not more than 5 min in the future (oref0; Loop uses 15 min)."
        ),
        ("H-DATA",),
        "PumpConfig.glucose_min_mgdl, glucose_max_mgdl, glucose_max_age_ticks, glucose_max_future_ticks",
        ("z3", "unit", "adapter"),
    ),
    R(
        "SEN-2",
        (
            "Without valid sensor data, sensor-driven features (LGS, controller dosing above scheduled basal)"
            " stop and delivery falls back to the programmed basal; the user is told."
        ),
        ("H-DATA", "H-OVER"),
        "",
        ("z3", "unit"),
    ),
    R(
        "SEN-3",
        ("Implausible jumps (rate of change beyond a configurable bound) mark data unreliable."),
        ("H-DATA",),
        "PumpConfig.glucose_max_change_mgdl_per_tick",
        ("z3", "unit"),
    ),
    R(
        "ALM-1",
        (
            "Alarms have priorities (high / medium / low); a high-priority alarm stops delivery until "
            "acknowledged and cleared (Sommerville SR6)."
        ),
        ("H-FAIL",),
        "",
        ("z3", "unit"),
    ),
    R(
        "ALM-2",
        (
            "Auto-off: no user interaction for a configurable time (default 12 h, range 1..24 h or off) stops"
            " delivery and alarms."
        ),
        ("H-USE",),
        "TherapySettings.auto_off_ticks",
        ("z3", "unit"),
    ),
    R(
        "ALM-3",
        ("An alarm is never lost: raised alarms persist until acknowledged, across restarts."),
        ("H-FAIL",),
        "",
        ("z3", "unit", "adapter"),
    ),
    R(
        "CLK-1",
        (
            "Time passes only by ticks; a tick that is missed or doubled by the platform is detected by the "
            "adapter and handled explicitly (never a burst of catch-up delivery)."
        ),
        ("H-UNEVEN", "H-OVER"),
        "",
        ("z3", "unit", "adapter"),
    ),
    R(
        "CLK-2",
        ("Events carry their tick; an event older than the current tick, or from the future, is refused."),
        ("H-DATA",),
        "",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "INP-1",
        (
            "The kernel never raises on any input: a malformed, out-of-range or ill-typed event is refused "
            "with a reason code, the state is unchanged, and the refusal is logged."
        ),
        ("H-DATA", "H-FAIL"),
        "",
        ("hypothesis", "unit", "crosshair"),
    ),
    R(
        "INP-2",
        ("No partial updates: an event is applied whole or not at all."),
        ("H-DATA",),
        "",
        ("z3", "hypothesis", "unit"),
    ),
    R(
        "PER-1",
        ("The kernel state serialises to a versioned, checksummed record and back, bit-exact."),
        ("H-DATA",),
        "",
        ("hypothesis", "unit"),
    ),
    R(
        "PER-2",
        (
            "After a power loss at any point, recovery neither repeats a delivery nor forgets one: totals, "
            "IOB, pending commands and alarms survive."
        ),
        ("H-DATA", "H-OVER"),
        "",
        ("adapter",),
    ),
    R(
        "PER-3",
        (
            "A corrupted or unreadable record leads to a safe state (delivery suspended, alarm), never to a "
            "default state that delivers."
        ),
        ("H-DATA", "H-FAIL"),
        "",
        ("adapter", "unit"),
    ),
    R(
        "SEC-1",
        (
            "Remote commands (phone, controller) are authenticated (keyed MAC over the whole command), carry "
            "a strictly increasing sequence number and an expiry; forged, replayed, reordered or expired "
            "commands are refused and logged (Animas Ping CVE-2016-5086; Medtronic remote recall)."
        ),
        ("H-SEC",),
        "",
        ("adapter",),
    ),
    R(
        "SEC-2",
        ("Remote bolus can be switched off on the pump; every bolus start is announced."),
        ("H-SEC", "H-USE"),
        "",
        ("z3", "adapter", "unit"),
    ),
    R(
        "SEC-3",
        ("Pump-side limits apply to every command whatever its source."),
        ("H-SEC", "H-OVER"),
        "",
        ("z3", "adapter"),
    ),
    R(
        "LOG-1",
        (
            "A bounded log records deliveries, commands and confirmations, refusals, alarms and "
            "acknowledgements, configuration changes and connectivity events (ACE event-log control)."
        ),
        ("H-DATA",),
        "LOG_CAPACITY (64)",
        ("unit",),
    ),
    R(
        "SEN-4",
        (
            "A report that is not valid (stale, future-dated, error status, error value, jump) never replaces or "
            "erases the last valid reading; freshness and sensor loss are judged from the time of the last valid "
            "reading. No invalid report by itself starts or ends an automatic suspension."
        ),
        ("H-OVER", "H-UNDER", "H-DATA"),
        "GlucoseState (last valid reading kept apart from the latest report)",
        ("z3", "unit"),
    ),
    R(
        "SEN-5",
        (
            "Sensor error states (warm-up, noise, calibration needed, sensor failed, session stopped) and error "
            "values that some receivers send in place of a glucose map to named errors, never to a glucose. LOW "
            "and HIGH come only from the sensor's own below/above-range indication."
        ),
        ("H-DATA",),
        "adapters.sensor DEXCOM_ALGORITHM_STATES, LEGACY_ERROR_VALUES",
        ("z3", "adapter", "unit"),
    ),
    R(
        "ALM-4",
        (
            "Only events that show a person at the pump count as interaction for auto-off (ALM-2). Automated "
            "controller commands never do; remote commands do only where the configuration declares the remote a "
            "person-held device (default: they do not)."
        ),
        ("H-USE",),
        "PumpConfig.remote_is_person_held (False)",
        ("z3", "unit"),
    ),
    R(
        "ALM-5",
        (
            "Alarm burden is a safety property (alarm fatigue leads users to silence or abandon protection): each "
            "alarm kind has a priority, a reason a person must act, and a measured rate per patient-day in "
            "simulation."
        ),
        ("H-USE",),
        "simulation: alarms per patient-day by kind and priority",
        ("unit",),
    ),
    R(
        "PER-4",
        (
            "A state that replaces an unreadable record never forgets the last 24 h: it rebuilds window totals "
            "and IOB from a surviving history, or assumes the worst (windows full, IOB at its maximum, decaying "
            "with time) and keeps automated dosing off until the history window has passed."
        ),
        ("H-OVER", "H-DATA"),
        "kernel.recovery.replacement_state; Timers.history_unknown_ticks (1440)",
        ("adapter", "unit"),
    ),
    R(
        "EVD-1",
        (
            'What "proved" means is stated per requirement: the obligations, what they assume, and what they do '
            "not cover. A requirement is proved only by an obligation about what the pump commands (the motor "
            "commands and alarms it emits), never by one about internal bookkeeping alone; an `unknown` or "
            "timeout proves nothing."
        ),
        ("H-FAIL",),
        "proofs.report requirement statuses",
        ("unit",),
    ),
    R(
        "EVD-2",
        (
            "Evidence never overstates: a step that ran on a sample or partially says so with its size, and is "
            "not reported as passed."
        ),
        ("H-FAIL",),
        "verify verdicts PASSED / FAILED / INCOMPLETE",
        ("unit",),
    ),
    R(
        "DLV-4",
        (
            "A motor command left unanswered for the acknowledgement timeout is assumed delivered in full "
            "and stops delivery with a motor-fault alarm until the next reservoir change."
        ),
        ("H-OVER", "H-FAIL"),
        "PumpConfig.motor_ack_timeout_ticks",
        ("z3", "unit"),
        added=True,
    ),
)

BY_ID: dict[str, Requirement] = {requirement.id: requirement for requirement in REQUIREMENTS}
"""Requirements by ID."""
