"""Decoders for payloads that hide credentials (base64 in docker configs, Kubernetes secrets)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

_MIN_PRINTABLE = 0.9


def _printable(data: bytes) -> bool:
    if not data:
        return False
    good = sum(1 for b in data if 32 <= b < 127 or b in (9, 10, 13))
    return good / len(data) >= _MIN_PRINTABLE


def decode_base64(payload: bytes) -> bytes | None:
    """Standard or URL-safe base64 of mostly printable text, else None."""
    text = payload.strip().rstrip(b"=")
    if len(text) < 4:
        return None
    padded = text + b"=" * (-len(text) % 4)
    altchars = b"-_" if (b"-" in text or b"_" in text) else None
    try:
        decoded = base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if _printable(decoded) else None


DECODERS: dict[str, Callable[[bytes], bytes | None]] = {"base64": decode_base64}
