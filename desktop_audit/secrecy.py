"""Keyed fingerprints, match hashes and column encryption (pure: keys are given, no I/O).

The installation key comes from :mod:`desktop_audit.store.keys`. Sub-keys are derived with
HKDF so the id key, the encryption key and the check value are independent.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
_NONCE_BYTES = 12
_FORMAT = b"\x01"


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


class Secrecy:
    """Holds the installation key's sub-keys and the database's public match salt."""

    def __init__(self, installation_key: bytes, match_salt: bytes) -> None:
        if len(installation_key) != KEY_BYTES:
            raise ValueError("installation key must be 32 bytes")
        self._id_key = _derive(installation_key, b"desktop-audit finding id v1")
        self._aead_key = _derive(installation_key, b"desktop-audit column encryption v1")
        self._aead = AESGCM(self._aead_key)
        self._check = _derive(installation_key, b"desktop-audit key check v1")
        self.match_salt = match_salt

    def __reduce__(self) -> tuple[object, tuple[bytes, bytes, bytes, bytes]]:
        """Pickled (for a detection worker process, over a pipe) as the derived sub-keys
        only, never the installation key."""
        return _restore, (self._id_key, self._aead_key, self._check, self.match_salt)

    @property
    def key_check(self) -> str:
        """A value stored in the database to recognise the right key (reveals nothing)."""
        return hashlib.sha256(self._check).hexdigest()[:32]

    def finding_id(self, rule_id: str, secret: bytes) -> str:
        """Content-derived finding id: HMAC of (rule id, secret); location is not part of it."""
        mac = hmac.new(self._id_key, rule_id.encode() + b"\x00" + secret, hashlib.sha256)
        return mac.hexdigest()[:32]

    def match_hash(self, secret: bytes) -> str:
        """HMAC-SHA256(key=public salt, msg=secret): lets an issuer recognise its credential."""
        return hmac.new(self.match_salt, secret, hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, blob: bytes, aad: bytes = b"") -> bytes:
        if not blob:
            return b""
        if blob[:1] != _FORMAT:
            raise ValueError("unknown ciphertext format")
        nonce = blob[1 : 1 + _NONCE_BYTES]
        return self._aead.decrypt(nonce, blob[1 + _NONCE_BYTES :], aad)


def _restore(id_key: bytes, aead_key: bytes, check: bytes, match_salt: bytes) -> Secrecy:
    secrecy = Secrecy.__new__(Secrecy)
    secrecy._id_key, secrecy._aead_key, secrecy._check = id_key, aead_key, check
    secrecy._aead = AESGCM(aead_key)
    secrecy.match_salt = match_salt
    return secrecy
