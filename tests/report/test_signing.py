"""The signing key: OS keyring (under the test command) or passphrase-derived; never plain."""

from __future__ import annotations

import base64
import hashlib

import pytest

from desktop_audit.errors import KeyUnavailableError, UsageError
from desktop_audit.report import signing
from desktop_audit.store import keys
from desktop_audit.store.keys import KeySource, keyring_backend_name
from tests.report.conftest import REQUIRE_KEYRING


def test_signing_key_lives_in_the_real_keyring_when_required() -> None:
    if not REQUIRE_KEYRING:
        pytest.skip("DESKTOP_AUDIT_REQUIRE_KEYRING is not set (only the test command sets it)")
    assert keyring_backend_name() == "keyring.backends.SecretService.Keyring"
    first = signing.obtain_signing_key(b"s" * 32)
    second = signing.obtain_signing_key(b"another salt, ignored by the keyring")
    assert first.source is KeySource.KEYRING
    assert first.fingerprint == second.fingerprint
    import keyring

    stored = keyring.get_password(keys.KEYRING_SERVICE, signing.SIGNING_KEYRING_USER)
    assert stored is not None
    assert len(base64.b64decode(stored)) == 32
    # the installation key is a different item
    assert keyring.get_password(keys.KEYRING_SERVICE, keys.KEYRING_USER) != stored


def test_passphrase_key_is_stable_and_separate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.BACKEND_ENV, "passphrase")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "correct horse battery staple")
    a = signing.obtain_signing_key(b"a" * 32)
    b = signing.obtain_signing_key(b"a" * 32)
    c = signing.obtain_signing_key(b"c" * 32)
    assert a.source is KeySource.PASSPHRASE
    assert a.fingerprint == b.fingerprint != c.fingerprint
    installation = keys.obtain_key(b"a" * 32).key
    seed = signing.seed_from_passphrase("correct horse battery staple", b"a" * 32)
    assert seed != installation  # HKDF separates the signing key from the database key
    assert "seed" not in repr(a) and a.fingerprint in repr(a)


def test_passphrase_mode_without_passphrase_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(keys.BACKEND_ENV, "passphrase")
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    with pytest.raises(KeyUnavailableError, match=keys.PASSPHRASE_ENV):
        signing.obtain_signing_key(b"x" * 32)
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "a long passphrase"

    key = signing.obtain_signing_key(b"x" * 32, prompt=prompt)
    assert asked and key.source is KeySource.PASSPHRASE


def test_sign_and_check() -> None:
    key = signing.SigningKey.from_seed(bytes(range(32)), KeySource.PASSPHRASE)
    signature = key.sign(b"content")
    assert signing.signature_is_valid(key.public_raw, signature, b"content")
    assert not signing.signature_is_valid(key.public_raw, signature, b"Content")
    assert not signing.signature_is_valid(key.public_raw[:31], signature, b"content")
    assert key.fingerprint == hashlib.sha256(key.public_raw).hexdigest()


def test_fingerprint_grouping_and_normalising() -> None:
    fingerprint = "ab" * 32
    grouped = signing.group_fingerprint(fingerprint)
    assert grouped.split(" ")[0] == "abab" and len(grouped.split(" ")) == 16
    assert signing.normalise_fingerprint(grouped.upper()) == fingerprint
    assert signing.normalise_fingerprint(":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)))
    with pytest.raises(UsageError, match="64 hex"):
        signing.normalise_fingerprint("abcd")
