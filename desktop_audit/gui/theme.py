"""Light and dark palettes, the app style sheet, and the severity/status colours."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop_audit.gui.settings import ThemeMode
from desktop_audit.models import Severity, Status

SEVERITY_COLOURS: dict[Severity, str] = {
    Severity.CRITICAL: "#c42b3c",
    Severity.HIGH: "#dc6a26",
    Severity.MEDIUM: "#c79a0a",
    Severity.LOW: "#3a7fc4",
    Severity.INFO: "#7a8697",
}

STATUS_COLOURS: dict[Status, str] = {
    Status.OPEN: "#c42b3c",
    Status.REVOKED: "#3a7fc4",
    Status.REMOVED: "#2f8a57",
    Status.FALSE_POSITIVE: "#7a8697",
    Status.ACCEPTED: "#8a6bb8",
}

STATUS_LABELS: dict[Status, str] = {
    Status.OPEN: "Open",
    Status.REVOKED: "Revoked",
    Status.REMOVED: "Removed",
    Status.FALSE_POSITIVE: "False positive",
    Status.ACCEPTED: "Accepted",
}


@dataclass(frozen=True, slots=True)
class Colours:
    """One palette's named colours (used by the style sheet and painted widgets)."""

    dark: bool
    window: str
    surface: str
    surface_alt: str
    border: str
    text: str
    muted: str
    accent: str
    accent_text: str
    sidebar: str
    sidebar_text: str
    sidebar_selected: str
    selection: str


LIGHT = Colours(
    dark=False,
    window="#f3f5f8",
    surface="#ffffff",
    surface_alt="#f7f9fb",
    border="#dfe4ea",
    text="#1c2633",
    muted="#5e6b7b",
    accent="#2563a8",
    accent_text="#ffffff",
    sidebar="#1b2838",
    sidebar_text="#c9d3e3",
    sidebar_selected="#2d4260",
    selection="#dbe8f7",
)

DARK = Colours(
    dark=True,
    window="#15191f",
    surface="#1e242c",
    surface_alt="#232a33",
    border="#313b47",
    text="#e4e9ef",
    muted="#98a4b3",
    accent="#5b9ee0",
    accent_text="#0e1620",
    sidebar="#0f1318",
    sidebar_text="#c9d3e3",
    sidebar_selected="#23344b",
    selection="#2a3f5a",
)


def system_prefers_dark() -> bool:
    """True when the desktop asks for a dark colour scheme."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def colours_for(mode: ThemeMode) -> Colours:
    if mode is ThemeMode.DARK:
        return DARK
    if mode is ThemeMode.LIGHT:
        return LIGHT
    return DARK if system_prefers_dark() else LIGHT


def _palette(c: Colours) -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    for r, value in (
        (role.Window, c.window),
        (role.WindowText, c.text),
        (role.Base, c.surface),
        (role.AlternateBase, c.surface_alt),
        (role.Text, c.text),
        (role.Button, c.surface),
        (role.ButtonText, c.text),
        (role.ToolTipBase, c.surface),
        (role.ToolTipText, c.text),
        (role.PlaceholderText, c.muted),
        (role.Highlight, c.accent),
        (role.HighlightedText, c.accent_text),
        (role.Link, c.accent),
        (role.Mid, c.border),
    ):
        palette.setColor(r, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.Text, role.ButtonText, role.WindowText):
        palette.setColor(disabled, r, QColor(c.muted))
    return palette


def style_sheet(c: Colours) -> str:
    """The app's style sheet: typography, cards, sidebar, buttons, banners."""
    return f"""
QWidget {{ font-size: 10pt; }}
QMainWindow, QStackedWidget > QWidget#Page {{ background: {c.window}; }}
QLabel#PageTitle {{ font-size: 19pt; font-weight: 600; color: {c.text}; }}
QLabel#PageSubtitle, QLabel#Muted {{ color: {c.muted}; }}
QLabel#SectionTitle {{ font-size: 12pt; font-weight: 600; color: {c.text}; }}
QLabel#BigNumber {{ font-size: 24pt; font-weight: 600; color: {c.text}; }}
QLabel#Strong {{ font-size: 11pt; font-weight: 600; color: {c.text}; }}
QLabel#Subhead {{ font-weight: 600; color: {c.muted}; margin-top: 4px; }}
QLabel#Problem {{ color: {"#f08a95" if c.dark else "#b4232f"}; }}
QLabel#Quote {{
    background: {c.surface_alt}; border-left: 3px solid {c.accent}; padding: 8px 12px;
    color: {c.text};
}}
QLabel#Fingerprint {{
    background: {c.surface_alt}; border: 1px solid {c.border}; border-radius: 6px;
    padding: 6px 10px; color: {c.text};
}}
QPlainTextEdit#Code {{ background: {c.surface_alt}; }}
QFrame#Rule {{ color: {c.border}; background: {c.border}; max-height: 1px; border: none; }}
QLabel#Action {{ font-size: 13pt; font-weight: 600; color: {c.text}; }}
QFrame#Card {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 10px; }}
QFrame#Card QLabel {{ background: transparent; }}
QListWidget#Sidebar {{
    background: {c.sidebar}; color: {c.sidebar_text}; border: none; outline: 0;
    padding: 8px 6px; font-size: 11pt;
}}
QListWidget#Sidebar::item {{ padding: 10px 10px; border-radius: 8px; margin: 2px 4px; }}
QListWidget#Sidebar::item:selected {{ background: {c.sidebar_selected}; color: #ffffff; }}
QListWidget#Sidebar::item:hover:!selected {{ background: rgba(255, 255, 255, 0.06); }}
QWidget#SidebarPanel {{ background: {c.sidebar}; }}
QLabel#Brand {{ color: #ffffff; font-size: 13pt; font-weight: 600; }}
QLabel#BrandSub {{ color: {c.sidebar_text}; font-size: 9pt; }}
QPushButton {{
    background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    border-radius: 6px; padding: 6px 14px; min-height: 20px;
}}
QPushButton:hover {{ border-color: {c.accent}; }}
QPushButton:focus {{ border: 2px solid {c.accent}; }}
QPushButton:disabled {{ color: {c.muted}; background: {c.surface_alt}; }}
QPushButton#Primary {{
    background: {c.accent}; color: {c.accent_text}; border: 1px solid {c.accent};
    font-weight: 600;
}}
QPushButton#Primary:disabled {{
    background: {c.border}; border-color: {c.border}; color: {c.muted};
}}
QLineEdit, QComboBox, QPlainTextEdit, QTextEdit {{
    background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    border-radius: 6px; padding: 5px 8px; selection-background-color: {c.accent};
}}
QLineEdit:focus, QComboBox:focus, QPlainTextEdit:focus {{ border: 2px solid {c.accent}; }}
QTableView, QListWidget#Plain, QTreeWidget {{
    background: {c.surface}; alternate-background-color: {c.surface_alt};
    border: 1px solid {c.border}; border-radius: 8px; gridline-color: {c.border};
    selection-background-color: {c.selection}; selection-color: {c.text};
}}
QHeaderView::section {{
    background: {c.surface_alt}; color: {c.muted}; border: none;
    border-bottom: 1px solid {c.border}; padding: 6px 8px; font-weight: 600;
}}
QProgressBar {{
    background: {c.surface_alt}; border: 1px solid {c.border}; border-radius: 5px;
    height: 10px; text-align: center; color: transparent;
}}
QProgressBar::chunk {{ background: {c.accent}; border-radius: 4px; }}
QFrame#Banner {{ border-radius: 8px; padding: 4px; }}
QFrame#Banner[kind="error"] {{ background: {"#3b1d22" if c.dark else "#fdecee"};
    border: 1px solid {"#7a2f39" if c.dark else "#f2b8bf"}; }}
QFrame#Banner[kind="info"] {{ background: {"#1d2b3b" if c.dark else "#e8f1fb"};
    border: 1px solid {"#2f4c6e" if c.dark else "#b9d3ef"}; }}
QFrame#Banner QLabel {{ background: transparent; color: {c.text}; }}
QFrame#DropZone {{
    border: 2px dashed {c.border}; border-radius: 10px; background: {c.surface_alt};
}}
QCheckBox {{ spacing: 8px; }}
QSplitter::handle {{ background: {c.window}; }}
QScrollArea {{ background: transparent; border: none; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
"""


def apply_theme(app: QApplication, mode: ThemeMode) -> Colours:
    """Apply the palette and style sheet for ``mode``; returns the colours in use."""
    colours = colours_for(mode)
    app.setStyle("Fusion")
    app.setPalette(_palette(colours))
    app.setStyleSheet(style_sheet(colours))
    return colours
