"""PDF rendering of a signed report with fpdf2 (DejaVu fonts when installed, else core fonts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from desktop_audit.report.view import TITLE, VERIFY_HINT, View, build_view

DEJAVU_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
    Path("/Library/Fonts"),
)
_FILES = {
    ("sans", ""): "DejaVuSans.ttf",
    ("sans", "B"): "DejaVuSans-Bold.ttf",
    ("mono", ""): "DejaVuSansMono.ttf",
}
_RED = (180, 35, 24)
_GREEN = (26, 127, 55)
_MUTED = (91, 100, 112)
_ASCII = str.maketrans({"…": "...", "—": "-", "–": "-", "·": "-", "’": "'"})


def _dejavu() -> Path | None:
    for folder in DEJAVU_DIRS:
        if all((folder / name).is_file() for name in _FILES.values()):
            return folder
    return None


class _Document(FPDF):
    """A4 portrait; footer with page number and the key fingerprint."""

    def __init__(self, fingerprint: str, font_dir: Path | None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.fingerprint = fingerprint
        self.unicode = font_dir is not None
        if font_dir is not None:
            for (family, style), name in _FILES.items():
                self.add_font(f"dv{family}", style, str(font_dir / name))
            self.sans, self.mono = "dvsans", "dvmono"
        else:
            self.sans, self.mono = "helvetica", "courier"
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)

    def text_of(self, value: str) -> str:
        """Core fonts only know Latin-1: replace what they cannot show."""
        if self.unicode:
            return value
        return value.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.sans, size=7)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, self.text_of(f"key {self.fingerprint}"), align="L")
        self.cell(0, 5, f"page {self.page_no()}/{{nb}}", align="R", new_x="LMARGIN")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(self.sans, "B", 12)
        self.cell(0, 8, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(213, 218, 224)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)
        self.set_font(self.sans, size=9)


def _summary(pdf: _Document, view: View) -> None:
    pdf.set_font(pdf.sans, "B", 17)
    pdf.cell(0, 10, pdf.text_of(TITLE), new_x="LMARGIN", new_y="NEXT")
    color = _GREEN if view.summary.clean else _RED
    pdf.set_text_color(*color)
    pdf.set_draw_color(*color)
    pdf.set_font(pdf.sans, "B", 11)
    pdf.multi_cell(
        0,
        8,
        pdf.text_of(view.summary.verdict),
        border=1,
        padding=(1, 2),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    pdf.heading("Summary")
    with pdf.table(
        col_widths=(35, 145),
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        line_height=5,
        text_align="LEFT",
    ) as table:
        for label, value in view.facts:
            row = table.row()
            row.cell(pdf.text_of(label), style=FontFace(color=_MUTED))
            row.cell(pdf.text_of(value))


def _key_and_statement(pdf: _Document, view: View) -> None:
    pdf.heading("Signing key")
    pdf.multi_cell(0, 5, "Ed25519 key fingerprint (SHA-256):", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.mono, size=10)
    pdf.multi_cell(0, 6, view.fingerprint, new_x="LMARGIN", new_y="NEXT")
    pdf.heading("Statement")
    pdf.multi_cell(0, 5, pdf.text_of(view.statement), align="L", new_x="LMARGIN", new_y="NEXT")


def _findings(pdf: _Document, view: View) -> None:
    pdf.heading(f"Findings ({len(view.findings)})")
    if not view.findings:
        pdf.multi_cell(0, 5, "No findings.", new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_font(pdf.sans, size=7.5)
    with pdf.table(
        col_widths=(16, 18, 38, 26, 52, 40),
        line_height=4,
        text_align="LEFT",
        headings_style=FontFace(emphasis="BOLD", fill_color=(243, 245, 247)),
    ) as table:
        table.row(["Severity", "Status", "Finding", "Preview", "Locations", "History"])
        for f in view.findings:
            row = table.row()
            urgent = f.severity in ("critical", "high")
            row.cell(f.severity, style=FontFace(color=_RED) if urgent else None)
            row.cell(f.status, style=FontFace(emphasis="BOLD") if f.status == "open" else None)
            row.cell(pdf.text_of(f.what))
            row.cell(pdf.text_of(f.preview))
            row.cell(pdf.text_of(f.where))
            row.cell(pdf.text_of(f.history))


def _checklist(pdf: _Document, view: View) -> None:
    done, total = view.summary.checklist_done, view.summary.checklist_total
    pdf.heading(f"Checklist ({done}/{total})")
    if not view.checklist:
        pdf.multi_cell(0, 5, "No checklist items.", new_x="LMARGIN", new_y="NEXT")
        return
    with pdf.table(
        col_widths=(20, 100, 60),
        line_height=5,
        text_align="LEFT",
        headings_style=FontFace(emphasis="BOLD", fill_color=(243, 245, 247)),
    ) as table:
        table.row(["Done", "Item", "Note"])
        for item in view.checklist:
            row = table.row()
            mark = "done" if item.done else "NOT DONE"
            row.cell(mark, style=FontFace(color=_GREEN if item.done else _RED))
            row.cell(pdf.text_of(item.text))
            row.cell(pdf.text_of(item.note))


def render(document: dict[str, Any], *, core_fonts: bool = False) -> bytes:
    """The PDF file's bytes; ``core_fonts`` skips DejaVu (as on a machine without it)."""
    view = build_view(document)
    pdf = _Document(view.fingerprint, None if core_fonts else _dejavu())
    pdf.set_title(pdf.text_of(f"{TITLE} - {view.summary.name}"))
    pdf.set_author(pdf.text_of(view.summary.name))
    pdf.set_creator("desktop-audit")
    pdf.add_page()
    _summary(pdf, view)
    _key_and_statement(pdf, view)
    _findings(pdf, view)
    _checklist(pdf, view)
    pdf.ln(4)
    pdf.set_font(pdf.sans, size=7.5)
    pdf.set_text_color(*_MUTED)
    pdf.multi_cell(0, 4, pdf.text_of(VERIFY_HINT), align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
