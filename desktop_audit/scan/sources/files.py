"""The ``files`` source: every regular text file under the roots, once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from desktop_audit.models import Fragment, Hit, LocatedHit, Origin, SourceGroup, SourceKind
from desktop_audit.scan.sources.base import ScanContext, locate_by_origin
from desktop_audit.scan.sources.catalogue import WalkRules, load_catalogue
from desktop_audit.scan.sources.decoders import decode_for
from desktop_audit.scan.sources.pacing import Pacer
from desktop_audit.scan.sources.reading import SkipFile, has_suffix, read_chunks
from desktop_audit.scan.sources.walk import EntryKind, os_error_message, walk

NAME = "files"


def guess_format(path: Path) -> str | None:
    """A coarse format tag from the file name (lets the detector and decoders specialise)."""
    name = path.name.lower()
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    if name.endswith((".pem", ".key", ".crt")):
        return "pem"
    return None


def file_fragments(
    path: Path, rules: WalkRules, origin: Origin, *, follow: bool = False
) -> Iterator[Fragment]:
    """A file as fragments (chunked past ``rules.chunk_bytes``) plus decoded hidden values.

    Raises :class:`SkipFile` or ``OSError`` before the first fragment when it is not read.
    """
    for chunk in read_chunks(path, rules, follow=follow):
        chunk_origin = Origin(
            source=origin.source,
            path=origin.path,
            inner_path=origin.inner_path,
            line_base=chunk.line_base,
            file_format=origin.file_format,
        )
        yield Fragment(chunk.data, chunk_origin)
        for line, decoded in decode_for(origin.file_format, chunk.data):
            yield Fragment(
                decoded,
                Origin(
                    source=origin.source,
                    path=origin.path,
                    inner_path=origin.inner_path,
                    line_base=chunk.line_base + line,
                    fixed_line=True,
                    file_format=origin.file_format,
                ),
            )


class FilesSource:
    """Walk each root (skip rules from the catalogue) and yield every regular text file."""

    group = SourceGroup.FILES

    def __init__(self, roots: Sequence[Path], rules: WalkRules | None = None) -> None:
        self.roots = tuple(roots)
        self.rules = rules if rules is not None else load_catalogue().walk

    def iter_fragments(self, ctx: ScanContext) -> Iterator[Fragment]:
        stats = ctx.stat(NAME)
        pacer = Pacer(ctx, NAME)
        roots = self.roots or ctx.roots or (ctx.home,)

        def on_error(path: Path, message: str) -> None:
            ctx.error(NAME, path, message)

        for entry in walk(roots, ctx.home, self.rules, ctx.cancel, on_error):
            if ctx.cancel.cancelled:
                break
            if entry.kind is not EntryKind.FILE or entry.path in ctx.claimed_paths:
                continue
            if has_suffix(entry.path, self.rules.skip_file_suffixes):
                continue
            if entry.size > self.rules.max_file_bytes:
                ctx.error(NAME, entry.path, f"too large ({entry.size} bytes), skipped")
                continue
            origin = Origin(SourceKind.FILE, path=entry.path, file_format=guess_format(entry.path))
            size = 0
            try:
                for fragment in file_fragments(entry.path, self.rules, origin):
                    if not fragment.origin.fixed_line:
                        size += len(fragment.data)
                    yield fragment
            except SkipFile as skip:
                if skip.report:
                    ctx.error(NAME, entry.path, str(skip))
                continue
            except OSError as exc:
                ctx.error(NAME, entry.path, os_error_message(exc))
                continue
            ctx.claimed_paths.add(entry.path)
            stats.add("files")
            stats.add("bytes", size)
            pacer.step(str(entry.path), size)
        pacer.finish()

    def locate(self, hits: Sequence[Hit], ctx: ScanContext) -> Iterator[LocatedHit]:
        return locate_by_origin(hits)
