"""The three candidate engines give identical matches over the whole rule pack.

Texts: every example and negative example of every rule (alone and all joined), and every
text of the shared rule-examples corpus when present. Results are compared as (rule id,
digest of the secret, offsets), never as secret text.
"""

from __future__ import annotations

import hashlib
import json
import threading

import pytest

from desktop_audit.scan.rules.engines import SEGMENT, segment_at
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.rules.matcher import Matcher, RawMatch
from desktop_audit.scan.rules.prefilter import available_engines
from desktop_audit.scan.rules.translate import bounded_prefix, required_literals, translate
from tests.corpus import RULE_EXAMPLES

RULES = load_ruleset(check_examples=False)
CORPUS = RULE_EXAMPLES
ENGINES = available_engines()

Key = list[tuple[str, str, int, int, bool]]
Text = tuple[bytes, str | None]  # a text and the format of the file it is read as


def _texts() -> list[Text]:
    plain = [e.encode() for r in RULES.rules for e in (*r.examples, *r.negative_examples)]
    texts: list[Text] = [(text, None) for text in plain]
    texts.append((b"\n".join(plain), None))
    for rule in RULES.rules:  # a rule's stores read with its store filters
        for store in rule.stores:
            every = (*rule.examples, *rule.negative_examples, *rule.store_examples)
            texts.extend((e.encode(), store) for e in (*every, *rule.store_negative_examples))
    if CORPUS.exists():
        for line in CORPUS.read_text(encoding="utf-8").splitlines():
            texts.append((json.loads(line)["text"].encode(), None))
    return texts


TEXTS = _texts()


def _key(matches: list[RawMatch]) -> Key:
    return sorted(
        (m.rule.id, hashlib.sha256(m.secret).hexdigest()[:16], m.start, m.end, m.report)
        for m in matches
    )


@pytest.fixture(scope="module")
def reference() -> list[Key]:
    """The definition itself: every segment near a keyword searched from its start."""
    matcher = Matcher(RULES.rules, engine="python-keywords")
    return [_key(matcher.find(text, fmt)) for text, fmt in TEXTS]


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_matches_python_everywhere(engine: str, reference: list[Key]) -> None:
    matcher = Matcher(RULES.rules, engine=engine)
    differing = [
        i for i, (text, fmt) in enumerate(TEXTS) if _key(matcher.find(text, fmt)) != reference[i]
    ]
    assert differing == [], f"{engine}: {len(differing)} texts differ (first indices shown)"


def test_reference_finds_every_rule_example(reference: list[Key]) -> None:
    found = {item[0] for key in reference for item in key if item[4]}
    missing = [r.id for r in RULES.rules if r.examples and r.id not in found]
    assert missing == []


def test_rewritten_regex_accepts_every_python_match() -> None:
    """The engines' rewrites match wherever Python does (superset), ending at the same place
    for the full rewrite; the short prefix matches at the same start."""
    import re

    for rule in RULES.rules:
        full = re.compile(translate(rule.compiled.pattern, "python").pattern)
        prefix = re.compile(bounded_prefix(rule.compiled.pattern, "python").pattern)
        for example in rule.examples:
            data = example.encode()
            for match in rule.compiled.finditer(data):
                assert full.match(data, match.start()) is not None, rule.id
                assert prefix.match(data, match.start()) is not None, rule.id


def test_segments_cover_lines_and_cut_long_ones() -> None:
    data = b"ab\ncd\n" + b"x" * (3 * SEGMENT) + b"\nz"
    assert segment_at(data, 0) == (0, 3)
    assert segment_at(data, 2) == (0, 3)
    assert segment_at(data, 4) == (3, 6)
    assert segment_at(data, 6) == (6, SEGMENT)
    assert segment_at(data, SEGMENT + 5) == (SEGMENT, 2 * SEGMENT)
    assert segment_at(data, len(data) - 1) == (len(data) - 1, len(data))


def test_match_may_cross_a_segment_boundary() -> None:
    rule = next(r for r in RULES.rules if r.id == "aws.access-key-id")
    token = b"AKIA2OGYBAH6ZHQW7M4K"
    pad = b"y " * ((SEGMENT - 8) // 2)
    data = pad + token + b" tail"
    assert len(pad) < SEGMENT < len(pad) + len(token)
    results = {e: _key(Matcher([rule], engine=e).find(data)) for e in ENGINES}
    assert len(results["python"]) == 1
    assert all(r == results["python"] for r in results.values())


def test_clean_text_has_no_candidates() -> None:
    matcher = Matcher(RULES.rules)
    clean = b"the quick brown fox jumps over the lazy dog\n" * 20000
    assert matcher.candidate_ranges(clean) == {}
    assert matcher.find(clean) == []


def test_threads_share_one_matcher() -> None:
    matcher = Matcher(RULES.rules)
    plain = [text for text, fmt in TEXTS if fmt is None]
    sample = b"\n".join(plain[:200]) if CORPUS.exists() else plain[-1]
    expected = _key(matcher.find(sample))
    results: list[Key] = []
    lock = threading.Lock()

    def work() -> None:
        got = _key(matcher.find(sample))
        with lock:
            results.append(got)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 6


def test_required_literals_hold_in_every_example_match() -> None:
    """Every match of a rule (on its examples, and on all texts) holds one of the rule's
    required literals, starting no further than ``reach`` after the match start."""
    import re

    for rule in RULES.rules:
        required = required_literals(rule.compiled.pattern)
        if required is None:
            continue
        assert required.shortest >= 3, rule.id
        for text in (e.encode() for e in (*rule.examples, *rule.negative_examples)):
            for match in rule.compiled.finditer(text):
                start, end = match.span()
                ok = False
                for literal, caseless in required.literals:
                    flags = re.IGNORECASE if caseless else 0
                    found = re.compile(re.escape(literal), flags).search(text, start, end)
                    if found is None:
                        continue
                    reach_ok = required.reach is None or found.start() - start <= required.reach
                    line_ok = required.reach is not None or not required.line
                    line_ok = line_ok or b"\n" not in text[start : found.start()]
                    ok = ok or (reach_ok and line_ok)
                assert ok, rule.id


def test_required_literals_of_hand_written_patterns() -> None:
    def lits(pattern: bytes) -> set[bytes] | None:
        found = required_literals(pattern)
        return None if found is None else {t for t, _ in found.literals}

    assert lits(rb"\b(?:AKIA|ASIA|A3T[A-Z])[A-Z2-7]{16}\b") == {b"AKIA", b"ASIA", b"A3T"}
    assert lits(rb"(?:vcp|vci)_[A-Za-z0-9]{56}") == {b"vcp_", b"vci_"}
    assert lits(rb"\b(?:key-[0-9a-f]{32}|[0-9a-f]{32}-x)") is None
    assert lits(rb"[a-z]{6}\.[a-z0-9]{16}") is None
    assert lits(rb"(?i:pass|secret)\w*=") == {b"pass", b"secret"}
    found = required_literals(rb"(?m)^[ \t]+\w*(?:token|key):")
    assert found is not None and found.reach is None and found.line
