"""PDFium in a child process: it is C++ parsing untrusted files, so a crash, a hang or a
runaway allocation ends the child (reported for that one PDF, a new child takes the next),
never the scan or the desktop app. One child serves a whole scan (started on the first PDF,
with ``spawn``: never a fork of a process running threads); each PDF has :data:`TIMEOUT`
seconds and the child :data:`MEMORY_LIMIT` bytes of address space."""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from desktop_audit.scan.sources.pdf_text import MAX_PAGES, pdf_pages
from desktop_audit.scan.sources.reading import SkipFile

TIMEOUT = 60.0
_TICK = 0.5  # how often a cancel is looked for while a PDF is read
MEMORY_LIMIT = 2 << 30


def _serve(connection: Connection) -> None:
    """The child: read PDFs until the parent closes the pipe."""
    try:
        import resource  # noqa: PLC0415  (POSIX only)

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass  # no limit where the platform has none
    while True:
        try:
            data = connection.recv_bytes()
        except EOFError:
            return
        try:
            answer: Any = ("pages", list(pdf_pages(data, MAX_PAGES)))
        except SkipFile as skip:
            answer = ("skip", str(skip), skip.report, skip.counter)
        except MemoryError:
            answer = ("skip", "PDF needs too much memory to read, skipped", True, "unreadable")
        connection.send_bytes(pickle.dumps(answer))


class PdfReader:
    """Page texts of PDFs, read in a child process (see the module docstring)."""

    serve = staticmethod(_serve)  # what the child runs

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self._timeout = timeout
        self._process: Any = None
        self._connection: Connection | None = None

    def pages(
        self, data: bytes, stop: Callable[[], bool] = lambda: False
    ) -> list[tuple[int, bytes]]:
        """``(page number, text)`` of each page with text; raises :class:`SkipFile` for a PDF
        that cannot be read (damaged, protected, or one that crashed or stalled PDFium) or
        when ``stop()`` says so while it is read (a cancelled scan)."""
        connection = self._child()
        try:
            connection.send_bytes(data)
            waited = 0.0
            while not connection.poll(min(_TICK, self._timeout - waited)):
                waited += _TICK
                if stop():
                    self.close()
                    raise SkipFile("cancelled", report=False, counter="cancelled", transient=True)
                if waited >= self._timeout:
                    self.close()
                    raise SkipFile(
                        "PDF took too long to read, skipped", counter="unreadable", transient=True
                    )
            answer = pickle.loads(connection.recv_bytes())  # noqa: S301  (our own child)
        except (EOFError, OSError, BrokenPipeError):
            self.close()
            raise SkipFile(
                "PDF made the reader fail, skipped", counter="unreadable", transient=True
            ) from None
        if answer[0] == "skip":
            raise SkipFile(answer[1], report=answer[2], counter=answer[3])
        pages: list[tuple[int, bytes]] = answer[1]
        return pages

    def _child(self) -> Connection:
        if self._connection is not None and self._process is not None:
            if self._process.is_alive():
                return self._connection
            self.close()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=self.serve, args=(child,), daemon=True, name="pdf-reader")
        process.start()
        child.close()
        self._process, self._connection = process, parent
        return parent

    def close(self) -> None:
        """Stop the child (a stalled one is killed)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._process is not None:
            self._process.join(timeout=2)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=2)
            self._process = None
