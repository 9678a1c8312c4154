"""The ``browser`` source: client endpoint references in browser history and saved-login origins.

Chromium family (Chrome, Chromium, Edge, Brave, Vivaldi): ``History`` (``urls.url``) and
``Login Data`` (``logins.origin_url``, ``action_url``, ``signon_realm``); Firefox:
``places.sqlite`` (``moz_places.url``) and ``logins.json`` (``hostname``, ``formSubmitURL``).
Every profile directory of every catalogued browser is read. A database is read as an image in
memory with its write-ahead log applied (``sqlite_image``): a running browser's lock does not
matter, nothing of the browser's is touched and no copy is written anywhere. Password columns
are never selected; nothing is decrypted.

Each database gives a fragment of URLs, one per line (line = row number): only endpoint hits
come from it. URLs carrying ``user:password@`` are yielded again one by one: credential hits
come only from those.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from desktop_audit.models import (
    FindingKind,
    Fragment,
    Hit,
    LocatedHit,
    Origin,
    SourceGroup,
    SourceKind,
)
from desktop_audit.scan.sources.base import ScanContext, keep_hits
from desktop_audit.scan.sources.catalogue import BrowserEntry, load_catalogue
from desktop_audit.scan.sources.pacing import Pacer
from desktop_audit.scan.sources.sqlite_image import ImageTooLargeError, open_image
from desktop_audit.scan.sources.walk import os_error_message

NAME = "browser"
URLS_FORMAT = "browser-urls"
USERINFO_FORMAT = "browser-url-userinfo"
ROWS_PER_FRAGMENT = 20_000
MAX_DB_BYTES = 512 << 20  # read whole into memory


@dataclass(frozen=True, slots=True)
class Store:
    """One readable store of a profile: ``query`` selects URL-like text, never passwords."""

    name: str
    query: str = ""  # empty: a JSON file


CHROMIUM = (
    Store("History", "SELECT url FROM urls ORDER BY id"),
    Store("Login Data", "SELECT origin_url, action_url, signon_realm FROM logins ORDER BY id"),
    Store(
        "Login Data For Account",
        "SELECT origin_url, action_url, signon_realm FROM logins ORDER BY id",
    ),
)
FIREFOX = (
    Store("places.sqlite", "SELECT url FROM moz_places ORDER BY id"),
    Store("logins.json"),
)
STORES = {"chromium": CHROMIUM, "firefox": FIREFOX}


def allowed(hit: Hit) -> bool:
    """URL lists give endpoint hits; single ``user:password@`` URLs give credential hits."""
    if hit.origin.file_format == USERINFO_FORMAT:
        return hit.kind is FindingKind.CREDENTIAL
    return hit.kind is FindingKind.ENDPOINT


def profiles(home: Path, entries: Sequence[BrowserEntry]) -> Iterator[tuple[Path, str]]:
    """``(profile directory, engine)`` for every profile holding a known store."""
    for entry in entries:
        container = home / entry.path
        if not container.is_dir() or container.is_symlink():
            continue
        stores = STORES.get(entry.engine, ())
        for child in sorted(container.iterdir()):
            if child.is_symlink() or not child.is_dir():
                continue
            if any((child / store.name).is_file() for store in stores):
                yield child, entry.engine


def has_userinfo(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.password is not None


def query_rows(path: Path, query: str) -> Iterator[str]:
    """Rows of ``query`` on an in-memory image of the database at ``path`` (nothing is
    written: no copy, no journal), columns joined by spaces."""
    connection = open_image(path, MAX_DB_BYTES)
    try:
        for row in connection.execute(query):
            yield " ".join(str(value) for value in row if value)
    finally:
        connection.close()


def firefox_logins(path: Path) -> Iterator[str]:
    """``hostname`` and ``formSubmitURL`` of every saved login (encrypted fields untouched)."""
    with path.open("rb") as handle:
        document = json.load(handle)
    logins = document.get("logins", []) if isinstance(document, dict) else []
    for login in logins if isinstance(logins, list) else []:
        if isinstance(login, dict):
            values = (login.get("hostname"), login.get("formSubmitURL"))
            yield " ".join(str(value) for value in values if value)


def url_fragments(rows: Iterator[str], path: Path) -> Iterator[Fragment]:
    """Rows as line-numbered URL lists, plus each ``user:password@`` URL on its own."""
    batch: list[str] = []
    base = 0
    for number, row in enumerate(rows, start=1):
        text = row.replace("\n", " ")
        batch.append(text)
        if has_userinfo(text):
            yield Fragment(
                text.encode("utf-8", "surrogateescape"),
                Origin(
                    SourceKind.BROWSER,
                    path=path,
                    line_base=number,
                    fixed_line=True,
                    file_format=USERINFO_FORMAT,
                ),
            )
        if len(batch) >= ROWS_PER_FRAGMENT:
            yield _batch(batch, path, base)
            base, batch = number, []
    if batch:
        yield _batch(batch, path, base)


def _batch(lines: list[str], path: Path, base: int) -> Fragment:
    data = "\n".join(lines).encode("utf-8", "surrogateescape")
    return Fragment(
        data, Origin(SourceKind.BROWSER, path=path, line_base=base, file_format=URLS_FORMAT)
    )


class BrowserSource:
    """History URLs and saved-login origins of every browser profile under the home."""

    group = SourceGroup.FILES

    def __init__(self, home: Path, entries: Sequence[BrowserEntry] | None = None) -> None:
        self.home = home
        self.entries = tuple(entries) if entries is not None else load_catalogue().browsers

    def iter_fragments(self, ctx: ScanContext) -> Iterator[Fragment]:
        stats = ctx.stat(NAME)
        pacer = Pacer(ctx, NAME)
        for profile, engine in profiles(self.home, self.entries):
            if ctx.cancel.cancelled:
                break
            stats.add("profiles")
            for store in STORES[engine]:
                path = profile / store.name
                if not path.is_file() or path.is_symlink():
                    continue
                yield from self._store(path, store, ctx)
                pacer.step(str(path))
        pacer.finish()

    def _store(self, path: Path, store: Store, ctx: ScanContext) -> Iterator[Fragment]:
        stats = ctx.stat(NAME)
        try:
            size = path.stat().st_size
            if size > MAX_DB_BYTES:
                stats.add("skipped_too_large")
                ctx.error(NAME, path, f"too large ({size} bytes), skipped")
                return
            if store.query:
                rows = list(query_rows(path, store.query))
            else:
                rows = list(firefox_logins(path))
        except ImageTooLargeError as exc:
            stats.add("skipped_too_large")
            ctx.error(NAME, path, str(exc))
            return
        except sqlite3.Error as exc:
            stats.add("unreadable")
            ctx.error(NAME, path, f"unreadable browser database ({type(exc).__name__})")
            return
        except (OSError, ValueError) as exc:
            stats.add("unreadable")
            message = os_error_message(exc) if isinstance(exc, OSError) else "malformed file"
            ctx.error(NAME, path, message)
            return
        ctx.claimed_paths.add(path)
        stats.add("databases")
        stats.add("logins" if "ogin" in store.name else "urls", len(rows))
        stats.add("bytes", sum(len(row) for row in rows))
        yield from url_fragments(iter(rows), path)

    def locate(self, hits: Sequence[Hit], ctx: ScanContext) -> Iterator[LocatedHit]:
        return keep_hits(hits, allowed)
