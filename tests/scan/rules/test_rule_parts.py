"""Redaction, checksum validators, decoders and the three prefilter engines."""

from __future__ import annotations

import zlib

import pytest

from desktop_audit.scan.rules.decoders import decode_base64
from desktop_audit.scan.rules.prefilter import available_engines, make_prefilter
from desktop_audit.scan.rules.redact import redact, shown_characters
from desktop_audit.scan.rules.validators import base62, github_crc32


@pytest.mark.parametrize("length", [1, 3, 8, 12, 15, 16, 20, 40, 100])
def test_redaction_never_shows_more_than_a_quarter(length: int) -> None:
    secret = ("AKIA" + "Q7" * 60)[:length].encode()
    preview = redact(secret, ["AKIA"])
    assert shown_characters(preview) <= length // 4
    assert "…" in preview


def test_redaction_shape() -> None:
    assert redact(b"ghp_" + b"a1" * 18, ["ghp_"]) == "ghp_…a1a1"
    assert redact(b"AKIA2OGYBAH6ZHQW7M4K", ["AKIA"]) == "AKIA…K"
    assert redact(b"short") == "…"
    assert redact(b"x" * 11, ["xx"]) == "xx…"


def test_github_checksum() -> None:
    body = b"Zq8vR2mXp4TnW7yBZq8vR2mXp4TnW7"
    token = b"ghp_" + body + base62(zlib.crc32(body), 6)
    assert github_crc32(token)
    assert not github_crc32(token[:-1] + (b"A" if token[-1:] != b"A" else b"B"))


def test_decode_base64() -> None:
    assert decode_base64(b"dXNlcjpwYXNz") == b"user:pass"
    assert decode_base64(b"not base64!") is None
    assert decode_base64(b"AAECAwQFBgc=") is None  # binary, not text


@pytest.mark.parametrize("engine", available_engines())
def test_prefilter_engines_agree(engine: str) -> None:
    keywords = [b"akia", b"ghp_", b"password", b"pass"]
    data = b"x AKIA y\nGHP_ z password AkIa"
    found = sorted(make_prefilter(keywords, engine).scan(data))
    assert found == [(0, 2), (0, 25), (1, 9), (2, 16), (3, 16)]


def test_all_three_engines_are_here() -> None:
    assert available_engines() == ["hyperscan", "re2", "python"]
    with pytest.raises(ValueError, match="unknown prefilter engine"):
        make_prefilter([b"x"], "nope")
