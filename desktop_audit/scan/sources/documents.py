"""Office documents (Word, Excel and PowerPoint files, OpenDocument files) as the text they
show: a token pasted into handover notes or a password in a spreadsheet is as live as one in
a config file. They are zip containers (read within the archive limits of
:mod:`archives`); only the XML parts holding the text people type are read, and their markup
is turned into plain text without an XML parser (nothing is resolved or expanded): paragraph
and row ends become newlines, cell and tab marks tabs, other tags vanish (so a token Word
split over several runs reads whole again), and character references are decoded.

Every pattern here runs in linear time on hostile markup: a tag never spans a ``<``, and an
element's end is found with one forward search (no element is looked for once no end is
left), so a part made of ten thousand unclosed tags costs one pass, not ten thousand.
"""

from __future__ import annotations

import bisect
import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

from desktop_audit.scan.sources.catalogue import WalkRules
from desktop_audit.scan.sources.reading import has_suffix

# The parts whose text people type (body, headers and footers, notes, comments, a
# spreadsheet's shared strings: one left behind by a deleted cell is read too). Worksheets are
# read as tables (``sheet_table``).
_TEXT_PART = re.compile(
    r"\A(?:word/(?:document|header\d*|footer\d*|footnotes|endnotes|comments)"
    r"|xl/(?:sharedStrings|comments\d*)"
    r"|ppt/(?:slides/slide\d+|notesSlides/notesSlide\d+|comments/comment\d+)"
    r"|content)\.xml\Z"
)
# Ends of paragraphs, rows and list items, and explicit line breaks: a new line.
_LINE = re.compile(
    rb"</(?:w:p|a:p|si|text:p|text:h|text:list-item|row|table:table-row)>"
    rb"|<(?:w:br|w:cr|a:br|text:line-break)(?=[\s/>])[^<>]*>"
)
# Ends of cells and tab marks: a tab, so a row reads "name<TAB>value".
_CELL = re.compile(rb"</(?:c|w:tc|a:tc|table:table-cell)>|<(?:w:tab|text:tab)(?=[\s/>])[^<>]*>")
_SPACE = re.compile(rb"<text:s(?=[\s/>])[^<>]*>")
_TAG = re.compile(rb"<[^<>]*>")

# Spreadsheets: cells are read as tables (rows with their numbers), so a "Password" column is
# judged like a password manager's CSV export (``decoders.csv_credentials``).
_SHEET = re.compile(r"\Axl/worksheets/sheet\d+\.xml\Z")
_SHARED = "xl/sharedStrings.xml"
_ROW_NUMBER = re.compile(rb"""\br=["'](\d{1,7})["']""")
_CELL_REF = re.compile(rb"""\br=["']([A-Z]{1,3})\d{1,7}["']""")
_CELL_TYPE = re.compile(rb"""\bt=["'](\w{1,16})["']""")
_REPEAT = re.compile(rb"""table:number-columns-repeated=["'](\d{1,7})["']""")
MAX_SHEET_ROWS = 100_000  # rows of one table, empty rows between numbered ones included
MAX_DOCUMENT_ROWS = 200_000  # rows of all the tables of one document
MAX_SHEET_COLUMNS = 256
MAX_TABLE_BYTES = 8 << 20  # text of the tables of one part or sheet


def _opening(name: bytes) -> re.Pattern[bytes]:
    """The opening (or self-closing) tag of element ``name``; group 1: its attributes."""
    return re.compile(rb"<" + re.escape(name) + rb"(?=[\s/>])([^<>]*)>")


def _elements(
    data: bytes, opening: re.Pattern[bytes], name: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """``(attributes, body start, body end)`` of each ``name`` element in ``data[start:end]``
    (a self-closing one has an empty body). The end tag is found with one forward search; an
    element whose end is missing ends the search (nothing after it is complete either)."""
    stop = len(data) if end is None else end
    closing = b"</" + name + b">"
    position = start
    while True:
        found = opening.search(data, position, stop)
        if found is None:
            return
        if found.group(1).endswith(b"/"):
            yield found.group(1), found.end(), found.end()
            position = found.end()
            continue
        close = data.find(closing, found.end(), stop)
        if close < 0:
            return
        yield found.group(1), found.end(), close
        position = close + len(closing)


def is_sheet(name: str) -> bool:
    """Whether a document's zip member is a spreadsheet's worksheet."""
    return _SHEET.match(name) is not None


def is_shared_strings(name: str) -> bool:
    return name == _SHARED


_SI = _opening(b"si")
_ROW = _opening(b"row")
_C = _opening(b"c")
_V = _opening(b"v")


def shared_strings(data: bytes) -> list[str]:
    """The shared string table of a spreadsheet, in index order."""
    return [_plain(data[lo:hi]) for _, lo, hi in _elements(data, _SI, b"si")]


def sheet_table(
    sheet: bytes,
    shared: list[str],
    max_rows: int = MAX_SHEET_ROWS,
    max_bytes: int = MAX_TABLE_BYTES,
) -> bytes:
    """A worksheet as tab-separated text, line ``n`` holding row ``n`` (empty rows kept), at
    most ``max_rows`` lines and about ``max_bytes`` of text (a cell is measured before it is
    kept: a thousand cells pointing at one huge shared string stop at the budget)."""
    out = io.StringIO()
    writer = csv.writer(out, dialect="excel-tab", lineterminator="\n")
    written = 0
    limit = min(max_rows, MAX_SHEET_ROWS)
    budget = [max_bytes]
    for attributes, lo, hi in _elements(sheet, _ROW, b"row"):
        number = _ROW_NUMBER.search(attributes)
        target = int(number.group(1)) if number else written + 1
        if target > limit or budget[0] <= 0:
            break
        while written < target - 1:
            writer.writerow([])
            written += 1
        writer.writerow(_cells(sheet, lo, hi, shared, budget))
        written += 1
    return out.getvalue().encode("utf-8", "surrogateescape")


def _cells(sheet: bytes, lo: int, hi: int, shared: list[str], budget: list[int]) -> list[str]:
    cells: list[str] = []
    for attributes, body_lo, body_hi in _elements(sheet, _C, b"c", lo, hi):
        ref = _CELL_REF.search(attributes)
        column = _column_index(ref.group(1)) if ref else len(cells)
        if column >= MAX_SHEET_COLUMNS:
            continue
        while len(cells) < column:
            cells.append("")
        kind = _CELL_TYPE.search(attributes)
        body = sheet[body_lo:body_hi]
        value = next(_elements(body, _V, b"v"), None)
        raw = body[value[1] : value[2]] if value else b""
        if kind and kind.group(1) == b"s":
            index = int(raw) if raw.strip().isdigit() and len(raw) < 10 else -1
            text = shared[index] if 0 <= index < len(shared) else ""
        elif kind and kind.group(1) == b"inlineStr":
            text = _plain(body)
        else:
            text = _plain(raw)
        if len(text) >= budget[0]:
            budget[0] = 0
            break
        budget[0] -= len(text) + 1
        cells.append(text.replace("\t", " ").replace("\n", " "))
    return cells


# Tables of word-processor, presentation and OpenDocument files: (table, row, cell) names.
_TABLE_KINDS = tuple(
    (_opening(table), table, _opening(row), row, _opening(cell), cell)
    for table, row, cell in (
        (b"w:tbl", b"w:tr", b"w:tc"),
        (b"a:tbl", b"a:tr", b"a:tc"),
        (b"table:table", b"table:table-row", b"table:table-cell"),
    )
)


def document_tables(
    data: bytes, max_rows: int = MAX_DOCUMENT_ROWS, max_bytes: int = MAX_TABLE_BYTES
) -> list[tuple[list[int], bytes]]:
    """The tables of one XML part: for each, the line (in :func:`xml_text`'s output) where
    each row starts, and the rows as tab-separated text (at most ``max_rows`` rows and about
    ``max_bytes`` of text in all)."""
    tables: list[tuple[list[int], bytes]] = []
    breaks: list[int] | None = None  # where xml_text starts a new line, found once
    budget = max_rows
    text_budget = [max_bytes]
    for table_re, table, row_re, row, cell_re, cell in _TABLE_KINDS:
        for _, table_lo, table_hi in _elements(data, table_re, table):
            if breaks is None:
                breaks = [m.start() for m in _LINE.finditer(data)]
            lines: list[int] = []
            out = io.StringIO()
            writer = csv.writer(out, dialect="excel-tab", lineterminator="\n")
            for _, row_lo, row_hi in _elements(data, row_re, row, table_lo, table_hi):
                if budget <= 0 or text_budget[0] <= 0:
                    break
                budget -= 1
                lines.append(bisect.bisect_left(breaks, row_lo) + 1)
                writer.writerow(_table_cells(data, row_lo, row_hi, cell_re, cell, text_budget))
            if lines:
                tables.append((lines, out.getvalue().encode("utf-8", "surrogateescape")))
    return tables


def _table_cells(
    data: bytes, lo: int, hi: int, cell_re: re.Pattern[bytes], cell: bytes, budget: list[int]
) -> list[str]:
    cells: list[str] = []
    for attributes, body_lo, body_hi in _elements(data, cell_re, cell, lo, hi):
        repeat = _REPEAT.search(attributes)
        count = min(int(repeat.group(1)), MAX_SHEET_COLUMNS) if repeat else 1
        text = " ".join(xml_text(data[body_lo:body_hi]).decode("utf-8", "surrogateescape").split())
        if text:
            count = min(count, budget[0] // (len(text) + 1))  # a repeated cell, within budget
            if count <= 0:
                budget[0] = 0
                break
            budget[0] -= count * (len(text) + 1)
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
