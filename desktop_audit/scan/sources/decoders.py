"""Reveal credentials that a file format hides in base64 (docker auths, kubeconfig key data,
Kubernetes Secret ``data:``) or in table columns (a password manager's CSV export, a
spreadsheet saved as CSV). Each decoded value keeps the 1-based line of its encoded form."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from collections.abc import Iterator

_B64 = rb"[A-Za-z0-9+/_-]{8,}={0,2}"
_DOCKER_AUTH = re.compile(rb'"auth"\s*:\s*"(' + _B64 + rb')"')
# client-key-data is not decoded here: the rule pack matches base64 PEM keys itself, and a
# second, decoded copy would make the same key two findings.
_KUBE_DATA = re.compile(rb"^\s*token-data\s*:\s*[\"']?(" + _B64 + rb")")
_SECRET_KIND = re.compile(rb"^kind:\s*[\"']?Secret\b", re.MULTILINE)
_DATA_BLOCK = re.compile(rb"^(\s*)data:\s*$")
_KEY_VALUE = re.compile(rb"^(\s*)[\w.\-]+\s*:\s*[\"']?([A-Za-z0-9+/]{4,}={0,2})[\"']?\s*$")


def _b64decode(value: bytes) -> bytes | None:
    padded = value + b"=" * (-len(value) % 4)
    try:
        if b"-" in value or b"_" in value:
            decoded = base64.urlsafe_b64decode(padded)
        else:
            decoded = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not decoded or b"\x00" in decoded:
        return None
    return decoded


def _decoded_lines(lines: list[bytes], pattern: re.Pattern[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(lines, start=1):
        for match in pattern.finditer(line):
            decoded = _b64decode(match.group(1))
            if decoded is not None:
                yield number, decoded


def docker_auths(data: bytes) -> Iterator[tuple[int, bytes]]:
    """``auths.*.auth`` (``user:password`` in base64) of docker / podman config files."""
    return _decoded_lines(data.split(b"\n"), _DOCKER_AUTH)


def kubeconfig_data(data: bytes) -> Iterator[tuple[int, bytes]]:
    """``token-data`` (a bearer token in base64) of kubeconfig files."""
    return _decoded_lines(data.split(b"\n"), _KUBE_DATA)


def k8s_secret_data(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Values under ``data:`` of Kubernetes ``kind: Secret`` manifests (YAML)."""
    if not _SECRET_KIND.search(data):
        return
    block_indent: int | None = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        start = _DATA_BLOCK.match(line)
        if start:
            block_indent = len(start.group(1))
            continue
        if block_indent is None or not line.strip():
            continue
        if len(line) - len(line.lstrip()) <= block_indent:
            block_indent = None
            continue
        match = _KEY_VALUE.match(line)
        decoded = _b64decode(match.group(2)) if match else None
        if decoded is not None:
            yield number, decoded


# Header cells naming a credential column (after lower-casing, with spaces and dashes as
# underscores): password, login_password, "API key", private_token, client_secret ...
_CREDENTIAL_COLUMN = re.compile(
    r"(?:\A|_)(?:password|passwd|pwd|passphrase|secret|token|api_?key|access_?key|private_?key)\Z"
)
MAX_TABLE_ROWS = 100_000


def _column_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def csv_credentials(data: bytes, *, tabs: bool | None = None) -> Iterator[tuple[int, bytes]]:
    """For a table whose header names credential columns (``password``, ``login_password``,
    ``API key``, ``client_secret`` ...), each row's credential cells as ``name = "value"``
    lines, so the generic assignment rules (and their filters) judge them like config.
    ``tabs``: tab-separated (None: whichever the first non-empty line holds more of)."""
    text = data.decode("utf-8", "surrogateescape").lstrip("\ufeff")
    if tabs is None:
        first = next((line for line in text.split("\n", 64) if line.strip()), "")
        tabs = first.count("\t") > first.count(",")
    dialect = "excel-tab" if tabs else "excel"
    try:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)  # a sheet may start with empty rows
        if not header:
            return
        columns = [
            (index, _column_name(cell))
            for index, cell in enumerate(header)
            if _CREDENTIAL_COLUMN.search(_column_name(cell))
        ]
        if not columns:
            return
        line = reader.line_num + 1
        for count, row in enumerate(reader):
            if count >= MAX_TABLE_ROWS:
                return
            for index, name in columns:
                value = row[index].strip() if index < len(row) else ""
                if value and "\n" not in value:
                    yield line, _assignment(name, value)
            line = reader.line_num + 1
    except csv.Error:
        return  # not a table after all: what was read stands


def _assignment(name: str, value: str) -> bytes:
    """``name = "value"`` with the value as it is (never escaped: the same password found
    elsewhere must give the same finding), quoted with whichever quote it does not hold."""
    if '"' not in value:
        line = f'{name} = "{value}"'
    elif "'" not in value:
        line = f"{name} = '{value}'"
    else:
        line = f"{name} = {value}"
    return line.encode("utf-8", "surrogateescape")


_MAX_VAULT_PASSWORD = 256


def vault_password(data: bytes) -> Iterator[tuple[int, bytes]]:
    """An Ansible vault password file's one line (the password, which nothing else names),
    as ``ansible_vault_password = "..."``; not a script that prints it (``#!``)."""
    lines = data.strip(b"\r\n").split(b"\n")
    if len(lines) != 1 or data.startswith(b"#!"):
        return
    password = lines[0].strip()  # as Ansible reads it
    if not password or len(password) > _MAX_VAULT_PASSWORD:
        return
    yield 1, _assignment("ansible_vault_password", password.decode("utf-8", "surrogateescape"))


def decode_for(file_format: str | None, data: bytes) -> Iterator[tuple[int, bytes]]:
    """Decoded values for a file format (YAML files may be Kubernetes Secret manifests)."""
    if file_format == "ansible-vault-password":
        yield from vault_password(data)
    if file_format == "csv":
        yield from csv_credentials(data)
    if file_format == "docker-config":
        yield from docker_auths(data)
    elif file_format == "kubeconfig":
        yield from kubeconfig_data(data)
    if file_format in (None, "yaml", "kubeconfig", "k8s-secret"):
        yield from k8s_secret_data(data)
