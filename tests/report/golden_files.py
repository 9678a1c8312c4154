"""Compare with a golden file; DESKTOP_AUDIT_UPDATE_GOLDEN=1 rewrites it."""

from __future__ import annotations

import os
from pathlib import Path

from desktop_audit import __version__

GOLDEN = Path(__file__).parent / "golden"
_VERSION = "{{version}}"


def check_golden(name: str, actual: str) -> None:
    """The tool version is a placeholder in the golden file, so releases don't churn it."""
    path = GOLDEN / name
    normalised = actual.replace(f'"{__version__}"', f'"{_VERSION}"')
    if os.environ.get("DESKTOP_AUDIT_UPDATE_GOLDEN") == "1":
        path.write_text(normalised, encoding="utf-8", newline="")
    with path.open(encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert normalised == expected, f"{name} differs from its golden file"
