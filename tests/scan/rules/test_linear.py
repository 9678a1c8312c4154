"""Regexes from profiles and users cannot stall a scan (exponential backtracking)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop_audit.errors import ProfileError
from desktop_audit.profile import load_profile
from desktop_audit.scan.rules.linear import LinearPattern, linear_problem, nested_repetition
from desktop_audit.scan.rules.loader import load_ruleset

PROFILE = """\
[engagement]
client = "Careless Regex Ltd"
contract_id = "CR-1"

[endpoints]
hosts = ['{host}']
"""

RULE = """
[[rules]]
id = "cr-token"
regex = '{regex}'
severity = "high"
examples = ["crt_Zq8vR2mXp4TnW7yBZq8vR2mX"]
negative_examples = ["crt_short"]
"""


@pytest.mark.parametrize(
    ("pattern", "nested"),
    [
        ("(a+)+", True),
        ("(x+x+)+y", True),
        (r"(\w+\s?)*$", True),
        ("(a*)*b", True),
        ("((a+))+", True),
        ("(?:(?:a+)|(?:b+))+", True),
        (r"(?:[a-z0-9-]+\.)+corp\.example", False),  # each round ends at a dot
        (r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==)?", False),  # fixed-size rounds
        (r"(?:\s*,\s*[a-z]+)*", False),
        ("(a+){2}", False),  # two rounds: quadratic at most
        ("crt_[A-Za-z0-9]{24}", False),
        ("(a|a)*b", True),  # two identical ways per round
        (r"(?:.|\s)*END", True),  # alternatives that match the same characters
        ("(?:(?:a+){2})+b", True),  # a fixed count of variable parts is variable
        ("(?:x|y|xz)+", True),
        ("(a|b)*c", False),
        ("(?:foo|bar)+", False),
        (r"(?:\d{1,3}){4}", False),  # a few rounds of a bounded part
        ("(?:[A-Za-z0-9]{4,8}){2,5}", False),
        (r"(?:https?|ftp)://", False),
        ("(?:[A-Za-z0-9]*[A-Za-z0-9])+!", True),  # the fixed class is what the run matches
        ("(?:aa*)+", True),
        (r"(?:\s+-\S+)*", False),  # the - only ever follows whitespace
        (r"(?:[A-Za-z-]+:[^\n]*\r?\n)*", False),  # PEM headers: ':' and newline end rounds
    ],
)
def test_nested_repetition(pattern: str, nested: bool) -> None:
    assert nested_repetition(pattern) is nested


def test_the_rule_pack_has_no_nested_repetition() -> None:
    assert [r.id for r in load_ruleset().rules if nested_repetition(r.regex)] == []


def _profile(tmp_path: Path, host: str, rule: str = "") -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(PROFILE.format(host=host) + rule, encoding="utf-8")
    return path


def test_a_host_pattern_must_run_in_linear_time(tmp_path: Path) -> None:
    assert linear_problem(r"(?<!\.)eval\.corp\.example") is not None
    with pytest.raises(ProfileError) as info:
        load_profile(_profile(tmp_path, r"(?<!\.)eval\.corp\.example"))
    message = str(info.value)
    assert f"{tmp_path / 'profile.toml'}:6: endpoints.hosts: unsupported regex" in message
    assert "look-around" in message


def test_a_client_rule_with_nested_repetition_is_refused(tmp_path: Path) -> None:
    rule = RULE.format(regex=r"(?P<secret>crt_(?:[A-Za-z0-9]+[A-Za-z]*)+)")
    with pytest.raises(ProfileError, match="exponential"):
        load_profile(_profile(tmp_path, r"eval\.corp\.example", rule))


def test_a_careless_host_pattern_finishes_on_a_long_run(tmp_path: Path) -> None:
    """``(a+)+\\.corp`` against 5,000 ``a`` not followed by the suffix: 2^5000 steps for a
    backtracking engine; the child process must finish (generous bound: it is a hang guard,
    not a speed measurement)."""
    profile = _profile(tmp_path, r"(a+)+\.corp\.example")
    load_profile(profile)  # accepted: RE2 runs it in linear time
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from desktop_audit.profile import load_profile
        from desktop_audit.scan.rules.endpoints import EndpointMatcher
        matcher = EndpointMatcher(load_profile(Path({str(profile)!r})))
        data = b"a" * 5000 + b"!.corp.example\\n" + b"AAA.CORP.example\\n"
        print([m.secret for m in matcher.find(data)])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[b'aaa.corp.example']"


def test_linear_pattern_matches_bytes_case_insensitively() -> None:
    pattern = LinearPattern(r"eval-[a-z0-9]+\.corp\.example", ignore_case=True)
    data = b"x EVAL-a1.corp.example y eval-b2.corp.example \xff"
    assert [data[s:e] for s, e in pattern.spans(data)] == [
        b"EVAL-a1.corp.example",
        b"eval-b2.corp.example",
    ]
