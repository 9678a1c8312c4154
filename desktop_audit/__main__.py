"""``python -m desktop_audit``."""

from desktop_audit.cli import main

raise SystemExit(main())
