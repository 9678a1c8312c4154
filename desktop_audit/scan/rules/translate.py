"""Rewrite a rule regex (Python ``re`` syntax, bytes) for the candidate engines.

The rewrite works on Python's own parse tree, so it means exactly what Python means, then
spells it out with no engine-dependent shorthand: every class is an explicit byte set
(``\\s``, ``\\w``, ``.`` and case-insensitivity are expanded), groups are plain non-capturing
groups (no names), anchors use multi-line ``^``/``$`` (a superset of Python's
single-line ones). The result matches a superset of what the Python regex matches, in
hyperscan (block mode, no UTF-8), RE2 (Latin-1) and Python ``re`` alike; candidate engines
only need a superset, Python ``re`` with the rule's own regex confirms.

Also computes the width bounds of a pattern (``None`` for unbounded).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal

_parser: Any = importlib.import_module("re._parser")
_const: Any = importlib.import_module("re._constants")

Dialect = Literal["hyperscan", "re2", "python"]

_IGNORECASE = int(_const.SRE_FLAG_IGNORECASE)
_DOTALL = int(_const.SRE_FLAG_DOTALL)
_MAXREPEAT = int(_const.MAXREPEAT)
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_DIGIT = frozenset(b"0123456789")
_SPACE = frozenset(b" \t\n\r\x0b\x0c")
_ALL = frozenset(range(256))
_CATEGORIES: dict[str, frozenset[int]] = {
    "CATEGORY_DIGIT": _DIGIT,
    "CATEGORY_NOT_DIGIT": _ALL - _DIGIT,
    "CATEGORY_SPACE": _SPACE,
    "CATEGORY_NOT_SPACE": _ALL - _SPACE,
    "CATEGORY_WORD": _WORD,
    "CATEGORY_NOT_WORD": _ALL - _WORD,
    "CATEGORY_LINEBREAK": frozenset(b"\n"),
    "CATEGORY_NOT_LINEBREAK": _ALL - frozenset(b"\n"),
}


class UnsupportedRegex(ValueError):
    """The pattern uses a construct the rewrite does not handle (lookaround, backreference)."""


@dataclass(frozen=True, slots=True)
class Translated:
    pattern: bytes
    min_width: int
    max_width: int | None  # None: unbounded


def _swapcase(byte: int) -> int:
    if 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A:
        return byte ^ 0x20
    return byte


def _class(members: frozenset[int] | set[int]) -> str:
    """An explicit class of byte values as ``[\\xNN-\\xMM...]``."""
    values = sorted(members)
    if not values:
        raise UnsupportedRegex("empty character class")
    parts: list[str] = []
    start = prev = values[0]
    for value in [*values[1:], -2]:
        if value == prev + 1:
            prev = value
            continue
        if start == prev:
            parts.append(f"\\x{start:02x}")
        else:
            parts.append(f"\\x{start:02x}-\\x{prev:02x}")
        start = prev = value
    return "[" + "".join(parts) + "]"


def _in_set(items: list[tuple[Any, Any]], ignorecase: bool) -> frozenset[int]:
    members: set[int] = set()
    negate = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            members.add(int(av))
        elif name == "RANGE":
            members.update(range(int(av[0]), int(av[1]) + 1))
        elif name == "CATEGORY":
            members.update(_CATEGORIES[str(av)])
        else:
            raise UnsupportedRegex(f"class item {name}")
    members = {m for m in members if m < 256}
    if ignorecase:
        members |= {_swapcase(m) for m in members}
    return frozenset(_ALL - members if negate else members)


class _Emitter:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    def literal(self, byte: int, flags: int) -> str:
        if flags & _IGNORECASE and _swapcase(byte) != byte:
            return _class({byte, _swapcase(byte)})
        return f"\\x{byte:02x}"

    def seq(self, items: Any, flags: int) -> str:
        return "".join(self.item(op, av, flags) for op, av in items)

    def item(self, op: Any, av: Any, flags: int) -> str:
        name = str(op)
        ignorecase = bool(flags & _IGNORECASE)
        if name == "LITERAL":
            return self.literal(int(av), flags)
        if name == "NOT_LITERAL":
            return _class(_in_set([(_const.NEGATE, None), (_const.LITERAL, av)], ignorecase))
        if name == "ANY":
            return _class(_ALL if flags & _DOTALL else _ALL - {0x0A})
        if name == "IN":
            return _class(_in_set(list(av), ignorecase))
        if name == "BRANCH":
            return "(?:" + "|".join(self.seq(b, flags) for b in av[1]) + ")"
        if name == "SUBPATTERN":
            _group, add, remove, sub = av
            return "(?:" + self.seq(sub, (flags | int(add)) & ~int(remove)) + ")"
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            body = "(?:" + self.seq(sub, flags) + ")"
            lazy = "?" if name == "MIN_REPEAT" and self.dialect != "hyperscan" else ""
            if int(high) == _MAXREPEAT:
                return f"{body}{{{int(low)},}}{lazy}"
            return f"{body}{{{int(low)},{int(high)}}}{lazy}"
        if name == "ATOMIC_GROUP":
            return "(?:" + self.seq(av, flags) + ")"
        if name == "AT":
            return self.anchor(str(av))
        raise UnsupportedRegex(f"construct {name}")

    def anchor(self, name: str) -> str:
        if name in ("AT_BEGINNING", "AT_BEGINNING_LINE"):
            return "(?m:^)" if self.dialect != "hyperscan" else "^"
        if name in ("AT_END", "AT_END_LINE"):
            return "(?m:$)" if self.dialect != "hyperscan" else "$"
        if name == "AT_BEGINNING_STRING":
            return "\\A"
        if name == "AT_END_STRING":
            return "\\Z" if self.dialect == "python" else "\\z"
        if name == "AT_BOUNDARY":
            return "\\b"
        if name == "AT_NON_BOUNDARY":
            return "\\B"
        raise UnsupportedRegex(f"anchor {name}")


def _width(items: Any) -> tuple[int, int | None]:
    low, high = 0, 0
    total_high: int | None = 0
    for op, av in items:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            item_low, item_high = 1, 1
        elif name == "AT":
            item_low, item_high = 0, 0
        elif name == "BRANCH":
            widths = [_width(b) for b in av[1]]
            item_low = min(w[0] for w in widths)
            highs = [w[1] for w in widths]
            item_high = None if any(h is None for h in highs) else max(h for h in highs if h is not None)
        elif name == "SUBPATTERN":
            item_low, item_high = _width(av[3])
        elif name == "ATOMIC_GROUP":
            item_low, item_high = _width(av)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            sub_low, sub_high = _width(av[2])
            item_low = sub_low * int(av[0])
            if int(av[1]) == _MAXREPEAT:
                item_high = None if sub_high != 0 else 0
            else:
                item_high = None if sub_high is None else sub_high * int(av[1])
        else:
            raise UnsupportedRegex(f"construct {name}")
        low += item_low
        if total_high is not None:
            total_high = None if item_high is None else total_high + item_high
    high_out = total_high
    del high
    return low, high_out


def translate(pattern: bytes, dialect: Dialect) -> Translated:
    """``pattern`` (a Python bytes regex) spelled for ``dialect`` (see the module docstring)."""
    try:
        tree = _parser.parse(pattern, 0)
    except Exception as exc:  # re.error
        raise UnsupportedRegex(str(exc)) from exc
    flags = int(tree.state.flags)
    emitter = _Emitter(dialect)
    text = emitter.seq(list(tree), flags)
    low, high = _width(list(tree))
    return Translated(text.encode("ascii"), low, high)
