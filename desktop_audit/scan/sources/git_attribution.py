"""Attribute blobs that hit to (path in the repository, introducing commit, kind of ref).

Runs only for repositories with hits. Commits are labelled by the strongest place that still
holds them, in this order: branches, detached HEAD, tags, remotes, notes, other refs
(``refs/original`` ...), stash entries (with their index and untracked parents), reflogs, and
finally ``unreachable``. One ``git log --raw`` pass per kind, each excluding the commits of the
kinds before it, gives each commit's parents and the blobs it introduced; the passes stop as
soon as every blob and commit asked about has been placed (on a huge repository with its
secrets on a branch, the tags, remotes, stashes, reflogs and unreachable commits are never
walked). A blob is therefore reported in every path of the strongest kind that holds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop_audit.progress import CancelToken
from desktop_audit.scan.sources.gitcmd import Git, GitError, GitProcess
from desktop_audit.scan.sources.reading import read_small

STASH = "stash"
REFLOG = "reflog"
UNREACHABLE = "unreachable"
REF_FORMAT = "%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)"
LOG_ARGS = (
    "log",
    "--stdin",
    "--raw",
    "-z",
    "--no-abbrev",
    "--no-renames",
    "--root",
    "--diff-merges=first-parent",
    "--no-textconv",
    "--no-ext-diff",
    "--no-color",
    "--format=%x01%H %ct %P",
)
_NULL_SHA = "0" * 40


@dataclass(frozen=True, slots=True)
class BlobPlace:
    """One place a blob lives: ``inner_path``/``commit`` are None for dangling blobs."""

    inner_path: str | None
    commit: str | None
    ref: str


@dataclass(frozen=True, slots=True)
class RefTip:
    name: str
    commit: str | None
    blob: str | None
    target: str = ""  # the object the ref names before peeling (an annotated tag's id)


@dataclass
class Attribution:
    """Places of the blobs asked about, labels of the commits asked about, tags by object id."""

    places: dict[str, list[BlobPlace]]
    commit_refs: dict[str, str]
    tag_refs: dict[str, str]


def _ref_rank(name: str) -> int:
    if name.startswith("refs/heads/"):
        return 0
    if name == "HEAD":
        return 1
    if name.startswith("refs/tags/"):
        return 2
    if name.startswith("refs/remotes/"):
        return 3
    if name.startswith("refs/notes/"):
        return 4
    if name == STASH:
        return 6
    if name == REFLOG:
        return 7
    if name == UNREACHABLE:
        return 8
    return 5


def list_refs(git: Git) -> list[RefTip]:
    """Every ref peeled to a commit (or a blob, for tags of blobs), HEAD's branch first."""
    tips: list[RefTip] = []
    out = git.run("for-each-ref", f"--format={REF_FORMAT}")
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        fields = line.split("\x00")
        if len(fields) != 5:
            continue
        name, kind, sha, peeled_kind, peeled_sha = fields
        if name == "refs/stash":
            continue
        if peeled_kind:
            kind, sha = peeled_kind, peeled_sha
        target = fields[2]
        tips.append(
            RefTip(name, sha if kind == "commit" else None, sha if kind == "blob" else None, target)
        )
    head = _output_or_empty(git, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    symbolic = _output_or_empty(git, "symbolic-ref", "--quiet", "HEAD")
    if head and not symbolic:
        tips.append(RefTip("HEAD", head, None))
    tips.sort(key=lambda tip: (_ref_rank(tip.name), tip.name != symbolic, tip.name))
    return tips


def _output_or_empty(git: Git, *args: str) -> str:
    try:
        return git.run(*args).decode("utf-8", "surrogateescape").strip()
    except GitError:
        return ""


def stash_commits(git: Git) -> list[str]:
    """The commit of every stash entry (stash@{0}, stash@{1}, ...)."""
    if not git.run("for-each-ref", "--format=%(refname)", "refs/stash").strip():
        return []
    out = git.run("log", "--walk-reflogs", "--format=%H", "refs/stash")
    return out.decode("ascii").split()


def reflog_commits(git: Git) -> list[str]:
    """Every commit named by any reflog entry."""
    out = git.run("rev-list", "--no-walk", "--reflog", "--stdin")  # --stdin: none is fine
    return out.decode("ascii").split()


def all_commit_ids(git: Git) -> list[bytes]:
    out = git.run("cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectname)")
    return [line[7:] for line in out.splitlines() if line.startswith(b"commit ")]


@dataclass
class CommitGraph:
    parents: dict[str, tuple[str, ...]]
    times: dict[str, int]
    # blob -> [(commit, inner path)] for the blobs asked about
    introduced: dict[str, list[tuple[str, str]]]


def _write_all(process: GitProcess, lines: list[bytes]) -> None:
    try:
        for line in lines:
            process.stdin.write(line + b"\n")
    except (OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            process.stdin.close()


def _tokens(stream: Iterable[bytes]) -> Iterator[bytes]:
    rest = b""
    for block in stream:
        parts = (rest + block).split(b"\x00")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def read_graph(
    git: Git,
    commits: list[bytes],
    blobs: set[str],
    cancel: CancelToken,
    graph: CommitGraph | None = None,
    *,
    walk: bool = False,
) -> CommitGraph:
    """One pass of ``git log --raw`` into ``graph``: parents, times, introductions.

    Without ``walk`` exactly ``commits`` are read; with it, everything they reach (lines of
    ``commits`` may be ``^id`` exclusions).
    """
    graph = graph if graph is not None else CommitGraph({}, {}, {})
    process = _start_log(git, commits, walk=walk)
    try:
        _parse_log(iter(lambda: process.stdout.read(1 << 16), b""), blobs, cancel, graph)
    finally:
        if cancel.cancelled:
            process.kill()
        else:
            process.finish()
    return graph


def _start_log(git: Git, commits: list[bytes], *, walk: bool) -> GitProcess:
    """``git log --raw`` of ``commits`` (given on its stdin by a thread of its own)."""
    args = LOG_ARGS if walk else (*LOG_ARGS, "--no-walk=unsorted")
    process = git.popen(*args, stdin=True)
    threading.Thread(target=_write_all, args=(process, commits), daemon=True).start()
    return process


def _parse_log(
    stream: Iterable[bytes], blobs: set[str], cancel: CancelToken, graph: CommitGraph
) -> None:
    """``git log --raw -z`` output into ``graph`` (introductions: of ``blobs`` only)."""
    current = ""
    pending: str | None = None
    for token in _tokens(stream):
        if pending is not None:
            if pending:
                graph.introduced.setdefault(pending, []).append(
                    (current, token.decode("utf-8", "surrogateescape"))
                )
            pending = None
            continue
        item = token.lstrip(b"\n")
        if item.startswith(b"\x01"):
            fields = item[1:].decode("ascii").split()
            current = fields[0]
            graph.times[current] = int(fields[1]) if len(fields) > 1 else 0
            graph.parents[current] = tuple(fields[2:])
            if cancel.cancelled:
                break
        elif item.startswith(b":"):
            meta = item.split()
            new_sha, status = meta[3].decode("ascii"), meta[4][:1]
            # the path token that follows is kept only for a blob asked about
            pending = new_sha if new_sha in blobs and status != b"D" else ""


EARLY_WALK_BYTES = 64 << 20  # what early walks may hold in memory, all repositories together


class EarlyWalks:
    """Attribution's first walk (``git log --raw`` from the strongest refs: branches, HEAD,
    tags; usually the only one), run by git while each repository's objects are read. Its
    output waits in memory until the hits are known; :func:`attribute` parses it when the
    repository's refs are still the same, else walks again. Output beyond
    :data:`EARLY_WALK_BYTES` (all repositories) is dropped and walked later as before."""

    def __init__(self, cancel: CancelToken, budget: int = EARLY_WALK_BYTES) -> None:
        self._cancel = cancel
        self._budget = budget
        self._lock = threading.Lock()
        self._walks: dict[Path, _EarlyWalk] = {}
        self.used = 0  # walks whose output attribution parsed

    def start(self, key: Path, git: Git) -> None:
        """Walk ``git``'s strongest refs now, for the repository ``key`` (unless the memory
        for walks is spent)."""
        with self._lock:
            spent = self._budget <= 0
        if key not in self._walks and not spent:
            self._walks[key] = _EarlyWalk(git, self)

    def take(self, key: Path) -> _EarlyWalk | None:
        """The walk started for ``key`` (once), to be asked for its output."""
        return self._walks.pop(key, None)

    def close(self) -> None:
        """Stop the walks nobody took (a scan that ended early)."""
        for walk in self._walks.values():
            walk.stop()
        self._walks.clear()

    def _spend(self, size: int) -> bool:
        with self._lock:
            if size > self._budget:
                return False
            self._budget -= size
            return True


class _EarlyWalk:
    def __init__(self, git: Git, owner: EarlyWalks) -> None:
        self._git = git
        self._owner = owner
        self._stopped = False
        self._process: GitProcess | None = None
        self._found: tuple[list[tuple[str, str]], list[bytes]] | None = None  # tips, output
        self._thread = threading.Thread(target=self._run, daemon=True, name="git-early-walk")
        self._thread.start()

    def output(self, tips: list[tuple[str, str]]) -> list[bytes] | None:
        """The walk's output (its blocks), when it walked exactly ``tips`` and ended well."""
        self._thread.join()
        if self._found is None or self._found[0] != tips:
            return None
        with self._owner._lock:
            self._owner.used += 1
        return self._found[1]

    def stop(self) -> None:
        self._stopped = True
        process = self._process
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()

    def _ended(self) -> bool:
        """Stopped, or the scan cancelled: the walk ends at its next step."""
        return self._stopped or self._owner._cancel.cancelled

    def _run(self) -> None:
        with contextlib.suppress(GitError, OSError, ValueError):
            refs = list_refs(self._git)
            if self._ended():
                return
            classes = tip_classes(self._git, refs)
            if not classes or self._ended():
                return
            tips = classes[0]
            self._process = process = _start_log(
                self._git, [tip.encode("ascii") for _label, tip in tips], walk=True
            )
            blocks: list[bytes] = []
            for block in iter(lambda: process.stdout.read(1 << 16), b""):
                if self._ended() or not self._owner._spend(len(block)):
                    process.kill()
                    return
                blocks.append(block)
            process.finish()
            self._found = (tips, blocks)


def label_commits(
    graph: CommitGraph, tips: list[tuple[str, str]], labels: dict[str, str] | None = None
) -> dict[str, str]:
    """Label every unlabelled commit by the first tip (in priority order) it is reachable from."""
    labels = labels if labels is not None else {}
    for label, tip in tips:
        stack = [tip]
        while stack:
            commit = stack.pop()
            if commit in labels or commit not in graph.parents:
                continue
            labels[commit] = label
            stack.extend(graph.parents[commit])
    return labels


def tip_classes(git: Git, refs: list[RefTip]) -> list[list[tuple[str, str]]]:
    """``(label, commit)`` tips grouped by kind, strongest kind first."""
    classes: dict[int, list[tuple[str, str]]] = {}
    for tip in refs:
        if tip.commit:
            classes.setdefault(_ref_rank(tip.name), []).append((tip.name, tip.commit))
    classes[_ref_rank(STASH)] = [(STASH, commit) for commit in stash_commits(git)]
    classes[_ref_rank(REFLOG)] = [
        (REFLOG, commit) for commit in reflog_commits(git) if commit != _NULL_SHA
    ]
    return [classes[rank] for rank in sorted(classes) if classes[rank]]


def attribute(
    git: Git,
    blobs: set[str],
    cancel: CancelToken,
    commits: frozenset[str] = frozenset(),
    early: _EarlyWalk | None = None,
) -> Attribution:
    """Places for each blob in ``blobs`` (strongest ref kind first) and labels for ``commits``
    (``early``: the first walk, if git already did it while the objects were read)."""
    try:
        return _attribute(git, blobs, cancel, commits, early)
    finally:
        if early is not None:
            early.stop()  # a walk not asked for (nothing to place, or git failed) ends here


def _attribute(
    git: Git,
    blobs: set[str],
    cancel: CancelToken,
    commits: frozenset[str],
    early: _EarlyWalk | None,
) -> Attribution:
    refs = list_refs(git)
    tagged_blobs: dict[str, str] = {tip.blob: tip.name for tip in refs if tip.blob}
    wanted = blobs - set(tagged_blobs)
    graph = CommitGraph({}, {}, {})
    labels: dict[str, str] = {}

    def placed() -> bool:
        return all(b in graph.introduced for b in wanted) and all(c in labels for c in commits)

    excluded: list[bytes] = []
    for group in tip_classes(git, refs):
        if placed() or cancel.cancelled:
            break
        tips = [tip.encode("ascii") for _label, tip in group]
        walked = early.output(group) if early is not None and not excluded else None
        if walked is not None:
            _parse_log(walked, wanted, cancel, graph)
        else:
            read_graph(git, tips + excluded, wanted, cancel, graph, walk=True)
        label_commits(graph, group, labels)
        excluded += [b"^" + tip for tip in tips]
    if not placed() and not cancel.cancelled:
        rest = [sha for sha in all_commit_ids(git) if sha.decode("ascii") not in graph.parents]
        read_graph(git, rest, wanted, cancel, graph)
    places = {blob: _places(blob, graph, labels, tagged_blobs) for blob in blobs}
    commit_refs = {commit: labels.get(commit, UNREACHABLE) for commit in commits}
    tag_refs = {tip.target: tip.name for tip in refs if tip.name.startswith("refs/tags/")}
    return Attribution(places, commit_refs, tag_refs)


def _places(
    blob: str, graph: CommitGraph, labels: dict[str, str], tagged_blobs: dict[str, str]
) -> list[BlobPlace]:
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for commit, path in graph.introduced.get(blob, ()):
        label = labels.get(commit, UNREACHABLE)
        when = graph.times.get(commit, 0)
        key = (path, label)
        if key not in best or when < best[key][0]:
            best[key] = (when, commit)
    found = [BlobPlace(path, commit, label) for (path, label), (_, commit) in best.items()]
    if blob in tagged_blobs:
        found.append(BlobPlace(None, None, tagged_blobs[blob]))
    if not found:
        found.append(BlobPlace(None, None, UNREACHABLE))
    found.sort(key=lambda p: (_ref_rank(p.ref), p.ref, p.inner_path or ""))
    return found


# What a ref's fingerprint needs: its name, target and symbolic target. An object id names
# its type and what a tag peels to, so git need not open each ref's object (the full
# REF_FORMAT reads every target: 33 ms against 6 ms for psf/requests' 850 refs).
FACTS_FORMAT = "%(refname)%00%(objectname)%00%(symref)"


# What a reftable repository (git 2.45+) keeps in its HEAD file whatever HEAD names.
_REFTABLE_HEAD = b"ref: refs/heads/.invalid"


def ref_facts(git: Git) -> bytes:
    """Every ref with its target, every reflog entry's commit, as git lists them, and what
    HEAD names (attribution names the checked-out branch first)."""
    return (
        _head(git)
        + git.run("for-each-ref", f"--format={FACTS_FORMAT}")
        + git.run("rev-list", "--no-walk", "--reflog", "--stdin")
    )


def _head(git: Git) -> bytes:
    """What HEAD names: its file's text (a symbolic link's target, never followed; a FIFO
    never waited on), or git's answer where the file says nothing (reftable)."""
    head = git.git_dir / "HEAD"
    try:
        if head.is_symlink():
            return b"link:" + os.fsencode(head.readlink()) + b"\n"
        text = read_small(head, 4096)
    except (OSError, ValueError):
        return b""
    if text.strip() != _REFTABLE_HEAD:
        return text
    try:
        return b"reftable:" + git.run("symbolic-ref", "-q", "HEAD")
    except GitError:  # detached
        try:
            return b"reftable:" + git.run("rev-parse", "-q", "--verify", "HEAD")
        except GitError:
            return text


def repository_state(git: Git, objects: int, facts: bytes | None = None) -> str:
    """A fingerprint of what attribution depends on: every ref, every reflog entry and the
    number of objects (a fetch, commit, gc or stash changes one of them). ``facts``: the
    :func:`ref_facts` already read."""
    digest = hashlib.sha256(str(objects).encode())
    digest.update(ref_facts(git) if facts is None else facts)
    return digest.hexdigest()


def encode_attribution(found: Attribution) -> bytes:
    """An attribution as JSON (paths, commit ids and ref names; no content)."""
    places = {
        blob: [[p.inner_path, p.commit, p.ref] for p in spots]
        for blob, spots in found.places.items()
    }
    data = {"places": places, "commits": found.commit_refs, "tags": found.tag_refs}
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def decode_attribution(payload: bytes) -> Attribution:
    """The inverse of :func:`encode_attribution`."""
    data = json.loads(payload)
    places = {
        blob: [BlobPlace(path, commit, ref) for path, commit, ref in spots]
        for blob, spots in data["places"].items()
    }
    return Attribution(places, dict(data["commits"]), dict(data["tags"]))
