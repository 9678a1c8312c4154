"""MySQL's login paths (``~/.mylogin.cnf``, as ``mysql_config_editor set`` writes it): read as
the option lines it holds, so a saved password is a finding at the file; a file that is not
one is passed over quietly, and a plain-text one read as it is."""

from __future__ import annotations

import os
from pathlib import Path

from desktop_audit.scan.sources.dotfiles import DotfilesSource
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.mylogin import mylogin_text
from tests.scan.sources.conftest import make_ctx, random_password
from tests.scan.sources.detection import run
from tests.scan.sources.dotfile_home import mylogin_bytes


def test_a_saved_login_path_password_is_found_by_both_sources(tmp_path: Path) -> None:
    password = random_password(14, "#+")
    lines = ["[client]", 'user = "root"', f'password = "{password}"', 'host = "db.acme.example"']
    path = tmp_path / ".mylogin.cnf"
    path.write_bytes(mylogin_bytes(lines))
    for source in (DotfilesSource(tmp_path), FilesSource([tmp_path])):
        located = run(source, make_ctx(tmp_path))
        assert located, type(source).__name__
        assert {h.location.path for h in located} <= {str(path), str(path / "text")}
        assert all(password not in h.hit.redacted for h in located)
        assert any(h.location.line == 3 for h in located)


def test_decoding_reads_either_byte_order_and_refuses_other_data() -> None:
    lines = ["[backup]", 'user = "dump"', 'password = "Zq7vR2pLx9w3"']
    expected = b'[backup]\nuser = "dump"\npassword = "Zq7vR2pLx9w3"\n'
    assert mylogin_text(mylogin_bytes(lines)) == expected
    assert mylogin_text(mylogin_bytes(lines, big_endian=True)) == expected
    assert mylogin_text(b"") is None
    assert mylogin_text(os.urandom(200)) is None
    assert mylogin_text(b"[client]\nuser=root\npassword=x\n" * 3) is None  # plain text


def test_a_plain_text_file_of_that_name_is_read_as_text(tmp_path: Path) -> None:
    password = random_password(14, "#+")
    (tmp_path / ".mylogin.cnf").write_text(f"[client]\nuser=root\npassword={password}\n")
    located = run(DotfilesSource(tmp_path), make_ctx(tmp_path))
    assert located
    assert all(password not in h.hit.redacted for h in located)
