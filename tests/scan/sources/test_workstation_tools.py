"""Credential files of developer tools, written as the tools write them: rclone's config (its
obscured passwords revealed in memory, as ``rclone reveal`` would), Remmina profiles,
cloudflared's tunnel files, Wrangler's and linode-cli's configs, an OpenVPN profile, Maven's
master password; and files of the same tools that hold no secret stay quiet. Findings are
compared by rule id and finding id (a keyed hash of the secret), never by printing a value."""

from __future__ import annotations

import base64
import json
import os
import random
import uuid
from pathlib import Path

import pytest

from desktop_audit.models import LocatedHit, Severity
from desktop_audit.scan.sources.dotfiles import DotfilesSource
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.rclone import rclone_text, reveal
from desktop_audit.scan.sources.sealed import sealed_format, unsealed
from tests.scan.sources.conftest import make_ctx, random_password
from tests.scan.sources.detection import run
from tests.scan.sources.dotfile_home import fake, rclone_obscured


def _write(home: Path, relative: str, text: str) -> Path:
    path = home / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _scan(home: Path) -> list[LocatedHit]:
    return run(DotfilesSource(home), make_ctx(home))


def _ids(located: list[LocatedHit], rule_id: str) -> set[str]:
    return {h.hit.finding_id for h in located if h.hit.rule_id == rule_id}


def _rclone_conf(sftp: str, webdav: str, crypt: str) -> str:
    """As ``rclone config`` writes it: S3 keys plain, passwords obscured, OAuth tokens JSON."""
    token = {
        "access_token": "ya29.a0" + fake(1, 150),
        "token_type": "Bearer",
        "refresh_token": "1//09" + fake(2, 100),
        "expiry": "2024-05-02T10:11:12.123456789+02:00",
    }
    return (
        "[s3]\ntype = s3\nprovider = AWS\naccess_key_id = AKIA"
        + fake(3, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        + f"\nsecret_access_key = {fake(4, 40)}\nregion = eu-west-1\n\n"
        f"[nas]\ntype = sftp\nhost = nas.acme.example\nuser = bob\npass = {sftp}\n\n"
        f"[dav]\ntype = webdav\nurl = https://dav.acme.example\nvendor = other\nuser = bob\n"
        f"pass = {webdav}\n\n"
        f"[secret]\ntype = crypt\nremote = nas:backup\npassword = {crypt}\n\n"
        f"[gdrive]\ntype = drive\nscope = drive\ntoken = {json.dumps(token)}\n"
    )


def test_rclone_obscured_passwords_are_found_as_the_passwords(tmp_path: Path) -> None:
    """Each obscured password is a finding with the id its plain text has (the same password
    written elsewhere is the same finding), on its own line; the file's other credentials
    are found as before, and no preview holds a password."""
    passwords = [random_password() for _ in range(3)]
    home, plain_home = tmp_path / "home", tmp_path / "plain"
    conf = _write(
        home, ".config/rclone/rclone.conf", _rclone_conf(*map(rclone_obscured, passwords))
    )
    _write(plain_home, ".config/rclone/rclone.conf", _rclone_conf(*passwords))
    located = _scan(home)
    found = [h for h in located if h.hit.rule_id == "rclone.config-password"]
    assert len(found) == 3
    assert _ids(located, "rclone.config-password") == _ids(
        _scan(plain_home), "rclone.config-password"
    )
    lines = conf.read_text().splitlines()
    expected = {n for n, line in enumerate(lines, 1) if line.startswith(("pass =", "password ="))}
    assert {h.location.line for h in found} == expected == {12, 19, 24}
    assert all(h.location.path == str(conf) for h in found)
    assert all(h.hit.severity is Severity.HIGH for h in found)
    rules = {h.hit.rule_id for h in located}
    assert {"aws.access-key-id", "gcp.oauth-refresh-token"} <= rules
    for password in passwords:
        assert all(password[:5] not in h.hit.redacted for h in located)


def test_rclone_config_is_read_the_same_by_the_files_source(tmp_path: Path) -> None:
    password = random_password()
    _write(
        tmp_path,
        "backup/rclone.conf",
        f"[nas]\ntype = sftp\nhost = h\nuser = u\npass = {rclone_obscured(password)}\n",
    )
    located = run(FilesSource([tmp_path]), make_ctx(tmp_path))
    assert [h.hit.rule_id for h in located] == ["rclone.config-password"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"pass = " + base64.urlsafe_b64encode(os.urandom(40)) + b"\n",  # no remote section
        b"[nas]\ntype = sftp\npass = not-obscured-at-all-here\n",  # nothing to reveal
        b"[nas]\ntype = sftp\npass = " + b"A" * 8 + b"\n",  # too short
        b"[nas]\ntype = sftp\n\x00\xff" + os.urandom(64),  # binary
        b"[nas]\ntype = sftp\npass = " + b"A" * 2_000_000 + b"\n",  # huge
    ],
)
def test_rclone_files_that_reveal_nothing_are_read_as_they_are(data: bytes) -> None:
    assert rclone_text(data) is None
    text = unsealed("rclone", data)
    assert text is None or text == data


def test_rclone_reveal_only_returns_printable_text() -> None:
    assert reveal(rclone_obscured("Kq9v%dLw2Rz@(x").encode()) == b"Kq9v%dLw2Rz@(x"
    assert reveal(rclone_obscured("line\nbreak\x00").encode()) is None  # not text: not one
    assert reveal(b"!!!not base64!!!") is None
    assert sealed_format(Path("/x/.config/rclone/rclone.conf")) == "rclone"


def test_rclone_password_written_by_hand_is_found_as_itself(tmp_path: Path) -> None:
    """A password not obscured (rclone.conf edited by hand) whose characters happen to be
    base64's is not replaced by what it would "reveal" (CTR has no check: these 24 characters
    decrypt to two printable ones): the finding is the password itself, on its line."""
    plain = "Hk3vQ9xLm2Pz7Rt5Wn8Yb4Cd"
    data = f"[nas]\ntype = sftp\nuser = bob\npass = {plain}\n"
    _write(tmp_path, ".config/rclone/rclone.conf", data)
    assert rclone_text(data.encode()) is None
    (found,) = [h for h in _scan(tmp_path) if h.hit.rule_id == "rclone.config-password"]
    assert found.location.line == 4
    assert found.hit.redacted == "…" + plain[-4:]


@pytest.mark.parametrize(
    ("remote", "option"),
    [
        ("azureblob", "client_certificate_password"),
        ("netstorage", "secret"),
        ("protondrive", "otp_secret_key"),
        ("fichier", "file_password"),
        ("fichier", "folder_password"),
    ],
)
def test_rclone_other_password_options_are_revealed(remote: str, option: str) -> None:
    """Every option rclone's backends declare IsPassword is stored obscured (rclone source,
    backend/*: IsPassword: true)."""
    password = random_password()
    data = f"[r]\ntype = {remote}\n{option} = {rclone_obscured(password)}\n".encode()
    revealed = rclone_text(data) == f"[r]\ntype = {remote}\n{option} = {password}\n".encode()
    assert revealed  # (compared apart: a failure prints no password)


def test_remmina_saved_password_and_keyring_profile(tmp_path: Path) -> None:
    _write(
        tmp_path,
        ".config/remmina/remmina.pref",
        "[remmina_pref]\nsecret=" + base64.b64encode(os.urandom(32)).decode() + "\n",
    )
    saved = _write(
        tmp_path,
        ".local/share/remmina/1700000000000.remmina",
        "[remmina]\nname=acme\nprotocol=RDP\nserver=rdp.acme.example\nusername=bob\n"
        "password=" + base64.b64encode(os.urandom(16)).decode() + "\ncolordepth=32\n",
    )
    _write(
        tmp_path,
        ".local/share/remmina/1700000000001.remmina",
        "[remmina]\nname=ssh\nprotocol=SSH\nserver=ssh.acme.example\nusername=bob\npassword=.\n",
    )
    found = [h for h in _scan(tmp_path) if h.hit.rule_id == "remmina.saved-password"]
    assert [h.location.path for h in found] == [str(saved)]


def test_cloudflared_tunnel_files(tmp_path: Path) -> None:
    tunnel = str(uuid.uuid4())
    credentials = _write(
        tmp_path,
        f".cloudflared/{tunnel}.json",
        json.dumps(
            {
                "AccountTag": os.urandom(16).hex(),
                "TunnelSecret": base64.b64encode(os.urandom(32)).decode(),
                "TunnelID": tunnel,
            }
        ),
    )
    token = base64.b64encode(
        json.dumps(
            {
                "zoneID": os.urandom(16).hex(),
                "accountID": os.urandom(16).hex(),
                "apiToken": fake(9, 40),
            }
        ).encode()
    ).decode()
    lines = "\n".join(token[i : i + 64] for i in range(0, len(token), 64))
    cert = _write(
        tmp_path,
        ".cloudflared/cert.pem",
        f"-----BEGIN ARGO TUNNEL TOKEN-----\n{lines}\n-----END ARGO TUNNEL TOKEN-----\n",
    )
    by_rule = {h.hit.rule_id: h.location.path for h in _scan(tmp_path)}
    assert by_rule["cloudflare.tunnel-credentials"] == str(credentials)
    assert by_rule["cloudflare.origin-cert-token"] == str(cert)


def test_cli_configs_with_tokens(tmp_path: Path) -> None:
    _write(
        tmp_path,
        ".config/linode-cli",
        f"[DEFAULT]\ndefault-user = bob\n\n[bob]\ntoken = {os.urandom(32).hex()}\n"
        "region = eu-central\n",
    )
    _write(
        tmp_path,
        ".config/.wrangler/config/default.toml",
        f'oauth_token = "{fake(5, 43)}.{fake(6, 43)}"\n'
        'expiration_time = "2024-05-02T10:11:12.123Z"\n'
        f'refresh_token = "{fake(7, 43)}.{fake(8, 43)}"\n',
    )
    _write(
        tmp_path,
        ".config/openvpn/acme.ovpn",
        "client\ndev tun\nremote vpn.acme.example 1194\nauth-user-pass\n"
        f"<auth-user-pass>\nbob\n{random_password()}\n</auth-user-pass>\n",
    )
    _write(
        tmp_path,
        ".m2/settings-security.xml",
        "<settingsSecurity>\n  <master>{"
        + base64.b64encode(os.urandom(32)).decode()
        + "}</master>\n</settingsSecurity>\n",
    )
    found = {(h.hit.rule_id, h.hit.severity) for h in _scan(tmp_path)}
    assert found == {
        ("linode.cli-config-token", Severity.CRITICAL),
        ("cloudflare.wrangler-oauth", Severity.HIGH),
        ("openvpn.inline-auth-user-pass", Severity.HIGH),
        ("maven.settings-security-master", Severity.HIGH),
    }


def test_tool_files_without_a_secret_stay_quiet(tmp_path: Path) -> None:
    """Docker with credential helpers, gh and 1Password CLI with the keyring / app
    integration, a gcloud configuration: nothing to report."""
    _write(
        tmp_path,
        ".docker/config.json",
        json.dumps(
            {
                "auths": {"https://index.docker.io/v1/": {}, "ghcr.io": {}},
                "credsStore": "desktop",
                "credHelpers": {
                    "gcr.io": "gcloud",
                    "1.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login",
                },
            },
            indent="\t",
        ),
    )
    _write(
        tmp_path,
        ".config/gh/hosts.yml",
        "github.com:\n    users:\n        bob:\n    git_protocol: ssh\n    user: bob\n",
    )
    _write(
        tmp_path,
        ".config/op/config",
        json.dumps({"latest_signin": "", "device": fake(10, 26).lower(), "accounts": None}),
    )
    _write(
        tmp_path,
        ".config/gcloud/configurations/config_default",
        "[core]\naccount = bob@acme.example\nproject = acme-prod\n\n"
        "[compute]\nzone = europe-west1-b\n",
    )
    assert _scan(tmp_path) == []


@pytest.mark.parametrize("relative", [".local/share/com.vercel.cli/auth.json", ".vercel/auth.json"])
def test_vercel_cli_tokens_of_any_letters_are_found(tmp_path: Path, relative: str) -> None:
    """The CLI's token is 24 letters and digits; about 1 in 80 has no digit, which the generic
    assignment rule passes over as a word. In the CLI's own file the store rule takes it."""
    rng = random.Random(11)  # noqa: S311  (reproducible test values)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    tokens = ["".join(rng.choices(letters, k=24)) for _ in range(20)]
    tokens += ["".join(rng.choices(letters + "0123456789", k=24)) for _ in range(20)]
    for index, token in enumerate(tokens):
        home = tmp_path / str(index)
        note = "This is your Vercel credentials file. DO NOT SHARE!"
        _write(home, relative, json.dumps({"// Note": note, "token": token}, indent=2))
        assert _ids(_scan(home), "vercel.cli-auth-token"), f"token {index} missed"
