"""Every example of every shipped rule matches; no negative example does (all engines)."""

from __future__ import annotations

import pytest

from desktop_audit.scan.rules.loader import check_rules, example_found, load_ruleset
from desktop_audit.scan.rules.matcher import Matcher
from desktop_audit.scan.rules.model import Rule
from desktop_audit.scan.rules.prefilter import available_engines

RULESET = load_ruleset(check_examples=False)
MATCHER = Matcher(RULESET.rules)
# (examples, negative, read as the rule's first store): a store_only rule reads its examples
# as its store; store_examples are read so by every rule that has stores.
KINDS = {
    "ex": ("examples", False, False),
    "neg": ("negative_examples", True, False),
    "store-ex": ("store_examples", False, True),
    "store-neg": ("store_negative_examples", True, True),
}
CASES = [
    pytest.param(rule, kind, index, id=f"{rule.id}-{kind}{index}")
    for rule in RULESET.rules
    for kind, (field, _, _) in KINDS.items()
    for index in range(len(getattr(rule, field)))
]


@pytest.mark.parametrize(("rule", "kind", "index"), CASES)
def test_rule_example(rule: Rule, kind: str, index: int) -> None:
    field, negative, in_store = KINDS[kind]
    text = getattr(rule, field)[index]
    file_format = rule.stores[0] if in_store else rule.example_format
    found = example_found(MATCHER, rule, text, file_format, negative=negative)
    assert found is not negative, f"{rule.id} {field} {index}"


def test_store_rules_read_their_stores_only() -> None:
    """A store_only rule reports nothing in text of another format (its examples included)."""
    store_only = [rule for rule in RULESET.rules if rule.store_only]
    assert store_only
    for rule in store_only:
        for text in rule.examples:
            assert not any(m.rule.id == rule.id for m in MATCHER.find(text.encode())), rule.id


def test_store_rules_cost_other_text_nothing() -> None:
    """Rules that read only their stores are not in the engine every fragment goes through:
    their candidates appear nowhere else, and their own engine is built when a store is read."""
    matcher = Matcher(RULESET.rules)
    positions = {rule.id: i for i, rule in enumerate(RULESET.rules)}
    store_only = [rule for rule in RULESET.rules if rule.store_only]
    text = "\n".join(e for rule in store_only for e in rule.examples).encode()
    ranges = matcher.candidate_ranges(text)
    assert ranges  # other rules still see the text (indices are the rule pack's)
    assert not {positions[rule.id] for rule in store_only} & set(ranges)
    assert matcher._store_matcher is None
    matcher.find(text)
    assert matcher._store_matcher is None
    found = matcher.find(text, store_only[0].stores[0])
    assert any(m.rule.id == store_only[0].id for m in found)
    assert matcher._store_matcher is not None


@pytest.mark.parametrize("engine", available_engines())
def test_check_rules_clean_on_every_engine(engine: str) -> None:
    problems = check_rules(RULESET.rules, engine=engine)
    assert [str(p) for p in problems] == []


def test_pack_size_and_guides() -> None:
    assert len(RULESET.rules) >= 120
    assert all(rule.guide for rule in RULESET.rules)
    assert len({r.provider for r in RULESET.rules}) >= 40
