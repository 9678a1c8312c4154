"""Builders of synthetic (secret-free) hits and locations for store and GUI tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from desktop_audit.models import (
    FindingKind,
    Hit,
    LocatedHit,
    Location,
    Origin,
    Severity,
    SourceKind,
)


def make_hit(
    n: int,
    *,
    severity: Severity = Severity.HIGH,
    provider: str = "github",
    rule_id: str = "github.pat",
    kind: FindingKind = FindingKind.CREDENTIAL,
) -> Hit:
    """A hit whose id and hash derive from ``n`` (no real secret involved)."""
    digest = hashlib.sha256(f"finding-{n}".encode()).hexdigest()
    return Hit(
        finding_id=digest[:32],
        rule_id=rule_id,
        provider=provider,
        kind=kind,
        severity=severity,
        redacted=f"ghp_…{n % 10000:04d}",
        match_hash=hashlib.sha256(f"match-{n}".encode()).hexdigest(),
        guide=provider,
        origin=Origin(source=SourceKind.FILE),
        line=n % 100 + 1,
        context=b"",
        title=f"{provider.title()} token",
    )


def located(
    hit: Hit,
    path: Path | str | None,
    *,
    source: SourceKind = SourceKind.FILE,
    line: int | None = 1,
    ref: str | None = None,
    commit: str | None = None,
    keychain_item: str | None = None,
) -> LocatedHit:
    return LocatedHit(
        hit,
        Location(
            source=source,
            path=None if path is None else str(path),
            line=line,
            commit=commit,
            ref=ref,
            keychain_item=keychain_item,
        ),
    )
