"""Office documents (Word, Excel and PowerPoint files, OpenDocument files) as the text they
show: a token pasted into handover notes or a password in a spreadsheet is as live as one in
a config file. They are zip containers (read within the archive limits of
:mod:`archives`); only the XML parts holding the text people type are read, and their markup
is turned into plain text without an XML parser (nothing is resolved or expanded): paragraph
and row ends become newlines, cell and tab marks tabs, other tags vanish (so a token Word
split over several runs reads whole again), and character references are decoded.
"""

from __future__ import annotations

import bisect
import csv
import html
import io
import re
from pathlib import Path

from desktop_audit.scan.sources.catalogue import WalkRules
from desktop_audit.scan.sources.reading import has_suffix

# The parts whose text people type (body, headers and footers, notes, comments, cells).
_TEXT_PART = re.compile(
    r"\A(?:word/(?:document|header\d*|footer\d*|footnotes|endnotes|comments)"
    r"|xl/(?:sharedStrings|comments\d*)"
    r"|ppt/(?:slides/slide\d+|notesSlides/notesSlide\d+|comments/comment\d+)"
    r"|content)\.xml\Z"
)
# Ends of paragraphs, rows and list items, and explicit line breaks: a new line.
_LINE = re.compile(
    rb"</(?:w:p|a:p|si|text:p|text:h|text:list-item|row|table:table-row)>"
    rb"|<(?:w:br|w:cr|a:br|text:line-break)\b[^>]*>"
)
# Ends of cells and tab marks: a tab, so a row reads "name<TAB>value".
_CELL = re.compile(rb"</(?:c|w:tc|a:tc|table:table-cell)>|<(?:w:tab|text:tab)\b[^>]*>")
_SPACE = re.compile(rb"<text:s\b[^>]*>")
_TAG = re.compile(rb"<[^>]*>")


# Spreadsheets: cells are read as tables too (rows with their numbers), so a "Password"
# column is judged like a password manager's CSV export (``decoders.csv_credentials``).
_SHEET = re.compile(r"\Axl/worksheets/sheet\d+\.xml\Z")
_SHARED = "xl/sharedStrings.xml"
_SI = re.compile(rb"<si\b[^>]*>(.*?)</si>", re.DOTALL)
_ROW = re.compile(rb"<row\b([^>]*)>(.*?)</row>", re.DOTALL)
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL_XML = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})\d+"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<v>(.*?)</v>", re.DOTALL)
MAX_SHEET_ROWS = 100_000
MAX_SHEET_COLUMNS = 256


def is_sheet(name: str) -> bool:
    """Whether a document's zip member is a spreadsheet's worksheet."""
    return _SHEET.match(name) is not None


def is_shared_strings(name: str) -> bool:
    return name == _SHARED


def shared_strings(data: bytes) -> list[str]:
    """The shared string table of a spreadsheet, in index order."""
    return [_plain(m.group(1)) for m in _SI.finditer(data)]


def sheet_table(sheet: bytes, shared: list[str]) -> bytes:
    """A worksheet as tab-separated text, line ``n`` holding row ``n`` (empty rows kept)."""
    out = io.StringIO()
    writer = csv.writer(out, dialect="excel-tab", lineterminator="\n")
    written = 0
    for row in _ROW.finditer(sheet):
        number = _ROW_NUMBER.search(row.group(1))
        target = int(number.group(1)) if number else written + 1
        if target > MAX_SHEET_ROWS:
            break
        while written < target - 1:
            writer.writerow([])
            written += 1
        writer.writerow(_cells(row.group(2), shared))
        written += 1
    return out.getvalue().encode("utf-8", "surrogateescape")


def _cells(row: bytes, shared: list[str]) -> list[str]:
    cells: list[str] = []
    for cell in _CELL_XML.finditer(row):
        attributes, body = cell.group(1), cell.group(2) or b""
        ref = _CELL_REF.search(attributes)
        column = _column_index(ref.group(1)) if ref else len(cells)
        if column >= MAX_SHEET_COLUMNS:
            continue
        while len(cells) < column:
            cells.append("")
        kind = _CELL_TYPE.search(attributes)
        value = _VALUE.search(body)
        if kind and kind.group(1) == b"s":
            index = int(value.group(1)) if value and value.group(1).strip().isdigit() else -1
            text = shared[index] if 0 <= index < len(shared) else ""
        elif kind and kind.group(1) == b"inlineStr":
            text = _plain(body)
        else:
            text = _plain(value.group(1)) if value else ""
        cells.append(text.replace("\t", " ").replace("\n", " "))
    return cells


# Tables of word-processor, presentation and OpenDocument files: (table, row, cell) tags.
_TABLE_KINDS = tuple(
    (
        re.compile(rb"<%s(?=[\s>])[^>]*>(.*?)</%s>" % (table, table), re.DOTALL),
        re.compile(rb"<%s(?=[\s>])[^>]*>(.*?)</%s>" % (row, row), re.DOTALL),
        re.compile(rb"<%s(?=[\s/>])([^>]*?)(?:/>|>(.*?)</%s>)" % (cell, cell), re.DOTALL),
    )
    for table, row, cell in (
        (b"w:tbl", b"w:tr", b"w:tc"),
        (b"a:tbl", b"a:tr", b"a:tc"),
        (b"table:table", b"table:table-row", b"table:table-cell"),
    )
)
_REPEAT = re.compile(rb'table:number-columns-repeated="(\d+)"')


def document_tables(data: bytes) -> list[tuple[list[int], bytes]]:
    """The tables of one XML part: for each, the line (in :func:`xml_text`'s output) where
    each row starts, and the rows as tab-separated text."""
    tables: list[tuple[list[int], bytes]] = []
    breaks: list[int] | None = None  # where xml_text starts a new line, found once
    for table_re, row_re, cell_re in _TABLE_KINDS:
        for table in table_re.finditer(data):
            if breaks is None:
                breaks = [m.start() for m in _LINE.finditer(data)]
            lines: list[int] = []
            out = io.StringIO()
            writer = csv.writer(out, dialect="excel-tab", lineterminator="\n")
            for row in row_re.finditer(data, table.start(1), table.end(1)):
                if len(lines) >= MAX_SHEET_ROWS:
                    break
                lines.append(bisect.bisect_left(breaks, row.start()) + 1)
                writer.writerow(_table_cells(row.group(1), cell_re))
            if lines:
                tables.append((lines, out.getvalue().encode("utf-8", "surrogateescape")))
    return tables


def _table_cells(row: bytes, cell_re: re.Pattern[bytes]) -> list[str]:
    cells: list[str] = []
    for cell in cell_re.finditer(row):
        repeat = _REPEAT.search(cell.group(1))
        count = min(int(repeat.group(1)), MAX_SHEET_COLUMNS) if repeat else 1
        text = " ".join(xml_text(cell.group(2) or b"").decode("utf-8", "surrogateescape").split())
        cells.extend([text] * count)
        if len(cells) >= MAX_SHEET_COLUMNS:
            break
    return cells[:MAX_SHEET_COLUMNS]


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (letter - ord("A") + 1)
    return index - 1


def _plain(xml: bytes) -> str:
    """The text of a fragment of markup (tags dropped, references decoded)."""
    text = _TAG.sub(b"", xml).decode("utf-8", "surrogateescape")
    return html.unescape(text) if "&" in text else text


def is_document(path: Path, rules: WalkRules) -> bool:
    """Whether ``path`` is an office document by its name."""
    return has_suffix(path, frozenset(rules.document_suffixes))


def is_text_part(name: str) -> bool:
    """Whether a document's zip member holds text people typed."""
    return _TEXT_PART.match(name) is not None


def xml_text(data: bytes) -> bytes:
    """The text of one XML part, UTF-8, one line per paragraph or row."""
    text = _LINE.sub(b"\n", data)
    text = _CELL.sub(b"\t", text)
    text = _SPACE.sub(b" ", text)
    text = _TAG.sub(b"", text)
    if b"&" in text:
        # references only: html.unescape knows XML's five names and numeric forms
        text = html.unescape(text.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape"
        )
    return text
