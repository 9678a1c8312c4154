"""The store on real SQLite files: schema, refusal of foreign/newer files, triage, absence."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest

from desktop_audit.errors import NotADatabaseError, SchemaTooNewError, StoreError
from desktop_audit.models import (
    ScanErrorRecord,
    ScanStatus,
    Severity,
    SourceGroup,
    SourceKind,
    Status,
)
from desktop_audit.store import Store
from desktop_audit.store.schema import SCHEMA_VERSION
from tests.factories import located, make_hit


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _begin(store: Store, home: Path, groups: tuple[SourceGroup, ...] = tuple(SourceGroup)) -> str:
    return store.begin_scan(
        home=home,
        roots=(home,),
        groups=groups,
        profile_sha256=None,
        ruleset_digest="test",
        tool_version="0.0.0",
    )


def test_new_database_is_private_strict_wal_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "audit.db"
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'findings'").fetchone()[0]
        assert sql.rstrip().endswith("STRICT")
        conn.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_strict_tables_reject_wrong_types_and_dangling_keys(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        conn = store.db.conn
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO checklist_answers(item_id, done, at, actor)"
                " VALUES ('v', 'yes', 't', 'a')"
            )
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO events(finding_id, at, status, actor)"
                " VALUES ('nope', 't', 'open', 'a')"
            )


def test_newer_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = _digest(path)
    with pytest.raises(SchemaTooNewError, match="newer desktop-audit"):
        Store.open(path)
    assert _digest(path) == before


def test_foreign_and_corrupt_files_are_refused_and_left_unchanged(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE photos(id INTEGER)")
    conn.commit()
    conn.close()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all\n" * 100)
    truncated = tmp_path / "truncated.db"
    Store.open(truncated).close()
    truncated.write_bytes(truncated.read_bytes()[:200])
    for path in (foreign, garbage, truncated):
        before = _digest(path)
        with pytest.raises(NotADatabaseError):
            Store.open(path)
        assert _digest(path) == before, path.name


def test_directory_as_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(tmp_path)


def test_same_finding_at_two_places_is_one_finding_with_two_locations(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Store.open(tmp_path / "a.db") as store:
        scan = _begin(store, home)
        hit = make_hit(1)
        new = store.record_hits(
            scan, home, [located(hit, home / ".env"), located(hit, home / "notes.txt", line=4)]
        )
        store.finish_scan(scan, ScanStatus.COMPLETE, {"files": {"files": 2, "bytes": 10}}, [])
        assert new == 1
        (finding,) = store.findings()
        assert finding.status is Status.OPEN
        assert len(finding.locations) == 2
        assert [e.status for e in finding.events] == [Status.OPEN]
        assert store.scan(scan).stats == {"files": {"files": 2, "bytes": 10}}


def test_status_survives_rescan_and_absence_is_marked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Store.open(tmp_path / "a.db") as store:
        first = _begin(store, home)
        kept, moved = make_hit(1), make_hit(2)
        store.record_hits(first, home, [located(kept, home / "a"), located(moved, home / "b")])
        store.finish_scan(first, ScanStatus.COMPLETE, {}, [])
        store.add_event(kept.finding_id, Status.ACCEPTED, "needed by CI until Friday", "me")
        store.add_event(moved.finding_id, Status.REVOKED, "rotated in console", "me")

        second = _begin(store, home)
        store.record_hits(second, home, [located(kept, home / "a")])
        store.finish_scan(second, ScanStatus.COMPLETE, {}, [])

        after_kept = store.finding(kept.finding_id)
        after_moved = store.finding(moved.finding_id)
        assert after_kept.status is Status.ACCEPTED
        assert after_kept.present
        assert not after_moved.present
        assert after_moved.status is Status.REMOVED
        assert after_moved.events[-1].scan_id == second

        third = _begin(store, home)
        store.record_hits(third, home, [located(moved, home / "b")])
        store.finish_scan(third, ScanStatus.COMPLETE, {}, [])
        assert store.finding(moved.finding_id).status is Status.REVOKED


def test_one_batch_keeps_the_highest_severity_and_one_reappearance_event(tmp_path: Path) -> None:
    home = tmp_path / "home"
    low, high = make_hit(1, severity=Severity.LOW), make_hit(1, severity=Severity.CRITICAL)
    gone = make_hit(2)
    with Store.open(tmp_path / "a.db") as store:
        first = _begin(store, home)
        assert store.record_hits(first, home, [located(gone, home / "g")]) == 1
        store.finish_scan(first, ScanStatus.COMPLETE, {}, [])
        store.add_event(gone.finding_id, Status.REVOKED, "rotated", "me")
        second = _begin(store, home)
        store.finish_scan(second, ScanStatus.COMPLETE, {}, [])
        assert store.finding(gone.finding_id).status is Status.REMOVED

        third = _begin(store, home)
        batch = [
            located(low, home / "a"),
            located(high, home / "b"),
            located(low, home / "c"),
            located(gone, home / "g"),
            located(gone, home / "h"),
        ]
        assert store.record_hits(third, home, batch) == 1  # only finding 1 is new
        store.finish_scan(third, ScanStatus.COMPLETE, {}, [])
        one = store.finding(low.finding_id)
        assert one.severity is Severity.CRITICAL
        assert len(one.locations) == 3
        back = store.finding(gone.finding_id)
        assert back.present
        assert back.status is Status.REVOKED
        reappeared = [e for e in back.events if e.scan_id == third]
        assert len(reappeared) == 1
        assert sum(loc.present for loc in back.locations) == 2


def test_open_finding_with_no_copy_left_stays_open_but_not_present(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Store.open(tmp_path / "a.db") as store:
        first = _begin(store, home)
        hit = make_hit(3)
        store.record_hits(first, home, [located(hit, home / "a")])
        store.finish_scan(first, ScanStatus.COMPLETE, {}, [])
        second = _begin(store, home)
        store.finish_scan(second, ScanStatus.COMPLETE, {}, [])
        finding = store.finding(hit.finding_id)
        assert finding.status is Status.OPEN
        assert not finding.present


def test_cancelled_or_partial_scans_do_not_mark_absence(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Store.open(tmp_path / "a.db") as store:
        first = _begin(store, home)
        file_hit, key_hit = make_hit(1), make_hit(2)
        store.record_hits(
            first,
            home,
            [
                located(file_hit, home / "a"),
                located(key_hit, None, source=SourceKind.KEYCHAIN, keychain_item="vpn"),
            ],
        )
        store.finish_scan(first, ScanStatus.COMPLETE, {}, [])
        cancelled = _begin(store, home)
        store.finish_scan(cancelled, ScanStatus.CANCELLED, {}, [])
        no_keychain = _begin(store, home, groups=(SourceGroup.FILES,))
        store.record_hits(no_keychain, home, [located(file_hit, home / "a")])
        store.finish_scan(no_keychain, ScanStatus.COMPLETE, {}, [])
        assert store.finding(file_hit.finding_id).present
        assert store.finding(key_hit.finding_id).present
        assert store.scan(cancelled).status is ScanStatus.CANCELLED


def test_events_are_append_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Store.open(tmp_path / "a.db") as store:
        scan = _begin(store, home)
        hit = make_hit(1)
        store.record_hits(scan, home, [located(hit, home / "a")])
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.conn.execute("UPDATE events SET note = 'rewritten'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.conn.execute("DELETE FROM events")


def test_finding_ids_resolve_by_unique_prefix(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Store.open(tmp_path / "a.db") as store:
        scan = _begin(store, home)
        hit = make_hit(7)
        store.record_hits(scan, home, [located(hit, home / "a")])
        assert store.resolve_id(hit.finding_id[:8]) == hit.finding_id
        with pytest.raises(StoreError, match="no finding"):
            store.resolve_id("ffffffffffff")
        with pytest.raises(StoreError, match="at least 6"):
            store.resolve_id("ab")


def test_disk_full_leaves_database_consistent(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    home = tmp_path / "home"
    with Store.open(path) as store:
        scan = _begin(store, home)
        store.record_hits(scan, home, [located(make_hit(0), home / "a")])
        pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
        store.db.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        many = [located(make_hit(n), home / f"f{n}") for n in range(1, 3000)]
        with pytest.raises(StoreError, match="full"):
            store.record_hits(scan, home, many)
        assert len(store.findings()) == 1
        assert store.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store.finish_scan(scan, ScanStatus.FAILED, {}, [ScanErrorRecord("store", None, "full")])


def test_checklist_keeps_history_and_returns_latest(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        store.set_checklist_answer("vpn", True, "removed profile", "me")
        store.set_checklist_answer("vpn", False, "reinstalled by mistake", "me")
        assert store.checklist_answers()["vpn"][:2] == (False, "reinstalled by mistake")
        count = store.db.conn.execute("SELECT COUNT(*) FROM checklist_answers").fetchone()[0]
        assert count == 2


def test_remembered_units_are_read_one_by_one_then_all_at_once(tmp_path: Path) -> None:
    """A rescan asking about a few units reads just those rows; after
    ``POINT_LOOKUPS`` questions every row is read, and the answers never change."""
    from desktop_audit.scan.reuse import POINT_LOOKUPS, encode_hits, unit_key

    hit = make_hit(1)
    with Store.open(tmp_path / "a.db") as store:
        units = [(unit_key(f"clean-{i}"), None) for i in range(POINT_LOOKUPS + 10)]
        units.append((unit_key("with-hits"), encode_hits([hit])))
        store.save_reuse("digest-1", units)
        store.save_reuse("digest-1", [(unit_key("slot"), b"payload")])
        cache = store.load_reuse("digest-1")
        assert len(cache) == len(units) + 1
        assert cache.payload("slot") == b"payload"
        assert cache.payload("clean-0") is None
        answers = [cache.lookup(f"clean-{i}") for i in range(POINT_LOOKUPS + 10)]
        assert answers == [[]] * (POINT_LOOKUPS + 10)
        assert cache.lookup("unknown") is None
        found = cache.lookup("with-hits")
        assert found is not None and [h.finding_id for h in found] == [hit.finding_id]
        assert cache.state("clean-1") is False  # all rows were read by now
        assert cache.state("with-hits") is True
        assert cache.reused == POINT_LOOKUPS + 11
        assert store.load_reuse("digest-2").lookup("clean-0") is None  # another digest


def test_the_title_follows_the_hit_that_raises_the_severity(tmp_path: Path) -> None:
    """A finding first seen at info as an example value, then at full grade (another
    location, a later rule pack): its title is no longer the example value's."""
    home = tmp_path / "home"
    full = make_hit(1, severity=Severity.HIGH)
    example = dataclasses.replace(
        full, severity=Severity.INFO, title=f"{full.title} (looks like an example value)"
    )
    with Store.open(tmp_path / "a.db") as store:
        first = _begin(store, home)
        store.record_hits(first, home, [located(example, home / "a")])
        store.finish_scan(first, ScanStatus.COMPLETE, {}, [])
        assert store.finding(full.finding_id).title == example.title
        second = _begin(store, home)
        store.record_hits(second, home, [located(example, home / "a"), located(full, home / "b")])
        store.finish_scan(second, ScanStatus.COMPLETE, {}, [])
        finding = store.finding(full.finding_id)
        assert (finding.severity, finding.title) == (Severity.HIGH, full.title)
        # seen again at info only: the severity stays the highest seen, with its title
        third = _begin(store, home)
        store.record_hits(third, home, [located(example, home / "a")])
        store.finish_scan(third, ScanStatus.COMPLETE, {}, [])
        finding = store.finding(full.finding_id)
        assert (finding.severity, finding.title) == (Severity.HIGH, full.title)
    with Store.open(tmp_path / "b.db") as store:
        first = _begin(store, home)
        store.record_hits(first, home, [located(example, home / "a"), located(full, home / "b")])
        finding = store.finding(full.finding_id)
        assert (finding.severity, finding.title) == (Severity.HIGH, full.title)


def test_add_events_is_all_or_nothing_and_once_per_finding(tmp_path: Path) -> None:
    """A bulk decision checks every id before it writes, records one event per finding (an id
    given twice, or once whole and once as a prefix, counts once) in one transaction."""
    home = tmp_path / "home"
    first_hit, second_hit = make_hit(1), make_hit(2)
    with Store.open(tmp_path / "a.db") as store:
        scan = _begin(store, home)
        store.record_hits(
            scan, home, [located(first_hit, home / "a"), located(second_hit, home / "b")]
        )
        store.finish_scan(scan, ScanStatus.COMPLETE, {}, [])
        first, second = first_hit.finding_id, second_hit.finding_id
        before = len(store.finding(first).events)

        with pytest.raises(StoreError, match="no finding with id"):
            store.add_events([first, "abcdef0123"], Status.ACCEPTED, "bulk", "me")
        assert store.finding(first).status is Status.OPEN
        assert len(store.finding(first).events) == before

        changed = store.add_events(
            [first, second, first[:8], second], Status.REVOKED, "rotated", "me"
        )
        assert changed == 2
        for finding_id in (first, second):
            record = store.finding(finding_id)
            assert record.status is Status.REVOKED
            assert len(record.events) == before + 1
            assert record.events[-1].note == "rotated"
