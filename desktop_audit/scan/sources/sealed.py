"""Files whose text a tool hides under a key anyone can have (published in the tool's source,
or stored in the file itself): read as the text they hold (rclone's config: its obscured
passwords revealed in place). Format name -> reader (None: not
such a file after all, or one sealed for real, such as under a master password)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop_audit.scan.sources.dbeaver import dbeaver_credentials, is_dbeaver_credentials
from desktop_audit.scan.sources.mylogin import FILE_NAME as MYLOGIN_NAME
from desktop_audit.scan.sources.mylogin import mylogin_text
from desktop_audit.scan.sources.rclone import is_rclone_config, rclone_text

SEALED: dict[str, Callable[[bytes], bytes | None]] = {
    "dbeaver-credentials": dbeaver_credentials,
    "mylogin": mylogin_text,
    "rclone": rclone_text,
}


def unsealed(file_format: str, data: bytes) -> bytes | None:
    """What to scan of a sealed-format file: the text it hides, or the file itself when it is
    plain text after all (saved unencrypted); None otherwise (sealed for real, damaged)."""
    try:
        text = SEALED[file_format](data)
    except (RecursionError, MemoryError, ValueError):  # hostile input: not such a file
        text = None
    if text is not None:
        return text
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return data


def sealed_format(path: Path) -> str | None:
    """The sealed format a file is, by its name and place (None: an ordinary file)."""
    if is_dbeaver_credentials(path):
        return "dbeaver-credentials"
    if path.name == MYLOGIN_NAME:
        return "mylogin"
    if is_rclone_config(path):
        return "rclone"
    return None
