"""The ``history`` source: shell and REPL histories, decoded so lines stay the file's lines."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from desktop_audit.models import Fragment, Hit, LocatedHit, Origin, SourceGroup, SourceKind
from desktop_audit.scan.sources.base import ScanContext, locate_by_origin
from desktop_audit.scan.sources.catalogue import Catalogue, load_catalogue
from desktop_audit.scan.sources.dotfiles import expand, readable_target
from desktop_audit.scan.sources.pacing import Pacer
from desktop_audit.scan.sources.reading import SkipFile, read_whole
from desktop_audit.scan.sources.sqlite_image import ImageTooLargeError, open_image
from desktop_audit.scan.sources.walk import os_error_message

NAME = "history"
_ZSH_EXTENDED = re.compile(rb"^: \d+:\d+;", re.MULTILINE)
_OCTAL = re.compile(rb"\\([0-3][0-7]{2})")
_FISH_CMD = re.compile(rb"^- cmd: ?(.*)$")
_LIBEDIT_HEADER = b"_HiStOrY_V2_"
ZSH_META = 0x83


def unmetafy(data: bytes) -> bytes:
    """Undo zsh's history metafication: ``0x83`` followed by ``byte ^ 0x20``."""
    if ZSH_META not in data:
        return data
    parts = data.split(bytes([ZSH_META]))
    out = bytearray(parts[0])
    for part in parts[1:]:
        if part:
            out.append(part[0] ^ 0x20)
            out += part[1:]
    return bytes(out)


def decode_zsh(data: bytes) -> bytes:
    """zsh history (plain or ``: <time>:<duration>;cmd`` extended), unmetafied."""
    return _ZSH_EXTENDED.sub(b"", unmetafy(data))


def _octal_char(match: re.Match[bytes]) -> bytes:
    value = int(match.group(1), 8)
    return b" " if value == 0x0A else bytes([value])


def decode_octal(data: bytes) -> bytes:
    """libedit / mysql escapes (``\\040`` is a space); an escaped newline stays on its line."""
    return _OCTAL.sub(_octal_char, data)


def decode_readline(data: bytes) -> bytes:
    """GNU readline histories are plain; libedit ones start with a header and escape octets."""
    return decode_octal(data) if data.startswith(_LIBEDIT_HEADER) else data


def _fish_unescape(command: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(command):
        char = command[i]
        if char == 0x5C and i + 1 < len(command):  # backslash
            following = command[i + 1]
            out += b" " if following == ord("n") else bytes([following])
            i += 2
            continue
        out.append(char)
        i += 1
    return bytes(out)


def decode_fish(data: bytes) -> bytes:
    """fish's YAML-like history: each ``- cmd: ...`` line becomes the unescaped command."""
    lines = data.split(b"\n")
    for index, line in enumerate(lines):
        match = _FISH_CMD.match(line)
        if match:
            lines[index] = _fish_unescape(match.group(1))
    return b"\n".join(lines)


def _identity(data: bytes) -> bytes:
    return data


DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "bash": _identity,
    "powershell": _identity,
    "zsh": decode_zsh,
    "fish": decode_fish,
    "readline": decode_readline,
    "mysql": decode_octal,
}


# Shell histories kept in SQLite: the query that lists their commands, oldest first.
SQLITE_HISTORIES: dict[str, str] = {
    "atuin": "SELECT command FROM history ORDER BY timestamp",
    "zsh-histdb": "SELECT argv FROM commands ORDER BY id",
    "mcfly": "SELECT cmd FROM commands ORDER BY id",
}


def sqlite_commands(path: Path, history_format: str) -> bytes:
    """The commands of a SQLite shell history, one per line (line n: the n-th command; a
    command's own line breaks become spaces)."""
    connection = open_image(path)
    try:
        rows = connection.execute(SQLITE_HISTORIES[history_format])
        lines = [
            (value if isinstance(value, str) else str(value or "")).replace("\n", " ")
            for (value,) in rows
        ]
    finally:
        connection.close()
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def ipython_rows(path: Path) -> Iterator[tuple[int, int, str]]:
    """(session, line, source) of an IPython history database, opened read-only."""
    connection = open_image(path)
    try:
        cursor = connection.execute(
            "SELECT session, line, COALESCE(source_raw, source, '') FROM history "
            "ORDER BY session, line"
        )
        for session, line, source in cursor:
            yield int(session), int(line), str(source)
    finally:
        connection.close()


class HistorySource:
    """Yield every known history file (catalogue ``[[history]]``) decoded line by line."""

    group = SourceGroup.HISTORY

    def __init__(self, home: Path, catalogue: Catalogue | None = None) -> None:
        self.home = home
        self.catalogue = catalogue if catalogue is not None else load_catalogue()

    def iter_fragments(self, ctx: ScanContext) -> Iterator[Fragment]:
        stats = ctx.stat(NAME)
        pacer = Pacer(ctx, NAME)
        for path, entry in expand(self.home, self.catalogue.histories):
            if ctx.cancel.cancelled:
                break
            if path in ctx.claimed_paths or not readable_target(path, ctx, NAME):
                continue
            origin = Origin(SourceKind.SHELL_HISTORY, path=path, file_format=entry.format)
            try:
                if entry.format == "ipython":
                    fragments = list(self._ipython(path, origin))
                elif entry.format in SQLITE_HISTORIES:
                    fragments = [Fragment(sqlite_commands(path, entry.format), origin)]
                else:
                    fragments = [self._text(path, entry.format, origin)]
            except SkipFile as skip:
                if skip.report:
                    ctx.error(NAME, path, str(skip))
                continue
            except sqlite3.Error:
                ctx.error(NAME, path, f"not a readable {entry.format} history database")
                continue
            except ImageTooLargeError as exc:
                ctx.error(NAME, path, str(exc))
                continue
            except OSError as exc:
                ctx.error(NAME, path, os_error_message(exc))
                continue
            size = 0
            for fragment in fragments:
                size += len(fragment.data)
                yield fragment
            ctx.claimed_paths.add(path)
            stats.add("files")
            stats.add("items", len(fragments))
            stats.add("bytes", size)
            pacer.step(str(path), size)
        pacer.finish()

    def _text(self, path: Path, history_format: str, origin: Origin) -> Fragment:
        data = read_whole(path, self.catalogue.walk, follow=True)
        decode = DECODERS.get(history_format, _identity)
        return Fragment(decode(data), origin)

    @staticmethod
    def _ipython(path: Path, origin: Origin) -> Iterator[Fragment]:
        for _session, line, source in ipython_rows(path):
            if source:
                yield Fragment(
                    source.encode("utf-8", "surrogateescape"),
                    Origin(
                        source=origin.source,
                        path=origin.path,
                        line_base=line,
                        fixed_line=True,
                        file_format=origin.file_format,
                    ),
                )

    def locate(self, hits: Sequence[Hit], ctx: ScanContext) -> Iterator[LocatedHit]:
        return locate_by_origin(hits)
