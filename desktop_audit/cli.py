"""The ``desktop-audit`` command line (DESIGN.md "CLI (contract)").

Exit codes: 0 success / no open finding, 1 open findings (scan, findings), 2 usage or fatal
error. Expected errors print one line; ``--verbose`` adds details; never a secret.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from desktop_audit import __version__, cli_remediate, cli_report
from desktop_audit.errors import AuditError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from desktop_audit.app.service import AuditService

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

FORMATS = ("table", "json", "sarif", "csv")
STATUSES = ("open", "revoked", "removed", "false_positive", "accepted")

log = logging.getLogger("desktop_audit")


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="database file (default: in the user data dir)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-audit",
        description="Find, revoke and prove the removal of credentials left on this machine.",
    )
    parser.add_argument("--version", action="version", version=f"desktop-audit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show details on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = sub.add_parser("scan", help="scan this machine and store the findings")
    scan.add_argument("--home", type=Path, default=Path.home(), help="home directory to audit")
    scan.add_argument(
        "--root", type=Path, action="append", default=[], help="tree to search (repeatable)"
    )
    scan.add_argument("--profile", type=Path, help="engagement profile (TOML) from IT")
    scan.add_argument("--rules", type=Path, action="append", default=[], help="extra rule file")
    scan.add_argument(
        "--full",
        action="store_true",
        help="read every file and git object again, even those an earlier scan with the same"
        " rules read unchanged (default: incremental)",
    )
    _add_db(scan)
    for group in ("git", "dotfiles", "history", "files", "keychain"):
        scan.add_argument(f"--no-{group}", action="store_true", help=f"skip {group}")
    scan.add_argument("--format", choices=FORMATS, default="table")
    scan.add_argument("--output", type=Path, help="write the result to FILE instead of stdout")
    scan.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="live progress on stderr (default: when stderr is a terminal)",
    )

    findings = sub.add_parser("findings", help="list stored findings")
    _add_db(findings)
    findings.add_argument("--status", choices=STATUSES, action="append", default=[])
    findings.add_argument("--format", choices=FORMATS, default="table")
    findings.add_argument("--output", type=Path)

    resolve = sub.add_parser("resolve", help="record what was done about a finding")
    resolve.add_argument("finding_ids", metavar="FINDING_ID", nargs="*")
    resolve.add_argument(
        "--open-at",
        metavar="SEVERITY",
        choices=("critical", "high", "medium", "low", "info"),
        help="also every open finding of this severity",
    )
    resolve.add_argument(
        "--example-values",
        action="store_true",
        help="also every open finding reported as looking like an example value",
    )
    resolve.add_argument("--status", choices=STATUSES, required=True)
    resolve.add_argument("--note", default="", help="why (required for false_positive/accepted)")
    _add_db(resolve)

    show = sub.add_parser("show", help="one finding: locations and status history")
    show.add_argument("finding_id", metavar="FINDING_ID")
    _add_db(show)

    rules = sub.add_parser("rules", help="list the rules or test rule files")
    rules_sub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    rules_sub.add_parser("list", help="list every rule")
    rules_test = rules_sub.add_parser("test", help="check rules' examples (built-in or FILE)")
    rules_test.add_argument("file", type=Path, nargs="?", help="a rule file or a profile")

    gui = sub.add_parser("gui", help="start the desktop app (default)")
    _add_db(gui)
    gui.add_argument("--profile", type=Path)
    gui.add_argument(
        "--page", choices=("overview", "scan", "findings", "checklist", "report"), default=None
    )
    gui.add_argument("--screenshot", type=Path, help="render the page at 1280x800 to a PNG, exit")
    cli_remediate.register(sub)
    cli_report.register(sub)
    return parser


def _names_as_bytes() -> None:
    """Print a file name that is not UTF-8 as its bytes (as ``ls`` does) instead of failing
    on it in a UTF-8 locale."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")


def main(argv: Sequence[str] | None = None) -> int:
    _names_as_bytes()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="desktop-audit: %(levelname)s: %(message)s",
    )
    command = args.command or "gui"
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "scan": _cmd_scan,
        "findings": _cmd_findings,
        "resolve": _cmd_resolve,
        "show": _cmd_show,
        "rules": _cmd_rules,
        "gui": _cmd_gui,
        **cli_remediate.HANDLERS,
        **cli_report.HANDLERS,
    }
    try:
        return handlers[command](args)
    except AuditError as exc:
        print(f"desktop-audit: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("desktop-audit: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"desktop-audit: error:{where}: {exc.strerror or type(exc).__name__}", file=sys.stderr
        )
        return EXIT_ERROR
    except Exception as exc:
        from desktop_audit.app.paths import log_dir  # noqa: PLC0415
        from desktop_audit.crashlog import write_crash_log  # noqa: PLC0415

        path = write_crash_log(exc, log_dir())
        print(
            f"desktop-audit: internal error ({type(exc).__name__}); a crash log without secrets "
            f"is at {path}",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _prompt(text: str) -> str:
    if not sys.stdin.isatty():
        return ""
    return getpass.getpass(text)


def _service(db: Path | None) -> AuditService:
    from desktop_audit.app.service import AuditService  # noqa: PLC0415  (keeps --help fast)

    return AuditService(db_path=db, prompt=_prompt)


def _console(stderr: bool = False) -> Console:
    from rich.console import Console  # noqa: PLC0415

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output {output}: {exc.strerror}") from None


def _cmd_scan(args: argparse.Namespace) -> int:
    from desktop_audit.app.service import ScanRequest  # noqa: PLC0415
    from desktop_audit.models import ScanStatus, SourceGroup  # noqa: PLC0415
    from desktop_audit.progress import CancelToken  # noqa: PLC0415
    from desktop_audit.report import scan_json  # noqa: PLC0415

    groups = tuple(g for g in SourceGroup if not getattr(args, f"no_{g.value}"))
    request = ScanRequest(
        home=args.home,
        roots=tuple(args.root),
        groups=groups,
        profile_path=args.profile,
        extra_rule_files=tuple(args.rules),
        reuse=not args.full,
    )
    service = _service(args.db)
    cancel = CancelToken()
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        if show_progress:  # rich is imported only for a terminal to draw on
            from desktop_audit.terminal import LiveProgress  # noqa: PLC0415

            with LiveProgress(_console(stderr=True), True) as progress:
                outcome = service.scan(request, progress=progress, cancel=cancel)
        else:
            outcome = service.scan(request, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
        service.close()
    if service.key_notice:
        print(f"desktop-audit: note: {service.key_notice}", file=sys.stderr)
    if args.format == "json":
        document = scan_json.scan_dict(outcome.scan, outcome.findings, outcome.match_salt)
        _emit(scan_json.dumps(document), args.output)
    elif args.format in ("sarif", "csv"):
        text = cli_report.export_findings(
            args.format, outcome.findings, outcome.scan.home, outcome.match_salt
        )
        _emit(text, args.output)
    else:
        from desktop_audit.terminal import findings_table, scan_summary  # noqa: PLC0415

        console = _console()
        if args.output:
            console = _file_console(args.output)
        console.print(findings_table(outcome.findings, outcome.scan.home))
        console.print(scan_summary(outcome.scan, outcome.findings))
    for error in outcome.scan.errors[:20]:
        where = scan_json.display_path(error.path, outcome.scan.home) or "-"
        print(f"desktop-audit: {error.source}: {where}: {error.message}", file=sys.stderr)
    if len(outcome.scan.errors) > 20:
        print(f"desktop-audit: ... {len(outcome.scan.errors) - 20} more problems", file=sys.stderr)
    if outcome.scan.status is ScanStatus.CANCELLED:
        print(
            f"desktop-audit: scan cancelled; {len(outcome.findings)} findings kept "
            f"(scan {outcome.scan.id})",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_FINDINGS if outcome.open_findings else EXIT_OK


def _file_console(path: Path) -> Console:
    from rich.console import Console  # noqa: PLC0415

    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output {path}: {exc.strerror}") from None
    return Console(file=handle, width=160, highlight=False)


def _cmd_findings(args: argparse.Namespace) -> int:
    from desktop_audit.models import Status  # noqa: PLC0415
    from desktop_audit.report import scan_json  # noqa: PLC0415
    from desktop_audit.terminal import findings_table  # noqa: PLC0415

    service = _service(args.db)
    try:
        statuses = [Status(s) for s in args.status]
        findings = service.findings(statuses)
        last = service.last_scan()
        home = last.home if last else None
        salt = service.match_salt()
    finally:
        service.close()
    if args.format == "json":
        _emit(scan_json.dumps(scan_json.findings_dict(findings, home)), args.output)
    elif args.format in ("sarif", "csv"):
        _emit(cli_report.export_findings(args.format, findings, home, salt), args.output)
    else:
        console = _file_console(args.output) if args.output else _console()
        console.print(findings_table(findings, home))
    return EXIT_FINDINGS if any(f.status is Status.OPEN for f in findings) else EXIT_OK


def _cmd_resolve(args: argparse.Namespace) -> int:
    from desktop_audit.models import Severity, Status  # noqa: PLC0415
    from desktop_audit.store.queries import FindingFilter  # noqa: PLC0415

    if not (args.finding_ids or args.open_at or args.example_values):
        raise UsageError(
            "name the findings (FINDING_ID ...) or choose them with --open-at or --example-values"
        )
    service = _service(args.db)
    try:
        # ids or unique prefixes; a finding named twice (id and prefix) is decided once
        named = dict.fromkeys(service.finding(i).id for i in args.finding_ids)
        if args.open_at:
            chosen = FindingFilter(severities=(Severity(args.open_at),), statuses=(Status.OPEN,))
            named.update(dict.fromkeys(service.finding_ids(chosen)))
        if args.example_values:
            named.update(dict.fromkeys(_open_example_values(service)))
        ids = list(named)
        if len(ids) == 1:
            event = service.resolve(ids[0], Status(args.status), args.note)
            print(f"{ids[0]}: {event.status} at {event.at} by {event.actor}")
        else:
            count = service.resolve_many(ids, Status(args.status), args.note)
            print(f"{count} finding{'s' if count != 1 else ''}: {args.status}")
    finally:
        service.close()
    return EXIT_OK


def _open_example_values(service: AuditService) -> list[str]:
    """Ids of the open findings reported at info as looking like an example value."""
    from desktop_audit.models import Severity, Status  # noqa: PLC0415
    from desktop_audit.scan.detector import EXAMPLE_TITLE  # noqa: PLC0415
    from desktop_audit.store.queries import FindingFilter  # noqa: PLC0415

    chosen = FindingFilter(severities=(Severity.INFO,), statuses=(Status.OPEN,))
    rows = service.finding_rows(service.finding_ids(chosen))
    return [i for i, row in rows.items() if row.title.endswith(EXAMPLE_TITLE)]


def _cmd_show(args: argparse.Namespace) -> int:
    from desktop_audit.report.scan_json import display_path  # noqa: PLC0415

    service = _service(args.db)
    try:
        finding = service.finding(args.finding_id)
        last = service.last_scan()
        contexts = {r.id: service.context(r.id) for r in finding.locations}
    finally:
        service.close()
    home = last.home if last else None
    print(f"{finding.title}  [{finding.severity}]  {finding.status}")
    print(f"  id        {finding.id}")
    print(f"  rule      {finding.rule_id} ({finding.provider})")
    print(f"  preview   {finding.redacted}")
    print(f"  guide     {finding.guide}")
    print("  locations")
    for record in finding.locations:
        loc = record.location
        where = display_path(loc.path, home) or loc.keychain_item or "-"
        extra = "".join(
            f" {label}={value}"
            for label, value in (("line", loc.line), ("commit", loc.commit), ("ref", loc.ref))
            if value
        )
        gone = "" if record.present else "  (gone)"
        print(f"    [{loc.source}] {where}{extra}{gone}")
        if contexts.get(record.id):
            for line in contexts[record.id].splitlines()[:5]:
                print(f"        | {line}")
    print("  history")
    for event in finding.events:
        note = f" - {event.note}" if event.note else ""
        print(f"    {event.at} {event.status} by {event.actor}{note}")
    return EXIT_OK


def _cmd_rules(args: argparse.Namespace) -> int:
    from desktop_audit.scan.rules.loader import check_rules, load_ruleset  # noqa: PLC0415

    if args.rules_command == "list":
        ruleset = load_ruleset()
        for rule in ruleset.rules:
            print(f"{rule.id:<45} {rule.severity:<9} {rule.name}")
        print(f"{len(ruleset.rules)} rules, digest {ruleset.digest[:16]}")
        return EXIT_OK
    from desktop_audit.scan.rules.loader import rules_from_file  # noqa: PLC0415

    rules = rules_from_file(args.file) if args.file else load_ruleset().rules
    problems = check_rules(rules)
    for problem in problems:
        print(f"FAIL {problem}")
    print(f"{len(rules)} rules checked, {len(problems)} problems")
    return EXIT_FINDINGS if problems else EXIT_OK


def _cmd_gui(args: argparse.Namespace) -> int:
    from desktop_audit.gui.main import run_gui  # noqa: PLC0415

    return run_gui(
        db=getattr(args, "db", None),
        profile=getattr(args, "profile", None),
        page=getattr(args, "page", None),
        screenshot=getattr(args, "screenshot", None),
    )
