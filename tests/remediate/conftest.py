"""Fixtures: a store with a known key, a fake home, and a real scan pipeline to fill it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from desktop_audit.app.remediation import Remediation
from desktop_audit.app.service import AuditService
from desktop_audit.models import FindingRecord, ScanStatus, SourceGroup
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.engine import run_sources
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.sources.base import ScanContext
from desktop_audit.scan.sources.registry import build_sources
from desktop_audit.secrecy import Secrecy


def example(rule_id: str, index: int = 0) -> tuple[str, bytes]:
    """A rule's documented example line and the secret in it (test data from the rule pack)."""
    rule = load_ruleset(check_examples=False).by_id(rule_id)
    assert rule is not None
    line = rule.examples[index]
    match = rule.compiled.search(line.encode())
    assert match is not None
    secret = match.group("secret") if "secret" in rule.compiled.groupindex else match.group()
    return line, secret


@pytest.fixture
def secrecy() -> Secrecy:
    return Secrecy(os.urandom(32), os.urandom(32))


@pytest.fixture
def service(tmp_path: Path, secrecy: Secrecy) -> Iterator[AuditService]:
    svc = AuditService(db_path=tmp_path / "data" / "audit.db", actor="tester", _secrecy=secrecy)
    yield svc
    svc.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def remediation(service: AuditService) -> Remediation:
    return Remediation(service)


def scan_into(
    service: AuditService, home: Path, groups: Sequence[SourceGroup]
) -> list[FindingRecord]:
    """Run the real sources and detector over ``home`` and store the findings."""
    store = service.store
    detector = Detector(load_ruleset(), service.secrecy)
    ctx = ScanContext(home=home, roots=(home,))
    scan_id = store.begin_scan(
        home=home,
        roots=(home,),
        groups=tuple(groups),
        profile_sha256=None,
        ruleset_digest="test",
        tool_version="test",
    )
    located = list(run_sources(build_sources(groups, home, (home,)), detector.scan, ctx))
    store.record_hits(scan_id, home, located)
    store.finish_scan(scan_id, ScanStatus.COMPLETE, {}, ctx.errors)
    return store.findings(scan_id=scan_id)


def only(findings: list[FindingRecord], rule_id: str) -> FindingRecord:
    matching = [f for f in findings if f.rule_id == rule_id]
    if not matching:
        # One finding per secret: another rule of the same provider may have claimed it.
        provider = rule_id.split(".", 1)[0]
        matching = [f for f in findings if f.rule_id.split(".", 1)[0] == provider]
    assert len(matching) == 1
    return matching[0]
