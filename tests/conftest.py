"""Suite-wide set-up: Qt without a screen, and no test touches the user's real data dirs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
