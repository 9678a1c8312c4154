"""packaging/render_icons.py: the committed icons match the SVG, and a render that differs only
by rounding leaves them as they are (a build or a test run must not rewrite the tree)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def icons(qapp: object) -> ModuleType:
    """The script as a module (packaging/ is not a package)."""
    del qapp
    spec = importlib.util.spec_from_file_location(
        "render_icons", ROOT / "packaging" / "render_icons.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("render_icons", module)
    spec.loader.exec_module(module)
    return module


def _png(size: int, color: QColor, changed: tuple[int, int, QColor] | None = None) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(color)
    if changed is not None:
        x, y, other = changed
        image.setPixelColor(x, y, other)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")
    return bytes(data.data())


def test_committed_icons_are_up_to_date(icons: ModuleType) -> None:
    """`--check` renders the SVG and finds every committed output current (within rounding)."""
    assert icons.main(["--check"]) == 0


def test_rounding_differences_are_alike(icons: ModuleType) -> None:
    base = QColor(40, 90, 160, 255)
    old = _png(16, base)
    nudged = _png(16, base, (3, 4, QColor(41, 89, 160, 255)))
    assert old != nudged
    assert icons.renders_alike("a.png", old, nudged)


def test_real_changes_are_not_alike(icons: ModuleType) -> None:
    base = QColor(40, 90, 160, 255)
    old = _png(16, base)
    assert not icons.renders_alike("a.png", old, _png(16, base, (3, 4, QColor(200, 90, 160))))
    assert not icons.renders_alike("a.png", old, _png(32, base))
    assert not icons.renders_alike("a.png", b"not a png", old)


def test_ico_and_icns_entries_are_compared_one_by_one(icons: ModuleType) -> None:
    base = QColor(10, 20, 30, 255)
    pngs = {size: _png(size, base) for size in sorted({*icons.ICO_SIZES, *icons.ICNS_TYPES, 1024})}
    ico = icons.build_ico({s: pngs[s] for s in icons.ICO_SIZES})
    icns = icons.build_icns(pngs)
    assert icons.png_streams("x.ico", ico) == [pngs[s] for s in sorted(icons.ICO_SIZES)]
    assert len(icons.png_streams("x.icns", icns)) == len(icons.ICNS_TYPES) + 1

    nudged = dict(pngs)
    nudged[32] = _png(32, base, (0, 0, QColor(11, 20, 30, 255)))
    assert icons.renders_alike(
        "x.ico", ico, icons.build_ico({s: nudged[s] for s in icons.ICO_SIZES})
    )
    assert icons.renders_alike("x.icns", icns, icons.build_icns(nudged))

    changed = dict(pngs)
    changed[32] = _png(32, QColor(250, 20, 30, 255))
    assert not icons.renders_alike("x.icns", icns, icons.build_icns(changed))
    fewer = {s: pngs[s] for s in icons.ICO_SIZES if s != 24}
    assert not icons.renders_alike("x.ico", ico, icons.build_ico(fewer))
