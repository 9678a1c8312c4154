"""Standalone, print-friendly HTML rendering of a signed report (inline CSS, no assets)."""

from __future__ import annotations

from html import escape
from typing import Any

from desktop_audit.report.view import TITLE, VERIFY_HINT, View, build_view

_CSS = """
:root { --ink: #1b1f24; --muted: #5b6470; --line: #d5dae0; --ok: #1a7f37; --bad: #b42318; }
* { box-sizing: border-box; }
body { font: 14px/1.45 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif;
       color: var(--ink); margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 1rem; }
.verdict { font-weight: bold; padding: .6rem .8rem; border-radius: 4px; margin: 1rem 0; }
.verdict.clean { background: #e6f4ea; color: var(--ok); border: 1px solid var(--ok); }
.verdict.incomplete { background: #fdecea; color: var(--bad); border: 1px solid var(--bad); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem;
         border-bottom: 1px solid var(--line); }
th { background: #f3f5f7; }
table.facts th { width: 11rem; background: none; color: var(--muted); font-weight: normal; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.where { white-space: pre-line; }
.fingerprint { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 15px;
               letter-spacing: .03em; }
.statement { border-left: 4px solid var(--line); padding: .5rem 1rem; background: #fafbfc; }
.sev-critical, .sev-high { color: var(--bad); font-weight: bold; }
.st-open { color: var(--bad); font-weight: bold; }
.done { color: var(--ok); } .todo { color: var(--bad); font-weight: bold; }
.hint { color: var(--muted); font-size: 12px; margin-top: 2rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  th { background: none; }
  .statement { background: none; }
  @page { size: A4; margin: 15mm; }
}
"""


def _facts(view: View) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in view.facts)
    return f'<table class="facts">{rows}</table>'


def _findings(view: View) -> str:
    if not view.findings:
        return "<p>No findings.</p>"
    head = (
        "<tr><th>Severity</th><th>Status</th><th>Finding</th><th>Preview</th>"
        "<th>Locations</th><th>History</th></tr>"
    )
    rows = "".join(
        f'<tr><td class="sev-{escape(f.severity)}">{escape(f.severity)}</td>'
        f'<td class="st-{escape(f.status.replace(" ", "_"))}">{escape(f.status)}</td>'
        f"<td>{escape(f.what)}</td><td><code>{escape(f.preview)}</code></td>"
        f'<td class="where mono">{escape(f.where)}</td>'
        f'<td class="where">{escape(f.history)}</td></tr>'
        for f in view.findings
    )
    return f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def _checklist(view: View) -> str:
    if not view.checklist:
        return "<p>No checklist items.</p>"
    rows = "".join(
        f'<tr><td class="{"done" if c.done else "todo"}">{"done" if c.done else "NOT DONE"}</td>'
        f"<td>{escape(c.text)}</td><td>{escape(c.note)}</td></tr>"
        for c in view.checklist
    )
    head = "<tr><th>Done</th><th>Item</th><th>Note</th></tr>"
    return f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def render(document: dict[str, Any]) -> str:
    """The whole page as a string."""
    view = build_view(document)
    verdict_class = "clean" if view.summary.clean else "incomplete"
    subtitle = f"{view.summary.name} · {view.summary.hostname} · {view.summary.created_at}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(TITLE)} — {escape(view.summary.name)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f'<h1>{escape(TITLE)}</h1><p class="sub">{escape(subtitle)}</p>'
        f'<div class="verdict {verdict_class}">{escape(view.summary.verdict)}</div>'
        "<h2>Summary</h2>"
        f"{_facts(view)}"
        "<h2>Signing key</h2>"
        f'<p>Ed25519 key fingerprint (SHA-256):<br><span class="fingerprint">'
        f"{escape(view.fingerprint)}</span></p>"
        "<h2>Statement</h2>"
        f'<p class="statement">{escape(view.statement)}</p>'
        f"<h2>Findings ({len(view.findings)})</h2>{_findings(view)}"
        f"<h2>Checklist ({view.summary.checklist_done}/{view.summary.checklist_total})</h2>"
        f"{_checklist(view)}"
        f'<p class="hint">{escape(VERIFY_HINT)}</p>'
        "</body></html>\n"
    )
