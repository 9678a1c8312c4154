"""The ``git`` source: every blob, commit message and tag message of every repository under the
roots (each blob once per scan, even across clones), each repository's config, and its work
trees' untracked and ignored files. Hits on blobs are attributed to paths, commits and refs
afterwards, only for the blobs that hit. Per-repository coverage goes to ``ctx.coverage``."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_audit.errors import StoreError
from desktop_audit.models import (
    Fragment,
    Hit,
    LocatedHit,
    Location,
    Origin,
    SourceGroup,
    SourceKind,
    identities_digest,
    location_identity,
)
from desktop_audit.scan.reuse import ReuseCache, object_unit, rebased, repository_unit
from desktop_audit.scan.sources.base import (
    ScanContext,
    inside,
    is_repository,
    location_from_origin,
)
from desktop_audit.scan.sources.catalogue import WalkRules, load_catalogue
from desktop_audit.scan.sources.container_kinds import Container
from desktop_audit.scan.sources.discovery import Repository, discover
from desktop_audit.scan.sources.file_reuse import reusable
from desktop_audit.scan.sources.fragments import file_fragments, guess_format, tagged, unit_end
from desktop_audit.scan.sources.git_attribution import (
    UNREACHABLE,
    Attribution,
    EarlyWalks,
    attribute,
    decode_attribution,
    encode_attribution,
    ref_facts,
    repository_state,
)
from desktop_audit.scan.sources.git_coverage import RepoProbe, present_blobs
from desktop_audit.scan.sources.git_objects import (
    ObjectCounts,
    SeenBlobs,
    iter_objects,
    message_of,
    packed_bytes,
)
from desktop_audit.scan.sources.git_snapshot import (
    Snapshot,
    placement_scope,
    recall,
    snapshot_state,
    store_stamp,
)
from desktop_audit.scan.sources.git_snapshot import keep as keep_snapshot
from desktop_audit.scan.sources.gitcmd import Git, GitError, objects_only
from desktop_audit.scan.sources.ole_text import text_runs
from desktop_audit.scan.sources.pacing import Pacer
from desktop_audit.scan.sources.reading import SkipFile, has_suffix
from desktop_audit.scan.sources.walk import is_skipped_rel_path, os_error_message

if TYPE_CHECKING:
    from desktop_audit.scan.sources.pdf_reader import PdfQueue, PdfReader

NAME = "git"
CONFIG_FILES = ("config", "config.worktree")
MAX_PLACES_PER_HIT = 20
COMMIT_MESSAGE = "git-commit-message"
TAG_MESSAGE = "git-tag-message"
_CONTAINERS = frozenset(str(kind) for kind in Container)
_PDF_BACKLOG = 64 << 20  # bytes of PDFs read meanwhile before the history waits for them
# Packed bytes from which attribution's first walk is done while the objects are read: a
# smaller repository's walk is quick afterwards, and most have no hit to attribute at all
# (a home's hundreds of small repositories would each cost git processes for nothing).
_EARLY_WALK_AFTER = 4 << 20


class GitSource:
    """Repositories under the roots: blobs (git-history), config, untracked work-tree files."""

    group = SourceGroup.GIT
    reader_processes = 1  # git cat-file inflates objects on a core of its own
    early_walk_after = _EARLY_WALK_AFTER
    read_objects = staticmethod(iter_objects)  # (a test may give a failing reader)

    def __init__(
        self,
        roots: Sequence[Path],
        rules: WalkRules | None = None,
        pdf_reader: PdfReader | None = None,
    ) -> None:
        self.roots = tuple(roots)
        self.rules = rules if rules is not None else load_catalogue().walk
        self.repositories: dict[Path, Repository] = {}
        self.seen = SeenBlobs()
        self.sharing: list[Path] = []  # repositories that passed over blobs read elsewhere
        self.states: dict[Path, str] = {}  # repository fingerprints (``repository_state``)
        # repositories read completely and unchanged while read: snapshot state and coverage
        self.snapshots: dict[Path, tuple[str, RepoProbe, ObjectCounts]] = {}
        self._pdfs = pdf_reader  # made, and its child started, on a first PDF
        # PDF blobs being read meanwhile: their content, origin and unit
        self._pdf_queue: PdfQueue[tuple[bytes, Origin, str | None]] | None = None
        self._unsettled: set[Path] = set()  # repositories with a blob to read again next time
        # replayed (not carried over) repositories: state and snapshot, to be kept again
        self._replayed: dict[Path, tuple[str, Snapshot]] = {}
        self._unplaced: set[Path] = set()  # repositories whose hits could not be attributed
        self._early: EarlyWalks | None = None  # attribution's first walks, done meanwhile

    def iter_fragments(self, ctx: ScanContext) -> Iterator[Fragment]:
        try:
            yield from self._repositories(ctx)
        finally:
            if self._pdf_queue is not None:
                self._pdf_queue.close()  # (and its reader)
                self._pdf_queue = None
            elif self._pdfs is not None:
                self._pdfs.close()

    def _repositories(self, ctx: ScanContext) -> Iterator[Fragment]:
        pacer = Pacer(ctx, NAME)
        self._early = EarlyWalks(ctx.cancel)
        roots = self.roots or ctx.roots or (ctx.home,)

        def on_error(path: Path, message: str) -> None:
            ctx.error(NAME, path, message)

        for repo in discover(roots, ctx.home, self.rules, ctx.cancel, on_error):
            if ctx.cancel.cancelled:
                break
            self.repositories[repo.path] = repo
            ctx.stat(NAME).add("repos")
            pacer.step(str(repo.path))
            yield from self._config(repo, ctx)
            readable = yield from self._objects(repo, ctx, pacer)
            if not readable:
                continue  # one error line per broken repository
            for work_tree in repo.work_trees:
                yield from self._work_tree(repo, work_tree, ctx)
        pacer.finish()

    def _config(self, repo: Repository, ctx: ScanContext) -> Iterator[Fragment]:
        for name in CONFIG_FILES:
            path = repo.git_dir / name
            if not path.is_file() or path in ctx.claimed_paths:
                continue
            origin = Origin(SourceKind.GIT_CONFIG, path=path, file_format="gitconfig")
            try:
                read = functools.partial(file_fragments, path, self.rules, origin)
                yield from reusable(path, origin, ctx, read)
                ctx.stat(NAME).add("config_files")
            except (SkipFile, OSError) as exc:
                ctx.error(NAME, path, str(exc) if isinstance(exc, SkipFile) else "unreadable")
            ctx.claimed_paths.add(path)

    def _objects(
        self, repo: Repository, ctx: ScanContext, pacer: Pacer
    ) -> Generator[Fragment, None, bool]:
        """Every text blob and message once; False when the repository cannot be read at all.
        A repository unchanged since an earlier scan hands back that scan's hits instead."""
        git = Git(repo.git_dir)
        probe = RepoProbe(git, repo.path, ctx, NAME)
        before, snapshot, facts = self._unchanged(repo, git, ctx)
        if snapshot is not None and facts is not None:
            yield from self._replay(repo, git, probe, (before or "", snapshot), facts, ctx)
            return True
        probe.before()
        packed = packed_bytes(repo.git_dir)
        # detection workers may start meanwhile (not for a rescan: most objects are known)
        ctx.expect(packed if ctx.reuse is None or ctx.reuse.knows_nothing else 0)
        if self._early is not None and packed >= self.early_walk_after:
            self._early.start(repo.path, git)  # attribution's first walk, while objects are read
        readable = True
        counts = ObjectCounts()
        try:
            try:
                yield from self._stream(Git(repo.git_dir), repo, ctx, pacer, counts, probe)
            except GitError as exc:
                if counts.blobs or "not a git repository" not in str(exc):
                    raise
                # HEAD or refs are broken but the object store may be intact: read it anyway
                probe.error(f"broken repository ({exc}); objects read without refs")
                readable = False
                with objects_only(repo.git_dir) as bare_objects:
                    yield from self._stream(bare_objects, repo, ctx, pacer, counts, probe)
        except GitError as exc:
            probe.error(f"cannot read repository: {exc}")
            readable = False
        except ValueError:
            probe.error("cannot read repository: malformed object listing")
            readable = False
        # the PDFs given, read meanwhile: all of them before the repository is settled, also
        # when the stream failed (after a cancel: only those already answered)
        yield from self._pdf_answers(ctx, wait=not ctx.cancel.cancelled)
        if counts.shared:
            self.sharing.append(repo.path)
        facts_after: bytes | None = None  # the refs and reflogs once the objects are read
        snapshot_state_after = None
        if readable and ctx.reuse is not None:
            # without a fingerprint, attribution and history are worked out afresh
            with contextlib.suppress(GitError):
                facts = facts_after = ref_facts(git)
                probe.state = self.states[repo.path] = repository_state(git, counts.objects, facts)
                if before is not None and not counts.shared and not ctx.cancel.cancelled:
                    after = self._snapshot_state(repo, git, ctx, facts)
                    snapshot_state_after = None if after is None else after[0]
        probe.after(
            counts, readable=readable, max_bytes=self.rules.max_file_bytes, facts=facts_after
        )
        settled = repo.path not in self._unsettled
        if before is not None and snapshot_state_after == before and settled:
            self.snapshots[repo.path] = (before, probe, counts)
        return readable

    def _snapshot_state(
        self, repo: Repository, git: Git, ctx: ScanContext, facts: bytes | None = None
    ) -> tuple[str, bytes] | None:
        """The state a snapshot of ``repo`` is valid for now, with the refs and reflogs read
        for it (``facts``: already read); None when no snapshot is possible."""
        if ctx.reuse is None:
            return None
        stamp = store_stamp(repo.git_dir)
        if stamp is None:
            return None
        try:
            facts = ref_facts(git) if facts is None else facts
        except GitError:
            return None
        settings = (self.rules.max_file_bytes, self.rules.sniff_bytes)
        return snapshot_state(stamp, facts, *settings), facts

    def _unchanged(
        self, repo: Repository, git: Git, ctx: ScanContext
    ) -> tuple[str | None, Snapshot | None, bytes | None]:
        """The state a snapshot of ``repo`` would be valid for now (None: none possible), the
        snapshot an earlier scan left in that state if any, and the refs and reflogs read."""
        found = self._snapshot_state(repo, git, ctx)
        if found is None or ctx.reuse is None:
            return None, None, None
        state, facts = found
        return state, recall(ctx.reuse, repo.git_dir, state), facts

    def _replay(
        self,
        repo: Repository,
        git: Git,
        probe: RepoProbe,
        recalled: tuple[str, Snapshot],
        facts: bytes,
        ctx: ScanContext,
    ) -> Iterator[Fragment]:
        """Coverage, errors and hits of an unchanged repository (``recalled``: its state and
        snapshot), as its last pass found them."""
        snapshot = recalled[1]
        probe.before(missing_objects=snapshot.missing_objects)
        counts = ObjectCounts(
            objects=snapshot.objects,
            commits=snapshot.commits,
            tags=snapshot.tags,
            large=snapshot.large,
            missing=snapshot.missing,
            reused=snapshot.objects - snapshot.large,
            reused_blobs=snapshot.blobs,
            reused_bytes=snapshot.bytes,
        )
        stats = ctx.stat(NAME)
        stats.add("reused_repositories")
        stats.add("reused_objects", counts.reused)
        probe.state = self.states[repo.path] = repository_state(git, snapshot.objects, facts)
        if not self._carried(repo, recalled, ctx):
            hits = snapshot.hits()
            if hits:
                origin = Origin(SourceKind.GIT_HISTORY, path=repo.path)
                yield Fragment(b"", origin, reused=rebased(hits, repo.path))
        probe.after(counts, readable=True, max_bytes=self.rules.max_file_bytes)

    def _carried(self, repo: Repository, recalled: tuple[str, Snapshot], ctx: ScanContext) -> bool:
        """Whether the store took over the locations the snapshot's pass recorded for the
        repository (same placement, exactly those locations present), so its hits need not be
        decoded, placed and written again. When not, the pass that replays them keeps the
        snapshot again for what it places."""
        snapshot = recalled[1]
        if snapshot.encoded_hits == b"[]":
            return True  # nothing found in it: nothing to place
        if (
            ctx.carry_over is not None
            and snapshot.located
            and snapshot.scope == self._placement_scope(repo.path, ctx)
        ):
            carried = ctx.carry_over(str(repo.path), snapshot.located)
            if carried:
                ctx.stat(NAME).add("carried_locations", carried)
                return True
        self._replayed[repo.path] = recalled
        return False

    def _placement_scope(self, repo_path: Path, ctx: ScanContext) -> str:
        """What the severity of ``repo_path``'s locations depends on (see ``placement_scope``):
        the repositories among its directory and the parents up to the home or a root."""
        stops = {ctx.home, *ctx.roots}
        repositories: list[str] = []
        current = repo_path
        while True:
            if is_repository(str(current)):
                repositories.append(str(current))
            if current in stops or current.parent == current:
                break
            current = current.parent
        return placement_scope(ctx.home, ctx.roots, repositories)

    def _pending_snapshots(self, ctx: ScanContext) -> dict[Path, tuple[str, SnapshotMaker]]:
        """The repositories this scan may remember (read completely, or replayed rather than
        carried over), each with how to make its snapshot from the digest of its locations
        and its placement scope. None after a cancel or a failed pass: fragments in flight
        may have lost their hits."""
        pending: dict[Path, tuple[str, SnapshotMaker]] = {}
        for repo_path, (state, probe, counts) in self.snapshots.items():
            pending[repo_path] = (state, functools.partial(_listed_snapshot, probe, counts))
        for repo_path, (state, snapshot) in self._replayed.items():
            pending[repo_path] = (state, functools.partial(_replaced_placement, snapshot))
        self.snapshots.clear()
        self._replayed.clear()
        if ctx.reuse is None or ctx.cancel.cancelled or str(self.group) in ctx.failed_sources:
            return {}
        return pending

    def _keep_snapshots(
        self,
        pending: dict[Path, tuple[str, SnapshotMaker]],
        hits: dict[Path, tuple[Hit, ...]],
        located: dict[Path, set[str]],
        ctx: ScanContext,
    ) -> None:
        """Remember each repository read completely (or replayed), with the hits found in its
        objects and the identities of the locations they were placed at; not one whose hits
        could not be attributed to commits (the next scan places them again)."""
        if ctx.reuse is None or ctx.cancel.cancelled:
            return
        for repo_path, (state, make) in pending.items():
            if repo_path in self._unplaced or not state:
                continue
            digest = identities_digest(located.get(repo_path, ())) if hits.get(repo_path) else ""
            snapshot = make(digest, self._placement_scope(repo_path, ctx))
            git_dir = self.repositories[repo_path].git_dir
            keep_snapshot(ctx.reuse, git_dir, state, snapshot, hits.get(repo_path, ()))
        ctx.reuse.rows.clear()  # no snapshot is kept after these

    def _stream(
        self,
        git: Git,
        repo: Repository,
        ctx: ScanContext,
        pacer: Pacer,
        counts: ObjectCounts,
        probe: RepoProbe,
    ) -> Iterator[Fragment]:
        stats = ctx.stat(NAME)
        reuse = ctx.reuse
        if reuse is not None:
            reuse.load()  # here: git's feeder thread asks what is known, and cannot read it
        objects = self.read_objects(
            git,
            self.rules.max_file_bytes,
            self.rules.sniff_bytes,
            ctx.cancel,
            counts,
            self.seen,
            # a full scan knows no object: nothing to ask per object
            known=None if reuse is None or reuse.knows_nothing else _known(reuse),
            on_binary=None if reuse is None else lambda sha: reuse.remember(object_unit(sha), []),
        )
        pdfs = self._pdf_queue
        for sha, kind, data in objects:
            unit = None if reuse is None else object_unit(sha)
            if pdfs:  # PDFs read meanwhile: their pages as soon as they are in
                yield from self._pdf_answers(ctx, wait=pdfs.backlog > _PDF_BACKLOG)
            if kind == "blob" or kind in _CONTAINERS:
                stats.add("blobs")
                stats.add("bytes", len(data))
                probe.coverage.bytes += len(data)
                pacer.step(str(repo.path), len(data))
                origin = Origin(SourceKind.GIT_HISTORY, path=repo.path, blob=sha)
                if kind == "blob":
                    yield Fragment(data, origin, unit=unit, unit_end=True)
                elif kind == Container.PDF:
                    pdfs = self._read_pdf_meanwhile(data, origin, ctx, unit)
                else:
                    yield from self._container(Container(kind), data, origin, ctx, unit)
                continue
            message, _headers = message_of(data)
            if not message.strip() or b"\x00" in message:
                if reuse is not None and unit is not None:
                    reuse.remember(unit, [])
                continue
            stats.add("messages")
            stats.add("message_bytes", len(message))
            origin = Origin(
                SourceKind.GIT_HISTORY,
                path=repo.path,
                commit=sha,
                file_format=COMMIT_MESSAGE if kind == "commit" else TAG_MESSAGE,
            )
            yield Fragment(message, origin, unit=unit, unit_end=True)
        yield from self._remembered(repo, ctx, counts)

    def _container(
        self, kind: Container, data: bytes, base: Origin, ctx: ScanContext, unit: str | None
    ) -> Iterator[Fragment]:
        """The text of a blob that is an archive, an office document or a legacy Office file
        (its member or part as the origin's ``inner_path``; PDFs: :meth:`_read_pdf_meanwhile`).
        One that cannot be read is counted, not reported: history cannot be mended file by
        file."""
        # the readers load on the first container blob (a rescan that reads none never does)
        from desktop_audit.scan.sources.archives import iter_members_in  # noqa: PLC0415
        from desktop_audit.scan.sources.containers import archive_fragments  # noqa: PLC0415

        try:
            if kind is Container.OLE:
                text = text_runs(data)
                if text:
                    yield tagged(Fragment(text, dataclasses.replace(base, inner_path="text")), unit)
            else:
                yield from archive_fragments(
                    iter_members_in(data, self.rules),
                    base,
                    document=kind is Container.DOCUMENT,
                    rules=self.rules,
                    stats=ctx.stat(NAME),
                    cancel=ctx.cancel,
                    unit=unit,
                )
        except Exception as exc:  # a damaged or hostile blob must not end the history
            yield from self._unreadable(exc, kind, data, base, ctx, unit)
            return
        ctx.stat(NAME).add("containers")
        if not ctx.cancel.cancelled:
            yield from unit_end(base, unit)

    def _read_pdf_meanwhile(
        self, data: bytes, base: Origin, ctx: ScanContext, unit: str | None
    ) -> PdfQueue[tuple[bytes, Origin, str | None]]:
        """Give a PDF blob to the PDF reader's child, which reads it while the history goes
        on (its pages come from :meth:`_pdf_answers`); returns the queue."""
        from desktop_audit.scan.sources.pdf_reader import PdfQueue, PdfReader  # noqa: PLC0415

        if self._pdfs is None:
            self._pdfs = PdfReader()
        if self._pdf_queue is None:
            self._pdf_queue = PdfQueue(self._pdfs, lambda: ctx.cancel.cancelled)
        self._pdf_queue.put(data, (data, base, unit))
        return self._pdf_queue

    def _pdf_answers(self, ctx: ScanContext, *, wait: bool) -> Iterator[Fragment]:
        """The pages of the PDFs read so far, in the order they were given (``wait``: of
        every PDF given)."""
        from desktop_audit.scan.sources.containers import page_fragments  # noqa: PLC0415

        if self._pdf_queue is None:
            return
        for (data, base, unit), answer in self._pdf_queue.answers(wait=wait):
            if isinstance(answer, Exception):
                yield from self._unreadable(answer, Container.PDF, data, base, ctx, unit)
                continue
            yield from page_fragments(answer, base, unit)
            ctx.stat(NAME).add("containers")
            if not ctx.cancel.cancelled:
                yield from unit_end(base, unit)

    def _unreadable(
        self,
        exc: BaseException,
        kind: Container,
        data: bytes,
        base: Origin,
        ctx: ScanContext,
        unit: str | None,
    ) -> Iterator[Fragment]:
        """What is left of a container blob that could not be read: nothing, the blob read
        as text, or the end of its unit (what was read before the failure stands)."""
        ctx.stat(NAME).add("containers_unreadable")
        if isinstance(exc, MemoryError) or getattr(exc, "transient", False):
            # PDFium in its child timed out or crashed, or a cancel: read it again next
            # time, so neither the blob nor the repository's snapshot is remembered
            if base.path is not None:
                self._unsettled.add(base.path)
            return
        if kind is Container.PDF and b"\x00" not in data[: self.rules.sniff_bytes]:
            # not a PDF after all, only text starting with "%PDF-": read it as text
            yield Fragment(data, base, unit=unit, unit_end=True)
            return
        # the same bytes fail the same way: what was read before the failure stands
        if not ctx.cancel.cancelled:
            yield from unit_end(base, unit)

    @staticmethod
    def _remembered(repo: Repository, ctx: ScanContext, counts: ObjectCounts) -> Iterator[Fragment]:
        """The hits an earlier scan found in objects this one did not read again."""
        if counts.reused:
            ctx.stat(NAME).add("reused_objects", counts.reused)
        if ctx.reuse is None:
            return
        for sha in counts.remembered:
            hits = ctx.reuse.lookup(object_unit(sha))
            if hits:
                origin = Origin(SourceKind.GIT_HISTORY, path=repo.path)
                yield Fragment(b"", origin, reused=rebased(hits, repo.path))

    def _work_tree(self, repo: Repository, work_tree: Path, ctx: ScanContext) -> Iterator[Fragment]:
        """Untracked and ignored files (``ls-files --others``), minus skip rules."""
        stats = ctx.stat(NAME)
        git = Git(repo.work_tree_git_dirs.get(work_tree, repo.git_dir), work_tree)
        try:
            listing = git.run("ls-files", "-z", "--others")
        except GitError as exc:
            ctx.error(NAME, work_tree, f"cannot list untracked files: {exc}")
            return
        for raw in listing.split(b"\x00"):
            if ctx.cancel.cancelled:
                return
            if not raw or raw.endswith(b"/"):
                continue  # nested repositories are scanned on their own
            rel = raw.decode("utf-8", "surrogateescape")
            path = work_tree / rel
            if (
                path in ctx.claimed_paths
                or is_skipped_rel_path(rel, self.rules)
                or has_suffix(path, self.rules.skip_file_suffixes)
            ):
                continue
            origin = Origin(
                SourceKind.GIT_WORKTREE,
                path=work_tree,
                inner_path=rel,
                file_format=guess_format(path),
            )
            try:
                read = functools.partial(file_fragments, path, self.rules, origin)
                for fragment in reusable(path, origin, ctx, read):
                    if not fragment.origin.fixed_line:
                        stats.add("worktree_bytes", len(fragment.data))
                    yield fragment
            except SkipFile as skip:
                stats.add(f"worktree_{skip.counter}")
                if skip.report:
                    ctx.error(NAME, path, str(skip))
            except OSError as exc:
                stats.add("worktree_unreadable")
                ctx.error(NAME, path, os_error_message(exc))
            else:
                stats.add("worktree_files")
            ctx.claimed_paths.add(path)

    def locate(self, hits: Sequence[Hit], ctx: ScanContext) -> Iterator[LocatedHit]:
        by_repo: dict[Path, list[Hit]] = defaultdict(list)
        for hit in hits:
            origin = hit.origin
            if (
                origin.source is SourceKind.GIT_HISTORY
                and origin.path
                and (origin.blob or origin.commit)
            ):
                by_repo[origin.path].append(hit)
            else:
                yield LocatedHit(hit, location_from_origin(hit))
        pending = self._pending_snapshots(ctx)
        own_hits = {path: tuple(by_repo.get(path, ())) for path in pending}
        blob_hits = [hit for repo_hits in by_repo.values() for hit in repo_hits if hit.origin.blob]
        for repo_path in self.sharing:
            # a clone passed over blobs another repository yielded: place those hits here too
            others = [hit for hit in blob_hits if hit.origin.path != repo_path]
            if others:
                held = present_blobs(self._git(repo_path), {h.origin.blob or "" for h in others})
                by_repo[repo_path].extend(hit for hit in others if hit.origin.blob in held)
        located: dict[Path, set[str]] = {path: set() for path in pending}
        found = self._attributions(by_repo, ctx)
        if self._early is not None:
            self._early.close()  # the walks of repositories without hits
        if ctx.reuse is not None:
            # git works out the attributions meanwhile: store the units read so far now
            with contextlib.suppress(StoreError):  # kept, and offered again at the end
                ctx.reuse.flush()
        for repo_path, repo_hits in by_repo.items():
            places = located.get(repo_path)
            for item in self._locate_repo(repo_path, repo_hits, found[repo_path], ctx):
                if places is not None:
                    places.add(location_identity(item.hit.finding_id, item.location))
                yield item
        if self._early is not None and self._early.used:
            ctx.stat(NAME).add("early_walks", self._early.used)
        self._keep_snapshots(pending, own_hits, located, ctx)

    def _attributions(
        self, by_repo: dict[Path, list[Hit]], ctx: ScanContext
    ) -> dict[Path, Callable[[], Attribution]]:
        """Each repository's attribution, to be asked for in turn: remembered for a repository
        whose refs, reflogs and objects are as an earlier scan left them, else worked out
        by git (the slow part of a rescan: it reads the whole commit graph) in one thread
        for all of them, in order, while this one goes on (and keeps each when asked)."""
        answers: dict[Path, Callable[[], Attribution]] = {}
        work: list[tuple[Path, Callable[[], Attribution]]] = []
        for repo_path, hits in by_repo.items():
            blobs = {hit.origin.blob for hit in hits if hit.origin.blob}
            commits = frozenset(
                hit.origin.commit
                for hit in hits
                if hit.origin.commit and hit.origin.file_format == COMMIT_MESSAGE
            )
            early = self._early.take(repo_path) if self._early is not None else None
            known = self._remembered_attribution(repo_path, blobs, commits, ctx)
            if known is not None:
                if early is not None:
                    early.stop()
                answers[repo_path] = functools.partial(_given, known)
                continue
            git = self._git(repo_path)
            make = functools.partial(attribute, git, blobs, ctx.cancel, commits, early)
            work.append((repo_path, make))
        results = _Background(work)
        for repo_path, _make in work:
            answers[repo_path] = functools.partial(self._worked_out, repo_path, results, ctx)
        return answers

    def _remembered_attribution(
        self, repo_path: Path, blobs: set[str], commits: frozenset[str], ctx: ScanContext
    ) -> Attribution | None:
        """The attribution an earlier scan kept for this state of the repository, when it
        places every blob and commit asked about."""
        state = self.states.get(repo_path)
        if ctx.reuse is None or state is None:
            return None
        payload = ctx.reuse.payload(self._attribution_unit(repo_path))
        head = state.encode("ascii") + b"\n"
        if payload is None or not payload.startswith(head):
            return None
        try:
            known = decode_attribution(payload[len(head) :])
        except (ValueError, KeyError, TypeError):
            return None
        if known and blobs <= known.places.keys() and commits <= known.commit_refs.keys():
            ctx.stat(NAME).add("reused_attributions")
            return known
        return None

    def _worked_out(self, repo_path: Path, results: _Background, ctx: ScanContext) -> Attribution:
        """The attribution git worked out (raises :class:`GitError`), kept for the next scan
        (one slot per repository, holding the attribution of its latest state)."""
        found = results.result(repo_path)
        state = self.states.get(repo_path)
        if ctx.reuse is not None and state is not None and not ctx.cancel.cancelled:
            head = state.encode("ascii") + b"\n"
            ctx.reuse.keep(self._attribution_unit(repo_path), head + encode_attribution(found))
        return found

    def _attribution_unit(self, repo_path: Path) -> str:
        return repository_unit("attribution", self._git(repo_path).git_dir, "")

    def _git(self, repo_path: Path) -> Git:
        repo = self.repositories.get(repo_path)
        return Git(repo.git_dir if repo is not None else _guess_git_dir(repo_path))

    def _locate_repo(
        self,
        repo_path: Path,
        hits: list[Hit],
        attribution: Callable[[], Attribution],
        ctx: ScanContext,
    ) -> Iterator[LocatedHit]:
        try:
            found = attribution()
        except GitError as exc:
            ctx.error(NAME, repo_path, f"cannot attribute findings to commits: {exc}")
            found = Attribution({}, {}, {})
            self._unplaced.add(repo_path)
        unit = str(repo_path)
        for hit in hits:
            if hit.origin.blob:
                for location in _blob_locations(hit, repo_path, found):
                    yield LocatedHit(hit, location, unit)
            else:
                yield LocatedHit(hit, _message_location(hit, repo_path, found), unit)


def _given(found: Attribution) -> Attribution:
    return found


class _Background:
    """Work done in one thread, item after item, in order; :meth:`result` waits for an
    item's answer (or raises its error). git does the work: the thread mostly waits."""

    def __init__(self, work: Sequence[tuple[Path, Callable[[], Attribution]]]) -> None:
        self._done: dict[Path, tuple[Attribution | None, Exception | None]] = {}
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        if work:
            self._thread = threading.Thread(
                target=self._run, args=(list(work),), daemon=True, name="git-attribution"
            )
            self._thread.start()

    def _run(self, work: list[tuple[Path, Callable[[], Attribution]]]) -> None:
        for key, make in work:
            try:
                answer: tuple[Attribution | None, Exception | None] = (make(), None)
            except Exception as exc:  # handed to the asking thread
                answer = (None, exc)
            with self._ready:
                self._done[key] = answer
                self._ready.notify_all()

    def result(self, key: Path) -> Attribution:
        with self._ready:
            self._ready.wait_for(lambda: key in self._done)
            found, error = self._done.pop(key)
        if error is not None:
            raise error
        assert found is not None  # noqa: S101 - set whenever error is None
        return found


SnapshotMaker = Callable[[str, str], Snapshot]  # (located digest, placement scope) -> snapshot


def _listed_snapshot(probe: RepoProbe, counts: ObjectCounts, located: str, scope: str) -> Snapshot:
    """The snapshot of a repository this scan listed."""
    cov = probe.coverage
    return Snapshot(
        objects=counts.objects,
        commits=counts.commits,
        tags=counts.tags,
        large=counts.large,
        missing=counts.missing,
        blobs=cov.blobs,
        bytes=cov.bytes,
        # the partial clone's count alone (``after`` adds the corrupt objects again)
        missing_objects=cov.missing_objects - counts.missing,
        located=located,
        scope=scope,
    )


def _replaced_placement(snapshot: Snapshot, located: str, scope: str) -> Snapshot:
    """A replayed repository's snapshot, for where this scan placed its hits."""
    return dataclasses.replace(snapshot, located=located, scope=scope)


def _blob_locations(hit: Hit, repo_path: Path, found: Attribution) -> Iterator[Location]:
    blob_places = found.places.get(hit.origin.blob or "", [])
    member = hit.origin.inner_path  # inside an archive or document blob
    if not blob_places:
        path = _member_path(repo_path, None, hit) if member else str(repo_path)
        yield Location(SourceKind.GIT_HISTORY, path, hit.line)
        return
    for place in blob_places[:MAX_PLACES_PER_HIT]:
        path = (
            _member_path(repo_path, place.inner_path, hit)
            if member
            else _inside(repo_path, place.inner_path)
        )
        yield Location(
            source=SourceKind.GIT_HISTORY,
            path=path,
            line=hit.line,
            commit=place.commit,
            ref=place.ref,
        )


def _member_path(repo_path: Path, file: str | None, hit: Hit) -> str:
    """Where a hit inside a container blob is: the member below the file's path, or below
    ``<blob ID>`` for a blob with no file name (dangling, or tagged itself), so that it
    never reads as a path in the work tree."""
    if file:
        return inside(Path(_inside(repo_path, file)), hit.origin.inner_path)
    return inside(repo_path, f"<blob {(hit.origin.blob or '')[:12]}>/{hit.origin.inner_path}")


@functools.lru_cache(maxsize=1024)
def _prefix(repo_path: Path) -> str:
    return str(repo_path) + os.sep


def _inside(repo_path: Path, inner_path: str | None) -> str:
    """``repo_path / inner_path`` as text (a string join: thousands of hits are placed)."""
    if not inner_path:
        return str(repo_path)
    return _prefix(repo_path) + (inner_path if os.sep == "/" else inner_path.replace("/", os.sep))


def _message_location(hit: Hit, repo_path: Path, found: Attribution) -> Location:
    """A commit message: the commit and its strongest ref kind; a tag message: its tag."""
    sha = hit.origin.commit or ""
    if hit.origin.file_format == TAG_MESSAGE:
        ref = found.tag_refs.get(sha, UNREACHABLE)
    else:
        ref = found.commit_refs.get(sha, UNREACHABLE)
    return Location(SourceKind.GIT_HISTORY, str(repo_path), hit.line, commit=sha, ref=ref)


def _known(reuse: ReuseCache) -> Callable[[str], bool | None]:
    """What an earlier scan knew of each object (asked from git's feeder thread)."""
    return lambda sha: reuse.state(object_unit(sha))


def _guess_git_dir(repo_path: Path) -> Path:
    dot_git = repo_path / ".git"
    return dot_git if dot_git.is_dir() else repo_path
