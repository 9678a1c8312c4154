"""Loader validation: every malformed rule file is a RuleError naming file and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_audit.errors import RuleError
from desktop_audit.scan.rules.loader import load_rule_file, load_ruleset

GOOD = """
[[rules]]
id = "acme.token"
name = "Acme token"
provider = "acme"
severity = "high"
description = "Acme API token"
regex = '\\b(?P<secret>acme_[A-Za-z0-9]{24})\\b'
keywords = ["acme_"]
examples = ["ACME=acme_Qm9vZ2xlR29vZ2xlR29vZ2xl"]
negative_examples = ["acme_short"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "acme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_extra_file_is_loaded_and_changes_digest(tmp_path: Path) -> None:
    base = load_ruleset()
    extended = load_ruleset([_write(tmp_path, GOOD)])
    assert extended.by_id("acme.token") is not None
    assert extended.digest != base.digest
    assert load_ruleset().digest == base.digest


def test_duplicate_id(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + GOOD)
    with pytest.raises(RuleError, match=r"acme\.toml.*acme\.token.*duplicate"):
        load_ruleset([path])


def test_bad_regex(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("{24})", "{24}"))
    with pytest.raises(RuleError, match=r"acme\.toml: rule 'acme\.token': bad regex"):
        load_rule_file(path)


def test_regex_must_be_re2_compatible(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("\\b(?P", "(?<=x)(?P"))
    with pytest.raises(RuleError, match="RE2"):
        load_rule_file(path)


def test_example_not_matching(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("acme_Qm9v", "acmX_Qm9v"))
    with pytest.raises(RuleError, match=r"acme\.token \(examples\[0\]\): example does not match"):
        load_ruleset([path])


def test_negative_example_matching(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace('"acme_short"', '"acme_Qm9vZ2xlR29vZ2xlR29vZ2xm"'))
    with pytest.raises(RuleError, match=r"negative_examples\[0\]"):
        load_ruleset([path])


@pytest.mark.parametrize("field", ["examples", "negative_examples"])
def test_missing_examples(tmp_path: Path, field: str) -> None:
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith(field + " "))
    with pytest.raises(RuleError, match="at least one example"):
        load_rule_file(_write(tmp_path, text))


def test_unknown_key_and_bad_severity(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="unknown key"):
        load_rule_file(_write(tmp_path, GOOD + 'colour = "red"\n'))
    with pytest.raises(RuleError, match="severe"):
        load_rule_file(_write(tmp_path, GOOD.replace('"high"', '"severe"')))


def test_toml_syntax_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="TOML syntax"):
        load_rule_file(_write(tmp_path, "[[rules]\nid = 1"))


def test_unknown_filter(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="unknown filter"):
        load_rule_file(_write(tmp_path, GOOD + 'filters = ["nope"]\n'))


def test_rules_from_file_reads_rule_files_and_profiles(tmp_path: Path) -> None:
    from desktop_audit.resources import resource_path
    from desktop_audit.scan.rules.loader import check_rules, rules_from_file

    assert [r.id for r in rules_from_file(_write(tmp_path, GOOD))] == ["acme.token"]
    profile_rules = rules_from_file(resource_path("profiles", "example-profile.toml"))
    assert [r.id for r in profile_rules] == ["ex-eval-token"]
    assert check_rules(profile_rules) == []


STORE = """
stores = ["netrc"]
store_examples = ["ACME=acme_$m9vZ2xlR29vZ2xlR29vZ2xl"]
store_negative_examples = ["ACME=acme_${ACME_TOKEN_VALUE_HERE_X}"]
"""


def test_store_keys_are_read(tmp_path: Path) -> None:
    relaxed = GOOD.replace("[A-Za-z0-9]{24}", "[^\\s]{24,26}") + STORE
    (rule,) = load_rule_file(_write(tmp_path, relaxed))
    assert rule.stores == ("netrc",)
    assert rule.store_filters == ("known_example", "store_placeholder")
    assert not rule.store_only
    assert rule.filters_for("netrc") == rule.store_filters
    assert rule.filters_for(None) == rule.filters
    assert rule.reads(None)
    load_ruleset([_write(tmp_path, relaxed)])  # its store examples hold


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("store_only = true\n", "need 'stores'"),
        ('store_filters = ["known_example"]\n', "need 'stores'"),
        ('store_examples = ["x"]\n', "store examples need 'stores'"),
        ('stores = ["netrc"]\nstore_only = "yes"\n', "true or false"),
        ('stores = ["netrc"]\nstore_filters = ["nope"]\n', "unknown filter 'nope'"),
        ('stores = ["netrc"]\n', "one store example and one store negative"),
        # a typo would leave the rule reading no store (a store_only rule: nothing at all)
        ('stores = ["netrcc"]\nstore_only = true\n', "unknown store 'netrcc'"),
        ('stores = ["netrc", "Netrc"]\nstore_only = true\n', "unknown store 'Netrc'"),
    ],
)
def test_bad_store_keys(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        load_rule_file(_write(tmp_path, GOOD + extra))


def test_store_example_failures_are_named(tmp_path: Path) -> None:
    text = GOOD + STORE.replace("acme_$m9v", "acmX_$m9v")
    with pytest.raises(RuleError, match=r"store_examples\[0\]\): example does not match"):
        load_ruleset([_write(tmp_path, text)])


def test_a_store_only_rule_reads_only_its_store(tmp_path: Path) -> None:
    text = GOOD.replace("acme_short", "acme_${ACME_TOKEN_VALUE_HERE_X}").replace(
        "[A-Za-z0-9]{24}", "[^\\s]{24,26}"
    )
    text += 'stores = ["netrc"]\nstore_only = true\n'
    (rule,) = load_rule_file(_write(tmp_path, text))
    assert rule.example_format == "netrc"
    assert not rule.reads(None)
    assert rule.reads("netrc")
    load_ruleset([_write(tmp_path, text)])  # examples read as the store
