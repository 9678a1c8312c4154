"""Engagement profile parsing: the example loads; every mistake names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_audit.errors import ProfileError
from desktop_audit.profile import load_profile
from desktop_audit.resources import resource_path

EXAMPLE = resource_path("profiles", "example-profile.toml")


def test_example_profile_loads() -> None:
    profile = load_profile(EXAMPLE)
    assert profile.client == "Example Labs"
    assert profile.contract_id == "EX-2026-17"
    assert profile.domains == ("example-labs.example",)
    assert profile.hosts[0].search("EVAL-a1.corp.example")
    assert profile.keywords == ("ex-preview-7", "bluefin")
    assert str(profile.cidrs[0]) == "10.20.0.0/16"
    assert profile.rules[0]["id"] == "ex-eval-token"
    assert [i.id for i in profile.checklist] == ["vpn", "laptop"]
    assert len(profile.sha256) == 64
    assert profile.source_path == EXAMPLE
    assert profile.has_endpoints


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "profile.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def test_unknown_key(tmp_path: Path) -> None:
    path = _variant(tmp_path, 'cidrs = ["10.20.0.0/16"]', 'cidrs = ["10.20.0.0/16"]\nsubnets = []')
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert f"{path}:{_line_of(path, 'subnets')}: endpoints.subnets: unknown key" in str(info.value)


def test_unknown_section(tmp_path: Path) -> None:
    path = _variant(tmp_path, "[checklist]", "[extras]\nx = 1\n\n[checklist]")
    with pytest.raises(ProfileError, match=rf"{path}:{_line_of(path, '[extras]')}: extras"):
        load_profile(path)


def test_bad_host_regex(tmp_path: Path) -> None:
    path = _variant(tmp_path, "eval-[a-z0-9]+", "eval-[a-z0-9+")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert f"{path}:{_line_of(path, 'eval-[')}: endpoints.hosts: bad regex" in str(info.value)


def test_bad_cidr(tmp_path: Path) -> None:
    path = _variant(tmp_path, "10.20.0.0/16", "10.20.0.0/33")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert f"{path}:{_line_of(path, '10.20.0.0/33')}: endpoints.cidrs" in str(info.value)


def test_toml_syntax_error(tmp_path: Path) -> None:
    path = _variant(tmp_path, 'client = "Example Labs"', "client = Example Labs")
    with pytest.raises(ProfileError, match=rf"{path}:{_line_of(path, 'client =')}: TOML syntax"):
        load_profile(path)


def test_missing_engagement_and_bad_rule(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[endpoints]\ndomains = ["a.example"]\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="engagement"):
        load_profile(path)
    bad_rule = _variant(tmp_path, "regex = 'exe_[A-Za-z0-9]{32}'", "regex = 'exe_[A-Z'")
    with pytest.raises(ProfileError, match=r"rules\[0\].*bad regex"):
        load_profile(bad_rule)


def test_bad_domain_and_checklist(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"endpoints\.domains"):
        load_profile(_variant(tmp_path, '"example-labs.example"', '"not a domain"'))
    with pytest.raises(ProfileError, match=r"checklist\.items"):
        load_profile(_variant(tmp_path, 'text = "Client VPN profile removed"', "note = 1"))
