"""The assurance case as pictures (Graphviz ``dot`` to SVG) and as its own HTML page.

Theory of operation
-------------------
``views(case)`` draws the GSN case of ``assurance.case`` with the Python
``graphviz`` binding and Graphviz's ``dot`` (Debian package graphviz), left to
right, in GSN shapes: goals are boxes (an undeveloped goal carries a small
diamond), strategies parallelograms, solutions circles, contexts rounded
boxes, assumptions and justifications ellipses marked A and J; *supported
by* arrows are solid, *in context of* arrows hollow.  Colour is status: green
proved, light green tested, amber open, red failed; white and dashed an
undeveloped goal outside the kernel's claim.

* ``overview``: the top goal, its context, assumptions and justification, the
  strategy over the hazard classes, one goal per hazard (with its counts; a
  link to its own view), the configuration goal and the confidence goal with
  their solutions;
* one view per hazard class: the hazard goal, its strategy, one goal per
  requirement, and the requirement's solutions drawn as one row of cells (one
  cell per evidence item, coloured by its status) to keep the picture
  readable; what a proof does not cover is an undeveloped goal.

``page(case, svgs)`` is ``assurance-case.html``: every view inline, and a
table of every goal with its status.  Without ``dot`` installed, ``views``
returns nothing and the page says so (the JSON is complete either way).
"""

from __future__ import annotations

import html
import shutil
import textwrap
from typing import Any

from pumpkernel.report.markup import CSS, inline_html

FILL = {"proved": "#c8e6c9", "tested": "#e8f5e9", "open": "#fff3c4", "failed": "#ffcdd2", "undeveloped": "#ffffff"}
LINE = {"proved": "#2e7d32", "tested": "#66bb6a", "open": "#c79100", "failed": "#c62828", "undeveloped": "#78909c"}
CELL = {"passed": "#a5d6a7", "failed": "#ef9a9a", "unknown": "#ef9a9a", "not run": "#e0e0e0"}
SHAPE = {
    "goal": {"shape": "box"},
    "strategy": {"shape": "parallelogram"},
    "solution": {"shape": "circle", "fixedsize": "false"},
    "context": {"shape": "box", "style": "rounded,filled"},
    "assumption": {"shape": "ellipse"},
    "justification": {"shape": "ellipse"},
}
KIND_SHORT = {"z3": "Z3", "invariant": "INV", "crosshair": "CH", "tests": "T"}


def available() -> bool:
    """Whether Graphviz's ``dot`` and the Python binding are installed."""
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


def _wrap(text: str, width: int = 38, limit: int = 8) -> str:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > limit:
        lines = [*lines[: limit - 1], lines[limit - 1][: width - 1] + "…"]
    return "\n".join(lines)


def _add(graph: Any, node: dict[str, Any], url: str = "", lines: int = 8) -> None:
    kind, status = node["type"], node["status"]
    attrs = dict(SHAPE[kind])
    attrs.setdefault("style", "filled,dashed" if status == "undeveloped" else "filled")
    neutral = kind in ("context", "assumption", "justification") and status != "failed"
    attrs["fillcolor"] = "#eceff1" if neutral else FILL.get(status, "#ffffff")
    attrs["color"] = "#607d8b" if neutral else LINE.get(status, "#000000")
    attrs["penwidth"] = "2" if status == "failed" else "1.2"
    mark = {"assumption": "  A", "justification": "  J"}.get(kind, "")
    width = {"solution": 16, "strategy": 28}.get(kind, 36)
    label = f"{node['id']}{mark}\n{_wrap(node['text'], width, lines if kind in ('goal', 'strategy') else 14)}"
    if kind == "goal" and "counts" in node:
        c = node["counts"]
        label += f"\n{c['proved']} proved, {c['tested']} tested, {c['open']} open"
    if kind in ("goal", "strategy", "solution"):
        label += f"\n[{status.upper()}]"
    attrs["tooltip"] = node["text"]
    if url:
        attrs["URL"] = url
        attrs["target"] = "_top"
    graph.node(node["id"], label, **attrs)
    if node.get("undeveloped"):
        diamond = f"{node['id']}-undeveloped"
        graph.node(diamond, "", shape="diamond", width="0.25", height="0.25", style="filled", fillcolor="#ffffff")
        graph.edge(node["id"], diamond, arrowhead="none")


def _edge(graph: Any, edge: dict[str, str]) -> None:
    if edge["relation"] == "in_context_of":
        graph.edge(edge["from"], edge["to"], arrowhead="empty", style="solid", color="#607d8b")
    else:
        graph.edge(edge["from"], edge["to"], arrowhead="normal")


def _graph(name: str) -> Any:
    import graphviz

    graph = graphviz.Digraph(name, format="svg")
    graph.attr(rankdir="LR", fontname="Helvetica", nodesep="0.15", ranksep="0.35", bgcolor="white")
    graph.attr("node", fontname="Helvetica", fontsize="10", margin="0.08,0.04")
    graph.attr("edge", color="#37474f")
    return graph


def _evidence_row(graph: Any, goal: dict[str, Any], solutions: list[dict[str, Any]]) -> None:
    """One node for a requirement's solutions: a row of cells, one per evidence item, coloured by status."""
    if not solutions:
        return
    cells = []
    for sn in solutions:
        status = sn.get("evidence_status", "not run")
        short = KIND_SHORT.get(sn.get("evidence_kind", ""), "?")
        name = str(sn.get("name", sn["id"]))
        name = name.rsplit("/", 1)[-1] if sn.get("evidence_kind") == "tests" else name
        cells.append(
            f'<td bgcolor="{CELL.get(status, "#ffffff")}" title="{html.escape(sn["text"])}">'
            f"{html.escape(short)} {html.escape(name[:24])}<br/>{html.escape(status)}</td>"
        )
    rows = [cells[i : i + 3] for i in range(0, len(cells), 3)]
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    label = f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">{body}</table>>'
    node_id = f"{goal['id']}-evidence"
    graph.node(node_id, label, shape="plaintext", fontsize="8", tooltip=f"evidence for {goal['id']}")
    graph.edge(goal["id"], node_id, arrowhead="normal")


def _pipe(graph: Any) -> str:
    text: str = graph.pipe(format="svg", encoding="utf-8")
    return text[text.index("<svg") :]


def views(case: dict[str, Any]) -> dict[str, str]:
    """View name -> SVG text (``overview`` first, then one per hazard class); empty without Graphviz."""
    if not available():
        return {}
    nodes = {n["id"]: n for n in case["nodes"]}
    children: dict[str, list[str]] = {}
    for edge in case["edges"]:
        children.setdefault(edge["from"], []).append(edge["to"])
    hazards = [n for n in case["nodes"] if n["type"] == "goal" and "hazard" in n]
    out: dict[str, str] = {}
    overview = _graph("overview")
    shown: set[str] = set()
    for node_id in [case["top"], *children.get(case["top"], [])]:
        for child in [node_id, *children.get(node_id, [])]:
            if child not in shown:
                node = nodes[child]
                _add(overview, node, f"assurance-case.html#view-{node['hazard']}" if "hazard" in node else "")
                shown.add(child)
    for edge in case["edges"]:
        if edge["from"] in shown and edge["to"] in shown:
            _edge(overview, edge)
    out["overview"] = _pipe(overview)
    for hazard in hazards:
        graph = _graph(hazard["hazard"])
        _add(graph, hazard)
        strategy = nodes[children[hazard["id"]][0]]
        _add(graph, strategy)
        graph.edge(hazard["id"], strategy["id"])
        for goal_id in children.get(strategy["id"], []):
            goal = nodes[goal_id]
            _add(graph, goal, lines=4)
            graph.edge(strategy["id"], goal_id)
            below = [nodes[c] for c in children.get(goal_id, [])]
            _evidence_row(graph, goal, [n for n in below if n["type"] == "solution"])
            for other in below:
                if other["type"] != "solution":
                    _add(graph, other)
                    _edge(
                        graph, {"from": goal_id, "to": other["id"], "relation": _relation(case, goal_id, other["id"])}
                    )
        out[hazard["hazard"]] = _pipe(graph)
    return out


def _relation(case: dict[str, Any], parent: str, child: str) -> str:
    return str(next(e["relation"] for e in case["edges"] if e["from"] == parent and e["to"] == child))


def page(case: dict[str, Any], svgs: dict[str, str], title: str) -> str:
    """``assurance-case.html``: every view inline and a table of every goal (see module docstring)."""
    goals = [n for n in case["nodes"] if n["type"] in ("goal", "strategy")]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="box {_box(case["status"])}">Top goal: <strong>{html.escape(case["claim"])}</strong> '
        f"Status in this bundle: <strong>{case['status'].upper()}</strong>. "
        '<a href="report.html">Back to the report</a>. The same case as data: <code>assurance-case.json</code>.</p>',
        "<p>Goal Structuring Notation: goals (boxes) are supported by strategies (parallelograms) and solutions "
        "(evidence); contexts (rounded boxes), assumptions (A) and justifications (J) qualify a goal; a diamond marks "
        "an undeveloped goal. Colours: green proved, light green tested, amber open (not supported, nothing failed), "
        "red failed; white and dashed: undeveloped, outside the kernel's claim (what a proof leaves to the adapters). "
        "A goal is never shown better than the worst evidence below it.</p>",
    ]
    if not svgs:
        parts.append("<p><strong>No picture</strong>: Graphviz's <code>dot</code> is not installed.</p>")
    for name, svg in svgs.items():
        heading = "Overview" if name == "overview" else f"Hazard {name}"
        parts.append(f'<h2 id="view-{html.escape(name)}">{html.escape(heading)}</h2>')
        parts.append(f'<figure class="wide">{svg}</figure>')
    parts.append('<h2 id="goals">Every goal and strategy</h2><table><tr><th>id</th><th>status</th><th>text</th></tr>')
    for node in goals:
        status = node["status"].upper() + (" (undeveloped)" if node.get("undeveloped") else "")
        parts.append(
            f'<tr><td>{html.escape(node["id"])}</td><td class="{node["status"].upper()}">{html.escape(status)}</td>'
            f"<td>{inline_html(node['text'])}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def _box(status: str) -> str:
    return {"proved": "ok", "tested": "ok", "open": "warn"}.get(status, "bad")
