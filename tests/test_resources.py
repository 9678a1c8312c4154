"""Shipped data is found the same way from a checkout and from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from desktop_audit.resources import resource_path, resources_dir

ROOT = Path(__file__).resolve().parents[1]


def test_checkout_resources_are_found() -> None:
    assert resources_dir() == ROOT / "resources"
    assert resource_path("schema", "scan.schema.json").is_file()
    assert any(resource_path("rules").glob("*.toml"))


@pytest.mark.slow
def test_wheel_ships_resources_inside_the_package(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = tmp_path.glob("desktop_audit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "desktop_audit/resources/schema/scan.schema.json" in names
    assert any(n.startswith("desktop_audit/resources/rules/") for n in names)
    assert "desktop_audit/cli.py" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "desktop-audit = desktop_audit.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "-t", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from desktop_audit.resources import resources_dir; print(resources_dir())"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe, str(target)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert found == str(target / "desktop_audit" / "resources")
