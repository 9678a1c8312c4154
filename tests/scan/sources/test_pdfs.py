"""PDF files are read as the text of their pages (PDFium), real PDFs made with fpdf2."""

from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from fpdf import FPDF

from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.pdf_reader import PdfQueue, PdfReader
from desktop_audit.scan.sources.pdf_text import pdf_pages
from desktop_audit.scan.sources.reading import SkipFile
from tests.scan.sources.conftest import make_ctx
from tests.scan.sources.detection import inner_places, run

# Made-up values in provider formats (they authenticate nowhere).
GITHUB = "ghp_" + "Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc9Q2w"


def _pdf(path: Path, pages: list[list[str]], *, password: str | None = None) -> Path:
    pdf = FPDF()
    if password is not None:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    pdf.set_font("Helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_page_texts_in_order_with_their_lines(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "a.pdf", [["Intro", "nothing here"], [], ["Access", f"token {GITHUB}"]])
    pages = list(pdf_pages(path.read_bytes()))
    assert [number for number, _ in pages] == [1, 3]  # the empty page gives nothing
    assert pages[1][1].split(b"\n")[1].strip() == f"token {GITHUB}".encode()


def test_credentials_in_pdfs_are_found_by_page_and_line(tmp_path: Path) -> None:
    _pdf(
        tmp_path / "Handover.pdf",
        [["Contents"], ["Staging", "Hosts", f"stripe key: {STRIPE}"], [f"CI token {GITHUB}"]],
    )
    (tmp_path / "damaged.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> garbage")
    _pdf(tmp_path / "locked.pdf", [[f"token {GITHUB}"]], password="s3cret-pass")
    ctx = make_ctx(tmp_path)
    located = run(FilesSource([tmp_path]), ctx, with_profile=False)
    found = inner_places(located)
    assert found == {
        ("Handover.pdf", "page 2", 3, "stripe"),
        ("Handover.pdf", "page 3", 1, "github"),
    }
    assert ctx.stat("files").counters["pdfs"] == 1
    errors = {Path(e.path or "").name: e.message for e in ctx.errors}
    assert set(errors) == {"damaged.pdf", "locked.pdf"}
    assert all("password-protected" in message for message in errors.values())


def _crash(connection: Connection) -> None:
    """A child whose PDFium crashes on the first document."""
    connection.recv_bytes()
    os._exit(139)


def _stall(connection: Connection) -> None:
    """A child whose PDFium never returns."""
    connection.recv_bytes()
    time.sleep(120)


def _slow(connection: Connection) -> None:
    """A child that takes a second to start, then reads PDFs as the real one does."""
    time.sleep(1.0)
    PdfReader.serve(connection)


class SlowPdfReader(PdfReader):
    """A reader whose child starts slowly (other tests use it too)."""

    serve = staticmethod(_slow)


class _Crashing(PdfReader):
    serve = staticmethod(_crash)


class _Stalling(PdfReader):
    serve = staticmethod(_stall)


def test_a_crash_or_a_stall_in_pdfium_costs_one_pdf_not_the_scan(tmp_path: Path) -> None:
    document = _pdf(tmp_path / "a.pdf", [[f"token {GITHUB}"]]).read_bytes()
    for reader, message in ((_Crashing(), "fail"), (_Stalling(timeout=2), "too long")):
        with pytest.raises(SkipFile, match=message) as failed:
            reader.pages(document)
        assert failed.value.transient  # another read may succeed: not remembered as read
        assert reader._process is None  # the broken child is gone
        reader.close()
    reader = PdfReader()
    try:
        assert [n for n, _ in reader.pages(document)] == [1]
        reader._process.kill()  # the child dies between two PDFs
        reader._process.join()
        assert [n for n, _ in reader.pages(document)] == [1]  # a new child takes over
    finally:
        reader.close()


def test_a_cancel_stops_waiting_for_a_stalled_pdf(tmp_path: Path) -> None:
    document = _pdf(tmp_path / "a.pdf", [["text"]]).read_bytes()
    reader = _Stalling(timeout=60)
    started = time.monotonic()
    with pytest.raises(SkipFile, match="cancelled"):
        reader.pages(document, stop=lambda: time.monotonic() - started > 1)
    assert time.monotonic() - started < 30 and reader._process is None


def test_a_protected_pdf_fails_for_good(tmp_path: Path) -> None:
    document = _pdf(tmp_path / "p.pdf", [["secret"]], password="user-pw-1").read_bytes()
    reader = PdfReader()
    try:
        with pytest.raises(SkipFile) as failed:
            reader.pages(document)
        assert not failed.value.transient
    finally:
        reader.close()


def test_a_pdf_queue_answers_in_order_and_never_holds_up_the_caller(tmp_path: Path) -> None:
    good = _pdf(tmp_path / "a.pdf", [["intro"], [f"token {GITHUB}"]]).read_bytes()
    locked = _pdf(tmp_path / "p.pdf", [["secret"]], password="user-pw-2").read_bytes()
    reader = SlowPdfReader()
    queue: PdfQueue[str] = PdfQueue(reader)
    try:
        for tag, data in (("a", good), ("b", b"%PDF-1.7 garbage"), ("c", locked), ("d", good)):
            queue.put(data, tag)
        assert len(queue) == 4 and queue.backlog > 2 * len(good)
        assert list(queue.answers(wait=False)) == []  # the child is still starting
        answers = list(queue.answers(wait=True))
        assert [tag for tag, _ in answers] == ["a", "b", "c", "d"]
        assert [number for number, _ in answers[0][1]] == [1, 2]  # type: ignore[union-attr]
        assert answers[3][1] == answers[0][1]
        damaged, protected = answers[1][1], answers[2][1]
        assert isinstance(damaged, SkipFile) and isinstance(protected, SkipFile)
        assert not protected.transient  # fails for good: remembered as read
        assert len(queue) == 0 and queue.backlog == 0
    finally:
        queue.close()
        reader.close()


def test_a_closed_pdf_queue_drops_what_it_holds(tmp_path: Path) -> None:
    document = _pdf(tmp_path / "a.pdf", [["text"]]).read_bytes()
    reader = _Stalling(timeout=60)
    queue: PdfQueue[int] = PdfQueue(reader)
    queue.put(document, 1)
    queue.put(document, 2)
    queue.close()
    reader.close()  # the stalled child is killed: the queue's thread ends
    assert len(queue) == 0 and queue.backlog == 0
    assert list(queue.answers(wait=True)) == []  # nothing left to wait for


class _SlowToSpawn(PdfReader):
    """A reader whose children take half a second to be asked for (a loaded machine)."""

    def _child(self) -> Connection:
        time.sleep(0.5)
        return super()._child()


def test_a_reader_closed_while_its_child_starts_leaves_no_child(tmp_path: Path) -> None:
    document = _pdf(tmp_path / "a.pdf", [["text"]]).read_bytes()
    reader = _SlowToSpawn()
    queue: PdfQueue[int] = PdfQueue(reader)
    queue.put(document, 1)
    time.sleep(0.1)  # the queue's thread is starting the child
    queue.close()  # the scan ends meanwhile
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        p.name == "pdf-reader" for p in multiprocessing.active_children()
    ):
        time.sleep(0.05)
    assert not [p for p in multiprocessing.active_children() if p.name == "pdf-reader"]
    assert reader._process is None
