"""Git clean-up on real repositories: stash drop, reflog expiry + prune, history instructions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from desktop_audit.app.remediation import ActionKind, Remediation
from desktop_audit.app.service import AuditService
from desktop_audit.errors import RemediationError
from desktop_audit.models import FindingRecord, SourceGroup
from desktop_audit.store import actions as action_store
from tests.packed import zip_bytes
from tests.remediate.conftest import example, scan_into

IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.invalid")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *IDENTITY, "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1"},
    )
    return done.stdout.strip()


def make_repo(home: Path) -> Path:
    repo = home / "work" / "app"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("app\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "init")
    return repo


def finding_at(findings: list[FindingRecord], rule_id: str, ref: str) -> tuple[FindingRecord, int]:
    provider = rule_id.split(".", 1)[0]
    for finding in findings:
        # Several rules of one provider may claim the same example; one finding results.
        if finding.rule_id.split(".", 1)[0] != provider:
            continue
        present = [r for r in finding.locations if r.present]
        for index, record in enumerate(present, start=1):
            if record.location.ref == ref:
                return finding, index
    raise AssertionError("no such location")


def test_drop_stash_then_undo_restores_the_entry(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    repo = make_repo(home)
    line, secret = example("github.pat")
    (repo / "config.env").write_text(f"{line}\n")
    git(repo, "add", "config.env")
    git(repo, "stash", "push", "-q", "-m", "wip token")
    stash_commit = git(repo, "rev-parse", "stash@{0}")
    finding, index = finding_at(scan_into(service, home, (SourceGroup.GIT,)), "github.pat", "stash")

    plan = remediation.plan(finding.id, location=index)
    assert plan.kind is ActionKind.DROP_STASH
    assert secret.decode() not in plan.preview()
    assert "stash@{0}" in plan.preview()
    outcome = remediation.apply(plan)
    assert git(repo, "stash", "list") == ""
    assert outcome.verification.gone
    record = action_store.action(service.store, outcome.action_id)
    assert record.backup_path is not None
    assert secret not in Path(record.backup_path).read_bytes()

    remediation.undo(outcome.action_id)
    assert git(repo, "rev-parse", "stash@{0}") == stash_commit
    assert git(repo, "show", "stash@{0}:config.env") == line


def test_reflog_only_commit_is_pruned_with_backup_and_undo(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    repo = make_repo(home)
    line, secret = example("openai.api-key")
    (repo / "settings.py").write_text(f"{line}\n")
    git(repo, "add", "settings.py")
    git(repo, "commit", "-q", "-m", "oops")
    leaked = git(repo, "rev-parse", "HEAD")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    finding, index = finding_at(
        scan_into(service, home, (SourceGroup.GIT,)), "openai.api-key", "reflog"
    )

    plan = remediation.plan(finding.id, location=index)
    assert plan.kind is ActionKind.PRUNE_UNREACHABLE
    assert plan.warnings
    outcome = remediation.apply(plan)
    gone = subprocess.run(["git", "-C", str(repo), "cat-file", "-e", leaked], check=False)
    assert gone.returncode != 0
    assert outcome.verification.finding_gone
    record = action_store.action(service.store, outcome.action_id)
    assert record.backup_path is not None
    assert secret not in Path(record.backup_path).read_bytes()

    remediation.undo(outcome.action_id)
    assert git(repo, "cat-file", "-t", leaked) == "commit"
    assert leaked in git(repo, "reflog", "--format=%H")
    assert git(repo, "fsck", "--no-dangling") == ""


def test_committed_history_gets_instructions_only(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    repo = make_repo(home)
    line, secret = example("github.pat")
    (repo / "deploy.sh").write_text(f"{line}\n")
    git(repo, "add", "deploy.sh")
    git(repo, "commit", "-q", "-m", "deploy")
    head = git(repo, "rev-parse", "HEAD")
    findings = scan_into(service, home, (SourceGroup.GIT,))
    finding, index = finding_at(findings, "github.pat", "refs/heads/main")

    plan = remediation.plan(finding.id, location=index)
    assert plan.manual
    text = plan.preview()
    assert "git filter-repo" in text
    assert "deploy.sh" in text
    assert "remote" in text
    assert secret.decode() not in text
    assert git(repo, "rev-parse", "HEAD") == head


def test_a_member_of_a_committed_archive_names_the_archive_for_filter_repo(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    repo = make_repo(home)
    line, secret = example("github.pat")
    (repo / "backup.zip").write_bytes(zip_bytes({"app/.env": f"{line}\n"}))
    git(repo, "add", "backup.zip")
    git(repo, "commit", "-q", "-m", "backup")
    git(repo, "rm", "-q", "backup.zip")
    git(repo, "commit", "-q", "-m", "remove the backup")
    findings = scan_into(service, home, (SourceGroup.GIT,))
    finding, index = finding_at(findings, "github.pat", "refs/heads/main")
    present = [r for r in finding.locations if r.present]
    assert present[index - 1].location.path == str(repo / "backup.zip" / "app" / ".env")

    text = remediation.plan(finding.id, location=index).preview()
    assert "--invert-paths --path backup.zip\n" in text + "\n"
    assert "inside backup.zip (app/.env)" in text
    assert secret.decode() not in text


def test_git_actions_refuse_a_repository_with_uncommitted_work(
    home: Path, service: AuditService, remediation: Remediation
) -> None:
    repo = make_repo(home)
    line, _secret = example("github.pat")
    (repo / "config.env").write_text(f"{line}\n")
    git(repo, "add", "config.env")
    git(repo, "stash", "push", "-q", "-m", "wip token")
    finding, index = finding_at(scan_into(service, home, (SourceGroup.GIT,)), "github.pat", "stash")
    (repo / "README.md").write_text("work in progress\n")
    before = git(repo, "stash", "list")

    with pytest.raises(RemediationError, match="uncommitted changes"):
        remediation.plan(finding.id, location=index)
    assert git(repo, "stash", "list") == before
    assert (repo / "README.md").read_text() == "work in progress\n"
