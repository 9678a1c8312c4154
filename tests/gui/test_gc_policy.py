"""The garbage-collector policy: no automatic full collection during a scan, survivors and
start-up objects frozen (so later full collections stay short)."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_audit.gui.gc_policy import (
    DEFERRED_THRESHOLD,
    freeze_startup_objects,
    full_collections_deferred,
    full_collections_deferred_now,
)
from desktop_audit.gui.main_window import MainWindow

SURVIVORS = 300_000  # container objects kept alive: enough to make a full collection due


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    """Counts the full (generation 2) collections that start while the test runs."""
    started: list[int] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            started.append(threading.get_ident())

    gc.collect()  # start from a collected heap: the growth below alone makes a full one due
    gc.callbacks.append(record)
    yield started
    gc.callbacks.remove(record)


def _grow_heap() -> list[list[int]]:
    return [[n] for n in range(SURVIVORS)]


def test_a_growing_heap_triggers_a_full_collection_without_the_policy(
    full_collections: list[int],
) -> None:
    kept = _grow_heap()  # the control: the allocation pattern does cause one normally
    assert len(kept) == SURVIVORS
    assert full_collections


def test_no_automatic_full_collection_while_deferred(full_collections: list[int]) -> None:
    before = gc.get_threshold()
    with full_collections_deferred():
        assert full_collections_deferred_now()
        assert gc.get_threshold() == (before[0], before[1], DEFERRED_THRESHOLD)
        kept = _grow_heap()
        assert full_collections == []
        assert gc.get_count()[0] < before[0] + 1  # the young generation is still collected
    assert not full_collections_deferred_now()
    assert gc.get_threshold() == before
    assert len(kept) == SURVIVORS


def test_survivors_are_frozen_when_the_last_block_ends() -> None:
    frozen = gc.get_freeze_count()
    with full_collections_deferred():
        with full_collections_deferred():
            inner = {"made": ["inside"]}
        assert full_collections_deferred_now()  # the outer block still defers
        assert gc.get_freeze_count() == frozen  # nothing frozen before the last exit
        assert any(obj is inner for obj in gc.get_objects())
    assert not full_collections_deferred_now()
    assert gc.get_freeze_count() > frozen
    # Frozen: full collections no longer walk it (but it is alive and usable).
    assert not any(obj is inner for obj in gc.get_objects())
    assert inner["made"] == ["inside"]


class _Node:
    other: object = None


def test_cycles_that_died_during_the_block_are_freed_not_frozen() -> None:
    freed: list[bool] = []
    with full_collections_deferred():
        first, second = _Node(), _Node()
        first.other, second.other = second, first  # a cycle: only the cyclic collector frees it
        weakref.finalize(first, freed.append, True)
        gc.collect(1)
        gc.collect(1)  # now in the oldest generation, which the block does not collect
        del first, second
        assert freed == []
    assert freed == [True]


def test_thresholds_come_back_when_the_block_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), full_collections_deferred():
        raise RuntimeError("scan failed")
    assert gc.get_threshold() == before
    assert not full_collections_deferred_now()


def test_building_the_window_freezes_start_up_objects_once(
    make_window: Callable[..., MainWindow], db_path: Path
) -> None:
    window = make_window(db_path)
    assert window.isVisible()
    assert gc.get_freeze_count() > 10_000  # modules, classes, functions, widgets
    assert freeze_startup_objects() is False  # only the first window of a process does it
