#!/usr/bin/env bash
# Set up (if needed) and start desktop-audit; arguments go to the app (default: the GUI).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/desktop-audit "$@"
