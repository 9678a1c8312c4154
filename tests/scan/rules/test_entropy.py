"""The shape measures against straightforward per-byte reference versions."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from desktop_audit.scan.rules.entropy import (
    alphabet_size,
    expected_entropy,
    longest_run,
    sequential_fraction,
    shannon_entropy,
)


def _sequential_reference(value: bytes) -> float:
    if len(value) < 2:
        return 0.0
    lowered = value.lower()
    steps = sum(
        1
        for left, right in pairwise(lowered)
        if right - left in (1, -1) or (left == 0x39 and right == 0x30)
    )
    return steps / (len(value) - 1)


def _longest_run_reference(value: bytes) -> int:
    best = run = 1 if value else 0
    for left, right in pairwise(value.lower()):
        run = run + 1 if right - left == 1 else 1
        best = max(best, run)
    return best


def test_examples() -> None:
    assert sequential_fraction(b"abcd") == 1.0
    assert sequential_fraction(b"7890") == 1.0  # 9 -> 0 wraps
    assert sequential_fraction(b"a") == 0.0
    assert longest_run(b"xxABCDEFGHyy") == 8
    assert longest_run(b"") == 0
    assert longest_run(b"z") == 1


def test_same_as_reference_on_random_values() -> None:
    rng = random.Random(7)  # noqa: S311 (seeded test data, not security)
    alphabets = [b"0123456789", b"abcdefABCDEF0123456789", bytes(range(256)), b"90ab"]
    for _ in range(5000):
        alphabet = rng.choice(alphabets)
        value = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.3:
            value = b"abcdefghijklmnop"[: rng.randint(0, 16)] + value
        assert sequential_fraction(value) == _sequential_reference(value)
        assert longest_run(value) == _longest_run_reference(value)


def test_expected_entropy_is_the_exact_mean() -> None:
    # Two symbols, two draws: aa and bb score 0 bits, ab and ba 1 bit.
    assert expected_entropy(2, 2) == pytest.approx(0.5)
    # Three symbols, two draws: 3 of 9 outcomes repeat (0 bits), 6 differ (1 bit).
    assert expected_entropy(2, 3) == pytest.approx(6 / 9)
    rng = random.Random(11)  # noqa: S311 - reproducible test strings, not keys
    alphabet = b"0123456789abcdef"
    sampled = [shannon_entropy(bytes(rng.choice(alphabet) for _ in range(16))) for _ in range(4000)]
    assert expected_entropy(16, 16) == pytest.approx(sum(sampled) / len(sampled), abs=0.02)
    assert expected_entropy(100_000, 64) <= 6.0  # long values: bounded, no overflow


def test_alphabet_size_by_character_classes() -> None:
    assert alphabet_size(b"0123456789") == 10
    assert alphabet_size(b"deadbeef01") == 16
    assert alphabet_size(b"DEADBEEF01") == 16
    assert alphabet_size(b"AKIAZEFTOD") == 26
    assert alphabet_size(b"aZ09") == 62
    assert alphabet_size(b"aZ09+/") == 64
