"""Candidate engines: where in a fragment may a rule's match start?

Every engine answers, per rule, with ranges of offsets that hold every offset where the
rule's regex matches at all (a superset; see ``matcher.py`` for what a match is) in every
segment where a match the matcher keeps may start, or leaves the rule ``unfiltered`` (the
matcher then uses its keyword windows). They differ only in how cheaply they do it.

``hyperscan``, ``re2``, ``python`` (:class:`TieredEngine`)
    Tier A: rules whose every match holds one of a few distinctive literals
    (``translate.required_literals``: ``ghp_``, ``AKIA``, ``-----BEGIN``, ``.login(``...)
    share ONE literal scan (a hyperscan literal database, an RE2 alternation searched from
    each hit on, or ``bytes.find``); a hit at ``p`` bounds a match start to
    ``[p - reach, p]``. Tier B: rules without one, or whose literals are common words
    (``weak_literal``: ``key``, ``password``), go to the backend's whole-regex engine below
    (``python``: keyword windows). Tier C (``hyperscan`` only, :func:`placement`): rules
    with keywords whose pattern has no literal hyperscan can start from
    (``translate.literal_led``: ``[a-z0-9]{6}[.][a-z0-9]{16}``), which would slow the
    tier B database at every byte, get a database of their own, scanned only over the
    segments around their keywords' occurrences (found by the tier A literal scan), since
    a kept match starts near a keyword; so do rules whose literals are common words but
    whose keywords are not (``airtable.pat``: ``pat``, keyword ``airtable``).

The whole-regex engines, also selectable alone as ``hyperscan-full``, ``re2-full`` and
``python-keywords``:

``hyperscan``
    One block-mode database of every rule regex itself (rewritten by ``translate.py``:
    explicit byte classes, plain groups, multi-line anchors; ``HS_FLAG_PREFILTER`` for a
    pattern hyperscan cannot compile exactly, no ``SINGLEMATCH``, no ``SOM``). A report's end
    offset ``x`` of rule ``r`` bounds a match start to ``[x - max width, x - min width]``;
    for a long pattern whose matches hold at most ``n`` newlines
    (``translate.max_newlines``: ``(?m)^user=...\n(?:#...\n){0,4}pass=...``), also to
    after the ``n + 1``-th newline before ``x`` (hyperscan cannot report such starts).
    Scratch space is per thread, cloned from a prototype.
``re2``
    One ``re2.Set`` of every rule regex says which rules match the fragment at all; for
    those, RE2 ``finditer`` (leftmost, non-overlapping) spans: a match start either lies in
    one of them or is the start of one.
``python``
    Standard library only: ranges around the rules' keyword occurrences.

Rules an engine cannot compile fall back to their keyword ranges. All engines are
thread-safe.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from desktop_audit.scan.rules.cachedir import cache_dir, write_cache_file
from desktop_audit.scan.rules.translate import (
    UnsupportedRegexError,
    bounded_prefix,
    translate,
    weak_literal,
)

Ranges = dict[int, list[tuple[int, int]]]

SEGMENT = 4096  # longest segment (lines longer than this are cut at multiples of it)


def segment_at(data: bytes, pos: int) -> tuple[int, int]:
    """The segment (see ``matcher.py``) holding offset ``pos``."""
    block = pos - pos % SEGMENT
    newline = data.rfind(b"\n", block, pos)
    start = newline + 1 if newline != -1 else block
    newline = data.find(b"\n", pos, block + SEGMENT)
    end = newline + 1 if newline != -1 else min(len(data), block + SEGMENT)
    return start, max(end, pos + 1)


@dataclass(frozen=True, slots=True)
class EnginePattern:
    """What an engine needs of one rule: its regex and the width bounds of its matches.

    With ``prefix`` set, hyperscan compiles the regex's short prefix (``bounded_prefix``:
    same starts, far cheaper to scan than long repeats) and the widths are the prefix's.
    """

    regex: bytes  # the rule's Python bytes regex
    min_width: int
    width: int  # longest match the matcher accepts (the regex's, or the matcher's cap)
    prefix: bool = False
    prefix_min_width: int = 0
    prefix_width: int = 0
    # Precomputed hyperscan spellings (full, prefix); None: not supplied, b"": unsupported.
    hyperscan_full: bytes | None = None
    hyperscan_prefix: bytes | None = None
    # Literals one of which every match holds (``translate.required_literals``), each at most
    # ``reach`` bytes after the match start; with ``line``, on the match start's line.
    literals: tuple[tuple[bytes, bool], ...] = ()
    reach: int = 0
    line: bool = False
    # Does every match hold a required literal at a bounded distance from its start
    # (``translate.literal_led``)?
    led: bool = True
    single_line: bool = False  # no match holds a newline (``translate.single_line``)
    # The most newlines a match holds (``translate.max_newlines``; None: unbounded).
    newlines: int | None = None
    # Are its required literals (before the matcher drops far ones) weak (``weak_literal``)?
    weak: bool = False
    # The rule's keywords (lowercase) and the matcher's keyword gate: a kept match starts at
    # most ``keyword_before`` bytes before a keyword or ``keyword_after`` bytes after its end.
    keywords: tuple[bytes, ...] = ()
    keyword_before: int = 0
    keyword_after: int = 0

    def hyperscan_shape(self) -> tuple[bytes, int, int]:
        """Expression, min and max width of what hyperscan scans for."""
        if self.prefix:
            if self.hyperscan_prefix is not None:
                if not self.hyperscan_prefix:
                    raise UnsupportedRegexError("no hyperscan prefix")
                return self.hyperscan_prefix, self.prefix_min_width, self.prefix_width
            expression = bounded_prefix(self.regex, "hyperscan").pattern
            return expression, self.prefix_min_width, self.prefix_width
        if self.hyperscan_full is not None:
            if not self.hyperscan_full:
                raise UnsupportedRegexError("no hyperscan spelling")
            return self.hyperscan_full, self.min_width, self.width
        return translate(self.regex, "hyperscan").pattern, self.min_width, self.width


class CandidateEngine(Protocol):
    name: str

    def ranges(self, data: bytes) -> Ranges:
        """Rule index -> ``(lo, hi)`` offset ranges holding every match start of that rule
        (every one, in each segment where a kept match may start); rules absent from the
        result have no kept match in ``data``. Rules listed in ``unfiltered`` are never in
        the result (the caller uses their keyword ranges)."""
        ...

    @property
    def unfiltered(self) -> frozenset[int]:
        """Rules this engine cannot rule out (not compiled)."""
        ...


class HyperscanEngine:
    """All rule regexes in one hyperscan block-mode database (see the module docstring).

    With ``literals`` (the tiered engine's literal scan), the same database also reports
    every occurrence of each literal (caseless where asked): one pass over a fragment
    instead of two, ~20% less hyperscan time than two databases (see :meth:`scan_both`).
    If hyperscan rejects the whole set, the literals are left out (``holds_literals``).
    """

    name = "hyperscan"

    def __init__(
        self, patterns: Sequence[EnginePattern], literals: Sequence[tuple[bytes, bool]] = ()
    ) -> None:
        import hyperscan  # noqa: PLC0415  (optional dependency)

        self._hs: Any = hyperscan
        translated: dict[int, bytes] = {}
        self._before = [p.width for p in patterns]
        self._after = [p.min_width for p in patterns]
        # Long patterns whose matches hold few newlines: how many (see ``add_ranges``).
        self._lines: dict[int, int] = {}
        for index, pattern in enumerate(patterns):
            try:
                expression, low, high = pattern.hyperscan_shape()
            except UnsupportedRegexError:
                continue
            translated[index] = expression
            self._before[index], self._after[index] = high, low
            if pattern.newlines is not None and high > _FEW_LINES * SEGMENT:
                self._lines[index] = pattern.newlines
        base = {
            i: hyperscan.HS_FLAG_MULTILINE
            | (hyperscan.HS_FLAG_ALLOWEMPTY if self._after[i] == 0 else 0)
            for i in translated
        }
        self._count = len(patterns)  # report ids from here on are literals
        self._lengths = [len(text) for text, _ in literals]
        self._db: Any = None
        self.holds_literals = False
        if literals and translated:
            items, flags = dict(translated), dict(base)
            for number, (text, caseless) in enumerate(literals):
                items[self._count + number] = _escape(text)
                flags[self._count + number] = hyperscan.HS_FLAG_CASELESS if caseless else 0
            self._db = _cached_database(hyperscan, items, flags)
            self.holds_literals = self._db is not None
        if self._db is None:
            self._db = _cached_database(hyperscan, translated, base)
        compiled = set(translated) if self._db is not None else set()
        if self._db is None and translated:
            self._db, compiled = _compile_piecewise(hyperscan, translated, base)
        self._unfiltered = frozenset(set(range(len(patterns))) - compiled)
        self._prototype: Any = None if self._db is None else hyperscan.Scratch(self._db)
        self._local = threading.local()

    @property
    def unfiltered(self) -> frozenset[int]:
        return self._unfiltered

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        return scratch

    @property
    def widest(self) -> int:
        """The longest text a compiled expression may need to see from a match start."""
        return max(self._before, default=0)

    def ends(self, data: bytes | memoryview) -> list[tuple[int, int]]:
        """``(rule index, end offset)`` of every match report, in report order."""
        if self._db is None or not len(data):
            return []
        found: list[tuple[int, int]] = []
        append = found.append
        count = self._count

        def on_match(ident: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            if ident < count:  # not a literal's (``scan_both`` reports those)
                append((ident, to))

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        return found

    def ranges(self, data: bytes) -> Ranges:
        out: Ranges = {}
        self.add_ranges(out, data, 0, len(data))
        return out

    def scan_both(self, data: bytes) -> tuple[list[tuple[int, int]], Ranges]:
        """One scan of ``data``: ``(literal index, start offset)`` of every occurrence of
        every literal (as ``_HyperscanLiterals.scan``), and the rules' ranges (as
        :meth:`ranges`). Needs ``holds_literals``."""
        out: Ranges = {}
        hits: list[tuple[int, int]] = []
        if self._db is None or not data:
            return hits, out
        found: list[tuple[int, int]] = []
        append, add_hit = found.append, hits.append
        count, lengths = self._count, self._lengths

        def on_match(ident: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            if ident < count:
                append((ident, to))
            else:
                add_hit((ident - count, to - lengths[ident - count]))

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        self._add_reports(out, data, 0, 0, found)
        return hits, out

    @staticmethod
    def _floor(
        data: bytes, lo: int, end: int, newlines: int, previous: tuple[int, int] | None
    ) -> int:
        """The earliest start (not before ``lo``) of a match ending at ``end`` that holds at
        most ``newlines`` newlines: just after the ``newlines + 1``-th newline before
        ``end``. ``previous`` is the last (end, floor) of the same rule: with no newline in
        between, the floor is the same."""
        if previous is not None and previous[0] <= end and data.find(b"\n", previous[0], end) < 0:
            return previous[1]
        floor = end
        for _ in range(newlines + 1):
            floor = data.rfind(b"\n", lo, floor)
            if floor < 0:
                return lo
        return floor + 1

    def add_ranges(self, out: Ranges, data: bytes, lo: int, hi: int) -> None:
        """Add to ``out`` the ranges of the matches that start at or after ``lo`` and end by
        ``hi``, from a scan of ``data[lo - 1 : hi]`` (the byte before ``lo`` makes anchors at
        ``lo`` read as in the whole of ``data``); appended in order, so calls must come in
        increasing, disjoint ``[lo, hi)``.

        A pattern of long width whose matches hold at most ``n`` newlines
        (``EnginePattern.newlines``) starts after the ``n + 1``-th newline before the end.
        """
        base = lo - 1 if lo > 0 else 0
        view = memoryview(data)[base:hi] if base or hi < len(data) else data
        self._add_reports(out, data, lo, base, self.ends(view))

    def _add_reports(
        self, out: Ranges, data: bytes, lo: int, base: int, reports: list[tuple[int, int]]
    ) -> None:
        """``add_ranges`` for the ``(rule, end)`` reports of a scan starting at ``base``."""
        before, after, lines = self._before, self._after, self._lines
        floors: dict[int, tuple[int, int]] = {}  # rule -> (last end, its earliest start)
        for index, report in reports:
            end = report + base
            last = end - after[index]  # the latest start of a match ending at ``end``
            if last < lo:
                continue
            start = end - before[index]
            start = max(start, lo)
            if index in lines:
                floor = self._floor(data, lo, end, lines[index], floors.get(index))
                floors[index] = (end, floor)
                start = max(start, floor)
            stop = last + 1
            spans = out.get(index)
            if spans is None:
                out[index] = [(start, stop)]
            elif start <= spans[-1][1]:
                if stop > spans[-1][1]:
                    spans[-1] = (spans[-1][0], stop)
            else:
                spans.append((start, stop))


_FEW_LINES = 2  # patterns wider than this many segments get their newline bound applied


_DATABASES: dict[str, Any] = {}
_DATABASES_LOCK = threading.Lock()


def _compile(hs: Any, items: dict[int, bytes], flags: dict[int, int]) -> Any:
    ids = sorted(items)
    database = hs.Database(mode=hs.HS_MODE_BLOCK)
    database.compile(
        expressions=[items[i] for i in ids],
        ids=ids,
        elements=len(ids),
        flags=[flags[i] for i in ids],
    )
    return database


def _cached_database(hs: Any, items: dict[int, bytes], flags: dict[int, int]) -> Any:
    """The compiled database of ``items`` (memory, then disk cache, then compiled: ~7 s for
    400 rules), or None when hyperscan rejects some expression."""
    if not items:
        return None
    version = getattr(hs, "__version__", "")
    digest = hashlib.sha256(repr((version, sorted(items.items()), sorted(flags.items()))).encode())
    key = digest.hexdigest()
    with _DATABASES_LOCK:
        if key in _DATABASES:
            return _DATABASES[key]
        directory = cache_dir()
        path = directory / f"{key}.hsdb" if directory else None
        database: Any = None
        if path is not None and path.is_file():
            try:
                database = hs.loadb(path.read_bytes(), hs.HS_MODE_BLOCK)
            except (OSError, hs.error, TypeError, ValueError):
                database = None
        if database is None:
            try:
                database = _compile(hs, items, flags)
            except hs.error:
                return None
            if path is not None:
                write_cache_file(path, hs.dumpb(database))
        _DATABASES[key] = database
        return database


def _compile_piecewise(
    hs: Any, items: dict[int, bytes], flags: dict[int, int]
) -> tuple[Any, set[int]]:
    """Slow path when the whole set does not compile: try each expression alone, exactly
    then as a prefilter, and leave out those hyperscan rejects either way."""
    good: dict[int, bytes] = {}
    good_flags: dict[int, int] = {}
    for index, expression in items.items():
        for extra in (0, hs.HS_FLAG_PREFILTER):
            try:
                _compile(hs, {index: expression}, {index: flags[index] | extra})
            except hs.error:
                continue
            good[index], good_flags[index] = expression, flags[index] | extra
            break
    database = _cached_database(hs, good, good_flags)
    return database, (set(good) if database is not None else set())


class Re2Engine:
    """``re2.Set`` to find the rules that match, RE2 ``finditer`` spans for those."""

    name = "re2"

    def __init__(self, patterns: Sequence[EnginePattern]) -> None:
        import re2  # noqa: PLC0415  (optional dependency)

        options = re2.Options()
        options.encoding = re2.Options.Encoding.LATIN1
        options.max_mem = 512 << 20
        options.log_errors = False
        self._set: Any = re2.Set.SearchSet(options)
        self._compiled: dict[int, Any] = {}
        self._set_ids: list[int] = []
        unfiltered: set[int] = set()
        for index, pattern in enumerate(patterns):
            try:
                expression = translate(pattern.regex, "re2").pattern
                compiled = re2.compile(expression, options)
                self._set.Add(expression)
            except (UnsupportedRegexError, re2.error, ValueError):
                unfiltered.add(index)
                continue
            self._compiled[index] = compiled
            self._set_ids.append(index)
        self._set.Compile()
        self._unfiltered = frozenset(unfiltered)

    @property
    def unfiltered(self) -> frozenset[int]:
        return self._unfiltered

    def ranges(self, data: bytes) -> Ranges:
        out: Ranges = {}
        if not data or not self._set_ids:
            return out
        for set_index in self._set.Match(data) or ():
            index = self._set_ids[set_index]
            spans: list[tuple[int, int]] = []
            for match in self._compiled[index].finditer(data):
                start, end = match.span()
                stop = max(end, start + 1)
                if spans and start <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], max(stop, spans[-1][1]))
                else:
                    spans.append((start, stop))
            if spans:
                out[index] = spans
        return out


class PythonEngine:
    """No regex prefilter: every rule is left to its keyword ranges."""

    name = "python"

    def __init__(self, patterns: Sequence[EnginePattern]) -> None:
        self._unfiltered = frozenset(range(len(patterns)))

    @property
    def unfiltered(self) -> frozenset[int]:
        return self._unfiltered

    def ranges(self, data: bytes) -> Ranges:
        del data
        return {}


def _escape(literal: bytes) -> bytes:
    return b"".join(b"\\x%02x" % byte for byte in literal)


class _LiteralScanner(Protocol):
    def scan(self, data: bytes) -> list[tuple[int, int]]:
        """``(literal index, start offset)`` of every occurrence of every literal."""
        ...


class _HyperscanLiterals:
    """One hyperscan database of the literals (caseless where asked, every occurrence)."""

    def __init__(self, literals: Sequence[tuple[bytes, bool]]) -> None:
        import hyperscan  # noqa: PLC0415  (optional dependency)

        self._lengths = [len(text) for text, _ in literals]
        flags = {
            i: hyperscan.HS_FLAG_CASELESS if caseless else 0
            for i, (_, caseless) in enumerate(literals)
        }
        items = {i: _escape(text) for i, (text, _) in enumerate(literals)}
        self._db: Any = _cached_database(hyperscan, items, flags)
        if self._db is None and items:
            raise RuntimeError("hyperscan rejected the literal database")
        self._prototype: Any = None if self._db is None else hyperscan.Scratch(self._db)
        self._local = threading.local()

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        if self._db is None or not data:
            return []
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        found: list[tuple[int, int]] = []
        append = found.append
        lengths = self._lengths

        def on_match(ident: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            append((ident, to - lengths[ident]))

        self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        return found


class _NoLiterals:
    """The literal scanner when the whole-regex database finds the literals itself."""

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        del data
        return []


class _Re2Literals:
    """One RE2 alternation of the literals, longest first, searched again one byte after
    each hit (so overlapping occurrences are found); at a hit every literal that is a prefix
    of the reported one is checked too."""

    def __init__(self, literals: Sequence[tuple[bytes, bool]]) -> None:
        import re2  # noqa: PLC0415  (optional dependency)

        self._literals = list(literals)
        lowered = {text.lower() for text, _ in literals}
        self._prefixes: dict[bytes, list[int]] = {
            low: [i for i, (t, _) in enumerate(literals) if low.startswith(t.lower())]
            for low in lowered
        }
        self._pattern: Any = None
        if literals:
            order = sorted(literals, key=lambda item: -len(item[0]))
            alternation = b"|".join(
                (b"(?i:" + _escape(text) + b")") if caseless else _escape(text)
                for text, caseless in order
            )
            options = re2.Options()
            options.encoding = re2.Options.Encoding.LATIN1
            options.max_mem = 256 << 20
            options.log_errors = False
            self._pattern = re2.compile(alternation, options)

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        if self._pattern is None or not data:
            return found
        search, literals, prefixes = self._pattern.search, self._literals, self._prefixes
        pos = 0
        while True:
            match = search(data, pos)
            if match is None:
                return found
            start = match.start()
            for index in prefixes[match.group().lower()]:
                text, caseless = literals[index]
                if caseless or data.startswith(text, start):
                    found.append((index, start))
            pos = start + 1


class _PythonLiterals:
    """Standard library only: ``bytes.find`` of each literal (in a lowered copy if caseless)."""

    def __init__(self, literals: Sequence[tuple[bytes, bool]]) -> None:
        self._literals = [
            (text.lower() if caseless else text, caseless) for text, caseless in literals
        ]

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        lowered = data.lower() if any(c for _, c in self._literals) else data
        for index, (text, caseless) in enumerate(self._literals):
            haystack = lowered if caseless else data
            pos = haystack.find(text)
            while pos != -1:
                found.append((index, pos))
                pos = haystack.find(text, pos + 1)
        return found


class Placement(StrEnum):
    """Where the hyperscan tiers look for one rule (see :func:`placement`)."""

    LITERALS = "literals"  # tier A: the literal scan
    FRAGMENT = "fragment"  # tier B: the whole-regex database, over the whole fragment
    WINDOWS = "windows"  # tier C: a whole-regex database, near the rule's keywords only


def placement(pattern: EnginePattern) -> Placement:
    """The hyperscan tier of a rule, from its shape alone.

    A pattern hyperscan cannot start from a literal (``translate.literal_led``) slows the
    whole database it is in, at every byte: when the rule has keywords (every kept match
    lies near one) and the pattern's matches cannot run far past a window (bounded width,
    or single-line), it is scanned only around its keywords. So is a pattern led by
    literals too common to scan from (``weak_literal``) when none of its keywords is: its
    keywords' windows cover far less text than the database would scan for it. (Not an
    unled one: ``kubernetes.secret-data``'s keyword ``data:`` is in every other YAML or
    JSON file of a repository's history, and its windows would cost more than they save.)
    Patterns with strong required literals use the literal scan; the rest go to the
    whole-regex database.
    """
    if pattern.keywords and _short(pattern):
        if not pattern.led and not pattern.weak:
            return Placement.WINDOWS
        strong_keywords = not any(weak_literal(k, True) for k in pattern.keywords)
        if pattern.led and pattern.weak and strong_keywords:
            return Placement.WINDOWS
    if pattern.literals and not pattern.weak:
        return Placement.LITERALS
    return Placement.FRAGMENT


_LONG_TAIL = 4 * SEGMENT  # longest match a window scan looks for past its segments


def _bounded_scan(pattern: EnginePattern) -> bool:
    """Does what hyperscan scans for end at most :data:`_LONG_TAIL` bytes after its start?"""
    try:
        return pattern.hyperscan_shape()[2] <= _LONG_TAIL
    except UnsupportedRegexError:
        return False


def _short(pattern: EnginePattern) -> bool:
    """Do a pattern's matches end close to where they start (or on their first line)?"""
    return _bounded_scan(pattern) or pattern.single_line


class _WindowGroup:
    """Rules whose every kept match starts near one of their keywords: one hyperscan
    database of their regexes, scanned only over the segments around keyword occurrences
    (whole segments, so their ranges there hold every offset where a regex matches)."""

    def __init__(self, patterns: Sequence[EnginePattern], indices: list[int]) -> None:
        self.engine = HyperscanEngine([patterns[i] for i in indices])
        self.indices = indices
        self.tail = self.engine.widest + 2  # what a match starting in a segment may see
        self.single_line = all(patterns[i].single_line for i in indices)

    def add_ranges(self, out: Ranges, data: bytes, windows: list[tuple[int, int]]) -> None:
        """Add the ranges of the group's rules within the segments of ``windows``."""
        found: Ranges = {}
        regions = self._regions(data, windows)
        if 2 * sum(hi - lo for lo, hi in regions) > len(data):
            regions = [(0, len(data))]  # one scan is cheaper (and as exact)
        for lo, hi in regions:
            self.engine.add_ranges(found, data, lo, hi)
        for sub, spans in found.items():
            out[self.indices[sub]] = spans

    def _regions(self, data: bytes, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """``windows`` grown to whole segments plus the tail a match may run on into,
        sorted and disjoint."""
        size = len(data)
        regions: list[tuple[int, int]] = []
        for first, last in _merged(windows):
            lo, hi = max(first, 0), min(last, size)
            if lo >= hi:
                continue
            start = segment_at(data, lo)[0]
            end = segment_at(data, hi - 1)[1]
            stop = min(size, end + self.tail)
            if self.single_line:  # a match ends by its line's newline (seen as context)
                newline = data.find(b"\n", end - 1, stop)
                stop = stop if newline == -1 else newline + 2
            if regions and start <= regions[-1][1]:
                regions[-1] = (regions[-1][0], max(stop, regions[-1][1]))
            else:
                regions.append((start, stop))
        return regions


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` sorted, overlapping and touching ones joined."""
    spans.sort()
    merged = [spans[0]] if spans else []
    for lo, hi in spans[1:]:
        last_lo, last_hi = merged[-1]
        if lo <= last_hi:
            if hi > last_hi:
                merged[-1] = (last_lo, hi)
        else:
            merged.append((lo, hi))
    return merged


class TieredEngine:
    """Tier A: rules with required literals, from one scan for all the literals (a hit at
    ``p`` bounds a match start to ``[p - reach, p]``, on ``p``'s line when the rule says so).
    Tier B: the whole-regex engine of ``backend`` (``python``: keyword ranges). Tier C
    (hyperscan only): whole-regex databases scanned near keyword occurrences, found by the
    same literal scan. Hits are the same whatever the split: it only moves work between
    the tiers.

    With ``hyperscan``, :func:`placement` splits the rules. With ``re2`` and ``python``,
    tier B takes the rules without literals or with a weak one (``weak_literal``; ``python``:
    every literal is used, as keyword windows searched from each segment start cost more
    than a bounded search per literal hit).
    """

    def __init__(self, patterns: Sequence[EnginePattern], backend: str) -> None:
        self.name = backend
        places = self._places(patterns, backend)
        table: dict[tuple[bytes, bool], int] = {}
        self._targets: list[list[tuple[int, int, bool]]] = []
        self._keyword_targets: list[list[tuple[int, int, int]]] = []

        def ident(text: bytes, caseless: bool) -> int:
            key = (text.lower() if caseless else text, caseless)
            found = table.setdefault(key, len(table))
            if found == len(self._targets):
                self._targets.append([])
                self._keyword_targets.append([])
            return found

        for index, place in enumerate(places):
            if place == Placement.LITERALS:
                pattern = patterns[index]
                for text, caseless in pattern.literals:
                    # With no reach, the hit's line starts at or before the hit anyway.
                    self._targets[ident(text, caseless)].append(
                        (index, pattern.reach, pattern.line and pattern.reach > 0)
                    )
        rest = [i for i, place in enumerate(places) if place == Placement.FRAGMENT]
        # Single-line patterns of long width apart: their scans stop at the line's end.
        windowed = [i for i, place in enumerate(places) if place == Placement.WINDOWS]
        long = [i for i in windowed if patterns[i].single_line and not _bounded_scan(patterns[i])]
        groups = [[i for i in windowed if i not in long], long]
        self._windows = [_WindowGroup(patterns, group) for group in groups if group]
        for number, group in enumerate(self._windows):
            self._add_keywords(patterns, number, group, ident)
        self._scanner, other = _backend(list(table), [patterns[i] for i in rest], backend)
        self._other = other
        self._both = other if isinstance(other, HyperscanEngine) and other.holds_literals else None
        self._rest = rest
        unfiltered = set(rest) if other is None else {rest[i] for i in other.unfiltered}
        for group in self._windows:
            unfiltered.update(group.indices[i] for i in group.engine.unfiltered)
        self._unfiltered = frozenset(unfiltered)

    @staticmethod
    def _places(patterns: Sequence[EnginePattern], backend: str) -> list[Placement]:
        if backend == "hyperscan":
            return [placement(p) for p in patterns]
        # RE2's per-rule ``finditer`` costs more than the candidates of common-word literals.
        weak = backend != "python"
        return [
            Placement.FRAGMENT
            if not p.literals
            or (weak and any(weak_literal(t, c, common=False) for t, c in p.literals))
            else Placement.LITERALS
            for p in patterns
        ]

    def _add_keywords(
        self,
        patterns: Sequence[EnginePattern],
        number: int,
        group: _WindowGroup,
        ident: Callable[[bytes, bool], int],
    ) -> None:
        """Register the keywords of ``group``'s rules: each hit opens, for the group, the
        widest window any of its rules with that keyword allows."""
        widest: dict[bytes, tuple[int, int]] = {}
        for index in group.indices:
            pattern = patterns[index]
            for keyword in pattern.keywords:
                before, after = widest.get(keyword, (0, 0))
                widest[keyword] = (
                    max(before, pattern.keyword_before),
                    max(after, pattern.keyword_after + len(keyword) + 1),
                )
        for keyword, (before, after) in widest.items():
            self._keyword_targets[ident(keyword, True)].append((number, before, after))

    @property
    def unfiltered(self) -> frozenset[int]:
        return self._unfiltered

    def ranges(self, data: bytes) -> Ranges:
        found: dict[int, list[tuple[int, int]]] = {}
        windows: list[list[tuple[int, int]]] = [[] for _ in self._windows]
        targets, keyword_targets = self._targets, self._keyword_targets
        rfind = data.rfind
        other_ranges: Ranges | None = None
        if self._both is not None:  # one hyperscan scan for the literals and tier B
            hits, other_ranges = self._both.scan_both(data)
        else:
            hits = self._scanner.scan(data)
        for ident, pos in hits:
            for index, reach, line in targets[ident]:
                lo = pos - reach if pos > reach else 0
                if line:
                    lo = rfind(b"\n", lo, pos) + 1 or lo
                spans = found.get(index)
                if spans is None:
                    found[index] = [(lo, pos + 1)]
                else:
                    spans.append((lo, pos + 1))
            for number, before, after in keyword_targets[ident]:
                windows[number].append((pos - before, pos + after))
        out: Ranges = {
            index: spans if len(spans) == 1 else _merged(spans) for index, spans in found.items()
        }
        if other_ranges is None and self._other is not None:
            other_ranges = self._other.ranges(data)
        if other_ranges:
            rest = self._rest
            for sub, spans in other_ranges.items():
                out[rest[sub]] = spans
        for group, spans in zip(self._windows, windows, strict=True):
            if spans:
                group.add_ranges(out, data, spans)
        return out


def _backend(
    literals: list[tuple[bytes, bool]], rest: list[EnginePattern], backend: str
) -> tuple[_LiteralScanner, CandidateEngine | None]:
    """The literal scanner and whole-regex engine (None: keyword ranges) of ``backend``."""
    if backend == "hyperscan":
        if not rest:
            return _HyperscanLiterals(literals), None
        engine = HyperscanEngine(rest, literals)
        if engine.holds_literals:
            return _NoLiterals(), engine
        return _HyperscanLiterals(literals), engine
    if backend == "re2":
        return _Re2Literals(literals), Re2Engine(rest) if rest else None
    if backend == "python":
        return _PythonLiterals(literals), None
    raise ValueError(f"unknown prefilter engine {backend!r}")


def make_engine(patterns: Sequence[EnginePattern], engine: str) -> CandidateEngine:
    """The candidate engine called ``engine`` (``hyperscan``, ``re2`` or ``python``): the
    tiered engine over that backend; ``hyperscan-full``, ``re2-full`` and ``python-keywords``
    name the whole-regex engines alone."""
    if engine in ("hyperscan", "re2", "python"):
        return TieredEngine(patterns, engine)
    if engine == "hyperscan-full":
        return HyperscanEngine(patterns)
    if engine == "re2-full":
        return Re2Engine(patterns)
    if engine == "python-keywords":
        return PythonEngine(patterns)
    raise ValueError(f"unknown prefilter engine {engine!r} (choose from hyperscan, re2, python)")
