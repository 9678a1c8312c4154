"""IT's view of many reports: verify each ``*.json`` in a directory, one row per report.

Reports are untrusted input: every value is escaped in HTML and defused in CSV, and the fields
of an invalid report are shown only as what it claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from desktop_audit.report.csv_export import write_rows
from desktop_audit.report.summary import summarise
from desktop_audit.report.verify import Outcome, verify_path

COLUMNS = (
    "file",
    "valid",
    "problem",
    "signer_fingerprint",
    "name",
    "email",
    "client",
    "created_at",
    "last_scan",
    "open_findings",
    "checklist_percent",
)


@dataclass(frozen=True)
class FleetRow:
    file: str
    outcome: Outcome
    problem: str
    signer_fingerprint: str
    name: str
    email: str
    client: str
    created_at: str
    last_scan: str
    open_findings: int | None
    checklist_percent: int | None

    @property
    def valid(self) -> bool:
        return self.outcome is Outcome.VALID

    def cells(self) -> list[str]:
        def number(value: int | None) -> str:
            return "" if value is None else str(value)

        return [
            self.file,
            "yes" if self.valid else "no",
            self.problem,
            self.signer_fingerprint,
            self.name,
            self.email,
            self.client,
            self.created_at,
            self.last_scan,
            number(self.open_findings),
            number(self.checklist_percent),
        ]


def verify_directory(directory: Path, pinned: str | None = None) -> list[FleetRow]:
    """One row per ``*.json`` file directly in ``directory``, sorted by file name."""
    rows = []
    for path in sorted(p for p in directory.glob("*.json") if not p.is_dir()):
        result = verify_path(path, pinned)
        summary = summarise(result.content) if result.content is not None else None
        rows.append(
            FleetRow(
                file=path.name,
                outcome=result.outcome,
                problem=result.message,
                signer_fingerprint=result.fingerprint or "",
                name=summary.name if summary else "",
                email=summary.email if summary else "",
                client=summary.client if summary else "",
                created_at=summary.created_at if summary else "",
                last_scan=summary.last_scan_at if summary else "",
                open_findings=summary.open if summary else None,
                checklist_percent=summary.checklist_percent if summary else None,
            )
        )
    return rows


def to_csv(rows: Sequence[FleetRow]) -> str:
    return write_rows(COLUMNS, (r.cells() for r in rows))


def to_table(rows: Sequence[FleetRow]) -> str:
    """A plain aligned table for the terminal (fingerprints shortened)."""
    header = ["file", "valid", "name", "email", "client", "last scan", "open", "checklist"]
    header += ["signer", "problem"]
    body = []
    for r in rows:
        cells = r.cells()
        percent = f"{cells[10]}%" if cells[10] else ""
        short = [cells[0], cells[1], cells[4], cells[5], cells[6], cells[8][:10], cells[9]]
        body.append([*short, percent, cells[3][:16], cells[2]])
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]
    return "\n".join(lines) + "\n"


_CSS = """
body { font: 13px/1.4 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; margin: 1.5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d5dae0; }
th { background: #f3f5f7; }
tr.invalid td { background: #fdecea; color: #b42318; }
td.mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11px; }
@media print { body { margin: 0; } tr { break-inside: avoid; } }
"""


def to_html(rows: Sequence[FleetRow]) -> str:
    """A standalone page; rows of reports that do not verify are red."""
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in COLUMNS)
    body = []
    for row in rows:
        cells = row.cells()
        tds = "".join(
            f'<td class="mono">{escape(v)}</td>' if i == 3 else f"<td>{escape(v)}</td>"
            for i, v in enumerate(cells)
        )
        body.append(f'<tr class="{"valid" if row.valid else "invalid"}">{tds}</tr>')
    bad = sum(1 for r in rows if not r.valid)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>desktop-audit fleet summary</title><style>{_CSS}</style></head><body>"
        f"<h1>Attestation reports</h1><p>{len(rows)} reports, {len(rows) - bad} valid, "
        f"{bad} not valid.</p><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
        "</tbody></table></body></html>\n"
    )
