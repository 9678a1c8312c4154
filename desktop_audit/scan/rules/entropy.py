"""Shannon entropy and simple shape measures of candidate secrets."""

from __future__ import annotations

import math
from collections import Counter
from itertools import pairwise


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
    steps = 0
    for left, right in pairwise(lowered):
        diff = right - left
        if diff in (1, -1) or (left == 0x39 and right == 0x30):
            steps += 1
    return steps / (len(value) - 1)


def repeated_fraction(value: bytes) -> float:
    """Share of the most frequent byte (``aaaa`` -> 1.0)."""
    if not value:
        return 0.0
    return max(Counter(value).values()) / len(value)


def longest_run(value: bytes) -> int:
    """Length of the longest run stepping by +1 (``ABCDEFGH`` -> 8), case-insensitive."""
    lowered = value.lower()
    best = run = 1 if value else 0
    for left, right in pairwise(lowered):
        run = run + 1 if right - left == 1 else 1
        best = max(best, run)
    return best
