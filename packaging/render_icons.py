"""Render the application icon (resources/icons/app.svg) into every size the platforms want.

Outputs (all derived from the one SVG, so the SVG is the only source to edit):

- ``resources/icons/hicolor/<n>x<n>/apps/<APP_ID>.png`` for n in 16..512 (freedesktop icon theme,
  used by the .desktop file and AppStream metainfo) and ``hicolor/scalable/apps/<APP_ID>.svg``;
- ``packaging/icons/desktop-audit.ico`` (Windows: one .ico with PNG-compressed entries);
- ``packaging/icons/desktop-audit.icns`` (macOS: PNG-compressed ``ic07``..``ic10`` and ``icp4``..
  ``icp6`` entries), so neither platform build needs Pillow.

Run: ``.venv/bin/python packaging/render_icons.py`` (Qt offscreen; the build script runs it).
``--check`` exits 1 when a committed output differs from what the SVG renders to. An output
that differs only by rounding (each colour channel of each pixel within
:data:`PIXEL_TOLERANCE`: another Qt build or CPU anti-aliases the edges a step differently) is
up to date and left as it is, so a build does not rewrite the committed icons.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

APP_ID = "io.github.desktop_audit.DesktopAudit"
ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "app.svg"
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
PLATFORM_ICONS = ROOT / "packaging" / "icons"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# macOS icns element types holding PNG data, by pixel size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}
ICNS_TYPES_2X = {1024: b"ic10"}
PIXEL_TOLERANCE = 2  # per colour channel (0-255): rounding, not a change of the drawing


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    """The SVG drawn into a transparent ``size`` x ``size`` square, as PNG bytes."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError(f"cannot encode a {size}px PNG")
    buffer.close()
    return bytes(data.data())


def build_ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico whose entries are PNG streams (supported since Windows Vista)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries = b""
    payload = b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        payload += data
    return header + entries + payload


def build_icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns made of PNG-compressed elements."""
    body = b""
    for size, kind in (*ICNS_TYPES.items(), *ICNS_TYPES_2X.items()):
        data = pngs[size]
        body += kind + struct.pack(">I", 8 + len(data)) + data
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def png_streams(name: str, data: bytes) -> list[bytes]:
    """The PNG images inside an output: the file itself, or the entries of a .ico or .icns
    as :func:`build_ico` and :func:`build_icns` lay them out ([] for anything else)."""
    if name.endswith(".png"):
        return [data]
    if name.endswith(".ico") and len(data) >= 6:
        count = struct.unpack_from("<H", data, 4)[0]
        streams = []
        for index in range(count):
            length, offset = struct.unpack_from("<II", data, 6 + 16 * index + 8)
            streams.append(data[offset : offset + length])
        return streams
    if name.endswith(".icns") and data[:4] == b"icns":
        streams, at = [], 8
        while at + 8 <= len(data):
            length = struct.unpack_from(">I", data, at + 4)[0]
            if length < 8:
                return []
            streams.append(data[at + 8 : at + length])
            at += length
        return streams
    return []


def _pixels(png: bytes) -> tuple[int, int, bytes] | None:
    image = QImage.fromData(png, "PNG")
    if image.isNull():
        return None
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    return image.width(), image.height(), bytes(image.constBits())


def renders_alike(name: str, old: bytes, new: bytes) -> bool:
    """Whether ``old`` and ``new`` (the same output's bytes) hold images of the same sizes
    whose pixels differ by at most :data:`PIXEL_TOLERANCE` in every channel."""
    old_streams, new_streams = png_streams(name, old), png_streams(name, new)
    if not new_streams or len(old_streams) != len(new_streams):
        return False
    for old_png, new_png in zip(old_streams, new_streams, strict=True):
        if old_png == new_png:
            continue
        before, after = _pixels(old_png), _pixels(new_png)
        if before is None or after is None or before[:2] != after[:2]:
            return False
        if any(abs(a - b) > PIXEL_TOLERANCE for a, b in zip(before[2], after[2], strict=True)):
            return False
    return True


def outputs(svg: Path) -> dict[Path, bytes]:
    """Every output path and its content."""
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # QPainter needs one
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: error: {svg}: not a valid SVG")
    sizes = sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_TYPES, *ICNS_TYPES_2X})
    pngs = {size: render_png(renderer, size) for size in sizes}
    result: dict[Path, bytes] = {}
    for size in PNG_SIZES:
        result[HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"] = pngs[size]
    result[HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"] = svg.read_bytes()
    result[PLATFORM_ICONS / "desktop-audit.ico"] = build_ico({s: pngs[s] for s in ICO_SIZES})
    result[PLATFORM_ICONS / "desktop-audit.icns"] = build_icns(pngs)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=SVG, help="source SVG (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only report stale outputs")
    args = parser.parse_args(argv)
    stale = []
    for path, data in outputs(args.svg).items():
        if path.is_file():
            current = path.read_bytes()
            if current == data or renders_alike(path.name, current, data):
                continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            shutil.move(tmp, path)
    for path in stale:
        verb = "stale" if args.check else "wrote"
        print(f"render_icons: {verb} {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
