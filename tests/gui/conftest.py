"""GUI fixtures: real SQLite files in tmp_path, isolated settings, a built main window.

The installation key comes from whatever the test run provides (the private gnome-keyring of
``make test``, or ``DESKTOP_AUDIT_KEY_BACKEND=passphrase`` with a passphrase in the environment).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from desktop_audit.app.service import AuditService
from desktop_audit.gui.main import build_window
from desktop_audit.gui.main_window import MainWindow
from desktop_audit.gui.settings import GuiSettings
from desktop_audit.models import FindingKind, ScanStatus, Severity, SourceGroup, SourceKind
from desktop_audit.store import Store
from tests.factories import located, make_hit

SEVERITIES = tuple(Severity)
PROVIDERS = ("github", "aws", "slack", "stripe", "gitlab")
SOURCES = (SourceKind.FILE, SourceKind.DOTFILE, SourceKind.GIT_HISTORY, SourceKind.SHELL_HISTORY)
CONTEXT_TEXT = "GITHUB_TOKEN=ghp_…0042  # redacted context line"


def populate(db: Path, count: int, home: Path = Path("/home/contractor")) -> list[str]:
    """Record ``count`` synthetic findings through ``Store.record_hits``; returns their ids.

    Finding ``n`` has severity ``SEVERITIES[n % 5]``, provider ``PROVIDERS[n % 5 ... ]`` and
    source ``SOURCES[n % 4]``; its one location is ``<home>/project-<n % 50>/file-<n>.txt``.
    """
    service = AuditService(db_path=db)
    context = service.secrecy.encrypt(CONTEXT_TEXT.encode())
    service.close()
    ids: list[str] = []
    with Store.open(db) as store:
        scan_id = store.begin_scan(
            home=home,
            roots=(home,),
            groups=tuple(SourceGroup),
            profile_sha256=None,
            ruleset_digest="test",
            tool_version="test",
        )
        batch = []
        for n in range(count):
            provider = PROVIDERS[(n // 5) % len(PROVIDERS)]
            hit = make_hit(
                n,
                severity=SEVERITIES[n % len(SEVERITIES)],
                provider=provider,
                rule_id=f"{provider}.token",
                kind=FindingKind.ENDPOINT if n % 10 == 9 else FindingKind.CREDENTIAL,
            )
            hit = replace(hit, context=context, title=f"{provider.title()} token {n:06d}")
            source = SOURCES[n % len(SOURCES)]
            batch.append(
                located(hit, f"{home}/project-{n % 50}/file-{n}.txt", source=source, line=n + 1)
            )
            ids.append(hit.finding_id)
            if len(batch) >= 5000:
                store.record_hits(scan_id, home, batch)
                batch = []
        if batch:
            store.record_hits(scan_id, home, batch)
        store.finish_scan(scan_id, ScanStatus.COMPLETE, {"files": {"files": count}}, [])
    return ids


@pytest.fixture
def settings(tmp_path: Path) -> GuiSettings:
    return GuiSettings.at(tmp_path / "settings" / "gui.ini")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def small_db(db_path: Path) -> Path:
    populate(db_path, 40)
    return db_path


@pytest.fixture
def make_window(qtbot, settings: GuiSettings) -> Iterator[Callable[..., MainWindow]]:
    """A factory: ``make_window(db, profile=None)`` -> a shown MainWindow (closed afterwards)."""
    windows: list[MainWindow] = []
    pool = QThreadPool()

    def factory(db: Path, profile: Path | None = None) -> MainWindow:
        window = build_window(db, profile, settings, pool)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        with qtbot.waitExposed(window):
            window.show()
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.scan.cancel_scan()
    pool.waitForDone(10_000)
    for window in windows:
        window.context.service.close()


PROFILE_TOML = """\
[engagement]
client = "Example Labs"
contract_id = "EX-2026-17"
security_contact = "security@example.com"

[endpoints]
domains = ["example-labs.example"]

[checklist]
items = [{ id = "ex-vpn", text = "Example Labs VPN profile removed" }]
"""


@pytest.fixture
def profile_path(tmp_path: Path) -> Path:
    path = tmp_path / "engagement.toml"
    path.write_text(PROFILE_TOML, encoding="utf-8")
    return path
