"""Credential columns of tables: password-manager exports and spreadsheets saved as CSV."""

from __future__ import annotations

from pathlib import Path

from desktop_audit.scan.sources.decoders import csv_credentials
from desktop_audit.scan.sources.files import FilesSource
from tests.scan.sources.conftest import make_ctx
from tests.scan.sources.detection import run

# Made-up passwords (they open nothing).
EXPORTS = {
    "bitwarden_export_20261130.csv": (
        "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,"
        "login_password,login_totp\n"
        ",,login,Client VPN,,,0,https://vpn.client.example,jdoe,Wq8#vR2m!Xp4Tn,\n"
    ),
    "lastpass_export.csv": (
        "url,username,password,totp,extra,name,grouping,fav\n"
        "https://grafana.client.example,admin,Gr4f@na-Adm1n-2026,,,Grafana,Client,0\n"
    ),
    "Chrome Passwords.csv": (
        "name,url,username,password,note\n"
        "console,https://console.client.example/login,jdoe,Zx9!mQ4vB7nK,\n"
    ),
    "keepass.csv": (
        '"Group","Title","Username","Password","URL","Notes"\n'
        '"Root","Build server","ci-bot","Hk3#pW8sQ1vZ","https://ci.client.example",""\n'
    ),
}


def test_password_manager_exports_are_found_at_their_rows(tmp_path: Path) -> None:
    for name, text in EXPORTS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "sales.csv").write_text("region,total\nnorth,12\n", encoding="utf-8")
    located = run(FilesSource([tmp_path]), make_ctx(tmp_path), with_profile=False)
    found = {(Path(h.location.path or "").name, h.location.line) for h in located}
    assert found == {(name, 2) for name in EXPORTS}
    for hit in located:
        assert hit.hit.rule_id == "generic.password-assignment"
        assert "Wq8#vR2m" not in hit.hit.redacted and "Gr4f@na" not in hit.hit.redacted


def test_only_credential_columns_are_read_with_the_line_of_their_row() -> None:
    data = (
        "\ufeffTitle,Password Hint,Password,API key,client-secret,Notes\n"
        'one,"my dog","p1, with comma","k1",s1,"two\nlines"\n'
        "two,,p2\n"
    ).encode()
    assert list(csv_credentials(data)) == [
        (2, b'password = "p1, with comma"'),
        (2, b'api_key = "k1"'),
        (2, b'client_secret = "s1"'),
        (4, b'password = "p2"'),
    ]


def test_tab_separated_and_quotes_inside_values() -> None:
    data = b'user\tpasswd\njdoe\tsay "hi"\\now\nroot\tit\'s "x"\n'
    assert list(csv_credentials(data)) == [
        (2, b"passwd = 'say \"hi\"\\now'"),
        (3, b'passwd = it\'s "x"'),
    ]


def test_tables_without_credential_columns_give_nothing() -> None:
    assert list(csv_credentials(b"name,password_hint,passwords_changed\nx,y,3\n")) == []
    assert list(csv_credentials(b"")) == []
    assert list(csv_credentials(b"\xff\xfe not, a, table\n")) == []
