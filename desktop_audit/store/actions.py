"""Clean-up actions and their backups (schema v2), plus the event notes remediation writes.

Functions take an open :class:`Store`; nothing here holds a secret (backups are files,
encrypted by the caller; ``details`` are paths, modes and digests).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from desktop_audit.errors import StoreError
from desktop_audit.models import Status
from desktop_audit.pathtext import storable
from desktop_audit.store.db import Store, utcnow

_COLUMNS = (
    "id, finding_id, location_id, kind, status, summary, details, backup_path,"
    " backup_shredded_at, created_at, actor, undone_at, undone_by"
)


class ActionStatus(StrEnum):
    DONE = "done"
    UNDONE = "undone"


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One recorded clean-up action."""

    id: str
    finding_id: str
    location_id: int | None
    kind: str
    status: ActionStatus
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    backup_path: str | None = None
    backup_shredded_at: str | None = None
    created_at: str = ""
    actor: str = ""
    undone_at: str | None = None
    undone_by: str | None = None


def _record(row: Sequence[Any]) -> ActionRecord:
    return ActionRecord(
        id=row[0],
        finding_id=row[1],
        location_id=row[2],
        kind=row[3],
        status=ActionStatus(row[4]),
        summary=row[5],
        details=json.loads(row[6]),
        backup_path=row[7],
        backup_shredded_at=row[8],
        created_at=row[9],
        actor=row[10],
        undone_at=row[11],
        undone_by=row[12],
    )


def _note(conn: sqlite3.Connection, finding_id: str, note: str, actor: str) -> None:
    status = conn.execute("SELECT status FROM findings WHERE id = ?", (finding_id,)).fetchone()
    if status is None:
        raise StoreError(f"no finding with id {finding_id}")
    Store._insert_event(conn, finding_id, Status(status[0]), actor, note, None)


def add_note(store: Store, finding_id: str, note: str, actor: str) -> None:
    """A history note on a finding; its status stays what it is."""
    with store._tx() as conn:  # the store package owns the connection
        _note(conn, finding_id, note, actor)


def record_action(store: Store, action: ActionRecord, note: str) -> None:
    """Store a done action and note it in the finding's history (one transaction)."""
    with store._tx() as conn:
        conn.execute(
            f"INSERT INTO actions({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
            (
                action.id,
                action.finding_id,
                action.location_id,
                action.kind,
                str(action.status),
                storable(action.summary),
                json.dumps(action.details, sort_keys=True),
                action.backup_path,
                action.backup_shredded_at,
                action.created_at or utcnow(),
                action.actor,
                None,
                None,
            ),
        )
        _note(conn, action.finding_id, note, action.actor)


def action(store: Store, action_id: str) -> ActionRecord:
    """One action by id or a unique prefix of at least 6 characters."""
    prefix = action_id.strip()
    if len(prefix) < 6:
        raise StoreError(f"action id {prefix!r}: give at least 6 characters")
    rows = store.db.conn.execute(
        f"SELECT {_COLUMNS} FROM actions WHERE id >= ? AND id < ? LIMIT 2",  # noqa: S608
        (prefix, prefix + "\uffff"),
    ).fetchall()
    if not rows:
        raise StoreError(f"no action with id {prefix}")
    if len(rows) > 1:
        raise StoreError(f"action id {prefix} is ambiguous; give more characters")
    return _record(rows[0])


def actions_for(store: Store, finding_id: str) -> list[ActionRecord]:
    rows = store.db.conn.execute(
        f"SELECT {_COLUMNS} FROM actions WHERE finding_id = ? ORDER BY created_at, id",  # noqa: S608
        (finding_id,),
    ).fetchall()
    return [_record(r) for r in rows]


def mark_undone(store: Store, action_id: str, actor: str, note: str) -> None:
    """Mark an action undone (the location is back) and note it in the finding's history."""
    with store._tx() as conn:
        row = conn.execute(
            "SELECT finding_id, location_id FROM actions WHERE id = ? AND status = 'done'",
            (action_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"action {action_id} is not done (already undone?)")
        conn.execute(
            "UPDATE actions SET status = 'undone', undone_at = ?, undone_by = ? WHERE id = ?",
            (utcnow(), actor, action_id),
        )
        if row[1] is not None:
            conn.execute("UPDATE locations SET present = 1 WHERE id = ?", (row[1],))
            conn.execute("UPDATE findings SET present = 1 WHERE id = ?", (row[0],))
        _note(conn, row[0], note, actor)


def mark_shredded(store: Store, action_id: str) -> None:
    with store._tx() as conn:
        conn.execute(
            "UPDATE actions SET backup_shredded_at = ? WHERE id = ?", (utcnow(), action_id)
        )


def unshredded_backups(store: Store, created_before: str | None = None) -> list[ActionRecord]:
    """Actions whose backup file still exists, optionally only those created before a time."""
    sql = (
        f"SELECT {_COLUMNS} FROM actions WHERE backup_path IS NOT NULL"  # noqa: S608
        " AND backup_shredded_at IS NULL"
    )
    params: tuple[str, ...] = ()
    if created_before is not None:
        sql += " AND created_at < ?"
        params = (created_before,)
    rows = store.db.conn.execute(sql + " ORDER BY created_at, id", params).fetchall()
    return [_record(r) for r in rows]


def mark_locations_gone(
    store: Store, finding_id: str, location_ids: Sequence[int], actor: str, note: str
) -> bool:
    """Mark locations absent after a targeted rescan; returns True when none is left.

    Like a complete scan, a revoked finding with no location left becomes ``removed``.
    """
    with store._tx() as conn:
        conn.executemany(
            "UPDATE locations SET present = 0 WHERE id = ? AND finding_id = ?",
            [(lid, finding_id) for lid in location_ids],
        )
        left = conn.execute(
            "SELECT COUNT(*) FROM locations WHERE finding_id = ? AND present = 1", (finding_id,)
        ).fetchone()[0]
        if left:
            return False
        conn.execute("UPDATE findings SET present = 0 WHERE id = ?", (finding_id,))
        status = conn.execute("SELECT status FROM findings WHERE id = ?", (finding_id,)).fetchone()
        if status is not None and status[0] == Status.REVOKED:
            Store._insert_event(conn, finding_id, Status.REMOVED, actor, note, None)
        return True
