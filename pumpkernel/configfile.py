"""A pump builder's configuration file (JSON or TOML), read into a ``PumpConfig``.

Theory of operation
-------------------
A configuration file names every field of ``kernel.config.PumpConfig`` in a
``pump`` table, in the kernel's own integer units (the field names carry the
unit: ``_pulses``, ``_pph``, ``_ticks``, ``_mgdl``, ``_kpa``, ``_mu``).  It may
start from the catalogue defaults with ``base = "catalogue"``: the missing
fields then come from ``kernel.config.make_config(pulse_mu)`` for the file's
``pulse_mu`` (default 50, 0.05 U).  Without ``base`` every field is required.

Reading is strict, and every problem is listed at once (CFG-1): an unknown
key, a missing field, a value that is not an integer (``true`` and ``1.0`` are
not integers), a malformed file.  A file that reads cleanly gives a
``PumpConfig`` that is then validated as a whole by ``kernel.config``
(``config_problems``): that is ``pumpkernel verify``'s first step.

The format is documented in ``docs/configuration.md``; ``examples/config.toml``
is a complete example.  TOML is read with the standard library's ``tomllib``.
"""

from __future__ import annotations

import json
import pathlib
import tomllib
from dataclasses import dataclass
from typing import Any

from kernel.config import CONFIG_BOOL_FIELDS, DEFAULT_CONFIG, PumpConfig, make_config
from kernel.state import field_names

FIELDS: tuple[str, ...] = field_names(PumpConfig)
"""Every ``PumpConfig`` field, in declaration order."""

TOP_LEVEL_KEYS = ("format", "name", "base", "pump")
"""Keys allowed at the top level of a configuration file."""

FORMAT_VERSION = 1
BASES = ("catalogue",)


class ConfigFileError(ValueError):
    """A configuration file that cannot be read; ``reasons`` lists every problem."""

    def __init__(self, path: str, reasons: list[str]) -> None:
        self.path = path
        self.reasons = reasons
        super().__init__(f"{path}: " + "; ".join(reasons))


@dataclass(frozen=True)
class LoadedConfig:
    """A configuration read from a file (or the default)."""

    config: PumpConfig
    name: str
    source: str
    """The file it was read from, or ``"default"``."""
    base: str | None = None


def default() -> LoadedConfig:
    """The named default configuration (``kernel.config.DEFAULT_CONFIG``)."""
    return LoadedConfig(DEFAULT_CONFIG, "default (kernel.config.DEFAULT_CONFIG)", "default")


def _is_int(value: object) -> bool:
    return type(value) is int


def parse(data: object, source: str = "<data>") -> LoadedConfig:
    """A ``LoadedConfig`` from decoded JSON or TOML data; ``ConfigFileError`` lists every problem."""
    reasons: list[str] = []
    if not isinstance(data, dict):
        raise ConfigFileError(source, ["the file must hold a table (object) at the top level"])
    for key in sorted(set(data) - set(TOP_LEVEL_KEYS)):
        reasons.append(f"unknown top-level key {key!r} (allowed: {', '.join(TOP_LEVEL_KEYS)})")
    fmt = data.get("format", FORMAT_VERSION)
    if not _is_int(fmt) or fmt != FORMAT_VERSION:
        reasons.append(f"format must be the integer {FORMAT_VERSION}, got {fmt!r}")
    name = data.get("name", pathlib.Path(source).stem)
    if not isinstance(name, str):
        reasons.append(f"name must be a string, got {type(name).__name__}")
        name = source
    base = data.get("base")
    if base is not None and base not in BASES:
        reasons.append(f"base must be one of {', '.join(repr(b) for b in BASES)}, got {base!r}")
    pump = data.get("pump")
    if not isinstance(pump, dict):
        reasons.append("missing table 'pump' with the configuration fields")
        raise ConfigFileError(source, reasons)
    for key in sorted(set(pump) - set(FIELDS)):
        reasons.append(f"unknown key pump.{key}")
    values: dict[str, int | bool] = {}
    for field in FIELDS:
        if field not in pump:
            continue
        value = pump[field]
        if field in CONFIG_BOOL_FIELDS:
            if type(value) is not bool:
                reasons.append(f"pump.{field} must be a boolean, got {type(value).__name__} {value!r}")
            else:
                values[field] = value
        elif not _is_int(value):
            reasons.append(f"pump.{field} must be an integer, got {type(value).__name__} {value!r}")
        else:
            values[field] = value
    if base == "catalogue":
        pulse = int(values.get("pulse_mu", 50))
        try:
            defaults = make_config(pulse_mu=pulse)
        except (ZeroDivisionError, ValueError):
            reasons.append(f"pump.pulse_mu {pulse} cannot seed the catalogue defaults")
            defaults = DEFAULT_CONFIG
        for field in FIELDS:
            values.setdefault(field, getattr(defaults, field))
    elif base is None:
        missing = [field for field in FIELDS if field not in pump]
        if missing:
            reasons.append('missing fields (or set base = "catalogue"): ' + ", ".join(f"pump.{m}" for m in missing))
    if reasons:
        raise ConfigFileError(source, reasons)
    return LoadedConfig(PumpConfig._make(values[field] for field in FIELDS), name, source, base)


def load(path: pathlib.Path | str) -> LoadedConfig:
    """Read a ``.toml`` or ``.json`` configuration file (see module docstring)."""
    path = pathlib.Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as problem:
        raise ConfigFileError(source, [f"cannot read: {problem.strerror or problem}"]) from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(raw.decode("utf-8"))
        elif suffix == ".json":
            data = json.loads(raw.decode("utf-8"))
        else:
            raise ConfigFileError(source, [f"unknown file type {suffix!r}: use .toml or .json"])
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as problem:
        raise ConfigFileError(source, [f"malformed {suffix[1:].upper()}: {problem}"]) from None
    return parse(data, source)


def as_table(config: PumpConfig) -> dict[str, int | bool]:
    """The configuration as a plain ``{field: value}`` table, in field order."""
    return {field: getattr(config, field) for field in FIELDS}


def to_toml(config: PumpConfig, name: str) -> str:
    """A complete TOML configuration file for ``config`` (every field, no base)."""
    lines = [f"format = {FORMAT_VERSION}", f"name = {json.dumps(name)}", "", "[pump]"]
    lines += [f"{field} = {json.dumps(value)}" for field, value in as_table(config).items()]
    return "\n".join(lines) + "\n"
