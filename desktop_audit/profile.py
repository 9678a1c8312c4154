"""The engagement profile IT hands out: client identity, endpoints, extra rules, checklist.

See DESIGN.md "Engagement profile (contract)". Unknown keys are errors naming file and line.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_audit.errors import ProfileError, RuleError

_SECTIONS: dict[str, frozenset[str]] = {
    "engagement": frozenset({"client", "contract_id", "security_contact"}),
    "endpoints": frozenset({"domains", "hosts", "keywords", "cidrs"}),
    "checklist": frozenset({"items"}),
}
_TOP_LEVEL = frozenset({*_SECTIONS, "rules", "guides"})
_DOMAIN = re.compile(r"\A(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\Z")
_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: str
    text: str


@dataclass(frozen=True)
class Profile:
    """A parsed, validated engagement profile. ``rules`` are raw tables checked by the loader."""

    client: str
    contract_id: str
    security_contact: str = ""
    domains: tuple[str, ...] = ()
    hosts: tuple[re.Pattern[str], ...] = ()
    keywords: tuple[str, ...] = ()
    cidrs: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    rules: tuple[dict[str, Any], ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()
    guides: Mapping[str, str] = field(default_factory=dict)
    source_path: Path = Path()
    sha256: str = ""

    @property
    def has_endpoints(self) -> bool:
        return bool(self.domains or self.hosts or self.keywords or self.cidrs)


class _Ctx:
    """File name and text, to turn a key or value into a best-effort line number."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, text.splitlines()

    def line_of(self, needle: str, after: int = 0) -> int | None:
        pattern = re.compile(
            rf"(?:^|[\s{{,\[]){re.escape(needle)}\s*=|^\s*\[+\s*{re.escape(needle)}"
        )
        for number, line in enumerate(self.lines[after:], start=after + 1):
            quoted = f"'{needle}'" in line or f'"{needle}"' in line
            if quoted or pattern.search(line):
                return number
        return None

    def error(self, field_name: str, problem: str, needle: str | None = None) -> ProfileError:
        line = self.line_of(needle or field_name.rsplit(".", 1)[-1].split("[", 1)[0])
        where = f"{self.path}:{line}" if line else str(self.path)
        return ProfileError(f"{where}: {field_name}: {problem}")


def _strs(ctx: _Ctx, table: Mapping[str, Any], section: str, key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ctx.error(f"{section}.{key}", "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _check_keys(ctx: _Ctx, data: Mapping[str, Any]) -> None:
    for key in data:
        if key not in _TOP_LEVEL:
            raise ctx.error(key, "unknown key")
    for section, allowed in _SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ctx.error(section, "must be a table")
        for key in table:
            if key not in allowed:
                raise ctx.error(f"{section}.{key}", "unknown key")


# Letters IDNA 2003 (Python's "idna" codec) maps to others while IDNA 2008 keeps them: a name
# with one of them has two different ASCII forms, so the profile must give the one it means.
_IDNA_DEVIATIONS = frozenset("ßς\u200c\u200d")  # and the zero-width (non-)joiners


def _idna(name: str) -> str | None:
    """The ASCII form of a domain name (``bücher.example`` -> ``xn--bcher-kva.example``), or
    None when it cannot be one or would be ambiguous (``ß``, ``ς``: write the xn-- form)."""
    if any(ch in _IDNA_DEVIATIONS for ch in name):
        return None
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _endpoints(ctx: _Ctx, table: Mapping[str, Any]) -> dict[str, Any]:
    # (RE2, which the check loads, is needed only when a profile is read.)
    from desktop_audit.scan.rules.linear import linear_problem  # noqa: PLC0415

    domains: list[str] = []
    for domain in _strs(ctx, table, "endpoints", "domains"):
        name = domain.lower().removeprefix("*.").rstrip(".")
        ascii_name = _idna(name)
        if ascii_name is None or not _DOMAIN.match(ascii_name):
            why = "not a domain name (with ß or ς in it, give its xn-- form)"
            raise ctx.error("endpoints.domains", why, domain)
        # An internationalised name is matched as written and in its ASCII (IDNA) form.
        domains.extend(n for n in dict.fromkeys((ascii_name, name)) if n not in domains)
    hosts = []
    for pattern in _strs(ctx, table, "endpoints", "hosts"):
        try:
            hosts.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ctx.error("endpoints.hosts", f"bad regex: {exc.msg}", pattern) from exc
        problem = linear_problem(pattern)  # host patterns run over everything: linear time
        if problem is not None:
            raise ctx.error("endpoints.hosts", f"unsupported regex: {problem}", pattern)
    cidrs = []
    for cidr in _strs(ctx, table, "endpoints", "cidrs"):
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise ctx.error("endpoints.cidrs", f"bad CIDR range {cidr!r}", cidr) from exc
        if isinstance(network, ipaddress.IPv6Network) and network.prefixlen < 8:
            raise ctx.error("endpoints.cidrs", "IPv6 ranges must be /8 or narrower", cidr)
        cidrs.append(network)
    keywords = tuple(k.lower() for k in _strs(ctx, table, "endpoints", "keywords"))
    return {
        "domains": tuple(domains),
        "hosts": tuple(hosts),
        "keywords": keywords,
        "cidrs": tuple(cidrs),
    }


def _checklist(ctx: _Ctx, table: Mapping[str, Any]) -> tuple[ChecklistItem, ...]:
    items = table.get("items", [])
    out = []
    for item in items if isinstance(items, list) else [None]:
        if not isinstance(item, dict) or set(item) != {"id", "text"}:
            raise ctx.error("checklist.items", "each item needs exactly 'id' and 'text'")
        if not all(isinstance(item[k], str) and item[k] for k in ("id", "text")):
            raise ctx.error("checklist.items", "'id' and 'text' must be non-empty strings")
        out.append(ChecklistItem(item["id"], item["text"]))
    if len({i.id for i in out}) != len(out):
        raise ctx.error("checklist.items", "duplicate item id")
    return tuple(out)


def _rules(ctx: _Ctx, data: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    from desktop_audit.scan.rules.loader import parse_rules  # noqa: PLC0415  (layering)

    tables = data.get("rules", [])
    if not isinstance(tables, list):
        raise ctx.error("rules", "must be an array of tables ([[rules]])")
    for index, table in enumerate(tables):
        try:
            parse_rules([table], str(ctx.path), profile=True)
        except RuleError as exc:
            rule_id = table.get("id") if isinstance(table, dict) else None
            needle = f'"{rule_id}"' if isinstance(rule_id, str) else "rules"
            line = ctx.line_of(needle) or ctx.line_of("rules")
            message = str(exc).removeprefix(f"{ctx.path}: ")
            where = f"{ctx.path}:{line}" if line else str(ctx.path)
            raise ProfileError(f"{where}: rules[{index}]: {message}") from exc
    return tuple(dict(t) for t in tables)


def load_profile(path: Path) -> Profile:
    """Read and validate a profile; any problem raises :class:`ProfileError` with file:line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: profile is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        where = f"{path}:{found.group(1)}" if found else str(path)
        raise ProfileError(f"{where}: TOML syntax error: {exc}") from exc
    ctx = _Ctx(path, text)
    _check_keys(ctx, data)
    engagement = data.get("engagement")
    if not engagement:
        raise ctx.error("engagement", "missing [engagement] section")
    for key in ("client", "contract_id"):
        if not isinstance(engagement.get(key), str) or not engagement[key].strip():
            raise ctx.error(f"engagement.{key}", "required non-empty string")
    contact = engagement.get("security_contact", "")
    if not isinstance(contact, str):
        raise ctx.error("engagement.security_contact", "must be a string")
    guides = data.get("guides", {})
    if not isinstance(guides, dict) or not all(isinstance(v, str) for v in guides.values()):
        raise ctx.error("guides", "must be a table of strings")
    return Profile(
        client=engagement["client"].strip(),
        contract_id=engagement["contract_id"].strip(),
        security_contact=contact.strip(),
        **_endpoints(ctx, data.get("endpoints", {})),
        rules=_rules(ctx, data),
        checklist=_checklist(ctx, data.get("checklist", {})),
        guides=dict(guides),
        source_path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
