"""The mechanical parts of the severity rubric (docs/rules.md), checked on the shipped pack.

A rule's severity says what its credential lets an outsider do. Most of that takes reading a
vendor's documentation; what a rule's own id, name and description already say is checked
here, so a new or edited rule cannot contradict itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from desktop_audit.models import Severity
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.rules.model import Rule

RULES = load_ruleset(check_examples=False).rules

# An id segment or a name that marks a key for a vendor's test mode or sandbox
# (fleetbase.test-key, pagarme.test-api-key, "Square application secret (sandbox)"); not a
# key for a testing service ("Code Climate test reporter ID", TestPyPI).
_TEST_MODE_ID = re.compile(r"\.(?:[a-z]+-)*(?:test|sandbox)(?:-[a-z]+)*$")
_TEST_MODE_NAME = re.compile(r"(?i)\bsandbox\b|\btest[- ]mode\b|\btest (?:api )?(?:secret )?key\b")
# A key the vendor documents as public, shipped in web pages and apps.
_PUBLIC_NAME = re.compile(r"(?i)\bpublishable\b|\bpublic (?:key|token)\b")
# A key that can only send data in, or an incoming webhook that can only post.
_INGEST_NAME = re.compile(r"(?i)\bingest\b|\binsert key\b|\bincoming webhook\b")
# A description that says the key spends the owner's quota or credits and names nothing it
# reads, changes or sends for the owner: a look-up key against a vendor's own data.
_QUOTA = re.compile(r"\b(?:quota|credits)\b")
_REACHES_DATA = re.compile(
    r"\b(?:reads?(?! none)|change|delete|send|post|publish|act|write|upload|list|manage|"
    r"broadcast|push|clone|order|render|see)\b"
)


def _test_mode(rule: Rule) -> bool:
    return bool(_TEST_MODE_ID.search(rule.id) or _TEST_MODE_NAME.search(rule.name))


def _public(rule: Rule) -> bool:
    return bool(_PUBLIC_NAME.search(rule.name))


def _ingest_only(rule: Rule) -> bool:
    return bool(_INGEST_NAME.search(rule.name))


def _quota_only(rule: Rule) -> bool:
    return bool(_QUOTA.search(rule.description) and not _REACHES_DATA.search(rule.description))


CAPS: dict[str, tuple[Callable[[Rule], bool], Severity]] = {
    "test-mode or sandbox key": (_test_mode, Severity.LOW),
    "publishable or public key": (_public, Severity.LOW),
    "ingest-only key or incoming webhook": (_ingest_only, Severity.MEDIUM),
    "quota-only look-up key": (_quota_only, Severity.MEDIUM),
}


@pytest.mark.parametrize("kind", list(CAPS))
def test_kind_is_capped(kind: str) -> None:
    selects, cap = CAPS[kind]
    chosen = [rule for rule in RULES if selects(rule)]
    assert chosen, f"no rule selected as {kind}: the selector no longer matches the pack"
    over = [f"{rule.id} ({rule.severity})" for rule in chosen if rule.severity.rank > cap.rank]
    assert not over, f"every {kind} is at most {cap}: {', '.join(over)}"


def test_selectors_pick_what_the_rubric_names() -> None:
    """The selectors catch the rules the rubric gives as examples, and not their neighbours."""
    by_id = {rule.id: rule for rule in RULES}
    assert _test_mode(by_id["square.app-secret"])
    assert _test_mode(by_id["fleetbase.test-key"])
    assert not _test_mode(by_id["codeclimate.reporter-id"])
    assert not _test_mode(by_id["pypi.testpypi-token"])
    assert _public(by_id["stripe.publishable-key"])
    assert not _public(by_id["segment.public-api-token"])
    assert _ingest_only(by_id["honeycomb.ingest-key"])
    assert _ingest_only(by_id["slack.webhook"])
    assert not _ingest_only(by_id["microsoft.powerautomate-webhook"])
    assert _quota_only(by_id["ipstack.api-key"])
    assert not _quota_only(by_id["codequiry.api-key"])


def test_no_rule_is_info() -> None:
    """``info`` is what a finding gets when it only looks like an example value; a rule's own
    severity is one of the four levels of the rubric, ``low`` at the least."""
    at_info = [rule.id for rule in RULES if rule.severity is Severity.INFO]
    assert not at_info, f"rules at info: {', '.join(at_info)}"
