"""File names that are not UTF-8, made storable and displayable, and found again on disk.

POSIX file names are bytes; Python decodes the undecodable ones with ``surrogateescape``
(``latin\\udce9``). Such a string cannot be written to SQLite, JSON or a report, so at those
boundaries it becomes its escaped spelling (``latin\\xe9``: the byte shown as ``\\x``+hex).
:func:`on_disk` turns an escaped spelling back into the name on disk where that file exists.
A name that is literally spelled with ``\\x`` and two hex digits reads the same as the escaped
one; where both files exist, the literal one is taken.
"""

from __future__ import annotations

import os
import re

_ESCAPED_BYTE = re.compile(r"\\x([0-9a-f]{2})")


def storable(text: str) -> str:
    """``text`` with each undecodable byte spelled ``\\xNN`` (unchanged when it has none)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate no undecodable byte makes (from JSON, say)
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
        return raw.decode("utf-8", "backslashreplace")
    return text


def on_disk(stored: str) -> str:
    """The path on disk a stored path names: itself, or (when only its unescaped spelling
    exists) the name with ``\\xNN`` read back as bytes."""
    if "\\x" not in stored or os.path.lexists(stored):
        return stored
    raw = _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), stored)
    try:
        candidate = os.fsdecode(os.fsencode(raw))
    except UnicodeError:
        return stored
    return candidate if os.path.lexists(candidate) else stored
