"""The installation key against the real Secret Service started by the test command."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_audit.errors import KeyUnavailableError
from desktop_audit.store import keys
from desktop_audit.store.keys import KeySource, keyring_backend_name, obtain_key

REQUIRE = os.environ.get("DESKTOP_AUDIT_REQUIRE_KEYRING") == "1"


def _secret_service_or_skip() -> None:
    if keyring_backend_name().endswith("SecretService.Keyring"):
        return
    if REQUIRE:
        pytest.fail(f"the test command must provide a Secret Service, got {keyring_backend_name()}")
    pytest.skip("no Secret Service in this environment (run the README's test command)")


def test_suite_keyring_is_the_secret_service_when_required() -> None:
    if not REQUIRE:
        pytest.skip("DESKTOP_AUDIT_REQUIRE_KEYRING is not set (only the test command sets it)")
    assert keyring_backend_name() == "keyring.backends.SecretService.Keyring"


def test_key_is_created_once_in_the_keyring_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    _secret_service_or_skip()
    monkeypatch.delenv(keys.BACKEND_ENV, raising=False)
    first = obtain_key(b"s" * 32)
    second = obtain_key(b"other-salt-does-not-matter-here")
    assert first.source is KeySource.KEYRING
    assert first.key == second.key
    assert len(first.key) == 32
    import secretstorage

    connection = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(connection)
    items = list(
        collection.search_items({"service": keys.KEYRING_SERVICE, "username": keys.KEYRING_USER})
    )
    assert len(items) == 1
    shown = repr(first)
    assert first.key.hex() not in shown
    assert repr(first.key) not in shown


def test_passphrase_mode_derives_a_stable_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.BACKEND_ENV, "passphrase")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "correct horse battery staple")
    a = obtain_key(b"a" * 32)
    b = obtain_key(b"a" * 32)
    c = obtain_key(b"c" * 32)
    assert a.source is KeySource.PASSPHRASE
    assert a.key == b.key
    assert a.key != c.key


def test_passphrase_from_prompt_when_no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.BACKEND_ENV, "passphrase")
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "a long enough passphrase"

    key = obtain_key(b"p" * 32, prompt=prompt)
    assert asked
    assert key.key == keys.derive_from_passphrase("a long enough passphrase", b"p" * 32)


def test_no_keyring_and_no_passphrase_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.BACKEND_ENV, "passphrase")
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    with pytest.raises(KeyUnavailableError, match=keys.PASSPHRASE_ENV):
        obtain_key(b"x" * 32)
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "short")
    with pytest.raises(KeyUnavailableError, match="at least 8"):
        obtain_key(b"x" * 32)


def test_a_started_key_is_the_obtained_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The passphrase's scrypt runs in its own thread (the scan loads rules meanwhile); the
    key waited for is the one obtain_key derives, as often as it is asked for."""
    monkeypatch.setenv(keys.BACKEND_ENV, "passphrase")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "correct horse battery")
    wait = keys.start_key(b"t" * 32)
    first, again = wait(), wait()
    assert first.key == again.key == keys.derive_from_passphrase("correct horse battery", b"t" * 32)
    assert first.source is KeySource.PASSPHRASE
    assert obtain_key(b"t" * 32).key == first.key


def test_a_passphrase_that_is_not_text_is_refused_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(keys.BACKEND_ENV, "passphrase")
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "long enough \udcff passphrase")
    with pytest.raises(KeyUnavailableError, match="not valid UTF-8") as raised:
        keys.start_key(b"u" * 32)
    assert "\udcff" not in str(raised.value) and "long enough" not in str(raised.value)


# Obtains the installation key in a fresh interpreter: says whether it is the expected one
# (by digest: the key is never printed), where keyring's choice was made, and which backends
# were imported.
_CHILD = """
import hashlib, os, sys
from desktop_audit.store import keys
key = keys.keyring_secret(keys.KEYRING_USER, "installation key")
print(hashlib.sha256(key).hexdigest() == os.environ["EXPECTED"])
print("keyring.backends.kwallet" in sys.modules, "tests.store.planted_backend" in sys.modules)
"""


def _child(expected: bytes, **env: str) -> list[str]:
    run_env = {**os.environ, "EXPECTED": hashlib.sha256(expected).hexdigest(), **env}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        env=run_env,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


def test_the_backend_holding_the_key_is_asked_directly_next_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _secret_service_or_skip()
    monkeypatch.delenv(keys.BACKEND_ENV, raising=False)
    key = obtain_key(b"s" * 32).key
    choice = keys._choice_path()
    assert choice is not None
    assert choice.read_text().strip() == "keyring.backends.SecretService.Keyring"
    # keyring's own choice imports every backend it knows (kwallet among them); the
    # remembered one is made directly
    assert _child(key) == ["True", "False", "False"]
    choice.unlink()
    assert _child(key) == ["True", "True", "False"]  # chosen by keyring, and remembered again
    assert choice.read_text().strip() == "keyring.backends.SecretService.Keyring"
    # a remembered name that is not one of keyring's own backends is never imported
    choice.write_text("tests.store.planted_backend.Keyring\n")
    mark = tmp_path / "imported"
    assert _child(key, PLANTED_MARK=str(mark)) == ["True", "True", "False"]
    assert not mark.exists()
    # a user's keyring configuration wins over the remembered choice
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "EXPECTED": "",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        },
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "no OS keyring backend is available" in done.stderr
