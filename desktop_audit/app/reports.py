"""Report, verify, fleet and finding exports: the application side of ``report/``.

The front ends call these; they never build documents themselves. Signing needs the store
(person, findings, checklist, key salt); verifying and the fleet view need no database.
"""

from __future__ import annotations

import getpass
import os
import platform
import re
import secrets
import socket
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from desktop_audit.errors import UsageError
from desktop_audit.profile import ChecklistItem, Profile, load_profile
from desktop_audit.report import csv_export, fleet, html, pdf, sarif
from desktop_audit.report.attestation import (
    AttestationInput,
    ChecklistEntry,
    Machine,
    Person,
    ProfileIdentity,
    build_content,
    document_bytes,
    sign_content,
    statement_text,
)
from desktop_audit.report.signing import SigningKey, normalise_fingerprint, obtain_signing_key
from desktop_audit.report.summary import Summary, summarise
from desktop_audit.report.verify import Verification, verify_path

if TYPE_CHECKING:
    from desktop_audit.models import FindingRecord
    from desktop_audit.store import Store
    from desktop_audit.store.keys import PassphrasePrompt

META_NAME = "person_name"
META_EMAIL = "person_email"
EXPORT_FORMATS = ("sarif", "csv")
_EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ReportHost(Protocol):
    """What signing needs from :class:`~desktop_audit.app.service.AuditService`."""

    @property
    def store(self) -> Store: ...

    @property
    def prompt(self) -> PassphrasePrompt | None: ...

    def checklist_items(self, profile: Profile | None = None) -> list[ChecklistItem]: ...


def machine_info() -> Machine:
    """This machine: host name, OS (with distribution when known) and login user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    system = f"{platform.system()} {platform.release()}".strip()
    try:
        distro = platform.freedesktop_os_release().get("PRETTY_NAME", "")
    except OSError:
        distro = ""
    return Machine(socket.gethostname(), f"{system} ({distro})" if distro else system, user)


def _utcnow() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def check_person(name: str, email: str) -> Person:
    """Validate a name and an e-mail address (UsageError naming the flag)."""
    name, email = name.strip(), email.strip()
    if not name or len(name) > 200 or _CONTROL.search(name):
        raise UsageError("--name: give your full name (1-200 printable characters)")
    if len(email) > 254 or not _EMAIL.match(email):
        raise UsageError(f"--email {email!r}: not an e-mail address")
    return Person(name, email)


@dataclass(frozen=True)
class ReportRequest:
    """What to produce. ``confirm`` sees the statement and says whether the user agrees."""

    out: Path
    confirm: Callable[[str], bool]
    pdf: Path | None = None
    html: Path | None = None
    profile_path: Path | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ReportResult:
    """The signed report: where it went, who signed, and a summary for the terminal."""

    attestation_id: str
    written: tuple[Path, ...]
    fingerprint: str
    content_sha256: str
    summary: Summary
    notices: tuple[str, ...] = ()


@dataclass
class ReportService:
    """Builds, signs and writes attestation reports from one database."""

    host: ReportHost
    machine: Machine = field(default_factory=machine_info)
    signing_key: SigningKey | None = None
    clock: Callable[[], str] = _utcnow

    # ------------------------------------------------------------------ person
    def person(self) -> Person | None:
        """The remembered signer identity, if any."""
        name = self.host.store.get_meta(META_NAME)
        email = self.host.store.get_meta(META_EMAIL)
        return Person(name, email) if name and email else None

    def remember_person(self, name: str | None, email: str | None) -> Person:
        """Store the given name/e-mail (once given they are remembered) and return the person."""
        known = self.person()
        name = name if name is not None else (known.name if known else None)
        email = email if email is not None else (known.email if known else None)
        if not name or not email:
            raise UsageError("who signs? give --name and --email once (they are remembered)")
        person = check_person(name, email)
        if person != known:
            self.host.store.set_meta(META_NAME, person.name)
            self.host.store.set_meta(META_EMAIL, person.email)
        return person

    def key(self) -> SigningKey:
        if self.signing_key is None:
            store = self.host.store
            self.signing_key = obtain_signing_key(store.kdf_salt(), prompt=self.host.prompt)
        return self.signing_key

    # ---------------------------------------------------------------- building
    def _checklist(self, profile: Profile | None) -> list[ChecklistEntry]:
        builtin = {item.id for item in self.host.checklist_items(None)}
        answers = self.host.store.checklist_answers()
        entries = []
        for item in self.host.checklist_items(profile):
            done, note, at = answers.get(item.id, (False, "", None))
            origin = "builtin" if item.id in builtin else "profile"
            entries.append(ChecklistEntry(item.id, item.text, origin, done, note, at))
        return entries

    def gather(self, person: Person, profile: Profile | None) -> tuple[AttestationInput, list[str]]:
        """The attestation's input from the store, and notices for the user."""
        store = self.host.store
        scans = store.scans(limit=100_000)
        notices: list[str] = []
        used = {s.profile_sha256 for s in scans if s.profile_sha256}
        if profile is None and used:
            notices.append(
                "the scans used an engagement profile; pass --profile so the report names the "
                "client and includes its checklist"
            )
        elif profile is not None and used and profile.sha256 not in used:
            notices.append(f"{profile.source_path}: no scan used this version of the profile")
        identity = None
        if profile is not None:
            identity = ProfileIdentity(
                profile.client, profile.contract_id, profile.security_contact, profile.sha256
            )
        data = AttestationInput(
            attestation_id=secrets.token_hex(16),
            created_at=self.clock(),
            person=person,
            machine=self.machine,
            profile=identity,
            scans=scans,
            findings=store.findings(),
            checklist=self._checklist(profile),
            match_salt=store.match_salt().hex(),
            home=scans[0].home if scans else None,
        )
        return data, notices

    def create(self, request: ReportRequest) -> ReportResult:
        """Confirm the statement, sign, write JSON (+ PDF/HTML) and record the attestation."""
        person = self.remember_person(request.name, request.email)
        profile = load_profile(request.profile_path) if request.profile_path else None
        data, notices = self.gather(person, profile)
        text = statement_text(person, data.machine, data.profile, data.created_at[:10])
        if not request.confirm(text):
            raise UsageError("the statement was not confirmed; nothing was signed")
        key = self.key()
        if key.notice:
            notices.append(key.notice)
        document = sign_content(build_content(data, key), key)
        written = [_write(request.out, document_bytes(document))]
        if request.html is not None:
            written.append(_write(request.html, html.render(document).encode("utf-8")))
        if request.pdf is not None:
            written.append(_write(request.pdf, pdf.render(document)))
        digest = document["signature"]["content_sha256"]
        self.host.store.add_attestation(
            data.attestation_id, str(request.out.absolute()), digest, key.fingerprint
        )
        return ReportResult(
            data.attestation_id,
            tuple(written),
            key.fingerprint,
            digest,
            summarise(document["attestation"]),
            tuple(notices),
        )


def _write(path: Path, data: bytes) -> Path:
    """Write atomically (temp file + rename) so a half-written report never exists."""
    target = path.expanduser().absolute()
    if target.is_dir():
        raise UsageError(f"{path}: is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write ({exc.strerror})") from None
    return target


# ------------------------------------------------------------- verify and fleet
def verify_report(path: Path, signer: str | None = None) -> Verification:
    """Verify one report; ``signer`` pins the expected key fingerprint (any grouping)."""
    pinned = normalise_fingerprint(signer) if signer else None
    return verify_path(path, pinned)


def fleet_rows(directory: Path, signer: str | None = None) -> list[fleet.FleetRow]:
    """Verify every ``*.json`` report in a directory (IT's view)."""
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    pinned = normalise_fingerprint(signer) if signer else None
    return fleet.verify_directory(directory, pinned)


def write_fleet(rows: Sequence[fleet.FleetRow], out: Path) -> Path:
    """``summary.csv`` or ``summary.html`` by the file's suffix."""
    suffix = out.suffix.lower()
    if suffix == ".csv":
        return _write(out, fleet.to_csv(rows).encode("utf-8"))
    if suffix in (".html", ".htm"):
        return _write(out, fleet.to_html(rows).encode("utf-8"))
    raise UsageError(f"--out {out}: use a .csv or .html file name")


# ----------------------------------------------------------------- exports
def export_findings(
    fmt: str, findings: Sequence[FindingRecord], home: str | None, salt: str
) -> str:
    """Findings as SARIF 2.1.0 or CSV text (redacted previews only)."""
    if fmt == "sarif":
        return sarif.dumps(sarif.sarif_dict(findings, home, salt))
    if fmt == "csv":
        return csv_export.to_csv(findings, home)
    raise UsageError(f"unknown export format {fmt!r} (use one of {', '.join(EXPORT_FORMATS)})")
