"""LevelDB stores that desktop apps keep in the home (Electron's Local Storage and IndexedDB:
Postman environments, Insomnia, Slack, chat clients, editor extensions) read as the runs of
readable text in their table and log files. A value a person saved (an environment's API
key, a pasted token) sits there as a plain string: logs are not compressed, and tables
compress with Snappy, which keeps a string that does not repeat earlier bytes as it is. No
parser and no LevelDB library: nothing is decompressed, opened as a database or locked."""

from __future__ import annotations

import re
from pathlib import Path

_TABLE_OR_LOG = re.compile(r"\A\d{6}\.(?:ldb|sst|log)\Z")


def is_leveldb_file(path: Path) -> bool:
    """A LevelDB table or log: ``000123.ldb`` (``.sst``, ``.log``) beside the store's
    ``CURRENT`` file."""
    if not _TABLE_OR_LOG.match(path.name):
        return False
    try:
        return (path.parent / "CURRENT").is_file()
    except OSError:
        return False
