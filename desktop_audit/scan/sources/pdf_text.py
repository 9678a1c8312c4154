"""PDF files as the text of their pages (a handover document, an exported wiki page, a
scanned-and-OCRed runbook), read with PDFium (``pypdfium2``): the engine Chromium uses on
untrusted PDFs every day. Each page is one piece of text (lines as PDFium lays them out);
at most :data:`MAX_PAGES` pages per file. A damaged or password-protected PDF is reported
and passed over. PDFium is not thread-safe: calls go through one lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop_audit.scan.sources.reading import SkipFile

MAX_PAGES = 200
_LOCK = threading.Lock()


def _pdfium() -> Any:
    try:
        import pypdfium2  # noqa: PLC0415  (optional at run time: a bundle may lack it)
    except Exception as exc:
        raise SkipFile("PDF support unavailable, skipped", report=False) from exc
    return pypdfium2


def is_pdf(path: Path) -> bool:
    return path.name.lower().endswith(".pdf")


def pdf_pages(data: bytes, max_pages: int = MAX_PAGES) -> Iterator[tuple[int, bytes]]:
    """``(page number, text)`` of each page with text, first page 1.

    Raises :class:`SkipFile` for a PDF that cannot be opened (damaged, password-protected).
    """
    pdfium = _pdfium()
    pages: list[tuple[int, bytes]] = []
    with _LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise SkipFile(
                "unreadable PDF (damaged or password-protected), skipped", counter="unreadable"
            ) from exc
        try:
            for index in range(min(len(document), max_pages)):
                page = document[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        text = textpage.get_text_range()
                    finally:
                        textpage.close()
                finally:
                    page.close()
                text = text.replace("\r\n", "\n").replace("\r", "\n")
                if text.strip():
                    pages.append((index + 1, text.encode("utf-8", "surrogateescape")))
        except pdfium.PdfiumError:
            pass  # pages read so far stand
        finally:
            document.close()
    yield from pages
