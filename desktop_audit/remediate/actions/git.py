"""Git clean-up: drop a stash entry; expire reflogs and prune unreachable objects; and, for
committed history, the git-filter-repo commands to run yourself (never run silently).

Backups: a ``git bundle`` of the stash commit; a tar of ``objects/`` and ``logs/`` before a
prune. Both are encrypted like every backup (they hold the secret).
"""

from __future__ import annotations

import io
import os
import shlex
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from desktop_audit.errors import RemediationError, StaleTargetError
from desktop_audit.models import Fragment, Origin, SourceKind
from desktop_audit.remediate.actions.base import ActionKind, Applied, Plan, SaveBackup, Scan
from desktop_audit.remediate.backups import Backup
from desktop_audit.scan.sources.discovery import common_dir, looks_like_git_dir, read_gitfile
from desktop_audit.scan.sources.gitcmd import Git, GitError

STASH_REF = "stash"
PRUNABLE_REFS = frozenset({"reflog", "unreachable"})
_BACKUP_REF = "refs/desktop-audit/backup"
_IDENTITY = ("-c", "user.name=desktop-audit", "-c", "user.email=desktop-audit@localhost")


@dataclass(frozen=True, slots=True)
class Repo:
    """A repository holding a git location: its (common) git dir and work tree, if any."""

    git_dir: Path
    work_tree: Path | None
    worktree_git_dir: Path | None = None  # the work tree's own git dir (linked worktrees)

    @property
    def git(self) -> Git:
        return Git(self.git_dir)

    def refuse_uncommitted_work(self) -> None:
        """Git clean-up never runs over uncommitted changes: the user commits or stashes first."""
        if self.work_tree is None or self.worktree_git_dir is None:
            return
        status = _run(
            Git(self.worktree_git_dir, self.work_tree),
            "status",
            "--porcelain",
            "--untracked-files=no",
        )
        if status.strip():
            raise RemediationError(
                f"{self.work_tree}: the repository has uncommitted changes; commit or stash them, "
                "then clean up again"
            )

    def inner_path(self, location_path: str) -> str | None:
        base = self.work_tree or self.git_dir
        try:
            return Path(location_path).relative_to(base).as_posix()
        except ValueError:
            return None


def find_repo(location_path: str) -> Repo:
    """The repository whose work tree (or bare directory) contains ``location_path``."""
    for candidate in Path(location_path).parents:
        dot_git = candidate / ".git"
        try:
            if dot_git.is_dir() and looks_like_git_dir(dot_git):
                return Repo(common_dir(dot_git), candidate, dot_git)
            if dot_git.is_file():
                own = read_gitfile(dot_git)
                return Repo(common_dir(own), candidate, own)
        except (OSError, ValueError):
            continue
        if looks_like_git_dir(candidate):
            return Repo(common_dir(candidate), None)
    raise RemediationError(f"{location_path}: no git repository found (moved or deleted?)")


def _run(git: Git, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        return git.run(*args, stdin=stdin)
    except GitError as exc:
        raise RemediationError(f"git {args[0]}: {exc}") from None


def stash_entries(git: Git) -> list[str]:
    """The commit of each stash entry, ``stash@{0}`` first."""
    if not _run(git, "for-each-ref", "--format=%(refname)", "refs/stash").strip():
        return []
    return _run(git, "log", "--walk-reflogs", "--format=%H", "refs/stash").decode().split()


def _stash_commits(git: Git, commit: str) -> list[str]:
    """The stash commit and its index / untracked parents (where a stashed blob lives)."""
    parents = _run(git, "log", "-1", "--format=%P", commit).decode().split()
    return [commit, *parents[1:]]


def _holds(git: Git, scan: Scan, commit: str, inner: str, finding_id: str) -> bool:
    try:
        data = git.run("cat-file", "blob", f"{commit}:{inner}")
    except GitError:
        return False
    origin = Origin(SourceKind.GIT_HISTORY, path=git.git_dir, inner_path=inner, commit=commit)
    return any(h.finding_id == finding_id for h in scan(Fragment(data, origin)))


def find_stash_entry(
    repo: Repo, scan: Scan, commit: str | None, location_path: str, finding_id: str
) -> tuple[int, str]:
    """(n, commit) of the ``stash@{n}`` holding the blob: by commit, else by rescanning it."""
    git = repo.git
    entries = stash_entries(git)
    related = [_stash_commits(git, c) for c in entries]
    for index, commits in enumerate(related):
        if commit in commits:
            return index, entries[index]
    inner = repo.inner_path(location_path)
    if inner is not None:
        for index, commits in enumerate(related):
            if any(_holds(git, scan, c, inner, finding_id) for c in commits):
                return index, entries[index]
    raise RemediationError(f"{location_path}: no stash entry holds this credential (rescan)")


def plan_drop_stash(
    scan: Scan,
    finding_id: str,
    location_id: int | None,
    location_path: str,
    commit: str | None,
) -> Plan:
    repo = find_repo(location_path)
    repo.refuse_uncommitted_work()
    index, stash = find_stash_entry(repo, scan, commit, location_path, finding_id)
    subject = _run(repo.git, "log", "-1", "--format=%gs", f"stash@{{{index}}}").decode().strip()
    changes = (f"- git stash drop stash@{{{index}}} ({stash[:12]}: {subject[:80]})",)
    warnings = (
        "the dropped commit stays in .git/objects until pruned: "
        "clean the 'unreachable' location next (prune-unreachable)",
    )
    params = {"git_dir": str(repo.git_dir), "index": index, "commit": stash, "subject": subject}
    return Plan(
        ActionKind.DROP_STASH, finding_id, location_id, str(repo.work_tree or repo.git_dir),
        changes, params, warnings,
    )  # fmt: skip


class DropStash:
    """``git stash drop`` after a bundle of the entry; undo stores it back (as stash@{0})."""

    def apply(self, plan: Plan, save: SaveBackup) -> Applied:
        git = Git(Path(plan.params["git_dir"]))
        index, commit = int(plan.params["index"]), str(plan.params["commit"])
        entries = stash_entries(git)
        if index >= len(entries) or entries[index] != commit:
            raise StaleTargetError("the stash changed since the preview; preview again")
        _run(git, "update-ref", _BACKUP_REF, commit)
        try:
            bundle = _run(git, "bundle", "create", "-", _BACKUP_REF)
        finally:
            _run(git, "update-ref", "-d", _BACKUP_REF)
        meta = {"git_dir": str(git.git_dir), "commit": commit, "subject": plan.params["subject"]}
        save(Backup(str(ActionKind.DROP_STASH), meta, {"bundle": bundle}))
        _run(git, "stash", "drop", f"stash@{{{index}}}")
        return Applied(f"dropped stash@{{{index}}} in {git.git_dir}", dict(meta))

    def undo(self, backup: Backup, details: Mapping[str, Any]) -> None:
        git = Git(Path(details["git_dir"]))
        _run(git, "bundle", "unbundle", "/dev/stdin", stdin=backup.blobs["bundle"])
        commit, subject = str(backup.meta["commit"]), str(backup.meta["subject"])
        _run(git, *_IDENTITY, "stash", "store", "-m", subject, commit)


# ---------------------------------------------------------------- reflogs + unreachable
def _reflog_refs(git: Git) -> list[str]:
    """Every ref with a reflog except ``refs/stash`` (stash entries are kept)."""
    logs = git.git_dir / "logs"
    refs = []
    for root, _dirs, files in os.walk(logs):
        for name in files:
            ref = Path(root, name).relative_to(logs).as_posix()
            if ref != "refs/stash":
                refs.append(ref)
    return sorted(refs)


def plan_prune(finding_id: str, location_id: int | None, location_path: str, ref: str) -> Plan:
    repo = find_repo(location_path)
    repo.refuse_uncommitted_work()
    changes = (
        "- git reflog expire --expire-unreachable=now <every ref but refs/stash>",
        "- git gc --prune=now",
        f"  in {repo.git_dir}",
    )
    warnings = (
        f"the blob is only in a {ref}: this removes EVERY unreachable commit and object of the "
        "repository, not only this credential (recoverable with undo until the backup expires)",
    )
    params = {"git_dir": str(repo.git_dir)}
    return Plan(
        ActionKind.PRUNE_UNREACHABLE, finding_id, location_id, str(repo.work_tree or repo.git_dir),
        changes, params, warnings,
    )  # fmt: skip


def _tar(git_dir: Path, parts: tuple[str, ...]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for part in parts:
            if (git_dir / part).exists():
                tar.add(git_dir / part, arcname=part)
    return buffer.getvalue()


def _restore_tar(git_dir: Path, blob: bytes) -> None:
    """Put back missing objects and every reflog from a backup tar (regular files only)."""
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r") as tar:
        for member in tar.getmembers():
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts or name.parts[0] not in ("objects", "logs"):
                raise RemediationError("backup archive has an unexpected entry; not restored")
            target = git_dir.joinpath(*name.parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if not member.isfile() or (name.parts[0] == "objects" and target.exists()):
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.chmod(0o600)
            target.write_bytes(handle.read())
            target.chmod(member.mode & 0o777)


class PruneUnreachable:
    """Expire reflogs (but the stash) and ``gc --prune=now``; undo puts objects and logs back."""

    def apply(self, plan: Plan, save: SaveBackup) -> Applied:
        git = Git(Path(plan.params["git_dir"]))
        meta = {"git_dir": str(git.git_dir)}
        save(
            Backup(
                str(ActionKind.PRUNE_UNREACHABLE),
                meta,
                {"tar": _tar(git.git_dir, ("objects", "logs"))},
            )
        )
        refs = _reflog_refs(git)
        if refs:
            _run(git, "reflog", "expire", "--expire-unreachable=now", *refs)
        _run(git, "gc", "--prune=now", "--quiet")
        return Applied(f"expired reflogs and pruned unreachable objects in {git.git_dir}", meta)

    def undo(self, backup: Backup, details: Mapping[str, Any]) -> None:
        _restore_tar(Path(details["git_dir"]), backup.blobs["tar"])


# ---------------------------------------------------------------- committed history
def committed_file(repo: Repo, inner: str, commit: str | None) -> str:
    """The path of the file ``inner`` lies in at ``commit``: ``inner`` itself, or, for a
    member of an archive or document committed there (``backup.zip/app/.env``), the
    archive's path (``backup.zip``)."""
    if commit is None:
        return inner
    parts = inner.split("/")
    for end in range(len(parts), 0, -1):
        candidate = "/".join(parts[:end])
        try:
            kind = repo.git.run("cat-file", "-t", f"{commit}:{candidate}").strip()
        except GitError:
            continue
        if kind == b"blob":
            return candidate
    return inner


def plan_rewrite_history(
    finding_id: str,
    location_id: int | None,
    location_path: str,
    ref: str | None,
    preview: str,
    commit: str | None = None,
) -> Plan:
    """Instructions only: the git-filter-repo commands and the warning about remotes."""
    repo = find_repo(location_path)
    member = repo.inner_path(location_path)
    inner = committed_file(repo, member, commit) if member else "<PATH IN REPOSITORY>"
    where = shlex.quote(str(repo.work_tree or repo.git_dir))
    instructions = (
        "# 1. Revoke the credential first: rewriting history does not make a leaked secret safe.",
        f"cd {where}",
        "git bundle create ../before-filter-repo.bundle --all   # your own backup",
        "# 2a. Drop the file from every commit:",
        f"git filter-repo --sensitive-data-removal --invert-paths --path {shlex.quote(inner)}",
        "# 2b. Or replace only the value: write `literal:<THE SECRET>==>***REMOVED***` into a",
        "#     file you create yourself (never let a tool store it), then shred it afterwards:",
        "git filter-repo --sensitive-data-removal --replace-text <EXPRESSIONS FILE>",
        "# 3. Coordinate with the repository's owner before force-pushing the rewritten refs.",
    )
    inside = (
        (f"the credential is inside {inner} ({member[len(inner) + 1 :]}): the whole file goes",)
        if member and member != inner
        else ()
    )
    warnings = (
        f"the credential ({preview}) is in committed history ({ref or 'a ref'}): "
        "desktop-audit never rewrites history itself",
        *inside,
        "every remote, fork, clone, CI cache and pull-request ref keeps the old commits: a "
        "rewrite only helps after revocation, and the hosting provider may need to purge caches",
    )
    return Plan(
        ActionKind.REWRITE_HISTORY, finding_id, location_id, str(repo.work_tree or repo.git_dir),
        (f"- {inner} in {ref or 'history'}",), {}, warnings, instructions, manual=True,
    )  # fmt: skip
