"""Typed values shared by every layer: enums, fragments, hits, locations, findings.

Nothing here holds a raw secret except :class:`Fragment` (scanned content, in memory only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from desktop_audit.pathtext import storable


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info."""
        return _SEVERITY_RANK[self]

    @classmethod
    def from_rank(cls, rank: int) -> Severity:
        rank = max(0, min(4, rank))
        return next(s for s, r in _SEVERITY_RANK.items() if r == rank)


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class FindingKind(StrEnum):
    CREDENTIAL = "credential"
    ENDPOINT = "endpoint"


class SourceKind(StrEnum):
    """The kind of place a location is in (scan JSON ``locations[].source``)."""

    GIT_HISTORY = "git-history"
    GIT_CONFIG = "git-config"
    GIT_WORKTREE = "git-worktree"
    DOTFILE = "dotfile"
    SHELL_HISTORY = "shell-history"
    FILE = "file"
    KEYCHAIN = "keychain"
    BROWSER = "browser"


class SourceGroup(StrEnum):
    """A scan scope the user can switch off (``--no-git`` ...)."""

    GIT = "git"
    DOTFILES = "dotfiles"
    HISTORY = "history"
    FILES = "files"
    KEYCHAIN = "keychain"


class Status(StrEnum):
    OPEN = "open"
    REVOKED = "revoked"
    REMOVED = "removed"
    FALSE_POSITIVE = "false_positive"
    ACCEPTED = "accepted"

    @property
    def needs_note(self) -> bool:
        return self in (Status.FALSE_POSITIVE, Status.ACCEPTED)


class ScanStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Origin:
    """Typed provenance of a fragment.

    ``path`` is absolute: the file for file-like sources, the repository's work tree (or bare
    directory) for git content. ``inner_path`` is the path inside the repository when known.
    ``blob`` is set for git blob content whose commits are attributed after detection.
    ``line_base`` is added to the 1-based line inside the fragment; with ``fixed_line`` the
    reported line is ``line_base`` itself (content decoded from one line, e.g. base64).
    """

    source: SourceKind
    path: Path | None = None
    inner_path: str | None = None
    commit: str | None = None
    ref: str | None = None
    keychain_item: str | None = None
    blob: str | None = None
    line_base: int = 0
    fixed_line: bool = False
    file_format: str | None = None


@dataclass(frozen=True, slots=True)
class Fragment:
    """A piece of content to match, with where it came from. Lives in memory only.

    ``unit`` names the file version or git object the fragment belongs to, so its hits can be
    remembered for the next scan; ``unit_end`` marks the unit's last fragment (only a unit read
    to its end is remembered). A fragment with ``reused`` set carries no content: those are the
    unit's hits remembered from an earlier scan with the same rules (nothing to match).
    """

    data: bytes
    origin: Origin
    unit: str | None = None
    unit_end: bool = False
    reused: tuple[Hit, ...] | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One match of one rule at one place, already made safe: no raw secret inside.

    ``context`` is AES-GCM ciphertext of the surrounding text with the secret redacted.
    """

    finding_id: str
    rule_id: str
    provider: str
    kind: FindingKind
    severity: Severity
    redacted: str
    match_hash: str
    guide: str
    origin: Origin
    line: int | None
    context: bytes = b""
    title: str = ""


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding's secret is. ``path`` is absolute (git: work tree joined with inner path)."""

    source: SourceKind
    path: str | None
    line: int | None = None
    commit: str | None = None
    ref: str | None = None
    keychain_item: str | None = None


@dataclass(frozen=True, slots=True)
class LocatedHit:
    """A hit and one place it is (git blobs may be in several commits and refs). ``unit``
    names the whole a source can vouch for unchanged next time (a repository's history):
    the store keeps it with the location so a rescan can carry those over in one step."""

    hit: Hit
    location: Location
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class ScanErrorRecord:
    """A problem with one item; the scan went on. The message never holds a secret."""

    source: str
    path: str | None
    message: str


@dataclass(slots=True)
class SourceStats:
    """Counters one source fills while scanning (scan JSON ``stats``)."""

    counters: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, amount: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + amount


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One append-only status change of a finding."""

    at: str
    status: Status
    actor: str
    note: str
    scan_id: str | None = None


@dataclass(frozen=True, slots=True)
class LocationRecord:
    """A stored location; ``present`` is False once a complete rescan no longer sees it."""

    id: int
    location: Location
    present: bool
    first_seen: str
    last_seen: str


@dataclass(frozen=True, slots=True)
class FindingRecord:
    """A stored finding (no secret: fingerprint, redacted preview, match hash)."""

    id: str
    kind: FindingKind
    rule_id: str
    provider: str
    title: str
    severity: Severity
    status: Status
    redacted: str
    match_hash: str
    guide: str
    first_seen: str
    last_seen: str
    present: bool
    locations: tuple[LocationRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """A stored scan and its coverage."""

    id: str
    started_at: str
    finished_at: str | None
    home: str
    roots: tuple[str, ...]
    groups: tuple[str, ...]
    status: ScanStatus
    stats: dict[str, dict[str, int]]
    errors: tuple[ScanErrorRecord, ...]
    profile_sha256: str | None
    ruleset_digest: str
    tool_version: str
    findings: int = 0
    # Per-repository coverage (path, objects, blobs, bytes, refs, stashes, ...), JSON-ready.
    coverage: tuple[dict[str, object], ...] = ()


def location_identity(finding_id: str, loc: Location) -> str:
    """What tells one stored location apart: a digest of the finding and the place (a line
    below 1 counts as none, as every output shows it)."""
    line = loc.line if loc.line is not None and loc.line > 0 else None
    parts = [finding_id, loc.source, loc.path or "", str(line or ""), loc.commit or ""]
    parts += [loc.ref or "", loc.keychain_item or ""]
    return hashlib.sha256(storable("\x00".join(parts)).encode()).hexdigest()


def identities_digest(identities: Iterable[str]) -> str:
    """One digest for a set of location identities (in sorted order)."""
    digest = hashlib.sha256()
    for identity in sorted(identities):
        digest.update(identity.encode("ascii") + b"\n")
    return digest.hexdigest()
