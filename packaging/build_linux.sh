#!/usr/bin/env bash
# Build the Linux one-folder bundle and its tarball:
#   dist/desktop-audit/                                  (run dist/desktop-audit/desktop-audit)
#   dist/desktop-audit-<version>-linux-<arch>.tar.gz
#
# Usage: packaging/build_linux.sh [--dist DIR] [--work DIR] [--no-tar]
# Env:   PYTHON (default .venv/bin/python; needs the `packaging` extra: pyinstaller>=6.0)
#
# The version is read from desktop_audit/__init__.py (the one version source).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

dist="$root/dist"
work="$root/build/pyinstaller"
make_tar=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) dist="$(realpath -m "$2")"; shift 2 ;;
    --work) work="$(realpath -m "$2")"; shift 2 ;;
    --no-tar) make_tar=0; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "build_linux.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

python="${PYTHON:-$root/.venv/bin/python}"
if ! "$python" -c 'import PyInstaller' 2>/dev/null; then
  echo "build_linux.sh: PyInstaller is missing; run: $python -m pip install -e '.[packaging]'" >&2
  exit 2
fi
version="$("$python" - <<'EOF'
import re, pathlib
text = pathlib.Path("desktop_audit/__init__.py").read_text()
print(re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1))
EOF
)"
arch="$(uname -m)"
name="desktop-audit"
bundle="$dist/$name"
start=$SECONDS

echo "== icons (resources/icons/app.svg -> hicolor PNGs, .ico, .icns)"
QT_QPA_PLATFORM=offscreen "$python" packaging/render_icons.py

echo "== pyinstaller ($version, $arch)"
"$python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$dist" --workpath "$work" packaging/desktop-audit.spec

# COLLECT keeps a top-level symlink for every Qt library even when the spec pruned the library.
find "$bundle" -xtype l -delete

# freedesktop integration files at the usual prefix layout, for copying into ~/.local or /usr:
#   cp -r share ~/.local/ && ln -s "$PWD/desktop-audit" ~/.local/bin/desktop-audit
share="$bundle/share"
rm -rf "$share"
install -D -m 0644 "resources/desktop/io.github.desktop_audit.DesktopAudit.desktop" \
  "$share/applications/io.github.desktop_audit.DesktopAudit.desktop"
install -D -m 0644 "resources/desktop/io.github.desktop_audit.DesktopAudit.metainfo.xml" \
  "$share/metainfo/io.github.desktop_audit.DesktopAudit.metainfo.xml"
mkdir -p "$share/icons"
cp -r resources/icons/hicolor "$share/icons/"

"$bundle/$name" --version >/dev/null  # the bundle starts at all
echo "== bundle: $bundle ($(du -sh "$bundle" | cut -f1), built in $((SECONDS - start)) s)"

if [ "$make_tar" = 1 ]; then
  tarball="$dist/$name-$version-linux-$arch.tar.gz"
  # reproducible-ish: sorted names, numeric root ownership, no gzip timestamp
  tar -C "$dist" --sort=name --owner=0 --group=0 --numeric-owner -cf - "$name" \
    | gzip -n -6 >"$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
  echo "== tarball: $tarball ($(du -h "$tarball" | cut -f1))"
fi
echo "== done in $((SECONDS - start)) s"
