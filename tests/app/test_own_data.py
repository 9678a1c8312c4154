"""desktop-audit never reads its own data (database, backups, logs) as part of the home."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_audit.app.service import AuditService, ScanRequest
from desktop_audit.models import SourceGroup

STRIPE = 'STRIPE_KEY="sk_live_' + 'Zr8Qm2Kx7Wc4Np9Lb3Vt6Hd1"\n'  # made up


def test_the_store_and_logs_under_the_home_are_not_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / "project").mkdir(parents=True)
    (home / "project" / ".env").write_text(STRIPE, encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    elsewhere = home / "audit-copy.db"  # a --db inside the home, outside the data directory
    for db in (None, elsewhere):
        service = AuditService(db_path=db) if db else AuditService()
        request = ScanRequest(home=home, groups=(SourceGroup.FILES,), reuse=False)
        for _ in range(2):  # the second scan finds the first one's store on disk
            outcome = service.scan(request)
            places = [loc.location.path or "" for f in outcome.findings for loc in f.locations]
            assert places and all(p.endswith("project/.env") for p in places), places
            assert outcome.scan.stats.get("files", {}).get("databases", 0) == 0
        service.close()
    assert (home / ".local" / "share" / "desktop-audit" / "audit.db").is_file()
    assert elsewhere.is_file()


def test_a_bad_rules_file_is_reported_before_anything_is_opened_or_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's rules are checked first: no database is created and no passphrase is asked
    for a scan that cannot start."""
    from desktop_audit.errors import RuleError
    from desktop_audit.store import keys

    monkeypatch.setenv(keys.BACKEND_ENV, "passphrase")
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    asked: list[str] = []
    rules = tmp_path / "mine.toml"
    rules.write_text("[[rules]]\nid = 'mine.broken'\nregex = '(unclosed'\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    db = tmp_path / "audit.db"
    service = AuditService(db_path=db, prompt=lambda text: asked.append(text) or "x" * 12)
    with pytest.raises(RuleError):
        service.scan(ScanRequest(home=home, groups=(SourceGroup.FILES,), extra_rule_files=(rules,)))
    assert not db.exists()
    assert asked == []
