"""Shannon entropy and simple shape measures of candidate secrets."""

from __future__ import annotations

import math
import string
from collections import Counter
from functools import cache
from operator import sub

_DIGITS = frozenset(string.digits.encode())
_HEX_LOWER = frozenset(b"0123456789abcdef")
_HEX_UPPER = frozenset(b"0123456789ABCDEF")
_LOWER = frozenset(string.ascii_lowercase.encode())
_UPPER = frozenset(string.ascii_uppercase.encode())


def shannon_entropy(value: bytes) -> float:
    """Shannon entropy in bits per byte (0.0 for empty input)."""
    if not value:
        return 0.0
    total = len(value)
    return -sum((n / total) * math.log2(n / total) for n in Counter(value).values())


def alphabet_size(value: bytes) -> int:
    """The size of the alphabet ``value`` looks drawn from: 10 for digits, 16 for hex, else 26
    per letter case present, 10 for digits and one per other distinct byte."""
    present = frozenset(value)
    if present <= _DIGITS:
        return 10
    if present <= _HEX_LOWER or present <= _HEX_UPPER:
        return 16
    size = 26 * bool(present & _LOWER) + 26 * bool(present & _UPPER)
    size += 10 * bool(present & _DIGITS)
    return size + len(present - _LOWER - _UPPER - _DIGITS)


_LONGEST_EXACT = 512


@cache
def expected_entropy(length: int, alphabet: int) -> float:
    """Mean Shannon entropy (bits per byte, as :func:`shannon_entropy` measures it) of
    ``length`` bytes drawn uniformly from ``alphabet`` symbols: each symbol's count is
    binomial, so the mean is exact. Short strings fall well below ``log2(alphabet)``: 16
    random hex digits average 3.2 bits, not 4."""
    if length <= 0 or alphabet <= 1:
        return 0.0
    length = min(length, _LONGEST_EXACT)  # the mean only grows with length: a lower bound
    p = 1.0 / alphabet
    chance = (1 - p) ** length  # P(count = 0), then P(count = k) by the binomial recurrence
    mean = 0.0
    for k in range(1, length + 1):
        chance *= (length - k + 1) / k * p / (1 - p)
        share = k / length
        mean -= chance * share * math.log2(share)
    return alphabet * mean


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
