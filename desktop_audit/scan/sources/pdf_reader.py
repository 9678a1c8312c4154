"""PDFium in a child process: it is C++ parsing untrusted files, so a crash, a hang or a
runaway allocation ends the child (reported for that one PDF, a new child takes the next),
never the scan or the desktop app. One child serves a whole scan (started on the first PDF,
with ``spawn``: never a fork of a process running threads); each PDF has :data:`TIMEOUT`
seconds and the child :data:`MEMORY_LIMIT` bytes of address space."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from desktop_audit.scan.sources.pdf_text import MAX_PAGES, pdf_pages
from desktop_audit.scan.sources.reading import SkipFile

TIMEOUT = 60.0
_TICK = 0.5  # how often a cancel is looked for while a PDF is read
MEMORY_LIMIT = 2 << 30

T = TypeVar("T")
Pages = list[tuple[int, bytes]]


def _cancelled() -> SkipFile:
    """Why a PDF was not read: the scan was cancelled or ended (read it again next time)."""
    return SkipFile("cancelled", report=False, counter="cancelled", transient=True)


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
        try:
            connection.send_bytes(pickle.dumps(answer))
        except OSError:  # the scan closed the pipe (a cancel): nobody waits for it
            return


class PdfReader:
    """Page texts of PDFs, read in a child process (see the module docstring)."""

    serve = staticmethod(_serve)  # what the child runs

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self._timeout = timeout
        self._process: Any = None
        self._connection: Connection | None = None
        # close() may come from another thread than pages() (a scan that ends while its
        # PdfQueue's thread reads a PDF): the child's handles change under this lock
        self._lock = threading.Lock()
        self._closes = 0  # close() calls: a child started across one is stopped at once

    def pages(
        self, data: bytes, stop: Callable[[], bool] = lambda: False
    ) -> list[tuple[int, bytes]]:
        """``(page number, text)`` of each page with text; raises :class:`SkipFile` for a PDF
        that cannot be read (damaged, protected, or one that crashed or stalled PDFium) or
        when ``stop()`` says so while it is read (a cancelled scan)."""
        try:
            connection = self._child()
        except (OSError, ValueError):  # no process could start (out of file descriptors)
            raise SkipFile(
                "the PDF reader could not start, skipped", counter="unreadable", transient=True
            ) from None
        try:
            connection.send_bytes(data)
            waited = 0.0
            while not connection.poll(min(_TICK, self._timeout - waited)):
                waited += _TICK
                if stop():
                    self.close()
                    raise _cancelled()
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
        with self._lock:
            connection, process, closes = self._connection, self._process, self._closes
        if connection is not None and process is not None:
            if process.is_alive():
                return connection
            self.close()
            closes += 1
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=self.serve, args=(child,), daemon=True, name="pdf-reader")
        process.start()
        child.close()
        with self._lock:
            if self._closes == closes:
                self._process, self._connection = process, parent
                return parent
        # closed meanwhile (the scan ended): this child must not outlive it
        parent.close()
        process.kill()
        process.join(timeout=2)
        raise _cancelled()

    def close(self) -> None:
        """Stop the child (a stalled one is killed); from any thread, any number of times."""
        with self._lock:
            connection, process = self._connection, self._process
            self._connection = self._process = None
            self._closes += 1
        if connection is not None:
            connection.close()
        if process is not None:
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
                process.join(timeout=2)


class PdfQueue(Generic[T]):
    """PDFs read in turn by one thread through a :class:`PdfReader`, while the caller goes
    on: it waits neither for the child to start (a fresh interpreter: 0.13-0.16 s measured
    on a history's first PDF) nor for PDFium. Answers come back in the order the PDFs were
    given, each with the caller's ``tag``: the pages, or the :class:`SkipFile` (or other
    error) that says why there are none. After ``stop()`` (a cancel) or :meth:`close`, what
    is left is answered "cancelled" without reading it. The queue's thread owns the reader
    while it runs; :meth:`close` closes both."""

    def __init__(self, reader: PdfReader, stop: Callable[[], bool] = lambda: False) -> None:
        self._reader = reader
        self._user_stop = stop
        self._closed = False
        self._todo: deque[bytes | None] = deque()
        self._tags: deque[T] = deque()
        self._answers: deque[Pages | Exception] = deque()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self.backlog = 0  # bytes given and not yet answered

    def __len__(self) -> int:
        """PDFs given whose answers were not taken yet."""
        return len(self._tags)

    def put(self, data: bytes, tag: T) -> None:
        """Read ``data`` after the PDFs given before it."""
        with self._changed:
            if self._closed:
                raise RuntimeError("PdfQueue used after close()")
            self._tags.append(tag)
            self._todo.append(data)
            self.backlog += len(data)
            self._changed.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, daemon=True, name="pdf-queue")
            self._thread.start()

    def answers(self, *, wait: bool) -> Iterator[tuple[T, Pages | Exception]]:
        """The answers at the front that are in, in order (``wait``: every PDF given, unless
        a cancel comes first)."""
        while self._tags:
            with self._changed:
                while wait and not self._answers and not self._stop():
                    self._changed.wait(_TICK)
                if not self._answers:
                    return
                answer = self._answers.popleft()
            yield self._tags.popleft(), answer

    def close(self) -> None:
        """Drop what is not answered, end the thread (after its current PDF: at most about
        half a second, as it reads with ``stop()`` true) and close the reader."""
        with self._changed:
            self._closed = True
            self._todo.clear()
            self._todo.append(None)
            self._tags.clear()
            self._answers.clear()
            self.backlog = 0
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._reader.close()

    def _stop(self) -> bool:
        return self._closed or self._user_stop()

    def _serve(self) -> None:
        try:
            while True:
                with self._changed:
                    while not self._todo:
                        self._changed.wait()
                    data = self._todo.popleft()
                if data is None:
                    return
                answer: Pages | Exception
                if self._stop():
                    answer = _cancelled()
                else:
                    try:
                        answer = self._reader.pages(data, self._stop)
                    except Exception as exc:  # handed to the caller, which decides
                        answer = exc
                with self._changed:
                    if self._closed:
                        return  # nobody waits for it
                    self._answers.append(answer)
                    self.backlog -= len(data)
                    self._changed.notify_all()
        finally:
            self._reader.close()
