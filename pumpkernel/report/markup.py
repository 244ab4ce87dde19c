"""Two small renderers of report blocks: Markdown and one self-contained HTML page.

Theory of operation
-------------------
A report is a list of *blocks*, tuples whose first item says what they are:

* ``("h", level, text)``: a heading (HTML ``id`` from its text, ``slug``);
* ``("p", text)``, ``("list", items)``, ``("table", headers, rows)``;
* ``("code", lang, text)``, ``("mermaid", source)``, ``("matrix", modes)``;
* ``("svg", name, svg_text, caption)``: a picture; inline in HTML, a link to
  ``<name>.svg`` (written beside the report) in Markdown;
* ``("box", kind, text)``: a highlighted paragraph (``kind``: ``ok``,
  ``warn``, ``bad``).

Text uses a Markdown subset: ``**bold**``, ``*emphasis*``, ``` `code` ```
and ``[text](target)``.  The HTML is one file: inline CSS, inline SVG, no
script, no external asset; it reads offline.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

Block = tuple[Any, ...]

STATUS_WORDS = ("PASSED", "FAILED", "PROVED", "OPEN", "TESTED", "ERROR", "UNKNOWN", "INCOMPLETE", "MISSED")


def slug(text: str) -> str:
    """The HTML ``id`` of a heading: lower case, runs of other characters as one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(items: Iterable[Block]) -> str:
    out: list[str] = []
    for block in items:
        kind = block[0]
        if kind == "h":
            out.append("#" * block[1] + " " + block[2])
        elif kind == "p":
            out.append(block[1])
        elif kind == "box":
            out.append("> " + block[2])
        elif kind == "list":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "table":
            headers, rows = block[1], block[2]
            lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "code":
            fence = "````" if "```" in block[2] else "```"
            out.append(f"{fence}{block[1]}\n{block[2].rstrip()}\n{fence}")
        elif kind == "mermaid":
            out.append(f"```mermaid\n{block[1]}\n```")
        elif kind == "svg":
            alt = re.sub(r"[\[\]`*]", "", re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", block[3])).split(";")[0]
            out.append(f"![{alt.strip()}]({block[1]}.svg)\n\n{block[3]}")
        elif kind == "matrix":
            continue  # the Markdown report shows the Mermaid diagram and the tables
        out.append("")
    return "\n".join(out)


_INLINE = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*([^*]+)\*")


def inline_html(text: str) -> str:
    """Escape ``text`` and render the Markdown subset used in blocks (bold, code, links, emphasis)."""
    parts: list[str] = []
    last = 0
    for match in _INLINE.finditer(text):
        parts.append(html.escape(text[last : match.start()]))
        bold, code, label, target, em = match.groups()
        if bold is not None:
            parts.append(f"<strong>{inline_html(bold)}</strong>")
        elif code is not None:
            parts.append(f"<code>{html.escape(code)}</code>")
        elif label is not None:
            parts.append(f'<a href="{html.escape(target)}">{inline_html(label)}</a>')
        else:
            parts.append(f"<em>{html.escape(em)}</em>")
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:80em;padding:0 1em;
color:#1b1b1b;line-height:1.4}
h1{border-bottom:3px solid #333}h2{border-bottom:1px solid #999;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top;text-align:left;overflow-wrap:anywhere}
th{background:#eee}code{background:#f3f3f3;padding:0 .2em;font-size:.95em}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow-x:auto;font-size:.85em}
.PASSED,.PROVED{color:#0a6b0a;font-weight:bold}.FAILED,.ERROR,.UNKNOWN,.MISSED{color:#b00000;font-weight:bold}
.TESTED{color:#2e6b30;font-weight:bold}.OPEN,.INCOMPLETE{color:#8a6100;font-weight:bold}
.matrix td{text-align:center;font-size:.8em}.matrix td.empty{background:#fafafa}
.box{border-left:6px solid;padding:.5em 1em;margin:1em 0;background:#f7f7f7}
.box.ok{border-color:#2e7d32}.box.warn{border-color:#f9a825;background:#fffbea}.box.bad{border-color:#c62828;background:#fdecec}
figure{margin:1em 0;overflow-x:auto}figure svg{max-width:100%;height:auto}figure.wide svg{max-width:none}
figcaption{font-size:.85em;color:#555}
"""


def _cell_html(text: str) -> str:
    first = text.split(" ")[0].strip("*:")
    klass = f' class="{first}"' if first in STATUS_WORDS else ""
    return f"<td{klass}>{inline_html(text)}</td>"


def _matrix_html(modes: dict[str, Any]) -> str:
    """The transition diagram as a from-by-to matrix (readable offline, no script)."""
    names = list(modes["modes"])
    cells: dict[tuple[str, str], list[str]] = {}
    for r in modes["event_transitions"]:
        if r["from"] != r["to"]:
            cells.setdefault((r["from"], r["to"]), []).append(r["event"])
    for r in modes["condition_transitions"]:
        cells.setdefault((r["from"], r["to"]), []).append(f"[{r['condition']}]")
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for src in names:
        tds = []
        for dst in names:
            labels = cells.get((src, dst))
            tds.append(
                f"<td>{'<br>'.join(html.escape(x) for x in labels)}</td>" if labels else '<td class="empty"></td>'
            )
        rows.append(f"<tr><th>{html.escape(src)}</th>{''.join(tds)}</tr>")
    return (
        "<p>Transition matrix (row: from, column: to; events by name, conditions in brackets):</p>"
        f'<table class="matrix"><tr><th>from \\ to</th>{head}</tr>{"".join(rows)}</table>'
    )


def render_html(items: Iterable[Block], title: str) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
    ]
    for block in items:
        kind = block[0]
        if kind == "h":
            level = block[1]
            out.append(f'<h{level} id="{slug(block[2])}">{inline_html(block[2])}</h{level}>')
        elif kind == "p":
            out.append(f"<p>{inline_html(block[1])}</p>")
        elif kind == "box":
            out.append(f'<p class="box {block[1]}">{inline_html(block[2])}</p>')
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{inline_html(item)}</li>" for item in block[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block[1])
            body = "".join("<tr>" + "".join(_cell_html(cell) for cell in row) + "</tr>" for row in block[2])
            out.append(f"<table><tr>{head}</tr>{body}</table>")
        elif kind == "code":
            out.append(f"<pre><code>{html.escape(block[2])}</code></pre>")
        elif kind == "mermaid":
            out.append(
                "<details><summary>Mermaid source of the state diagram (renders in GitHub and Mermaid tools)"
                f"</summary><pre><code>{html.escape(block[1])}</code></pre></details>"
            )
        elif kind == "matrix":
            out.append(_matrix_html(block[1]))
        elif kind == "svg":
            wide = " wide" if len(block) > 4 and block[4] == "wide" else ""
            out.append(
                f'<figure id="{block[1]}" class="{wide.strip()}">{block[2]}'
                f"<figcaption>{inline_html(block[3])}</figcaption></figure>"
            )
    out.append("</body></html>")
    return "\n".join(out) + "\n"
