"""DBeaver's saved connection credentials (``<project>/.dbeaver/credentials-config.json``).

DBeaver keeps the user names and passwords of saved connections (and of their SSH tunnels and
proxies) as JSON encrypted with AES-128-CBC under a key published in its own source, the
16-byte IV first; its documentation says anyone holding the file can read them. So the file is
as good as plain text to whoever copies it, and is read here as the JSON it holds: decrypted
in memory only, handed to the rules like any other text, never written anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

FILE_NAME = "credentials-config.json"
# DBeaver's LOCAL_KEY_CACHE (BaseProjectImpl, formerly DefaultSecureStorage): public, by design.
_KEY = bytes.fromhex("babb4a9f774ab853c96c2d653dfe544a")
_BLOCK = 16


def is_dbeaver_credentials(path: Path) -> bool:
    """``.dbeaver/credentials-config.json`` in a DBeaver project folder."""
    return path.name == FILE_NAME and path.parent.name == ".dbeaver"


def dbeaver_credentials(data: bytes) -> bytes | None:
    """The JSON a DBeaver credentials file holds, one field per line; None when ``data`` is
    not one (not whole AES blocks, bad padding, not a JSON object: a master-password
    protected or damaged file)."""
    if len(data) < 2 * _BLOCK or len(data) % _BLOCK:
        return None
    decryptor = Cipher(algorithms.AES(_KEY), modes.CBC(data[:_BLOCK])).decryptor()
    padded = decryptor.update(data[_BLOCK:]) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        document = json.loads(plain)
        if not isinstance(document, dict):
            return None
        return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):  # bad padding, not UTF-8 or JSON, nested too deep
        return None
