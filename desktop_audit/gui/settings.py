"""Typed access to the app's remembered settings (QSettings underneath)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from desktop_audit.models import SourceGroup

ORGANISATION = "desktop-audit"
APPLICATION = "desktop-audit"


class ThemeMode(StrEnum):
    """Which palette to use; ``system`` follows the desktop's light/dark setting."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


class GuiSettings:
    """Window geometry, last profile, theme and scan scope, each with a typed property."""

    def __init__(self, store: QSettings) -> None:
        self._store = store

    @classmethod
    def default(cls) -> GuiSettings:
        """The user's settings (native location for this platform)."""
        return cls(QSettings(ORGANISATION, APPLICATION))

    @classmethod
    def at(cls, path: Path) -> GuiSettings:
        """Settings kept in one INI file (tests, portable use)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    def _text(self, key: str) -> str:
        value = self._store.value(key, "")
        if isinstance(value, list):  # an INI value with commas reads back as a list
            return ",".join(str(v) for v in value)
        return value if isinstance(value, str) else ""

    @property
    def geometry(self) -> QByteArray | None:
        value = self._store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._store.setValue("window/geometry", value)

    @property
    def last_profile(self) -> Path | None:
        text = self._text("profile/last")
        return Path(text) if text else None

    @last_profile.setter
    def last_profile(self, value: Path | None) -> None:
        self._store.setValue("profile/last", str(value) if value else "")

    @property
    def theme(self) -> ThemeMode:
        try:
            return ThemeMode(self._text("view/theme") or ThemeMode.SYSTEM)
        except ValueError:
            return ThemeMode.SYSTEM

    @theme.setter
    def theme(self, value: ThemeMode) -> None:
        self._store.setValue("view/theme", str(value))

    @property
    def scan_groups(self) -> tuple[SourceGroup, ...]:
        text = self._text("scan/groups")
        if not text:
            return tuple(SourceGroup)
        known = {g.value for g in SourceGroup}
        return tuple(SourceGroup(g) for g in text.split(",") if g in known)

    @scan_groups.setter
    def scan_groups(self, value: tuple[SourceGroup, ...]) -> None:
        # An empty scope is stored as "none" so it is not mistaken for "never set".
        self._store.setValue("scan/groups", ",".join(str(g) for g in value) or "none")

    @property
    def scan_home(self) -> Path | None:
        text = self._text("scan/home")
        return Path(text) if text else None

    @scan_home.setter
    def scan_home(self, value: Path | None) -> None:
        self._store.setValue("scan/home", str(value) if value else "")

    @property
    def scan_roots(self) -> tuple[Path, ...]:
        text = self._text("scan/roots")
        return tuple(Path(p) for p in text.split("\n") if p)

    @scan_roots.setter
    def scan_roots(self, value: tuple[Path, ...]) -> None:
        self._store.setValue("scan/roots", "\n".join(str(p) for p in value))

    def sync(self) -> None:
        self._store.sync()
