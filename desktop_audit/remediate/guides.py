"""Revocation guides: data files (``resources/guides/<id>.toml``), validated and rendered.

A guide says where and how to revoke a credential, what else to check at the provider and how
to confirm it is dead. The engagement profile may add or override guides (``[guides.<id>]``).
Rendering fills placeholders from non-secret values only (redacted preview, path, profile).
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from desktop_audit.errors import GuideError
from desktop_audit.resources import resources_dir

FALLBACK_GUIDE = "generic"
_TEXT_KEYS = frozenset({"title", "summary", "console_url"})
_LIST_KEYS = frozenset({"cli", "steps", "also_check", "verify", "references", "aliases"})
_KNOWN_KEYS = _TEXT_KEYS | _LIST_KEYS | {"id"}
_REQUIRED = ("title", "summary", "steps", "verify")
PLACEHOLDERS = frozenset(
    {"key_id", "preview", "path", "client", "security_contact", "provider", "rule_id", "title"}
)
_FILLED_KEYS = ("summary", "cli", "steps", "also_check", "verify")


@dataclass(frozen=True, slots=True)
class Guide:
    """One provider's revocation guide (no secret: placeholders only)."""

    id: str
    title: str
    summary: str
    steps: tuple[str, ...]
    verify: tuple[str, ...]
    console_url: str = ""
    cli: tuple[str, ...] = ()
    also_check: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class GuideContext:
    """Non-secret values a guide may quote. ``key_id`` stays a placeholder unless public."""

    preview: str = ""
    path: str = ""
    provider: str = ""
    rule_id: str = ""
    client: str = ""
    security_contact: str = ""
    key_id: str = ""


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise GuideError(f"{where}: {url!r} must be an https:// URL")


def _check_placeholders(text: str, where: str) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise GuideError(f"{where}: bad placeholder syntax ({exc})") from None
    unknown = sorted(set(fields) - PLACEHOLDERS)
    if unknown:
        raise GuideError(f"{where}: unknown placeholder(s) {', '.join(unknown)}")


def parse_guide(guide_id: str, table: Mapping[str, Any], source: str) -> Guide:
    """Validate one guide table; every problem names the source and the key."""
    where = f"{source}: guide {guide_id!r}"
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise GuideError(f"{where}: unknown key(s) {', '.join(unknown)}")
    if "id" in table and table["id"] != guide_id:
        raise GuideError(f"{where}: 'id' must be {guide_id!r} (the file or table name)")
    for key in _REQUIRED:
        if not table.get(key):
            raise GuideError(f"{where}: missing {key!r}")
    for key in _TEXT_KEYS:
        if key in table and not isinstance(table[key], str):
            raise GuideError(f"{where}: {key!r} must be a string")
    for key in _LIST_KEYS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise GuideError(f"{where}: {key!r} must be a list of non-empty strings")
    if table.get("console_url"):
        _check_url(table["console_url"], f"{where}: console_url")
    for url in table.get("references", []):
        _check_url(url, f"{where}: references")
    for key in _FILLED_KEYS:
        values = table.get(key, [])
        for text in [values] if isinstance(values, str) else values:
            _check_placeholders(text, f"{where}: {key}")
    return Guide(
        id=guide_id,
        title=table["title"],
        summary=table["summary"],
        steps=tuple(table["steps"]),
        verify=tuple(table["verify"]),
        console_url=table.get("console_url", ""),
        cli=tuple(table.get("cli", [])),
        also_check=tuple(table.get("also_check", [])),
        references=tuple(table.get("references", [])),
        aliases=tuple(table.get("aliases", [])),
        source=source,
    )


def load_guide_file(path: Path) -> Guide:
    """A guide file; its id is the file name without ``.toml``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GuideError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GuideError(f"{path}: TOML syntax error: {exc}") from None
    return parse_guide(path.stem, data, str(path))


class GuideBook:
    """Guides by id and alias; lookups fall back to the provider, then ``generic``."""

    def __init__(self, guides: Mapping[str, Guide]) -> None:
        self._guides = dict(guides)
        self._aliases: dict[str, str] = {}
        for guide in self._guides.values():
            for alias in guide.aliases:
                owner = self._aliases.get(alias)
                if alias in self._guides or (owner and owner != guide.id):
                    raise GuideError(f"{guide.source}: alias {alias!r} is already a guide id")
                self._aliases[alias] = guide.id

    @property
    def ids(self) -> frozenset[str]:
        """Every id a rule's ``guide`` may name (guide ids and aliases)."""
        return frozenset(self._guides) | frozenset(self._aliases)

    def get(self, guide_id: str) -> Guide | None:
        return self._guides.get(guide_id) or self._guides.get(self._aliases.get(guide_id, ""))

    def for_finding(self, guide_id: str, provider: str = "") -> Guide:
        """The finding's guide, else its provider's, else the generic guide."""
        for candidate in (guide_id, provider, FALLBACK_GUIDE):
            guide = self.get(candidate)
            if guide is not None:
                return guide
        raise GuideError(f"no guide {guide_id!r} and no {FALLBACK_GUIDE!r} guide")


def load_guides(
    directory: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> GuideBook:
    """The shipped guides plus the profile's ``[guides.<id>]`` tables (merged key by key).

    An override of an existing guide replaces only the keys it names; a new id must be a full
    guide. A string value (older profiles) is taken as the guide's ``summary``.
    """
    folder = directory or resources_dir() / "guides"
    guides = {p.stem: load_guide_file(p) for p in sorted(folder.glob("*.toml"))}
    for guide_id, value in (overrides or {}).items():
        table: Mapping[str, Any] = {"summary": value} if isinstance(value, str) else value
        if not isinstance(table, Mapping):
            raise GuideError(f"profile: guides.{guide_id} must be a table")
        base = guides.get(guide_id)
        merged: dict[str, Any] = {} if base is None else _as_table(base)
        merged.update(table)
        guides[guide_id] = parse_guide(guide_id, merged, f"profile guides.{guide_id}")
    return GuideBook(guides)


def _as_table(guide: Guide) -> dict[str, Any]:
    table: dict[str, Any] = {
        "title": guide.title,
        "summary": guide.summary,
        "steps": list(guide.steps),
        "verify": list(guide.verify),
    }
    for key in ("cli", "also_check", "references", "aliases"):
        if getattr(guide, key):
            table[key] = list(getattr(guide, key))
    if guide.console_url:
        table["console_url"] = guide.console_url
    return table


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key.upper()}>"


def render(guide: Guide, ctx: GuideContext) -> Guide:
    """The guide with placeholders filled; empty values stay visible placeholders."""
    values = _Fill({k: v for k, v in _context_values(guide, ctx).items() if v})

    def fill(text: str) -> str:
        return text.format_map(values)

    return replace(
        guide,
        summary=fill(guide.summary),
        cli=tuple(fill(t) for t in guide.cli),
        steps=tuple(fill(t) for t in guide.steps),
        also_check=tuple(fill(t) for t in guide.also_check),
        verify=tuple(fill(t) for t in guide.verify),
    )


def _context_values(guide: Guide, ctx: GuideContext) -> dict[str, str]:
    contact = ctx.security_contact or "the client's security contact (see the engagement profile)"
    return {
        "key_id": ctx.key_id,
        "preview": ctx.preview,
        "path": ctx.path,
        "provider": ctx.provider,
        "rule_id": ctx.rule_id,
        "client": ctx.client or "the client",
        "security_contact": contact,
        "title": guide.title,
    }


def as_text(guide: Guide) -> str:
    """A plain-text rendering for the terminal (already filled by :func:`render`)."""
    lines = [guide.title, "", guide.summary, ""]
    if guide.console_url:
        lines += [f"Revoke at: {guide.console_url}", ""]
    sections = (
        ("Steps", guide.steps),
        ("Command line", guide.cli),
        ("Also check", guide.also_check),
        ("Verify it is dead", guide.verify),
        ("References", guide.references),
    )
    for heading, items in sections:
        if items:
            lines.append(f"{heading}:")
            lines += [f"  - {item}" for item in items]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
