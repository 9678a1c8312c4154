"""Remediation: revocation guides (data) and local clean-up with backup and undo."""
