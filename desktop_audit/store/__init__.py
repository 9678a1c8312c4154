"""The local store: the only package that speaks SQL (sqlite-utils)."""

from desktop_audit.store.db import Store

__all__ = ["Store"]
