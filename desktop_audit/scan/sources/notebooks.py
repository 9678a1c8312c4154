"""Jupyter notebooks (``.ipynb``) as text: cell sources and outputs unescaped, line for line.

Notebook JSON as Jupyter writes it keeps every source and output line as one JSON string on
its own line. The view replaces each such line by the decoded string, so a secret written as
``key = "sk-..."`` is matched as the user typed it and keeps the line number of the file.
Embedded images (``"image/png": "<base64>"``) are blanked: they are noise for every rule.
A notebook on a single line (minified) is rebuilt cell by cell, all on line 1.
"""

from __future__ import annotations

import json
import re

_LONE_STRING = re.compile(rb'^\s*("(?:[^"\\]|\\.)*")\s*,?\s*$')
_KEYED_STRING = re.compile(
    rb'^\s*"(?:source|text|text/plain|text/markdown|text/html|application/json|evalue)"\s*:\s*'
    rb'("(?:[^"\\]|\\.)*")\s*,?\s*$'
)
_IMAGE = re.compile(rb'^\s*"image/[\w.+-]+"\s*:')


def is_notebook(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def _decode(literal: bytes) -> bytes | None:
    try:
        value = json.loads(literal)
    except ValueError:
        return None
    if not isinstance(value, str):
        return None
    return value.rstrip("\n").replace("\n", " ").encode("utf-8", "surrogatepass")


def notebook_view(data: bytes) -> bytes:
    """The notebook with its string lines decoded (same number of lines as ``data``)."""
    if data.count(b"\n") < 2:
        return _minified(data)
    out: list[bytes] = []
    for line in data.split(b"\n"):
        if _IMAGE.match(line):
            out.append(b"")
            continue
        match = _LONE_STRING.match(line) or _KEYED_STRING.match(line)
        decoded = _decode(match.group(1)) if match else None
        out.append(line if decoded is None else decoded)
    return b"\n".join(out)


def _minified(data: bytes) -> bytes:
    try:
        document = json.loads(data)
    except ValueError:
        return data
    texts: list[str] = []
    cells = document.get("cells", []) if isinstance(document, dict) else []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict):
            continue
        texts.append(_joined(cell.get("source")))
        for output in cell.get("outputs", []) or []:
            if isinstance(output, dict):
                texts.append(_joined(output.get("text")))
                payload = output.get("data")
                if isinstance(payload, dict):
                    texts.append(_joined(payload.get("text/plain")))
    return " ".join(text.replace("\n", " ") for text in texts if text).encode(
        "utf-8", "surrogatepass"
    )


def _joined(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(item for item in value if isinstance(item, str))
    return ""
