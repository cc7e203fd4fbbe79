"""The report folder: report.json (plain, valid JSON with provenance) and report.html, one
self-contained page (styles inline, figures as base64 PNG) that opens offline in any browser."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataprints.atomic import atomic_write, write_json
from dataprints.diagnostics.section import Section
from dataprints.results import json_safe, provenance

STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}th{background:#f3f3f3}
.status{display:inline-block;padding:.05rem .5rem;border-radius:.3rem;font-size:.85rem}
.ran{background:#dcefdc}.na{background:#eee}.failed{background:#f6d6d6}
figure{margin:.8rem 0}figcaption{font-size:.85rem;color:#555}img{max-width:100%;
image-rendering:pixelated}.meta{font-size:.85rem;color:#555}
"""


@dataclass
class Report:
    """What :func:`dataprints.diagnose` wrote, and the sections it holds."""

    folder: Path
    sections: list[Section]
    body: dict[str, Any]

    @property
    def json_path(self) -> Path:
        return self.folder / "report.json"

    @property
    def html_path(self) -> Path:
        return self.folder / "report.html"


def _section_json(s: Section) -> dict[str, Any]:
    return {"status": s.status, "paper": s.paper, "why": s.why, "error": s.error,
            "notes": s.notes,
            "values": s.values, "tables": s.tables, "figures": list(s.figures),
            "seconds": round(s.seconds, 3)}


def write_report(folder: Path, sections: Sequence[Section], header: dict[str, Any]) -> Report:
    """Write report.json and report.html into ``folder`` (created; files replaced atomically).
    Non-finite numbers become null in the JSON, their paths listed under ``nonfinite``."""
    folder = Path(folder)
    nonfinite: dict[str, str] = {}
    body = {**header, "diagnostics": {s.name: _section_json(s) for s in sections}}
    body = json_safe(body, nonfinite)
    body = {**body, "nonfinite": nonfinite, "provenance": provenance()}
    write_json(folder / "report.json", body)
    page = render_html(sections, body)
    atomic_write(folder / "report.html", lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return Report(folder, list(sections), body)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "<p>(no rows)</p>"
    columns = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in columns)
                   + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _section_html(s: Section) -> str:
    e = html.escape
    css = {"ran": "ran", "not applicable": "na", "failed": "failed"}[s.status]
    parts = [f"<h2>{e(s.name)} <span class='status {css}'>{e(s.status)}</span></h2>",
             f"<p class='meta'>{e(s.paper)}; {s.seconds:.1f} s</p>"]
    if s.why:
        parts.append(f"<p><b>Does not apply:</b> {e(s.why)}</p>")
    if s.error:
        parts.append(f"<p><b>Failed:</b> {e(s.error)}</p>")
    if s.notes:
        parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in s.notes) + "</ul>")
    for title, rows in s.tables.items():
        parts.append(f"<h3>{e(title)}</h3>{_table(rows)}")
    for caption, png in s.figures.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<figure><img alt='{e(caption)}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{e(caption)}</figcaption></figure>")
    return "\n".join(parts)


def render_html(sections: Sequence[Section], body: dict[str, Any]) -> str:
    """The page: what was diagnosed, then one part per diagnostic, applied or not."""
    e = html.escape
    model, data, prov = body["model"], body["data"], body["provenance"]
    summary = [{"diagnostic": s.name, "status": s.status, "why not / error": s.why or s.error}
               for s in sections]
    head = (f"<p><b>Model:</b> {e(model['description'])} ({model['outputs']} output(s); "
            f"{model['checkpoints']} checkpoint(s) given)<br><b>Data:</b> {e(data['source'])}: "
            f"{data['train_images']} training and {data['held_out_images']} held-out "
            f"({e(data['held_out_split'])}) images {e(data['image_shape'])}, classes "
            f"{e(', '.join(data['classes']))}; preprocessing {e(data['preprocess'])}</p>"
            f"<p class='meta'>dataprints {e(str(prov['dataprints']))}, git "
            f"{e(str(prov['git_sha']))}, torch {e(str(prov['torch']))}, {e(str(prov['device']))},"
            f" {e(str(prov['date']))}</p>")
    parts = "\n".join(_section_html(s) for s in sections)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>dataprints diagnose: {e(model['description'])}</title>"
            f"<style>{STYLE}</style></head><body><h1>What this classifier gives away</h1>"
            f"{head}{_table(summary)}\n{parts}</body></html>\n")
