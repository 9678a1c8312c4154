"""Typed query values for the front ends: filter, sort and list rows of the findings table.

The GUI imports these from the application layer (DESIGN.md: front ends talk to ``app/``
only); they are defined next to the SQL in :mod:`desktop_audit.store.queries`.
"""

from __future__ import annotations

from desktop_audit.store.queries import FindingFilter, FindingRow, FindingSort

__all__ = ["FindingFilter", "FindingRow", "FindingSort"]
