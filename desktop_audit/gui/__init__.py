"""The desktop app (PySide6): views, Qt models and workers over :class:`AuditService`."""
