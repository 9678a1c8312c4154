"""AuditService: scan, list, resolve and inspect, for the CLI and the GUI alike.

The front ends never touch the store, the detector or the sources directly. Long calls take a
plain-Python progress callback and a cancel token, so the GUI can run them in a worker.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import logging
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_audit import __version__
from desktop_audit.app import paths
from desktop_audit.app.paths import default_db_path
from desktop_audit.errors import StoreError, UsageError, WrongKeyError
from desktop_audit.models import (
    EventRecord,
    FindingRecord,
    Fragment,
    Hit,
    LocatedHit,
    ScanRecord,
    ScanStatus,
    SourceGroup,
    Status,
)
from desktop_audit.profile import ChecklistItem, Profile, load_profile
from desktop_audit.progress import CancelToken, ProgressCallback, no_progress
from desktop_audit.resources import resource_path
from desktop_audit.scan.engine import run_sources
from desktop_audit.scan.parallel import DetectorSpec, ParallelDetect
from desktop_audit.scan.reuse import ReuseCache, detection_digest
from desktop_audit.scan.rules.loader import RuleSet, load_ruleset
from desktop_audit.scan.sources.base import ScanContext
from desktop_audit.scan.sources.registry import build_sources
from desktop_audit.secrecy import Secrecy
from desktop_audit.store import Store
from desktop_audit.store.keys import InstallationKey, PassphrasePrompt, start_key

if TYPE_CHECKING:  # built on first need (_LazyDetector): a rescan may never load it
    from desktop_audit.scan.detector import Detector
    from desktop_audit.store import queries

log = logging.getLogger(__name__)

_BATCH = 500
_KEY_CHECK = "key_check"
_KEY_SOURCE = "key_source"


def _current_user() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


@dataclass(frozen=True)
class ScanRequest:
    """What to scan. ``roots`` default to the home; ``groups`` default to every source."""

    home: Path
    roots: tuple[Path, ...] = ()
    groups: tuple[SourceGroup, ...] = tuple(SourceGroup)
    profile_path: Path | None = None
    extra_rule_files: tuple[Path, ...] = ()
    # False: read everything again, ignoring what earlier scans remember (a full scan).
    reuse: bool = True


@dataclass(frozen=True)
class ScanOutcome:
    """A finished (complete, cancelled or failed) scan and the findings it saw."""

    scan: ScanRecord
    findings: list[FindingRecord]
    new_findings: int
    match_salt: str

    @property
    def open_findings(self) -> int:
        return sum(1 for f in self.findings if f.status is Status.OPEN)


@dataclass
class AuditService:
    """The façade. Opens the database and the installation key on first use."""

    db_path: Path | None = None
    prompt: PassphrasePrompt | None = None
    actor: str = field(default_factory=_current_user)
    _store: Store | None = None
    _secrecy: Secrecy | None = None
    key_notice: str = ""

    # ----------------------------------------------------------------- plumbing
    @property
    def database_path(self) -> Path:
        return (self.db_path or default_db_path()).expanduser().absolute()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.database_path)
        return self._store

    @property
    def secrecy(self) -> Secrecy:
        if self._secrecy is None:
            self._secrecy = self._unlock(self.store)
        return self._secrecy

    def _unlock(self, store: Store) -> Secrecy:
        return self._begin_unlock(store)()

    def _begin_unlock(self, store: Store) -> Callable[[], Secrecy]:
        """:meth:`_unlock` begun: the key is derived meanwhile (scrypt, in a thread); the
        function returned checks it against the database and gives the secrecy (call it
        from this thread: it uses ``store``)."""
        pending = start_key(store.kdf_salt(), prompt=self.prompt)
        match_salt = store.match_salt()
        return functools.partial(self._check_key, store, pending, match_salt)

    def _check_key(
        self, store: Store, pending: Callable[[], InstallationKey], match_salt: bytes
    ) -> Secrecy:
        key = pending()
        self.key_notice = key.notice
        secrecy = Secrecy(key.key, match_salt)
        expected = store.get_meta(_KEY_CHECK)
        if expected is None:
            store.set_meta(_KEY_CHECK, secrecy.key_check)
            store.set_meta(_KEY_SOURCE, str(key.source))
        elif expected != secrecy.key_check:
            origin = store.get_meta(_KEY_SOURCE) or "unknown"
            raise WrongKeyError(
                f"{store.path}: this database was created with another key (kept in: {origin}; "
                f"now using: {key.source}); use the same keyring or passphrase"
            )
        return secrecy

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # ---------------------------------------------------------------- detection
    def load_profile(self, path: Path) -> Profile:
        return load_profile(path)

    def ruleset(self, profile: Profile | None = None, extra: Sequence[Path] = ()) -> RuleSet:
        return load_ruleset(tuple(extra), profile)

    # ------------------------------------------------------------------- scans
    def scan(
        self,
        request: ScanRequest,
        progress: ProgressCallback = no_progress,
        cancel: CancelToken | None = None,
    ) -> ScanOutcome:
        """Scan, store and return the outcome; a cancelled scan keeps what it found."""
        home = _existing_dir(request.home, "--home")
        roots = tuple(_existing_dir(r, "--root") for r in request.roots) or (home,)
        profile = load_profile(request.profile_path) if request.profile_path else None
        # A user's or a profile's rules are checked before anything is opened or asked for;
        # the built-in pack (checked when shipped) loads while the key is derived.
        ruleset: RuleSet | None = None
        if request.extra_rule_files or profile is not None:
            ruleset = load_ruleset(request.extra_rule_files, profile, examples=False)
        # The scan writes through its own connection so a GUI can read meanwhile.
        store = Store.open(self.database_path)
        try:
            unlocking = self._begin_unlock(store)  # scrypt runs while rules and sources load
            if ruleset is None:
                ruleset = load_ruleset(request.extra_rule_files, profile, examples=False)
            sources = build_sources(request.groups, home, roots)
            secrecy = unlocking()
            digest = detection_digest(
                ruleset.digest,
                profile.sha256 if profile else "",
                __version__,
                _file_digest(resource_path("allowlist.toml")),
                # The catalogue's formats decide decoders and credential stores' filters.
                _file_digest(resource_path("dotfiles.toml")),
            )
            ctx = ScanContext(
                home=home,
                roots=roots,
                cancel=cancel or CancelToken(),
                progress=progress,
                reuse=store.load_reuse(digest, trust=request.reuse),
                own_dirs=_own_dirs(),
            )
            ctx.claimed_paths.update(_store_files(self.database_path))
            detect = _LazyDetector(ruleset, secrecy, profile, now=not ctx.reuse)
            scan_id = store.begin_scan(
                home=home,
                roots=roots,
                groups=request.groups,
                profile_sha256=profile.sha256 if profile else None,
                ruleset_digest=ruleset.digest,
                tool_version=__version__,
            )
            ctx.carry_over = functools.partial(store.carry_over, scan_id)
            status = ScanStatus.COMPLETE
            new = 0
            parallel: ParallelDetect | None = None
            try:
                spec = DetectorSpec(secrecy, tuple(request.extra_rule_files), profile)
                parallel = ParallelDetect(detect, spec)
                for batch in _batched(run_sources(sources, detect, ctx, parallel), _BATCH):
                    new += store.record_hits(scan_id, home, batch)
                if ctx.cancel.cancelled:
                    status = ScanStatus.CANCELLED
            except KeyboardInterrupt:
                status = ScanStatus.CANCELLED
                ctx.cancel.cancel()
            except StoreError:
                status = ScanStatus.FAILED
                raise
            finally:
                if status is not ScanStatus.FAILED and ctx.reuse is not None:
                    _save_reuse(ctx.reuse)
                stats = {name: dict(s.counters) for name, s in ctx.stats.items()}
                stats["detection"] = parallel.stats() if parallel else {"worker_processes": 0}
                if ctx.reuse is not None:
                    stats["reuse"] = {
                        "known_units": len(ctx.reuse),
                        "reused_units": ctx.reuse.reused,
                        "remembered_units": ctx.reuse.remembered,
                    }
                try:
                    coverage = [c.as_dict() for c in ctx.coverage]
                    store.finish_scan(scan_id, status, stats, ctx.errors, coverage)
                except StoreError:
                    log.warning("could not record the end of scan %s", scan_id)
            record = store.scan(scan_id)
            findings = store.findings(scan_id=scan_id)
            return ScanOutcome(record, findings, new, store.match_salt().hex())
        finally:
            store.close()

    def scans(self, limit: int = 50) -> list[ScanRecord]:
        return self.store.scans(limit)

    def last_scan(self) -> ScanRecord | None:
        return self.store.last_scan()

    def match_salt(self) -> str:
        return self.store.match_salt().hex()

    # ---------------------------------------------------------------- findings
    def findings(
        self, statuses: Sequence[Status] = (), details: bool = True
    ) -> list[FindingRecord]:
        return self.store.findings(statuses=statuses, details=details)

    def finding(self, finding_id: str) -> FindingRecord:
        return self.store.finding(finding_id)

    def context(self, location_id: int) -> str:
        """The redacted context of one location (decrypted in memory for display)."""
        blob = self.store.location_context(location_id)
        return self.secrecy.decrypt(blob).decode("utf-8", "replace") if blob else ""

    def resolve(self, finding_id: str, status: Status, note: str) -> EventRecord:
        """Record a person's decision on a finding; false positive and accepted need a note."""
        note = note.strip()
        if status.needs_note and not note:
            raise UsageError(f"status {status} needs a note saying why")
        return self.store.add_event(finding_id, status, note, self.actor)

    def counts(self) -> dict[str, dict[str, int]]:
        return self.store.counts()

    # --------------------------------------------------------------- checklist
    def set_checklist_answer(self, item_id: str, done: bool, note: str = "") -> None:
        self.store.set_checklist_answer(item_id, done, note, self.actor)

    def checklist_answers(self) -> dict[str, tuple[bool, str, str]]:
        return self.store.checklist_answers()

    # ---- GUI queries ----
    # (desktop_audit.store.queries is imported by each: a scan uses none of them.)
    def finding_ids(
        self,
        flt: queries.FindingFilter | None = None,
        sort: queries.FindingSort | None = None,
        descending: bool = True,
    ) -> list[str]:
        """Ids of the findings matching ``flt``, in display order (filtered and sorted in SQL;
        ``sort`` by default: severity)."""
        from desktop_audit.store import queries  # noqa: PLC0415

        flt = flt or queries.FindingFilter()
        sort = queries.FindingSort.SEVERITY if sort is None else sort
        return queries.finding_ids(self.store, flt, sort, descending)

    def finding_rows(self, ids: Sequence[str]) -> dict[str, queries.FindingRow]:
        """List rows for some finding ids (one page of a table)."""
        from desktop_audit.store import queries  # noqa: PLC0415

        return queries.finding_rows(self.store, ids)

    def open_by_severity(self) -> dict[str, int]:
        """Open findings per severity name (every severity present)."""
        from desktop_audit.store import queries  # noqa: PLC0415

        return {str(k): v for k, v in queries.open_by_severity(self.store).items()}

    def finding_total(self) -> int:
        from desktop_audit.store import queries  # noqa: PLC0415

        return queries.finding_total(self.store)

    def scan_total(self) -> int:
        from desktop_audit.store import queries  # noqa: PLC0415

        return queries.scan_total(self.store)

    def resolve_many(self, finding_ids: Sequence[str], status: Status, note: str) -> int:
        """Record the same decision on several findings, all or none (an unknown id changes
        nothing); returns how many findings were changed."""
        note = note.strip()
        if status.needs_note and not note:
            raise UsageError(f"status {status} needs a note saying why")
        return self.store.add_events(finding_ids, status, note, self.actor)

    def checklist_items(self, profile: Profile | None = None) -> list[ChecklistItem]:
        """The offboarding checklist: built-in items, then the engagement profile's own."""
        builtin = [
            ChecklistItem("revoke-credentials", "Revoke every open credential at its provider"),
            ChecklistItem("remove-repositories", "Remove client repositories and working copies"),
            ChecklistItem("sso-sign-out", "Sign out of client SSO sessions in every browser"),
            ChecklistItem("vpn-profiles", "Remove client VPN profiles and certificates"),
            ChecklistItem("client-data", "Delete client documents, exports and database dumps"),
        ]
        extra = list(profile.checklist) if profile else []
        seen = {item.id for item in builtin}
        return builtin + [item for item in extra if item.id not in seen]


def _existing_dir(path: Path, flag: str) -> Path:
    resolved = path.expanduser().absolute()
    if not resolved.exists():
        raise UsageError(f"{flag} {resolved}: no such directory")
    if not resolved.is_dir():
        raise UsageError(f"{flag} {resolved}: not a directory")
    return resolved


class _LazyDetector:
    """Builds the detector (hundreds of regexes) on the first fragment that needs matching:
    a rescan that finds nothing new never pays for it. A scan with nothing to reuse builds it
    ``now``, before the scan starts (it will be needed, and Ctrl-C is not held up mid-scan)."""

    def __init__(
        self, ruleset: RuleSet, secrecy: Secrecy, profile: Profile | None, *, now: bool
    ) -> None:
        self._args = (ruleset, secrecy, profile)
        self._detector: Detector | None = self._build() if now else None

    def _build(self) -> Detector:
        from desktop_audit.scan.detector import Detector  # noqa: PLC0415  (see the class)

        return Detector(*self._args)

    def __call__(self, fragment: Fragment) -> list[Hit]:
        if self._detector is None:
            self._detector = self._build()
        return self._detector.scan(fragment)


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _save_reuse(reuse: ReuseCache) -> None:
    """Keep what this scan read for the next one; losing it only costs a slower rescan."""
    try:
        reuse.flush()
    except StoreError:
        log.warning("could not remember the units this scan read")


def _batched(items: Iterable[LocatedHit], size: int) -> Iterator[list[LocatedHit]]:
    batch: list[LocatedHit] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _own_dirs() -> frozenset[Path]:
    """desktop-audit's data and log directories: never read as part of the home (the store
    holds previews and ciphertext, no secret, but its own rows would come back as noise)."""
    return frozenset({paths.data_dir(), paths.log_dir()})


def _store_files(database: Path) -> set[Path]:
    """The database in use and its journal files, wherever ``--db`` put them."""
    resolved = database.resolve()
    return {
        candidate.with_name(candidate.name + suffix)
        for candidate in {database.absolute(), resolved}
        for suffix in ("", "-wal", "-shm", "-journal")
    }
