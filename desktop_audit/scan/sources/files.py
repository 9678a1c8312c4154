"""The ``files`` source: every regular text file under the roots (and the trash), once;
zip and tar archives one level deep; office documents as their text; notebooks as text; UTF-16
files decoded."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop_audit.models import Fragment, Hit, LocatedHit, Origin, SourceGroup, SourceKind
from desktop_audit.scan.sources.archives import is_archive, iter_members
from desktop_audit.scan.sources.base import ScanContext, locate_by_origin
from desktop_audit.scan.sources.catalogue import WalkRules, load_catalogue
from desktop_audit.scan.sources.containers import archive_fragments, page_fragments
from desktop_audit.scan.sources.documents import is_document
from desktop_audit.scan.sources.file_reuse import file_version, remembered
from desktop_audit.scan.sources.fragments import (
    file_fragments,
    guess_format,
    tagged,
    text_size,
    unit_end,
)
from desktop_audit.scan.sources.leveldb_text import is_leveldb_file, leveldb_text
from desktop_audit.scan.sources.notebooks import is_notebook
from desktop_audit.scan.sources.ole_text import is_ole, text_runs
from desktop_audit.scan.sources.pacing import Pacer
from desktop_audit.scan.sources.pdf_reader import PdfReader
from desktop_audit.scan.sources.pdf_text import is_pdf
from desktop_audit.scan.sources.reading import SkipFile, has_suffix, read_whole, too_large
from desktop_audit.scan.sources.referenced import referenced_fragments, references
from desktop_audit.scan.sources.sealed import sealed_format, unsealed
from desktop_audit.scan.sources.sqlite_image import (
    ImageTooLargeError,
    is_database,
    open_image,
    table_texts,
)
from desktop_audit.scan.sources.walk import EntryKind, os_error_message, walk, within

NAME = "files"


@dataclass(frozen=True, slots=True)
class _RunsKind:
    """A binary format read as runs of text: its text (None: not this format after all),
    and its coverage counter."""

    text: Callable[[Path, bytes], bytes | None]
    counter: str
    file_format: str | None = None  # of the text (a sealed format's: its rules' store)


_OLE = _RunsKind(lambda _path, data: text_runs(data) if is_ole(data) else None, "legacy_documents")
_LEVELDB = _RunsKind(lambda path, data: leveldb_text(path.name, data), "leveldb_files")


class FilesSource:
    """Walk each root (skip rules from the catalogue) and yield every regular text file."""

    group = SourceGroup.FILES

    def __init__(self, roots: Sequence[Path], rules: WalkRules | None = None) -> None:
        self.roots = tuple(roots)
        self.rules = rules if rules is not None else load_catalogue().walk
        self._pdfs = PdfReader()  # its child starts on the first PDF of a scan

    def _roots(self, ctx: ScanContext) -> tuple[Path, ...]:
        roots = self.roots or ctx.roots or (ctx.home,)
        if not within(ctx.home, roots):
            return roots
        extra = [ctx.home / rel for rel in self.rules.extra_home_roots]
        return (*roots, *(path for path in extra if path.is_dir() and not path.is_symlink()))

    def iter_fragments(self, ctx: ScanContext) -> Iterator[Fragment]:
        try:
            yield from self._sweep(ctx)
        finally:
            self._pdfs.close()

    def _sweep(self, ctx: ScanContext) -> Iterator[Fragment]:
        stats = ctx.stat(NAME)
        pacer = Pacer(ctx, NAME)

        def on_error(path: Path, message: str) -> None:
            stats.add("unreadable")
            ctx.error(NAME, path, message)

        roots = self._roots(ctx)
        for entry in walk(
            roots, ctx.home, self.rules, ctx.cancel, on_error, stats.add, ctx.own_dirs
        ):
            if ctx.cancel.cancelled:
                break
            if entry.kind is not EntryKind.FILE:
                continue
            if entry.path in ctx.claimed_paths:
                stats.add("skipped_claimed")
                continue
            archive = is_archive(entry.path, self.rules) or is_document(entry.path, self.rules)
            pdf = is_pdf(entry.path)
            if not archive and has_suffix(entry.path, self.rules.skip_file_suffixes):
                stats.add("skipped_excluded_suffix")
                continue
            if not archive and entry.size > self.rules.max_file_bytes:
                stats.add("skipped_too_large")  # decided by stat: never opened
                if not pdf:  # large PDFs are books and manuals: counted, not reported
                    ctx.error(NAME, entry.path, too_large(entry.size))
                continue
            # A config naming credential files is never remembered: a rescan follows them again.
            named = references(entry.path)
            unit = None if named else file_version(entry.path, entry.stat, ctx)
            instead = remembered(unit, Origin(SourceKind.FILE, path=entry.path), ctx)
            if instead is not None:
                yield from instead
                ctx.claimed_paths.add(entry.path)
                stats.add("reused_files")
                pacer.step(str(entry.path), 0)
                continue
            reader = self._archive if archive else self._pdf if pdf else self._file
            try:
                size = yield from reader(entry.path, ctx, unit)
            except Exception as exc:  # one malformed file must not end the source
                stats.add("unreadable")  # only the type: a message could quote content
                ctx.error(NAME, entry.path, f"could not be read ({type(exc).__name__}), skipped")
                continue
            if named:
                yield from referenced_fragments(
                    entry.path, named, ctx, self.rules, source=NAME, kind=SourceKind.FILE
                )
            if size is None:
                continue
            ctx.claimed_paths.add(entry.path)
            stats.add("files")
            stats.add("bytes", size)
            pacer.step(str(entry.path), size)
        pacer.finish()

    def _file(
        self, path: Path, ctx: ScanContext, unit: str | None = None
    ) -> Generator[Fragment, None, int | None]:
        """Yield one file's fragments; return its size, or None when it was not read."""
        stats = ctx.stat(NAME)
        sealed = sealed_format(path)
        if sealed is not None:  # encrypted: binary or garbled text either way
            kind = _RunsKind(lambda _path, data: unsealed(sealed, data), "sealed_files", sealed)
            return (yield from self._runs(path, ctx, unit, kind))
        origin = Origin(SourceKind.FILE, path=path, file_format=guess_format(path))
        size = 0
        try:
            for fragment, nbytes in text_size(file_fragments(path, self.rules, origin)):
                size += nbytes
                yield tagged(fragment, unit)
        except SkipFile as skip:
            if skip.counter == "skipped_binary" and is_database(path):
                return (yield from self._database(path, ctx, unit))
            if skip.counter == "skipped_binary" and has_suffix(path, self.rules.ole_suffixes):
                return (yield from self._runs(path, ctx, unit, _OLE))
            if skip.counter == "skipped_binary" and is_leveldb_file(path):
                return (yield from self._runs(path, ctx, unit, _LEVELDB))
            _passed_over(ctx, path, skip)
            if not skip.report:
                yield from unit_end(origin, unit)  # binary: the same answer next time
            return None
        except OSError as exc:
            _passed_over(ctx, path, exc)
            return None
        if is_notebook(path.name):
            stats.add("notebooks")
        yield from unit_end(origin, unit)
        return size

    def _pdf(
        self, path: Path, ctx: ScanContext, unit: str | None = None
    ) -> Generator[Fragment, None, int | None]:
        """Each page's text of a PDF file (inner path ``page N``, lines of the page)."""
        stats = ctx.stat(NAME)
        try:
            pages = self._pdfs.pages(read_whole(path, self.rules), lambda: ctx.cancel.cancelled)
        except (SkipFile, OSError) as exc:
            _passed_over(ctx, path, exc)
            return None
        size = yield from page_fragments(pages, Origin(SourceKind.FILE, path=path), unit)
        stats.add("pdfs")
        yield from unit_end(Origin(SourceKind.FILE, path=path), unit)
        return size

    def _runs(
        self, path: Path, ctx: ScanContext, unit: str | None, kind: _RunsKind
    ) -> Generator[Fragment, None, int | None]:
        """A binary file read as its runs of readable text: a legacy Office file or Outlook
        message (known by its magic), a LevelDB table or log of a desktop app, or the text a
        format hides under a key anyone can have (DBeaver's credentials, MySQL's login paths)."""
        stats = ctx.stat(NAME)
        try:
            data = read_whole(path, self.rules)
        except (SkipFile, OSError) as exc:
            _passed_over(ctx, path, exc)
            return None
        text = kind.text(path, data)
        if text is None:
            stats.add("skipped_binary")
            yield from unit_end(Origin(SourceKind.FILE, path=path), unit)
            return None
        origin = Origin(SourceKind.FILE, path=path, inner_path="text", file_format=kind.file_format)
        if text:
            yield tagged(Fragment(text, origin), unit)
        stats.add(kind.counter)
        yield from unit_end(Origin(SourceKind.FILE, path=path), unit)
        return len(text)

    def _database(
        self, path: Path, ctx: ScanContext, unit: str | None
    ) -> Generator[Fragment, None, int | None]:
        """A SQLite database an application keeps (notes, editor state, tool settings): the
        text of each table, row by row (line = row), read from an image in memory."""
        stats = ctx.stat(NAME)
        try:
            connection = open_image(path, self.rules.max_file_bytes)
        except (ImageTooLargeError, sqlite3.Error, OSError):
            stats.add("skipped_binary")  # not readable as a database: a binary file
            yield from unit_end(Origin(SourceKind.FILE, path=path), unit)
            return None
        size = 0
        try:
            for table, text in table_texts(
                connection, self.rules.max_file_bytes, stop=lambda: ctx.cancel.cancelled
            ):
                origin = Origin(SourceKind.FILE, path=path, inner_path=table)
                size += len(text)
                yield tagged(Fragment(text, origin), unit)
        finally:
            connection.close()
        stats.add("databases")
        yield from unit_end(Origin(SourceKind.FILE, path=path), unit)
        return size

    def _archive(
        self, path: Path, ctx: ScanContext, unit: str | None = None
    ) -> Generator[Fragment, None, int | None]:
        """Yield the text members of an archive, or the text of an office document's parts;
        return the bytes read, or None."""
        stats = ctx.stat(NAME)
        document = is_document(path, self.rules)
        try:
            size = yield from archive_fragments(
                iter_members(path, self.rules),
                Origin(SourceKind.FILE, path=path),
                document=document,
                rules=self.rules,
                stats=stats,
                cancel=ctx.cancel,
                unit=unit,
            )
        except (SkipFile, OSError) as exc:
            _passed_over(ctx, path, exc)
            return None
        stats.add("documents" if document else "archives")
        if not ctx.cancel.cancelled:
            yield from unit_end(Origin(SourceKind.FILE, path=path), unit)
        return size

    def locate(self, hits: Sequence[Hit], ctx: ScanContext) -> Iterator[LocatedHit]:
        return locate_by_origin(hits)


def _passed_over(ctx: ScanContext, path: Path, exc: SkipFile | OSError) -> None:
    """Count (and report, unless it says not to) a file that was not read."""
    stats = ctx.stat(NAME)
    if isinstance(exc, SkipFile):
        stats.add(exc.counter)
        if exc.report:
            ctx.error(NAME, path, str(exc))
    else:
        stats.add("unreadable")
        ctx.error(NAME, path, os_error_message(exc))
