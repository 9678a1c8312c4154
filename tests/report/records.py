"""Fixed finding records (no clock, no database) for the golden-file tests."""

from __future__ import annotations

from desktop_audit.models import (
    EventRecord,
    FindingKind,
    FindingRecord,
    Location,
    LocationRecord,
    Severity,
    SourceKind,
    Status,
)

HOME = "/home/jdoe"
SALT = "5a" * 32
T0, T1 = "2026-03-01T10:00:00Z", "2026-03-02T09:30:00Z"


def _loc(n: int, location: Location, present: bool = True) -> LocationRecord:
    return LocationRecord(n, location, present, T0, T1 if present else T0)


def golden_findings() -> list[FindingRecord]:
    """Four findings covering every location kind and a formula-looking note."""
    return [
        FindingRecord(
            id="0f" * 16,
            kind=FindingKind.CREDENTIAL,
            rule_id="github.pat",
            provider="github",
            title="GitHub personal access token",
            severity=Severity.CRITICAL,
            status=Status.OPEN,
            redacted="ghp_…Q2Zx",
            match_hash="a1" * 32,
            guide="github",
            first_seen=T0,
            last_seen=T1,
            present=True,
            locations=(
                _loc(1, Location(SourceKind.DOTFILE, f"{HOME}/.git-credentials", 1)),
                _loc(
                    2,
                    Location(
                        SourceKind.GIT_HISTORY,
                        f"{HOME}/work/my app/config.py",
                        12,
                        "0123456789abcdef0123456789abcdef01234567",
                        "refs/heads/main",
                    ),
                ),
                _loc(3, Location(SourceKind.FILE, f"{HOME}/old.env", 2), present=False),
            ),
            events=(EventRecord(T0, Status.OPEN, "scan", "found", "s1"),),
        ),
        FindingRecord(
            id="1e" * 16,
            kind=FindingKind.CREDENTIAL,
            rule_id="aws.access-key-id",
            provider="aws",
            title="AWS access key id",
            severity=Severity.HIGH,
            status=Status.REVOKED,
            redacted="AKIA…7Q2Z",
            match_hash="b2" * 32,
            guide="aws",
            first_seen=T0,
            last_seen=T1,
            present=True,
            locations=(
                _loc(4, Location(SourceKind.KEYCHAIN, None, None, keychain_item="=aws-cli")),
            ),
        ),
        FindingRecord(
            id="2d" * 16,
            kind=FindingKind.ENDPOINT,
            rule_id="profile.endpoint",
            provider="example-labs",
            title="Client endpoint",
            severity=Severity.LOW,
            status=Status.FALSE_POSITIVE,
            redacted="eval-…corp",
            match_hash="c3" * 32,
            guide="endpoint",
            first_seen=T0,
            last_seen=T1,
            present=True,
            locations=(_loc(5, Location(SourceKind.FILE, "/etc/hosts", 7)),),
            events=(
                EventRecord(T0, Status.OPEN, "scan", "found", "s1"),
                EventRecord(T1, Status.FALSE_POSITIVE, "jdoe@box", "public mirror", None),
            ),
        ),
        FindingRecord(
            id="3c" * 16,
            kind=FindingKind.CREDENTIAL,
            rule_id="npm.token",
            provider="npm",
            title="npm token",
            severity=Severity.MEDIUM,
            status=Status.REMOVED,
            redacted="npm_…9a9a",
            match_hash="d4" * 32,
            guide="npm",
            first_seen=T0,
            last_seen=T0,
            present=False,
        ),
    ]
