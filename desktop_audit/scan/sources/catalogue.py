"""The credential-location catalogue and walk rules (``resources/dotfiles.toml``), as typed data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from desktop_audit.resources import resource_path

CATALOGUE_FILE = "dotfiles.toml"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """A known file (glob) relative to home and how it is laid out."""

    path: str
    format: str
    exclude: tuple[str, ...] = ()
    os: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class WalkRules:
    """What tree walkers never enter or read, and the size limits for reading."""

    skip_dir_names: frozenset[str] = frozenset()
    skip_dir_globs: tuple[str, ...] = ()
    skip_home_paths: tuple[str, ...] = ()
    skip_abs_paths: tuple[str, ...] = ()
    honour_cachedir_tag: bool = True
    skip_file_suffixes: frozenset[str] = frozenset()
    key_container_suffixes: frozenset[str] = frozenset()
    max_file_bytes: int = 25 * 1024 * 1024
    chunk_bytes: int = 4 * 1024 * 1024
    sniff_bytes: int = 8192
    # Trees under the home swept even though a skip rule hides them (the trash).
    extra_home_roots: tuple[str, ...] = ()
    # Archives read one level deep, within these limits (a zip bomb is reported and skipped).
    archive_suffixes: tuple[str, ...] = ()
    document_suffixes: tuple[str, ...] = ()  # office documents: zip containers of XML text
    ole_suffixes: frozenset[str] = frozenset()  # legacy Office files, Outlook messages
    archive_max_bytes: int = 256 * 1024 * 1024
    archive_max_expanded: int = 512 * 1024 * 1024
    archive_max_ratio: int = 100
    archive_max_members: int = 10_000


@dataclass(frozen=True, slots=True)
class BrowserEntry:
    """A browser's profile container relative to home: ``engine`` is chromium or firefox."""

    path: str
    engine: str
    name: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    dotfiles: tuple[CatalogueEntry, ...]
    histories: tuple[CatalogueEntry, ...]
    walk: WalkRules
    browsers: tuple[BrowserEntry, ...] = ()


def _entries(raw: Any, section: str) -> tuple[CatalogueEntry, ...]:
    entries = []
    for item in raw.get(section, []):
        entries.append(
            CatalogueEntry(
                path=str(item["path"]),
                format=str(item["format"]),
                exclude=tuple(str(x) for x in item.get("exclude", ())),
                os=tuple(str(x) for x in item.get("os", ())),
                enabled=bool(item.get("enabled", True)),
            )
        )
    return tuple(entries)


def _walk_rules(raw: dict[str, Any]) -> WalkRules:
    default = WalkRules()
    return WalkRules(
        skip_dir_names=frozenset(raw.get("skip_dir_names", ())),
        skip_dir_globs=tuple(raw.get("skip_dir_globs", ())),
        skip_home_paths=tuple(raw.get("skip_home_paths", ())),
        skip_abs_paths=tuple(raw.get("skip_abs_paths", ())),
        honour_cachedir_tag=bool(raw.get("honour_cachedir_tag", True)),
        skip_file_suffixes=frozenset(s.lower() for s in raw.get("skip_file_suffixes", ())),
        key_container_suffixes=frozenset(s.lower() for s in raw.get("key_container_suffixes", ())),
        max_file_bytes=int(raw.get("max_file_bytes", default.max_file_bytes)),
        chunk_bytes=int(raw.get("chunk_bytes", default.chunk_bytes)),
        sniff_bytes=int(raw.get("sniff_bytes", default.sniff_bytes)),
        extra_home_roots=tuple(str(x) for x in raw.get("extra_home_roots", ())),
        archive_suffixes=tuple(str(x).lower() for x in raw.get("archive_suffixes", ())),
        document_suffixes=tuple(str(x).lower() for x in raw.get("document_suffixes", ())),
        ole_suffixes=frozenset(str(x).lower() for x in raw.get("ole_suffixes", ())),
        archive_max_bytes=int(raw.get("archive_max_bytes", default.archive_max_bytes)),
        archive_max_expanded=int(raw.get("archive_max_expanded", default.archive_max_expanded)),
        archive_max_ratio=int(raw.get("archive_max_ratio", default.archive_max_ratio)),
        archive_max_members=int(raw.get("archive_max_members", default.archive_max_members)),
    )


def parse_catalogue(text: str) -> Catalogue:
    """Parse catalogue TOML text."""
    raw = tomllib.loads(text)
    return Catalogue(
        dotfiles=_entries(raw, "dotfile"),
        histories=_entries(raw, "history"),
        walk=_walk_rules(raw.get("walk", {})),
        browsers=tuple(
            BrowserEntry(str(b["path"]), str(b["engine"]), str(b["name"]))
            for b in raw.get("browser", [])
        ),
    )


@cache
def load_catalogue(path: Path | None = None) -> Catalogue:
    """The shipped catalogue (or the one at ``path``), parsed once."""
    file = path if path is not None else resource_path(CATALOGUE_FILE)
    return parse_catalogue(file.read_text(encoding="utf-8"))
