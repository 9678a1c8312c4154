"""The shape every clean-up action shares: a redacted plan, apply (backup first), undo."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from desktop_audit.models import Fragment, Hit
from desktop_audit.remediate.backups import Backup

Scan = Callable[[Fragment], list[Hit]]
"""``Detector.scan``: content in, safe hits out (the finding id tells which secret matched)."""

SaveBackup = Callable[[Backup], None]
"""Persists the encrypted backup; called by ``apply`` before anything changes."""


class ActionKind(StrEnum):
    REMOVE_LINES = "remove-lines"
    DELETE_FILE = "delete-file"
    DELETE_KEYCHAIN_ITEM = "delete-keychain-item"
    DROP_STASH = "drop-stash"
    PRUNE_UNREACHABLE = "prune-unreachable"
    REWRITE_HISTORY = "rewrite-history"  # instructions only: history is never rewritten silently


@dataclass(frozen=True)
class Plan:
    """What an action would change, shown redacted; ``params`` (no secret) drive ``apply``.

    A ``manual`` plan only carries ``instructions`` for the user to run themselves.
    """

    kind: ActionKind
    finding_id: str
    location_id: int | None
    target: str
    changes: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    instructions: tuple[str, ...] = ()
    manual: bool = False

    def preview(self) -> str:
        lines = [f"{self.kind}: {self.target}"]
        lines += [f"  {c}" for c in self.changes]
        lines += [f"  ! {w}" for w in self.warnings]
        lines += [f"  $ {i}" for i in self.instructions]
        return "\n".join(lines)


@dataclass(frozen=True)
class Applied:
    """The result of ``apply``: non-secret details kept with the action (undo checks them)."""

    summary: str
    details: Mapping[str, Any]


class Handler(Protocol):
    """Applies and undoes one kind of action."""

    def apply(self, plan: Plan, save: SaveBackup) -> Applied: ...

    def undo(self, backup: Backup, details: Mapping[str, Any]) -> None: ...
