"""Client endpoint matching from the profile: domains, host regexes, keywords, CIDR ranges.

The "secret" of an endpoint hit is the matched host, keyword or address, lowercased; its
preview is the profile matcher that matched (``*.example-labs.example``, ``keyword #2``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_audit.scan.rules.linear import LinearPattern
from desktop_audit.scan.rules.prefilter import make_prefilter

if TYPE_CHECKING:
    from desktop_audit.profile import Profile

_HOST_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
_WORD_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_IPV4 = re.compile(rb"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
# An IPv6 address as written: hex groups and colons (an IPv4 tail allowed), at most 45 bytes.
_IPV6 = re.compile(
    rb"[0-9A-Fa-f:]{2,29}\d{1,3}(?:\.\d{1,3}){3}(?![.\d])|[0-9A-Fa-f:]{2,39}(?![.\d])"
)
_HEX_OR_COLON = frozenset(b"0123456789abcdefABCDEF:")


@dataclass(frozen=True, slots=True)
class EndpointMatch:
    rule_id: str
    secret: bytes
    start: int
    end: int
    label: str


def _cidr_prefixes(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[str]:
    """Literal text prefixes every address in ``network`` starts with (for the prefilter)."""
    if isinstance(network, ipaddress.IPv6Network):
        return _cidr6_prefixes(network)
    first, second = network.network_address.packed[:2]
    if network.prefixlen >= 16:
        return [f"{first}.{second}."]
    if network.prefixlen >= 8:
        return [f"{first}.{second + i}." for i in range(1 << (16 - network.prefixlen))]
    return [f"{first + i}." for i in range(1 << (8 - network.prefixlen))]


def _cidr6_prefixes(network: ipaddress.IPv6Network) -> list[str]:
    """The first group of every address in ``network`` as written (``fd00:``; ``::`` where
    it may be zero and compressed away). The profile loader allows prefixes of /8 or longer."""
    first = int.from_bytes(network.network_address.packed[:2], "big")
    count = 1 << max(0, 16 - network.prefixlen)
    out: list[str] = []
    for group in range(first, first + count):
        out.append(f"{group:x}:")
        if group == 0:
            out.append("::")
    return out


class EndpointMatcher:
    """Finds the profile's endpoints in text; one keyword prefilter for domains, code names
    and address prefixes, host regexes run over the whole fragment."""

    def __init__(self, profile: Profile, engine: str | None = None) -> None:
        self._literals: list[tuple[str, int]] = []  # (matcher kind, index)
        keywords: list[bytes] = []
        for index, domain in enumerate(profile.domains):
            keywords.append(domain.encode())
            self._literals.append(("domain", index))
        for index, word in enumerate(profile.keywords):
            keywords.append(word.encode())
            self._literals.append(("keyword", index))
        for index, network in enumerate(profile.cidrs):
            for prefix in _cidr_prefixes(network):
                keywords.append(prefix.encode())
                self._literals.append(("cidr", index))
        self._keywords = keywords
        self._profile = profile
        self._hosts = [LinearPattern(h.pattern, ignore_case=True) for h in profile.hosts]
        self._prefilter = make_prefilter(keywords, engine)

    def find(self, data: bytes) -> list[EndpointMatch]:
        """Every endpoint reference in ``data``, in offset order, one per span."""
        found: dict[tuple[int, int], EndpointMatch] = {}
        for keyword_index, pos in self._prefilter.scan(data):
            kind, index = self._literals[keyword_index]
            end = pos + len(self._keywords[keyword_index])
            match = getattr(self, f"_{kind}")(data, pos, end, index)
            if match is not None:
                found.setdefault((match.start, match.end), match)
        for index, pattern in enumerate(self._hosts):
            for start, end in pattern.spans(data):
                if start == end or not self._host_boundary(data, start, end):
                    continue
                found.setdefault(
                    (start, end),
                    EndpointMatch(
                        "endpoint.host",
                        data[start:end].lower(),
                        start,
                        end,
                        f"host /{self._profile.hosts[index].pattern}/",
                    ),
                )
        return sorted(found.values(), key=lambda m: m.start)

    @staticmethod
    def _host_boundary(data: bytes, start: int, end: int) -> bool:
        before = data[start - 1] if start else 0
        after = data[end] if end < len(data) else 0
        return before not in _HOST_CHARS and (after not in _HOST_CHARS or after == ord("."))

    def _domain(self, data: bytes, start: int, end: int, index: int) -> EndpointMatch | None:
        after = data[end] if end < len(data) else 0
        if after in _WORD_CHARS or after == ord("-"):
            return None
        if after == ord(".") and end + 1 < len(data) and data[end + 1] in _WORD_CHARS:
            return None
        before = data[start - 1] if start else 0
        if before in _HOST_CHARS and before != ord("."):
            return None
        host_start = start
        while host_start > 0 and data[host_start - 1] in _HOST_CHARS and start - host_start < 253:
            host_start -= 1
        host = data[host_start:end].lstrip(b".-").lower()
        host_start = end - len(host)
        label = f"*.{self._profile.domains[index]}"
        return EndpointMatch("endpoint.domain", host, host_start, end, label)

    def _keyword(self, data: bytes, start: int, end: int, index: int) -> EndpointMatch | None:
        before = data[start - 1] if start else 0
        after = data[end] if end < len(data) else 0
        if before in _WORD_CHARS or after in _WORD_CHARS:
            return None
        word = data[start:end].lower()
        return EndpointMatch("endpoint.keyword", word, start, end, f"keyword #{index + 1}")

    def _cidr(self, data: bytes, start: int, end: int, index: int) -> EndpointMatch | None:
        if isinstance(self._profile.cidrs[index], ipaddress.IPv6Network):
            return self._cidr6(data, start, index)
        del end
        if start and (data[start - 1] in _WORD_CHARS or data[start - 1] == ord(".")):
            return None
        m = _IPV4.match(data, start, start + 15)
        if m is None:
            return None
        tail = data[m.end() : m.end() + 2]
        if tail[:1].isdigit() or (tail[:1] == b"." and tail[1:2].isdigit()):
            return None
        try:
            address = ipaddress.IPv4Address(m.group().decode())
        except ValueError:
            return None
        network = self._profile.cidrs[index]
        if address not in network:
            return None
        return EndpointMatch("endpoint.cidr", m.group(), m.start(), m.end(), str(network))

    def _cidr6(self, data: bytes, start: int, index: int) -> EndpointMatch | None:
        """An IPv6 address of the range starting at ``start`` (``[fd00:12::5]:22``, ``fd00::1``)."""
        if start and (data[start - 1] in _HEX_OR_COLON or data[start - 1] in _WORD_CHARS):
            return None
        m = _IPV6.match(data, start, start + 45)
        if m is None:
            return None
        text = m.group()
        if text.endswith(b":") and not text.endswith(b"::"):
            text = text[:-1]  # a colon after the address ("fd00::1: up")
        after = data[start + len(text) : start + len(text) + 1]
        if after and (after in b"gG" or after[0] in _WORD_CHARS):
            return None
        try:
            address = ipaddress.IPv6Address(text.decode("ascii"))
        except ValueError:
            return None
        network = self._profile.cidrs[index]
        if address not in network:
            return None
        return EndpointMatch("endpoint.cidr", text.lower(), start, start + len(text), str(network))


def known_hosts_matches(profile: Profile, hashed_entry: str) -> str | None:
    """The profile domain whose name hashes to a ``|1|salt|hash`` known_hosts entry, or None.

    Candidates are the profile's literal domains and their bare names (first label).
    """
    field = hashed_entry.strip().split()[0] if hashed_entry.strip() else ""
    for entry in field.split(","):
        parts = entry.split("|")
        if len(parts) != 4 or parts[1] != "1":
            continue
        try:
            salt, digest = base64.b64decode(parts[2]), base64.b64decode(parts[3])
        except ValueError:
            continue
        for domain in profile.domains:
            for name in dict.fromkeys((domain, domain.split(".", 1)[0])):
                mac = hmac.new(salt, name.encode(), hashlib.sha1).digest()
                if hmac.compare_digest(mac, digest):
                    return name
    return None
