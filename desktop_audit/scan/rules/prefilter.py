"""Multi-literal keyword prefilters: find where any rule keyword occurs, case-insensitively.

Three interchangeable engines: ``hyperscan`` (fastest), ``re2`` (one alternation) and
``python`` (stdlib ``bytes.find`` per keyword on a lowered copy). Each yields
``(keyword index, start offset)`` for every occurrence (re2 reports the keywords contained in
the leftmost match; see :class:`Re2Prefilter`). All are thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

ENGINES = ("hyperscan", "re2", "python")


class Prefilter(Protocol):
    def scan(self, data: bytes) -> Iterator[tuple[int, int]]:
        """Yield ``(keyword index, start offset)`` for every keyword occurrence."""
        ...


def _hex_escape(literal: bytes) -> bytes:
    return b"".join(b"\\x%02x" % byte for byte in literal)


class HyperscanPrefilter:
    """One hyperscan block-mode database of all keywords (caseless literals)."""

    def __init__(self, keywords: Sequence[bytes]) -> None:
        import hyperscan  # noqa: PLC0415  (optional dependency)

        self._hs: Any = hyperscan
        self._lengths = [len(k) for k in keywords]
        self._db: Any = None
        if keywords:
            self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            self._db.compile(
                expressions=[_hex_escape(k) for k in keywords],
                ids=list(range(len(keywords))),
                elements=len(keywords),
                flags=[hyperscan.HS_FLAG_CASELESS] * len(keywords),
            )
        self._local = threading.local()

    def scan(self, data: bytes) -> Iterator[tuple[int, int]]:
        if self._db is None or not data:
            return iter(())
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        found: list[tuple[int, int]] = []
        lengths = self._lengths

        def on_match(ident: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            found.append((ident, to - lengths[ident]))

        self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        return iter(found)


class Re2Prefilter:
    """One RE2 alternation of all keywords.

    RE2 reports leftmost non-overlapping matches, so for each match every keyword that is a
    substring of the matched keyword is reported too; keywords that only partly overlap the
    reported one are not (harmless for the windows built around hits).
    """

    def __init__(self, keywords: Sequence[bytes]) -> None:
        import re2  # noqa: PLC0415  (optional dependency)

        self._index = {k: i for i, k in enumerate(keywords)}
        self._contained = {
            k: [self._index[o] for o in keywords if o in k and o != k] for k in keywords
        }
        self._pattern: Any = None
        if keywords:
            by_length = sorted(keywords, key=len, reverse=True)
            alternation = b"|".join(_hex_escape(k) for k in by_length)
            options = re2.Options()
            options.max_mem = 256 << 20
            self._pattern = re2.compile(b"(?i)(?:" + alternation + b")", options)

    def scan(self, data: bytes) -> Iterator[tuple[int, int]]:
        if self._pattern is None:
            return
        for match in self._pattern.finditer(data):
            keyword = match.group().lower()
            start = match.start()
            yield self._index[keyword], start
            for other in self._contained[keyword]:
                yield other, start


class PythonPrefilter:
    """Standard library only: ``bytes.find`` of each keyword in a lowered copy of the data."""

    def __init__(self, keywords: Sequence[bytes]) -> None:
        self._keywords = list(keywords)

    def scan(self, data: bytes) -> Iterator[tuple[int, int]]:
        lowered = data.lower()
        for index, keyword in enumerate(self._keywords):
            pos = lowered.find(keyword)
            while pos != -1:
                yield index, pos
                pos = lowered.find(keyword, pos + 1)


def available_engines() -> list[str]:
    """The engines importable here, fastest first."""
    names = []
    for name, module in (("hyperscan", "hyperscan"), ("re2", "re2")):
        try:
            __import__(module)
        except ImportError:
            continue
        names.append(name)
    names.append("python")
    return names


def make_prefilter(keywords: Sequence[bytes], engine: str | None = None) -> Prefilter:
    """A prefilter for lowercase ``keywords``; ``engine`` None picks the fastest available."""
    name = engine or available_engines()[0]
    if name == "hyperscan":
        return HyperscanPrefilter(keywords)
    if name == "re2":
        return Re2Prefilter(keywords)
    if name == "python":
        return PythonPrefilter(keywords)
    raise ValueError(f"unknown prefilter engine {name!r} (choose from {', '.join(ENGINES)})")
