"""Profile endpoints beyond ASCII and IPv4: internationalised domain names (matched as written
and in their IDNA form) and IPv6 ranges, through the real detector."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_audit.errors import ProfileError
from desktop_audit.models import Fragment, Origin, SourceKind
from desktop_audit.profile import Profile, load_profile
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.secrecy import Secrecy

SECRECY = Secrecy(b"k" * 32, b"salt-salt-salt!!")
ORIGIN = Origin(SourceKind.FILE, Path("/home/u/notes.md"))
PROFILE_TEXT = """
[engagement]
client = "Müller & Söhne"
contract_id = "MS-1"

[endpoints]
domains = ["Bücher.Example"]
cidrs = ["fd00:1234::/32", "2001:db8:40::/42", "64:ff9b::/96", "10.9.0.0/16"]
"""


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> Detector:
    path = tmp_path_factory.mktemp("profile") / "profile.toml"
    path.write_text(PROFILE_TEXT, encoding="utf-8")
    profile = load_profile(path)
    return Detector(load_ruleset(check_examples=False), SECRECY, profile)


def _profile(tmp_path: Path, cidrs: str) -> Profile:
    path = tmp_path / "p.toml"
    path.write_text(PROFILE_TEXT.replace('"fd00:1234::/32"', cidrs), encoding="utf-8")
    return load_profile(path)


def _found(detector: Detector, text: str) -> list[tuple[str, bytes]]:
    hits = detector.scan(Fragment(text.encode(), ORIGIN))
    return [(h.redacted, h.match_hash.encode()) for h in hits if h.provider == "endpoint"]


def test_idn_domain_is_kept_in_both_spellings(tmp_path: Path) -> None:
    profile = _profile(tmp_path, '"fd00:1234::/32"')
    assert profile.domains == ("xn--bcher-kva.example", "bücher.example")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("docs at https://api.bücher.example/v1", "*.bücher.example"),
        ("curl https://api.xn--bcher-kva.example/v1", "*.xn--bcher-kva.example"),
        ("ssh admin@[fd00:1234:0:1::5]:22", "fd00:1234::/32"),
        ("route via FD00:1234:ab::1 now", "fd00:1234::/32"),
        ("gw fd00:1234:: up", "fd00:1234::/32"),
        ("peer 2001:db8:7f:1::9 (42 bits)", "2001:db8:40::/42"),
        ("nat64 64:ff9b::10.1.2.3 gateway", "64:ff9b::/96"),
        ("ping 10.9.8.7", "10.9.0.0/16"),
    ],
)
def test_references_are_found(detector: Detector, text: str, label: str) -> None:
    assert [found[0] for found in _found(detector, text)] == [label]


@pytest.mark.parametrize(
    "text",
    [
        "fd00:1235::1 is another range",
        "2001:db8:80::1 is outside the /42",
        "abfd00:1234::1 is not an address",
        "time 12:34:56 fd00",
        "bücher.example.org is someone else",
    ],
)
def test_near_misses_are_not(detector: Detector, text: str) -> None:
    assert _found(detector, text) == []


def test_an_ipv4_tail_is_part_of_the_address(detector: Detector) -> None:
    hits = detector.scan(Fragment(b"nat64 64:ff9b::10.1.2.3 gateway", ORIGIN))
    (hit,) = [h for h in hits if h.provider == "endpoint"]
    assert hit.match_hash == SECRECY.match_hash(b"64:ff9b::10.1.2.3")


def test_a_name_with_two_idna_spellings_must_be_given_in_ascii(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PROFILE_TEXT.replace("Bücher.Example", "straße.example"), encoding="utf-8")
    with pytest.raises(ProfileError, match="xn--"):
        load_profile(path)


def test_too_wide_ipv6_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"endpoints\.cidrs"):
        _profile(tmp_path, '"fd00::/7"')
