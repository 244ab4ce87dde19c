"""Charts of the evidence as inline SVG (matplotlib, Agg backend): deterministic, offline, self-contained.

Theory of operation
-------------------
Each function draws one chart from the evidence document and returns the SVG
text, ready to inline into HTML (no XML declaration, no DOCTYPE) and to
write as a file beside ``report.md``:

* ``requirements_by_hazard``: per hazard class, how many of its requirements
  are proved, tested, open, or failed (stacked bars);
* ``step_times``: seconds per step, and the slowest obligation families
  (volatile: it belongs to the report's last section);
* ``mutation_layers``: kill rate per verification layer with the 95 %
  interval, when ``property_tests/mutation_layers.json`` exists.

Determinism: fixed ``svg.hashsalt``, no date in the metadata, text kept as
text (``svg.fonttype = none``); every ``id`` is prefixed with the chart's name
so that several charts can live in one HTML page.
"""

from __future__ import annotations

import io
import re
from typing import Any

STATE_COLOURS = {"proved": "#2e7d32", "tested": "#81c784", "open": "#f9a825", "failed": "#c62828"}


def _figure(width_in: float, height_in: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.hashsalt": "pumpkernel", "svg.fonttype": "none", "font.size": 9})
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained")


def _svg(figure: Any, name: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'id="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    text = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{name}-\1"', text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{name}" ', 1)


def requirements_by_hazard(doc: dict[str, Any]) -> str:
    """Stacked horizontal bars: requirements per hazard class by state (proved, tested, open, failed)."""
    hazards = list(doc.get("hazards", {}))
    rows = doc.get("traceability", [])
    figure = _figure(7.0, 0.35 * len(hazards) + 1.2)
    axes = figure.add_subplot()
    left = [0] * len(hazards)
    for state, colour in STATE_COLOURS.items():
        counts = [sum(1 for r in rows if h in r["hazards"] and r.get("state", r["result"]) == state) for h in hazards]
        if not any(counts):
            continue
        bars = axes.barh(hazards, counts, left=left, color=colour, label=state)
        axes.bar_label(bars, labels=[str(c) if c else "" for c in counts], label_type="center", fontsize=8)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("requirements (a requirement controlling two hazards counts in both)")
    axes.legend(loc="lower right", fontsize=8)
    axes.set_title("Requirements by status per hazard class")
    return _svg(figure, "chart-hazards")


def step_times(doc: dict[str, Any]) -> str:
    """Seconds per step, and the ten slowest obligation families (from the volatile timings)."""
    from pumpkernel.prove import family

    timings = doc.get("timings", {})
    steps = timings.get("steps_seconds", {})
    families: dict[str, float] = {}
    for key, seconds in (timings.get("detail_seconds", {}).get("proofs", {}) or {}).items():
        if key.startswith("obligation "):
            name = family(key.removeprefix("obligation "))
            families[name] = families.get(name, 0.0) + float(seconds)
    slow = sorted(families.items(), key=lambda kv: -kv[1])[:10]
    figure = _figure(7.0, 3.4 if slow else 2.2)
    panels = figure.subplots(1, 2 if slow else 1, squeeze=False)[0]
    panels[0].barh(list(steps), list(steps.values()), color="#455a64")
    panels[0].invert_yaxis()
    panels[0].set_xlabel("seconds")
    panels[0].set_title("Time per step")
    if slow:
        panels[1].barh([k for k, _ in slow], [v for _, v in slow], color="#78909c")
        panels[1].invert_yaxis()
        panels[1].set_xlabel("seconds")
        panels[1].set_title("Slowest obligation families")
        panels[1].tick_params(axis="y", labelsize=7)
    return _svg(figure, "chart-times")


def mutation_layers(layers: dict[str, Any]) -> str:
    """Kill rate per verification layer (killed / run) with its 95 % interval.

    Each bar is labelled with its counts, and a layer whose sample did not run completely says
    INCOMPLETE under its name (EVD-1: a sample says it is a sample, a partial run says so); figures
    measured on another kernel than this one say STALE in the title.
    """
    names = [name for name in layers.get("layers", []) if name in layers.get("totals", {})]
    samples = layers.get("sample", {})
    rates, low, high, ticks = [], [], [], []
    for name in names:
        total = layers["totals"][name]
        run = int(total.get("run", 0))
        killed = int(total.get("killed", 0))
        rate = 100.0 * killed / run if run else 0.0
        rates.append(rate)
        low.append(max(0.0, rate - 100.0 * float(total.get("low95", rate / 100.0))))
        high.append(max(0.0, 100.0 * float(total.get("high95", rate / 100.0)) - rate))
        complete = samples.get(name, {}).get("complete", False)
        ticks.append(f"{name}\n{killed} / {run}" + ("" if complete else "\nINCOMPLETE"))
    generated = layers.get("generated")
    planned = max((int(sample.get("planned", 0)) for sample in samples.values()), default=0)
    figure = _figure(5.5, 3.1)
    axes = figure.add_subplot()
    bars = axes.bar(ticks, rates, yerr=[low, high], capsize=4, color="#1565c0")
    axes.bar_label(bars, labels=[f"{r:.1f} %" for r in rates], padding=2, fontsize=8)
    axes.set_ylim(0, 110)
    axes.set_ylabel("mutants killed (% of those run)")
    drawn = f"a sample of {planned:,} of {generated:,} mutants" if planned and generated else "a sample of mutants"
    title = f"Mutation kill rate per verification layer (95 % interval)\non {drawn}"
    if layers.get("stale"):
        title += "\nSTALE: measured on another kernel"
    axes.set_title(title, fontsize=9)
    return _svg(figure, "chart-mutation-layers")
