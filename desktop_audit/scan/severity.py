"""Severity by place: a live config outranks shell history, which outranks old git history.

Test fixtures, documentation examples and vendored code (directory names kept as data in
``resources/placement.toml``) are capped low: still reported, never urgent.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from desktop_audit.models import FindingKind, Location, Severity, SourceKind
from desktop_audit.resources import resource_path

# Steps subtracted from the rule's severity for where the secret was found. Live places
# (dotfiles, configs, keychains, work-tree files) keep it; history is one step lower; git
# content that only a reflog or an unreachable object still holds is two steps lower.
_SOURCE_STEPS: dict[SourceKind, int] = {
    SourceKind.DOTFILE: 0,
    SourceKind.GIT_CONFIG: 0,
    SourceKind.KEYCHAIN: 0,
    SourceKind.BROWSER: 0,
    SourceKind.GIT_WORKTREE: 0,
    SourceKind.FILE: 0,
    SourceKind.SHELL_HISTORY: 1,
    SourceKind.GIT_HISTORY: 1,
}
_BURIED_REFS = ("reflog", "unreachable")
# A credential never drops below this by place alone: it still has to be revoked.
_CREDENTIAL_FLOOR = Severity.LOW
_CONTENT_SOURCES = (SourceKind.FILE, SourceKind.GIT_HISTORY, SourceKind.GIT_WORKTREE)


@dataclass(frozen=True, slots=True)
class Placement:
    """Directory names whose content is fixtures, docs or vendored code, and their cap."""

    cap: Severity
    fixture_dirs: frozenset[str]


@cache
def placement() -> Placement:
    data = tomllib.loads(resource_path("placement.toml").read_text(encoding="utf-8"))
    return Placement(
        cap=Severity(data["cap"]),
        fixture_dirs=frozenset(name.lower() for name in data["fixture_dirs"]),
    )


def in_fixture_dir(path: str | None, home: str | None, rules: Placement) -> bool:
    """Whether ``path`` (below ``home`` when it is under it) passes a fixture directory."""
    if not path:
        return False
    if home and path.startswith(home.rstrip("/") + "/"):
        path = path[len(home.rstrip("/")) + 1 :]
    directories = path.split("/")[:-1]  # the file name is not a directory
    return any(part.lower() in rules.fixture_dirs for part in directories if part)


def adjust(
    severity: Severity, kind: FindingKind, location: Location, home: str | None = None
) -> Severity:
    """The rule's severity adjusted for the kind of place the location is in."""
    steps = _SOURCE_STEPS.get(location.source, 0)
    if location.source is SourceKind.GIT_HISTORY and location.ref in _BURIED_REFS:
        steps += 1
    rank = severity.rank - steps
    if kind is FindingKind.CREDENTIAL and severity.rank >= _CREDENTIAL_FLOOR.rank:
        rank = max(rank, _CREDENTIAL_FLOOR.rank)
    rules = placement()
    if location.source in _CONTENT_SOURCES and in_fixture_dir(location.path, home, rules):
        rank = min(rank, rules.cap.rank)
    return Severity.from_rank(max(rank, Severity.INFO.rank))
