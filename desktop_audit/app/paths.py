"""Where desktop-audit keeps its data (platformdirs), created private (0700)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "desktop-audit"
DB_ENV = "DESKTOP_AUDIT_DB"


def data_dir() -> Path:
    """The per-user data directory, created with mode 0700."""
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def default_db_path() -> Path:
    """``$DESKTOP_AUDIT_DB`` or ``<data dir>/audit.db``."""
    override = os.environ.get(DB_ENV)
    return Path(override).expanduser() if override else data_dir() / "audit.db"


def log_dir() -> Path:
    """Where crash logs go (secret-free), created with mode 0700."""
    path = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
