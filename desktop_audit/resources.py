"""Find the shipped data (rules, guides, icons, schemas) the same way everywhere.

Order: a frozen bundle (PyInstaller's ``sys._MEIPASS``), an installed wheel (``resources``
inside the package), a source checkout (``resources`` beside the package).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    """The directory holding ``rules/``, ``guides/``, ``icons/`` and ``schema/``."""
    candidates: list[Path] = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.append(Path(frozen_root) / "desktop_audit" / "resources")
        candidates.append(Path(frozen_root) / "resources")
    package_dir = Path(__file__).resolve().parent
    candidates.append(package_dir / "resources")
    candidates.append(package_dir.parent / "resources")
    for candidate in candidates:
        if (candidate / "rules").is_dir():
            return candidate
    raise FileNotFoundError(
        "desktop-audit resources not found (looked in: "
        + ", ".join(str(c) for c in candidates)
        + ")"
    )


def resource_path(*parts: str) -> Path:
    """A path under the resources directory."""
    return resources_dir().joinpath(*parts)
