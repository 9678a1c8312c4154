"""Credential files a config names: OpenVPN's ``auth-user-pass FILE`` and Ansible's
``vault_password_file``. Real files in a temporary home; findings compared by rule id, place
and the keyed hash of the secret, never by the secret itself."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from desktop_audit.models import LocatedHit
from desktop_audit.scan.sources.catalogue import Catalogue, CatalogueEntry, load_catalogue
from desktop_audit.scan.sources.dotfiles import DotfilesSource
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.referenced import (
    ANSIBLE_VAULT,
    OPENVPN_AUTH,
    TARGET_LIMIT,
    Reference,
    parse_references,
    resolve,
)
from tests.scan.sources.conftest import make_ctx, random_password, write_file
from tests.scan.sources.detection import run

OVPN_RULE = "openvpn.auth-user-pass-file"
ASKPASS_RULE = "openvpn.askpass-file"
VAULT_RULE = "ansible.vault-password"
PROFILE = "client\ndev tun\nproto udp\nremote vpn.acme.example 1194\nauth-user-pass {}\n"


def _places(located: list[LocatedHit], rule_id: str) -> set[tuple[str | None, int | None]]:
    return {(h.location.path, h.location.line) for h in located if h.hit.rule_id == rule_id}


def test_openvpn_relative_creds_file_is_found_at_line_2(home: Path) -> None:
    password = random_password(18)
    write_file(home / "vpn" / "acme.ovpn", PROFILE.format("creds.txt"))
    creds = write_file(home / "vpn" / "creds.txt", f"bob\n{password}\n")
    ctx = make_ctx(home)
    located = run(FilesSource([home]), ctx)
    assert _places(located, OVPN_RULE) == {(str(creds), 2)}
    hit = next(h.hit for h in located if h.hit.rule_id == OVPN_RULE)
    assert hit.severity.value == "high"
    assert password not in hit.redacted
    assert ctx.errors == []


def test_openvpn_conf_with_home_path_and_crlf_creds(home: Path) -> None:
    password = random_password(16)
    conf = "client\r\nremote vpn.acme.example 443 tcp\r\nauth-user-pass ~/secrets/vpn.auth\r\n"
    write_file(home / "work" / "office.conf", conf)
    creds = write_file(home / "secrets" / "vpn.auth", f"bob@acme.example\r\n{password}\r\n")
    located = run(FilesSource([home]), make_ctx(home))
    assert _places(located, OVPN_RULE) == {(str(creds), 2)}


def test_openvpn_askpass_file_is_found_at_line_1(home: Path) -> None:
    passphrase = random_password(20)
    profile = PROFILE.format("creds.txt") + "askpass keys/key.pass  # for client.key\n"
    write_file(home / "vpn" / "acme.ovpn", profile)
    write_file(home / "vpn" / "creds.txt", f"bob\n{random_password(14)}\n")
    key_pass = write_file(home / "vpn" / "keys" / "key.pass", f"{passphrase}\r\n")
    located = run(FilesSource([home]), make_ctx(home))
    assert _places(located, ASKPASS_RULE) == {(str(key_pass), 1)}
    assert len(_places(located, OVPN_RULE)) == 1  # the login file still, read its own way
    assert all(passphrase not in h.hit.redacted for h in located)


def test_a_conf_of_another_program_is_not_followed(home: Path) -> None:
    write_file(home / "app.conf", "[server]\nauth-user-pass creds.txt\n")
    write_file(home / "creds.txt", f"bob\n{random_password()}\n")
    assert _places(run(FilesSource([home]), make_ctx(home)), OVPN_RULE) == set()


def test_the_same_password_is_one_finding_with_one_location(home: Path) -> None:
    """Two profiles name one file, and the sweep reaches it too: read with the format once,
    and the sweep passes it over (claimed) or adds no hit of its own."""
    password = random_password(18)
    write_file(home / "a" / "one.ovpn", PROFILE.format("../shared/creds.txt"))
    write_file(home / "b" / "two.ovpn", PROFILE.format("~/shared/creds.txt"))
    creds = write_file(home / "shared" / "creds.txt", f"bob\n{password}\n")
    located = run(FilesSource([home]), make_ctx(home))
    hits = [h for h in located if h.hit.rule_id == OVPN_RULE]
    assert [(h.location.path, h.location.line) for h in hits] == [(str(creds), 2)]


def test_placeholders_stay_quiet(home: Path) -> None:
    for name, text in {"p1": "bob\npassword\n", "p2": "bob\n<password>\n", "p3": "bob\n\n"}.items():
        write_file(home / name / "x.ovpn", PROFILE.format("auth.txt"))
        write_file(home / name / "auth.txt", text)
    located = run(FilesSource([home]), make_ctx(home))
    assert [h for h in located if h.hit.provider == "openvpn"] == []


def test_a_target_outside_the_home_is_not_read(tmp_path: Path, home: Path) -> None:
    outside = write_file(tmp_path / "elsewhere" / "creds.txt", f"bob\n{random_password()}\n")
    write_file(home / "vpn" / "x.ovpn", PROFILE.format(str(outside)))
    ctx = make_ctx(home)
    located = run(FilesSource([home]), ctx)
    assert _places(located, OVPN_RULE) == set()
    assert [(e.path, "outside" in e.message) for e in ctx.errors] == [(str(outside), True)]


def test_a_symlink_target_escaping_the_roots_is_not_read(tmp_path: Path, home: Path) -> None:
    outside = write_file(tmp_path / "elsewhere" / "creds.txt", f"bob\n{random_password()}\n")
    (home / "vpn").mkdir()
    (home / "vpn" / "creds.txt").symlink_to(outside)
    write_file(home / "vpn" / "x.ovpn", PROFILE.format("creds.txt"))
    ctx = make_ctx(home)
    located = run(FilesSource([home]), ctx)
    assert _places(located, OVPN_RULE) == set()
    assert len([e for e in ctx.errors if "outside" in e.message]) == 1


def test_a_fifo_target_is_not_read_and_nothing_waits(home: Path) -> None:
    (home / "vpn").mkdir()
    os.mkfifo(home / "vpn" / "creds.txt")
    write_file(home / "vpn" / "x.ovpn", PROFILE.format("creds.txt"))
    ctx = make_ctx(home)
    result: list[list[LocatedHit]] = []
    worker = threading.Thread(target=lambda: result.append(run(FilesSource([home]), ctx)))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the scan waited on a FIFO"
    assert _places(result[0], OVPN_RULE) == set()
    assert len([e for e in ctx.errors if "named by x.ovpn" in e.message]) == 1


def test_a_missing_target_is_one_clear_line(home: Path) -> None:
    write_file(home / "vpn" / "x.ovpn", PROFILE.format("creds.txt"))
    write_file(home / "vpn" / "y.ovpn", PROFILE.format("creds.txt"))  # the same missing file
    ctx = make_ctx(home)
    run(FilesSource([home]), ctx)
    assert [(Path(e.path or "").name, e.message.endswith("not found")) for e in ctx.errors] == [
        ("x.ovpn", True)  # the config: the path written in it is content, never quoted
    ]


def test_a_huge_target_is_not_read(home: Path) -> None:
    big = f"bob\n{random_password()}\n" + "#" * TARGET_LIMIT
    write_file(home / "vpn" / "creds.txt", big)
    write_file(home / "vpn" / "x.ovpn", PROFILE.format("creds.txt"))
    ctx = make_ctx(home)
    located = run(FilesSource([home]), ctx)
    assert _places(located, OVPN_RULE) == set()
    assert any("too large" in e.message for e in ctx.errors)


def test_ansible_vault_password_file_by_any_name(home: Path) -> None:
    password = random_password(20, "!#")
    write_file(
        home / "infra" / "ansible.cfg", "[defaults]\nvault_password_file = ~/.ansible/prod.secret\n"
    )
    target = write_file(home / ".ansible" / "prod.secret", password + "\n")
    located = run(FilesSource([home]), make_ctx(home))
    assert _places(located, VAULT_RULE) == {(str(target), 1)}


def test_ansible_relative_path_and_identity_list(home: Path) -> None:
    first, second = random_password(20, "!#"), random_password(20, "!#")
    cfg = "[defaults]\nvault_identity_list = dev@keys/dev.txt, prod@prompt, ops@~/ops.key\n"
    write_file(home / "infra" / "ansible.cfg", cfg)
    dev = write_file(home / "infra" / "keys" / "dev.txt", first + "\n")
    ops = write_file(home / "ops.key", second + "\r\n")
    located = run(FilesSource([home]), make_ctx(home))
    assert _places(located, VAULT_RULE) == {(str(dev), 1), (str(ops), 1)}


def test_the_dotfiles_source_follows_a_catalogued_profile(home: Path) -> None:
    password = random_password(18)
    write_file(home / ".config" / "openvpn" / "acme.ovpn", PROFILE.format("acme.auth"))
    creds = write_file(home / ".config" / "openvpn" / "acme.auth", f"bob\n{password}\n")
    catalogue = load_catalogue()
    only = Catalogue(
        dotfiles=(CatalogueEntry(".config/openvpn/*.ovpn", "text"),),
        histories=(),
        walk=catalogue.walk,
    )
    ctx = make_ctx(home)
    located = run(DotfilesSource(home, only), ctx)
    assert _places(located, OVPN_RULE) == {(str(creds), 2)}
    assert creds in ctx.claimed_paths  # the files sweep does not read it again


def test_parse_and_resolve(home: Path) -> None:
    text = b'auth-user-pass "my creds.txt"\nauth-user-pass\nauth-user-pass stdin\n'
    assert parse_references("openvpn", text) == [Reference("my creds.txt", OPENVPN_AUTH)]
    cfg = b"[defaults]\nvault_password_file: '$HOME/.vp'\n"
    assert parse_references("ansible", cfg) == [Reference("$HOME/.vp", ANSIBLE_VAULT)]
    config = home / "infra" / "ansible.cfg"
    assert resolve("$HOME/.vp", config, home) == home / ".vp"
    assert resolve("../x", config, home) == home / "x"
    assert resolve("~other/x", config, home) is None
    assert resolve("$SECRETS/x", config, home) is None
