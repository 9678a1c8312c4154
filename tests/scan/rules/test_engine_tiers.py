"""Tier C of the tiered engine: rules hyperscan cannot start from a literal, scanned only
around their keywords, give the same matches as every other engine."""

from __future__ import annotations

import dataclasses
import hashlib
import random

import pytest

from desktop_audit.scan.rules.engines import (
    SEGMENT,
    EnginePattern,
    HyperscanEngine,
    Placement,
    TieredEngine,
    _HyperscanLiterals,
    placement,
)
from desktop_audit.scan.rules.loader import parse_rules
from desktop_audit.scan.rules.matcher import Matcher, RawMatch
from desktop_audit.scan.rules.model import Rule
from desktop_audit.scan.rules.prefilter import available_engines
from desktop_audit.scan.rules.translate import (
    common_literals,
    literal_led,
    near_literals,
    relaxed,
    required_literals,
    single_line,
    translate,
    weak_literal,
)

HAS_HYPERSCAN = "hyperscan" in available_engines()
ENGINES = [*available_engines(), "python-keywords"]


def _rules() -> list[Rule]:
    return parse_rules(
        [
            {  # no literal of 3 bytes, bounded width
                "id": "test.dotted",
                "regex": r"\b(?P<secret>[a-z0-9]{6}\.[a-z0-9]{16})\b",
                "keywords": ["tok:"],
            },
            {  # no literal, unbounded but single-line
                "id": "test.run",
                "regex": r"\b(?P<secret>[a-z]{2}_[A-Za-z0-9]{4,})",
                "keywords": ["ident:"],
            },
            {  # a strong literal: the literal scan
                "id": "test.literal",
                "regex": r"qzv_(?P<secret>[A-Za-z0-9]{20})",
                "keywords": ["qzv_"],
            },
        ],
        "test",
        profile=True,
    )


def _one_rule(rule_id: str, regex: str, keyword: str) -> list[Rule]:
    rule = {"id": rule_id, "regex": regex, "keywords": [keyword]}
    return parse_rules([rule], "test", profile=True)


def _key(matches: list[RawMatch]) -> list[tuple[str, str, int, int]]:
    return sorted(
        (m.rule.id, hashlib.sha256(m.secret).hexdigest()[:12], m.start, m.end) for m in matches
    )


def _token(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _text(seed: int, keyword_every: int) -> bytes:
    """Lines of filler with tokens of every rule, some near a keyword, most far from one;
    long lines cut into segments; tokens at segment boundaries after word characters."""
    rng = random.Random(seed)  # noqa: S311 - reproducible filler, not keys
    lower = "abcdefghijklmnopqrstuvwxyz0123456789"
    mixed = lower + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    lines: list[str] = []
    for number in range(3000):
        words = [_token(rng, "abcdefghij", rng.randint(2, 8)) for _ in range(rng.randint(3, 12))]
        if number % 7 == 0:
            words.insert(
                rng.randint(0, len(words)), f"{_token(rng, lower, 6)}.{_token(rng, lower, 16)}"
            )
        if number % 11 == 0:
            words.append(f"ab_{_token(rng, mixed, rng.randint(10, 40))}")
        if number % 13 == 0:
            words.append(f"qzv_{_token(rng, mixed, 20)}")
        if number % keyword_every == 0:
            words.insert(0, rng.choice(["tok:", "ident:", "TOK:", "Ident:"]))
        if number % 500 == 0:  # a long line: segments cut inside it
            pad = "w" * (SEGMENT - 3)
            words.append(f"{pad} {_token(rng, lower, 6)}.{_token(rng, lower, 16)} tok:")
            words.append(f"{pad}ab_{_token(rng, mixed, 30)}x ident: {pad}")
        lines.append(" ".join(words))
    return "\n".join(lines).encode()


def test_literal_led_needs_a_literal_near_the_start() -> None:
    def led(pattern: bytes) -> bool:
        return literal_led(required_literals(pattern))

    assert led(rb"ghp_[A-Za-z0-9]{36}")
    assert led(rb"(?i:token)[\w.-]{0,20}=\s{0,3}[a-f0-9]{40}")
    assert not led(rb"\b[a-z0-9]{6}\.[a-z0-9]{16}\b")  # no literal of 3 bytes
    assert not led(rb"(?m)^\s*_authToken\s*=\s*\S{16,}")  # behind an unbounded run


def test_single_line_patterns_cannot_match_a_newline() -> None:
    assert single_line(rb"ghp_[A-Za-z0-9]{36}")
    assert single_line(rb"(?m)^x[^\n]*$")
    assert single_line(rb"a.+b")
    assert not single_line(rb"(?s)a.+b")
    assert not single_line(rb"user=\S+\s+pass=\S+")


def _pattern(regex: bytes, **fields: object) -> EnginePattern:
    return EnginePattern(regex=regex, min_width=1, width=64, **fields)  # type: ignore[arg-type]


def test_placement_of_rule_shapes() -> None:
    unled = _pattern(rb"\b[a-z0-9]{6}\.[a-z0-9]{16}\b", led=False, keywords=(b"tok:",))
    assert placement(unled) == Placement.WINDOWS
    # No keyword: nothing to narrow the scan to.
    assert placement(_pattern(unled.regex, led=False)) == Placement.FRAGMENT
    strong = _pattern(rb"ghp_[A-Za-z0-9]{36}", literals=((b"ghp_", False),), keywords=(b"ghp_",))
    assert placement(strong) == Placement.LITERALS
    weak = _pattern(rb"(?i:password)\s*=\s*\S{6,40}", literals=((b"password", True),), weak=True)
    assert placement(weak) == Placement.FRAGMENT
    # A common-word literal with a rare keyword: scanned near the keyword.
    pat = _pattern(rb"pat[a-z0-9]{14}", literals=((b"pat", False),), weak=True)
    assert placement(dataclasses.replace(pat, keywords=(b"airtable",))) == Placement.WINDOWS
    assert placement(dataclasses.replace(pat, keywords=(b"airtable", b"pat"))) == (
        Placement.FRAGMENT
    )
    # Matches that may run on over many lines: a window scan would need a long tail.
    long = EnginePattern(
        regex=rb"(?s)\bz[0-9]{2}\..*?;",
        min_width=5,
        width=1 << 16,
        led=False,
        keywords=(b"z",),
    )
    assert placement(long) == Placement.FRAGMENT


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="hyperscan not installed")
def test_unled_rules_are_scanned_in_windows() -> None:
    matcher = Matcher(_rules(), engine="hyperscan")
    assert isinstance(matcher.engine, TieredEngine)
    assert [len(group.indices) for group in matcher.engine._windows] == [1, 1]


@pytest.mark.parametrize("keyword_every", [1, 40, 400])
def test_window_tier_matches_every_engine(keyword_every: int) -> None:
    rules = _rules()
    text = _text(keyword_every, keyword_every)
    results = {e: _key(Matcher(rules, engine=e).find(text)) for e in ENGINES}
    reference = results["python-keywords"]
    assert {item[0] for item in reference} == {r.id for r in rules}
    assert all(result == reference for result in results.values())


def test_anchor_at_a_window_start_reads_the_byte_before() -> None:
    """A token right at a segment cut mid-line, where a keyword window's scan starts:
    ``\\B`` there depends on the byte before it."""
    rules = _one_rule("test.nb", r"\B(?P<secret>[0-9]{6}\.[a-z0-9]{16})\b", "tok:")
    token = b"493817.a8d7f6g5h4j3k2l1"
    reach = rules[0].window_before + 512  # the keyword may follow the match start this far
    for before, expected in ((b"w", 1), (b" ", 0)):
        text = b"v" * (3 * SEGMENT - 1) + before + token + b" "
        text += b"y" * (reach - len(token) - 1) + b"tok:\n"
        results = {e: _key(Matcher(rules, engine=e).find(text)) for e in ENGINES}
        assert len(results["python-keywords"]) == expected
        assert all(result == results["python-keywords"] for result in results.values())


def test_window_scan_sees_a_match_run_past_its_last_segment() -> None:
    """A token starting at the far end of a keyword's window, across a segment cut."""
    rules = _rules()[:1]
    token = b"k3x9q2.a8d7f6g5h4j3k2l1"
    reach = rules[0].window_after + 512 + len(b"tok:")  # latest start after the keyword
    cut = 3 * SEGMENT
    keyword_at = cut - 10 - reach + 5
    text = b"v" * 5000 + b"\n" + b"u" * (keyword_at - 5001) + b" tok: "
    text += b"y" * (cut - 10 - len(text) - 1) + b" " + token + b" " + b"z" * 9000 + b"\n"
    assert text.index(token) == cut - 10
    results = {e: _key(Matcher(rules, engine=e).find(text)) for e in ENGINES}
    assert len(results["python-keywords"]) == 1
    assert all(result == results["python-keywords"] for result in results.values())


def test_measured_common_literals_are_weak_only_with_common() -> None:
    common = common_literals()
    assert common
    assert all(line == line.lower() and not line.startswith(b"#") for line in common)
    assert b"github" in common
    assert weak_literal(b"github", caseless=True)
    assert not weak_literal(b"github", caseless=True, common=False)
    assert not weak_literal(b"xoxb-", caseless=False)  # a vendor prefix stays strong


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="tiers are placed for hyperscan only")
def test_a_rule_led_by_a_common_literal_gives_the_same_matches_in_either_tier() -> None:
    rules = _one_rule(
        "test.github-secret", r"(?i:github)[\w.-]{0,20}?\s*=\s*(?P<secret>[a-f0-9]{40})\b", "github"
    )
    rng = random.Random(3)  # noqa: S311 (seeded test data)
    secret = _token(rng, "0123456789abcdef", 40)
    text = ("see github.com/psf/requests\n" * 50 + f"GITHUB_SECRET = {secret}\n").encode()
    found = {engine: _key(Matcher(rules, engine=engine).find(text)) for engine in ENGINES}
    assert len(found["hyperscan"]) == 1
    assert all(keys == found["hyperscan"] for keys in found.values())


def test_wide_ranges_narrowed_to_a_required_literal_keep_every_match() -> None:
    rules = _one_rule(
        "test.url-cred",
        r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://(?P<user>[^:@/\s]{1,100}):(?P<secret>[^@/\s]{3,200})"
        r"@[a-zA-Z0-9.-]{1,253}",
        "://",
    )
    rng = random.Random(5)  # noqa: S311 (seeded test data)
    words = ["alpha", "beta", "gamma", "ftp", "https", "user", "host", "delta"]
    lines = []
    for n in range(400):
        line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 30)))
        if n % 9 == 0:
            secret = _token(rng, "abcdefghkmnpqrstuvwxyz23456789", 16)
            line += f" https://svc{n}:{secret}@db{n}.internal.example/x and more words"
        if n % 13 == 0:
            line += " see https://example.com/path (no credentials)"
        lines.append(line)
    text = "\n".join(lines).encode()
    found = {engine: _key(Matcher(rules, engine=engine).find(text)) for engine in ENGINES}
    assert len(found[ENGINES[0]]) == 45
    assert all(keys == found[ENGINES[0]] for keys in found.values())


@pytest.mark.parametrize(
    ("regex", "keyword", "gated"),
    [
        (r"qzv_(?P<secret>[A-Za-z0-9]{20})", "qzv_", False),  # the keyword leads
        (r"(?i:acme)[\w.-]{0,20}=(?P<secret>[a-z0-9]{20})", "acme", False),
        (r"\b(?P<secret>[a-z0-9]{6}\.[a-z0-9]{16})\b", "tok:", True),  # no literal
        (r"(?:key|tok)=(?P<secret>[a-z0-9]{20})", "key=", True),  # tok= holds no keyword
        (r"[a-z ]{0,900}qzv_(?P<secret>[a-z0-9]{20})", "qzv_", True),  # may start too far
    ],
)
def test_the_keyword_check_is_skipped_only_where_every_match_holds_a_keyword(
    regex: str, keyword: str, gated: bool
) -> None:
    rule = {"id": "test.gate", "regex": regex, "keywords": [keyword]}
    matcher = Matcher(parse_rules([rule], "test", profile=True))
    assert matcher._plans[0].gated is gated
    # Skipped or not, the same matches are kept as with the check made on every match.
    checked = Matcher(matcher.rules)
    checked._plans = [dataclasses.replace(plan, gated=True) for plan in matcher._plans]
    rng = random.Random(7)  # noqa: S311  (reproducible test text)
    total = 0
    words = ["qzv_", "acme.x=", "key=", "tok=", "tok:", "x" * 30, " " * 40, "\n"]
    for _ in range(200):
        parts = [rng.choice(words) for _ in range(rng.randint(0, 80))]
        for _ in range(3):
            dotted = "".join(rng.choices(ALNUM, k=6)) + "." + "".join(rng.choices(ALNUM, k=16))
            token = rng.choice([dotted, "".join(rng.choices(ALNUM, k=20))])
            parts.append(rng.choice(words) + token)
        rng.shuffle(parts)
        text = " ".join(parts).encode()
        found = _spans(matcher.find(text))
        assert found == _spans(checked.find(text))
        total += len(found)
    assert total > 20


ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def _spans(found: list[RawMatch]) -> list[tuple[int, int]]:
    return [(m.start, m.end) for m in found]


def test_relaxed_repeats_only_where_a_run_ends_a_match_once() -> None:
    def spelled(pattern: bytes) -> bytes:
        return relaxed(pattern).pattern

    assert b"{1,}" in spelled(rb'(?i:pass)="[^"]{1,59}"')  # the quote ends the run
    assert spelled(rb"x[a-z]{3,40}") == translate(rb"x[a-z]{3,40}", "hyperscan").pattern
    overlapping = rb"x[a-z]{3,40}[a-z0-9]"  # the next byte may be one of the run's
    assert spelled(overlapping) == translate(overlapping, "hyperscan").pattern
    assert b"{3,}" in spelled(rb"x[a-z]{3,40}(?:;|$)")  # a line end ends it too
    assert b"{2,}" in spelled(rb"x(?: [a-z]{2,60})?=")  # an optional part is relaxed
    assert spelled(rb"(?:x[a-z]{2,60})+=").count(b"{2,60}") == 1  # not inside a repeat
    assert relaxed(rb'k="[^"]{1,59}"').max_width == 63  # the exact pattern's widths


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="hyperscan not installed")
def test_relaxed_patterns_report_every_end_the_exact_ones_do() -> None:
    import hyperscan

    patterns = [
        rb'(?i:pass)\w{0,30}?[ \t]{0,20}=[ \t]{0,20}"(?P<s>[^"\s]{1,59}(?: [^"\s]{2,60})?)"',
        rb"(?i:key)[\w.-]{0,30}?\s{0,3}[:=]\s{0,3}(?P<s>[A-Za-z0-9_+/=.~-]{16,40})(?:[^\w+/=.~-]|$)",
        rb"(?i:user)[ \t]{0,10}=[^;\n]{1,100};[^\n]{0,200}?(?i:pwd)=(?P<s>[^;\s]{3,100})",
    ]
    rng = random.Random(11)  # noqa: S311  (reproducible test text)
    pieces = ["pass", "PASS", "key", "user=", "pwd=", "=", '"', " ", ";", "\n", "x" * 70]
    pieces += ["".join(rng.choices(ALNUM, k=n)) for n in (5, 17, 45)]
    text = "".join(rng.choice(pieces) for _ in range(20000)).encode()

    def ends(expression: bytes, data: bytes) -> set[int]:
        database = hyperscan.Database()
        database.compile(expressions=[expression], ids=[0], elements=1, flags=[0])
        found: set[int] = set()
        database.scan(data, match_event_handler=lambda _i, _f, to, _fl, _c: found.add(to))
        return found

    for pattern in patterns:
        exact = ends(translate(pattern, "hyperscan").pattern, text)
        assert exact
        assert exact <= ends(relaxed(pattern).pattern, text)
    # A long run ends a relaxed match once, at its end, not at every byte.
    runs = b'pass="' + b"x" * 5000 + b'" key=' + b"A" * 5000 + b";"
    assert len(ends(relaxed(patterns[0]).pattern, runs)) == 1
    assert len(ends(relaxed(patterns[1]).pattern, runs)) == 1


def test_ranges_narrowed_to_a_literal_near_the_start_when_the_best_one_is_far() -> None:
    regex = r"(?i)https?://[^\s\"'<>]{1,300}\.svg\?(?P<q>[^\s\"'<>]{0,300}?&)?token=(?P<secret>[a-z0-9]{16})\b"
    close = near_literals(regex.encode(), 64)
    assert close is not None
    assert close.literals == ((b"http", True),)
    assert close.reach == 0
    rules = _one_rule("test.badge", regex, ".svg?")
    rng = random.Random(9)  # noqa: S311 (seeded test data)
    lines = []
    for n in range(300):
        words = [_token(rng, "abcdefgh", rng.randint(2, 9)) for _ in range(rng.randint(5, 60))]
        line = " ".join(words) + f" ?token={_token(rng, ALNUM, 16)}"
        if n % 7 == 0:
            secret = _token(rng, ALNUM, 16)
            line += f" HTTPS://ci.example/{n}/status.svg?style=flat&token={secret} x"
        lines.append(line)
    text = "\n".join(lines).encode()
    found = {engine: _key(Matcher(rules, engine=engine).find(text)) for engine in ENGINES}
    assert len(found[ENGINES[0]]) == 43
    assert all(keys == found[ENGINES[0]] for keys in found.values())


@pytest.mark.skipif(not HAS_HYPERSCAN, reason="hyperscan not installed")
def test_one_database_finds_the_literals_and_the_whole_regex_ranges() -> None:
    """The tier B database also holds tier A's literals: the same literal hits as a literal
    database of their own, and the same ranges as the rules' database alone."""
    patterns = [
        EnginePattern(regex=rb"\bpass(?:word)?\s*=\s*[^\s]{4,40}", min_width=9, width=57),
        EnginePattern(regex=rb"[a-z]{2}_[A-Za-z0-9]{4,}", min_width=7, width=1 << 16),
    ]
    literals = [(b"qzv_", False), (b"Secret", True), (b"abcabc", False), (b"bc", False)]
    rng = random.Random(7)  # noqa: S311
    words = [b"qzv_", b"SECRET", b"secret", b"abcabcabc", b"password = hunter22", b"\n"]
    words += [b"xy_Zz12", b"bc", b" ", b"pass=1234"]
    data = b"".join(rng.choice(words) for _ in range(5000))
    both = HyperscanEngine(patterns, literals)
    assert both.holds_literals
    hits, ranges = both.scan_both(data)
    assert sorted(hits) == sorted(_HyperscanLiterals(literals).scan(data))
    assert len(hits) > 1000
    assert ranges == HyperscanEngine(patterns).ranges(data)
    assert ranges
