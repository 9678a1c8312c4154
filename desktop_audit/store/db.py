"""The SQLite database: scans, findings, locations, append-only events, checklist answers.

Strict tables, foreign keys, WAL. The schema version lives in ``PRAGMA user_version``; a
database of a newer or unknown version is refused and never altered.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_audit.errors import NotADatabaseError, SchemaTooNewError, StoreError
from desktop_audit.models import (
    EventRecord,
    FindingKind,
    FindingRecord,
    Hit,
    LocatedHit,
    Location,
    LocationRecord,
    ScanErrorRecord,
    ScanRecord,
    ScanStatus,
    Severity,
    SourceGroup,
    SourceKind,
    Status,
    identities_digest,
    location_identity,
)
from desktop_audit.pathtext import storable
from desktop_audit.scan.reuse import ReuseCache
from desktop_audit.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import sqlite_utils

_SQLITE_HEADER = b"SQLite format 3\x00"

GROUP_SOURCES: dict[SourceGroup, tuple[SourceKind, ...]] = {
    SourceGroup.GIT: (SourceKind.GIT_HISTORY, SourceKind.GIT_CONFIG, SourceKind.GIT_WORKTREE),
    SourceGroup.DOTFILES: (SourceKind.DOTFILE,),
    SourceGroup.HISTORY: (SourceKind.SHELL_HISTORY,),
    SourceGroup.FILES: (SourceKind.FILE,),
    SourceGroup.KEYCHAIN: (SourceKind.KEYCHAIN,),
}


def utcnow() -> str:
    """Now as ISO-8601 UTC with seconds precision."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class _StoredUnits:
    """The reuse rows of one digest, read when asked: one row, a count, or all of them."""

    def __init__(self, conn: sqlite3.Connection, digest: str) -> None:
        self._conn = conn
        self._digest = digest

    def count(self) -> int:
        """(A statistic and a hint: 0 when the count cannot be read.)"""
        try:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM reuse WHERE digest = ?", (self._digest,)
            ).fetchone()
        except sqlite3.Error:
            return 0
        return int(row[0])

    def one(self, key: bytes) -> tuple[bytes | None] | None:
        try:
            row = self._conn.execute(
                "SELECT hits FROM reuse WHERE unit = ? AND digest = ?", (key, self._digest)
            ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read remembered units ({exc})") from None
        if row is None:
            return None
        return (None if row[0] is None else bytes(row[0]),)

    def everything(self) -> tuple[list[bytes], dict[bytes, bytes]]:
        clean: list[bytes] = []
        with_hits: dict[bytes, bytes] = {}
        try:
            for unit, hits in self._conn.execute(
                "SELECT unit, hits FROM reuse WHERE digest = ?", (self._digest,)
            ):
                if hits is None:
                    clean.append(unit)
                else:
                    with_hits[unit] = hits
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read remembered units ({exc})") from None
        return clean, with_hits


def _first(pair: tuple[bytes, bytes | None]) -> bytes:
    return pair[0]


def _storable_json(value: Any) -> Any:
    """``value`` (JSON-shaped) with every string made storable (repository paths)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [_storable_json(v) for v in value]
    if isinstance(value, dict):
        return {storable(str(k)): _storable_json(v) for k, v in value.items()}
    return value


def _text(value: str | None) -> str | None:
    """A path or name as SQLite can hold it (see :mod:`desktop_audit.pathtext`)."""
    return None if value is None else storable(value)


def _under(path: str, scopes: Sequence[str]) -> bool:
    return any(path == s or path.startswith(s.rstrip(os.sep) + os.sep) for s in scopes)


class Store:
    """One open database. Not shared between threads: open one per thread."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._reuse_digest: str | None = None  # rows of other digests dropped for this one

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils' view of the connection (queries); imported on first use, which a
        scan from the command line never makes."""
        import sqlite_utils  # noqa: PLC0415  (30 ms of start-up otherwise)

        return sqlite_utils.Database(self._conn)

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating when missing) and migrate; refuse foreign or newer databases."""
        path = path.expanduser().absolute()
        if path.is_dir():
            raise StoreError(f"{path}: is a directory, not a database file")
        exists = path.exists() and path.stat().st_size > 0
        if exists:
            _check_header(path)
        else:
            _create_private_file(path)
        try:
            conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open database ({exc})") from None
        store = cls(path, conn)
        try:
            store._prepare(existing=exists)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise NotADatabaseError(
                f"{path}: not a usable desktop-audit database ({exc})"
            ) from None
        except StoreError:
            conn.close()
            raise
        return store

    def _prepare(self, *, existing: bool) -> None:
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 10000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if existing and app_id != APPLICATION_ID:
            raise NotADatabaseError(
                f"{self.path}: not a desktop-audit database (foreign SQLite file)"
            )
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"{self.path}: written by a newer desktop-audit (schema {version}, this version "
                f"knows {SCHEMA_VERSION}); upgrade desktop-audit; the file was not changed"
            )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        for index in range(version, SCHEMA_VERSION):
            with self._tx():
                for statement in _split_sql(MIGRATIONS[index]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {index + 1}")
        with contextlib.suppress(OSError):
            self.path.chmod(0o600)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: database is busy or read-only ({exc})") from None
        try:
            yield conn
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"{self.path}: write failed ({exc}); nothing was changed") from None
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(
                    f"{self.path}: write failed ({exc}); nothing was changed"
                ) from None

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @property
    def schema_version(self) -> int:
        return int(self._one("PRAGMA user_version"))

    # -------------------------------------------------------------------- meta
    def get_meta(self, key: str) -> str | None:
        value = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def _meta_bytes(self, key: str) -> bytes:
        value = self.get_meta(key)
        if value is None:
            value = secrets.token_hex(32)
            self.set_meta(key, value)
        return bytes.fromhex(value)

    def match_salt(self) -> bytes:
        """The public salt of ``match_hash`` (published in reports), created once."""
        return self._meta_bytes("match_salt")

    def kdf_salt(self) -> bytes:
        """The scrypt salt used when the key comes from a passphrase, created once."""
        return self._meta_bytes("kdf_salt")

    # ------------------------------------------------------------------- reuse
    def load_reuse(self, digest: str, *, trust: bool = True) -> ReuseCache:
        """What earlier scans with detection ``digest`` remember (nothing when not ``trust``:
        a full scan reads everything and remembers afresh); fresh units are written back in
        batches as the scan goes."""
        stored = _StoredUnits(self._conn, digest) if trust else None
        return ReuseCache(digest, flush=self.save_reuse, stored=stored)

    def save_reuse(self, digest: str, units: Sequence[tuple[bytes, bytes | None]]) -> None:
        """Remember ``units`` for ``digest``; entries of any other digest are dropped."""
        with self._tx() as conn:
            if self._reuse_digest != digest:  # once per digest: it reads the whole table
                conn.execute("DELETE FROM reuse WHERE digest != ?", (digest,))
                self._reuse_digest = digest
            conn.executemany(
                "INSERT OR REPLACE INTO reuse(unit, digest, hits) VALUES (?, ?, ?)",
                # in key order: neighbouring B-tree pages, about 3x faster than hash order
                [(unit, digest, hits) for unit, hits in sorted(units, key=_first)],
            )

    def forget_reuse(self) -> int:
        """Drop every remembered unit (the next scan reads everything); returns how many."""
        with self._tx() as conn:
            return conn.execute("DELETE FROM reuse").rowcount

    # ------------------------------------------------------------------- scans
    def begin_scan(
        self,
        *,
        home: Path,
        roots: Sequence[Path],
        groups: Sequence[SourceGroup],
        profile_sha256: str | None,
        ruleset_digest: str,
        tool_version: str,
    ) -> str:
        scan_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(4)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO scans(id, started_at, home, roots, groups, status, profile_sha256,"
                " ruleset_digest, tool_version) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (
                    scan_id,
                    utcnow(),
                    storable(str(home)),
                    json.dumps([storable(str(r)) for r in roots]),
                    json.dumps([str(g) for g in groups]),
                    profile_sha256,
                    ruleset_digest,
                    tool_version,
                ),
            )
        return scan_id

    def record_hits(self, scan_id: str, home: Path, located: Iterable[LocatedHit]) -> int:
        """Upsert findings and locations seen by a scan (one transaction); returns new findings.

        Each finding is read and written once per call (many locations share one), and the
        locations go in one ``executemany``."""
        now = utcnow()
        home_text = storable(str(home))
        new = 0
        severities: dict[str, Severity] = {}  # finding -> the highest severity seen
        # finding -> the title of the hit that raised its severity (an example value's title
        # gives way when the same finding is seen at full grade)
        titles: dict[str, str] = {}
        locations: list[tuple[Any, ...]] = []
        with self._tx() as conn:
            for item in located:
                hit, loc = item.hit, item.location
                known = severities.get(hit.finding_id)
                if known is None:
                    known, inserted = self._seen_finding(conn, scan_id, hit, now)
                    severities[hit.finding_id] = known
                    new += inserted
                if hit.severity.rank > known.rank:
                    severities[hit.finding_id] = hit.severity
                    titles[hit.finding_id] = hit.title or hit.rule_id
                locations.append(
                    (
                        hit.finding_id,
                        location_identity(hit.finding_id, loc),
                        str(loc.source),
                        _text(loc.path),
                        loc.line,
                        loc.commit,
                        _text(loc.ref),
                        _text(loc.keychain_item),
                        home_text,
                        hit.context,
                        scan_id,
                        scan_id,
                        now,
                        now,
                        _text(item.unit),
                    )
                )
            conn.executemany(
                "UPDATE findings SET last_seen_scan = ?, last_seen = ?, present = 1,"
                " severity = ?, title = COALESCE(?, title) WHERE id = ?",
                [(scan_id, now, str(sev), titles.get(fid), fid) for fid, sev in severities.items()],
            )
            conn.executemany(
                "INSERT INTO locations(finding_id, identity, source, path, line, git_commit,"
                " ref, keychain_item, home, context, first_seen_scan, last_seen_scan,"
                " first_seen, last_seen, unit, present) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)"
                " ON CONFLICT(identity) DO UPDATE SET last_seen_scan = excluded.last_seen_scan,"
                " last_seen = excluded.last_seen, present = 1, context = excluded.context,"
                " unit = excluded.unit",
                locations,
            )
        return new

    def carry_over(self, scan_id: str, unit: str, expected: str) -> int:
        """Mark the locations of ``unit`` as seen by this scan, all at once, when the present
        ones are exactly those whose identities digest to ``expected`` (what the source's
        last pass recorded for the unchanged unit); returns how many, or 0 when nothing was
        done (the caller records them one by one). Their findings are seen again too, as
        :meth:`record_hits` would do."""
        unit_text = storable(unit)
        now = utcnow()
        with self._tx() as conn:
            present = [
                row[0]
                for row in conn.execute(
                    "SELECT identity FROM locations WHERE unit = ? AND present = 1", (unit_text,)
                )
            ]
            if not present or identities_digest(present) != expected:
                return 0  # (nothing written: the transaction ends empty)
            conn.execute(
                "UPDATE locations SET last_seen_scan = ?, last_seen = ?"
                " WHERE unit = ? AND present = 1",
                (scan_id, now, unit_text),
            )
            carried = conn.execute(
                "SELECT id, status FROM findings WHERE id IN (SELECT finding_id FROM"
                " locations WHERE unit = ? AND last_seen_scan = ?)",
                (unit_text, scan_id),
            ).fetchall()
            conn.executemany(
                "UPDATE findings SET last_seen_scan = ?, last_seen = ?, present = 1 WHERE id = ?",
                [(scan_id, now, fid) for fid, _ in carried],
            )
            for fid, status in carried:
                if status == Status.REMOVED:
                    self._insert_event(
                        conn,
                        fid,
                        Status.REVOKED,
                        "scan",
                        "a copy reappeared on this machine",
                        scan_id,
                    )
        return len(present)

    def _seen_finding(
        self, conn: sqlite3.Connection, scan_id: str, hit: Hit, now: str
    ) -> tuple[Severity, bool]:
        """Insert a finding not stored yet, or note that a stored one was seen again (an event
        when a removed one reappears); returns its stored severity (``hit``'s when new) and
        whether it is new."""
        row = conn.execute(
            "SELECT severity, status FROM findings WHERE id = ?", (hit.finding_id,)
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO findings(id, kind, rule_id, provider, title, severity, status,"
                " redacted, match_hash, guide, first_seen_scan, last_seen_scan,"
                " first_seen, last_seen, present)"
                " VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, 1)",
                (
                    hit.finding_id,
                    str(hit.kind),
                    hit.rule_id,
                    hit.provider,
                    hit.title or hit.rule_id,
                    str(hit.severity),
                    hit.redacted,
                    hit.match_hash,
                    hit.guide,
                    scan_id,
                    scan_id,
                    now,
                    now,
                ),
            )
            self._insert_event(conn, hit.finding_id, Status.OPEN, "scan", "found", scan_id)
            return hit.severity, True
        if row[1] == Status.REMOVED:
            self._insert_event(
                conn,
                hit.finding_id,
                Status.REVOKED,
                "scan",
                "a copy reappeared on this machine",
                scan_id,
            )
        return Severity(row[0]), False

    def finish_scan(
        self,
        scan_id: str,
        status: ScanStatus,
        stats: dict[str, dict[str, int]],
        errors: Sequence[ScanErrorRecord],
        coverage: Sequence[dict[str, object]] = (),
    ) -> None:
        """Close a scan; a complete one marks what it no longer saw as gone."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE scans SET finished_at = ?, status = ?, stats = ?, coverage = ?"
                " WHERE id = ?",
                (
                    utcnow(),
                    str(status),
                    json.dumps(stats, sort_keys=True),
                    json.dumps(_storable_json(list(coverage)), sort_keys=True),
                    scan_id,
                ),
            )
            conn.executemany(
                "INSERT INTO scan_errors(scan_id, source, path, message) VALUES (?, ?, ?, ?)",
                [(scan_id, e.source, _text(e.path), storable(e.message)) for e in errors],
            )
            if status is ScanStatus.COMPLETE:
                self._mark_absent(conn, scan_id)

    def _mark_absent(self, conn: sqlite3.Connection, scan_id: str) -> None:
        home, roots_json, groups_json = conn.execute(
            "SELECT home, roots, groups FROM scans WHERE id = ?", (scan_id,)
        ).fetchone()
        scopes = [home, *json.loads(roots_json)]
        kinds = [str(k) for g in json.loads(groups_json) for k in GROUP_SOURCES[SourceGroup(g)]]
        marks = ",".join("?" * len(kinds))
        candidates = conn.execute(
            f"SELECT id, path, finding_id FROM locations WHERE present = 1"  # noqa: S608
            f" AND last_seen_scan != ? AND source IN ({marks})",
            (scan_id, *kinds),
        ).fetchall()
        gone = [(lid, fid) for lid, path, fid in candidates if path is None or _under(path, scopes)]
        conn.executemany("UPDATE locations SET present = 0 WHERE id = ?", [(g[0],) for g in gone])
        for finding_id in sorted({fid for _, fid in gone}):
            left = self._one(
                "SELECT COUNT(*) FROM locations WHERE finding_id = ? AND present = 1", (finding_id,)
            )
            if left:
                continue
            conn.execute("UPDATE findings SET present = 0 WHERE id = ?", (finding_id,))
            status = self._one("SELECT status FROM findings WHERE id = ?", (finding_id,))
            if status == Status.REVOKED:
                self._insert_event(
                    conn,
                    finding_id,
                    Status.REMOVED,
                    "scan",
                    "no copy left on this machine (confirmed by this scan)",
                    scan_id,
                )

    def scans(self, limit: int = 50) -> list[ScanRecord]:
        rows = self._conn.execute(
            "SELECT id FROM scans ORDER BY started_at DESC, rowid DESC LIMIT ?", (limit,)
        ).fetchall()
        return [self.scan(r[0]) for r in rows]

    def last_scan(self) -> ScanRecord | None:
        scans = self.scans(limit=1)
        return scans[0] if scans else None

    def scan(self, scan_id: str) -> ScanRecord:
        row = self._conn.execute(
            "SELECT id, started_at, finished_at, home, roots, groups, status, stats,"
            " profile_sha256, ruleset_digest, tool_version, coverage FROM scans WHERE id = ?",
            (scan_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no scan {scan_id}")
        errors = tuple(
            ScanErrorRecord(s, p, m)
            for s, p, m in self._conn.execute(
                "SELECT source, path, message FROM scan_errors WHERE scan_id = ? ORDER BY id",
                (scan_id,),
            )
        )
        count = self._one("SELECT COUNT(*) FROM findings WHERE last_seen_scan = ?", (scan_id,))
        return ScanRecord(
            id=row[0],
            started_at=row[1],
            finished_at=row[2],
            home=row[3],
            roots=tuple(json.loads(row[4])),
            groups=tuple(json.loads(row[5])),
            status=ScanStatus(row[6]),
            stats=json.loads(row[7]),
            errors=errors,
            profile_sha256=row[8],
            ruleset_digest=row[9],
            tool_version=row[10],
            findings=int(count),
            coverage=tuple(json.loads(row[11])),
        )

    # ---------------------------------------------------------------- findings
    _FINDING_COLUMNS = (
        "id, kind, rule_id, provider, title, severity, status, redacted, match_hash, guide,"
        " first_seen, last_seen, present"
    )

    def _finding_from_row(self, row: Sequence[Any], *, details: bool) -> FindingRecord:
        finding_id = row[0]
        locations: tuple[LocationRecord, ...] = ()
        events: tuple[EventRecord, ...] = ()
        if details:
            locations = self.locations(finding_id)
            events = self.events(finding_id)
        return FindingRecord(
            id=finding_id,
            kind=FindingKind(row[1]),
            rule_id=row[2],
            provider=row[3],
            title=row[4],
            severity=Severity(row[5]),
            status=Status(row[6]),
            redacted=row[7],
            match_hash=row[8],
            guide=row[9],
            first_seen=row[10],
            last_seen=row[11],
            present=bool(row[12]),
            locations=locations,
            events=events,
        )

    def findings(
        self,
        *,
        statuses: Sequence[Status] = (),
        scan_id: str | None = None,
        details: bool = True,
    ) -> list[FindingRecord]:
        """Findings, most severe first; optionally only some statuses or one scan's."""
        where, params = [], []
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params += [str(s) for s in statuses]
        if scan_id:
            where.append("last_seen_scan = ?")
            params.append(scan_id)
        sql = f"SELECT {self._FINDING_COLUMNS} FROM findings"  # noqa: S608
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += (
            " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1"
            " WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, provider, id"
        )
        rows = self._conn.execute(sql, params).fetchall()
        return [self._finding_from_row(r, details=details) for r in rows]

    def resolve_id(self, prefix: str) -> str:
        """The full finding id for an id or a unique prefix of at least 6 characters."""
        prefix = prefix.strip().lower()
        if len(prefix) < 6 or not all(c in "0123456789abcdef" for c in prefix):
            raise StoreError(f"finding id {prefix!r}: give at least 6 hex characters")
        rows = self._conn.execute(
            "SELECT id FROM findings WHERE id >= ? AND id < ? LIMIT 2", (prefix, prefix + "g")
        ).fetchall()
        if not rows:
            raise StoreError(f"no finding with id {prefix}")
        if len(rows) > 1:
            raise StoreError(f"finding id {prefix} is ambiguous; give more characters")
        return str(rows[0][0])

    def finding(self, finding_id: str) -> FindingRecord:
        full = self.resolve_id(finding_id)
        row = self._conn.execute(
            f"SELECT {self._FINDING_COLUMNS} FROM findings WHERE id = ?",  # noqa: S608
            (full,),
        ).fetchone()
        return self._finding_from_row(row, details=True)

    def locations(self, finding_id: str) -> tuple[LocationRecord, ...]:
        rows = self._conn.execute(
            "SELECT id, source, path, line, git_commit, ref, keychain_item, present, first_seen,"
            " last_seen FROM locations WHERE finding_id = ? ORDER BY present DESC, source, path,"
            " line, id",
            (finding_id,),
        ).fetchall()
        return tuple(
            LocationRecord(
                id=r[0],
                location=Location(SourceKind(r[1]), r[2], r[3], r[4], r[5], r[6]),
                present=bool(r[7]),
                first_seen=r[8],
                last_seen=r[9],
            )
            for r in rows
        )

    def location_context(self, location_id: int) -> bytes:
        """The encrypted context of one location (decrypted by the caller)."""
        value = self._one("SELECT context FROM locations WHERE id = ?", (location_id,))
        return bytes(value or b"")

    def events(self, finding_id: str) -> tuple[EventRecord, ...]:
        rows = self._conn.execute(
            "SELECT at, status, actor, note, scan_id FROM events WHERE finding_id = ? ORDER BY id",
            (finding_id,),
        ).fetchall()
        return tuple(EventRecord(r[0], Status(r[1]), r[2], r[3], r[4]) for r in rows)

    @staticmethod
    def _insert_event(
        conn: sqlite3.Connection,
        finding_id: str,
        status: Status,
        actor: str,
        note: str,
        scan_id: str | None,
    ) -> None:
        conn.execute(
            "INSERT INTO events(finding_id, at, status, actor, note, scan_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (finding_id, utcnow(), str(status), storable(actor), storable(note), scan_id),
        )
        conn.execute("UPDATE findings SET status = ? WHERE id = ?", (str(status), finding_id))

    def add_event(self, finding_id: str, status: Status, note: str, actor: str) -> EventRecord:
        """Append a status change chosen by a person."""
        full = self.resolve_id(finding_id)
        with self._tx() as conn:
            self._insert_event(conn, full, status, actor, note, None)
        return self.events(full)[-1]

    def add_events(self, finding_ids: Sequence[str], status: Status, note: str, actor: str) -> int:
        """The same decision on several findings, all or none: every id (or unique prefix) is
        looked up before anything is written, then one transaction appends one event per
        finding. Returns how many findings that is."""
        full = list(dict.fromkeys(self.resolve_id(finding_id) for finding_id in finding_ids))
        with self._tx() as conn:
            for finding_id in full:
                self._insert_event(conn, finding_id, status, actor, note, None)
        return len(full)

    def counts(self) -> dict[str, dict[str, int]]:
        """Finding counts by severity, status, kind and location source."""
        result: dict[str, dict[str, int]] = {}
        for column in ("severity", "status", "kind"):
            rows = self._conn.execute(
                f"SELECT {column}, COUNT(*) FROM findings GROUP BY {column}"  # noqa: S608
            ).fetchall()
            result[column] = {str(k): int(v) for k, v in rows}
        rows = self._conn.execute(
            "SELECT source, COUNT(DISTINCT finding_id) FROM locations WHERE present = 1"
            " GROUP BY source"
        ).fetchall()
        result["source"] = {str(k): int(v) for k, v in rows}
        return result

    # --------------------------------------------------------------- checklist
    def set_checklist_answer(self, item_id: str, done: bool, note: str, actor: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO checklist_answers(item_id, done, note, at, actor)"
                " VALUES (?, ?, ?, ?, ?)",
                (item_id, int(done), note, utcnow(), actor),
            )

    def checklist_answers(self) -> dict[str, tuple[bool, str, str]]:
        """The latest answer per item: (done, note, at)."""
        rows = self._conn.execute(
            "SELECT item_id, done, note, at FROM checklist_answers WHERE id IN"
            " (SELECT MAX(id) FROM checklist_answers GROUP BY item_id)"
        ).fetchall()
        return {r[0]: (bool(r[1]), r[2], r[3]) for r in rows}

    # ------------------------------------------------------------ attestations
    def add_attestation(
        self, attestation_id: str, path: str | None, sha256: str, signer: str
    ) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO attestations(id, created_at, path, sha256, signer_fingerprint)"
                " VALUES (?, ?, ?, ?, ?)",
                (attestation_id, utcnow(), _text(path), sha256, signer),
            )


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (triggers keep their inner semicolons)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer:
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read database ({exc.strerror})") from None
    if header != _SQLITE_HEADER:
        raise NotADatabaseError(f"{path}: not a desktop-audit database (not an SQLite file)")


def _create_private_file(path: Path) -> None:
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, stat.S_IRUSR | stat.S_IWUSR)
        os.close(fd)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create database ({exc.strerror})") from None
