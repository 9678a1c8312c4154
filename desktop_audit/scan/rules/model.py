"""The compiled rule and rule-set types."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, fields
from typing import Any

from desktop_audit.models import FindingKind, Severity

# What does not change what a rule finds stays out of its digest (examples are test data).
EXAMPLE_FIELDS = ("examples", "negative_examples", "store_examples", "store_negative_examples")
_NOT_CONTENT = frozenset({"source_file", *EXAMPLE_FIELDS})


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
    # File formats that are this rule's credential store (``.netrc``, ``.pgpass``, MySQL's
    # login paths): such a file holds nothing but real credentials, so in a fragment read
    # from one (its origin's ``file_format``) the rule's ``store_filters`` apply instead of
    # ``filters``. A ``store_only`` rule reads nothing else.
    stores: tuple[str, ...] = ()
    store_filters: tuple[str, ...] = ()
    store_only: bool = False
    store_examples: tuple[str, ...] = ()
    store_negative_examples: tuple[str, ...] = ()

    @classmethod
    def from_checked(cls, values: dict[str, Any]) -> Rule:
        """A rule from every one of its field values (and cached properties), checked before
        (the loader's checked-pack cache). Set as the dataclass's ``__init__`` would set them,
        without its call per field: 0.5 ms for 800 rules instead of 4-5 ms."""
        rule = cls.__new__(cls)
        rule.__dict__.update(values)
        return rule

    # Compiled on first use: a scan that reads nothing new never pays for 500+ regexes. The
    # loader has checked (or a cache of a checked pack says) that every one compiles.
    @functools.cached_property
    def compiled(self) -> re.Pattern[bytes]:
        return re.compile(self.pattern)

    @property
    def pattern(self) -> bytes:
        """The regex as bytes, as ``compiled`` compiles it (without compiling it)."""
        return self.regex.encode()

    @functools.cached_property
    def compiled_allow(self) -> tuple[re.Pattern[bytes], ...]:
        return tuple(re.compile(a.encode()) for a in self.allow)

    @functools.cached_property
    def compiled_decoded(self) -> re.Pattern[bytes] | None:
        return None if self.decoded_regex is None else re.compile(self.decoded_regex.encode())

    def reads(self, file_format: str | None) -> bool:
        """Does the rule look at a fragment of ``file_format`` at all?"""
        return not self.store_only or (file_format is not None and file_format in self.stores)

    def filters_for(self, file_format: str | None) -> tuple[str, ...]:
        """The filters for a match in a fragment of ``file_format``: ``store_filters`` in
        the rule's own credential store, ``filters`` elsewhere."""
        if file_format is not None and file_format in self.stores:
            return self.store_filters
        return self.filters

    @property
    def example_format(self) -> str | None:
        """The format its ``examples`` and ``negative_examples`` are read as: the first
        store for a ``store_only`` rule (it reads nothing else), else none."""
        return self.stores[0] if self.store_only else None

    @functools.cached_property
    def content_digest(self) -> str:
        """sha256 over the canonical JSON of what decides what the rule finds: every field but
        its examples and its source file (worked out from the values in use, also for rules
        read from the checked-pack cache)."""
        content = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_CONTENT
        }
        blob = json.dumps(content, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    @functools.cached_property
    def secret_groups(self) -> tuple[str, ...]:
        """Named groups holding the secret (``secret``, then ``secret_*`` alternatives)."""
        names = sorted(self.compiled.groupindex, key=self.compiled.groupindex.__getitem__)
        return tuple(n for n in names if n == "secret" or n.startswith("secret_"))


@dataclass(frozen=True)
class RuleSet:
    """All rules of a scan and a digest over their canonical content (the rules'
    :attr:`Rule.content_digest` in id order, see :func:`loader.make_ruleset`)."""

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
    store: bool = False  # one of ``store_examples`` / ``store_negative_examples``

    def __str__(self) -> str:
        where = ""
        if self.example_index is not None:
            kind = "negative_examples" if self.negative else "examples"
            kind = f"store_{kind}" if self.store else kind
            where = f" ({kind}[{self.example_index}])"
        return f"{self.rule_id}{where}: {self.problem}"
