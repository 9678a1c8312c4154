"""Regexes from outside the rule pack (an engagement profile, a user's rule file) must not be
able to stall a scan. Python's backtracking engine takes exponential time on patterns such
as ``(a+)+`` against a long run of ``a`` that does not end the match, so:

* a profile's host patterns, which run over every fragment, are matched by RE2 (linear time)
  and must therefore be RE2 patterns (no look-around, no back-references);
* credential rules (which are RE2-compatible already, but confirmed with Python ``re`` inside
  small candidate ranges) are refused when :func:`nested_repetition` finds a repetition of
  a group made only of repetitions, the shape behind exponential backtracking.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

try:  # a hard dependency, but a frozen bundle may lack it: then Python re and the check
    import re2 as _re2
except ImportError:  # pragma: no cover
    _re2 = None

# sre_parse is the only parser of Python's regex syntax that ships with Python.
from re import _parser as _sre  # type: ignore[attr-defined]

_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)} - {None}
_ZERO_WIDTH = {_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT}
# An outer repetition this short multiplies the work by a small power at most.
_SHORT_OUTER = 8


class LinearPattern:
    """One pattern over bytes: RE2 where installed, else Python ``re``."""

    def __init__(self, pattern: str, *, ignore_case: bool) -> None:
        self.pattern = pattern
        source = pattern.encode()
        self._engine: Any
        if _re2 is not None:
            self._engine = _re2.compile(source, _options(ignore_case))
        else:  # pragma: no cover  (RE2 is installed wherever the tests run)
            self._engine = re.compile(source, re.IGNORECASE if ignore_case else 0)

    def spans(self, data: bytes) -> Iterator[tuple[int, int]]:
        """``(start, end)`` of every leftmost non-overlapping match."""
        for match in self._engine.finditer(data):
            yield match.span()


def _options(ignore_case: bool) -> Any:
    options = _re2.Options()
    options.encoding = _re2.Options.Encoding.LATIN1  # bytes in, bytes matched, as ``re``
    options.case_sensitive = not ignore_case
    options.log_errors = False
    return options


def linear_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot run in linear time (None: it can)."""
    if _re2 is not None:
        try:
            _re2.compile(pattern.encode(), _options(False))
        except Exception as exc:  # re2 raises its own error type
            text = str(exc).removeprefix("b'").removesuffix("'")
            return f"{text} (host patterns are RE2 syntax: no look-around or back-references)"
        return None
    if nested_repetition(pattern):  # pragma: no cover
        return NESTED
    return None


NESTED = (
    "a repetition of a group made only of repetitions, such as (a+)+, or of alternatives that"
    " can match the same text, such as (a|ab)* or (.|\\s)*, can take exponential time: repeat"
    " the characters once (a+) or use one character class ([\\s\\S]*)"
)


def nested_repetition(pattern: str) -> bool:
    """Whether ``pattern`` repeats (more than a few times) a group whose every part is a
    variable repetition or optional, with a variable repetition among them (``(a+)+``,
    ``(\\w+\\s?)*``, ``(x+x+)+y``, ``((a+){2})+``), or a choice between alternatives that
    can start with the same character (``(a|ab)*``, ``(.|\\s)*``). A group with a fixed part,
    as in ``(?:[a-z]+\\.)+``, is not flagged (the fixed part is where each round must end)."""
    try:
        parsed = _sre.parse(pattern)
    except re.error:
        return False  # reported as a bad regex elsewhere
    return _has_nested(list(parsed))


def _has_nested(items: list[Any]) -> bool:
    for op, args in items:
        if op in _REPEATS:
            _low, high, body = args
            body_items = list(body)
            long_outer = high == _sre.MAXREPEAT or high > _SHORT_OUTER
            if long_outer and (_only_repeats(body_items) or _ambiguous_choice(body_items)):
                return True
            if _has_nested(body_items):
                return True
        elif op is _sre.SUBPATTERN:
            if _has_nested(list(args[-1])):
                return True
        elif op is _sre.BRANCH:
            if any(_has_nested(list(branch)) for branch in args[1]):
                return True
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT) and _has_nested(list(args[1])):
            return True
    return False


def _only_repeats(items: list[Any]) -> bool:
    """Every part variable or zero-width (with a variable repetition among them), or the
    only fixed characters are ones a neighbouring variable part can match too: then no part
    ends a round, and a run splits into rounds in exponentially many ways (``(a+)+``,
    ``(?:[a-z]*[a-z])+``, ``(?:aa*)+``). ``(?:\\s+-\\S+)*`` is fine: its ``-`` follows
    whitespace only."""
    parts: list[tuple[bool, frozenset[int], bool]] = []  # (variable, can match, may be empty)
    for op, args in items:
        if op in _ZERO_WIDTH:
            continue
        if op in _REPEATS:
            low, high, body = args
            if low != high or _only_repeats(list(body)):
                # (a+){2} is as variable as a+
                parts.append((True, _first(list(body)), low == 0 or _nullable(list(body))))
                continue
            return False  # a fixed count of fixed parts is a fixed part
        if op is _sre.SUBPATTERN:
            inner = list(args[-1])
            if _only_repeats(inner):
                parts.append((True, _first(inner), _nullable(inner)))
                continue
            return False
        if op is _sre.BRANCH:
            if all(_only_repeats(list(branch)) for branch in args[1]):
                parts.append((True, _first([(op, args)]), _nullable([(op, args)])))
                continue
            return False
        if op in (_sre.LITERAL, _sre.IN):
            parts.append((False, _first([(op, args)]), False))
            continue
        return False  # any character, a reference: a fixed part that ends each round
    if not any(variable for variable, _, _ in parts):
        return False
    count = len(parts)
    for index, (variable, chars, _) in enumerate(parts):
        if variable:
            continue
        # What could take this character's place: the variable parts just before it (rounds
        # repeat, so the sequence wraps), back to and including one that cannot be empty.
        neighbours: set[int] = set()
        at = (index - 1) % count
        while parts[at][0] and at != index:
            neighbours |= parts[at][1]
            if not parts[at][2]:
                break
            at = (at - 1) % count
        if not chars & neighbours:
            return False  # this character ends every round: one way to split
    return True


_ALL = frozenset(range(256))


def _ambiguous_choice(items: list[Any]) -> bool:
    """Whether the group (once unwrapped) is a choice whose alternatives can start alike."""
    while len(items) == 1 and items[0][0] is _sre.SUBPATTERN:
        items = list(items[0][1][-1])
    if len(items) == 1 and items[0][0] is _sre.IN:
        return False  # one character class: a single way to match each character
    for op, args in items:
        if op is _sre.BRANCH:
            branches = [list(branch) for branch in args[1]]
            if sum(_nullable(branch) for branch in branches) > 1:
                return True  # (a|a)*: parsed as a(|), two empty ways per round
            seen: set[int] = set()
            for branch in branches:
                first = _first(branch)
                if seen & first:
                    return True
                seen |= first
    return False


def _nullable(items: list[Any]) -> bool:
    """Whether the sequence can match the empty string."""
    for op, args in items:
        if op in _ZERO_WIDTH:
            continue
        if op in _REPEATS:
            if args[0] == 0 or _nullable(list(args[2])):
                continue
            return False
        if op is _sre.SUBPATTERN:
            if _nullable(list(args[-1])):
                continue
            return False
        if op is _sre.BRANCH:
            if any(_nullable(list(branch)) for branch in args[1]):
                continue
            return False
        return False
    return True


def _first(items: list[Any]) -> frozenset[int]:
    """The bytes a match of the sequence can start with (all of them when unsure)."""
    out: set[int] = set()
    for op, args in items:
        if op in _ZERO_WIDTH:
            continue
        if op is _sre.LITERAL:
            out.add(args)
            return frozenset(out)
        if op is _sre.IN:
            out |= _class(args)
            return frozenset(out)
        if op is _sre.SUBPATTERN:
            out |= _first(list(args[-1]))
            return frozenset(out)  # (a group that may be empty: the rest is not looked at)
        if op is _sre.BRANCH:
            for branch in args[1]:
                out |= _first(list(branch))
            return frozenset(out)
        if op in _REPEATS:
            low, _high, body = args
            out |= _first(list(body))
            if low > 0:
                return frozenset(out)
            continue  # optional: what follows may start the match too
        return _ALL  # any character, a negated literal, a reference: anything
    return frozenset(out)


_CATEGORIES = {
    _sre.CATEGORY_DIGIT: frozenset(range(0x30, 0x3A)),
    _sre.CATEGORY_SPACE: frozenset(b" \t\n\r\f\v"),
    _sre.CATEGORY_WORD: frozenset(
        b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ),
}


def _class(items: list[Any]) -> frozenset[int]:
    members: set[int] = set()
    negate = False
    for op, args in items:
        if op is _sre.NEGATE:
            negate = True
        elif op is _sre.LITERAL:
            members.add(args)
        elif op is _sre.RANGE:
            members.update(range(args[0], min(args[1], 255) + 1))
        elif op is _sre.CATEGORY and args in _CATEGORIES:
            members |= _CATEGORIES[args]
        else:
            return _ALL
    return _ALL - members if negate else frozenset(members)
