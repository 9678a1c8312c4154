"""CLI subcommands ``report``, ``verify`` and ``fleet``, and the sarif/csv finding exports.

``cli.py`` calls :func:`register` while building its parser and dispatches to ``args.handler``
(also listed in :data:`HANDLERS`). Exit codes: report 0; verify 0 valid, 1 invalid,
2 unreadable; fleet 0 all valid, 1 some not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_audit.errors import UsageError

if TYPE_CHECKING:
    from desktop_audit.models import FindingRecord

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_ERROR = 2


def register(subparsers: Any) -> None:
    """Add ``report``, ``verify`` and ``fleet`` to the main parser's subparsers."""
    report = subparsers.add_parser("report", help="sign an attestation report (JSON, PDF, HTML)")
    report.add_argument("--db", type=Path, help="database file (default: in the user data dir)")
    report.add_argument("--out", type=Path, required=True, help="signed report (JSON)")
    report.add_argument("--pdf", type=Path, help="also render a PDF")
    report.add_argument("--html", type=Path, help="also render a standalone HTML page")
    report.add_argument("--profile", type=Path, help="engagement profile (TOML) from IT")
    report.add_argument("--name", help="your full name (remembered)")
    report.add_argument("--email", help="your e-mail address (remembered)")
    report.add_argument(
        "--yes",
        "--statement-confirmed",
        dest="yes",
        action="store_true",
        help="confirm the attestation statement without being asked",
    )
    report.set_defaults(handler=cmd_report)

    verify = subparsers.add_parser("verify", help="check a report's signature and integrity")
    verify.add_argument("report", type=Path, metavar="REPORT")
    verify.add_argument("--signer", metavar="FINGERPRINT", help="require this signing key")
    verify.set_defaults(handler=cmd_verify)

    fleet = subparsers.add_parser("fleet", help="verify every report in a directory (IT)")
    fleet.add_argument("directory", type=Path, metavar="DIR")
    fleet.add_argument("--out", type=Path, help="summary.csv or summary.html")
    fleet.add_argument("--signer", metavar="FINGERPRINT", help="require this signing key")
    fleet.set_defaults(handler=cmd_fleet)


def _confirm(assume_yes: bool) -> Callable[[str], bool]:
    def confirm(statement: str) -> bool:
        print("Statement:\n")
        print(_wrap(statement))
        print()
        if assume_yes:
            print("confirmed (--yes)")
            return True
        if not sys.stdin.isatty():
            raise UsageError("confirm the statement: run interactively or pass --yes")
        answer = input("Type 'yes' to confirm and sign: ")
        return answer.strip().lower() == "yes"

    return confirm


def _wrap(text: str) -> str:
    import textwrap  # noqa: PLC0415

    return textwrap.fill(text, width=88, initial_indent="  ", subsequent_indent="  ")


def cmd_report(args: argparse.Namespace) -> int:
    from desktop_audit.app.reports import ReportRequest, ReportService  # noqa: PLC0415
    from desktop_audit.app.service import AuditService  # noqa: PLC0415
    from desktop_audit.report.signing import group_fingerprint  # noqa: PLC0415

    service = AuditService(db_path=args.db, prompt=_prompt)
    try:
        result = ReportService(service).create(
            ReportRequest(
                out=args.out,
                confirm=_confirm(args.yes),
                pdf=args.pdf,
                html=args.html,
                profile_path=args.profile,
                name=args.name,
                email=args.email,
            )
        )
    finally:
        service.close()
    for notice in result.notices:
        print(f"desktop-audit: note: {notice}", file=sys.stderr)
    summary = result.summary
    print(f"signed by   {group_fingerprint(result.fingerprint)}")
    print(f"report id   {result.attestation_id}")
    for path in result.written:
        print(f"wrote       {path}")
    print(f"findings    {summary.findings}: {summary.status_line()}")
    print(
        f"checklist   {summary.checklist_done}/{summary.checklist_total} done "
        f"({summary.checklist_percent}%)"
    )
    print(summary.verdict)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from desktop_audit.app.reports import verify_report  # noqa: PLC0415
    from desktop_audit.report.signing import group_fingerprint  # noqa: PLC0415
    from desktop_audit.report.summary import summarise  # noqa: PLC0415
    from desktop_audit.report.verify import Outcome  # noqa: PLC0415

    result = verify_report(args.report, args.signer)
    if result.outcome is Outcome.UNREADABLE:
        print(f"unreadable: {args.report}: {result.detail}", file=sys.stderr)
        return EXIT_ERROR
    if not result.valid:
        print(f"invalid: {args.report}: {result.message}")
        return EXIT_INVALID
    summary = summarise(result.content or {})
    client = f", client {summary.client}" if summary.client else ""
    print(
        f"valid: signed by {group_fingerprint(result.fingerprint or '')} "
        f"({summary.name} <{summary.email}>{client}, {summary.created_at}); "
        f"{summary.findings} findings, {summary.open} open; checklist "
        f"{summary.checklist_done}/{summary.checklist_total}"
    )
    return EXIT_OK


def cmd_fleet(args: argparse.Namespace) -> int:
    from desktop_audit.app.reports import fleet_rows, write_fleet  # noqa: PLC0415
    from desktop_audit.report.fleet import to_table  # noqa: PLC0415

    rows = fleet_rows(args.directory, args.signer)
    if args.out:
        path = write_fleet(rows, args.out)
        print(f"wrote {path}")
    else:
        sys.stdout.write(to_table(rows))
    bad = sum(1 for r in rows if not r.valid)
    print(f"{len(rows)} reports, {len(rows) - bad} valid, {bad} not valid", file=sys.stderr)
    return EXIT_INVALID if bad else EXIT_OK


def export_findings(
    fmt: str, findings: Sequence[FindingRecord], home: str | None, salt: str
) -> str:
    """``scan``/``findings --format sarif|csv``: the document as text."""
    from desktop_audit.app.reports import export_findings as export  # noqa: PLC0415

    return export(fmt, findings, home, salt)


def _prompt(text: str) -> str:
    import getpass  # noqa: PLC0415

    if not sys.stdin.isatty():
        return ""
    return getpass.getpass(text)


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "report": cmd_report,
    "verify": cmd_verify,
    "fleet": cmd_fleet,
}
