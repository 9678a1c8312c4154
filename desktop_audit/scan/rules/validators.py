"""Checksum validators rules can name (``validator = "github_crc32"``)."""

from __future__ import annotations

import zlib
from collections.abc import Callable

_BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number: int, width: int) -> bytes:
    """``number`` in base 62 (digits, upper, lower), left-padded with ``0`` to ``width``."""
    out = bytearray()
    while number:
        number, rest = divmod(number, 62)
        out.append(_BASE62[rest])
    return bytes(reversed(out)).rjust(width, b"0")


def github_crc32(secret: bytes) -> bool:
    """GitHub / npm style token: ``<prefix>_<30 random><6 base62 CRC32 of the random part>``.

    Documented in GitHub's 2021 "new authentication token formats" post.
    """
    body = secret.rsplit(b"_", 1)[-1]
    if len(body) < 7:
        return False
    random_part, checksum = body[:-6], body[-6:]
    return base62(zlib.crc32(random_part), 6) == checksum


Validator = Callable[[bytes], bool]

VALIDATORS: dict[str, Validator] = {"github_crc32": github_crc32}
