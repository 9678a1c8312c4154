"""The checked-pack cache: a scan loads the shipped rules without re-checking them, and the
cache never holds their examples (test data that resembles real credentials)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_audit.scan.rules import loader
from desktop_audit.scan.rules.engines import CACHE_ENV


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _pack() -> list[Path]:
    return loader.builtin_rule_files()


def test_checked_pack_is_cached_without_examples_and_compiles_lazily(cache: Path) -> None:
    checked = loader._builtin_rules(_pack(), with_examples=True)
    (written,) = cache.glob("rules-*.json")
    text = written.read_text(encoding="utf-8")
    assert all(example not in text for rule in checked for example in rule.examples)
    from_cache = loader._builtin_rules(_pack(), with_examples=False)
    assert [r.id for r in from_cache] == [r.id for r in checked]
    assert all(not r.examples and not r.negative_examples for r in from_cache)
    assert "compiled" not in from_cache[0].__dict__  # not compiled until used
    assert from_cache[0].compiled.pattern == checked[0].compiled.pattern
    assert loader.make_ruleset(from_cache).digest == loader.make_ruleset(checked).digest


def test_a_changed_rule_file_is_checked_again(cache: Path, tmp_path: Path) -> None:
    source = _pack()[0]
    copy = tmp_path / source.name
    copy.write_bytes(source.read_bytes())
    loader._builtin_rules([copy], with_examples=True)
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace("regex = ", "regex = '(' + ", 1), encoding="utf-8")
    with pytest.raises(loader.RuleError):
        loader._builtin_rules([copy], with_examples=False)


def test_a_corrupt_cache_is_ignored(cache: Path) -> None:
    loader._builtin_rules(_pack()[:3], with_examples=True)
    (written,) = cache.glob("rules-*.json")
    written.write_text(json.dumps([["x", [{"id": 1}]]]), encoding="utf-8")
    rules = loader._builtin_rules(_pack()[:3], with_examples=False)
    assert rules and all(r.examples for r in rules)  # read from the files again
