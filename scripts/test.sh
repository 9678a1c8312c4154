#!/usr/bin/env bash
# Set up (if needed) and run every check: ruff, mypy, import-linter, then pytest with Qt
# offscreen inside a private D-Bus session with an unlocked gnome-keyring (a real Secret
# Service). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

echo "== ruff"
.venv/bin/ruff check desktop_audit tests benchmarks packaging
.venv/bin/ruff format --check desktop_audit tests benchmarks packaging
echo "== mypy"
.venv/bin/mypy
echo "== import-linter"
.venv/bin/lint-imports

echo "== pytest (private D-Bus session, gnome-keyring)"
keyring_dir=$(mktemp -d)
trap 'rm -rf "$keyring_dir"' EXIT
export XDG_DATA_HOME="$keyring_dir/data" XDG_CONFIG_HOME="$keyring_dir/config" \
  XDG_CACHE_HOME="$keyring_dir/cache" XDG_STATE_HOME="$keyring_dir/state"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
export QT_QPA_PLATFORM=offscreen DESKTOP_AUDIT_REQUIRE_KEYRING=1
# shellcheck disable=SC2016
dbus-run-session -- bash -c '
  printf %s "desktop-audit-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  .venv/bin/python -m pytest "$@"
  rc=$?
  # Exit 5 means no test was collected: that is a failure here, never a pass.
  exit $rc
' pytest-run "$@"
