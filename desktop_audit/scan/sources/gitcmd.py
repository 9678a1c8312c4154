"""Run git on an untrusted repository: read-only, no hooks, filters, pagers, helpers or network.

Every invocation names the git directory explicitly (no discovery), ignores system and global
configuration, and overrides every repository setting that could execute a program.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from desktop_audit.errors import SourceError

HARDENING_OPTIONS: tuple[str, ...] = (
    "--no-optional-locks",
    "--no-replace-objects",
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "diff.external=",
    "-c", "core.pager=cat",
    "-c", "protocol.allow=never",
    "-c", "safe.directory=*",
    "-c", "core.untrackedCache=false",
    "-c", "core.attributesFile=/dev/null",
    "-c", "core.sshCommand=false",
    "-c", "core.askPass=false",
    "-c", "credential.helper=",
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
    "-c", "core.alternateRefsCommand=",
    "-c", "uploadpack.packObjectsHook=",
    "-c", "log.showSignature=false",
    "-c", "gpg.program=false",
    "-c", "fetch.recurseSubmodules=false",
)  # fmt: skip

_EMPTY_DIR = tempfile.gettempdir()


def hardened_env() -> dict[str, str]:
    """A minimal environment: nothing of the user's git settings leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C",
        "LANG": "C",
        "HOME": _EMPTY_DIR,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_SYSTEM": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_NO_LAZY_FETCH": "1",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "GIT_ASKPASS": "false",
        "SSH_ASKPASS": "false",
        "GIT_EDITOR": "false",
        "GIT_SSH_COMMAND": "false",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_ALLOW_PROTOCOL": "",
    }


class GitError(SourceError):
    """git failed on one repository; the message is git's first error line (no content)."""


def first_error_line(stderr: bytes, returncode: int) -> str:
    for raw in stderr.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line.startswith(("fatal:", "error:")):
            return line[:300]
    lines = [raw.strip() for raw in stderr.decode("utf-8", "replace").splitlines() if raw.strip()]
    return lines[0][:300] if lines else f"git exited with status {returncode}"


class Git:
    """A git directory (and optionally a work tree) to run hardened read-only commands on."""

    def __init__(
        self, git_dir: Path, work_tree: Path | None = None, object_dir: Path | None = None
    ) -> None:
        self.git_dir = git_dir
        self.work_tree = work_tree
        self.object_dir = object_dir  # read objects from here (a repository with a broken HEAD)

    def env(self) -> dict[str, str]:
        env = hardened_env()
        if self.object_dir is not None:
            env["GIT_OBJECT_DIRECTORY"] = str(self.object_dir)
        return env

    def argv(self, args: Sequence[str]) -> list[str]:
        argv = ["git", f"--git-dir={self.git_dir}"]
        if self.work_tree is not None:
            argv.append(f"--work-tree={self.work_tree}")
        argv.extend(HARDENING_OPTIONS)
        argv.extend(args)
        return argv

    def run(self, *args: str, stdin: bytes | None = None, timeout: float = 600) -> bytes:
        """Run to completion and return stdout; raise :class:`GitError` on failure."""
        try:
            done = subprocess.run(
                self.argv(args),
                input=stdin if stdin is not None else b"",
                capture_output=True,
                env=self.env(),
                cwd=self.work_tree or self.git_dir,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"git {args[0]} timed out after {timeout:.0f} s") from exc
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror}") from exc
        if done.returncode != 0:
            raise GitError(first_error_line(done.stderr, done.returncode))
        return done.stdout

    def popen(self, *args: str, stdin: bool = False) -> GitProcess:
        """Start a streaming command (stdout piped, stderr to a temporary file)."""
        return GitProcess(self, args, stdin=stdin)


@contextmanager
def objects_only(git_dir: Path) -> Iterator[Git]:
    """A Git reading ``git_dir``'s objects through a blank skeleton (its HEAD or refs broken)."""
    with tempfile.TemporaryDirectory(prefix="desktop-audit-git-") as skeleton:
        base = Path(skeleton)
        (base / "objects").mkdir()
        (base / "refs").mkdir()
        (base / "HEAD").write_text("ref: refs/heads/main\n", encoding="ascii")
        yield Git(base, object_dir=git_dir / "objects")


_F_SETPIPE_SZ = 1031  # Linux fcntl: set a pipe's capacity
PIPE_BYTES = 1 << 20  # the default cap for an unprivileged process (fs.pipe-max-size)


def _widen_pipe(fd: int) -> None:
    """Let git run up to 1 MB ahead of the reader (Linux; 64 KB by default), so git inflating
    objects and this process matching them overlap instead of taking turns."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        import fcntl  # noqa: PLC0415  (POSIX only)

        fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)


class GitProcess:
    """A running git command; :meth:`finish` raises :class:`GitError` when it failed."""

    def __init__(self, git: Git, args: Sequence[str], *, stdin: bool) -> None:
        self.name = args[0] if args else "git"
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()/kill()
        try:
            self.process = subprocess.Popen(
                git.argv(args),
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=git.env(),
                cwd=git.work_tree or git.git_dir,
                bufsize=1 << 20,
            )
        except OSError as exc:
            self._stderr.close()
            raise GitError(f"cannot run git: {exc.strerror}") from exc
        if self.process.stdout is not None:
            _widen_pipe(self.process.stdout.fileno())

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None  # noqa: S101 - set by Popen(stdout=PIPE)
        return self.process.stdout

    @property
    def stdin(self) -> IO[bytes]:
        assert self.process.stdin is not None  # noqa: S101 - set by Popen(stdin=PIPE)
        return self.process.stdin

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._close()

    def finish(self) -> None:
        """Wait for the end; raise :class:`GitError` with git's message on failure."""
        if self.process.stdout is not None:
            self.process.stdout.read()
        returncode = self.process.wait()
        self._stderr.seek(0)
        stderr = self._stderr.read(64 * 1024)
        self._close()
        if returncode != 0:
            raise GitError(first_error_line(stderr, returncode))

    def _close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()
        if not self._stderr.closed:
            self._stderr.close()
