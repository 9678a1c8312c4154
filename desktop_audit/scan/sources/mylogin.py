"""MySQL's login-path file (``~/.mylogin.cnf``, written by ``mysql_config_editor``).

The file holds option-file lines (``[client]``, ``user = ...``, ``password = ...``) encrypted
with AES-128 under a key stored in the file itself (20 bytes after a 4-byte header, folded to
16 by XOR); each line is one chunk: its length as a 32-bit integer, then its blocks, each
encrypted on its own, PKCS#7 padded. The encryption only keeps the password out of sight, so
the file is read as the lines it holds: decrypted in memory only, never written anywhere.
"""

from __future__ import annotations

from typing import Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

FILE_NAME = ".mylogin.cnf"
_HEADER = 4
_KEY_BYTES = 20
_BLOCK = 16
_MAX_CHUNK = 4096  # mysql_config_editor writes one line per chunk


def _aes_key(stored: bytes) -> bytes:
    folded = bytearray(_BLOCK)
    for index, byte in enumerate(stored):
        folded[index % _BLOCK] ^= byte
    return bytes(folded)


def mylogin_text(data: bytes) -> bytes | None:
    """The option-file text a ``.mylogin.cnf`` holds; None when ``data`` is not one."""
    start = _HEADER + _KEY_BYTES
    if len(data) < start + 4 + _BLOCK:
        return None
    decryptor = Cipher(algorithms.AES(_aes_key(data[_HEADER:start])), modes.ECB()).decryptor()  # noqa: S305  (the format's own mode)
    head = data[start : start + 4]
    big = head[:2] == b"\0\0" and head[2:] != b"\0\0"  # the writer's byte order
    order: Literal["big", "little"] = "big" if big else "little"
    lines: list[bytes] = []
    pos = start
    while pos + 4 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], order, signed=True)
        pos += 4
        if size == 0:
            continue
        if size < 0 or size % _BLOCK or size > _MAX_CHUNK or pos + size > len(data):
            return None
        chunk = decryptor.update(data[pos : pos + size])
        pos += size
        pad = chunk[-1]
        if 0 < pad <= _BLOCK and chunk[-pad:] == bytes([pad]) * pad:
            chunk = chunk[:-pad]
        lines.append(chunk)
    text = b"".join(lines)
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.lstrip().startswith(b"[") else None
