"""Remediation errors (to be moved into :mod:`desktop_audit.errors`; messages hold no secret)."""

from __future__ import annotations

from desktop_audit.errors import AuditError


class GuideError(AuditError):
    """A guide file or a profile's guide override is invalid."""


class RemediationError(AuditError):
    """A clean-up action cannot be planned, applied or undone; nothing was changed."""


class StaleTargetError(RemediationError):
    """The target changed since the plan or the action; re-plan (or undo is refused)."""


class LivenessError(AuditError):
    """A liveness check cannot run (no check for the provider, secret not found)."""
