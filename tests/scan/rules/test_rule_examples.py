"""Every example of every shipped rule matches; no negative example does (all engines)."""

from __future__ import annotations

import pytest

from desktop_audit.scan.rules.loader import check_rules, load_ruleset
from desktop_audit.scan.rules.matcher import Matcher
from desktop_audit.scan.rules.model import Rule
from desktop_audit.scan.rules.prefilter import available_engines

RULESET = load_ruleset(check_examples=False)
MATCHER = Matcher(RULESET.rules)
CASES = [
    pytest.param(rule, index, False, id=f"{rule.id}-ex{index}")
    for rule in RULESET.rules
    for index in range(len(rule.examples))
] + [
    pytest.param(rule, index, True, id=f"{rule.id}-neg{index}")
    for rule in RULESET.rules
    for index in range(len(rule.negative_examples))
]


@pytest.mark.parametrize(("rule", "index", "negative"), CASES)
def test_rule_example(rule: Rule, index: int, negative: bool) -> None:
    text = (rule.negative_examples if negative else rule.examples)[index]
    found = any(m.rule.id == rule.id and m.report for m in MATCHER.find(text.encode()))
    assert found is not negative, f"{rule.id} {'negative ' if negative else ''}example {index}"


@pytest.mark.parametrize("engine", available_engines())
def test_check_rules_clean_on_every_engine(engine: str) -> None:
    problems = check_rules(RULESET.rules, engine=engine)
    assert [str(p) for p in problems] == []


def test_pack_size_and_guides() -> None:
    assert len(RULESET.rules) >= 120
    assert all(rule.guide for rule in RULESET.rules)
    assert len({r.provider for r in RULESET.rules}) >= 40
