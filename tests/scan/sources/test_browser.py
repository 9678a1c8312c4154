"""The browser source on generated Chromium and Firefox profiles (real SQLite files)."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path

from desktop_audit.models import FindingKind, SourceKind
from desktop_audit.scan.sources.browser import BrowserSource
from desktop_audit.scan.sources.catalogue import BrowserEntry
from tests.scan.sources.conftest import collect, make_ctx, tree_digest
from tests.scan.sources.detection import run

TOKEN = "ghp_" + "Zq8vR2mXp4TnW7yBc3LkH9sD1fG6jQ2wE5rT"
CHROME = ".config/google-chrome"
FIREFOX = ".mozilla/firefox"
ENTRIES = (
    BrowserEntry(CHROME, "chromium", "Google Chrome"),
    BrowserEntry("AppData/Local/Microsoft/Edge/User Data", "chromium", "Microsoft Edge"),
    BrowserEntry(FIREFOX, "firefox", "Firefox"),
)


def chrome_profile(profile: Path) -> None:
    profile.mkdir(parents=True)
    history = sqlite3.connect(profile / "History")
    history.execute("CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT, title TEXT)")
    history.executemany(
        "INSERT INTO urls (url, title) VALUES (?, ?)",
        [
            ("https://news.example.org/", "news"),
            ("https://portal.example-labs.example/login", f"title with {TOKEN}"),
            ("https://deploy:Sup3rS3cretPassw0rd@git.example.org/app.git", ""),
        ],
    )
    history.commit()
    history.close()
    logins = sqlite3.connect(profile / "Login Data")
    logins.execute(
        "CREATE TABLE logins (id INTEGER PRIMARY KEY, origin_url TEXT, action_url TEXT, "
        "signon_realm TEXT, username_value TEXT, password_value BLOB)"
    )
    logins.execute(
        "INSERT INTO logins (origin_url, action_url, signon_realm, username_value, password_value)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            "https://eval-x7.corp.example/",
            "",
            "https://eval-x7.corp.example/",
            "me",
            TOKEN.encode(),
        ),
    )
    logins.commit()
    logins.close()


def firefox_profile(profile: Path) -> sqlite3.Connection:
    profile.mkdir(parents=True)
    places = sqlite3.connect(profile / "places.sqlite")
    places.execute("PRAGMA journal_mode=wal")
    places.execute("PRAGMA wal_autocheckpoint=0")
    places.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    places.execute("INSERT INTO moz_places (url) VALUES ('https://docs.example.org/')")
    places.execute("INSERT INTO moz_places (url) VALUES ('http://10.20.3.4:8080/admin')")
    places.commit()  # left in the WAL: only a copy with its -wal sees it
    logins = {
        "logins": [
            {"hostname": "https://jira.example-labs.example", "formSubmitURL": "",
             "encryptedUsername": "MDIEEPgAAAAA", "encryptedPassword": "MDoEEPgAAAAA"},
        ]
    }  # fmt: skip
    (profile / "logins.json").write_text(json.dumps(logins))
    return places


def test_history_and_login_origins_of_every_profile(tmp_path: Path) -> None:
    home = tmp_path
    chrome_profile(home / CHROME / "Default")
    chrome_profile(home / "AppData/Local/Microsoft/Edge/User Data/Profile 1")
    (home / CHROME / "Crashpad").mkdir()
    writer = firefox_profile(home / FIREFOX / "abcd.default-release")
    locker = sqlite3.connect(home / CHROME / "Default" / "History", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # a running browser holding its lock
    try:
        before = tree_digest(home)
        ctx = make_ctx(home)
        located = run(BrowserSource(home, ENTRIES), ctx)
        assert tree_digest(home) == before
    finally:
        locker.execute("ROLLBACK")
        locker.close()
        writer.close()
    found = {
        (
            str(Path(h.location.path or "").relative_to(home)),
            h.location.line,
            h.hit.kind,
            h.hit.rule_id,
        )
        for h in located
    }
    chrome = f"{CHROME}/Default"
    edge = "AppData/Local/Microsoft/Edge/User Data/Profile 1"
    firefox = f"{FIREFOX}/abcd.default-release"
    endpoints = {(p, line) for p, line, kind, _r in found if kind is FindingKind.ENDPOINT}
    assert endpoints == {
        (f"{chrome}/History", 2),
        (f"{chrome}/Login Data", 1),
        (f"{edge}/History", 2),
        (f"{edge}/Login Data", 1),
        (f"{firefox}/places.sqlite", 2),
        (f"{firefox}/logins.json", 1),
    }
    credentials = {(p, line) for p, line, kind, _r in found if kind is FindingKind.CREDENTIAL}
    # the user:password@ URL only; never the title, never password_value
    assert credentials == {(f"{chrome}/History", 3), (f"{edge}/History", 3)}
    assert all(h.location.source is SourceKind.BROWSER for h in located)
    counters = ctx.stat("browser").counters
    assert counters["profiles"] == 3
    assert counters["databases"] == 6
    assert counters["urls"] == 3 + 3 + 2
    assert counters["logins"] == 1 + 1 + 1
    assert ctx.errors == []


def test_no_copy_is_written_and_the_profile_is_untouched(tmp_path: Path) -> None:
    profile = tmp_path / CHROME / "Default"
    chrome_profile(profile)
    tmp = Path(tempfile.gettempdir())
    temp_before = set(tmp.iterdir())
    profile_before = {p.name: p.read_bytes() for p in profile.iterdir()}
    fragments = list(BrowserSource(tmp_path, ENTRIES).iter_fragments(make_ctx(tmp_path)))
    assert fragments
    assert not [p for p in set(tmp.iterdir()) - temp_before if "desktop-audit" in p.name]
    assert {p.name: p.read_bytes() for p in profile.iterdir()} == profile_before


def test_corrupt_database_is_one_error(tmp_path: Path) -> None:
    profile = tmp_path / CHROME / "Default"
    profile.mkdir(parents=True)
    (profile / "History").write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    (tmp_path / FIREFOX / "x.default").mkdir(parents=True)
    (tmp_path / FIREFOX / "x.default" / "logins.json").write_text("{not json")
    ctx = make_ctx(tmp_path)
    assert collect(BrowserSource(tmp_path, ENTRIES), ctx) == []
    assert sorted(Path(e.path or "").name for e in ctx.errors) == ["History", "logins.json"]
    assert ctx.stat("browser").counters["unreadable"] == 2
