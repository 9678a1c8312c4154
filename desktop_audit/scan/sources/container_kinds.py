"""The kinds of binary blob read for their text, named apart from the readers (a rescan that
reads no blob does not load those)."""

from __future__ import annotations

from enum import StrEnum

PDF_MAGIC = b"%PDF-"


class Container(StrEnum):
    """What a blob holds when it is not text but can be read for text."""

    ARCHIVE = "archive"
    DOCUMENT = "document"
    PDF = "pdf"
    OLE = "ole"
