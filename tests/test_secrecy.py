"""Keyed ids, match hashes and column encryption."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidTag

from desktop_audit.secrecy import Secrecy

KEY = bytes(range(32))
SALT = b"public-salt-of-this-database-123"


def test_finding_id_depends_on_key_rule_and_secret_not_place() -> None:
    s = Secrecy(KEY, SALT)
    assert s.finding_id("r1", b"value-1") == s.finding_id("r1", b"value-1")
    assert s.finding_id("r1", b"value-1") != s.finding_id("r2", b"value-1")
    assert s.finding_id("r1", b"value-1") != Secrecy(bytes(32), SALT).finding_id("r1", b"value-1")


def test_match_hash_is_hmac_sha256_with_the_public_salt() -> None:
    s = Secrecy(KEY, SALT)
    expected = hmac.new(SALT, b"value-1", hashlib.sha256).hexdigest()
    assert s.match_hash(b"value-1") == expected


def test_encryption_round_trips_and_detects_tampering() -> None:
    s = Secrecy(KEY, SALT)
    blob = s.encrypt(b"line with [redacted]")
    assert b"redacted" not in blob
    assert s.decrypt(blob) == b"line with [redacted]"
    assert s.encrypt(b"same") != s.encrypt(b"same")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(InvalidTag):
        s.decrypt(tampered)
    with pytest.raises(InvalidTag):
        Secrecy(bytes(32), SALT).decrypt(blob)
