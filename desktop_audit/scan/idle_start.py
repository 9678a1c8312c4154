"""A shared detection worker's entry point: it drops to the lowest priority before anything
else, so that even its start-up (imports, building the detector: 0.2-0.3 s of CPU) only uses
time nothing else wants. Kept free of heavy imports for that reason."""

from __future__ import annotations

import os
import pickle
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.connection import Connection


def lower_priority() -> None:
    """Run only on CPU time nothing else wants: Linux's idle class (git inflating objects
    is never slowed), else a nice of 10 (Windows: unchanged)."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        if hasattr(os, "nice"):
            os.nice(10)


def serve(spec: bytes, tasks: Connection, answers: Connection) -> None:
    """Lower the priority, then build the detector from the pickled ``spec`` and answer."""
    lower_priority()
    from desktop_audit.scan.detect_worker import serve_batches  # noqa: PLC0415  (after)

    serve_batches(pickle.loads(spec), tasks, answers)  # noqa: S301  (our own process's bytes)
