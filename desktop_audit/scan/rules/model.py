"""The compiled rule and rule-set types."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from desktop_audit.models import FindingKind, Severity


@dataclass(frozen=True)
class Rule:
    """One detection rule, validated and compiled. Holds no secret (examples are test data)."""

    id: str
    name: str
    provider: str
    description: str
    severity: Severity
    regex: str
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()
    guide: str = ""
    kind: FindingKind = FindingKind.CREDENTIAL
    references: tuple[str, ...] = ()
    min_entropy: float | None = None
    public_prefix: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    validator: str | None = None
    decode: str | None = None
    decoded_regex: str | None = None
    window_before: int = 256
    window_after: int = 1024
    source_file: str = ""
    compiled: re.Pattern[bytes] = field(default=re.compile(b""), compare=False, repr=False)
    compiled_allow: tuple[re.Pattern[bytes], ...] = field(default=(), compare=False, repr=False)
    compiled_decoded: re.Pattern[bytes] | None = field(default=None, compare=False, repr=False)

    @property
    def secret_groups(self) -> tuple[str, ...]:
        """Named groups holding the secret (``secret``, then ``secret_*`` alternatives)."""
        names = sorted(self.compiled.groupindex, key=self.compiled.groupindex.__getitem__)
        return tuple(n for n in names if n == "secret" or n.startswith("secret_"))


@dataclass(frozen=True)
class RuleSet:
    """All rules of a scan and a digest over their canonical content."""

    rules: tuple[Rule, ...]
    digest: str

    def by_id(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """A failed self-check: which rule, which example (index), what went wrong."""

    rule_id: str
    problem: str
    example_index: int | None = None
    negative: bool = False

    def __str__(self) -> str:
        where = ""
        if self.example_index is not None:
            kind = "negative_examples" if self.negative else "examples"
            where = f" ({kind}[{self.example_index}])"
        return f"{self.rule_id}{where}: {self.problem}"
