"""Office documents (Word, Excel and PowerPoint files, OpenDocument files) as the text they
show: a token pasted into handover notes or a password in a spreadsheet is as live as one in
a config file. They are zip containers (read within the archive limits of
:mod:`archives`); only the XML parts holding the text people type are read, and their markup
is turned into plain text without an XML parser (nothing is resolved or expanded): paragraph
and row ends become newlines, cell and tab marks tabs, other tags vanish (so a token Word
split over several runs reads whole again), and character references are decoded.
"""

from __future__ import annotations

import html
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
