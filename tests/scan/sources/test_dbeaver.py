"""DBeaver's saved connection passwords: ``credentials-config.json`` as DBeaver writes it
(AES-128-CBC under the key published in DBeaver's source, the IV first) is read as the JSON it
holds, and each saved password is a finding at the file; the password never reaches a
preview, and a file that does not decrypt is passed over quietly."""

from __future__ import annotations

import os
from pathlib import Path

from desktop_audit.models import Severity
from desktop_audit.scan.sources.dbeaver import dbeaver_credentials
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.sealed import unsealed
from tests.scan.sources.conftest import make_ctx, random_password
from tests.scan.sources.detection import run
from tests.scan.sources.dotfile_home import dbeaver_bytes, dbeaver_encrypted

_PROJECT = Path(".local/share/DBeaverData/workspace6/General/.dbeaver")


def _write(home: Path, data: bytes) -> Path:
    path = home / _PROJECT / "credentials-config.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


def test_saved_connection_and_tunnel_passwords_are_found(tmp_path: Path) -> None:
    database, tunnel = random_password(), random_password()
    document = {
        "postgres-jdbc-18f2a3b4c5d-6e7f": {
            "#connection": {"user": "analytics", "password": database},
            "network/ssh_tunnel": {"user": "deploy", "password": tunnel},
        },
        "sqlite-jdbc-1a2b": {"#connection": {"user": "local"}},
    }
    path = _write(tmp_path, dbeaver_encrypted(document))
    located = run(FilesSource([tmp_path]), make_ctx(tmp_path))
    found = [h for h in located if h.hit.rule_id == "dbeaver.saved-password"]
    assert len({h.hit.finding_id for h in found}) == 2
    assert {h.location.path for h in found} == {str(path / "text")}
    assert all(h.hit.severity is Severity.HIGH for h in found)
    for secret in (database, tunnel):
        assert all(secret not in h.hit.redacted and secret[:6] not in h.hit.redacted for h in found)


def test_a_file_that_does_not_decrypt_is_passed_over(tmp_path: Path) -> None:
    """A master-password protected or damaged file: no finding, no error, the scan goes on."""
    _write(tmp_path, os.urandom(16 * 7))
    other = tmp_path / "notes.env"
    other.write_text(f"STRIPE_KEY=sk_live_{'4eC39HqLyjWDarjtT1zdp7dc'}\n", encoding="utf-8")
    ctx = make_ctx(tmp_path)
    located = run(FilesSource([tmp_path]), ctx)
    assert [h.hit.provider for h in located] == ["stripe"]
    assert ctx.errors == []
    assert ctx.stats["files"].counters.get("skipped_binary", 0) >= 1


def test_decryption_checks_size_padding_and_shape() -> None:
    assert dbeaver_credentials(b"") is None
    assert dbeaver_credentials(os.urandom(40)) is None  # not whole blocks
    assert dbeaver_credentials(dbeaver_encrypted(["a list", "not an object"])) is None
    assert dbeaver_credentials(dbeaver_encrypted({"a": {"#connection": {}}})) == (
        b'{\n "a": {\n  "#connection": {}\n }\n}'
    )
    plain = b'{"pg": {"#connection": {"password": "x"}}}'
    assert unsealed("dbeaver-credentials", plain) == plain  # saved unencrypted: read as it is


def test_the_dotfile_catalogue_reads_it_too(tmp_path: Path) -> None:
    """The dotfiles source claims DBeaver's file before the sweep: it decrypts it the same way."""
    from desktop_audit.scan.sources.dotfiles import DotfilesSource

    password = random_password()
    document = {"mysql8-1a2b": {"#connection": {"user": "root", "password": password}}}
    path = _write(tmp_path, dbeaver_encrypted(document))
    located = run(DotfilesSource(tmp_path), make_ctx(tmp_path))
    assert [(h.hit.rule_id, h.location.path) for h in located] == [
        ("dbeaver.saved-password", str(path))
    ]
    assert password not in located[0].hit.redacted


def test_a_hostile_file_nested_too_deep_stops_nothing(tmp_path: Path) -> None:
    """The key is public, so anyone can write such a file: JSON nested past Python's recursion
    limit is not a credentials file, and the dotfiles catalogued after it are still read."""
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    hostile = _write(tmp_path, dbeaver_bytes(deep))
    assert dbeaver_credentials(hostile.read_bytes()) is None
    netrc = tmp_path / ".netrc"
    netrc.write_text(f"machine api.example.org login bob password {random_password()}\n")
    from desktop_audit.scan.sources.dotfiles import DotfilesSource

    ctx = make_ctx(tmp_path)
    located = run(DotfilesSource(tmp_path), ctx)
    assert {h.location.path for h in located} == {str(netrc)}
    assert not any("stopped" in e.message for e in ctx.errors)
