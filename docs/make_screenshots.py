"""Make the README's screenshots: a demo home with fake credentials, scanned into a temp
database with the example profile, some findings resolved and checklist items ticked, then
every page rendered with ``desktop-audit gui --screenshot`` (1280x800, no display needed).

    .venv/bin/python docs/make_screenshots.py [--out docs/screenshots] [--keep DIR]

All credentials are random and fake; the database and home live in a temp directory.
"""

from __future__ import annotations

import argparse
import os
import secrets
import string
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_audit.app.reports import ReportService  # noqa: E402
from desktop_audit.app.service import AuditService, ScanRequest  # noqa: E402
from desktop_audit.models import Severity, Status  # noqa: E402
from tests.planted import build_home, git  # noqa: E402

PAGES = ("overview", "scan", "findings", "checklist", "report")
PROFILE = ROOT / "resources" / "profiles" / "example-profile.toml"
DEMO_ENV = {
    "DESKTOP_AUDIT_KEY_BACKEND": "passphrase",
    "DESKTOP_AUDIT_PASSPHRASE": "demo-screenshots-passphrase",
}


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def build_demo_home(root: Path) -> Path:
    """tests/planted.py's home plus a few more sources: npm, Slack, client endpoints."""
    home = build_home(root).home
    (home / ".npmrc").write_text(f"//registry.npmjs.org/:_authToken=npm_{_rand(36)}\n")
    notes = home / "Documents" / "handover-notes.md"
    notes.parent.mkdir(parents=True)
    notes.write_text(
        "# Handover\n\n"
        "Staging is at https://eval-7f3k.corp.example/ (VPN 10.20.4.17).\n"
        f"Slack bot for alerts: xoxb-{_rand(11, string.digits)}-{_rand(12, string.digits)}-"
        f"{_rand(24)}\n"
        f"Evaluation token: EXE_TOKEN=exe_{_rand(32)}\n"
        "Ask bluefin team before touching prod.\n"
    )
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".zsh_history").write_text(
        f": 1714000000:0;export OPENAI_API_KEY=sk-proj-{_rand(48)}\n: 1714000100:0;ls\n"
    )
    repo = home / "work" / "app"
    (repo / "deploy.sh").write_text("#!/bin/sh\nssh deploy@example-labs.example ./release\n")
    git(repo, "add", "deploy.sh")
    git(repo, "commit", "-q", "-m", "deploy script")
    return home


def prepare_db(db: Path, home: Path) -> None:
    service = AuditService(db_path=db)
    try:
        outcome = service.scan(ScanRequest(home=home, profile_path=PROFILE))
        findings = sorted(outcome.findings, key=lambda f: f.id)
        done = 0
        for finding in findings:
            if finding.severity is Severity.CRITICAL and finding.provider == "aws" and done < 2:
                service.resolve(finding.id, Status.REVOKED, "Deleted the key in the AWS console")
                done += 1
        for finding in findings:
            if finding.kind.value == "endpoint":
                service.resolve(finding.id, Status.ACCEPTED, "Public host name, no access")
                break
        service.set_checklist_answer("sso-sign-out", True, "Signed out in Firefox and Chrome")
        service.set_checklist_answer("vpn-profiles", True)
        service.set_checklist_answer("vpn", True, "Removed the WireGuard profile")
        ReportService(service).remember_person("Alex Morgan", "alex.morgan@contractor.example")
    finally:
        service.close()


def render(db: Path, page: str, out: Path, workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env.update(DEMO_ENV)
    env["XDG_CONFIG_HOME"] = str(workdir / "config")  # fresh settings: default geometry, theme
    env["HOME"] = str(workdir / "home")  # the Scan page shows the demo home
    command = [sys.executable, "-m", "desktop_audit", "gui", "--db", str(db)]
    command += ["--profile", str(PROFILE), "--page", page, "--screenshot", str(out)]
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    print(f"wrote {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", type=Path, help="build the demo here and keep it")
    parser.add_argument("--page", choices=PAGES, action="append", help="only these pages")
    args = parser.parse_args()
    os.environ.update(DEMO_ENV)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="desktop-audit-demo-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "audit.db"
        if not db.exists():
            prepare_db(db, build_demo_home(work))
        for page in args.page or PAGES:
            render(db, page, args.out / f"{page}.png", work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
