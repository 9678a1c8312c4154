"""A file read again only when it changed: its reuse unit is its path and stat stamp, and
what an earlier scan with the same rules found in that very version stands for it."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from desktop_audit.models import Fragment, Origin
from desktop_audit.scan.reuse import file_unit
from desktop_audit.scan.sources.base import ScanContext
from desktop_audit.scan.sources.fragments import tagged, unit_end


def file_version(path: Path, st: os.stat_result | None, ctx: ScanContext) -> str | None:
    """The reuse unit of a regular file in the state ``st``, or None when it cannot be
    remembered (no reuse in this scan, not a regular file, changed too recently)."""
    if ctx.reuse is None or st is None or not stat.S_ISREG(st.st_mode) or ctx.reuse.recent(st):
        return None
    return file_unit(path, st)


def remembered(unit: str | None, origin: Origin, ctx: ScanContext) -> list[Fragment] | None:
    """None: read the unit; else what to yield instead of reading it (the marker carrying
    the hits an earlier scan found in it, or nothing for a clean one)."""
    hits = ctx.reuse.lookup(unit) if ctx.reuse is not None and unit is not None else None
    if hits is None:
        return None
    return [Fragment(b"", origin, reused=tuple(hits))] if hits else []


def reusable(
    path: Path,
    origin: Origin,
    ctx: ScanContext,
    fragments: Callable[[], Iterator[Fragment]],
    *,
    follow: bool = False,
    remember: bool = True,
) -> Iterator[Fragment]:
    """A file's ``fragments()``, or what an earlier scan with the same rules found in this
    very version of it (same stat stamp); ``remember``: False reads it every time (a config
    naming credential files, which must be followed again). Raises what ``fragments()``
    raises."""
    unit = None
    if ctx.reuse is not None and remember:
        try:
            st: os.stat_result | None = path.stat() if follow else path.lstat()
        except OSError:
            st = None
        unit = file_version(path, st, ctx)
    instead = remembered(unit, origin, ctx)
    if instead is not None:
        yield from instead
        return
    for fragment in fragments():
        yield tagged(fragment, unit)
    yield from unit_end(origin, unit)
