"""Recover a finding's secret from content, in memory only (for an opt-in liveness check).

The store keeps no secret, so the check re-reads the location and re-matches it. Until the
detector exposes ``Detector.secrets(fragment)`` this mirrors its credential path with the
same matcher and the same keyed finding ids (endpoint matches are not needed here).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from desktop_audit.models import Fragment
from desktop_audit.scan.rules.matcher import Matcher
from desktop_audit.scan.rules.model import RuleSet
from desktop_audit.secrecy import Secrecy


@dataclass(frozen=True, slots=True)
class FoundSecret:
    """One credential match: rule, offset in the fragment, finding id and the secret."""

    rule_id: str
    start: int
    finding_id: str
    secret: bytes

    def __repr__(self) -> str:
        return f"FoundSecret(rule_id={self.rule_id!r}, start={self.start})"


class SecretReader:
    """Matches rules like the detector does and hands back secrets with their finding ids."""

    def __init__(self, ruleset: RuleSet, secrecy: Secrecy) -> None:
        self._matcher = Matcher(ruleset.rules)
        self._secrecy = secrecy

    def secrets(self, fragment: Fragment) -> Iterator[FoundSecret]:
        for raw in self._matcher.find(fragment.data, fragment.origin.file_format):
            if raw.report:
                yield self._found(raw.rule.id, raw.start, raw.secret)
            if raw.decoded is not None:
                for inner in self._matcher.find(raw.decoded):
                    if inner.report and inner.decoded is None:
                        yield self._found(inner.rule.id, raw.start, inner.secret)

    def _found(self, rule_id: str, start: int, secret: bytes) -> FoundSecret:
        return FoundSecret(rule_id, start, self._secrecy.finding_id(rule_id, secret), secret)

    def secret_for(self, fragments: Iterable[Fragment], finding_id: str) -> bytes | None:
        """The secret of ``finding_id`` in any of ``fragments``."""
        for found, _fragment in self.with_neighbours(fragments, finding_id):
            return found.secret
        return None

    def with_neighbours(
        self, fragments: Iterable[Fragment], finding_id: str
    ) -> Iterator[tuple[FoundSecret, list[FoundSecret]]]:
        """Each match of ``finding_id`` with every other match of the same fragment."""
        for fragment in fragments:
            everything = list(self.secrets(fragment))
            for found in everything:
                if found.finding_id == finding_id:
                    yield found, [f for f in everything if f is not found]


def nearest(
    candidates: Iterable[FoundSecret], rule_ids: str | Collection[str], start: int
) -> bytes | None:
    """The secret of the match of one of ``rule_ids`` closest to ``start`` (AWS key id next to
    its key)."""
    wanted = {rule_ids} if isinstance(rule_ids, str) else set(rule_ids)
    pool = [c for c in candidates if c.rule_id in wanted]
    if not pool:
        return None
    return min(pool, key=lambda c: abs(c.start - start)).secret
