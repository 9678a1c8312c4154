"""Re-run the detector on one file to find which lines hold a finding (the store has no secret).

A file is matched as the scan matched it: the raw bytes, each history decoding (which keeps
line numbers) and the base64 values some formats hide (reported at their encoded line).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from desktop_audit.models import Fragment, Hit, Origin, SourceKind
from desktop_audit.remediate.actions.base import Scan
from desktop_audit.scan.sources.decoders import decode_for
from desktop_audit.scan.sources.fragments import guess_format
from desktop_audit.scan.sources.history import DECODERS
from desktop_audit.scan.sources.referenced import (
    ANSIBLE_VAULT,
    OPENVPN_ASKPASS,
    OPENVPN_AUTH,
    TARGET_LIMIT,
)
from desktop_audit.scan.sources.sealed import sealed_format, unsealed

MAX_SPAN_LINES = 400  # a multi-line secret (PEM key) is found within this many lines
MAX_LEAD_LINES = 3  # lines before the secret a rule may need (a PEM BEGIN line)
_DECODED_FORMATS = (None, "docker-config", "kubeconfig")


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their ``\\n`` (only ``\\n`` ends a line); ``b"".join`` gives ``data`` back."""
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _variants(data: bytes, source: SourceKind) -> list[bytes]:
    variants = [data]
    if source is SourceKind.SHELL_HISTORY:
        for decode in DECODERS.values():
            decoded = decode(data)
            if decoded not in variants:
                variants.append(decoded)
    return variants


def fragments(path: Path, source: SourceKind, data: bytes) -> Iterator[Fragment]:
    """Whole-file fragments (one per decoding) and fixed-line fragments of decoded values; a
    sealed file (DBeaver's credentials, MySQL's login paths) as the text it holds."""
    sealed = sealed_format(path)
    if sealed is not None:
        text = unsealed(sealed, data)
        if text:
            yield Fragment(text, Origin(source, path=path, file_format=sealed))
        return
    origin = Origin(source, path=path, file_format=guess_format(path))
    for variant in _variants(data, source):
        yield Fragment(variant, origin)
    # A credential file a config names was read with the format the config gave it, which its
    # name does not tell: a small file is also read as each such format (only the finding
    # asked about counts, so reading more ways finds nothing else).
    named = len(data) <= TARGET_LIMIT
    for file_format in (OPENVPN_AUTH, OPENVPN_ASKPASS) if named else ():
        if origin.file_format != file_format:
            yield Fragment(data, dataclasses.replace(origin, file_format=file_format))
    seen: set[tuple[int, bytes]] = set()
    extra = (ANSIBLE_VAULT,) if named else ()
    for file_format in {*_DECODED_FORMATS, guess_format(path), *extra}:
        for line, value in decode_for(file_format, data):
            if (line, value) not in seen:
                seen.add((line, value))
                yield Fragment(value, dataclasses.replace(origin, line_base=line, fixed_line=True))


def finding_hits(
    scan: Scan, path: Path, source: SourceKind, data: bytes, finding_id: str
) -> list[Hit]:
    """Every hit of ``finding_id`` in the file's content."""
    return [h for f in fragments(path, source, data) for h in scan(f) if h.finding_id == finding_id]


def finding_lines(
    scan: Scan, path: Path, source: SourceKind, data: bytes, finding_id: str
) -> tuple[set[int], list[Hit]]:
    """0-based indexes of the lines holding ``finding_id`` (multi-line secrets: every line).

    A hit gives the secret's first line; the span grows line by line until the detector finds
    the same finding in it. Raises ``LookupError`` when a span cannot be isolated.
    """
    raw_lines = split_lines(data)
    lines: set[int] = set()
    hits: list[Hit] = []
    for fragment in fragments(path, source, data):
        for hit in scan(fragment):
            if hit.finding_id != finding_id or hit.line is None:
                continue
            hits.append(hit)
            if fragment.origin.fixed_line or fragment.origin.file_format == OPENVPN_AUTH:
                # Read as a credential file a config names, the secret is its password line
                # (line 1, the user name, is context only): that line goes, nothing before it.
                lines.add(hit.line - 1)
                continue
            variant_lines = split_lines(fragment.data)
            if len(variant_lines) != len(raw_lines):
                lines.add(hit.line - 1)
                continue
            lines.update(_span(scan, variant_lines, fragment.origin, hit.line - 1, finding_id))
    return lines, hits


def _span(scan: Scan, lines: list[bytes], origin: Origin, first: int, finding_id: str) -> range:
    """The smallest run of lines from (at most ``MAX_LEAD_LINES`` before) ``first`` down that
    still holds the finding (a PEM key's secret starts below its BEGIN line)."""
    for start in range(first, max(-1, first - MAX_LEAD_LINES - 1), -1):
        for end in range(first + 1, min(len(lines), first + MAX_SPAN_LINES) + 1):
            piece = Fragment(
                b"".join(lines[start:end]), dataclasses.replace(origin, line_base=start)
            )
            if any(h.finding_id == finding_id for h in scan(piece)):
                return range(start, end)
    raise LookupError(f"line {first + 1}: the credential's lines cannot be isolated")


def without_lines(data: bytes, remove: set[int]) -> bytes:
    """``data`` without the lines in ``remove``; every other byte unchanged."""
    return b"".join(line for i, line in enumerate(split_lines(data)) if i not in remove)
