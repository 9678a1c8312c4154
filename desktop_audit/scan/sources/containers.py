"""Containers read for the text people typed into them: zip and tar archives (one level
deep), office documents (OOXML, OpenDocument: body, notes, comments, cells, and the credential
columns of their tables), PDFs and legacy Office files.

The files source knows a container by its name; git history knows a blob only by its bytes
(:func:`blob_container`): a document or archive committed and later removed still holds what
was typed into it. Origins are the caller's (``base``) with the member as ``inner_path``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path

from desktop_audit.models import Fragment, Origin, SourceStats
from desktop_audit.progress import CancelToken
from desktop_audit.scan.sources.archives import Member, compression, zip_names
from desktop_audit.scan.sources.catalogue import WalkRules
from desktop_audit.scan.sources.container_kinds import PDF_MAGIC, Container
from desktop_audit.scan.sources.decoders import csv_credentials
from desktop_audit.scan.sources.documents import (
    MAX_DOCUMENT_ROWS,
    document_tables,
    is_shared_strings,
    is_sheet,
    is_text_part,
    shared_strings,
    sheet_table,
    xml_text,
)
from desktop_audit.scan.sources.fragments import (
    content_fragments,
    guess_format,
    tagged,
    text_size,
    with_line,
)
from desktop_audit.scan.sources.ole_text import is_ole
from desktop_audit.scan.sources.reading import SkipFile

MAX_SHEET_BYTES = 64 << 20  # worksheet XML kept per spreadsheet to be read as tables
MAX_DOCUMENT_TABLE_BYTES = 16 << 20  # table text made from one document, all parts together
_ZIP = b"PK\x03\x04"
_TAR_MAGIC_AT = 257  # "ustar" in a tar header
_OOXML_FOLDERS = ("word/", "xl/", "ppt/")  # Word, Excel, PowerPoint parts
# Software packages are zip archives too (jars, wheels, NuGet, VS Code extensions, Android
# apps): the files source does not open them by name, so git history leaves them too.
_PACKAGE_MARKERS = ("META-INF/MANIFEST.MF", "AndroidManifest.xml", "extension.vsixmanifest")
# At the top level only: a zipped project holding a .nuspec or a virtualenv is a backup.
_NUSPEC = ".nuspec"  # a NuGet package's manifest, at its root
_WHEEL_RECORD = ".dist-info/RECORD"  # a wheel's file list, one folder down
_YARN_CACHE = "node_modules/"  # Yarn's cache keeps each npm package as a zip of node_modules/
# Stream names (UTF-16) of Word, Excel, PowerPoint files and Outlook messages: other OLE files
# (installers, thumbnail caches, Visual Studio state) are not read, as the files source reads
# only the Office suffixes.
_OFFICE_STREAMS = tuple(
    name.encode("utf-16-le")
    for name in ("WordDocument", "Workbook", "Book", "PowerPoint Document", "__substg1.0_")
)


def blob_container(data: bytes) -> Container | None:
    """The kind of container ``data`` is, by its first bytes (and, for a zip, its member
    names); None for other binary content."""
    if data.startswith(_ZIP):
        names = zip_names(data)
        if not names or _is_package(names):
            return None
        return Container.DOCUMENT if _is_document(names) else Container.ARCHIVE
    if data.startswith(PDF_MAGIC):
        return Container.PDF
    if is_ole(data) and any(stream in data for stream in _OFFICE_STREAMS):
        return Container.OLE
    if compression(data) or data[_TAR_MAGIC_AT : _TAR_MAGIC_AT + 5] == b"ustar":
        # a compressed tar or one compressed file, or a plain tar
        return Container.ARCHIVE
    return None


def _is_document(names: list[str]) -> bool:
    """An office document: OOXML (content types and Word, Excel or PowerPoint parts) or
    OpenDocument (a mimetype and the content part)."""
    if "[Content_Types].xml" in names:
        return any(n.startswith(_OOXML_FOLDERS) for n in names)
    return "mimetype" in names and "content.xml" in names


def _is_package(names: list[str]) -> bool:
    return any(
        n in _PACKAGE_MARKERS
        or n.startswith(_YARN_CACHE)
        or (n.endswith(_NUSPEC) and "/" not in n)
        or (n.endswith(_WHEEL_RECORD) and n.count("/") == 1)
        for n in names
    )


def archive_fragments(
    members: Iterable[Member],
    base: Origin,
    *,
    document: bool,
    rules: WalkRules,
    stats: SourceStats,
    cancel: CancelToken,
    unit: str | None = None,
) -> Generator[Fragment, None, int]:
    """The text of an archive's members, or of an office document's parts (and the
    credential cells of its tables), as pieces of reuse unit ``unit``; returns the bytes of
    text read. ``members`` may raise :class:`SkipFile` or ``OSError`` (limits, a corrupt
    archive): that propagates, and what was yielded before stays valid."""
    size = 0
    sheets = _Sheets()
    tables = [MAX_DOCUMENT_TABLE_BYTES]  # table text left for this document
    for member in members:
        if cancel.cancelled:
            return size
        if document and sheets.take(member.name, member.data):
            continue  # read as a table once the shared strings are known
        if document and not is_text_part(member.name):
            continue  # styles, themes, images, relationships: no typed text
        if member.data is None:
            stats.add(member.skipped)
            continue
        data = xml_text(member.data) if document else member.data
        if document:
            for fragment in _table_fragments(base, member.name, member.data, tables):
                yield tagged(fragment, unit)
        origin = dataclasses.replace(
            base,
            inner_path=member.name,
            file_format=None if document else guess_format(Path(member.name)),
        )
        try:
            for fragment, nbytes in text_size(content_fragments(data, origin, rules)):
                size += nbytes
                yield tagged(fragment, unit)
        except SkipFile as skip:
            stats.add(skip.counter)
            continue
        stats.add("archive_members")
    for fragment in sheets.fragments(base):
        yield tagged(fragment, unit)
    return size


def page_fragments(
    pages: Iterable[tuple[int, bytes]], base: Origin, unit: str | None
) -> Generator[Fragment, None, int]:
    """A PDF's page texts (``PdfReader.pages``) as pieces of reuse unit ``unit``, each at
    inner path ``page N``; returns the bytes of text."""
    size = 0
    for number, text in pages:
        size += len(text)
        yield tagged(Fragment(text, dataclasses.replace(base, inner_path=f"page {number}")), unit)
    return size


def _table_fragments(base: Origin, part: str, xml: bytes, budget: list[int]) -> Iterator[Fragment]:
    """The credential cells of a document part's tables (a header row names the column),
    each at the line where its row starts in the part's text; ``budget``: the bytes of table
    text left for the whole document."""
    origin = dataclasses.replace(base, inner_path=part, file_format="csv")
    if budget[0] <= 0:
        return
    for row_lines, table in document_tables(xml, max_bytes=budget[0]):
        budget[0] -= len(table)
        for row, decoded in csv_credentials(table, tabs=True):
            line = row_lines[row - 1] if 0 < row <= len(row_lines) else 0
            yield Fragment(decoded, with_line(origin, line, fixed=True))


class _Sheets:
    """A spreadsheet's worksheets and shared strings, kept (up to :data:`MAX_SHEET_BYTES`)
    until both are read: zip order puts either first."""

    def __init__(self) -> None:
        self.shared: list[str] = []
        self.sheets: list[tuple[str, bytes]] = []
        self.kept = 0

    def take(self, name: str, data: bytes | None) -> bool:
        """Keep a worksheet (True: nothing else to do with it); note the shared strings."""
        if is_shared_strings(name) and data is not None:
            self.shared = shared_strings(data)
            return False  # their text is read as text too
        if not is_sheet(name):
            return False
        if data is not None and self.kept + len(data) <= MAX_SHEET_BYTES:
            self.sheets.append((name, data))
            self.kept += len(data)
        return True

    def fragments(self, base: Origin) -> Iterator[Fragment]:
        """Each sheet as text (line = row: a token in any cell) and its credential cells (a
        header names the column), at their row; at most ``MAX_DOCUMENT_ROWS`` rows in all."""
        budget, text_budget = MAX_DOCUMENT_ROWS, MAX_DOCUMENT_TABLE_BYTES
        for name, sheet in self.sheets:
            if budget <= 0 or text_budget <= 0:
                return
            table = sheet_table(sheet, self.shared, budget, text_budget)
            budget -= table.count(b"\n")
            text_budget -= len(table)
            yield Fragment(table, dataclasses.replace(base, inner_path=name))
            origin = dataclasses.replace(base, inner_path=name, file_format="csv")
            for row, decoded in csv_credentials(table, tabs=True):
                yield Fragment(decoded, with_line(origin, row, fixed=True))
