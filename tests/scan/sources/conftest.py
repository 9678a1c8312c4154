"""Fixtures for the sources: real git repositories and a scan context in ``tmp_path``."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import string
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from desktop_audit.models import Fragment
from desktop_audit.progress import ProgressEvent
from desktop_audit.scan.sources.base import ScanContext, Source

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
    "GIT_TERMINAL_PROMPT": "0",
}


def random_password(length: int = 14, symbols: str = "!#&*+-=?@^_") -> str:
    """A fresh password as a generator makes one: a letter first, a digit last, letters,
    digits and ``symbols`` between. (Passwords drawn fully at random over printable ASCII,
    as a store may hold them, are tested in test_store_passwords.py.)"""
    middle = string.ascii_letters + string.digits + symbols
    inner = "".join(secrets.choice(middle) for _ in range(length - 2))
    return secrets.choice(string.ascii_letters) + inner + secrets.choice(string.digits)


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run a real git command in ``cwd`` (test set-up only) and return its stdout."""
    full_env = {**os.environ, **GIT_ENV, **(env or {})}
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"git {args[0]} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode()


def commit_file(repo: Path, rel: str, content: str, message: str, when: int = 0) -> str:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    git(repo, "add", rel)
    env = {}
    if when:
        env = {"GIT_AUTHOR_DATE": f"{when} +0000", "GIT_COMMITTER_DATE": f"{when} +0000"}
    git(repo, "commit", "-q", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD").strip()


def blob_id(repo: Path, content: str) -> str:
    return (
        subprocess.run(
            ["git", "hash-object", "--stdin"],
            input=content.encode(),
            capture_output=True,
            check=True,
            cwd=repo,
        )
        .stdout.decode()
        .strip()
    )


def tree_digest(root: Path) -> str:
    """Hash of every path's type, mode, mtime, size and content under ``root`` (incl. .git)."""
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(directory) / name
            st = path.lstat()
            digest.update(f"{path}|{st.st_mode:o}|{st.st_mtime_ns}|{st.st_size}\n".encode())
            if stat.S_ISREG(st.st_mode):
                digest.update(path.read_bytes())
            elif stat.S_ISLNK(st.st_mode):
                digest.update(str(path.readlink()).encode())
    return digest.hexdigest()


def check(condition: bool, what: str) -> None:
    """Assert without pytest printing the (fake) secret values being compared."""
    assert condition, what


def make_ctx(home: Path, roots: Iterable[Path] = ()) -> ScanContext:
    events: list[ProgressEvent] = []
    ctx = ScanContext(home=home, roots=tuple(roots) or (home,), progress=events.append)
    ctx.events = events  # type: ignore[attr-defined]
    return ctx


def collect(source: Source, ctx: ScanContext) -> list[Fragment]:
    return list(source.iter_fragments(ctx))


@pytest.fixture
def scan() -> Callable[[Source, ScanContext], list[Fragment]]:
    return collect


def write_file(path: Path, data: str | bytes) -> Path:
    """``data`` written to ``path`` (its folders made); the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty home folder under the test's temporary directory."""
    path = tmp_path / "home"
    path.mkdir()
    return path
