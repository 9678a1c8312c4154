"""The detector: turns a fragment into safe hits. The only holder of raw secrets, in memory.

Pure and thread-safe: ``scan`` does no I/O and keeps no state between calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desktop_audit.models import FindingKind, Fragment, Hit, Origin, Severity
from desktop_audit.profile import Profile
from desktop_audit.scan.rules.endpoints import EndpointMatch, EndpointMatcher, known_hosts_matches
from desktop_audit.scan.rules.filters import Allowlist, default_allowlist
from desktop_audit.scan.rules.matcher import Matcher, RawMatch, line_bounds
from desktop_audit.scan.rules.model import RuleSet
from desktop_audit.scan.rules.redact import redact
from desktop_audit.scan.sources.base import inside
from desktop_audit.secrecy import Secrecy

__all__ = ["Detector", "known_hosts_matches"]

CONTEXT_LIMIT = 300
_CONTEXT_SIDE = 120
_DECODED_MARK = "[encoded]"
_PATH_MEMO = 4096  # allowlist verdicts kept per detector
GENERIC_PROVIDER = "generic"
# Appended to the title of a match whose value only fails randomness checks (reported at INFO).
EXAMPLE_TITLE = " (looks like an example value)"


@dataclass(frozen=True, slots=True)
class _Found:
    """A match ready to become a hit: rule metadata, secret, spans and preview."""

    rule_id: str
    provider: str
    kind: FindingKind
    severity: Severity
    guide: str
    title: str
    secret: bytes
    start: int  # secret span, or the encoded payload span for decoded content
    end: int
    preview: str
    generic: bool = False
    match_length: int = 0  # of the whole rule match (ties in ``_one_rule_per_secret``)
    example: bool = False  # an example-grade value (reported at INFO)


def _redact_spans(text: bytes, base: int, spans: Sequence[tuple[int, int, str]]) -> bytes:
    """``text`` (starting at offset ``base``) with every span in ``spans`` replaced."""
    out, cursor = bytearray(), base
    for span_start, end, preview in sorted(spans):
        if end <= cursor or span_start >= base + len(text):
            continue
        start = max(span_start, cursor)
        out += text[cursor - base : start - base] + preview.encode()
        cursor = min(end, base + len(text))
    out += text[cursor - base :]
    return bytes(out)


def _drop_examples_under_full_grade(found: list[_Found]) -> list[_Found]:
    """An example-grade match yields to any full-grade match of an overlapping span: a rule
    that calls a value an example (``smtp.password`` on ``test1234test1234``) must not hide
    another rule that reports it as it stands (``generic.password-assignment``, which keeps
    weak passwords), neither in severity nor by taking over its finding id."""
    full = [(f.start, f.end) for f in found if not f.example]
    return [f for f in found if not f.example or not _overlaps(f, full)]


def _overlaps(item: _Found, spans: Sequence[tuple[int, int]]) -> bool:
    """Does ``item``'s span overlap any of ``spans``?"""
    return any(start < item.end and item.start < end for start, end in spans)


def _drop_overlapped_generic(found: list[_Found]) -> list[_Found]:
    """A generic rule's match yields to a specific rule's match of an overlapping span; of
    overlapping generic matches, the most severe stays, then the first listed:
    ``ini-credential-pair`` (medium) over ``env-credential-pair-weak`` (low) on one password.
    (Not the longest: a match that takes a file's closing newline would change which rule,
    and so which finding id, the last line of a file gets.)"""
    specific = [(f.start, f.end) for f in found if not f.generic]
    candidates = [
        (index, item)
        for index, item in enumerate(found)
        if item.generic and not _overlaps(item, specific)
    ]
    candidates.sort(key=lambda pair: (-pair[1].severity.rank, pair[0]))
    kept_spans: list[tuple[int, int]] = []
    kept_index: set[int] = set()
    for index, item in candidates:
        if not _overlaps(item, kept_spans):
            kept_spans.append((item.start, item.end))
            kept_index.add(index)
    return [item for index, item in enumerate(found) if not item.generic or index in kept_index]


def _encodes_a_decoded_hit(raw: RawMatch, decoded: Sequence[_Found]) -> bool:
    """Does ``raw`` (a rule matching encoded text as it stands, ``privatekey.base64-pem``)
    cover a payload another rule decoded into a credential (``privatekey.pem``)? Then both
    are one credential: the decoded hit stands for it (it is the same finding as that key in
    a plain file), located at the payload."""
    return raw.decoded is None and any(d.start < raw.end and raw.start < d.end for d in decoded)


def _one_rule_per_secret(found: list[_Found]) -> list[_Found]:
    """One credential, one finding: when several rules report the same secret bytes, keep
    only the most specific rule's matches (a full-grade match beats an example-grade one, then
    a provider-specific rule beats a generic one, then higher severity, then the longer match,
    then the rule id for a stable choice)."""
    best: dict[bytes, tuple[tuple[int, int, int, int, str], str]] = {}
    for item in found:
        rank = (
            0 if item.example else 1,
            0 if item.generic else 1,
            item.severity.rank,
            item.match_length,
            item.rule_id,
        )
        current = best.get(item.secret)
        if current is None or rank > current[0]:
            best[item.secret] = (rank, item.rule_id)
    return [f for f in found if best[f.secret][1] == f.rule_id]


class Detector:
    """Matches rules and the profile's endpoints; hands back hits without raw secrets."""

    def __init__(
        self,
        ruleset: RuleSet,
        secrecy: Secrecy,
        profile: Profile | None = None,
        *,
        engine: str | None = None,
        allowlist: Allowlist | None = None,
    ) -> None:
        self._secrecy = secrecy
        self._allowlist = allowlist or default_allowlist()
        self._matcher = Matcher(ruleset.rules, engine=engine, allowlist=self._allowlist)
        self._allowed_paths: dict[str, bool] = {}
        self._endpoints = (
            EndpointMatcher(profile, engine)
            if profile is not None and profile.has_endpoints
            else None
        )

    def scan(self, fragment: Fragment) -> list[Hit]:
        """All hits in one fragment, in offset order."""
        origin = fragment.origin
        path = inside(origin.path, origin.inner_path) if origin.path else origin.inner_path or ""
        if path and self._path_allowed(path):
            return []
        data = fragment.data
        raws = self._matcher.find(data, origin.file_format)
        if not raws and self._endpoints is None:
            return []  # most fragments: nothing more to work out
        decoded = [inner for raw in raws if raw.decoded is not None for inner in self._decoded(raw)]
        reported = [r for r in raws if r.report]
        encoded_copies = [r for r in reported if _encodes_a_decoded_hit(r, decoded)]
        copies = {id(r) for r in encoded_copies}
        found = [self._credential(r, r.start, r.end) for r in reported if id(r) not in copies]
        found.extend(decoded)
        found = _drop_examples_under_full_grade(found)
        found = _one_rule_per_secret(_drop_overlapped_generic(found))
        if self._endpoints is not None:
            found.extend(self._endpoint(m) for m in self._endpoints.find(data))
        spans = [(f.start, f.end, f.preview) for f in found]
        # Decoded payloads, and encoded copies that gave way to what they decode to.
        spans.extend((r.start, r.end, _DECODED_MARK) for r in raws if r.decoded is not None)
        spans.extend((r.start, r.end, _DECODED_MARK) for r in encoded_copies)
        return self._hits(found, data, spans, origin)

    def _path_allowed(self, path: str) -> bool:
        """The allowlist's verdict on ``path``, remembered (a repository's blobs all name it)."""
        known = self._allowed_paths.get(path)
        if known is None:
            if len(self._allowed_paths) >= _PATH_MEMO:
                self._allowed_paths.clear()
            known = self._allowed_paths[path] = self._allowlist.path_allowed(path)
        return known

    def _credential(self, raw: RawMatch, start: int, end: int) -> _Found:
        rule = raw.rule
        severity = rule.severity
        title = rule.name
        if raw.example:
            severity, title = Severity.INFO, f"{rule.name}{EXAMPLE_TITLE}"
        elif raw.checksum_failed:
            severity = Severity.LOW
        return _Found(
            rule_id=rule.id,
            provider=rule.provider,
            kind=rule.kind,
            severity=severity,
            guide=rule.guide,
            title=title,
            secret=raw.secret,
            start=start,
            end=end,
            preview=redact(raw.secret, rule.public_prefix),
            generic=rule.provider == GENERIC_PROVIDER,
            match_length=raw.match_end - raw.match_start,
            example=raw.example,
        )

    def _decoded(self, raw: RawMatch) -> list[_Found]:
        """Rules matched inside a decoded payload, located at the payload (depth one)."""
        if raw.decoded is None:
            return []
        return [
            self._credential(inner, raw.start, raw.end)
            for inner in self._matcher.find(raw.decoded)
            if inner.report and inner.decoded is None
        ]

    @staticmethod
    def _endpoint(match: EndpointMatch) -> _Found:
        return _Found(
            rule_id=match.rule_id,
            provider="endpoint",
            kind=FindingKind.ENDPOINT,
            severity=Severity.MEDIUM,
            guide="endpoint",
            title="Client endpoint reference",
            secret=match.secret,
            start=match.start,
            end=match.end,
            preview=match.label,
        )

    def _hits(
        self,
        found: list[_Found],
        data: bytes,
        spans: list[tuple[int, int, str]],
        origin: Origin,
    ) -> list[Hit]:
        hits: list[Hit] = []
        seen: set[tuple[str, bytes, int]] = set()
        line, counted = 1, 0
        for item in sorted(found, key=lambda f: (f.start, f.rule_id)):
            line += data.count(b"\n", counted, item.start)
            counted = item.start
            key = (item.rule_id, item.secret, line)
            if key in seen:
                continue
            seen.add(key)
            hits.append(
                Hit(
                    finding_id=self._secrecy.finding_id(item.rule_id, item.secret),
                    rule_id=item.rule_id,
                    provider=item.provider,
                    kind=item.kind,
                    severity=item.severity,
                    redacted=item.preview,
                    match_hash=self._secrecy.match_hash(item.secret),
                    guide=item.guide,
                    origin=origin,
                    line=origin.line_base if origin.fixed_line else line + origin.line_base,
                    context=self._secrecy.encrypt(self._context(data, item, spans)),
                    title=item.title,
                )
            )
        return hits

    @staticmethod
    def _context(data: bytes, item: _Found, spans: list[tuple[int, int, str]]) -> bytes:
        """The line(s) around the match, every known secret replaced by its preview."""
        start, end = line_bounds(data, item.start, item.end, _CONTEXT_SIDE)
        text = _redact_spans(data[start:end], start, spans)
        if len(text) > CONTEXT_LIMIT:
            text = text[:CONTEXT_LIMIT]
        return text
