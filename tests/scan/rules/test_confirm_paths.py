"""The matcher's cheaper confirmation paths give the matches of the spec (``matcher.py``):
the newline bound on long multi-line patterns (``engines.HyperscanEngine.add_ranges``),
line-led rules confirmed line start by line start, one-offset ranges, keyword windows
lowered piecewise, and the placeholder filter's joined word list and patterns."""

from __future__ import annotations

import hashlib
import random
import re

import pytest

from desktop_audit.scan.rules import filters as f
from desktop_audit.scan.rules.engines import SEGMENT, EnginePattern, HyperscanEngine
from desktop_audit.scan.rules.loader import parse_rules
from desktop_audit.scan.rules.matcher import MAX_SPAN, Matcher, RawMatch
from desktop_audit.scan.rules.model import Rule
from desktop_audit.scan.rules.prefilter import available_engines
from desktop_audit.scan.rules.translate import line_led, max_newlines

HAS_HYPERSCAN = "hyperscan" in available_engines()
ENGINES = [*available_engines(), "python-keywords"]

# user line, up to 4 comment or blank lines, pass line: at most 5 newlines, unbounded width.
PAIR = (
    r"(?im)^[ \t]*(?:user|login)[ \t]*[=:][ \t]*[^\s]{1,100}[ \t]*\n"
    r"(?:[ \t]*#[^\n]*\n|[ \t]*\n){0,4}[ \t]*pass[ \t]*[=:][ \t]*(?P<secret>[^\s]{4,100})"
)
# Unbounded newlines (``\s``): the engine's ranges stay long.
ENV = r"(?m)^\s*(?:export\s+)?[A-Z_]{0,40}PASSWORD\s*=\s*(?P<secret>[^\s#]{3,100})"


def _rules() -> list[Rule]:
    return parse_rules(
        [
            {"id": "test.pair", "regex": PAIR, "keywords": ["pass"], "filters": []},
            {"id": "test.env", "regex": ENV, "keywords": ["password"], "filters": []},
        ],
        "test",
        profile=True,
    )


def _key(matches: list[RawMatch]) -> list[tuple[str, str, int, int, int, int]]:
    return sorted(
        (
            m.rule.id,
            hashlib.sha256(m.secret).hexdigest()[:12],
            m.start,
            m.end,
            m.match_start,
            m.match_end,
        )
        for m in matches
    )


def _secret(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(12))


def _text(seed: int) -> bytes:
    """Credential pairs with 0 to 6 lines between them (6: no match), blank-line runs
    before env assignments (every line start of the run starts a match), long lines, and
    filler long enough that the engines' ranges run past ``_REFINE``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible filler, not keys
    lines: list[str] = []
    for number in range(1500):
        kind = number % 9
        if kind == 0:
            gap = ["# note", "", "   ", "// x"][: rng.randint(0, 4)] + [""] * (number % 27 == 0) * 2
            lines += [f"user = u{number}", *gap, f"pass = {_secret(rng)}"]
        elif kind == 3:
            lines += [""] * rng.randint(0, 5) + [f"export DB_PASSWORD={_secret(rng)}"]
        elif kind == 5 and number % 250 == 5:
            lines.append("w" * (SEGMENT + rng.randint(0, 200)) + " pass = x")
        else:
            lines.append(" ".join(_secret(rng)[: rng.randint(2, 9)] for _ in range(6)))
    return "\n".join(lines).encode()


def _spec(rules: list[Rule], data: bytes) -> list[tuple[str, int, int]]:
    """Line-led rules by the spec alone: at each line start, the rule's match seeing up to
    its longest width, kept when non-empty, not longer than ``MAX_SPAN`` and near a keyword
    (every rule here has unbounded width)."""
    out = []
    lowered = data.lower()
    starts = [0] + [m.end() for m in re.finditer(rb"\n", data)]
    for rule in rules:
        for start in starts:
            match = rule.compiled.match(data, start, min(len(data), start + MAX_SPAN + 2))
            if match is None or match.end() == start or match.end() - start > MAX_SPAN:
                continue
            first = max(0, start - rule.window_after - 512 - 8)
            last = start + rule.window_before + 512 + 8
            if any(lowered.find(k.encode(), first, last) != -1 for k in rule.keywords):
                out.append((rule.id, start, match.end()))
    return sorted(out)


def test_max_newlines_and_line_led() -> None:
    assert max_newlines(PAIR.encode()) == 5
    assert max_newlines(ENV.encode()) is None
    assert max_newlines(rb"ghp_[A-Za-z0-9]{36}") == 0
    assert max_newlines(rb"a\n(?:b\n|c){0,3}d") == 4
    assert max_newlines(rb"(?s)a.{0,2}b") == 2
    assert max_newlines(rb"a(?=\n)") is None  # lookaround: not handled
    assert line_led(PAIR.encode())
    assert line_led(ENV.encode())
    assert not line_led(rb"^user=")  # no (?m): string start only
    assert not line_led(rb"(?m)x^")
    assert not line_led(rb"(?m)^a(?=b)")


@pytest.mark.parametrize("seed", [1, 2])
def test_multi_line_rules_match_the_spec_on_every_engine(seed: int) -> None:
    rules = _rules()
    text = _text(seed)
    results = {e: _key(Matcher(rules, engine=e).find(text)) for e in ENGINES}
    reference = results["python-keywords"]
    spec = _spec(rules, text)
    assert sorted((rule, start, end) for rule, _, _, _, start, end in reference) == spec
    assert {item[0] for item in reference} == {"test.pair", "test.env"}
    # The blank-line runs give overlapping matches of one secret, one per line start.
    env = [item for item in reference if item[0] == "test.env"]
    assert len(env) > len({item[1] for item in env})
    for engine, result in results.items():
        assert result == reference, engine


def test_pair_at_its_most_lines_is_found() -> None:
    """A pair spanning exactly the bound (5 newlines) starts right after the sixth newline
    before its end: an off-by-one newline bound would lose it."""
    rules = _rules()[:1]
    pad = b"filler line\n" * 8000  # long unbounded ranges before the pair
    text = pad + b"user = bob\n# a\n\n# b\n\npass = Vq8nW3zK\nmore\n"
    results = {e: _key(Matcher(rules, engine=e).find(text)) for e in ENGINES}
    assert [item[4] for item in results["python-keywords"]] == [len(pad)]
    assert all(result == results["python-keywords"] for result in results.values())
    # Six lines between: no match on any engine.
    text = pad + b"user = bob\n# a\n\n# b\n\n\npass = Vq8nW3zK\n"
    assert all(not Matcher(rules, engine=e).find(text) for e in ENGINES)


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="hyperscan not installed")
def test_newline_bound_narrows_hyperscan_ranges() -> None:
    pattern = EnginePattern(
        regex=PAIR.encode(), min_width=15, width=MAX_SPAN, newlines=max_newlines(PAIR.encode())
    )
    unbounded = EnginePattern(regex=PAIR.encode(), min_width=15, width=MAX_SPAN)
    text = b"x = 1\n" * 5000 + b"user = bob\n\npass = Vq8nW3zK\n"
    start = text.index(b"user")
    narrow = HyperscanEngine([pattern]).ranges(text)[0]
    wide = HyperscanEngine([unbounded]).ranges(text)[0]
    assert wide[0][0] < start - SEGMENT  # the width alone bounds nothing here
    assert narrow[0][0] <= start
    assert narrow[0][0] > start - 6 * len(b"x = 1\n")  # at most 5 newlines back (+ 1 line)


def test_one_offset_ranges_keep_the_chain_within_a_segment() -> None:
    """Two literal hits on one line where the first match covers the second: one match (the
    search from the segment start goes on after the first match's end)."""
    rules = parse_rules(
        [{"id": "test.qq", "regex": r"qq(?P<secret>[a-z0-9]{2,30})", "filters": []}],
        "test",
        profile=True,
    )
    text = b"a qqk3x9qqm4n7p2\nb qqz8w6\n" + b"filler\n" * 3000 + b"c qqr5t1qqv2\n"
    results = {e: _key(Matcher(rules, engine=e).find(text)) for e in ENGINES}
    assert sorted(item[4] for item in results["python-keywords"]) == [
        2,
        text.index(b"qqz8"),
        text.index(b"qqr5"),
    ]
    assert all(result == results["python-keywords"] for result in results.values())


@pytest.mark.parametrize("filler", [10, 20000])
def test_keyword_window_edges_in_small_and_large_fragments(filler: int) -> None:
    """A keyword at the very edge of a rule's window, each side, in a fragment small enough
    to be lowered whole and one where only the window is lowered."""
    rules = parse_rules(
        [
            {
                "id": "test.kw",
                "regex": r"zk_(?P<secret>[a-z0-9]{12})",
                "keywords": ["marker"],
                "window_before": 40,
                "window_after": 60,
                "filters": [],
            }
        ],
        "test",
        profile=True,
    )
    token = b"zk_a1b2c3d4e5f6"
    pad = b"y" * filler + b"\n"
    for gap, kept in ((60 + 512, True), (60 + 513, False)):  # keyword before the match
        text = pad + b"MARKER" + b" " * gap + token + b"\n" + pad
        results = {e: _key(Matcher(rules, engine=e).find(text)) for e in ENGINES}
        assert len(results["python-keywords"]) == kept
        assert all(result == results["python-keywords"] for result in results.values())
    for gap, kept in ((40 + 512, True), (40 + 513, False)):  # keyword after the match start
        text = pad + token + b" " * (gap - len(token)) + b"marker\n" + pad
        results = {e: _key(Matcher(rules, engine=e).find(text)) for e in ENGINES}
        assert len(results["python-keywords"]) == kept
        assert all(result == results["python-keywords"] for result in results.values())


def test_joined_placeholder_patterns_match_where_one_pattern_does() -> None:
    patterns = (
        re.compile(rb"^\$\{?[A-Za-z_]\w*\}?$"),
        re.compile(rb"\{\{[^}]*\}\}"),
        re.compile(rb"(?i)%24%7B"),  # its own flags: kept apart
        re.compile(rb"^([A-Za-z]{3,})-?\1$"),  # a group: kept apart
    )
    allow = f.Allowlist(placeholder_words=(b"changeme", b"<your"), placeholder_patterns=patterns)
    assert len(allow._patterns) == 3
    for value in (b"${HOME}", b"a{{ x }}b", b"X%24%7bY", b"passpass", b"pass-pass"):
        assert allow.placeholder_pattern_in(value)
        assert any(p.search(value) for p in patterns)
    for value in (b"Vq8nW3zK", b"$ HOME", b"pass-word", b"%24"):
        assert not allow.placeholder_pattern_in(value)
    assert allow.placeholder_word_in(b"xchangemex")
    assert allow.placeholder_word_in(b"<your key>")
    assert not allow.placeholder_word_in(b"change me")
    assert not f.Allowlist().placeholder_word_in(b"anything")
    assert not f.Allowlist().placeholder_pattern_in(b"anything")


def test_placeholder_filter_agrees_with_the_word_and_pattern_lists() -> None:
    allow = f.default_allowlist()
    values = [
        b"changeme",
        b"my_password_here",
        b"${DB_PASS}",
        b"Vq8nW3zK",
        b"%7Bname%7D",
        b"test-test",
        b"<your-token>",
        b"process.env.X",
        b"xxxxxxxx",
        b"hunter2",
    ]
    for value in values:
        lowered = value.strip().lower()
        expected = (
            not lowered
            or lowered in allow.placeholder_values
            or any(word in lowered for word in allow.placeholder_words)
            or any(p.search(value) for p in allow.placeholder_patterns)
        )
        assert f.placeholder(f.Candidate(value), allow) == expected, value
