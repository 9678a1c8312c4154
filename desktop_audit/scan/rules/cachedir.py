"""Where what the rules compile to is cached: hyperscan databases, rule shapes, the checked
rule pack. (Its own module: a scan that loads the rules from their cache needs nothing else
of the engines.)"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "DESKTOP_AUDIT_CACHE_DIR"


def cache_dir() -> Path | None:
    """Where compiled databases and rule shapes are cached (None: nowhere)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    try:
        import platformdirs  # noqa: PLC0415

        return Path(platformdirs.user_cache_dir("desktop-audit", appauthor=False)) / "hyperscan"
    except ImportError:
        return None
