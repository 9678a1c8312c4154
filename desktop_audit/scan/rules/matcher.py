"""The compiled matcher: keyword prefilter -> windows around hits -> rule regex -> filters.

Regexes run with Python ``re`` only on the windows (lines around keyword hits), never line by
line over the whole fragment. Pure and thread-safe: no state is kept between calls.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from desktop_audit.scan.rules.decoders import DECODERS
from desktop_audit.scan.rules.entropy import shannon_entropy
from desktop_audit.scan.rules.filters import (
    INLINE_ALLOW_MARKER,
    Allowlist,
    Candidate,
    default_allowlist,
    rejected_by,
)
from desktop_audit.scan.rules.model import Rule
from desktop_audit.scan.rules.prefilter import make_prefilter
from desktop_audit.scan.rules.validators import VALIDATORS

_MERGE_GAP = 512  # keyword hits closer than this share a window
_MAX_SNAP = 512  # windows grow to whole lines only if the line boundary is this close
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


def _snap(data: bytes, start: int, end: int) -> tuple[int, int]:
    nl = data.rfind(b"\n", max(0, start - _MAX_SNAP), start)
    if nl != -1:
        start = nl + 1
    elif start <= _MAX_SNAP:
        start = 0
    nl = data.find(b"\n", end, end + _MAX_SNAP)
    if nl != -1:
        end = nl
    elif len(data) - end <= _MAX_SNAP:
        end = len(data)
    return start, end


def _merge(spans: list[tuple[int, int]], gap: int = 0) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + gap:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class Matcher:
    """Matches a fixed list of rules; ``engine`` picks the prefilter (see ``prefilter.py``)."""

    def __init__(
        self,
        rules: Sequence[Rule],
        engine: str | None = None,
        allowlist: Allowlist | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self.allowlist = allowlist or default_allowlist()
        keywords = sorted({k for r in self.rules for k in r.keywords})
        self._keyword_rules: list[list[int]] = [[] for _ in keywords]
        index = {k: i for i, k in enumerate(keywords)}
        self._always: list[int] = []
        for rule_index, rule in enumerate(self.rules):
            if not rule.keywords:
                self._always.append(rule_index)
            for keyword in rule.keywords:
                self._keyword_rules[index[keyword]].append(rule_index)
        self._keyword_lengths = [len(k) for k in keywords]
        self.prefilter = make_prefilter([k.encode() for k in keywords], engine)

    def _windows(self, data: bytes) -> dict[int, list[tuple[int, int]]]:
        hits: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for keyword, pos in self.prefilter.scan(data):
            hits[keyword].append((pos, pos + self._keyword_lengths[keyword]))
        per_rule: dict[int, list[tuple[int, int]]] = defaultdict(list)
        size = len(data)
        for keyword, spans in hits.items():
            for start, end in _merge(spans, _MERGE_GAP):
                for rule_index in self._keyword_rules[keyword]:
                    rule = self.rules[rule_index]
                    per_rule[rule_index].append(
                        (max(0, start - rule.window_before), min(size, end + rule.window_after))
                    )
        for rule_index in self._always:
            per_rule[rule_index] = [(0, size)]
        return {
            r: _merge([_snap(data, s, e) for s, e in _merge(spans)])
            for r, spans in per_rule.items()
        }

    def find(self, data: bytes) -> list[RawMatch]:
        """Every rule match in ``data`` that survives the rule's filters, in offset order."""
        out: list[RawMatch] = []
        for rule_index, windows in self._windows(data).items():
            rule = self.rules[rule_index]
            seen: set[tuple[int, int]] = set()
            for start, end in windows:
                for match in rule.compiled.finditer(data, start, end):
                    if match.end() == match.start() or match.span() in seen:
                        continue
                    seen.add(match.span())
                    raw = self._accept(rule, data, match)
                    if raw is not None:
                        out.append(raw)
        out.sort(key=lambda m: (m.start, m.rule.id))
        return out

    def _accept(self, rule: Rule, data: bytes, match: re.Match[bytes]) -> RawMatch | None:
        m_start, m_end = match.span()
        s_start, s_end = m_start, m_end
        for name in rule.secret_groups:
            if match.group(name) is not None:
                s_start, s_end = match.span(name)
                break
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
        if report and not self._keep(rule, secret, whole, line):
            if decoded is None:
                return None
            report = False
        failed = bool(rule.validator) and report and not VALIDATORS[rule.validator or ""](secret)
        return RawMatch(rule, secret, s_start, s_end, m_start, m_end, decoded, report, failed)

    def _keep(self, rule: Rule, secret: bytes, whole: bytes, line: bytes) -> bool:
        if not secret.strip():
            return False
        if rule.min_entropy is not None and shannon_entropy(secret) < rule.min_entropy:
            return False
        return rejected_by(Candidate(secret, whole, line), rule.filters, self.allowlist) is None
