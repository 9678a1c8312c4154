"""desktop-audit: find, revoke and prove the removal of credentials left on a workstation."""

__version__ = "0.1.0"
