"""The worker side of parallel detection: the detector a worker builds, the batches it is
given, and :class:`SharedWorker`, one process fed through pipes.

Workers are started with ``forkserver`` (``spawn`` where there is none): never a fork of a
process running other threads (the GUI). Only fragments (content in memory) and hits (no
raw secret) cross the pipes.
"""

from __future__ import annotations

import operator
import pickle
import select
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_audit.errors import DetectionWorkerError
from desktop_audit.models import Fragment, Hit, Origin
from desktop_audit.profile import Profile
from desktop_audit.scan import idle_start
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.secrecy import Secrecy

if TYPE_CHECKING:
    import multiprocessing.connection
    import multiprocessing.context

    from desktop_audit.scan.detector import Detector

_F_SETPIPE_SZ = 1031  # Linux fcntl: a pipe's capacity
_PIPE_BYTES = 1 << 20  # the most an unprivileged process may ask for (``pipe-max-size``)


@dataclass(frozen=True)
class DetectorSpec:
    """Everything a worker needs to build the scan's detector (picklable: the secrecy
    sub-keys, never the installation key)."""

    secrecy: Secrecy
    extra_rule_files: tuple[Path, ...] = ()
    profile: Profile | None = None

    def build(self) -> Detector:
        from desktop_audit.scan.detector import Detector  # noqa: PLC0415

        ruleset = load_ruleset(self.extra_rule_files, self.profile, examples=False)
        return Detector(ruleset, self.secrecy, self.profile)


# A fragment crosses as a plain tuple, its content and its origin's fields: pickling the
# dataclasses themselves costs three times as much (measured: 11 against 3.5 us a fragment).
_origin_fields = operator.attrgetter(*(f.name for f in fields(Origin)))
Packed = tuple[bytes, tuple[Any, ...]]  # content, and its origin's fields in order


def pack(batch: list[Fragment]) -> list[Packed]:
    """``batch`` as it crosses to a worker (only what detection reads)."""
    return [(fragment.data, _origin_fields(fragment.origin)) for fragment in batch]


def _detect_all(detector: Detector, batch: list[Packed]) -> list[list[Hit]]:
    return [detector.scan(Fragment(data, Origin(*origin))) for data, origin in batch]


_WORKER_DETECTOR: Detector | None = None


def worker_start(spec: DetectorSpec) -> None:
    """A pool worker's initializer: its detector."""
    global _WORKER_DETECTOR  # noqa: PLW0603  (one detector per worker process)
    _WORKER_DETECTOR = spec.build()


def worker_detect(batch: list[Packed]) -> list[list[Hit]]:
    """A pool worker's task: the hits of each packed fragment."""
    if _WORKER_DETECTOR is None:  # pragma: no cover  (the initializer always ran)
        raise RuntimeError("detection worker without a detector")
    return _detect_all(_WORKER_DETECTOR, batch)


def context() -> multiprocessing.context.BaseContext:
    import multiprocessing  # noqa: PLC0415

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def serve_batches(
    spec: DetectorSpec,
    tasks: multiprocessing.connection.Connection,
    answers: multiprocessing.connection.Connection,
) -> None:
    """A shared worker (after :func:`idle_start.serve`): answers each batch in turn until
    the scanning process hangs up."""
    detector = spec.build()
    while True:
        try:
            batch = pickle.loads(tasks.recv_bytes())  # noqa: S301  (our own process's bytes)
        except EOFError:
            return
        try:
            answer: list[list[Hit]] | str = _detect_all(detector, batch)
        except Exception as exc:  # reported by type: a message could quote content
            answer = type(exc).__name__
        try:
            answers.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:  # the scanning process hung up (closed mid-batch)
            return


class SharedWorker:
    """One detection process at the lowest priority, given batches through one pipe and
    answering them in order through another, without a thread in this process. On Linux the
    batch pipe is widened so that sending a batch while the worker is busy never blocks."""

    def __init__(self, spec: DetectorSpec, room: int) -> None:
        ctx = context()
        tasks_in, self._tasks = ctx.Pipe(duplex=False)
        self._answers, answers_out = ctx.Pipe(duplex=False)
        # Whether ``room`` bytes of batches fit in the pipe: sending them never waits for the
        # worker (busy, or still starting).
        self.roomy = _widen(self._tasks, _PIPE_BYTES) >= room
        self._poll: select.poll | None = None  # one poll object: a cheap check per fragment
        if hasattr(select, "poll"):  # not on Windows
            self._poll = select.poll()
            self._poll.register(self._answers.fileno(), select.POLLIN)
        self._process = ctx.Process(  # type: ignore[attr-defined]
            target=idle_start.serve,
            args=(pickle.dumps(spec), tasks_in, answers_out),
            name="desktop-audit-detect",
            daemon=True,
        )
        self._process.start()
        tasks_in.close()  # the worker's ends: an EOF tells each side the other went away
        answers_out.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid  # type: ignore[no-any-return]

    def send(self, batch: list[Packed]) -> None:
        try:
            self._tasks.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:
            raise _lost() from exc

    def ready(self) -> bool:
        """Whether an answer (or the worker's end) can be read without waiting."""
        try:
            return bool(self._poll.poll(0)) if self._poll else self._answers.poll()
        except OSError as exc:
            raise _lost() from exc

    def answer(self) -> list[list[Hit]]:
        """The next batch's hits, in the order the batches were sent (waits for it)."""
        try:
            answer = pickle.loads(self._answers.recv_bytes())  # noqa: S301  (our worker's bytes)
        except (EOFError, OSError) as exc:
            raise _lost() from exc
        if isinstance(answer, str):
            raise DetectionWorkerError(f"detection failed in a worker process: {answer}")
        return answer  # type: ignore[no-any-return]

    def close(self) -> None:
        """Hang up: the worker ends by itself after its current batch (or its start-up: a
        scan never waits for it; a daemon process, it cannot outlive this one)."""
        for end in (self._tasks, self._answers):
            end.close()

    def stopped(self, timeout: float) -> bool:
        """Whether the worker process has ended (waiting up to ``timeout`` seconds)."""
        self._process.join(timeout)
        return not self._process.is_alive()


def _widen(connection: multiprocessing.connection.Connection, size: int) -> int:
    """Make the pipe under ``connection`` hold ``size`` bytes (Linux); what it holds (0:
    unknown)."""
    try:
        import fcntl  # noqa: PLC0415  (not on Windows)

        return fcntl.fcntl(connection.fileno(), _F_SETPIPE_SZ, size)
    except (ImportError, OSError):  # another system, or above the user's pipe limit
        return 0


def _lost() -> DetectionWorkerError:
    return DetectionWorkerError("a detection worker process stopped unexpectedly")
