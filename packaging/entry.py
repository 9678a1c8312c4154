"""PyInstaller entry point: the same ``main`` as the ``desktop-audit`` console script."""

from __future__ import annotations

import multiprocessing

from desktop_audit.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless; needed if a worker process is ever spawned
    raise SystemExit(main())
