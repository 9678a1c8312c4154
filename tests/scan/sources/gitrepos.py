"""Builders of real git repositories holding fake secrets in every kind of place."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.scan.sources.conftest import blob_id, commit_file, git

# Fake secrets (one per place); each is the whole content of one blob.
PLACES = {
    "main": "MAIN_FAKE_SECRET_a1",
    "feature": "FEATURE_FAKE_SECRET_b2",
    "tag": "TAG_ONLY_FAKE_SECRET_c3",
    "remote": "REMOTE_FAKE_SECRET_d4",
    "note": "NOTE_FAKE_SECRET_e5",
    "stash_old": "STASH_OLD_FAKE_SECRET_f6",
    "stash_new": "STASH_NEW_FAKE_SECRET_g7",
    "stash_index": "STASH_INDEX_FAKE_SECRET_h8",
    "stash_untracked": "STASH_UNTRACKED_FAKE_SECRET_i9",
    "reflog": "REFLOG_FAKE_SECRET_j0",
    "unreachable": "UNREACHABLE_FAKE_SECRET_k1",
    "dangling": "DANGLING_FAKE_SECRET_l2",
    "original": "FILTERED_FAKE_SECRET_m3",
}


@dataclass
class Fixture:
    root: Path
    repo: Path
    worktree: Path
    bare: Path
    submodule_src: Path
    blobs: dict[str, str] = field(default_factory=dict)  # place -> blob id
    commits: dict[str, str] = field(default_factory=dict)  # place -> introducing commit


def content(place: str) -> str:
    return f"token = {PLACES[place]}\n"


def build(root: Path) -> Fixture:
    repo = root / "work" / "app"
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    fx = Fixture(root, repo, root / "work" / "app-wt", root / "mirror" / "app.git", root / "libsub")
    t = 1_700_000_000
    commit_file(repo, "README.md", "# app\n", "init", t)
    # 1. unreachable: committed, reset away, reflogs expired
    fx.commits["unreachable"] = commit_file(repo, "leak.txt", content("unreachable"), "oops", t + 1)
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    git(repo, "reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
    # 2. main
    fx.commits["main"] = commit_file(repo, "config.py", content("main"), "config", t + 2)
    commit_file(repo, ".gitignore", "*.local\n", "ignore", t + 3)
    # 3. feature branch
    git(repo, "checkout", "-q", "-b", "feature")
    fx.commits["feature"] = commit_file(repo, "feature.env", content("feature"), "feat", t + 4)
    # 4. only a tag holds it (the branch is deleted)
    git(repo, "checkout", "-q", "-b", "tmp-tag", "main")
    fx.commits["tag"] = commit_file(repo, "release.cfg", content("tag"), "rel", t + 5)
    git(repo, "tag", "-a", "-m", "release", "v-only")
    # 5. only a remote-tracking ref holds it
    git(repo, "checkout", "-q", "-b", "tmp-remote", "main")
    fx.commits["remote"] = commit_file(repo, "remote.cfg", content("remote"), "rem", t + 6)
    git(repo, "update-ref", "refs/remotes/origin/gone", "HEAD")
    # 6. refs/original (as left by filter-branch)
    git(repo, "checkout", "-q", "-b", "tmp-orig", "main")
    fx.commits["original"] = commit_file(repo, "orig.cfg", content("original"), "orig", t + 7)
    git(repo, "update-ref", "refs/original/refs/heads/main", "HEAD")
    git(repo, "checkout", "-q", "main")
    git(repo, "branch", "-q", "-D", "tmp-tag", "tmp-remote", "tmp-orig")
    # 7. a note
    git(repo, "notes", "add", "-m", PLACES["note"], "HEAD")
    # 8. two stash entries; the newer one with a staged file and an untracked file
    (repo / "config.py").write_text(content("stash_old"))
    git(repo, "stash", "push", "-q", "-m", "old")
    (repo / "config.py").write_text(content("stash_new"))
    (repo / "staged.txt").write_text(content("stash_index"))
    git(repo, "add", "staged.txt")
    (repo / "scratch.txt").write_text(content("stash_untracked"))
    git(repo, "stash", "push", "-q", "-u", "-m", "new")
    # 9. reflog only
    fx.commits["reflog"] = commit_file(repo, "tmp.txt", content("reflog"), "wip", t + 8)
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    # 10. a dangling blob
    dangling = root / "dangling.txt"
    dangling.write_text(content("dangling"))
    git(repo, "hash-object", "-w", str(dangling))
    dangling.unlink()
    # work-tree files: ignored and untracked
    (repo / "creds.local").write_text("password = IGNORED_FAKE_SECRET\n")
    (repo / "todo.txt").write_text("UNTRACKED_FAKE_SECRET\n")
    git(repo, "remote", "add", "origin", "https://deploy:CONFIG_FAKE_TOKEN@git.example.invalid/app")
    # a linked worktree with an untracked .env
    git(repo, "worktree", "add", "-q", str(fx.worktree), "feature")
    (fx.worktree / ".env").write_text("WT_FAKE_SECRET=1\n")
    # a bare clone elsewhere under the root
    fx.bare.parent.mkdir(parents=True)
    git(root, "clone", "-q", "--bare", str(repo), str(fx.bare))
    # a submodule
    fx.submodule_src.mkdir()
    git(fx.submodule_src, "init", "-q")
    commit_file(fx.submodule_src, "lib.txt", "SUBMODULE_FAKE_SECRET\n", "lib", t + 9)
    git(repo, "submodule", "add", "-q", str(fx.submodule_src), "vendor-lib")
    git(repo, "commit", "-q", "-m", "submodule")
    for place in PLACES:
        fx.blobs[place] = blob_id(repo, content(place))
    fx.blobs["note"] = blob_id(repo, PLACES["note"] + "\n")
    return fx


def all_blobs(git_dir: Path) -> set[str]:
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch-all-objects",
         "--batch-check=%(objecttype) %(objectname)"],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    return {line.split()[1] for line in out.splitlines() if line.startswith("blob ")}
