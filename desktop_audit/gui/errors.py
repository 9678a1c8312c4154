"""Errors as people read them: banners for expected problems, a dialog and a crash log for bugs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_audit.app.paths import log_dir
from desktop_audit.crashlog import write_crash_log
from desktop_audit.errors import (
    AuditError,
    GuideError,
    KeyUnavailableError,
    LivenessError,
    ProfileError,
    RemediationError,
    StaleTargetError,
    StoreError,
    UsageError,
    WrongKeyError,
)

_NEXT_STEP: tuple[tuple[type[AuditError], str], ...] = (
    (KeyUnavailableError, "Unlock your keyring or set a passphrase, then try again."),
    (WrongKeyError, "Open the app with the keyring or passphrase this database was made with."),
    (ProfileError, "Ask IT for a corrected profile, or fix the named line and load it again."),
    (StoreError, "Check the database file and that no other copy of the app is writing to it."),
    (UsageError, "Change the setting named above and try again."),
    (
        StaleTargetError,
        "Nothing was changed. Run a new scan (Scan page) so the preview matches the file,"
        " then clean up again.",
    ),
    (
        RemediationError,
        "Nothing else was changed. Fix what the message names (unlock the keychain, commit or"
        " stash your work, close the file) and try again, or follow the guide by hand.",
    ),
    (LivenessError, "The check was not made. Revoke the credential at the provider anyway."),
    (GuideError, "Ask IT for a corrected profile; the built-in guide is shown meanwhile."),
)


def user_message(exc: AuditError) -> str:
    """The error's own one-line message plus what to do next."""
    for kind, step in _NEXT_STEP:
        if isinstance(exc, kind):
            return f"{exc} — {step}"
    return str(exc)


def report_crash(exc: BaseException, parent: QWidget | None, directory: Path | None = None) -> Path:
    """Write a secret-free crash log and tell the user where it is; never show a traceback."""
    path = write_crash_log(exc, directory or log_dir())
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Something went wrong")
    box.setText("desktop-audit hit an unexpected problem. Your data is safe.")
    box.setInformativeText(
        "What was found so far is kept in the local database. You can carry on; if it happens"
        f" again, send this log (it contains no secrets) to the tool's maintainers:\n{path}"
    )
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.open()
    return path


ShowError = Callable[[BaseException], None]


def install_excepthook(show: ShowError) -> Callable[[], None]:
    """Route uncaught exceptions to ``show``; returns a function restoring the old hook."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, exc, tb)
            return
        show(exc)

    sys.excepthook = hook

    def restore() -> None:
        sys.excepthook = previous

    return restore
