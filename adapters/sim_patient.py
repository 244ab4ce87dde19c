"""The virtual patient and its CGM: simglucose's UVA/Padova model, made fast without changing a number.

Theory of operation
-------------------
simglucose's ``T1DPatient`` integrates the UVA/Padova 2008 model (13 states)
with scipy's ``dopri5``, one call per simulated minute, about 20 evaluations
of the right-hand side per minute.  As shipped, the right-hand side reads
each parameter from a pandas row (``Series.__getattr__``: more than 90 % of
the time, toolchain notes section 6), works on numpy scalars, and formats a
debug log string on every evaluation while insulin is above basal.

``FastPatient`` keeps simglucose's class, its ``step`` (meal announcement,
eating state, the solver and its tolerances) and its equations, and replaces
only the right-hand side by ``_model_rhs``: the same expressions, in the same
order of floating-point operations, on Python floats, with the parameters
bound once as local names of a closure and with the log formatting dropped.
Constants that are themselves the value of a sub-expression of simglucose's
code (``kmax - kmin`` and the like) are computed once; every other product
and quotient is evaluated exactly as simglucose writes it, so the trajectory
is bit-identical to simglucose's (``tests/adapters/test_sim_patient.py``
compares whole closed-loop days, max difference 0.0).

``make_cgm`` builds simglucose's ``CGMSensor`` (Johnson-distributed noise,
PACF 0.7, cubic interpolation, clamped to the sensor's range) with the
parameters as a plain mapping instead of a pandas row, and a seed of its own
for each patient (``cgm_seed``), so the 30 patients do not share one noise
sequence.

simglucose, numpy and pandas are imported lazily (the ``sim`` extra).
Units: glucose ``_mgdl``; insulin in U/min; carbohydrate in g/min (what
simglucose takes).
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from typing import Any

Rhs = Callable[..., list[float]]


def params_dir() -> Any:
    """simglucose's parameter folder (``vpatient_params.csv``, ``Quest.csv``, ``sensor_params.csv``)."""
    resources = importlib.import_module("importlib.resources")
    return resources.files("simglucose") / "params"


class PatientParams:
    """One patient's row of ``vpatient_params.csv`` as plain attributes (no pandas in the inner loop)."""

    def __init__(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            setattr(self, key, value if isinstance(value, str) else float(value))

    def __getattr__(self, name: str) -> Any:  # for mypy: the attributes are set from the row's columns
        raise AttributeError(name)


def _model_rhs(p: PatientParams) -> Rhs:
    """simglucose ``T1DPatient.model`` for patient ``p``: same operations, floats, parameters as locals."""
    kmax, kmin, kabs, b, d_frac, f, bw = p.kmax, p.kmin, p.kabs, p.b, p.d, p.f, p.BW
    kp1, kp2, kp3, fsnc, ke1, ke2, k1, k2 = p.kp1, p.kp2, p.kp3, p.Fsnc, p.ke1, p.ke2, p.k1, p.k2
    vm0, vmx, km0, m1, m2, m4, m30 = p.Vm0, p.Vmx, p.Km0, p.m1, p.m2, p.m4, p.m30
    ka1, ka2, kd, vi, p2u, ib, ki, ksc = p.ka1, p.ka2, p.kd, p.Vi, p.p2u, p.Ib, p.ki, p.ksc
    neg_kmax = -kmax
    half_kspan = (kmax - kmin) / 2
    one_minus_b = 1 - b
    neg_m2_m4 = -(m2 + m4)
    neg_m1_m30 = -(m1 + m30)
    ka1_kd = ka1 + kd
    f_kabs = f * kabs
    neg_p2u = -p2u
    neg_ki = -ki
    neg_ksc = -ksc
    tanh = importlib.import_module("numpy").tanh  # numpy's, not libm's: they differ in the last bit

    def rhs(t: float, x: Any, action: Any, params: Any, last_qsto: float, last_foodtaken: float) -> list[float]:
        x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12 = x.tolist()
        d = action.CHO * 1000
        insulin = action.insulin * 6000 / bw
        qsto = x0 + x1
        dbar = last_qsto + last_foodtaken * 1000
        dx0 = neg_kmax * x0 + d
        if dbar > 0:
            aa = 5 / (2 * dbar * one_minus_b)
            cc = 5 / (2 * dbar * d_frac)
            rise = float(tanh(aa * (qsto - b * dbar)))
            fall = float(tanh(cc * (qsto - d_frac * dbar)))
            kgut = kmin + half_kspan * (rise - fall + 2)
        else:
            kgut = kmax
        dx1 = kmax * x0 - x1 * kgut
        dx2 = kgut * x1 - kabs * x2
        rat = f_kabs * x2 / bw
        egpt = kp1 - kp2 * x3 - kp3 * x8  # max(egpt, 0) below, as simglucose writes it, without the call
        et = ke1 * (x3 - ke2) if x3 > ke2 else 0
        dx3 = (0 if egpt < 0 else egpt) + rat - fsnc - et - k1 * x3 + k2 * x4
        dx3 = (x3 >= 0) * dx3
        vmt = vm0 + vmx * x6
        uidt = vmt * x4 / (km0 + x4)
        dx4 = -uidt + k1 * x3 - k2 * x4
        dx4 = (x4 >= 0) * dx4
        dx5 = neg_m2_m4 * x5 + m1 * x9 + ka1 * x10 + ka2 * x11
        it = x5 / vi
        dx5 = (x5 >= 0) * dx5
        dx6 = neg_p2u * x6 + p2u * (it - ib)
        dx7 = neg_ki * (x7 - it)
        dx8 = neg_ki * (x8 - x7)
        dx9 = neg_m1_m30 * x9 + m2 * x5
        dx9 = (x9 >= 0) * dx9
        dx10 = insulin - ka1_kd * x10
        dx10 = (x10 >= 0) * dx10
        dx11 = kd * x10 - ka2 * x11
        dx11 = (x11 >= 0) * dx11
        dx12 = neg_ksc * x12 + ksc * x3
        dx12 = (x12 >= 0) * dx12
        return [dx0, dx1, dx2, dx3, dx4, dx5, dx6, dx7, dx8, dx9, dx10, dx11, dx12]

    return rhs


def _fast_patient_class() -> type:
    base: Any = importlib.import_module("simglucose.patient.t1dpatient").T1DPatient

    class FastPatient(base):  # type: ignore[misc]
        """simglucose's ``T1DPatient`` with the right-hand side of ``_model_rhs`` (see module docstring)."""

        def reset(self) -> None:
            self.model = _model_rhs(self._params)
            super().reset()

    return FastPatient


_FAST_PATIENT: list[type] = []


def load_rows(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Patient ``name``'s rows of ``vpatient_params.csv`` and ``Quest.csv``, as plain dicts."""
    pandas: Any = importlib.import_module("pandas")
    params = pandas.read_csv(str(params_dir() / "vpatient_params.csv"))
    quest = pandas.read_csv(str(params_dir() / "Quest.csv"))
    rows = params.loc[params.Name == name]
    if len(rows) != 1:
        raise KeyError(f"no virtual patient named {name!r}")
    row = rows.squeeze()
    return row.to_dict(), quest.loc[quest.Name == name].squeeze().to_dict()


def make_patient(row: dict[str, Any], *, fast: bool = True) -> Any:
    """A simglucose patient from its parameter row, in its default initial state.

    ``fast=False`` gives simglucose's own ``T1DPatient`` (the reference the
    tests compare with).
    """
    numpy: Any = importlib.import_module("numpy")
    init_state = numpy.asarray(list(row.values())[2:15], dtype=float)
    params = PatientParams(row)
    if not fast:
        reference: Any = importlib.import_module("simglucose.patient.t1dpatient").T1DPatient
        return reference(params, init_state=init_state)
    if not _FAST_PATIENT:
        _FAST_PATIENT.append(_fast_patient_class())
    return _FAST_PATIENT[0](params, init_state=init_state)


def cgm_seed(seed: int, patient: str) -> int:
    """The CGM noise seed of ``patient`` in a run seeded ``seed`` (a 32-bit number, stable across machines)."""
    digest = hashlib.sha256(f"cgm:{seed}:{patient}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class _SensorParams(dict[str, Any]):
    """A sensor row that simglucose can read both as ``params["min"]`` and as ``params.Name``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as missing:
            raise AttributeError(name) from missing


def make_cgm(sensor: str, seed: int) -> Any:
    """simglucose's ``CGMSensor`` ``sensor`` (e.g. ``"Dexcom"``, 3-min samples) with noise seed ``seed``."""
    pandas: Any = importlib.import_module("pandas")
    cgm_module: Any = importlib.import_module("simglucose.sensor.cgm")
    table = pandas.read_csv(str(params_dir() / "sensor_params.csv"))
    rows = table.loc[table.Name == sensor]
    if len(rows) != 1:
        raise KeyError(f"no CGM model named {sensor!r}")
    values = {key: value if isinstance(value, str) else float(value) for key, value in rows.squeeze().items()}
    return cgm_module.CGMSensor(_SensorParams(values), seed=seed)
