"""The Linux bundle: built with PyInstaller from packaging/, then run like a user would.

The bundle has no Python of its own to fall back on, so each run proves the spec: data files
(rules, guides, schema, icons) found through ``sys._MEIPASS``, the lazily imported modules
(regex engines, cryptography, keyring backends) collected, and the Qt plugins for offscreen
rendering and SVG icons present.

With ``DESKTOP_AUDIT_REQUIRE_KEYRING=1`` (``make test``: a private D-Bus session with an unlocked
gnome-keyring, whose address the bundle inherits) the bundle must reach the real Secret Service
through keyring -> secretstorage -> jeepney; otherwise it uses a passphrase-derived key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest
from fpdf import FPDF

import desktop_audit
from desktop_audit.resources import resource_path
from tests.planted import build_home

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "packaging" / "build_linux.sh"
APP_ID = "io.github.desktop_audit.DesktopAudit"
REQUIRE_KEYRING = os.environ.get("DESKTOP_AUDIT_REQUIRE_KEYRING") == "1"
PASSPHRASE = "bundle-test-passphrase"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_version_has_one_source() -> None:
    """pyproject takes the version from __init__.py; the installed CLI prints that version."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "desktop_audit/__init__.py"
    source = (ROOT / "desktop_audit" / "__init__.py").read_text()
    assert re.findall(r'^__version__ = "([^"]+)"$', source, re.M) == [desktop_audit.__version__]
    assert metadata.version("desktop-audit") == desktop_audit.__version__

    script = Path(sys.executable).with_name("desktop-audit")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "desktop_audit"]
    result = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"desktop-audit {desktop_audit.__version__}"


def test_desktop_integration_files_are_consistent() -> None:
    """The .desktop file, the AppStream metainfo and the icons name the same application."""
    desktop = resource_path("desktop", f"{APP_ID}.desktop").read_text()
    assert f"Icon={APP_ID}\n" in desktop
    assert "Exec=desktop-audit gui\n" in desktop
    metainfo = resource_path("desktop", f"{APP_ID}.metainfo.xml").read_text()
    assert f"<id>{APP_ID}</id>" in metainfo
    assert f'<launchable type="desktop-id">{APP_ID}.desktop</launchable>' in metainfo
    assert f'<release version="{desktop_audit.__version__}"' in metainfo
    for size in (16, 32, 48, 64, 128, 256, 512):
        png = resource_path("icons", "hicolor", f"{size}x{size}", "apps", f"{APP_ID}.png")
        assert png_size(png) == (size, size)

    validators = {
        "desktop-file-validate": [f"{APP_ID}.desktop"],
        "appstreamcli": ["validate", "--no-net", f"{APP_ID}.metainfo.xml"],
    }
    for tool, args in validators.items():
        if shutil.which(tool) is None:
            continue  # validators are optional (apt: desktop-file-utils, appstream)
        result = subprocess.run(
            [tool, *args],
            cwd=resource_path("desktop"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{tool}: {result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the one-folder bundle once for this module (PyInstaller, about 1-2 minutes)."""
    pytest.importorskip("PyInstaller", reason="install the packaging extra: .[packaging]")
    out = tmp_path_factory.mktemp("bundle")
    env = {**os.environ, "PYTHON": sys.executable, "QT_QPA_PLATFORM": "offscreen"}
    command = ["bash", str(BUILD_SCRIPT), "--dist", str(out / "dist"), "--work", str(out / "work")]
    result = subprocess.run(
        [*command, "--no-tar"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    exe = out / "dist" / "desktop-audit" / "desktop-audit"
    assert exe.is_file()
    return exe


@pytest.fixture
def bundle_env(tmp_path: Path) -> dict[str, str]:
    """The user's environment minus Python's, with private XDG dirs and Qt offscreen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    for name in ("DATA", "CONFIG", "CACHE", "STATE"):
        if not (REQUIRE_KEYRING and name == "DATA"):  # gnome-keyring keeps its own XDG dirs
            env[f"XDG_{name}_HOME"] = str(tmp_path / "xdg" / name.lower())
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("DESKTOP_AUDIT_DB", None)
    if REQUIRE_KEYRING:
        assert env.get("DBUS_SESSION_BUS_ADDRESS"), "DESKTOP_AUDIT_REQUIRE_KEYRING needs D-Bus"
        env.pop("DESKTOP_AUDIT_PASSPHRASE", None)
        env["DESKTOP_AUDIT_KEY_BACKEND"] = "keyring"
    else:
        env["DESKTOP_AUDIT_KEY_BACKEND"] = "passphrase"
        env["DESKTOP_AUDIT_PASSPHRASE"] = PASSPHRASE
    return env


def run(exe: Path, *args: str, env: dict[str, str], cwd: Path, timeout: float = 600) -> str:
    result = subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,  # no tty: a missing keyring cannot fall back to a prompt
        timeout=timeout,
        check=False,
    )
    assert result.returncode in (0, 1), f"{args}: rc {result.returncode}: {result.stderr}"
    assert "passphrase-derived key" not in result.stderr or not REQUIRE_KEYRING, result.stderr
    return result.stdout


@pytest.mark.slow
def test_bundle_runs_version_scan_and_gui(
    bundle: Path, bundle_env: dict[str, str], tmp_path: Path
) -> None:
    out = run(bundle, "--version", env=bundle_env, cwd=tmp_path, timeout=60)
    assert out.strip() == f"desktop-audit {desktop_audit.__version__}"

    planted = build_home(tmp_path)
    handover = FPDF()  # a PDF: its text comes from PDFium, a native library the bundle carries
    handover.set_font("Helvetica", size=11)
    handover.add_page()
    handover.cell(0, 8, "CI token " + "ghp_" + "Qm4Zt8Lw2Xv6Np1Kb9Rc3Hy7Jd5Sf0Ga4EuX")
    handover.output(str(planted.home / "Handover.pdf"))
    db = tmp_path / "audit.db"
    scan_args = ["scan", "--home", str(planted.home), "--root", str(planted.home)]
    scan_args += ["--db", str(db), "--format", "json", "--no-progress"]
    if not REQUIRE_KEYRING:
        scan_args.append("--no-keychain")
    text = run(bundle, *scan_args, env=bundle_env, cwd=tmp_path)
    doc = json.loads(text)
    schema = json.loads(resource_path("schema", "scan.schema.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    assert doc["tool"]["version"] == desktop_audit.__version__
    assert doc["scan"]["status"] == "complete"
    rules = {finding["rule_id"] for finding in doc["findings"]}
    assert {"github.pat", "stripe.secret-key", "privatekey.pem"} <= rules, rules
    places = [loc["path"] for f in doc["findings"] for loc in f["locations"]]
    assert any(p.endswith("Handover.pdf/page 1") for p in places), places
    for value in planted.all_values():
        assert value not in text
    if REQUIRE_KEYRING:
        # the keychain source ran and the installation key lives in the Secret Service
        assert "keychain" in doc["scan"]["sources"]
        assert not [e for e in doc["scan"]["errors"] if "keychain" in json.dumps(e).lower()]
        import secretstorage

        connection = secretstorage.dbus_init()
        try:
            collection = secretstorage.get_default_collection(connection)
            items = list(collection.search_items({"service": "desktop-audit"}))
            assert items, "the bundle did not store its key in the Secret Service"
        finally:
            connection.close()

    shot = tmp_path / "shot.png"
    gui_args = ["gui", "--db", str(db), "--page", "overview", "--screenshot", str(shot)]
    run(bundle, *gui_args, env=bundle_env, cwd=tmp_path, timeout=120)
    assert png_size(shot) == (1280, 800)

    share = bundle.parent / "share"
    assert (share / "applications" / f"{APP_ID}.desktop").is_file()
    assert (share / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png").is_file()
