"""Windows Credential Manager: target names and users via ``CredEnumerateW`` (ctypes).

Only metadata is copied out of each ``CREDENTIALW`` record (target, user, type, persistence,
comment, alias); ``CredentialBlob`` is never touched, so no secret is read and no prompt
appears. :func:`items_from_records` turns the copied records into items; tests feed it
recorded records.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from desktop_audit.scan.sources.base import ScanContext
from desktop_audit.scan.sources.keychain import KeychainItem

CRED_ENUMERATE_ALL_CREDENTIALS = 0x1
ERROR_NOT_FOUND = 1168
TYPES = {
    1: "generic",
    2: "domain-password",
    3: "domain-certificate",
    4: "domain-visible-password",
    5: "generic-certificate",
    6: "domain-extended",
}
PERSIST = {1: "session", 2: "local-machine", 3: "enterprise"}
Record = Mapping[str, object]


def items_from_records(records: Iterable[Record]) -> Iterator[KeychainItem]:
    """One metadata-only item per enumerated credential (label: the target name)."""
    for record in records:
        target = str(record.get("TargetName") or "")
        if not target:
            continue
        attributes = {"target": target}
        for key, name in (("UserName", "user"), ("Comment", "comment"), ("TargetAlias", "alias")):
            value = record.get(key)
            if value:
                attributes[name] = str(value)
        kind = record.get("Type")
        if isinstance(kind, int):
            attributes["type"] = TYPES.get(kind, str(kind))
        persist = record.get("Persist")
        if isinstance(persist, int):
            attributes["persist"] = PERSIST.get(persist, str(persist))
        yield KeychainItem(target, attributes)


class _FileTime(ctypes.Structure):
    _fields_ = (("low", ctypes.c_uint32), ("high", ctypes.c_uint32))


class _Credential(ctypes.Structure):
    _fields_ = (
        ("Flags", ctypes.c_uint32),
        ("Type", ctypes.c_uint32),
        ("TargetName", ctypes.c_wchar_p),
        ("Comment", ctypes.c_wchar_p),
        ("LastWritten", _FileTime),
        ("CredentialBlobSize", ctypes.c_uint32),
        ("CredentialBlob", ctypes.c_void_p),  # never read
        ("Persist", ctypes.c_uint32),
        ("AttributeCount", ctypes.c_uint32),
        ("Attributes", ctypes.c_void_p),
        ("TargetAlias", ctypes.c_wchar_p),
        ("UserName", ctypes.c_wchar_p),
    )


def enumerate_records() -> list[dict[str, object]]:
    """Metadata of every credential of the current user (Windows only).

    Raises ``OSError`` when the API fails for another reason than "no credentials".
    """
    loader: Any = getattr(ctypes, "WinDLL", None)
    if loader is None:
        raise OSError("Credential Manager is only available on Windows")
    advapi32 = loader("advapi32", use_last_error=True)
    count = ctypes.c_uint32(0)
    array = ctypes.POINTER(ctypes.POINTER(_Credential))()
    ok = advapi32.CredEnumerateW(
        None, CRED_ENUMERATE_ALL_CREDENTIALS, ctypes.byref(count), ctypes.byref(array)
    )
    if not ok:
        code = int(getattr(ctypes, "get_last_error", lambda: 0)())
        if code == ERROR_NOT_FOUND:
            return []
        raise OSError(code, "CredEnumerateW failed")
    try:
        return [_copy(array[index].contents) for index in range(count.value)]
    finally:
        advapi32.CredFree(array)


def _copy(credential: _Credential) -> dict[str, object]:
    return {
        "TargetName": credential.TargetName,
        "UserName": credential.UserName,
        "Comment": credential.Comment,
        "TargetAlias": credential.TargetAlias,
        "Type": int(credential.Type),
        "Persist": int(credential.Persist),
    }


class WindowsCredentialBackend:
    """Items of the Windows Credential Manager (metadata only)."""

    def __init__(self, enumerate_: Callable[[], Iterable[Record]] = enumerate_records) -> None:
        self._enumerate = enumerate_

    def items(self, ctx: ScanContext, error: Callable[[str], None]) -> Iterator[KeychainItem]:
        try:
            records = list(self._enumerate())
        except OSError as exc:
            error(f"cannot enumerate Windows Credential Manager ({type(exc).__name__})")
            return
        yield from items_from_records(records)
