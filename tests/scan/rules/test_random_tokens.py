"""Fresh random tokens in each rule's own shape are found.

A rule's positive example stands for a family of generated credentials. Its secret is redrawn
at random, character class by character class (hex stays hex, upper case stays upper case,
punctuation and a documented prefix stay put), and every redrawn value that the rule's regex
still matches must be reported: a filter must never drop a real token because random
characters happened to spell ``todo`` or ``xxxx``, or because a short random value scored a
low entropy by chance. Seeded per rule, so the draws are the same on every run.
"""

from __future__ import annotations

import random
import string
import zlib
from collections.abc import Callable, Iterator

import pytest

from desktop_audit.models import FindingKind
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.rules.matcher import Matcher
from desktop_audit.scan.rules.model import Rule

DRAWS = 30
_HEX_LOWER = frozenset(b"0123456789abcdef")
_HEX_UPPER = frozenset(b"0123456789ABCDEF")


def _drawer(body: bytes) -> Callable[[int, random.Random], int]:
    """A function redrawing one byte of ``body`` from its character class."""
    letters = [b for b in body if chr(b).isalnum()]
    if letters and set(letters) <= _HEX_LOWER:
        classes = {"hex": "0123456789abcdef"}
    elif letters and set(letters) <= _HEX_UPPER:
        classes = {"hex": "0123456789ABCDEF"}
    else:
        classes = {}

    def draw(byte: int, rng: random.Random) -> int:
        char = chr(byte)
        if not char.isascii() or not char.isalnum():
            return byte
        if "hex" in classes:
            return ord(rng.choice(classes["hex"]))
        if char.isupper():
            return ord(rng.choice(string.ascii_uppercase))
        if char.islower():
            return ord(rng.choice(string.ascii_lowercase))
        return ord(rng.choice(string.digits))

    return draw


def _fixed_prefix(rule: Rule, secret: bytes) -> int:
    """Length of the documented prefix (a keyword or public prefix) the secret starts with."""
    lowered = secret.lower()
    prefixes = (p.lower().encode() for p in (*rule.public_prefix, *rule.keywords))
    return max((len(p) for p in prefixes if lowered.startswith(p)), default=0)


def _rules() -> list[Rule]:
    return [
        r
        for r in load_ruleset().rules
        if r.kind is FindingKind.CREDENTIAL and not r.decode and r.examples
    ]


def _redrawn(rule: Rule, matcher: Matcher) -> Iterator[tuple[bytes, bytes, tuple[int, int]]]:
    """(text, redrawn secret, its span) for each example and draw the regex still matches."""
    rng = random.Random(zlib.crc32(rule.id.encode()))  # noqa: S311 - reproducible draws
    for example in rule.examples:
        data = example.encode()
        hit = next((r for r in matcher.find(data) if r.report and r.rule.id == rule.id), None)
        if hit is None or hit.end - hit.start < 12:
            continue
        secret = data[hit.start : hit.end]
        keep = _fixed_prefix(rule, secret)
        draw = _drawer(secret[keep:])
        for _ in range(DRAWS):
            new = secret[:keep] + bytes(draw(b, rng) for b in secret[keep:])
            text = data[: hit.start] + new + data[hit.end :]
            span = (hit.start, hit.start + len(new))
            if any(_secret_span(rule, m) == span for m in rule.compiled.finditer(text)):
                yield text, new, span


def _secret_span(rule: Rule, match: object) -> tuple[int, int] | None:
    for name in rule.secret_groups:
        if match.group(name) is not None:  # type: ignore[attr-defined]
            return match.span(name)  # type: ignore[attr-defined,no-any-return]
    return None


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: r.id)
def test_random_tokens_of_the_rules_shape_are_found(rule: Rule) -> None:
    matcher = Matcher([rule], engine="python")
    missed = []
    drawn = 0
    for text, new, span in _redrawn(rule, matcher):
        drawn += 1
        found = matcher.find(text)
        if not any(r.report and (r.start, r.end) == span for r in found):
            missed.append(new.decode("ascii", "replace"))
    assert not missed, f"{len(missed)} of {drawn} random tokens dropped, e.g. {missed[:3]}"


def test_most_rules_are_redrawn() -> None:
    """The check above is not vacuous: most rules' examples give redrawn tokens."""
    rules = _rules()
    redrawn = sum(
        1 for rule in rules if next(_redrawn(rule, Matcher([rule], engine="python")), None)
    )
    assert redrawn >= len(rules) * 0.8, (redrawn, len(rules))
