"""Notebooks as text: cell sources and outputs unescaped, each on its line of the file."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.notebooks import notebook_view
from tests.scan.sources.conftest import make_ctx
from tests.scan.sources.detection import run

TOKEN = "ghp_" + "Zq8vR2mXp4TnW7yBc3LkH9sD1fG6jQ2wE5rT"


def notebook() -> dict[str, object]:
    return {
        "cells": [
            {"cell_type": "code", "metadata": {}, "execution_count": 1,
             "source": ["import os\n", f'client = Github("{TOKEN}")\n'],
             "outputs": [{"output_type": "stream", "name": "stdout",
                          "text": ["connected to api.example-labs.example\n"]},
                         {"output_type": "display_data", "metadata": {},
                          "data": {"image/png": "iVBORw0KGgo" + "A" * 400}}]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip


def test_view_keeps_lines_and_unescapes_strings() -> None:
    raw = json.dumps(notebook(), indent=1).encode()
    view = notebook_view(raw)
    assert view.count(b"\n") == raw.count(b"\n")
    lines = view.split(b"\n")
    at = next(i for i, line in enumerate(raw.split(b"\n")) if b"Github" in line)
    assert lines[at].strip() == f'client = Github("{TOKEN}")'.encode()
    assert b"iVBORw0KGgo" not in view


def test_notebook_secrets_and_endpoints_are_found_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "analysis.ipynb"
    raw = json.dumps(notebook(), indent=1)
    path.write_text(raw)
    (tmp_path / "min.ipynb").write_text(json.dumps(notebook()))
    ctx = make_ctx(tmp_path)
    located = run(FilesSource([tmp_path]), ctx)
    token_line = next(i for i, line in enumerate(raw.splitlines(), 1) if "Github" in line)
    found = {(Path(h.location.path or "").name, h.hit.rule_id, h.location.line) for h in located}
    assert ("analysis.ipynb", "github.pat", token_line) in found, found
    assert ("min.ipynb", "github.pat", 1) in found, found
    assert any(h.hit.kind.value == "endpoint" for h in located)
    assert ctx.stat("files").counters["notebooks"] == 2


def test_minified_and_malformed_notebooks() -> None:
    assert TOKEN.encode() in notebook_view(json.dumps(notebook()).encode())
    assert notebook_view(b"{not json") == b"{not json"
