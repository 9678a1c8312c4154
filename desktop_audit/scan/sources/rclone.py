"""rclone's configuration file (``rclone.conf``): its obscured passwords read as they are.

``rclone config`` stores the passwords of SFTP, WebDAV, FTP, SMB, crypt ... remotes
"obscured": AES-256-CTR under a key published in rclone's own source (``fs/config/obscure``),
a random 16-byte IV first, URL-safe base64 without padding. rclone's documentation says this
only keeps them from a casual glance: ``rclone reveal`` (or anyone with the key) turns them
back. So the file is read as the text it would be with those values revealed: each password
option line keeps its place (line numbers stay those of the file), its value replaced by the
password in memory only, never written anywhere. Everything else (S3 keys, OAuth ``token``
JSON) is plain text already and stays as it is.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

FILE_NAMES = frozenset({"rclone.conf", ".rclone.conf"})  # the second: rclone before 1.37
# rclone's cryptKey (fs/config/obscure/obscure.go): public, by design.
_KEY = bytes.fromhex("9c935b48730a554d6bfd7c63c886a92bd390198eb8128afbf4de162b8b95f638")
_IV = 16
# Fewer revealed bytes than this: more likely a plain value (rclone.conf edited by hand) whose
# last few bytes happen to decrypt to printable text (a 24-character one "reveals" two bytes
# about one time in six) than an obscured password; such a value is left as it is.
_MIN_PLAIN = 4
# Options rclone's backends declare as passwords (IsPassword): stored obscured.
_OPTION = re.compile(
    rb"(?m)^(?P<lead>[ \t]*(?:pass|password|password2|key_file_pass|library_key|api_password"
    rb"|mailbox_password|otp_secret_key|client_certificate_password|file_password"
    rb"|folder_password|plex_password|secret)[ \t]*=[ \t]*)"
    rb"(?P<value>[A-Za-z0-9_-]{24,})(?P<tail>[ \t]*\r?)$"
)
# A remote's section header; a file without one is not an rclone config.
_SECTION = re.compile(rb"(?m)^[ \t]*\[[^\]\n]+\][ \t]*\r?$")
_TYPE = re.compile(rb"(?m)^[ \t]*type[ \t]*=")


def is_rclone_config(path: Path) -> bool:
    """``rclone.conf`` (``~/.config/rclone``, ``%APPDATA%\\rclone``, next to the binary)."""
    return path.name in FILE_NAMES


def reveal(value: bytes) -> bytes | None:
    """The password an obscured value hides; None when it is not one (not base64, too short,
    revealing fewer than ``_MIN_PLAIN`` bytes, or not printable text: CTR has no
    integrity check, so that is all there is to go by)."""
    try:
        sealed = base64.urlsafe_b64decode(value + b"=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(sealed) < _IV + _MIN_PLAIN:
        return None
    decryptor = Cipher(algorithms.AES(_KEY), modes.CTR(sealed[:_IV])).decryptor()
    plain = decryptor.update(sealed[_IV:]) + decryptor.finalize()
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.isprintable() or not text.strip():
        return None
    return plain


def rclone_text(data: bytes) -> bytes | None:
    """The config with its obscured passwords revealed, line for line; None when ``data`` is
    not an rclone config (no remote section with a ``type``) or holds no obscured value."""
    if b"\x00" in data or not _SECTION.search(data) or not _TYPE.search(data):
        return None
    revealed = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal revealed
        plain = reveal(match["value"])
        if plain is None:
            return match[0]
        revealed += 1
        return match["lead"] + plain + match["tail"]

    text = _OPTION.sub(replace, data)
    return text if revealed else None
