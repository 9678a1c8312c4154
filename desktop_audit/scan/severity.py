"""Severity by place: a live config outranks shell history, which outranks old git history."""

from __future__ import annotations

from desktop_audit.models import FindingKind, Location, Severity, SourceKind

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


def adjust(severity: Severity, kind: FindingKind, location: Location) -> Severity:
    """The rule's severity adjusted for the kind of place the location is in."""
    steps = _SOURCE_STEPS.get(location.source, 0)
    if location.source is SourceKind.GIT_HISTORY and location.ref in _BURIED_REFS:
        steps += 1
    rank = severity.rank - steps
    if kind is FindingKind.CREDENTIAL and severity.rank >= _CREDENTIAL_FLOOR.rank:
        rank = max(rank, _CREDENTIAL_FLOOR.rank)
    return Severity.from_rank(max(rank, Severity.INFO.rank))
