"""Ansible vault password files: one line, the password, in a file named for it (no rule can
tell a random line from other text, so the file's name says what it is). Found wherever the
sweep meets one, at line 1; a script that prints the password, an empty file or a longer
text are not such files."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.fragments import guess_format
from tests.scan.sources.conftest import make_ctx, random_password
from tests.scan.sources.detection import run


@pytest.mark.parametrize(
    "name",
    ["vault_pass.txt", ".vault_pass", ".ansible_vault_password", "vault-password.txt"],
)
def test_a_vault_password_file_is_found(tmp_path: Path, name: str) -> None:
    password = random_password(20, "!#")
    path = tmp_path / "work" / "acme-infra" / name
    path.parent.mkdir(parents=True)
    path.write_text(password + "\n", encoding="utf-8")
    located = run(FilesSource([tmp_path]), make_ctx(tmp_path))
    assert [(h.hit.rule_id, h.location.path, h.location.line) for h in located] == [
        ("ansible.vault-password", str(path), 1)
    ]
    assert password not in located[0].hit.redacted


@pytest.mark.parametrize(
    "text",
    [
        "#!/bin/sh\npass show ansible/vault\n",  # a script: the password is elsewhere
        "\n",
        "first line\nsecond line\n",
    ],
)
def test_other_contents_are_not_taken_for_a_password(tmp_path: Path, text: str) -> None:
    (tmp_path / "vault_pass.txt").write_text(text, encoding="utf-8")
    located = run(FilesSource([tmp_path]), make_ctx(tmp_path))
    assert [h for h in located if h.hit.rule_id == "ansible.vault-password"] == []


def test_only_vault_password_names_are_read_so() -> None:
    assert guess_format(Path("vault_pass")) == "ansible-vault-password"
    assert guess_format(Path("passwords.txt")) is None
    assert guess_format(Path("vault.yml")) == "yaml"


def test_the_password_is_read_as_ansible_reads_it(tmp_path: Path) -> None:
    """Ansible strips the line; a password holding both kinds of quote is still found."""
    password = 'it\'s "both" ' + random_password(20, "!#")
    path = tmp_path / ".vault_pass"
    path.write_text(f"  {password}  \n", encoding="utf-8")
    located = run(FilesSource([tmp_path]), make_ctx(tmp_path))
    assert [h.hit.rule_id for h in located] == ["ansible.vault-password"]
    from desktop_audit.scan.sources.decoders import vault_password

    assert list(vault_password(path.read_bytes())) == [
        (1, f"ansible_vault_password = {password}".encode())
    ]
