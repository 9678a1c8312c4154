"""Passwords in a workstation's credential stores are found whatever characters they hold.

A store (``.netrc``, ``.pgpass``, ``.git-credentials``, MySQL's ``.my.cnf`` and
``.mylogin.cnf``, DBeaver's saved credentials) holds nothing but real passwords, and its tools
take them literally, so its rules read it with their store filters (``Rule.stores``): a
password that starts with ``+``, ``#`` or ``@``, holds ``%d``, ``{x}`` or ``$x``, or is
letters only is found. Each store is written as its tool writes it, with 2,000 passwords
drawn fully at random over printable ASCII (no whitespace; only the characters the store
cannot hold as they are left out), and read through the real sources. Nothing is compared by
value in a message: the hits' match hashes are compared with the stored forms'.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from desktop_audit.models import Fragment, Origin, Severity, SourceKind
from desktop_audit.scan.sources.base import Source
from desktop_audit.scan.sources.dotfiles import DotfilesSource
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.secrecy import Secrecy
from tests.scan.sources.conftest import check, make_ctx
from tests.scan.sources.detection import detector, run
from tests.scan.sources.dotfile_home import dbeaver_encrypted, mylogin_bytes

DRAWS = 2000
PRINTABLE = "".join(ch for ch in string.printable if not ch.isspace())
# The detector's keyed match hash (tests/scan/sources/detection.py uses this salt).
SECRECY = Secrecy(b"k" * 32, b"sources-test-salt")
DBEAVER_FILE = ".local/share/DBeaverData/workspace6/General/.dbeaver/credentials-config.json"


def alphabet(left_out: str = "") -> str:
    return "".join(ch for ch in PRINTABLE if ch not in left_out)


def draw(rng: random.Random, chars: str) -> str:
    """A fully random password: 8 to 24 characters, any of ``chars`` anywhere."""
    return "".join(rng.choice(chars) for _ in range(rng.randint(8, 24)))


@dataclass(frozen=True)
class Store:
    """How a store is written: its file, the characters it holds as they are, and a writer
    of the file from passwords that also gives each password as the file holds it."""

    name: str
    path: str
    chars: str
    write: Callable[[list[str]], tuple[bytes, list[str]]]
    rules: frozenset[str]


def _netrc(passwords: list[str]) -> tuple[bytes, list[str]]:
    lines = []
    for index, password in enumerate(passwords):
        if index % 2:
            lines.append(f"machine h{index}.example.org\n  login app\n  password {password}")
        else:
            lines.append(f"machine h{index}.example.org login app password {password}")
    return ("\n".join(lines) + "\n").encode(), passwords


def _pgpass(passwords: list[str]) -> tuple[bytes, list[str]]:
    stored = [p.replace("\\", "\\\\").replace(":", "\\:") for p in passwords]
    lines = [f"db{i}.example.org:5432:app:app_user:{s}" for i, s in enumerate(stored)]
    return ("\n".join(lines) + "\n").encode(), stored


def _git_credentials(passwords: list[str]) -> tuple[bytes, list[str]]:
    stored = [quote(p, safe="-._~") for p in passwords]  # as git's credential store writes
    lines = [f"https://user{i}:{s}@git{i}.example.org" for i, s in enumerate(stored)]
    return ("\n".join(lines) + "\n").encode(), stored


def _git_credentials_by_hand(passwords: list[str]) -> tuple[bytes, list[str]]:
    lines = [f"https://user{i}:{p}@git{i}.example.org" for i, p in enumerate(passwords)]
    return ("\n".join(lines) + "\n").encode(), passwords


def _my_cnf(passwords: list[str]) -> tuple[bytes, list[str]]:
    """Unquoted values (MySQL reads an unquoted # as a comment: ``chars`` leaves it out)."""
    sections = [f"[client{i}]\nuser=app\npassword={p}\n" for i, p in enumerate(passwords)]
    return "\n".join(sections).encode(), passwords


def _my_cnf_quoted(passwords: list[str]) -> tuple[bytes, list[str]]:
    sections = [f'[client{i}]\nuser = app\npassword = "{p}"\n' for i, p in enumerate(passwords)]
    return "\n".join(sections).encode(), passwords


def _mylogin(passwords: list[str]) -> tuple[bytes, list[str]]:
    """As ``mysql_config_editor set`` writes login paths: every value double-quoted."""
    lines = []
    for index, password in enumerate(passwords):
        lines += [f"[path{index}]", 'user = "app"', f'password = "{password}"', 'host = "db"']
    return mylogin_bytes(lines), passwords


def _dbeaver(passwords: list[str]) -> tuple[bytes, list[str]]:
    document = {
        f"postgres-jdbc-{index:x}": {"#connection": {"user": "app", "password": password}}
        for index, password in enumerate(passwords)
    }
    # A " or \ is JSON-escaped in the file, and matched so (docs/next-steps.md).
    stored = [json.dumps(p, ensure_ascii=False)[1:-1] for p in passwords]
    return dbeaver_encrypted(document), stored


NETRC = frozenset({"netrc.credentials"})
# Several lines: the URI rule takes a line first when its filters keep the password.
GIT = frozenset({"git.credentials-store", "git.credentials-line", "uri.basic-auth"})
MYSQL = frozenset({"mysql.option-file-password"})
STORES = [
    # " opens a quoted token and \ escapes in netrc readers (curl, Python's netrc).
    Store("netrc", ".netrc", alphabet('"\\'), _netrc, NETRC),
    Store("pgpass", ".pgpass", PRINTABLE, _pgpass, frozenset({"pgpass.credentials"})),
    Store("git-credentials", ".git-credentials", PRINTABLE, _git_credentials, GIT),
    # Written by hand: git decodes % escapes, and @ / ? # end the user information.
    Store("git-by-hand", ".git-credentials", alphabet("@/?#%"), _git_credentials_by_hand, GIT),
    Store("my.cnf", ".my.cnf", alphabet("#\"'\\"), _my_cnf, MYSQL),
    Store("my.cnf-quoted", ".my.cnf", alphabet('"\\'), _my_cnf_quoted, MYSQL),
    Store("mylogin", ".mylogin.cnf", alphabet('"\\'), _mylogin, MYSQL),
    Store("dbeaver", DBEAVER_FILE, PRINTABLE, _dbeaver, frozenset({"dbeaver.saved-password"})),
]
SOURCES: dict[str, Callable[[Path], Source]] = {
    "dotfiles": DotfilesSource,
    "files": lambda home: FilesSource([home]),
}


def _write(home: Path, rel: str, data: bytes) -> Path:
    path = home / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("store", STORES, ids=[s.name for s in STORES])
def test_every_random_password_in_a_store_is_found(
    tmp_path: Path, store: Store, source: str
) -> None:
    rng = random.Random(f"{store.name}-2026")  # noqa: S311 - deterministic test draws
    passwords = [draw(rng, store.chars) for _ in range(DRAWS)]
    data, stored = store.write(passwords)
    _write(tmp_path, store.path, data)
    located = run(SOURCES[source](tmp_path), make_ctx(tmp_path), with_profile=False)
    expected = {SECRECY.match_hash(s.encode()) for s in stored}
    found = {h.hit.match_hash for h in located if h.hit.rule_id in store.rules}
    missed = len(expected - found)
    check(missed == 0, f"{store.name}: {missed} of {DRAWS} passwords not found")
    check(found <= expected, f"{store.name}: {len(found - expected)} hits are not a password")
    strong = [h for h in located if h.hit.rule_id in store.rules]
    check(all(h.hit.severity is Severity.HIGH for h in strong), f"{store.name}: not all high")
    check(
        all(not any(s in h.hit.redacted for s in stored if len(s) > 4) for h in strong[:50]),
        f"{store.name}: a preview shows a password",
    )


# Stand-ins a store may hold (a template not yet filled in, an empty field): reported at low
# severity at most (the weak-credential rules report common words such as ``changeme``).
STAND_INS = ["changeme", "password", "<password>", "xxxx", "********", "${DB_PASSWORD}"]
# A bullet mask, an elided value, a PowerShell variable: git percent-encodes such characters
# in .git-credentials (%E2%80%A2, %24), so they are tried in the other stores.
RAW_STAND_INS = [*STAND_INS, "<...>", "\u2022" * 8, "$env:DB_PASSWORD"]
NEGATIVES = {
    ".netrc": "".join(
        f"machine h{i}.example.org login app password {v}\n"
        for i, v in enumerate([*RAW_STAND_INS, "$NETRC_PASSWORD"])
    )
    + 'machine empty.example.org login app password ""\n',
    ".pgpass": "".join(
        f"db{i}.example.org:5432:app:app_user:{v}\n"
        for i, v in enumerate([*RAW_STAND_INS, "$PGPASSWORD"])
    )
    + "db.example.org:5432:app:app_user:\n",
    ".git-credentials": "".join(
        f"https://user{i}:{v}@git{i}.example.org\n"
        for i, v in enumerate([*STAND_INS, "$GIT_TOKEN"])
    ),
    ".my.cnf": "".join(
        f"[client{i}]\nuser=app\npassword={v}\n\n"
        for i, v in enumerate([*RAW_STAND_INS, "$MYSQL_PWD"])
    )
    + '[mysql]\npassword=\n\n[mysqldump]\npassword = ""\n\n[mysqladmin]\npassword\n',
}


@pytest.mark.parametrize("rel", NEGATIVES)
def test_stand_ins_in_a_store_stay_low(tmp_path: Path, rel: str) -> None:
    _write(tmp_path, rel, NEGATIVES[rel].encode())
    located = run(DotfilesSource(tmp_path), make_ctx(tmp_path), with_profile=False)
    above = [h.hit.rule_id for h in located if h.hit.severity.rank > Severity.LOW.rank]
    assert above == []


def test_stand_ins_in_sealed_stores_stay_low(tmp_path: Path) -> None:
    lines = []
    for index, value in enumerate(STAND_INS):
        lines += [f"[path{index}]", 'user = "app"', f'password = "{value}"']
    lines += ["[empty]", 'user = "app"', 'password = ""']
    _write(tmp_path, ".mylogin.cnf", mylogin_bytes(lines))
    document = {
        f"pg-{index}": {"#connection": {"user": "app", "password": value}}
        for index, value in enumerate([*STAND_INS, ""])
    }
    _write(tmp_path, DBEAVER_FILE, dbeaver_encrypted(document))
    located = run(DotfilesSource(tmp_path), make_ctx(tmp_path), with_profile=False)
    above = [h.hit.rule_id for h in located if h.hit.severity.rank > Severity.LOW.rank]
    assert above == []


# The store filters hold in the stores only: the same text in an ordinary file keeps the
# general filters (a %s or $NAME inside is read as code or a reference there).
OUTSIDE = [
    ("netrc", "machine db.acme.io login app password %s7w$PATHq\n", NETRC),
    ("pgpass", "db.acme.io:5432:app:etl:ab${PGPASS}cd\n", frozenset({"pgpass.credentials"})),
    ("mysql-options", '[client]\nuser = app\npassword = "{0}x$HOMEq"\n', MYSQL),
    ("mylogin", '[client]\nuser = "app"\npassword = "+x7$Lp{q}Z"\n', MYSQL),
]


@pytest.mark.parametrize(("file_format", "text", "rules"), OUTSIDE)
def test_store_filters_apply_in_the_store_only(
    file_format: str, text: str, rules: frozenset[str]
) -> None:
    def found(fmt: str | None) -> set[str]:
        origin = Origin(SourceKind.FILE, path=Path("/home/u/notes.txt"), file_format=fmt)
        hits = detector(with_profile=False).scan(Fragment(text.encode(), origin))
        return {h.rule_id for h in hits if h.severity.rank > Severity.LOW.rank}

    assert found(file_format) & rules
    assert not found(None) & rules


# A netrc line quoted in a command or in code (shell history, a CI step, a script) ends in
# its closing quote: outside a store the password is the token before it, as it was before
# stores were read on their own (the same finding as the password in ~/.netrc itself). In a
# .netrc, a ' that ends the last token of a line is part of the password.
QUOTED_NETRC = [
    "echo 'machine git.acme.io login ci password {pw}'\n",
    "echo 'machine git.acme.io login ci password {pw}'",
    "NETRC = 'machine git.acme.io login ci password {pw}'\n",
    "  - run: echo 'machine git.acme.io login ci password {pw}'\n",
    "x = ('machine git.acme.io login ci password {pw}'\n     'machine b.acme.io')\n",
]


@pytest.mark.parametrize("template", QUOTED_NETRC)
def test_a_quoted_netrc_line_outside_a_store_keeps_its_password(template: str) -> None:
    password = "Zq8vR2mXp4TnW7"
    origin = Origin(SourceKind.SHELL_HISTORY, path=Path("/home/u/.bash_history"))
    hits = detector(with_profile=False).scan(
        Fragment(template.format(pw=password).encode(), origin)
    )
    netrc = [h for h in hits if h.rule_id in NETRC]
    assert [h.match_hash for h in netrc] == [SECRECY.match_hash(password.encode())]


def test_a_netrc_password_ending_in_a_quote_is_whole_in_the_store() -> None:
    text = "machine a.acme.io login app password Kq9v'dLw2Rz'\n  machine b.acme.io\n"
    text += "  login app\n  password Vb'Nm7Kl'\n"
    origin = Origin(SourceKind.DOTFILE, path=Path("/home/u/.netrc"), file_format="netrc")
    hits = detector(with_profile=False).scan(Fragment(text.encode(), origin))
    expected = [SECRECY.match_hash(p) for p in (b"Kq9v'dLw2Rz'", b"Vb'Nm7Kl'")]
    assert [h.match_hash for h in hits if h.rule_id in NETRC] == expected


def test_common_word_passwords_in_netrc_are_low_and_templates_are_not_reported(
    tmp_path: Path,
) -> None:
    """The weak twin of the netrc rule reports what the store filter takes for a stand-in
    (a real default password is still a password), never template syntax or a mask, and
    never a value the strong rule already reports."""
    weak = ["admin", "hunter2", "password"]
    templates = ["<password>", "$NETRC_PASSWORD", "********"]
    strong = "Kq9v%dLw2Rz@(x"
    entries = [*weak, *templates, strong]
    text = "".join(f"machine h{i}.acme.io login app password {v}\n" for i, v in enumerate(entries))
    _write(tmp_path, ".netrc", text.encode())
    located = run(DotfilesSource(tmp_path), make_ctx(tmp_path), with_profile=False)
    by_line: dict[int | None, set[str]] = {}
    for h in located:
        by_line.setdefault(h.location.line, set()).add(h.hit.rule_id)
    for line in (1, 2, 3):
        assert by_line.get(line) == {"netrc.weak-credentials"}, line
    assert not any(by_line.get(line) for line in (4, 5, 6))
    assert by_line.get(7) == {"netrc.credentials"}
    assert all(h.hit.severity is Severity.LOW for h in located if h.location.line in (1, 2, 3))


def test_the_default_entry_of_a_netrc_is_read(tmp_path: Path) -> None:
    """``default`` gives the login for every host no ``machine`` names: its password counts."""
    rng = random.Random(8)  # noqa: S311  (reproducible test values)
    printable = [chr(code) for code in range(33, 127) if chr(code) not in '"\\']
    passwords = ["".join(rng.choices(printable, k=14)) for _ in range(200)]
    first = "machine a.acme.io login app password Vb7NmKl2HjGf\n"
    for index, password in enumerate(passwords):
        home = tmp_path / str(index)
        _write(home, ".netrc", f"{first}default login ftp password {password}\n".encode())
        located = run(DotfilesSource(home), make_ctx(home), with_profile=False)
        rules = {h.hit.rule_id for h in located if h.location.line == 2}
        assert rules == {"netrc.default-credentials"}, index
