"""Guides are data: every rule resolves to a valid guide; the loader rejects bad guides."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_audit.errors import GuideError
from desktop_audit.remediate.guides import GuideContext, load_guides, render
from desktop_audit.resources import resource_path
from desktop_audit.scan.rules.loader import load_ruleset

GOOD = 'title = "T"\nsummary = "S"\nsteps = ["do it"]\nverify = ["check it"]\n'


def test_every_rule_guide_resolves() -> None:
    book = load_guides()
    rules = load_ruleset(check_examples=False).rules
    assert rules
    missing = sorted({r.guide for r in rules if book.get(r.guide) is None})
    assert missing == []


@pytest.mark.parametrize(
    "guide_id", ["password", "private-key", "endpoint", "profile-rule", "generic", "client"]
)
def test_generic_guides_exist(guide_id: str) -> None:
    assert load_guides().get(guide_id) is not None


def test_every_shipped_guide_file_is_valid() -> None:
    files = sorted(resource_path("guides").glob("*.toml"))
    book = load_guides()
    assert {f.stem for f in files} <= book.ids


def _write(tmp_path: Path, text: str, name: str = "acme") -> Path:
    (tmp_path / f"{name}.toml").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD + "colour = 'red'\n", "unknown key"),
        ('title = "T"\nsteps = ["a"]\nverify = ["b"]\n', "missing 'summary'"),
        (GOOD + 'console_url = "http://example.com/keys"\n', "https://"),
        (GOOD + 'references = ["ftp://example.com"]\n', "https://"),
        (GOOD + 'cli = ["rm {secret}"]\n', "unknown placeholder"),
        (GOOD + 'cli = "not a list"\n', "list of non-empty strings"),
        ('id = "other"\n' + GOOD, "'id' must be"),
    ],
)
def test_loader_rejects_bad_guides(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(GuideError, match=problem):
        load_guides(_write(tmp_path, text))


def test_profile_overrides_merge_and_add(tmp_path: Path) -> None:
    folder = _write(tmp_path, GOOD + 'console_url = "https://example.com/keys"\n')
    overrides = {
        "acme": {"steps": ["ask {security_contact}"]},
        "ex-eval": {"title": "Eval token", "summary": "s", "steps": ["x"], "verify": ["y"]},
    }
    book = load_guides(folder, overrides)
    acme = book.get("acme")
    assert acme is not None
    assert acme.console_url == "https://example.com/keys"
    filled = render(acme, GuideContext(security_contact="sec@example.com"))
    assert filled.steps == ("ask sec@example.com",)
    assert book.get("ex-eval") is not None
    with pytest.raises(GuideError):
        load_guides(folder, {"acme": {"console_url": "http://plain.example"}})


def test_render_fills_only_public_values() -> None:
    guide = load_guides().for_finding("aws", "aws")
    filled = render(guide, GuideContext(preview="AKIA…7Q2Z", provider="aws"))
    assert any("<KEY_ID>" in c for c in filled.cli)
    assert any("AKIA…7Q2Z" in s for s in filled.steps)


def test_unknown_guide_falls_back_to_provider_then_generic() -> None:
    book = load_guides()
    assert book.for_finding("no-such-guide", "github").id == "github"
    assert book.for_finding("no-such-guide", "nobody").id == "generic"
