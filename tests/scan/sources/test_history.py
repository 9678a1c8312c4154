"""The history source: every format decoded so that line numbers stay the file's lines."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from desktop_audit.models import SourceKind
from desktop_audit.scan.sources.history import (
    HistorySource,
    decode_fish,
    decode_octal,
    decode_zsh,
    unmetafy,
)
from tests.scan.sources.conftest import check, collect, make_ctx

DATA = Path(__file__).parent / "data"
ZSH_COMMAND = "export PASSWORD_ПАРОЛЬ=ёжик-パスワード-FAKE"


def write(home: Path, rel: str, content: bytes) -> Path:
    path = home / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def by_path(fragments: list, home: Path) -> dict[str, list]:
    out: dict[str, list] = {}
    for fragment in fragments:
        out.setdefault(fragment.origin.path.relative_to(home).as_posix(), []).append(fragment)
    return out


def line_of(data: bytes, needle: bytes) -> int:
    return next(i for i, line in enumerate(data.split(b"\n"), start=1) if needle in line)


def test_unmetafy_real_zsh_bytes() -> None:
    raw = (DATA / "zsh_history_metafied").read_bytes()
    assert b"\x83" in raw
    decoded = decode_zsh(raw)
    check(decoded.decode("utf-8").splitlines() == ["ls", ZSH_COMMAND, "echo done"], "unmetafy")
    assert unmetafy(b"a\x83\xa3b") == b"a\x83b"  # the meta byte itself
    assert unmetafy(b"plain") == b"plain"


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh not installed")
def test_history_written_by_live_zsh(tmp_path: Path) -> None:
    history = tmp_path / ".zsh_history"
    script = (
        "setopt EXTENDED_HISTORY; HISTSIZE=100; SAVEHIST=100; print -s 'ls -l'; "
        f"print -s '{ZSH_COMMAND}'; fc -W {history}"
    )
    subprocess.run(["zsh", "-f", "-i", "-c", script], stdin=subprocess.DEVNULL, check=True)
    fragments = collect(HistorySource(tmp_path), make_ctx(tmp_path))
    assert len(fragments) == 1
    check(ZSH_COMMAND.encode() in fragments[0].data, "zsh command not unmetafied")
    assert line_of(fragments[0].data, "ёжик".encode()) == 2


def test_every_shell_format_keeps_line_numbers(tmp_path: Path) -> None:
    secret = b"tok_FAKE_0123456789"
    write(tmp_path, ".bash_history", b"#1700000000\nls\ncurl -H 'X-Token: " + secret + b"'\n")
    write(tmp_path, ".zsh_history", (DATA / "zsh_history_metafied").read_bytes())
    fish = (
        b"- cmd: ls\n  when: 1700000000\n- cmd: echo a\\\\b\\nexport T=" + secret + b"\n"
        b"  when: 1700000001\n  paths:\n    - /tmp\n"
    )
    write(tmp_path, ".local/share/fish/fish_history", fish)
    write(
        tmp_path,
        ".local/share/powershell/PSReadLine/ConsoleHost_history.txt",
        b"Get-ChildItem\r\n$env:TOKEN='" + secret + b"'\r\n",
    )
    write(
        tmp_path,
        "AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt",
        b"dir\n" + secret + b"\n",
    )
    write(tmp_path, ".python_history", b"import os\nos.environ['T'] = '" + secret + b"'\n")
    write(
        tmp_path,
        ".mysql_history",
        b"_HiStOrY_V2_\nCREATE\\040USER\\040x\\040IDENTIFIED\\040BY\\040'" + secret + b"';\n",
    )
    write(tmp_path, ".psql_history", b"\\c db\nALTER USER x PASSWORD '" + secret + b"';\n")
    write(tmp_path, ".sqlite_history", b"_HiStOrY_V2_\nselect\\040'" + secret + b"';\n")
    write(tmp_path, ".node_repl_history", b"token = '" + secret + b"'\n.exit\n")
    write(tmp_path, ".rediscli_history", b"AUTH " + secret + b"\n")
    write(tmp_path, ".lesshst", b'.less-history-file:\n.search\n"' + secret + b"\n")
    ctx = make_ctx(tmp_path)
    fragments = collect(HistorySource(tmp_path), ctx)
    files = by_path(fragments, tmp_path)
    expected_lines = {
        ".bash_history": 3,
        ".local/share/fish/fish_history": 3,
        ".local/share/powershell/PSReadLine/ConsoleHost_history.txt": 2,
        "AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt": 2,
        ".python_history": 2,
        ".mysql_history": 2,
        ".psql_history": 2,
        ".sqlite_history": 2,
        ".node_repl_history": 1,
        ".rediscli_history": 1,
        ".lesshst": 3,
    }
    for rel, line in expected_lines.items():
        (fragment,) = files[rel]
        assert fragment.origin.source is SourceKind.SHELL_HISTORY
        assert line_of(fragment.data, secret) == line, rel
    check(b"CREATE USER x IDENTIFIED BY" in files[".mysql_history"][0].data, "mysql \\040")
    fish_line = files[".local/share/fish/fish_history"][0].data.split(b"\n")[2]
    check(fish_line == b"echo a\\b export T=" + secret, "fish unescape")
    assert files[".zsh_history"][0].origin.file_format == "zsh"
    assert ctx.stat("history").counters["files"] == 12
    assert tmp_path / ".bash_history" in ctx.claimed_paths


def test_octal_newline_escape_stays_on_its_line() -> None:
    assert decode_octal(b"a\\012b\\040c\nd") == b"a b c\nd"
    assert decode_fish(b"- cmd: x\\ny\n  when: 1") == b"x y\n  when: 1"


def test_ipython_history_rows_with_line_numbers(tmp_path: Path) -> None:
    db = tmp_path / ".ipython" / "profile_default" / "history.sqlite"
    db.parent.mkdir(parents=True)
    connection = sqlite3.connect(db)
    connection.executescript(
        "CREATE TABLE sessions (session integer primary key autoincrement, start timestamp,"
        " end timestamp, num_cmds integer, remark text);"
        "CREATE TABLE history (session integer, line integer, source text, source_raw text,"
        " PRIMARY KEY (session, line));"
    )
    rows = [
        (1, 1, "import requests", "import requests"),
        (1, 2, "key = 'sk_FAKE_123'", "key = 'sk_FAKE_123'"),
        (2, 1, "get_ipython().run_line_magic('env', 'T=FAKE')", "%env T=FAKE"),
    ]
    connection.executemany("INSERT INTO history VALUES (?, ?, ?, ?)", rows)
    connection.commit()
    connection.close()
    before = db.read_bytes()
    fragments = collect(HistorySource(tmp_path), make_ctx(tmp_path))
    got = [(f.origin.line_base, f.origin.fixed_line, f.data) for f in fragments]
    check(
        got
        == [
            (1, True, b"import requests"),
            (2, True, b"key = 'sk_FAKE_123'"),
            (1, True, b"%env T=FAKE"),
        ],
        "ipython rows",
    )
    assert db.read_bytes() == before
    assert not (db.parent / "history.sqlite-journal").exists()


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        (".ipython/profile_default/history.sqlite", "ipython"),
        (".local/share/atuin/history.db", "atuin"),
    ],
)
def test_a_corrupt_history_database_is_an_error_and_the_others_are_read(
    tmp_path: Path, rel: str, kind: str
) -> None:
    write(tmp_path, rel, b"not a database at all" * 50)
    write(tmp_path, ".bash_history", b"ls\n")
    ctx = make_ctx(tmp_path)
    fragments = collect(HistorySource(tmp_path), ctx)
    assert [f.origin.path.name for f in fragments] == [".bash_history"]
    assert len(ctx.errors) == 1 and f"{kind} history" in ctx.errors[0].message


def _sqlite_history(path: Path, schema: str, insert: str, commands: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.executescript(schema)
    connection.executemany(insert, [(i, c) for i, c in enumerate(commands, 1)])
    connection.commit()
    connection.close()


def test_sqlite_shell_histories_one_line_per_command(tmp_path: Path) -> None:
    commands = ["ls", "export TOKEN=ghp_FAKE\ncontinued", "git push"]
    _sqlite_history(
        tmp_path / ".histdb" / "zsh-history.db",
        "CREATE TABLE commands (id integer primary key autoincrement, argv text, unique(argv));",
        "INSERT INTO commands (id, argv) VALUES (?, ?)",
        commands,
    )
    _sqlite_history(
        tmp_path / ".local" / "share" / "mcfly" / "history.db",
        # a WAL database closed cleanly: no log left, and none may be created by reading
        "PRAGMA journal_mode=WAL; CREATE TABLE commands (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " cmd TEXT NOT NULL, session_id TEXT, when_run INTEGER);",
        "INSERT INTO commands (id, cmd) VALUES (?, ?)",
        commands,
    )
    listing = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    fragments = by_path(collect(HistorySource(tmp_path), make_ctx(tmp_path)), tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == listing  # no -shm
    expected = b"ls\nexport TOKEN=ghp_FAKE continued\ngit push"
    assert [f.data for f in fragments[".histdb/zsh-history.db"]] == [expected]
    assert [f.data for f in fragments[".local/share/mcfly/history.db"]] == [expected]
    assert fragments[".histdb/zsh-history.db"][0].origin.source is SourceKind.SHELL_HISTORY


def test_atuin_history_commands_still_in_the_write_ahead_log_are_read(tmp_path: Path) -> None:
    db = tmp_path / ".local" / "share" / "atuin" / "history.db"
    db.parent.mkdir(parents=True)
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute(
        "CREATE TABLE history (id text primary key, timestamp integer not null, duration"
        " integer not null, exit integer not null, command text not null, cwd text not null,"
        " session text not null, hostname text not null, deleted_at integer)"
    )
    rows = [
        ("a", 1, 0, 0, "cd /srv", "/", "s", "h"),
        ("b", 2, 0, 0, "vault login FAKE", "/", "s", "h"),
    ]
    writer.executemany("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)", rows)
    writer.commit()  # in the -wal file only: the shell still has the database open
    try:
        before = db.read_bytes()
        assert b"vault login" not in before
        fragments = collect(HistorySource(tmp_path), make_ctx(tmp_path))
        assert [f.data for f in fragments] == [b"cd /srv\nvault login FAKE"]
        assert db.read_bytes() == before
    finally:
        writer.close()
