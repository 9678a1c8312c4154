"""SQLite databases applications keep in the home (editor state, notes) are read as text."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from desktop_audit.scan.sources.files import FilesSource
from tests.scan.sources.conftest import make_ctx
from tests.scan.sources.detection import inner_places, run

# Made-up values in provider formats (they authenticate nowhere).
GITHUB = "ghp_" + "Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc9Q2w"


def _database(path: Path, script: str, rows: dict[str, list[tuple[object, ...]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.executescript(script)
    for table, values in rows.items():
        marks = ", ".join("?" * len(values[0]))
        connection.executemany(f"INSERT INTO {table} VALUES ({marks})", values)  # noqa: S608
    connection.commit()
    connection.close()


def test_text_and_json_blobs_of_application_databases_are_scanned(tmp_path: Path) -> None:
    state = json.dumps({"restClient.environment": {"key": STRIPE}}).encode()
    _database(
        tmp_path / ".config" / "Code" / "User" / "globalStorage" / "state.vscdb",
        "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);",
        {"ItemTable": [("theme", b"dark"), ("rest-client", state), ("icon", b"\x89PNG\x00\x01")]},
    )
    _database(
        tmp_path / ".config" / "joplin-desktop" / "database.sqlite",
        "CREATE TABLE notes (id TEXT, title TEXT, body TEXT, updated INTEGER);",
        {
            "notes": [
                ("a", "Groceries", "milk\neggs", 1),
                ("b", "Client", f"deploy with\ntoken {GITHUB}", 2),
            ]
        },
    )
    (tmp_path / "photo.raw").write_bytes(b"\x00\x01\x02" * 1000)
    (tmp_path / "broken.db").write_bytes(b"SQLite format 3\x00" + b"\x00\xff" * 200)
    ctx = make_ctx(tmp_path)
    located = run(FilesSource([tmp_path]), ctx, with_profile=False)
    found = inner_places(located)
    assert ("state.vscdb", "ItemTable", 2, "stripe") in found
    assert ("database.sqlite", "notes", 2, "github") in found
    counters = ctx.stat("files").counters
    assert counters["databases"] == 2
    assert counters["skipped_binary"] == 2  # the raw photo and the broken database
    assert not ctx.errors


def test_a_table_or_member_name_never_leads_out_of_its_file(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    _database(
        db,
        'CREATE TABLE "/etc/hosts_x" (body TEXT); CREATE TABLE "../../up" (body TEXT);',
        {'"/etc/hosts_x"': [(f"token {GITHUB}",)], '"../../up"': [(f"key {STRIPE}",)]},
    )
    located = run(FilesSource([tmp_path]), make_ctx(tmp_path), with_profile=False)
    paths = sorted(h.location.path or "" for h in located)
    assert paths == [f"{db}/%2e%2e/%2e%2e/up", f"{db}/etc/hosts_x"]
