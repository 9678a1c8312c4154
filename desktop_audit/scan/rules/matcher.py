"""The compiled matcher: candidate engine -> segments -> rule regex -> filters.

What a match of a rule is (the same for every engine, so all engines give identical hits):

* The fragment is cut into *segments*: lines, and lines longer than :data:`SEGMENT` bytes
  further cut at absolute multiples of :data:`SEGMENT`.
* In each segment, the rule's Python ``re`` regex is searched leftmost-first and
  non-overlapping from the segment start, taking every match that *starts* in the segment;
  the regex sees the text after the segment (a match may run on into later lines), up to its
  own longest width. A match longer than :data:`MAX_SPAN` (possible only for regexes of
  unbounded width) is skipped.
* A rule with keywords only keeps a match if one of its keywords (case-insensitively) starts
  within ``window_after`` + :data:`SNAP` bytes before it (plus the keyword's length) or
  ``window_before`` + :data:`SNAP` bytes after its start.
* The match then passes the rule's allowlists, entropy and filters (``_accept``).

The candidate engines (``engines.py``) only say where a match may start; segments elsewhere
are never searched. In every segment where a kept match may start (for a rule with
keywords: one within reach of a keyword), their ranges hold every offset where the rule's
regex matches at all (not only the matches kept), so within a segment the search skips from
range to range, bounded to what a match starting in the range can see: the same matches as
a search from the segment start. A rule whose every match starts at a line start
(``translate.line_led``: ``(?m)^...``) has at most one start per segment, its own, so its
matches are tried line start by line start in the ranges (long ranges: found by searching
with the rule's regex, which sees at least as far). Keyword ranges (rules an engine
leaves ``unfiltered``) are searched from each segment's start. Pure and thread-safe: no
state is kept between calls.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_audit.scan.rules import translate as translate_module
from desktop_audit.scan.rules.cachedir import cache_dir, write_cache_file
from desktop_audit.scan.rules.decoders import DECODERS
from desktop_audit.scan.rules.engines import (
    SEGMENT,
    CandidateEngine,
    EnginePattern,
    make_engine,
    segment_at,
)
from desktop_audit.scan.rules.entropy import shannon_entropy
from desktop_audit.scan.rules.filters import (
    DROP,
    EXAMPLE,
    INLINE_ALLOW_MARKER,
    Allowlist,
    Candidate,
    default_allowlist,
    grade,
    secret_filters,
)
from desktop_audit.scan.rules.model import Rule
from desktop_audit.scan.rules.prefilter import available_engines
from desktop_audit.scan.rules.translate import (
    UnsupportedRegexError,
    bounded_prefix,
    line_led,
    literal_led,
    max_newlines,
    near_literals,
    relaxed,
    required_literals,
    single_line,
    translate,
    weak_literal,
)
from desktop_audit.scan.rules.validators import VALIDATORS

SNAP = 512  # slack around the keyword window (the old windows snapped to lines this far)
MAX_SPAN = 1 << 16  # longest match of an unbounded regex that is reported
_REFINE = 2 * SEGMENT  # candidate ranges longer than this are narrowed with the regex first
_MAX_LINE_CONTEXT = 2048


@dataclass(frozen=True, slots=True)
class RawMatch:
    """A match that passed every filter. ``start``/``end`` span the secret in the data.

    For decoding rules ``decoded`` holds the decoded payload (rescanned by the detector) and
    ``report`` says whether the rule itself reports a secret taken from it.
    """

    rule: Rule
    secret: bytes
    start: int
    end: int
    match_start: int
    match_end: int
    decoded: bytes | None = None
    report: bool = True
    checksum_failed: bool = False
    example: bool = False  # only randomness checks refused it: reported at INFO


def line_bounds(
    data: bytes, start: int, end: int, limit: int = _MAX_LINE_CONTEXT
) -> tuple[int, int]:
    """The start and end of the line(s) holding ``data[start:end]``, at most ``limit`` away."""
    lo = max(0, start - limit)
    line_start = data.rfind(b"\n", lo, start) + 1 or lo
    if line_start == 0 and lo > 0:
        line_start = lo
    hi = min(len(data), end + limit)
    line_end = data.find(b"\n", end, hi)
    return line_start, (hi if line_end == -1 else line_end)


_compile_starter = functools.lru_cache(maxsize=None)(re.compile)


@dataclass(frozen=True, slots=True)
class _Plan:
    """One rule, ready to match: its start finder and the bounds the matcher needs."""

    index: int
    rule: Rule
    keywords: tuple[bytes, ...]
    min_width: int
    width: int  # longest accepted match
    bounded: bool
    starter_source: bytes | None  # None: the rule regex itself finds the starts
    starter_width: int
    reach_before: int  # a keyword may start this far before a match start
    reach_after: int  # ... or this far after it
    line_led: bool  # every match starts at a line start (``translate.line_led``)
    # One of these (text, caseless) starts at most ``literal_reach`` bytes after every match
    # start (``translate.required_literals``, else ``near_literals``); empty when none is near.
    literals: tuple[tuple[bytes, bool], ...] = ()
    literal_reach: int = 0
    # Must a match be checked for a keyword nearby? Not when every match holds one itself.
    gated: bool = False

    @property
    def starter(self) -> re.Pattern[bytes]:
        """Matches (a prefix of) every match, at the same start (compiled on first use)."""
        if self.starter_source is None:
            return self.rule.compiled
        return _compile_starter(self.starter_source)


_NARROW_REACH = 64  # required literals at most this far from the match start narrow ranges
_NARROW_MIN = 32  # ... ranges wider than this plus that reach (measured: 32 beats 0 and 256)
_MIN_PREFIX = 12  # shorter prefixes (``^``, a bare keyword) would report too often
_SHAPES_VERSION = "6"


@dataclass(frozen=True, slots=True)
class _Shape:
    """What ``translate.py`` makes of one regex (costly to compute: cached on disk)."""

    low: int
    high: int | None
    prefix: str | None  # Python spelling of the bounded prefix (None: unsupported)
    prefix_low: int
    prefix_high: int
    hs_full: str  # ``translate.relaxed`` ("" when unsupported)
    hs_prefix: str
    literals: list[list[Any]]  # [latin-1 text, caseless] of ``required_literals`` ([]: none)
    reach: int  # -1: unbounded
    line: bool
    led: bool  # ``translate.literal_led``
    single_line: bool  # ``translate.single_line``
    newlines: int  # ``translate.max_newlines`` (-1: unbounded)
    line_led: bool  # ``translate.line_led``
    # ``literals`` and ``reach`` again when those are near the match start, else the best
    # required literals that are (``translate.near_literals``; [] and -1: none).
    near: list[list[Any]]
    near_reach: int


def _compute_shape(pattern: bytes) -> _Shape:
    try:
        shape = translate(pattern, "python")
        prefix = bounded_prefix(pattern, "python")
        re.compile(prefix.pattern)
    except (UnsupportedRegexError, re.error):
        return _Shape(0, None, None, 0, 0, "", "", [], -1, False, False, False, -1, False, [], -1)
    required = required_literals(pattern)
    newlines = max_newlines(pattern)
    literals: list[list[Any]] = []
    reach, line = -1, False
    if required is not None:
        literals = [[text.decode("latin-1"), caseless] for text, caseless in required.literals]
        reach = -1 if required.reach is None else required.reach
        line = required.line
    near, near_reach = literals, reach
    if not 0 <= reach <= _NARROW_REACH:
        close = near_literals(pattern, _NARROW_REACH)
        near = [] if close is None else [[t.decode("latin-1"), c] for t, c in close.literals]
        near_reach = -1 if close is None or close.reach is None else close.reach
    try:
        hs_full = relaxed(pattern).pattern.decode("ascii")
    except UnsupportedRegexError:
        hs_full = ""
    try:
        hs_prefix = bounded_prefix(pattern, "hyperscan").pattern.decode("ascii")
    except UnsupportedRegexError:
        hs_prefix = ""
    return _Shape(
        shape.min_width,
        shape.max_width,
        prefix.pattern.decode("ascii"),
        prefix.min_width,
        prefix.max_width or 0,
        hs_full,
        hs_prefix,
        literals,
        reach,
        line,
        literal_led(required),
        single_line(pattern),
        -1 if newlines is None else newlines,
        line_led(pattern),
        near,
        near_reach,
    )


_SHAPES: dict[bytes, _Shape] = {}
_SHAPES_LOCK = threading.Lock()


def _translator_fingerprint() -> bytes:
    """Identifies the translator's code for the shapes cache: its source in a checkout or
    wheel, its compiled code where no source ships (a frozen bundle)."""
    try:
        source = Path(translate_module.__file__ or "").read_bytes()
    except OSError:
        import marshal  # noqa: PLC0415

        functions = sorted(
            (name, value.__code__)
            for name, value in vars(translate_module).items()
            if callable(value) and hasattr(value, "__code__")
        )
        source = marshal.dumps([(name, code) for name, code in functions])
    # The common literals steer which literals a shape requires (``weak_literal``).
    return source + b"\x00".join(sorted(translate_module.common_literals()))


def clear_shapes() -> None:
    """Forget the shapes held in memory (they depend on the common literals, which a
    benchmark script re-measures)."""
    with _SHAPES_LOCK:
        _SHAPES.clear()


def _shapes(patterns: Sequence[bytes]) -> dict[bytes, _Shape]:
    """Shapes of ``patterns``: memory, then one JSON file on disk keyed by the patterns and
    the translator's source, then computed (~5 s for the rule pack)."""
    with _SHAPES_LOCK:
        missing = sorted({p for p in patterns if p not in _SHAPES})
        if missing:
            code = _translator_fingerprint()
            digest = hashlib.sha256(repr((_SHAPES_VERSION, code, missing)).encode()).hexdigest()
            directory = cache_dir()
            path = directory / f"shapes-{digest}.json" if directory else None
            loaded: list[list[Any]] | None = None
            if path is not None and path.is_file():
                try:
                    loaded = json.loads(path.read_text(encoding="ascii"))
                except (OSError, ValueError):
                    loaded = None
            if loaded is not None and len(loaded) == len(missing):
                for pattern, row in zip(missing, loaded, strict=True):
                    _SHAPES[pattern] = _Shape(*row)
            else:
                rows = []
                for pattern in missing:
                    shape = _SHAPES[pattern] = _compute_shape(pattern)
                    rows.append([getattr(shape, f) for f in _Shape.__slots__])
                # The parse trees served the shapes only: ~140k objects a long-lived GUI
                # process would otherwise keep (and its garbage collector walk).
                translate_module.clear_parse_cache()
                if path is not None:
                    write_cache_file(path, json.dumps(rows).encode("ascii"))
        return {p: _SHAPES[p] for p in patterns}


def _plan(index: int, rule: Rule, shape: _Shape) -> tuple[_Plan, EnginePattern]:
    keywords = tuple(k.encode() for k in rule.keywords)
    pattern = rule.pattern
    low, high = shape.low, shape.high
    width = MAX_SPAN if high is None else high
    starter_source, starter_width = None, width
    if high is None and shape.prefix is not None:
        starter_source, starter_width = shape.prefix.encode("ascii"), shape.prefix_high
    strong = shape.prefix is not None and shape.prefix_low >= _MIN_PREFIX
    # Every match the matcher looks at is at most ``width + 2`` long (see ``_confirm``).
    reach = width + 2 if shape.reach < 0 else min(shape.reach, width + 2)
    engine_pattern = EnginePattern(
        regex=pattern,
        min_width=low,
        width=width,
        prefix=strong,
        prefix_min_width=shape.prefix_low,
        prefix_width=shape.prefix_high,
        hyperscan_full=shape.hs_full.encode("ascii"),
        hyperscan_prefix=shape.hs_prefix.encode("ascii"),
        # A literal far from the match start (not held to its line) narrows little.
        literals=tuple((text.encode("latin-1"), bool(c)) for text, c in shape.literals)
        if reach <= _REFINE or shape.line
        else (),
        reach=reach,
        line=shape.line and shape.reach < 0,
        led=shape.led,
        weak=any(weak_literal(text.encode("latin-1"), c) for text, c in shape.literals),
        single_line=shape.single_line,
        newlines=None if shape.newlines < 0 else shape.newlines,
        keywords=keywords,
        keyword_before=rule.window_before + SNAP,
        keyword_after=rule.window_after + SNAP,
    )
    longest_keyword = max((len(k) for k in keywords), default=0)
    plan = _Plan(
        index=index,
        rule=rule,
        keywords=keywords,
        min_width=low,
        width=width,
        bounded=high is not None,
        starter_source=starter_source,
        starter_width=starter_width,
        reach_before=rule.window_after + longest_keyword + SNAP,
        reach_after=rule.window_before + SNAP,
        line_led=shape.line_led,
        literals=tuple((text.encode("latin-1"), bool(c)) for text, c in shape.near),
        literal_reach=max(shape.near_reach, 0),
        gated=bool(keywords) and not _holds_keyword(shape, keywords, rule.window_before + SNAP),
    )
    return plan, engine_pattern


def _holds_keyword(shape: _Shape, keywords: tuple[bytes, ...], after: int) -> bool:
    """Does every match hold one of ``keywords`` starting at most ``after`` bytes after the
    match start (so it passes the keyword gate by itself)? True when each of the pattern's
    required literals, which start at most ``shape.reach`` bytes into every match, holds a
    keyword that close to its own start."""
    if shape.reach < 0 or not shape.literals:
        return False
    for text, _caseless in shape.literals:
        lowered = text.encode("latin-1").lower()
        offsets = [lowered.find(k) for k in keywords if k in lowered]
        if not offsets or shape.reach + min(offsets) > after:
            return False
    return True


def rule_literals(rules: Sequence[Rule]) -> set[tuple[bytes, bool]]:
    """The required literals (text, caseless) the engine may find ``rules`` from."""
    shapes = _shapes([r.pattern for r in rules])
    return {
        (text.encode("latin-1"), bool(caseless))
        for rule in rules
        for text, caseless in shapes[rule.pattern].literals
    }


_COMPILED: dict[tuple[str, tuple[Rule, ...]], tuple[list[_Plan], CandidateEngine]] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled(rules: tuple[Rule, ...], engine: str) -> tuple[list[_Plan], CandidateEngine]:
    """Plans and candidate engine of ``rules``, built once per process (both are immutable
    and thread-safe, so matchers over the same rules share them)."""
    key = (engine, rules)
    with _COMPILED_LOCK:
        found = _COMPILED.get(key)
    if found is not None:
        return found
    shapes = _shapes([r.pattern for r in rules])
    planned = [_plan(i, r, shapes[r.pattern]) for i, r in enumerate(rules)]
    built = ([plan for plan, _ in planned], make_engine([p for _, p in planned], engine))
    with _COMPILED_LOCK:
        return _COMPILED.setdefault(key, built)


class _KeywordIndex:
    """Where each keyword starts in one fragment (lower-cased on first use: most fragments
    have no match to gate), found on first use."""

    __slots__ = ("_data", "_lowered", "_positions")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._lowered: bytes | None = None
        self._positions: dict[bytes, list[int]] = {}

    @property
    def lowered(self) -> bytes:
        lowered = self._lowered
        if lowered is None:
            lowered = self._lowered = self._data.lower()
        return lowered

    def window(self, first: int, end: int) -> tuple[bytes, int]:
        """``lowered[first:end]`` as a text and the offset it starts at (the whole lowered
        fragment once that exists, a lowered slice until then)."""
        lowered = self._lowered
        if lowered is not None:
            return lowered, 0
        if 4 * (end - first) >= len(self._data):
            return self.lowered, 0
        return self._data[first:end].lower(), first

    def positions(self, keyword: bytes) -> list[int]:
        found = self._positions.get(keyword)
        if found is None:
            lowered, found = self.lowered, []
            pos = lowered.find(keyword)
            while pos != -1:
                found.append(pos)
                pos = lowered.find(keyword, pos + 1)
            self._positions[keyword] = found
        return found


def _keyword_near(index: _KeywordIndex, lo: int, hi: int, plan: _Plan) -> bool:
    """Does a keyword of the rule start close enough to some offset in ``[lo, hi)``?"""
    rule = plan.rule
    # One lower-cased window holding every keyword's (the fragment's, once lowered).
    before, after = rule.window_after + SNAP, rule.window_before + SNAP
    longest = plan.reach_before - before
    text, base = index.window(max(0, lo - plan.reach_before), hi - 1 + after + longest)
    for keyword in plan.keywords:
        size = len(keyword)
        first = max(0, lo - before - size)
        last = hi - 1 + after  # latest allowed keyword start
        if text.find(keyword, first - base, last + size - base) != -1:
            return True
    return False


def _full_match(
    data: bytes, found: re.Match[bytes], plan: _Plan
) -> tuple[re.Match[bytes] | None, int]:
    """The rule's match starting where its start finder ``found`` one (None when there is
    none or it is too long), and where the search goes on."""
    start = found.start()
    match = (
        found
        if plan.bounded
        else plan.rule.compiled.match(data, start, min(len(data), start + plan.width + 2))
    )
    if match is None or match.end() == start:
        return None, start + 1
    if match.end() - start > plan.width:
        return None, match.end()
    return match, match.end()


def _secret_span(rule: Rule, match: re.Match[bytes]) -> tuple[int, int]:
    """Where the secret of ``match`` is: its first secret group that took part, else all of
    the match."""
    for name in rule.secret_groups:
        span = match.span(name)
        if span[0] >= 0:
            return span
    return match.span()


def _near_literals(
    data: bytes, keywords: _KeywordIndex, plan: _Plan, spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``spans`` narrowed to the offsets at most ``literal_reach`` before an occurrence of one
    of the rule's required literals: every match start is still in them (its literal starts
    at most that far after it), and a regex search over a wide range (a URL rule's starter
    can begin at any word) runs only where it can succeed."""
    wide = plan.literal_reach + _NARROW_MIN  # narrower ranges are searched as they are
    if all(hi - lo <= wide for lo, hi in spans):
        return spans
    reach = plan.literal_reach
    needles = _needles(plan.literals)
    longest = max(len(needle) for needle, _ in needles)
    caseless_ones = any(caseless for _, caseless in needles)
    out = [(lo, hi) for lo, hi in spans if hi - lo <= wide]
    append = out.append
    for lo, hi in spans:
        if hi - lo <= wide:
            continue
        # A lower-cased copy of the span's text (not of the whole fragment) for caseless ones.
        lowered, base = keywords.window(lo, hi + reach + longest) if caseless_ones else (data, 0)
        for needle, caseless in needles:
            haystack, offset = (lowered, base) if caseless else (data, 0)
            end = hi + reach + len(needle) - offset  # a literal of a match starting before hi
            pos = haystack.find(needle, lo - offset, end)
            while pos != -1:
                at = pos + offset
                append((at - reach if at - reach > lo else lo, at + 1 if at < hi else hi))
                pos = haystack.find(needle, pos + 1, end)
    return _merge(out)


@functools.cache
def _needles(literals: tuple[tuple[bytes, bool], ...]) -> tuple[tuple[bytes, bool], ...]:
    """``literals`` as searched for: caseless ones lower-cased (in a lower-cased text)."""
    return tuple((text.lower() if caseless else text, caseless) for text, caseless in literals)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class Matcher:
    """Matches a fixed list of rules; ``engine`` picks the candidate engine (``engines.py``)."""

    def __init__(
        self,
        rules: Sequence[Rule],
        engine: str | None = None,
        allowlist: Allowlist | None = None,
        *,
        stores_apart: bool = True,
    ) -> None:
        self.rules = tuple(rules)
        self.allowlist = allowlist or default_allowlist()
        self.engine_name = engine or available_engines()[0]
        # Rules that read only their credential stores get an engine of their own, built
        # when such a store is first read: every other fragment pays nothing for them.
        # (A pack of store-only rules alone keeps one engine: ``reads`` sorts them out.)
        store_only = tuple(r for r in self.rules if r.store_only) if stores_apart else ()
        if len(store_only) == len(self.rules):
            store_only = ()
        self._store_rules = store_only
        self._store_formats = frozenset(f for r in store_only for f in r.stores)
        self._store_matcher: Matcher | None = None
        # Index in ``self.rules`` of each rule the main engine holds (``candidate_ranges``).
        self._positions = [i for i, r in enumerate(self.rules) if not (store_only and r.store_only)]
        general = tuple(self.rules[i] for i in self._positions)
        self._plans, self.engine = _compiled(general, self.engine_name)
        self._unfiltered = sorted(self.engine.unfiltered)

    def _stores(self) -> Matcher:
        """The matcher of the rules that read only their stores (built on first use)."""
        found = self._store_matcher
        if found is None:
            found = Matcher(self._store_rules, self.engine_name, self.allowlist, stores_apart=False)
            self._store_matcher = found  # a race builds it twice, from the shared cache
        return found

    def _keyword_ranges(
        self, data: bytes, keywords: _KeywordIndex, plan: _Plan
    ) -> list[tuple[int, int]]:
        """Offset ranges where a match start passes the keyword gate."""
        size = len(data)
        if not plan.keywords:
            return [(0, size)] if size else []
        spans: list[tuple[int, int]] = []
        for keyword in plan.keywords:
            for pos in keywords.positions(keyword):
                spans.append(
                    (
                        max(0, pos - plan.rule.window_before - SNAP),
                        min(size, pos + len(keyword) + plan.rule.window_after + SNAP + 1),
                    )
                )
        return _merge(spans)

    def candidate_ranges(self, data: bytes) -> dict[int, list[tuple[int, int]]]:
        """Rule index -> ranges holding every start of a kept match (before filters): the
        engine's ranges with a keyword close enough, and keyword ranges for the rest. Rules
        that read only their credential stores are left out (see ``find``)."""
        out: dict[int, list[tuple[int, int]]] = {}
        if not data:
            return out
        keywords = _KeywordIndex(data)
        for index, engine_spans in self.engine.ranges(data).items():
            plan = self._plans[index]
            spans = engine_spans
            if plan.gated:
                spans = [(lo, hi) for lo, hi in spans if _keyword_near(keywords, lo, hi, plan)]
            if spans:
                out[self._positions[index]] = spans
        for index in self._unfiltered:
            spans = self._keyword_ranges(data, keywords, self._plans[index])
            if spans:
                out[self._positions[index]] = spans
        return out

    def find(self, data: bytes, file_format: str | None = None) -> list[RawMatch]:
        """Every rule match in ``data`` that survives the rule's filters, in offset order.

        ``file_format`` is the format of the file ``data`` was read from (its origin's): in a
        rule's own credential store (``Rule.stores``) the rule's store filters apply, and a
        rule that reads only its stores is not tried elsewhere."""
        out: list[RawMatch] = []
        if not data:
            return out
        keywords = _KeywordIndex(data)
        found: list[tuple[int, Iterator[re.Match[bytes]]]] = []
        for index, ranges in self.engine.ranges(data).items():
            # Every offset where the regex matches is in ``exhaustive``: no keyword gate on
            # the ranges first (it applies to each match, below).
            plan = self._plans[index]
            if not plan.rule.reads(file_format):
                continue
            exhaustive = _near_literals(data, keywords, plan, ranges) if plan.literals else ranges
            if not exhaustive:
                continue
            confirm = self._confirm_lines if plan.line_led else self._confirm_exhaustive
            found.append((index, confirm(data, plan, exhaustive)))
        for index in self._unfiltered:
            plan = self._plans[index]
            if not plan.rule.reads(file_format):
                continue
            spans = self._keyword_ranges(data, keywords, plan)
            if spans:
                found.append((index, self._confirm(data, plan, spans)))
        allow = self.allowlist
        for index, matches in found:
            plan = self._plans[index]
            rule = plan.rule
            # Filters that read the secret alone go first, before the keyword gate and the
            # match's line(s): they drop most generic matches (code references such as
            # ``token = self.client.get_token(``). Any filter drops a match, so the order
            # changes no verdict (decoding rules filter the decoded secret: not here).
            early = () if rule.decode else secret_filters(rule.filters_for(file_format))
            gated = plan.gated
            for match in matches:
                span = _secret_span(rule, match)
                if early:
                    candidate = Candidate(data[span[0] : span[1]])
                    if any(drops(candidate, allow) for drops in early):
                        continue
                if gated:
                    start = match.start()
                    if not _keyword_near(keywords, start, start + 1, plan):
                        continue
                raw = self._accept(rule, data, match, file_format, span)
                if raw is not None:
                    out.append(raw)
        if file_format is not None and file_format in self._store_formats:
            out.extend(self._stores().find(data, file_format))
        out.sort(key=lambda m: (m.start, m.rule.id))
        return out

    def _refined(
        self, data: bytes, plan: _Plan, spans: list[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """``spans`` with long ones narrowed to the starter's leftmost non-overlapping
        matches (every match start lies in one of them), sorted and disjoint."""
        for lo, hi in spans:
            if hi - lo > _REFINE:
                break
        else:
            return spans
        size = len(data)
        out: list[tuple[int, int]] = []
        for lo, hi in spans:
            if hi - lo <= _REFINE:
                out.append((lo, hi))
                continue
            stop = min(size, hi + plan.starter_width + 2)
            for found in plan.starter.finditer(data, lo, stop):
                if found.start() >= hi:
                    break
                out.append((found.start(), max(found.end(), found.start() + 1)))
        return _merge(out)

    def _confirm_exhaustive(
        self,
        data: bytes,
        plan: _Plan,
        spans: list[tuple[int, int]],
    ) -> Iterator[re.Match[bytes]]:
        """The rule's matches, given ``spans`` (sorted, disjoint) that hold every offset where
        its regex matches: segment by segment, the search jumps from span to span (the same
        leftmost non-overlapping matches as a search from the segment start), each search
        seeing only as far as a match starting in the span can reach; a match found beyond
        the span is not trusted (the shortened view may invent it).

        Only the segment's end matters here (a new segment restarts the chain, at or before
        the span's start): it is the first newline after the span start within the span's
        ``SEGMENT`` block. Where one offset is left to try, the start finder is matched
        there rather than searched for."""
        size = len(data)
        starter = plan.starter
        search, match_at = starter.search, starter.match
        find = data.find
        width = plan.starter_width
        bounded_starter = width < MAX_SPAN
        bounded = plan.bounded
        full_width = plan.width
        full_match = plan.rule.compiled.match
        spans = self._refined(data, plan, spans)
        count = len(spans)
        i = 0
        lo = spans[0][0] if spans else 0
        while i < count:
            if bounded_starter and spans[i][1] - lo == 1:
                # One offset, first of its segment's chain: its view is its own reach.
                reach = lo + width + 2
                if match_at(data, lo, reach if reach < size else size) is None:
                    i += 1
                    if i < count:
                        lo = spans[i][0]
                    continue
            # The segment holding ``lo`` ends at its first newline (inclusive) or its block.
            block_end = lo - lo % SEGMENT + SEGMENT
            newline = find(b"\n", lo, block_end)
            if newline >= 0:
                seg_end = newline + 1
            else:
                seg_end = block_end if block_end < size else size
                if seg_end <= lo:
                    seg_end = lo + 1
            stop = seg_end + width + 2
            stop = min(stop, size)
            pos = lo  # the chain of matches restarts at each segment (at or before ``lo``)
            while True:
                hi = spans[i][1]
                limit = hi if hi < seg_end else seg_end
                if bounded_starter:
                    view = limit + width + 1
                    view = min(view, stop)
                else:
                    view = stop
                pos = max(pos, lo)
                while pos < limit:
                    if limit - pos == 1:
                        found = match_at(data, pos, view)
                        if found is None:
                            break
                    else:
                        found = search(data, pos, view)
                        if found is None or found.start() >= limit:
                            break
                    start = found.start()
                    if bounded:
                        match: re.Match[bytes] | None = found
                    else:
                        reach = start + full_width + 2
                        match = full_match(data, start, reach if reach < size else size)
                    if match is None:
                        pos = start + 1
                        continue
                    end = match.end()
                    if end == start:
                        pos = start + 1
                        continue
                    pos = end
                    if end - start > full_width:
                        continue
                    yield match
                if hi > seg_end:  # the span runs on into the next segment
                    lo = seg_end
                    break
                i += 1
                if i == count:
                    break
                lo = spans[i][0]
                if lo >= seg_end:
                    break

    def _confirm_lines(
        self,
        data: bytes,
        plan: _Plan,
        spans: list[tuple[int, int]],
    ) -> Iterator[re.Match[bytes]]:
        """``_confirm_exhaustive`` for a line-led rule: a segment holds at most one start of
        its matches, the segment's own start when that is a line start, and its search ends
        there; so the matches are those at the line starts in ``spans``, each on its own.
        Short spans try each line start; long ones are searched with the rule's regex (its
        view reaches past every match start's own, so it finds every start a match has
        there, then the match is taken again in the start's own view)."""
        size = len(data)
        width = plan.width
        regex = plan.rule.compiled
        match_at, search, find = regex.match, regex.search, data.find
        for lo, hi in spans:
            if hi - lo > _REFINE:
                view = min(size, hi + width + 2)
                pos = lo
                while pos < hi:
                    match = search(data, pos, view)
                    if match is None:
                        break
                    start = match.start()
                    if start >= hi:
                        break
                    pos = start + 1
                    if view > start + width + 2:
                        match = match_at(data, start, start + width + 2)
                        if match is None:
                            continue
                    end = match.end()
                    if end == start or end - start > width:
                        continue
                    yield match
                continue
            if lo == 0 or data[lo - 1] == 0x0A:
                start = lo
            else:
                start = find(b"\n", lo, hi - 1) + 1
                if start == 0:
                    continue
            while True:
                end_view = start + width + 2
                match = match_at(data, start, end_view if end_view < size else size)
                if match is not None:
                    end = match.end()
                    if end != start and end - start <= width:
                        yield match
                newline = find(b"\n", start, hi - 1)
                if newline < 0:
                    break
                start = newline + 1

    def _segments(self, data: bytes, plan: _Plan, spans: list[tuple[int, int]]) -> list[int]:
        """Start offsets of the segments to search: those holding an offset of ``spans``,
        narrowed for long spans to where the rule's start finder matches."""
        size = len(data)
        starts: set[int] = set()
        points: list[tuple[int, int]] = []
        for lo, hi in spans:
            if hi - lo <= _REFINE:
                points.append((lo, hi))
                continue
            # Leftmost non-overlapping starter matches over the range: every match start
            # lies inside one of them or is the start of one.
            stop = min(size, hi + plan.starter_width + 2)
            for found in plan.starter.finditer(data, lo, stop):
                if found.start() >= hi:
                    break
                points.append((found.start(), max(found.end(), found.start() + 1)))
        for lo, hi in points:
            pos = lo
            while pos < hi:
                seg_start, seg_end = segment_at(data, pos)
                starts.add(seg_start)
                pos = seg_end
        return sorted(starts)

    def _confirm(
        self,
        data: bytes,
        plan: _Plan,
        spans: list[tuple[int, int]],
    ) -> Iterator[re.Match[bytes]]:
        """The rule's matches (see the module docstring) in the segments around keyword
        ranges ``spans``, each segment searched from its start."""
        size = len(data)
        starter = plan.starter
        for seg_start in self._segments(data, plan, spans):
            seg_end = segment_at(data, seg_start)[1]
            stop = min(size, seg_end + plan.starter_width + 2)
            pos = seg_start
            while pos < seg_end:
                found = starter.search(data, pos, stop)
                if found is None or found.start() >= seg_end:
                    break
                match, pos = _full_match(data, found, plan)
                if match is not None:
                    yield match

    def _accept(
        self,
        rule: Rule,
        data: bytes,
        match: re.Match[bytes],
        file_format: str | None,
        span: tuple[int, int],
    ) -> RawMatch | None:
        """``match`` made a ``RawMatch`` (``span``: its secret's, from ``_secret_span``), or
        None when a filter drops it."""
        m_start, m_end = match.span()
        s_start, s_end = span
        secret = data[s_start:s_end]
        line_start, line_end = line_bounds(data, m_start, m_end)
        line = data[line_start:line_end]
        if INLINE_ALLOW_MARKER in line:
            return None
        whole = data[m_start:m_end]
        if any(p.search(whole) for p in rule.compiled_allow):
            return None
        decoded: bytes | None = None
        report = True
        if rule.decode:
            decoded = DECODERS[rule.decode](secret)
            if decoded is None:
                return None
            if rule.compiled_decoded is not None:
                inner = rule.compiled_decoded.search(decoded)
                if inner is None:
                    report = False
                else:
                    has_group = "secret" in rule.compiled_decoded.groupindex
                    secret = inner.group("secret") if has_group else inner.group()
            else:
                secret = decoded
        example = False
        if report:
            candidate = Candidate(secret, whole, line, data, line_start)
            verdict = self._verdict(rule, candidate, rule.filters_for(file_format))
            if verdict == DROP:
                if decoded is None:
                    return None
                report = False
            example = verdict == EXAMPLE
        failed = bool(rule.validator) and report and not VALIDATORS[rule.validator or ""](secret)
        return RawMatch(
            rule, secret, s_start, s_end, m_start, m_end, decoded, report, failed, example
        )

    def _verdict(self, rule: Rule, candidate: Candidate, filters: tuple[str, ...]) -> int:
        """``KEEP``, ``EXAMPLE`` (only randomness checks refuse the value) or ``DROP``."""
        secret = candidate.secret
        if not secret.strip():
            return DROP
        random = rule.min_entropy is None or shannon_entropy(secret) >= rule.min_entropy
        return grade(candidate, filters, self.allowlist, random=random)
