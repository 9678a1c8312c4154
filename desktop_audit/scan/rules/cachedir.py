"""Where what the rules compile to is cached: hyperscan databases, rule shapes, the checked
rule pack; and how a cache file is written. (Its own module: a scan that loads the rules from
their cache needs nothing else of the engines.)"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "DESKTOP_AUDIT_CACHE_DIR"


def write_cache_file(path: Path, data: bytes) -> None:
    """Write ``path`` at once (a temporary file renamed over it) in a private directory;
    failing only costs the cache (the next start works it out again)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        pass


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
