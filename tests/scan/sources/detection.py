"""The real detector (shipped rule pack + the example profile) for source tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from desktop_audit.models import LocatedHit
from desktop_audit.profile import load_profile
from desktop_audit.resources import resource_path
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.engine import run_sources
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.sources.base import ScanContext, Source
from desktop_audit.secrecy import Secrecy


@cache
def detector(*, with_profile: bool = True) -> Detector:
    profile = load_profile(resource_path("profiles", "example-profile.toml"))
    return Detector(
        load_ruleset(check_examples=False),
        Secrecy(b"k" * 32, b"sources-test-salt"),
        profile if with_profile else None,
    )


def run(source: Source, ctx: ScanContext, *, with_profile: bool = True) -> list[LocatedHit]:
    """Every located hit of one source, through the engine (locate filters included)."""
    return list(run_sources([source], detector(with_profile=with_profile).scan, ctx))


def inner_places(located: list[LocatedHit]) -> set[tuple[str, str, int | None, str]]:
    """(container, part, line, provider) of each hit: ``Handover.pdf``, ``page 2``, 3,
    ``stripe``; the container is the file, the part what was read inside it."""
    return {
        (
            Path(h.location.path or "").parent.name,
            Path(h.location.path or "").name,
            h.location.line,
            h.hit.rule_id.split(".")[0],
        )
        for h in located
    }
