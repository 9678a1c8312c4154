"""Shannon entropy and simple shape measures of candidate secrets."""

from __future__ import annotations

import math
from collections import Counter
from operator import sub


def shannon_entropy(value: bytes) -> float:
    """Shannon entropy in bits per byte (0.0 for empty input)."""
    if not value:
        return 0.0
    total = len(value)
    return -sum((n / total) * math.log2(n / total) for n in Counter(value).values())


def sequential_fraction(value: bytes) -> float:
    """Share of adjacent byte pairs that step by +1 or -1 (``abcd``, ``4321``, ``9`` -> ``0``).

    Random tokens score about 0.05; keyboard-mashed placeholders score near 1.
    """
    if len(value) < 2:
        return 0.0
    lowered = value.lower()
    diffs = _steps(lowered)
    # "90" cannot overlap itself, so ``count`` sees every 9 -> 0 wrap.
    steps = diffs.count(1) + diffs.count(-1) + lowered.count(b"90")
    return steps / (len(value) - 1)


def _steps(lowered: bytes) -> list[int]:
    """Differences of adjacent bytes (one C-level pass, no Python loop per byte)."""
    return list(map(sub, lowered[1:], lowered))


def repeated_fraction(value: bytes) -> float:
    """Share of the most frequent byte (``aaaa`` -> 1.0)."""
    if not value:
        return 0.0
    return max(Counter(value).values()) / len(value)


def longest_run(value: bytes) -> int:
    """Length of the longest run stepping by +1 (``ABCDEFGH`` -> 8), case-insensitive."""
    if not value:
        return 0
    rising = bytes(map((1).__eq__, _steps(value.lower())))  # 1 where the next byte is +1
    return max(map(len, rising.split(b"\x00"))) + 1
