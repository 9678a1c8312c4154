"""Legacy Office files and Outlook messages (OLE2 compound files: ``.doc``, ``.xls``,
``.ppt``, ``.msg``) as the runs of readable text inside them, 8-bit and UTF-16: the body a
person typed is stored as such runs, so a token pasted into an old handover document or a
saved e-mail is found. No parser: the file's structure is never interpreted, only scanned."""

from __future__ import annotations

import re

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MIN_RUN = 8
_ASCII_RUN = re.compile(rb"[\t\x20-\x7e]{%d,}" % MIN_RUN)
_UTF16_RUN = re.compile(rb"(?:[\t\x20-\x7e]\x00){%d,}" % MIN_RUN)


def is_ole(head: bytes) -> bool:
    """Whether a file starts like an OLE2 compound file."""
    return head.startswith(MAGIC)


def text_runs(data: bytes) -> bytes:
    """Every run of at least :data:`MIN_RUN` printable characters (8-bit and UTF-16LE), in
    file order, one per line."""
    runs: list[tuple[int, bytes]] = [(m.start(), m.group()) for m in _ASCII_RUN.finditer(data)]
    runs += [(m.start(), m.group()[::2]) for m in _UTF16_RUN.finditer(data)]
    runs.sort()
    return b"\n".join(run for _, run in runs)
