"""Recall on the leaky-repo benchmark (git bundle + expected-secrets table in the shared corpus).

The bundle is cloned into ``tmp_path``; every file of HEAD is scanned by the Detector as a file
fragment. A file counts as found when it has at least one credential hit; a risk line counts
as found when at least one credential hit lies on it. The table gives risk lines per file, so
per file we count ``min(lines hit, risk lines)``. Only counts are asserted or written (to
``/tmp/desktop-audit-leaky-metrics.json``); never a secret.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from desktop_audit.models import FindingKind, Fragment, Origin, SourceKind
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.secrecy import Secrecy
from tests.corpus import CORPUS_DIR

CORPUS = CORPUS_DIR
BUNDLE = CORPUS / "leaky-repo.bundle"
EXPECTED = CORPUS / "leaky-repo.expected.json"
METRICS = Path("/tmp/desktop-audit-leaky-metrics.json")

pytestmark = [
    pytest.mark.skipif(
        not (BUNDLE.exists() and EXPECTED.exists()), reason="leaky-repo fixture not present"
    ),
    pytest.mark.skipif(shutil.which("git") is None, reason="git not installed"),
]


def _clone(target: Path) -> Path:
    repo = target / "leaky-repo"
    subprocess.run(
        ["git", "clone", "--quiet", str(BUNDLE), str(repo)],
        check=True,
        capture_output=True,
        env={"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(target), "PATH": "/usr/bin:/bin"},
    )
    return repo


def _head_files(repo: Path) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z"], check=True, capture_output=True
    ).stdout
    return [p for p in out.decode().split("\0") if p]


def _measure(tmp: Path) -> dict[str, Any]:
    repo = _clone(tmp)
    table = json.loads(EXPECTED.read_text(encoding="utf-8"))["files"]
    risk = {entry["path"]: int(entry["risk_lines"]) for entry in table}
    listed = set(risk)
    detector = Detector(load_ruleset(), Secrecy(b"k" * 32, b"leaky-repo-salt1"))
    lines_hit: dict[str, set[int]] = {}
    for rel in _head_files(repo):
        path = repo / rel
        if not path.is_file():
            continue
        origin = Origin(SourceKind.FILE, path)
        hits = detector.scan(Fragment(path.read_bytes(), origin))
        lines = {h.line for h in hits if h.kind == FindingKind.CREDENTIAL and h.line is not None}
        if lines:
            lines_hit[rel] = lines
    risk_files = [p for p, n in risk.items() if n > 0]
    counts = {
        "risk_files": len(risk_files),
        "risk_files_found": sum(1 for p in risk_files if p in lines_hit),
        "risk_lines": sum(risk.values()),
        "risk_lines_found": sum(min(len(lines_hit.get(p, ())), n) for p, n in risk.items()),
        "files_flagged_outside_table": sum(1 for p in lines_hit if p not in listed),
    }
    result = {
        "counts": counts,
        "missed_files": sorted(p for p in risk_files if p not in lines_hit),
        "outside_table": sorted(p for p in lines_hit if p not in listed),
        "short_files": sorted(p for p, n in risk.items() if 0 < len(lines_hit.get(p, ())) < n),
    }
    METRICS.write_text(json.dumps(result, indent=2, sort_keys=True), encoding="utf-8")
    return result


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _measure(tmp_path_factory.mktemp("leaky"))


def test_table_shape(leaky: dict[str, Any]) -> None:
    assert leaky["counts"]["risk_files"] == 42
    assert leaky["counts"]["risk_lines"] == 96


def test_risk_files_found(leaky: dict[str, Any]) -> None:
    assert leaky["counts"]["risk_files_found"] >= 40, leaky["counts"]


def test_risk_lines_found(leaky: dict[str, Any]) -> None:
    assert leaky["counts"]["risk_lines_found"] >= 85, leaky["counts"]


def test_few_files_flagged_outside_table(leaky: dict[str, Any]) -> None:
    assert leaky["counts"]["files_flagged_outside_table"] <= 2, leaky["counts"]
