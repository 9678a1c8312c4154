"""Sources: every place a credential lingers. Each yields :class:`~desktop_audit.models.Fragment`."""
