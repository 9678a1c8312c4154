"""Credential files a config names: what the scan must never do while following them (quote a
path that is config content, follow without bound, read where the walk never goes)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from desktop_audit.scan.sources.dotfiles import DotfilesSource
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.referenced import CONFIG_LIMIT, TARGET_LIMIT, parse_references
from tests.scan.sources.conftest import make_ctx, random_password, write_file
from tests.scan.sources.detection import run

OVPN_RULE = "openvpn.auth-user-pass-file"
VAULT_RULE = "ansible.vault-password"
PROFILE = "client\ndev tun\nremote vpn.acme.example 1194\n"


def test_a_password_written_where_the_path_belongs_is_never_quoted(home: Path) -> None:
    password = random_password(20, "!#")
    write_file(home / "infra" / "ansible.cfg", f"[defaults]\nvault_password_file = {password}\n")
    write_file(home / "vpn" / "x.ovpn", PROFILE + f"auth-user-pass /{password}\n")
    ctx = make_ctx(home)
    run(FilesSource([home]), ctx)
    assert ctx.errors, "a missing credential file is still one line"
    for error in ctx.errors:
        assert password not in f"{error.path} {error.message}"


def test_a_config_naming_thousands_of_files_is_bounded(home: Path) -> None:
    lines = "".join(f"auth-user-pass missing-{i}.txt\n" for i in range(5000))
    write_file(home / "vpn" / "x.ovpn", PROFILE + lines)
    ctx = make_ctx(home)
    run(FilesSource([home]), ctx)
    assert len(ctx.errors) <= 20


def test_a_target_in_the_scanners_own_directory_is_not_read(home: Path) -> None:
    own = home / ".local" / "share" / "desktop-audit"
    write_file(own / "creds.txt", f"bob\n{random_password()}\n")
    write_file(home / "vpn" / "x.ovpn", PROFILE + f"auth-user-pass {own / 'creds.txt'}\n")
    ctx = make_ctx(home)
    ctx.own_dirs = frozenset({own})
    located = run(FilesSource([home]), ctx)
    assert [h for h in located if h.hit.rule_id == OVPN_RULE] == []
    assert ctx.stat("files").counters.get("referenced_files", 0) == 0


def test_a_target_under_proc_is_not_read_even_with_root_slash(home: Path) -> None:
    write_file(home / "vpn" / "x.ovpn", PROFILE + "auth-user-pass /proc/self/status\n")
    ctx = make_ctx(home, roots=(home, Path("/")))
    source = FilesSource([home])  # sweep the home only; the root / makes /proc "inside"
    run(source, ctx)
    assert not any(str(p).startswith("/proc") for p in ctx.claimed_paths)


def test_a_profile_naming_itself_is_not_read_as_its_credentials(home: Path) -> None:
    write_file(home / "vpn" / "x.ovpn", "client\nKq9v%dLw2Rz@(xQ7\nauth-user-pass x.ovpn\n")
    located = run(FilesSource([home]), make_ctx(home))
    assert [h for h in located if h.hit.rule_id == OVPN_RULE] == []


def test_limits_stay_small() -> None:
    assert TARGET_LIMIT <= 64 * 1024


def test_a_non_utf8_file_name_is_followed(home: Path) -> None:
    name = b"caf\xe9.auth"
    write_file(home / "vpn" / "x.ovpn", PROFILE.encode() + b"auth-user-pass " + name + b"\n")
    creds = home / "vpn" / name.decode("utf-8", "surrogateescape")
    write_file(creds, f"bob\n{random_password()}\n")
    located = run(FilesSource([home]), make_ctx(home))
    assert {h.location.path for h in located if h.hit.rule_id == OVPN_RULE} == {str(creds)}


def test_a_catalogued_vault_file_a_config_also_names_is_one_location(home: Path) -> None:
    write_file(home / ".vault_pass.txt", random_password(20, "!#") + "\n")
    config = "[defaults]\nvault_password_file = ~/.vault_pass.txt\n"
    write_file(home / "proj" / "ansible.cfg", config)
    ctx = make_ctx(home)
    located = run(DotfilesSource(home), ctx) + run(FilesSource([home]), ctx)
    places = [(h.location.path, h.location.line) for h in located if h.hit.rule_id == VAULT_RULE]
    assert places == [(str(home / ".vault_pass.txt"), 1)]


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("openvpn", b"client\nauth-user-pass" + b" " * CONFIG_LIMIT + b"#\n"),
        ("ansible", b"vault_password_file = x" + b" " * CONFIG_LIMIT + b"y"),
    ],
)
def test_a_hostile_config_line_is_parsed_in_linear_time(kind: str, data: bytes) -> None:
    started = time.monotonic()
    parse_references(kind, data[:CONFIG_LIMIT])
    assert time.monotonic() - started < 2, "a config of blanks must not take minutes"


def test_parsing_keeps_its_meaning() -> None:
    text = b"auth-user-pass  creds.txt  # the file\nauth-user-pass a;b\n auth-user-pass\t'x y'\r\n"
    assert [r.written for r in parse_references("openvpn", text)] == ["creds.txt", "a", "x y"]
    cfg = b"vault_password_file :  '~/.vp' \r\nvault_identity_list= a@k.txt ,b@prompt\n"
    assert [r.written for r in parse_references("ansible", cfg)] == ["~/.vp", "k.txt"]
