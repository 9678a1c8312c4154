"""A module a remembered keyring choice may name, to show it is never imported: importing it
touches the file ``$PLANTED_MARK``."""

from __future__ import annotations

import os
from pathlib import Path

Path(os.environ["PLANTED_MARK"]).touch()


class Keyring:
    viable = True
