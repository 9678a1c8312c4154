"""GuiSettings round-trips typed values through an INI file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray

from desktop_audit.gui.settings import GuiSettings, ThemeMode
from desktop_audit.models import SourceGroup


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "gui.ini"
    settings = GuiSettings.at(path)
    assert settings.theme is ThemeMode.SYSTEM
    assert settings.last_profile is None
    assert settings.scan_groups == tuple(SourceGroup)
    assert settings.geometry is None
    settings.theme = ThemeMode.DARK
    settings.last_profile = tmp_path / "p.toml"
    settings.scan_groups = (SourceGroup.GIT, SourceGroup.FILES)
    settings.scan_roots = (tmp_path / "a", tmp_path / "b c")
    settings.scan_home = tmp_path
    settings.geometry = QByteArray(b"\x01\x02geometry")
    settings.sync()
    again = GuiSettings.at(path)
    assert again.theme is ThemeMode.DARK
    assert again.last_profile == tmp_path / "p.toml"
    assert again.scan_groups == (SourceGroup.GIT, SourceGroup.FILES)
    assert again.scan_roots == (tmp_path / "a", tmp_path / "b c")
    assert again.scan_home == tmp_path
    assert again.geometry == QByteArray(b"\x01\x02geometry")
    again.scan_groups = ()
    assert GuiSettings.at(path).scan_groups == ()


def test_bad_values_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "gui.ini"
    path.write_text("[view]\ntheme=purple\n[scan]\ngroups=git,bogus\n")
    settings = GuiSettings.at(path)
    assert settings.theme is ThemeMode.SYSTEM
    assert settings.scan_groups == (SourceGroup.GIT,)
