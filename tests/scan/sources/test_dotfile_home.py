"""A generated home with every catalogued dotfile format yields exactly what was planted
(real rule pack, no profile): one credential per file, identified by its match hash."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from desktop_audit.models import LocatedHit
from desktop_audit.scan.sources.catalogue import load_catalogue
from desktop_audit.scan.sources.dotfiles import DotfilesSource
from tests.scan.sources.conftest import check, make_ctx
from tests.scan.sources.detection import detector, run
from tests.scan.sources.dotfile_home import Planted, build_home

# Rule-pack gaps (reported to the rule pack's owner): planted here, not found yet.
RULE_PACK_MISSES: set[str] = set()
# Planted values whose exact matched text is chosen by the rule (keys, base64 auths).
WHOLE_BLOCKS = {
    "pem",
    "docker-config",
    "kubeconfig",
    "ssh-private-key",
    "sqlite",
    "gpg-private-key",
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Planted], dict]:
    home = tmp_path_factory.mktemp("home")
    planted = build_home(home)
    ctx = make_ctx(home)
    located = run(DotfilesSource(home), ctx, with_profile=False)
    assert ctx.errors == []
    by_path: dict[str, list[LocatedHit]] = defaultdict(list)
    for item in located:
        by_path[str(Path(item.location.path or "").relative_to(home))].append(item)
    return planted, by_path


def test_every_catalogued_format_is_in_the_home(scanned: tuple) -> None:
    planted, _ = scanned
    formats = {entry.format for entry in load_catalogue().dotfiles}
    assert formats == set(planted), formats ^ set(planted)


def test_exactly_the_planted_credentials_and_nothing_else(scanned: tuple) -> None:
    planted, by_path = scanned
    hashes = {path: {h.hit.match_hash for h in hits} for path, hits in by_path.items()}
    assert set(hashes) <= {p.path for p in planted.values()}, "a file nobody planted in hit"
    secrecy = detector(with_profile=False)._secrecy
    for fmt, plant in sorted(planted.items()):
        found = hashes.get(plant.path, set())
        if plant.secret is None or fmt in RULE_PACK_MISSES:
            assert found == set(), f"{fmt}: unexpected hits"
        elif fmt in WHOLE_BLOCKS:
            assert len(found) == 1, f"{fmt}: {len(found)} distinct matches, want 1"
        else:
            check(found == {secrecy.match_hash(plant.secret.encode())}, f"{fmt}: not exact")


def test_every_hit_is_a_credential_with_a_line(scanned: tuple) -> None:
    _planted, by_path = scanned
    for hits in by_path.values():
        for item in hits:
            assert item.hit.kind.value == "credential" and item.location.line


def test_gpg_private_key_file_is_found(scanned: tuple) -> None:
    planted, by_path = scanned
    assert by_path.get(planted["gpg-private-key"].path)


def test_base64_key_is_one_match(scanned: tuple) -> None:
    planted, by_path = scanned
    hits = by_path[planted["kubeconfig"].path]
    assert len({h.hit.match_hash for h in hits}) == 1


def test_one_rule_per_planted_credential(scanned: tuple) -> None:
    _planted, by_path = scanned
    overlaps = {
        path: sorted({h.hit.rule_id for h in hits})
        for path, hits in by_path.items()
        if len({h.hit.rule_id for h in hits}) > 1
    }
    assert overlaps == {}
