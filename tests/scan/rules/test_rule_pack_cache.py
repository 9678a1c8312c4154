"""The checked-pack cache: a scan loads the shipped rules without re-checking them, and the
cache never holds their examples (test data that resembles real credentials)."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from desktop_audit.profile import Profile
from desktop_audit.scan.rules import loader
from desktop_audit.scan.rules.cachedir import CACHE_ENV
from desktop_audit.scan.rules.model import Rule
from tests.scan.rules.test_rule_loader import GOOD


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


# A rule file of one made-up rule (its values are invented, not credentials).
ACME = GOOD


@pytest.fixture
def fresh(cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[tuple[object, ...], object]:
    """No rule set memoised in-process: every load reads the cache or the files."""
    memo: dict[tuple[object, ...], object] = {}
    monkeypatch.setattr(loader, "_RULESETS", memo)
    return memo


@pytest.fixture
def small_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Three of the shipped rule files, copied, as the built-in pack."""
    pack = tmp_path / "pack"
    pack.mkdir()
    copies = []
    for source in _pack()[:3]:
        copy = pack / source.name
        copy.write_bytes(source.read_bytes())
        copies.append(copy)
    monkeypatch.setattr(loader, "builtin_rule_files", lambda: list(copies))
    return copies


def _profile(tmp_path: Path, **rule: str) -> Profile:
    table = {"id": "client.token", "regex": r"\bclt_[a-z0-9]{20}\b", **rule}
    return Profile(client="Client", contract_id="C-1", rules=(table,), source_path=tmp_path)


def _recomputed(rule: Rule) -> str:
    """``rule``'s content digest computed from its fields (never the one a cache brought)."""
    return Rule(**{f.name: getattr(rule, f.name) for f in fields(rule)}).content_digest


def test_a_cache_hit_has_the_digest_of_a_checked_load(
    fresh: dict[tuple[object, ...], object], tmp_path: Path
) -> None:
    extra = tmp_path / "acme.toml"
    extra.write_text(ACME, encoding="utf-8")
    profile = _profile(tmp_path)
    checked = loader.load_ruleset([extra], profile)  # reads the files, writes the cache
    base_checked = loader.load_ruleset()
    fresh.clear()
    hit = loader.load_ruleset([extra], profile, examples=False)
    base_hit = loader.load_ruleset(examples=False)
    assert not any(r.examples for r in base_hit.rules)  # the pack came from the cache
    assert hit.digest == checked.digest
    assert base_hit.digest == base_checked.digest
    assert hit.digest != base_hit.digest  # the extra and profile rules are in it
    assert [r.id for r in hit.rules] == [r.id for r in checked.rules]
    assert all(r.content_digest == _recomputed(r) for r in base_hit.rules)
    assert {r.source_file for r in hit.rules} == {r.source_file for r in checked.rules}


def test_the_digest_changes_when_a_rule_changes(
    fresh: dict[tuple[object, ...], object], small_pack: list[Path], tmp_path: Path
) -> None:
    extra = tmp_path / "acme.toml"
    extra.write_text(ACME, encoding="utf-8")
    loader.load_ruleset([extra])  # fills the cache
    fresh.clear()
    before = loader.load_ruleset([extra], examples=False)
    assert not any(r.examples for r in before.rules if r.id != "acme.token")
    text = small_pack[1].read_text(encoding="utf-8")
    described = re.compile(r"^description = ([\"'])", re.MULTILINE)
    changed_text = described.sub(r"description = \1Changed: ", text, count=1)
    assert changed_text != text
    small_pack[1].write_text(changed_text, encoding="utf-8")
    fresh.clear()
    pack_changed = loader.load_ruleset([extra], examples=False)
    assert pack_changed.digest != before.digest
    fresh.clear()
    assert loader.load_ruleset([extra]).digest == pack_changed.digest  # as a checked load
    extra.write_text(ACME.replace('keywords = ["acme_"]', 'keywords = ["acme"]'), "utf-8")
    fresh.clear()
    extra_changed = loader.load_ruleset([extra], examples=False)
    assert extra_changed.digest not in (before.digest, pack_changed.digest)
    fresh.clear()
    other_profile = loader.load_ruleset([extra], _profile(tmp_path), examples=False)
    fresh.clear()
    profile_rule_changed = _profile(tmp_path, kind="endpoint")
    changed = loader.load_ruleset([extra], profile_rule_changed, examples=False)
    assert changed.digest != other_profile.digest != extra_changed.digest


def test_examples_and_source_files_stay_out_of_the_digest(
    fresh: dict[tuple[object, ...], object], tmp_path: Path
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "acme.toml").write_text(ACME, encoding="utf-8")
    more = ACME.replace('["acme_short"]', '["acme_short", "no token here"]')
    (two / "acme-token.toml").write_text(more, encoding="utf-8")
    first = loader.load_ruleset([one / "acme.toml"])
    assert loader.load_ruleset([two / "acme-token.toml"]).digest == first.digest


def _corrupt_text(text: str) -> str:
    return text[: len(text) // 2]


def _edit_row(change: str) -> object:
    def edit(text: str) -> str:
        data = json.loads(text)
        names = data["fields"]
        row = data["files"][0][1][0]
        if change == "short row":
            row.pop()
        elif change == "bad severity":
            row[names.index("severity")] = "dire"
        elif change == "bad keywords":
            row[names.index("keywords")] = 5
        elif change == "other fields":
            names.append("extra")
        elif change == "not a table":
            data = [data]
        return json.dumps(data)

    return edit


@pytest.mark.parametrize(
    "corrupt",
    [
        _corrupt_text,
        lambda text: "\udcff" + text,
        _edit_row("short row"),
        _edit_row("bad severity"),
        _edit_row("bad keywords"),
        _edit_row("other fields"),
        _edit_row("not a table"),
    ],
    ids=["truncated", "bad text", "short row", "severity", "keywords", "fields", "shape"],
)
def test_a_corrupt_cache_falls_back_to_the_files(
    fresh: dict[tuple[object, ...], object], small_pack: list[Path], cache: Path, corrupt: Any
) -> None:
    checked = loader.load_ruleset()
    (written,) = cache.glob("rules-*.json")
    written.write_text(corrupt(written.read_text(encoding="utf-8")), "utf-8", "surrogateescape")
    fresh.clear()
    again = loader.load_ruleset(examples=False)
    assert all(r.examples for r in again.rules)  # read from the files again
    assert again.digest == checked.digest
    fresh.clear()
    mended = loader.load_ruleset(examples=False)  # from the cache written anew
    assert not any(r.examples for r in mended.rules)
    assert mended.digest == checked.digest


def test_duplicate_ids_with_the_pack_are_rejected_on_a_cache_hit(
    fresh: dict[tuple[object, ...], object], small_pack: list[Path], tmp_path: Path
) -> None:
    shipped = loader.load_ruleset().rules[0]  # fills the cache
    text = ACME.replace('"acme.token"', f'"{shipped.id}"')
    text = text.replace('"acme"', f'"{shipped.provider}"')
    extra = tmp_path / "again.toml"
    extra.write_text(text, encoding="utf-8")
    fresh.clear()
    with pytest.raises(loader.RuleError, match=r"again\.toml.*duplicate id"):
        loader.load_ruleset([extra], examples=False)
    fresh.clear()
    with pytest.raises(loader.RuleError, match="duplicate id"):
        loader.load_ruleset(profile=_profile(tmp_path, id=shipped.id), examples=False)
    fresh.clear()
    twice = tmp_path / "acme.toml"
    twice.write_text(ACME + ACME, encoding="utf-8")
    with pytest.raises(loader.RuleError, match=r"acme\.token.*duplicate id"):
        loader.load_ruleset([twice], examples=False)


def test_an_edited_cache_never_passes_for_the_shipped_rules(cache: Path) -> None:
    pack = _pack()[:3]
    shipped = loader.make_ruleset(loader._builtin_rules(pack, with_examples=True))
    (written,) = cache.glob("rules-*.json")
    data = json.loads(written.read_text(encoding="utf-8"))
    regex = data["fields"].index("regex")
    data["files"][0][1][0][regex] = "(?P<secret>NEVER_MATCHES_[0-9]{99})"
    written.write_text(json.dumps(data), encoding="utf-8")
    edited = loader.make_ruleset(loader._builtin_rules(pack, with_examples=False))
    assert sum("NEVER_MATCHES" in r.regex for r in edited.rules) == 1  # used as cached
    assert edited.digest != shipped.digest  # what was found under it is never reused as shipped
    # checking the pack (``rules test``, the test suite) puts the shipped rules back
    loader._builtin_rules(pack, with_examples=True)
    again = loader.make_ruleset(loader._builtin_rules(pack, with_examples=False))
    assert again.digest == shipped.digest
    assert all("NEVER_MATCHES" not in r.regex for r in again.rules)


def test_the_cache_goes_with_the_rule_code(cache: Path) -> None:
    names = {Path(path).name for path, _mtime, _size in loader._code_stamps()}
    assert {"loader.py", "model.py", "filters.py"} <= names  # what resolves rule defaults
    assert all(size > 0 for _path, _mtime, size in loader._code_stamps())
