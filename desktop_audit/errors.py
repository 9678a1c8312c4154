"""The one exceptions module. Messages never contain a secret value."""

from __future__ import annotations


class AuditError(Exception):
    """Base class of every expected error; its message is shown to the user as one line."""


class UsageError(AuditError):
    """The user asked for something impossible (bad flag, missing path)."""


class StoreError(AuditError):
    """The database cannot be opened or used."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer desktop-audit; it is never altered."""


class NotADatabaseError(StoreError):
    """The file is not a desktop-audit database (corrupt or foreign)."""


class KeyUnavailableError(AuditError):
    """No installation key: no keyring backend and no passphrase."""


class WrongKeyError(AuditError):
    """The installation key does not match the one the database was created with."""


class RuleError(AuditError):
    """A rule file is invalid (syntax, regex, examples)."""


class ProfileError(AuditError):
    """An engagement profile is invalid; the message names file, line and field."""


class SourceError(AuditError):
    """One source could not read one item; the scan goes on."""


class DetectionWorkerError(AuditError):
    """A detection worker process died (killed, out of memory); its source stops early."""


class ScanCancelledError(AuditError):
    """The scan was cancelled by the user."""


class GuideError(AuditError):
    """A guide file or a profile's guide override is invalid."""


class RemediationError(AuditError):
    """A clean-up action cannot be planned, applied or undone; nothing was changed."""


class StaleTargetError(RemediationError):
    """The target changed since the plan or the action; re-plan (or undo is refused)."""


class LivenessError(AuditError):
    """A liveness check cannot run (no check for the provider, secret not found)."""
