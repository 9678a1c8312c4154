"""Remediation for the front ends: guides, clean-up (preview, apply, undo), targeted rescans,
backup retention and opt-in liveness checks. Built on an :class:`AuditService`."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from desktop_audit.app.service import AuditService
from desktop_audit.errors import LivenessError, RemediationError, UsageError
from desktop_audit.models import FindingRecord, Fragment, LocationRecord, SourceKind
from desktop_audit.pathtext import on_disk
from desktop_audit.profile import Profile
from desktop_audit.remediate import rescan
from desktop_audit.remediate.actions import files, git, keychain
from desktop_audit.remediate.actions.base import ActionKind, Applied, Handler, Plan, Scan
from desktop_audit.remediate.backups import DEFAULT_RETENTION_DAYS, Backup, BackupVault
from desktop_audit.remediate.guides import Guide, GuideBook, GuideContext, load_guides, render
from desktop_audit.remediate.liveness import (
    Credential,
    LivenessChecker,
    LivenessResult,
    provider_for,
)
from desktop_audit.remediate.secret_reader import SecretReader, nearest
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.rules.model import RuleSet
from desktop_audit.store import actions as action_store
from desktop_audit.store.actions import ActionRecord, ActionStatus
from desktop_audit.store.db import utcnow

__all__ = ["ActionKind", "ActionOutcome", "Plan", "Remediation", "Verification"]

FILE_SOURCES = frozenset(
    {
        SourceKind.FILE,
        SourceKind.DOTFILE,
        SourceKind.SHELL_HISTORY,
        SourceKind.GIT_WORKTREE,
        SourceKind.GIT_CONFIG,
    }
)

# Rules whose secret is an AWS secret access key (paired with the key id for a check).
AWS_SECRET_KEY_RULES = frozenset({"aws.secret-access-key", "aws.secret-key-camel"})


@dataclass(frozen=True, slots=True)
class Verification:
    """A targeted rescan: which locations are gone, which still hold the credential."""

    finding_id: str
    gone: tuple[int, ...]
    left: tuple[int, ...]
    finding_gone: bool


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    action_id: str
    summary: str
    verification: Verification


class Remediation:
    """Application-service functions for remediation; one instance per front-end session."""

    def __init__(
        self,
        service: AuditService,
        *,
        profile_path: Path | None = None,
        backups_dir: Path | None = None,
        keychain_connect: keychain.Connect | None = None,
        liveness: LivenessChecker | None = None,
        guides_dir: Path | None = None,
    ) -> None:
        self.service = service
        self.profile_path = profile_path
        self.backups_dir = backups_dir or service.database_path.parent / "backups"
        self._connect = keychain_connect
        self._liveness = liveness or LivenessChecker()
        self._guides_dir = guides_dir

    # ------------------------------------------------------------------ plumbing
    @cached_property
    def profile(self) -> Profile | None:
        return self.service.load_profile(self.profile_path) if self.profile_path else None

    @cached_property
    def guides(self) -> GuideBook:
        overrides: Mapping[str, Any] = self.profile.guides if self.profile else {}
        return load_guides(self._guides_dir, overrides)

    @cached_property
    def _ruleset(self) -> RuleSet:
        return self.service.ruleset(self.profile)

    @cached_property
    def _detector(self) -> Detector:
        return Detector(self._ruleset, self.service.secrecy, self.profile)

    @property
    def scan(self) -> Scan:
        return self._detector.scan

    @cached_property
    def vault(self) -> BackupVault:
        return BackupVault(self.backups_dir, self.service.secrecy)

    def _reveal(self, hit: Any) -> str:
        return self.service.secrecy.decrypt(hit.context).decode("utf-8", "replace")

    def _handlers(self) -> dict[ActionKind, Handler]:
        return {
            ActionKind.REMOVE_LINES: files.RemoveLines(),
            ActionKind.DELETE_FILE: files.DeleteFile(),
            ActionKind.DELETE_KEYCHAIN_ITEM: keychain.DeleteKeychainItem(self.scan, self._connect),
            ActionKind.DROP_STASH: git.DropStash(),
            ActionKind.PRUNE_UNREACHABLE: git.PruneUnreachable(),
        }

    # -------------------------------------------------------------------- guides
    def guide(self, finding_id: str) -> Guide:
        """The finding's revocation guide with non-secret placeholders filled."""
        finding = self.service.finding(finding_id)
        guide = self.guides.for_finding(finding.guide, finding.provider)
        paths = [r.location.path for r in finding.locations if r.present and r.location.path]
        ctx = GuideContext(
            preview=finding.redacted,
            path=paths[0] if paths else "",
            provider=finding.provider,
            rule_id=finding.rule_id,
            client=self.profile.client if self.profile else "",
            security_contact=self.profile.security_contact if self.profile else "",
        )
        return render(guide, ctx)

    # ------------------------------------------------------------------- planning
    def present_locations(self, finding: FindingRecord) -> list[LocationRecord]:
        return [r for r in finding.locations if r.present]

    def _location(self, finding: FindingRecord, index: int | None) -> LocationRecord:
        present = self.present_locations(finding)
        if not present:
            raise UsageError(f"{finding.id}: no location left on this machine")
        if index is None:
            if len(present) > 1:
                raise UsageError(
                    f"{finding.id}: {len(present)} locations; choose one with --location N"
                )
            return present[0]
        if not 1 <= index <= len(present):
            raise UsageError(f"--location {index}: choose 1 to {len(present)}")
        return present[index - 1]

    @staticmethod
    def choices(record: LocationRecord) -> tuple[ActionKind, ...]:
        """The actions possible at a location, the recommended one first."""
        loc = record.location
        if loc.source in FILE_SOURCES and loc.path:
            if files.is_key_file(on_disk(loc.path)):
                return (ActionKind.DELETE_FILE, ActionKind.REMOVE_LINES)
            return (ActionKind.REMOVE_LINES, ActionKind.DELETE_FILE)
        if loc.source is SourceKind.KEYCHAIN and loc.keychain_item is not None:
            return (ActionKind.DELETE_KEYCHAIN_ITEM,)
        if loc.source is SourceKind.GIT_HISTORY and loc.path:
            if loc.ref == git.STASH_REF:
                return (ActionKind.DROP_STASH,)
            if loc.ref in git.PRUNABLE_REFS:
                return (ActionKind.PRUNE_UNREACHABLE,)
            return (ActionKind.REWRITE_HISTORY,)
        return ()

    def plan(
        self, finding_id: str, location: int | None = None, kind: ActionKind | None = None
    ) -> Plan:
        """Preview one clean-up (nothing is changed). ``location`` is 1-based."""
        finding = self.service.finding(finding_id)
        record = self._location(finding, location)
        options = self.choices(record)
        if not options:
            raise RemediationError(
                f"{record.location.source}: no automatic clean-up; follow the guide"
            )
        chosen = kind or options[0]
        if chosen not in options:
            raise UsageError(f"--action {chosen}: choose one of {', '.join(options)}")
        return self._plan(finding, record, chosen)

    def _plan(self, finding: FindingRecord, record: LocationRecord, kind: ActionKind) -> Plan:
        loc, fid, lid = record.location, finding.id, record.id
        path = on_disk(loc.path or "")
        if kind is ActionKind.REMOVE_LINES:
            return files.plan_remove_lines(self.scan, self._reveal, fid, lid, path, loc.source)
        if kind is ActionKind.DELETE_FILE:
            return files.plan_delete_file(fid, lid, path, finding.redacted)
        if kind is ActionKind.DELETE_KEYCHAIN_ITEM:
            label = loc.keychain_item or ""
            return keychain.plan_delete_item(
                self.scan, fid, lid, label, finding.redacted, self._connect
            )
        if kind is ActionKind.DROP_STASH:
            return git.plan_drop_stash(self.scan, fid, lid, path, loc.commit)
        if kind is ActionKind.PRUNE_UNREACHABLE:
            return git.plan_prune(fid, lid, path, loc.ref or "")
        return git.plan_rewrite_history(fid, lid, path, loc.ref, finding.redacted, loc.commit)

    # -------------------------------------------------------------------- apply
    def apply(self, plan: Plan) -> ActionOutcome:
        """Back up, change, record, then rescan the location. Manual plans are refused."""
        if plan.manual:
            raise RemediationError("this clean-up is manual: run the shown commands yourself")
        action_id = secrets.token_hex(8)
        saved: list[Path] = []

        def save(backup: Backup) -> None:
            saved.append(self.vault.save(action_id, backup))

        handler = self._handlers()[plan.kind]
        try:
            applied = handler.apply(plan, save)
        except Exception as exc:
            if not saved:
                raise
            # The backup exists and the change may be partial: record it so undo can restore.
            applied = Applied(f"incomplete ({type(exc).__name__}): {plan.target}", {})
            self._record(action_id, plan, applied, saved[0])
            raise RemediationError(
                f"clean-up failed part-way; restore with: undo {action_id}"
            ) from exc
        self._record(action_id, plan, applied, saved[0] if saved else None)
        verification = self.verify(plan.finding_id, [plan.location_id] if plan.location_id else [])
        return ActionOutcome(action_id, applied.summary, verification)

    def _record(self, action_id: str, plan: Plan, applied: Applied, backup: Path | None) -> None:
        details = {"kind": str(plan.kind), **applied.details}
        record = ActionRecord(
            id=action_id,
            finding_id=plan.finding_id,
            location_id=plan.location_id,
            kind=str(plan.kind),
            status=ActionStatus.DONE,
            summary=applied.summary,
            details=details,
            backup_path=str(backup) if backup else None,
            created_at=utcnow(),
            actor=self.service.actor,
        )
        note = f"clean-up {action_id}: {applied.summary}"
        action_store.record_action(self.service.store, record, note)

    def undo(self, action_id: str) -> ActionRecord:
        """Restore what an action changed (byte-identical, same mode) from its backup."""
        record = action_store.action(self.service.store, action_id)
        if record.status is ActionStatus.UNDONE:
            raise RemediationError(f"action {record.id} was already undone")
        if record.backup_path is None or record.backup_shredded_at:
            raise RemediationError(f"action {record.id}: its backup was shredded; cannot undo")
        backup = self.vault.load(record.id, Path(record.backup_path))
        self._handlers()[ActionKind(record.kind)].undo(backup, record.details)
        action_store.mark_undone(
            self.service.store, record.id, self.service.actor, f"undo of clean-up {record.id}"
        )
        return action_store.action(self.service.store, record.id)

    def actions(self, finding_id: str) -> list[ActionRecord]:
        return action_store.actions_for(self.service.store, self.service.finding(finding_id).id)

    # ------------------------------------------------------------------ backups
    def prune_backups(
        self, retention_days: int = DEFAULT_RETENTION_DAYS, now: datetime | None = None
    ) -> int:
        """Shred backups older than the retention period; returns how many."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
        stamp = cutoff.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return self._shred(action_store.unshredded_backups(self.service.store, stamp))

    def forget_backups(self) -> int:
        """Shred every backup now (the user attests the clean-up is final)."""
        return self._shred(action_store.unshredded_backups(self.service.store))

    def _shred(self, records: list[ActionRecord]) -> int:
        for record in records:
            if record.backup_path:
                self.vault.shred(Path(record.backup_path))
            action_store.mark_shredded(self.service.store, record.id)
        return len(records)

    # ------------------------------------------------------------- verification
    def verify(self, finding_id: str, location_ids: list[int] | None = None) -> Verification:
        """Rescan the given (default: all present) locations of a finding and record absence."""
        finding = self.service.finding(finding_id)
        records = [
            r for r in finding.locations
            if r.present and (not location_ids or r.id in location_ids)
        ]  # fmt: skip
        gone = tuple(r.id for r in records if not self._still_there(finding.id, r))
        left = tuple(r.id for r in records if r.id not in gone)
        finding_gone = False
        if gone:
            finding_gone = action_store.mark_locations_gone(
                self.service.store,
                finding.id,
                gone,
                "scan",
                "no copy left on this machine (confirmed by a targeted rescan)",
            )
        return Verification(finding.id, gone, left, finding_gone)

    def _still_there(self, finding_id: str, record: LocationRecord) -> bool:
        loc = record.location
        if loc.source in FILE_SOURCES and loc.path:
            path = Path(on_disk(loc.path))
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                return False
            except OSError:
                return True  # unreadable: not confirmed gone
            return bool(rescan.finding_hits(self.scan, path, loc.source, data, finding_id))
        if loc.source is SourceKind.KEYCHAIN and loc.keychain_item is not None:
            try:
                return (
                    keychain.holding_items(self.scan, loc.keychain_item, finding_id, self._connect)
                    > 0
                )
            except RemediationError:
                return True  # Secret Service unreachable: not confirmed gone
        if loc.source is SourceKind.GIT_HISTORY and loc.path:
            return self._git_still_there(finding_id, record)
        return True

    def _git_still_there(self, finding_id: str, record: LocationRecord) -> bool:
        loc = record.location
        try:
            repo = git.find_repo(on_disk(loc.path or ""))
        except RemediationError:
            return False
        if loc.ref == git.STASH_REF:
            try:
                git.find_stash_entry(repo, self.scan, loc.commit, loc.path or "", finding_id)
            except RemediationError:
                return False
            return True
        if loc.commit is None:
            return True  # a dangling blob: only a full scan can tell
        try:
            repo.git.run("cat-file", "-e", f"{loc.commit}^{{commit}}")
        except Exception:  # GitError: the commit is gone
            return False
        return True

    # ----------------------------------------------------------------- liveness
    def check(self, finding_id: str) -> LivenessResult:
        """Opt-in: ask the provider whether the credential still works; noted in its history.

        The secret is re-read from a present file location into memory and dropped after.
        """
        finding = self.service.finding(finding_id)
        provider = provider_for(finding.rule_id)
        if provider is None:
            raise LivenessError(f"no safe liveness check for rule {finding.rule_id}")
        credential = self._credential(finding)
        result = self._liveness.check(provider, credential)
        action_store.add_note(self.service.store, finding.id, result.note, self.service.actor)
        return result

    def _credential(self, finding: FindingRecord) -> Credential:
        reader = SecretReader(self._ruleset, self.service.secrecy)
        for record in self.present_locations(finding):
            fragments = self._fragments(record)
            for found, others in reader.with_neighbours(fragments, finding.id):
                if finding.rule_id == "aws.access-key-id":
                    partner = nearest(others, AWS_SECRET_KEY_RULES, found.start)
                    if partner is not None:
                        token = nearest(others, "aws.session-token", found.start)
                        return Credential(partner, found.secret, token)
                    continue
                if finding.rule_id in AWS_SECRET_KEY_RULES:
                    key_id = nearest(others, "aws.access-key-id", found.start)
                    token = nearest(others, "aws.session-token", found.start)
                    return Credential(found.secret, key_id, token)
                return Credential(found.secret)
        raise LivenessError(f"{finding.id}: the credential was not found at any present location")

    def _fragments(self, record: LocationRecord) -> list[Fragment]:
        loc = record.location
        if loc.source in FILE_SOURCES and loc.path:
            path = Path(on_disk(loc.path))
            try:
                data = path.read_bytes()
            except OSError:
                return []
            return list(rescan.fragments(path, loc.source, data))
        return []
