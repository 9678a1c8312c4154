"""The data directory is private and the database path can be overridden."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from desktop_audit.app import paths


def test_data_dir_is_created_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(paths.DB_ENV, raising=False)
    directory = paths.data_dir()
    assert directory == tmp_path / "xdg" / "desktop-audit"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert paths.default_db_path() == directory / "audit.db"


def test_db_env_overrides_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.DB_ENV, str(tmp_path / "elsewhere.db"))
    assert paths.default_db_path() == tmp_path / "elsewhere.db"
