"""Remediation commands: ``guide``, ``clean``, ``undo``, ``check``, ``backups``.

Wire-up (cli.py): ``cli_remediate.register(sub)`` in ``build_parser`` and
``handlers.update(cli_remediate.HANDLERS)`` in ``main``. Output never holds a secret.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_audit.errors import UsageError

if TYPE_CHECKING:
    from desktop_audit.app.remediation import Remediation

EXIT_OK = 0
EXIT_LIVE = 1  # check: the credential still works / clean: declined or manual
EXIT_ERROR = 2
ACTIONS = (
    "remove-lines",
    "delete-file",
    "delete-keychain-item",
    "drop-stash",
    "prune-unreachable",
    "rewrite-history",
)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="database file (default: in the user data dir)")
    parser.add_argument("--profile", type=Path, help="engagement profile (guides, client rules)")


def register(sub: Any) -> None:
    """Add the remediation subcommands to ``build_parser``'s subparsers object."""
    guide = sub.add_parser("guide", help="the provider's revocation guide for a finding")
    guide.add_argument("finding_id", metavar="FINDING_ID")
    _common(guide)

    clean = sub.add_parser("clean", help="remove a finding's local copy (preview, backup, undo)")
    clean.add_argument("finding_id", metavar="FINDING_ID")
    clean.add_argument("--location", type=int, metavar="N", help="which location (1-based)")
    clean.add_argument("--action", choices=ACTIONS, help="override the recommended action")
    clean.add_argument("--dry-run", action="store_true", help="show the preview only")
    clean.add_argument("--yes", action="store_true", help="apply without asking")
    _common(clean)

    undo = sub.add_parser("undo", help="restore what a clean-up action changed")
    undo.add_argument("action_id", metavar="ACTION_ID")
    _common(undo)

    check = sub.add_parser("check", help="ask the provider whether a credential still works")
    check.add_argument("finding_id", metavar="FINDING_ID")
    check.add_argument(
        "--online", action="store_true", required=True, help="required: contacts the provider"
    )
    _common(check)

    backups = sub.add_parser("backups", help="shred clean-up backups")
    group = backups.add_mutually_exclusive_group(required=True)
    group.add_argument("--prune", action="store_true", help="shred backups past retention")
    group.add_argument("--forget", action="store_true", help="shred every backup now (final)")
    backups.add_argument("--days", type=int, default=30, help="retention for --prune (days)")
    _common(backups)


def _prompt(text: str) -> str:
    return getpass.getpass(text) if sys.stdin.isatty() else ""


def _remediation(args: argparse.Namespace) -> Remediation:
    from desktop_audit.app.remediation import Remediation  # noqa: PLC0415  (keeps --help fast)
    from desktop_audit.app.service import AuditService  # noqa: PLC0415

    service = AuditService(db_path=args.db, prompt=_prompt)
    return Remediation(service, profile_path=args.profile)


def _cmd_guide(args: argparse.Namespace) -> int:
    from desktop_audit.remediate.guides import as_text  # noqa: PLC0415

    remediation = _remediation(args)
    try:
        print(as_text(remediation.guide(args.finding_id)), end="")
    finally:
        remediation.service.close()
    return EXIT_OK


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise UsageError("not a terminal: confirm with --yes (or preview with --dry-run)")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _cmd_clean(args: argparse.Namespace) -> int:
    from desktop_audit.app.remediation import ActionKind  # noqa: PLC0415

    remediation = _remediation(args)
    try:
        kind = ActionKind(args.action) if args.action else None
        plan = remediation.plan(args.finding_id, args.location, kind)
        print(plan.preview())
        if plan.manual:
            print("manual: run the commands above yourself after revoking the credential")
            return EXIT_LIVE
        if args.dry_run:
            print("dry run: nothing changed")
            return EXIT_OK
        if not args.yes and not _confirm("Apply this change?"):
            print("nothing changed")
            return EXIT_LIVE
        outcome = remediation.apply(plan)
        verification = outcome.verification
        print(outcome.summary)
        state = "gone" if verification.gone else "still present"
        left = "no copy left" if verification.finding_gone else "copies left elsewhere"
        print(f"rescan: location {state}; finding: {left}")
        print(f"action: {outcome.action_id}")
    finally:
        remediation.service.close()
    return EXIT_OK


def _cmd_undo(args: argparse.Namespace) -> int:
    remediation = _remediation(args)
    try:
        record = remediation.undo(args.action_id)
    finally:
        remediation.service.close()
    print(f"undone: {record.summary}")
    print(f"action: {record.id}")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    remediation = _remediation(args)
    try:
        result = remediation.check(args.finding_id)
    finally:
        remediation.service.close()
    print(result.note)
    return EXIT_LIVE if result.verdict == "valid" else EXIT_OK


def _cmd_backups(args: argparse.Namespace) -> int:
    remediation = _remediation(args)
    try:
        count = (
            remediation.forget_backups() if args.forget else remediation.prune_backups(args.days)
        )
    finally:
        remediation.service.close()
    print(f"shredded {count} backup(s)")
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "guide": _cmd_guide,
    "clean": _cmd_clean,
    "undo": _cmd_undo,
    "check": _cmd_check,
    "backups": _cmd_backups,
}
