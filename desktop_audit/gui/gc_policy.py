"""The GUI process's garbage-collector policy: keep full collections short and out of scans.

A full (generation 2) collection of CPython's cyclic collector walks every tracked container
object while holding the GIL, so it stalls the GUI thread whichever thread triggers it. With
the app's ~100,000 start-up objects plus a scan's working set (the detector's rule tables and
regex parse trees, the file walker's paths, fragments in flight) one took 50-120 ms on a
2-core machine, and during a scan it reclaimed nothing: the scan makes no cyclic garbage that
outlives the young generations. Hence two measures:

* :func:`freeze_startup_objects`: once the window is built, move everything alive (modules,
  classes, functions, widgets) into the permanent generation, which collections skip.
* :func:`full_collections_deferred`: while a scan runs, only the young generations are
  collected (they stay cheap: they hold only recent objects); at the end, one full collection
  reclaims the cycles the scan left in the oldest generation (it walks only what is not frozen:
  the scan's survivors, a few milliseconds), then what survived is frozen too, so later full
  collections do not walk it either.

Frozen objects are still freed by reference counting when dropped; a reference cycle among them
that becomes unreachable later stays allocated. Written for CPython 3.11's generational
collector.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Generation-2 threshold while full collections are deferred: 2**30 young-generation
# collections (about 7e12 allocations at the default thresholds), in effect never.
DEFERRED_THRESHOLD = 1 << 30

_lock = threading.Lock()
_startup_frozen = False
_depth = 0
_saved: tuple[int, int, int] | None = None


def freeze_startup_objects() -> bool:
    """Collect once, then freeze what is alive; only the first call in a process does it."""
    global _startup_frozen  # noqa: PLW0603  (once per process)
    with _lock:
        if _startup_frozen:
            return False
        _startup_frozen = True
    gc.collect()  # start-up garbage is freed, not frozen (once, before the window shows)
    gc.freeze()
    return True


def full_collections_deferred_now() -> bool:
    """Whether some caller is inside :func:`full_collections_deferred`."""
    with _lock:
        return _depth > 0


@contextmanager
def full_collections_deferred() -> Iterator[None]:
    """No automatic full collection inside the block (nestable, any thread); on the last
    exit freeze the survivors and restore the thresholds."""
    global _depth, _saved  # noqa: PLW0603  (the collector's state is per process)
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], DEFERRED_THRESHOLD)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.collect()  # the scan's dead cycles, before they would be frozen for good
                gc.freeze()
                gc.set_threshold(*_saved)
                _saved = None
