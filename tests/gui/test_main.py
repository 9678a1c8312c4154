"""``desktop-audit gui --screenshot``: a 1280x800 PNG of a page with the database's data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop_audit.gui.main import run_gui
from desktop_audit.gui.settings import GuiSettings


@pytest.mark.parametrize("page", ["overview", "findings", "scan", "checklist", "report"])
def test_run_gui_screenshot_every_page(
    qapp: object, small_db: Path, tmp_path: Path, settings: GuiSettings, page: str
) -> None:
    out = tmp_path / f"{page}.png"
    assert run_gui(db=small_db, profile=None, page=page, screenshot=out, settings=settings) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)


def test_cli_screenshot_subprocess(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_audit",
            "gui",
            "--db",
            str(small_db),
            "--page",
            "findings",
            "--screenshot",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    assert "Traceback" not in result.stderr
