"""Redacted previews: known public prefix plus at most 4 trailing characters.

Never more than a quarter of the secret is shown; short secrets show only the ellipsis.
"""

from __future__ import annotations

from collections.abc import Sequence

ELLIPSIS = "…"
_MIN_TAIL_LENGTH = 16  # below this, no trailing characters are shown
_MAX_TAIL = 4


def redact(secret: bytes, public_prefixes: Sequence[str] = ()) -> str:
    """A safe preview of ``secret`` (see module docstring)."""
    text = secret.decode("utf-8", errors="replace")
    budget = len(text) // 4
    prefix = ""
    for candidate in sorted(public_prefixes, key=len, reverse=True):
        if candidate and text.startswith(candidate) and len(candidate) <= budget:
            prefix = candidate
            break
    tail_len = 0
    if len(text) >= _MIN_TAIL_LENGTH:
        tail_len = max(0, min(_MAX_TAIL, budget - len(prefix)))
    tail = text[len(text) - tail_len :] if tail_len else ""
    return f"{prefix}{ELLIPSIS}{tail}"


def shown_characters(preview: str) -> int:
    """How many characters of the secret a preview reveals."""
    return len(preview.replace(ELLIPSIS, ""))
