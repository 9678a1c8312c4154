"""Check a report file: JSON, schema, canonical form, content hash, signer key, signature, pin.

Every outcome is a :class:`Verification`; nothing raises for a bad report, so the fleet view can
list problems side by side.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from desktop_audit.report.attestation import canonical_bytes, document_bytes
from desktop_audit.report.signing import (
    b64decode_strict,
    fingerprint_of,
    group_fingerprint,
    signature_is_valid,
)
from desktop_audit.resources import resource_path

MAX_REPORT_BYTES = 64 * 1024 * 1024


class Outcome(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNREADABLE = "unreadable"


class Problem(StrEnum):
    """What is wrong, as the first words of the message."""

    UNREADABLE = "unreadable"
    SCHEMA = "schema violation"
    NOT_CANONICAL = "not in canonical form"
    CONTENT_HASH = "content hash mismatch"
    KEY_MISMATCH = "signer key mismatch"
    SIGNATURE = "signature mismatch"
    SIGNER = "signer not the pinned one"


@dataclass(frozen=True)
class Verification:
    """The verdict on one report. ``content`` is the (maybe untrusted) attestation content."""

    outcome: Outcome
    problem: Problem | None = None
    detail: str = ""
    fingerprint: str | None = None
    content: dict[str, Any] | None = None

    @property
    def valid(self) -> bool:
        return self.outcome is Outcome.VALID

    @property
    def message(self) -> str:
        """``signature mismatch: ...`` (empty when valid)."""
        if self.problem is None:
            return ""
        return f"{self.problem}: {self.detail}" if self.detail else str(self.problem)


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


@cache
def _validator() -> Any:
    from jsonschema import (  # noqa: PLC0415
        Draft202012Validator,
    )

    schema = json.loads(resource_path("schema", "attestation.schema.json").read_text("utf-8"))
    return Draft202012Validator(schema)


def schema_errors(document: Any) -> list[str]:
    """Schema violations as ``$.path: message`` lines (empty when the document conforms)."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    out = []
    for error in errors:
        where = "$" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
        )
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        out.append(f"{where}: {message}")
    return out


def _unreadable(detail: str) -> Verification:
    return Verification(Outcome.UNREADABLE, Problem.UNREADABLE, detail)


def verify_bytes(data: bytes, pinned: str | None = None) -> Verification:
    """Verify a report's bytes; ``pinned`` is a normalised 64-hex fingerprint or None."""
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        return _unreadable("not UTF-8 text")
    except _DuplicateKeyError as exc:
        return Verification(Outcome.INVALID, Problem.SCHEMA, f"duplicate key {exc}")
    except json.JSONDecodeError as exc:
        return _unreadable(f"not JSON (line {exc.lineno}, column {exc.colno})")
    except RecursionError:
        return _unreadable("not JSON (nested too deeply)")
    content = document.get("attestation") if isinstance(document, dict) else None
    content = content if isinstance(content, dict) else None
    problems = schema_errors(document)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Verification(Outcome.INVALID, Problem.SCHEMA, problems[0] + more, None, content)
    content = document["attestation"]
    signature: dict[str, str] = document["signature"]
    public_raw = b64decode_strict(signature["public_key"])
    fingerprint = fingerprint_of(public_raw)

    def bad(problem: Problem, detail: str = "") -> Verification:
        return Verification(Outcome.INVALID, problem, detail, fingerprint, content)

    if data not in (document_bytes(document), document_bytes(document)[:-1]):
        return bad(Problem.NOT_CANONICAL, "the file was reformatted or edited after signing")
    payload = canonical_bytes(content)
    actual = hashlib.sha256(payload).hexdigest()
    if actual != signature["content_sha256"]:
        return bad(
            Problem.CONTENT_HASH,
            f"the content hashes to {actual[:16]}…, the signature block says "
            f"{signature['content_sha256'][:16]}…",
        )
    signer = content["signer"]
    if (
        signature["public_key"] != signer["public_key"]
        or fingerprint != signature["fingerprint"]
        or fingerprint != signer["fingerprint"]
    ):
        return bad(Problem.KEY_MISMATCH, "the signature block's key is not the signed signer key")
    if not signature_is_valid(public_raw, b64decode_strict(signature["value"]), payload):
        return bad(Problem.SIGNATURE, "the Ed25519 signature does not match the content")
    if pinned is not None and fingerprint != pinned:
        return bad(
            Problem.SIGNER,
            f"signed by {group_fingerprint(fingerprint)}, expected {group_fingerprint(pinned)}",
        )
    return Verification(Outcome.VALID, None, "", fingerprint, content)


def verify_path(path: Path, pinned: str | None = None) -> Verification:
    """Read and verify one report file (missing, unreadable or huge files are unreadable)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        return _unreadable(f"cannot read {path}: {exc.strerror or type(exc).__name__}")
    if len(data) > MAX_REPORT_BYTES:
        return _unreadable(f"larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB")
    return verify_bytes(data, pinned)
