"""Rewrite a rule regex (Python ``re`` syntax, bytes) for the candidate engines.

The rewrite works on Python's own parse tree, so it means exactly what Python means, then
spells it out with no engine-dependent shorthand: every class is an explicit byte set
(``\\s``, ``\\w``, ``.`` and case-insensitivity are expanded), groups are plain non-capturing
groups (no names), anchors use multi-line ``^``/``$`` (a superset of Python's
single-line ones). The result matches a superset of what the Python regex matches, in
hyperscan (block mode, no UTF-8), RE2 (Latin-1) and Python ``re`` alike; candidate engines
only need a superset, Python ``re`` with the rule's own regex confirms.

Also computes the width bounds of a pattern (``None`` for unbounded), the most newlines a
match can hold (``max_newlines``) and whether every match starts at a line start
(``line_led``). ``relaxed`` spells a looser hyperscan pattern (long counted repeats made
unbounded where that adds few matches) for the whole-regex databases, which only need every
end of a match.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any, Literal

from desktop_audit.resources import resource_path

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


_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _has_cut(op: Any, av: Any) -> bool:
    """Does a group or alternation hold a cut point (see ``_is_cut``)?"""
    name = str(op)
    if name == "SUBPATTERN":
        return any(_is_cut(o, a) or _has_cut(o, a) for o, a in av[3])
    if name == "ATOMIC_GROUP":
        return any(_is_cut(o, a) or _has_cut(o, a) for o, a in av)
    if name == "BRANCH":
        return any(_is_cut(o, a) or _has_cut(o, a) for b in av[1] for o, a in b)
    return False


class UnsupportedRegexError(ValueError):
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
        raise UnsupportedRegexError("empty character class")
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
            raise UnsupportedRegexError(f"class item {name}")
    members = {m for m in members if m < 256}
    if ignorecase:
        members |= {_swapcase(m) for m in members}
    return frozenset(_ALL - members if negate else members)


class _Emitter:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.consumed = False  # has a consuming item been emitted yet (left to right)?

    def literal(self, byte: int, flags: int) -> str:
        if flags & _IGNORECASE and _swapcase(byte) != byte:
            return _class({byte, _swapcase(byte)})
        return f"\\x{byte:02x}"

    def seq(self, items: Any, flags: int) -> str:
        return "".join(self.item(op, av, flags) for op, av in items)

    def item(self, op: Any, av: Any, flags: int) -> str:
        name = str(op)
        ignorecase = bool(flags & _IGNORECASE)
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            self.consumed = True
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
        if name in _REPEATS:
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
        raise UnsupportedRegexError(f"construct {name}")

    def anchor(self, name: str) -> str:
        starts = ("AT_BEGINNING", "AT_BEGINNING_LINE", "AT_BEGINNING_STRING")
        if self.dialect == "hyperscan" and self.consumed and name in starts:
            return ""  # hyperscan has no embedded start anchors; dropping one widens the match
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
        raise UnsupportedRegexError(f"anchor {name}")


RELAX_SPAN = 8  # a bounded repeat that may run this much longer is made unbounded (``relaxed``)


def _char_set(op: Any, av: Any, flags: int) -> frozenset[int] | None:
    """The bytes a one-byte item matches (None: not a one-byte item)."""
    name = str(op)
    ignorecase = bool(flags & _IGNORECASE)
    if name == "LITERAL":
        byte = int(av)
        return frozenset({byte, _swapcase(byte)} if ignorecase else {byte})
    if name == "NOT_LITERAL":
        return _in_set([(_const.NEGATE, None), (_const.LITERAL, av)], ignorecase)
    if name == "ANY":
        return _ALL if flags & _DOTALL else _ALL - {0x0A}
    if name == "IN":
        return _in_set(list(av), ignorecase)
    return None


def _first(items: Any, flags: int) -> tuple[frozenset[int] | None, bool]:
    """The bytes a match of ``items`` may start with (None: unknown) and whether it may be
    empty. Word boundaries and start anchors are passed over (they only narrow what
    follows); an end anchor stands for the newline (or the end of the text) it needs."""
    first: set[int] = set()
    for op, av in items:
        name = str(op)
        members = _char_set(op, av, flags)
        if members is not None:
            return frozenset(first | members), False
        if name == "AT":
            anchor = str(av)
            if anchor in ("AT_END", "AT_END_LINE"):
                return frozenset(first | {0x0A}), False
            if anchor == "AT_END_STRING":
                return frozenset(first), False
            continue
        if name == "BRANCH":
            parts = [_first(branch, flags) for branch in av[1]]
            part_nullable = False
            for part, nullable in parts:
                if part is None:
                    return None, True
                first |= part
                part_nullable = part_nullable or nullable
        elif name == "SUBPATTERN":
            _group, add, remove, sub = av
            part, part_nullable = _first(sub, (flags | int(add)) & ~int(remove))
            if part is None:
                return None, True
            first |= part
        elif name == "ATOMIC_GROUP" or name in _REPEATS:
            sub = av if name == "ATOMIC_GROUP" else av[2]
            part, part_nullable = _first(sub, flags)
            if part is None:
                return None, True
            first |= part
            part_nullable = part_nullable or (name in _REPEATS and int(av[0]) == 0)
        else:
            return None, True
        if not part_nullable:
            return frozenset(first), False
    return frozenset(first), True


class _Relaxer(_Emitter):
    """The hyperscan spelling with long bounded repeats of one byte class made unbounded
    where the text after the repeat must start with a byte the class does not hold
    (``[^"]{1,59}"`` -> ``[^"]{1,}"``): a run of the class then ends a match at most once,
    at the run's end, so the relaxed pattern reports every end the exact one does and few
    more; hyperscan scans an unbounded repeat much faster than a counted one."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        self.follow: frozenset[int] | None = None  # what must come next (None: unknown)

    def seq(self, items: Any, flags: int) -> str:
        items = list(items)
        outer = self.follow
        out = []
        for index, (op, av) in enumerate(items):
            after, nullable = _first(items[index + 1 :], flags)
            if after is not None and nullable:
                after = None if outer is None else after | outer
            self.follow = after
            out.append(self.item(op, av, flags))
        self.follow = outer
        return "".join(out)

    def item(self, op: Any, av: Any, flags: int) -> str:
        if str(op) not in _REPEATS:
            return super().item(op, av, flags)
        low, high, sub = av
        follow = self.follow
        members = _char_set(sub[0][0], sub[0][1], flags) if len(sub) == 1 else None
        if int(high) > 1:
            self.follow = None  # nothing is relaxed inside a repeat (an optional part is)
        try:
            if (
                int(high) != _MAXREPEAT
                and int(high) - int(low) >= RELAX_SPAN
                and follow is not None
                and members is not None
                and not members & follow
            ):
                self.consumed = True
                return f"(?:{super().seq(sub, flags)}){{{int(low)},}}"
            return super().item(op, av, flags)
        finally:
            self.follow = follow


def _width(items: Any) -> tuple[int, int | None]:
    """The shortest and longest text ``items`` can match (longest None: unbounded)."""
    low = 0
    high: int | None = 0
    for op, av in items:
        name = str(op)
        item_high: int | None
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            item_low, item_high = 1, 1
        elif name == "AT":
            item_low, item_high = 0, 0
        elif name == "BRANCH":
            widths = [_width(b) for b in av[1]]
            item_low = min(w[0] for w in widths)
            highs = [w[1] for w in widths]
            item_high = None if None in highs else max(h or 0 for h in highs)
        elif name == "SUBPATTERN":
            item_low, item_high = _width(av[3])
        elif name == "ATOMIC_GROUP":
            item_low, item_high = _width(av)
        elif name in _REPEATS:
            sub_low, sub_high = _width(av[2])
            item_low = sub_low * int(av[0])
            if sub_high == 0:
                item_high = 0
            elif sub_high is None or int(av[1]) == _MAXREPEAT:
                item_high = None
            else:
                item_high = sub_high * int(av[1])
        else:
            raise UnsupportedRegexError(f"construct {name}")
        low += item_low
        high = None if high is None or item_high is None else high + item_high
    return low, high


CUT_MIN = 8  # a repeat of at least this many ...
CUT_SPAN = 8  # ... that may run this much longer is where a short prefix stops


def _is_cut(op: Any, av: Any) -> bool:
    """Unbounded items, and long variable repeats (a secret's body: ``[A-Za-z0-9]{16,200}``)."""
    if _width([(op, av)])[1] is None:
        return True
    if str(op) not in _REPEATS:
        return False
    low, high, _sub = av
    return int(low) >= CUT_MIN and int(high) - int(low) >= CUT_SPAN


def _prefix(emitter: _Emitter, items: Any, flags: int) -> tuple[str, bool]:
    """A bounded pattern matching a prefix of every match of ``items``.

    Items are kept up to the first one of unbounded width, which is cut to the shortest text
    it must start with (``X{3,}`` -> ``X{3}``, ``X*`` -> nothing); then the sequence stops.
    Returns the text and whether it stopped early.
    """
    out: list[str] = []
    for op, av in items:
        name = str(op)
        if not _is_cut(op, av) and not _has_cut(op, av):
            out.append(emitter.item(op, av, flags))
            continue
        if name in _REPEATS:
            low, _high, sub = av
            if int(low) > 0:
                if not any(_is_cut(o, a) or _has_cut(o, a) for o, a in sub):
                    out.append(f"(?:{emitter.seq(sub, flags)}){{{int(low)}}}")
                else:
                    out.append("(?:" + _prefix(emitter, sub, flags)[0] + ")")
        elif name == "SUBPATTERN":
            _group, add, remove, sub = av
            inner = _prefix(emitter, sub, (flags | int(add)) & ~int(remove))[0]
            out.append("(?:" + inner + ")")
        elif name == "ATOMIC_GROUP":
            out.append("(?:" + _prefix(emitter, av, flags)[0] + ")")
        elif name == "BRANCH":
            out.append("(?:" + "|".join(_prefix(emitter, b, flags)[0] for b in av[1]) + ")")
        else:
            raise UnsupportedRegexError(f"construct {name}")
        return "".join(out), True
    return "".join(out), False


@functools.lru_cache(maxsize=4096)
def _parse(pattern: bytes) -> Any:
    """Python's parse tree of ``pattern`` (cached: the rewrites only read it)."""
    try:
        return _parser.parse(pattern, 0)
    except Exception as exc:  # re.error
        raise UnsupportedRegexError(str(exc)) from exc


def clear_parse_cache() -> None:
    """Drop the cached parse trees (once the shapes that needed them are made)."""
    _parse.cache_clear()


def translate(pattern: bytes, dialect: Dialect) -> Translated:
    """``pattern`` (a Python bytes regex) spelled for ``dialect`` (see the module docstring)."""
    tree = _parse(pattern)
    text = _Emitter(dialect).seq(list(tree), int(tree.state.flags))
    low, high = _width(list(tree))
    return Translated(text.encode("ascii"), low, high)


def relaxed(pattern: bytes) -> Translated:
    """``pattern`` spelled for hyperscan with long bounded repeats relaxed (see
    ``_Relaxer``): it matches a superset of ``pattern``, and every match of ``pattern``
    ends where one of it does. The widths are ``pattern``'s own (a match start lies within
    them before each end the exact pattern reports)."""
    tree = _parse(pattern)
    text = _Relaxer("hyperscan").seq(list(tree), int(tree.state.flags))
    low, high = _width(list(tree))
    return Translated(text.encode("ascii"), low, high)


def bounded_prefix(pattern: bytes, dialect: Dialect) -> Translated:
    """A short bounded-width pattern that matches, at the same start, a prefix of every match
    of ``pattern``: cut at the first unbounded item or long variable repeat (see
    ``_is_cut``), which keeps its minimum (``[A-Za-z0-9]{16,200}`` -> ``{16}``)."""
    tree = _parse(pattern)
    flags = int(tree.state.flags)
    text = _prefix(_Emitter(dialect), list(tree), flags)[0]
    as_python = _prefix(_Emitter("python"), list(tree), flags)[0]
    low, high = _width(list(_parse(as_python.encode("ascii"))))
    return Translated(text.encode("ascii"), low, high)


# --- Required literals --------------------------------------------------------------------

LiteralText = tuple[bytes, bool]  # the bytes and whether they match case-insensitively


@dataclass(frozen=True, slots=True)
class Required:
    """Literals one of which every match of a pattern contains.

    ``reach`` bounds how far after the match start the literal starts (None: unbounded);
    ``line`` says the text from the match start to the literal holds no newline.
    """

    literals: tuple[LiteralText, ...]
    reach: int | None
    line: bool

    @property
    def shortest(self) -> int:
        return min(len(text) for text, _ in self.literals)


def _literal_byte(op: Any, av: Any, flags: int) -> tuple[int, bool] | None:
    """The one byte ``op`` matches (and whether also its other case), or None."""
    name = str(op)
    ignorecase = bool(flags & _IGNORECASE)
    if name == "LITERAL" and int(av) < 256:
        byte = int(av)
        return byte, ignorecase and _swapcase(byte) != byte
    if name == "IN":
        try:
            members = _in_set(list(av), ignorecase)
        except UnsupportedRegexError:
            return None
        if len(members) == 1:
            return next(iter(members)), False
        low = min(members)
        if len(members) == 2 and _swapcase(low) in members and _swapcase(low) != low:
            return low, True
    return None


def _small_set(op: Any, av: Any, flags: int) -> list[LiteralText] | None:
    """A class of a few bytes as one-byte literals (None for anything else)."""
    if str(op) != "IN":
        return None
    try:
        members = _in_set(list(av), bool(flags & _IGNORECASE))
    except UnsupportedRegexError:
        return None
    if len(members) > 8:
        return None
    return [(bytes([m]), False) for m in sorted(members)]


def _may_newline(op: Any, av: Any, flags: int) -> bool:
    """Can ``op`` consume a newline?"""
    name = str(op)
    if name == "LITERAL":
        return int(av) == 0x0A
    if name == "NOT_LITERAL":
        return int(av) != 0x0A
    if name == "ANY":
        return bool(flags & _DOTALL)
    if name == "IN":
        return 0x0A in _in_set(list(av), bool(flags & _IGNORECASE))
    if name == "AT":
        return False
    if name == "SUBPATTERN":
        sub_flags = (flags | int(av[1])) & ~int(av[2])
        return any(_may_newline(o, a, sub_flags) for o, a in av[3])
    if name == "ATOMIC_GROUP":
        return any(_may_newline(o, a, flags) for o, a in av)
    if name == "BRANCH":
        return any(_may_newline(o, a, flags) for b in av[1] for o, a in b)
    if name in _REPEATS:
        return int(av[1]) > 0 and any(_may_newline(o, a, flags) for o, a in av[2])
    raise UnsupportedRegexError(f"construct {name}")


def single_line(pattern: bytes) -> bool:
    """Can no match of ``pattern`` hold a newline (so a match ends by its first line's
    end)? False for what the rewrite does not handle."""
    try:
        tree = _parse(pattern)
        flags = int(tree.state.flags)
        return not any(_may_newline(op, av, flags) for op, av in tree)
    except UnsupportedRegexError:
        return False


def _newlines(items: Any, flags: int) -> int | None:
    """The most newlines a match of ``items`` can hold (None: unbounded)."""
    total = 0
    for op, av in items:
        name = str(op)
        count: int | None
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            count = int(_may_newline(op, av, flags))
        elif name == "AT":
            count = 0
        elif name == "SUBPATTERN":
            count = _newlines(av[3], (flags | int(av[1])) & ~int(av[2]))
        elif name == "ATOMIC_GROUP":
            count = _newlines(av, flags)
        elif name == "BRANCH":
            counts = [_newlines(b, flags) for b in av[1]]
            count = None if None in counts else max(c or 0 for c in counts)
        elif name in _REPEATS:
            sub = _newlines(av[2], flags)
            if sub == 0 or int(av[1]) == 0:
                count = 0
            elif sub is None or int(av[1]) == _MAXREPEAT:
                count = None
            else:
                count = sub * int(av[1])
        else:
            raise UnsupportedRegexError(f"construct {name}")
        if count is None:
            return None
        total += count
    return total


def max_newlines(pattern: bytes) -> int | None:
    """The most newlines one match of ``pattern`` can hold, or None (unbounded, or a
    construct the rewrite does not handle). ``(?m)^user=.*\\n(?:#.*\\n){0,4}pass=.*`` holds
    at most 5, however long its lines: a match ending at ``x`` starts after the sixth
    newline before ``x``."""
    try:
        tree = _parse(pattern)
        return _newlines(list(tree), int(tree.state.flags))
    except UnsupportedRegexError:
        return None


_MULTILINE = int(_const.SRE_FLAG_MULTILINE)


def line_led(pattern: bytes) -> bool:
    """Does every match of ``pattern`` start at a line start (a leading ``^`` under a global
    ``(?m)``), with nothing the rewrite does not handle (no lookaround, no backreference)?"""
    try:
        tree = _parse(pattern)
        _width(list(tree))
    except UnsupportedRegexError:
        return False
    items = list(tree)
    if not items or not int(tree.state.flags) & _MULTILINE:
        return False
    op, av = items[0]
    return str(op) == "AT" and str(av) == "AT_BEGINNING"


def _flatten(items: Any, flags: int) -> list[tuple[Any, Any, int]]:
    """``items`` with groups spliced in (each item with the flags it is matched under)."""
    out: list[tuple[Any, Any, int]] = []
    for op, av in items:
        name = str(op)
        if name == "SUBPATTERN":
            out.extend(_flatten(av[3], (flags | int(av[1])) & ~int(av[2])))
        elif name == "ATOMIC_GROUP":
            out.extend(_flatten(av, flags))
        else:
            out.append((op, av, flags))
    return out


# Words so common in code, configuration and prose that a literal of them is a poor filter.
COMMON_WORDS = frozenset(
    b"access admin auth client config data host http https login message pass password "
    b"private secret service session token user username value".split()
)


@functools.cache
def common_literals() -> frozenset[bytes]:
    """Literals measured to be common in ordinary code and documentation (lower case), from
    ``resources/common_literals.txt`` (``benchmarks/common_literals.py`` makes it)."""
    text = resource_path("common_literals.txt").read_bytes()
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith(b"#"))


_SHORT_WORD = 5


def weak_literal(text: bytes, caseless: bool, common: bool = True) -> bool:
    """Is ``text`` too common in ordinary text to be worth a candidate per occurrence? Short
    ones (``key``) and, with ``common``, common words or parts of them (``password``,
    ``assword``) and the measured :func:`common_literals` (which lists short caseless words
    such as ``story`` from a lower rate: they hide inside longer words). Without ``common``,
    from the shape alone: also every caseless word of up to five letters."""
    if len(text) <= 3:
        return True
    alpha = text.isalpha()
    if not common:
        return caseless and alpha and len(text) <= _SHORT_WORD
    lowered = text.lower()
    return lowered in common_literals() or (alpha and any(lowered in w for w in COMMON_WORDS))


def literal_led(required: Required | None) -> bool:
    """Can a scanner find every match from one of its literals? Only with a literal (of at
    least 3 bytes) at a bounded distance from the match start: without one (``\\b[a-z0-9]{6}
    \\.[a-z0-9]{16}``), or behind an unbounded run (``^\\s*...=``), hyperscan must track the
    pattern at every byte, which slows a whole database down."""
    return required is not None and required.reach is not None


def _score(found: Required) -> tuple[int, int, int, int, int]:
    return (
        min(found.shortest, 4),
        not any(weak_literal(text, caseless) for text, caseless in found.literals),
        found.reach is not None or found.line,
        found.shortest,
        -len(found.literals),
    )


def _shift(found: Required, offset: int | None, line: bool) -> Required:
    reach = None if offset is None or found.reach is None else offset + found.reach
    return Required(found.literals, reach, line and found.line)


_PRODUCT_LIMIT = 256


def _product(left: list[LiteralText], right: list[LiteralText]) -> list[LiteralText] | None:
    out = list(dict.fromkeys((a + b, ca or cb) for a, ca in left for b, cb in right))
    return out if len(out) <= _PRODUCT_LIMIT else None


def _lead(items: Any, flags: int) -> tuple[list[LiteralText], bool]:
    """The literal texts every match of ``items`` starts with (one of them), and whether
    that is all ``items`` can match (no other item follows)."""
    texts: list[LiteralText] = [(b"", False)]
    for op, av, item_flags in _flatten(items, flags):
        name = str(op)
        byte = _literal_byte(op, av, item_flags)
        small = _small_set(op, av, item_flags) if byte is None else None
        if byte is not None:
            texts = [(t + bytes([byte[0]]), c or byte[1]) for t, c in texts]
        elif small is not None:
            joined = _product(texts, small)
            if joined is None:
                return texts, False
            texts = joined
        elif name == "AT":
            continue
        elif name == "BRANCH":
            leads = [_lead(b, item_flags) for b in av[1]]
            joined = _product(texts, [t for lead, _ in leads for t in lead])
            if joined is None:
                return texts, False
            texts = joined
            if not all(done for _, done in leads):
                return texts, False
        else:
            return texts, False
    return texts, True


def _required(items: Any, flags: int) -> list[Required]:
    """Every factor found in ``items`` (offsets relative to the start of ``items``)."""
    factors: list[Required] = []
    offset: int | None = 0
    line = True
    flat = _flatten(items, flags)
    index = 0
    run_end = 0  # runs start only where none is under way (a longer run filters better)
    while index < len(flat):
        op, av, item_flags = flat[index]
        name = str(op)
        if index >= run_end and (
            name == "BRANCH" or _lead([(op, av)], item_flags)[0] != [(b"", False)]
        ):
            # A literal run, with branches of literals multiplied in: read with ``_lead``.
            stop = index
            texts: list[LiteralText] = [(b"", False)]
            while stop < len(flat):
                o, a, f = flat[stop]
                lead, done = _lead([(o, a)], f)
                joined = _product(texts, lead)
                if joined is None:
                    break
                texts = joined
                stop += 1
                if not done:
                    break
            run_end = stop
            if all(text for text, _ in texts):
                factors.append(Required(tuple(texts), offset, line))
        if name == "BRANCH":
            best = [max(_required(b, item_flags), key=_score, default=None) for b in av[1]]
            if all(b is not None for b in best):
                chosen = [b for b in best if b is not None]
                reaches = [b.reach for b in chosen]
                union = Required(
                    tuple(dict.fromkeys(lit for b in chosen for lit in b.literals)),
                    None if None in reaches else max(r or 0 for r in reaches),
                    all(b.line for b in chosen),
                )
                factors.append(_shift(union, offset, line))
        elif name in _REPEATS and int(av[0]) >= 1:
            factors.extend(_shift(f, offset, line) for f in _required(av[2], item_flags))
        high = _width([(op, av)])[1]
        offset = None if offset is None or high is None else offset + high
        line = line and not _may_newline(op, av, item_flags)
        index += 1
    return factors


def near_literals(pattern: bytes, within: int, minimum: int = 3) -> Required | None:
    """``required_literals`` among those at most ``within`` bytes from the match start (the
    best of them, or None): what a range of possible starts can be narrowed to when the
    best required literal lies far into the match (``https?://`` before a URL's far
    ``token=``)."""
    try:
        tree = _parse(pattern)
        found = _required(list(tree), int(tree.state.flags))
    except UnsupportedRegexError:
        return None
    usable = [
        f for f in found if f.shortest >= minimum and f.reach is not None and f.reach <= within
    ]
    return max(usable, key=_score) if usable else None


def required_literals(pattern: bytes, minimum: int = 3) -> Required | None:
    """The best set of literals (each at least ``minimum`` long) one of which every match of
    ``pattern`` contains, or None. Byte-exact for case-sensitive literals; caseless ones
    match ASCII letters of either case (a superset of what the pattern accepts there)."""
    try:
        tree = _parse(pattern)
        found = _required(list(tree), int(tree.state.flags))
    except UnsupportedRegexError:
        return None
    usable = [f for f in found if f.shortest >= minimum]
    if not usable:
        return None
    return max(usable, key=_score)
