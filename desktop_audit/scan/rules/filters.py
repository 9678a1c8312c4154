"""Named false-positive filters. Each is pure: ``(candidate, allowlist) -> True to drop``.

Rules name the filters they use (``filters = [...]`` in TOML); the data the filters consult
(documented example keys, placeholder words, path patterns) lives in ``resources/allowlist.toml``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from desktop_audit.errors import RuleError
from desktop_audit.resources import resource_path
from desktop_audit.scan.rules.entropy import (
    alphabet_size,
    expected_entropy,
    longest_run,
    repeated_fraction,
    sequential_fraction,
    shannon_entropy,
)

INLINE_ALLOW_MARKER = b"desktop-audit:allow"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible secret: the ``secret`` bytes, the whole regex match and its line(s); for
    filters that look back, the data the line is in and where the line starts there."""

    secret: bytes
    match: bytes = b""
    line: bytes = b""
    data: bytes = b""
    line_start: int = 0

    def before(self, limit: int = 512) -> bytes:
        """Up to ``limit`` bytes of the data before the match's line."""
        return self.data[max(0, self.line_start - limit) : self.line_start]


@dataclass(frozen=True)
class Allowlist:
    """Data behind the filters (see ``resources/allowlist.toml``). The placeholder words are
    searched as one alternation, and the placeholder patterns without groups or flags of
    their own as one, both built once per allowlist."""

    known_examples: frozenset[bytes] = frozenset()
    placeholder_words: tuple[bytes, ...] = ()
    placeholder_values: frozenset[bytes] = frozenset()
    placeholder_patterns: tuple[re.Pattern[bytes], ...] = ()
    store_placeholder_patterns: tuple[re.Pattern[bytes], ...] = ()
    secret_patterns: tuple[re.Pattern[bytes], ...] = ()
    path_patterns: tuple[re.Pattern[str], ...] = ()
    low_entropy_bits: float = 3.0
    min_sequential: float = 0.6
    extra: dict[str, object] = field(default_factory=dict)
    # Built once from the lists above (see ``__post_init__``).
    _words: re.Pattern[bytes] | None = field(init=False, repr=False, compare=False)
    _patterns: tuple[re.Pattern[bytes], ...] = field(init=False, repr=False, compare=False)
    _store_patterns: tuple[re.Pattern[bytes], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = self.placeholder_words
        joined = re.compile(b"|".join(re.escape(w) for w in words)) if words else None
        object.__setattr__(self, "_words", joined)
        object.__setattr__(self, "_patterns", _joined_patterns(self.placeholder_patterns))
        store = _joined_patterns(self.store_placeholder_patterns)
        object.__setattr__(self, "_store_patterns", store)

    def placeholder_word_in(self, lowered: bytes) -> bool:
        """Does ``lowered`` hold one of ``placeholder_words`` anywhere (for text that is
        known to be words, not a random token)?"""
        return self._words is not None and self._words.search(lowered) is not None

    def placeholder_word_stands_out(self, secret: bytes) -> bool:
        """Does ``secret`` hold one of ``placeholder_words`` as a word of its own, not as a
        chance run inside random characters (see :func:`_stands_out`)?"""
        if self._words is None:
            return False
        lowered = secret.lower()
        found = [m.span() for m in self._words.finditer(lowered)]
        if not found:
            return False
        covered = sum(end - start for start, end in found)
        return covered * 10 >= len(secret.strip()) * 3 or any(
            _stands_out(secret, lowered, start, end) for start, end in found
        )

    def placeholder_pattern_in(self, secret: bytes) -> bool:
        """Does one of ``placeholder_patterns`` match somewhere in ``secret``?"""
        return any(p.search(secret) for p in self._patterns)

    def store_placeholder_pattern_in(self, secret: bytes) -> bool:
        """Does one of ``store_placeholder_patterns`` match ``secret``?"""
        return any(p.search(secret) for p in self._store_patterns)

    def path_allowed(self, path: str) -> bool:
        """True when findings under ``path`` are suppressed (vendored test fixtures ...)."""
        return any(p.search(path) for p in self.path_patterns)


_PLAIN_FLAGS = re.compile(b"").flags
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_LONG_RUN = 6  # xxxxxx: a run this long is a mask, not chance (about 1e-9 in a random token)
_CHANCE_WORD = 5  # longer words (``example``) turn up in random tokens too rarely to matter


def _stands_out(secret: bytes, lowered: bytes, start: int, end: int) -> bool:
    """Is the placeholder word at ``lowered[start:end]`` a word of its own in ``secret``?

    A random token holds a four-letter word such as ``todo`` or ``xxxx`` about once in ten
    thousand (``AKIAZEFTODOBCZVKUTLS``, ``XXXXV3K-...``): only a word that carries its own
    punctuation (``your_``, ``<your``), a mask run of six or more, or a word in one case
    bounded on both sides by an end of the value, punctuation or a camelCase step
    (``TODO``, ``todo-later``, ``myDummyToken``) counts.
    """
    word = lowered[start:end]
    if len(word) > _CHANCE_WORD or not _ALNUM.issuperset(word):
        return True
    mask = len(set(word)) == 1
    if mask:  # a mask run: measure all of it
        while start > 0 and lowered[start - 1] == word[0]:
            start -= 1
        while end < len(lowered) and lowered[end] == word[0]:
            end += 1
        if end - start >= _LONG_RUN:
            return True
    written = secret[start:end]
    title = written[:1].isupper() and (len(written) == 1 or written[1:].islower())
    if not (written.islower() or written.isupper() or title):
        return False  # "TODo": a chance mix of cases
    before = secret[start - 1 : start]
    after = secret[end : end + 1]
    camel = not mask  # a camelCase step bounds a word, not a mask (``Xxxx``)
    starts = not before or before[0] not in _ALNUM or (camel and title and before.islower())
    ends = (
        not after
        or after[0] not in _ALNUM
        or (camel and (written.islower() or title) and after.isupper())
    )
    return starts and ends


def _joined_patterns(patterns: tuple[re.Pattern[bytes], ...]) -> tuple[re.Pattern[bytes], ...]:
    """``patterns`` with those that can be joined into one alternation (no groups, no flags of
    their own: one search of ``(?:a)|(?:b)`` matches where a search of ``a`` or of ``b``
    would) joined, the others kept as they are."""
    plain = [p for p in patterns if p.groups == 0 and p.flags == _PLAIN_FLAGS]
    rest = [p for p in patterns if p.groups or p.flags != _PLAIN_FLAGS]
    if len(plain) < 2:
        return patterns
    try:
        joined = re.compile(b"|".join(b"(?:" + p.pattern + b")" for p in plain))
    except re.error:
        return patterns
    return (joined, *rest)


def load_allowlist(path: Path | None = None) -> Allowlist:
    """Read an allowlist TOML file (default: the shipped one)."""
    path = path or resource_path("allowlist.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: cannot read allowlist: {exc}") from exc
    try:
        return Allowlist(
            known_examples=frozenset(v.encode() for v in data.get("known_examples", [])),
            placeholder_words=tuple(w.lower().encode() for w in data.get("placeholder_words", [])),
            placeholder_values=frozenset(
                v.lower().encode() for v in data.get("placeholder_values", [])
            ),
            placeholder_patterns=tuple(
                re.compile(p.encode()) for p in data.get("placeholder_patterns", [])
            ),
            store_placeholder_patterns=tuple(
                re.compile(p.encode()) for p in data.get("store_placeholder_patterns", [])
            ),
            secret_patterns=tuple(re.compile(p.encode()) for p in data.get("secret_patterns", [])),
            path_patterns=tuple(re.compile(p) for p in data.get("paths", [])),
            low_entropy_bits=float(data.get("low_entropy_bits", 3.0)),
            min_sequential=float(data.get("min_sequential", 0.6)),
        )
    except re.error as exc:
        raise RuleError(f"{path}: bad allowlist regex: {exc}") from exc


@cache
def default_allowlist() -> Allowlist:
    """The shipped allowlist, read once."""
    return load_allowlist()


def known_example(c: Candidate, allow: Allowlist) -> bool:
    """Documented example credentials (AWS docs keys, vendor samples) and allow regexes."""
    secret = c.secret.strip()
    if secret in allow.known_examples:
        return True
    return any(p.search(secret) for p in allow.secret_patterns)


def example_in_match(c: Candidate, allow: Allowlist) -> bool:
    """A documentation marker (``secret_patterns``: ``EXAMPLE``) anywhere in the whole match,
    for rules whose secret is only part of what they match: the first line of an embedded
    PEM key whose last line is ``...EXAMPLE=``."""
    return any(p.search(c.match) for p in allow.secret_patterns)


# Letters split once or more by a percent-escape or punctuation: pass%3Bword, pass_word.
_SPLIT_WORD = re.compile(rb"\A[a-z]+(?:(?:%[0-9a-f]{2}|[^a-z0-9%])+[a-z]+)+\Z")
_SPLITTERS = re.compile(rb"%[0-9a-f]{2}|[^a-z0-9%]")


def placeholder(c: Candidate, allow: Allowlist) -> bool:
    """Template variables and stand-ins: ``xxxx``, ``<token>``, ``${VAR}``, ``changeme``, also
    split inside by punctuation or a percent-escape (``pass%3Bword``, ``foo%40bar``). A stand-in
    with a digit or a symbol at an end (``Password1!``) is a real, if weak, password."""
    lowered = c.secret.strip().lower()
    if not lowered or lowered in allow.placeholder_values:
        return True
    if _SPLIT_WORD.match(lowered):
        joined = _SPLITTERS.sub(b"", lowered)
        if joined in allow.placeholder_values or allow.placeholder_word_in(joined):
            return True
    if allow.placeholder_word_stands_out(c.secret.strip()):
        return True
    return allow.placeholder_pattern_in(c.secret)


def store_placeholder(c: Candidate, allow: Allowlist) -> bool:
    """``placeholder`` for the password field of a credential store (``.netrc``, ``.pgpass``,
    MySQL's option files and login paths, DBeaver's saved credentials), whose tools take the
    value literally: no ``$`` expands, no ``%s`` or ``{x}`` is formatted, and a leading ``#``,
    ``@``, ``+``, ``<`` or ``[`` is just a character a password generator chose. Only a whole
    value that is a stand-in is dropped: a placeholder word (``changeme``, ``password``,
    ``pass-word``, ``xxxx``) and the whole-value templates of ``store_placeholder_patterns``
    (``<password>``, ``${DB_PASSWORD}``, ``$DB_PASSWORD``, ``{{ password }}``, ``{password}``,
    ``${{ secrets.PASSWORD }}``, ``****``)."""
    if stand_in_words(c, allow):
        return True
    secret = c.secret.strip()
    lowered = secret.lower()
    if _SPLIT_WORD.match(lowered) and _SPLITTERS.sub(b"", lowered) in allow.placeholder_values:
        return True
    return allow.store_placeholder_pattern_in(secret)


# How far below the mean entropy of random strings of the same length and alphabet a value
# may fall by chance: measured, fewer than 1 in 10,000 random strings of 8 to 40 characters
# (hex, base32, alphanumeric, base64) fall lower.
_CHANCE_MARGIN = 1.2
_SHORTEST_TOKEN = 12
_NOT_ALNUM = re.compile(rb"[^A-Za-z0-9]")


def low_entropy(c: Candidate, allow: Allowlist) -> bool:
    """Values with too little randomness to be a generated credential: entropy below
    ``low_entropy_bits``. A token of 12 or more characters, at most one in ten of them a
    sign, is held only to what a random string of its length and alphabet scores by chance,
    when that is lower: 16 random hex digits score under 3 bits one time in seven."""
    secret = c.secret
    bits = shannon_entropy(secret)
    if bits >= allow.low_entropy_bits:
        return False
    body = secret.rstrip(b"=")  # base64 padding is not a sign
    signs = len(body) - len(_NOT_ALNUM.sub(b"", body))
    if len(secret) < _SHORTEST_TOKEN or signs * 10 > len(secret):
        return True  # short, or not one token: the plain floor (``params[``, ``1.2.840.1``)
    return bits < expected_entropy(len(secret), alphabet_size(secret)) - _CHANCE_MARGIN


def sequential(c: Candidate, allow: Allowlist) -> bool:
    """Runs like ``abcdef123456``, a long run (``ABCDEFGHIJ``) or one repeated character."""
    return (
        sequential_fraction(c.secret) >= allow.min_sequential
        or repeated_fraction(c.secret) > 0.5
        or longest_run(c.secret) >= 8
    )


_HASH_LIKE = re.compile(
    rb"\A(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128}|[0-9A-F]{32}|[0-9A-F]{40}"
    rb"|[0-9A-F]{64}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\Z"
)
_HASH_CONTEXT = re.compile(rb"(?i)(?:sha\d*|md5|hash|digest|checksum|commit|rev|uuid|guid|etag)")


def hash_like(c: Candidate, allow: Allowlist) -> bool:
    """UUIDs, hex digests and commit ids when the line talks about hashes or ids."""
    del allow
    return bool(_HASH_LIKE.match(c.secret)) and bool(_HASH_CONTEXT.search(c.line))


def uuid_or_digest(c: Candidate, allow: Allowlist) -> bool:
    """Any bare UUID, hex digest or commit id (for the loosest generic rules)."""
    del allow
    return bool(_HASH_LIKE.match(c.secret))


_PUBLIC_MARKERS = (
    b"ssh-rsa ",
    b"ssh-ed25519 ",
    b"ecdsa-sha2-",
    b"-----BEGIN PUBLIC KEY",
    b"-----BEGIN CERTIFICATE",
    b"-----BEGIN RSA PUBLIC KEY",
    b"-----BEGIN PGP PUBLIC KEY",
    b"MII",
)


def public_key(c: Candidate, allow: Allowlist) -> bool:
    """Public keys and certificates (``ssh-rsa ...``, ``BEGIN CERTIFICATE``, DER ``MII...``)."""
    del allow
    secret = c.secret.lstrip()
    return any(secret.startswith(m) for m in _PUBLIC_MARKERS) or b"PUBLIC KEY-----" in c.match


_INTEGRITY = re.compile(rb"\A(?:sha1|sha256|sha384|sha512)-[A-Za-z0-9+/]+=*\Z")
# Searched in the lower-cased line: faster than a case-insensitive search of the line itself.
_INTEGRITY_LINE = re.compile(rb'"integrity"|integrity\s|resolved\s|\.tgz#|checksum')
_INTEGRITY_WORDS = (b"integrity", b"resolved", b".tgz#", b"checksum")  # one is in every match


def lockfile_integrity(c: Candidate, allow: Allowlist) -> bool:
    """Subresource-integrity and lock-file hashes (``sha512-...``, ``resolved ...#sha1``)."""
    del allow
    if _INTEGRITY.match(c.secret):
        return True
    line = c.line.lower()
    # Plain substring tests first: far cheaper than the regex on long (minified) lines.
    if not any(word in line for word in _INTEGRITY_WORDS):
        return False
    return bool(_INTEGRITY_LINE.search(line))


_CODE_REF = re.compile(
    rb"\A(?:[A-Za-z_$][\w$]*(?:(?:\.|->|::)[A-Za-z_$][\w$]*)+(?:\(\S*\))?"
    rb"|[A-Za-z_$][\w$]*\(.*\)|[a-z]+(?:_[a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+|[A-Z]+(?:_[A-Z]+)+"
    # A generic type: Optional[bool], Dict[str,Any], List<String>, Map<String,Object>.
    rb"|[A-Z][\w.]*[\[<][A-Za-z_][\w.]*(?:[\[\]<>,]+[A-Za-z_][\w.]*)*[\]>]+)\Z"
)


def code_reference(c: Candidate, allow: Allowlist) -> bool:
    """Values that are code, not data: ``config.password``, ``getPass()``, ``db_password``,
    ``Optional[bool]`` (a type annotation), also when the capture ran on over the ``,`` or
    ``;`` that ends the expression (``"password": password,``)."""
    del allow
    return bool(_CODE_REF.match(c.secret.strip().rstrip(b",;")))


_PATH_OR_URL = re.compile(
    rb"\A(?:~?/[\w.@-]+)(?:/[\w.@-]+)*/?\Z|\A[a-z][a-z0-9+.-]*://\S*\Z|\A[\w.-]+\.\w{2,4}\Z"
    rb"|\A(?:\.{1,2}/|~/|/)?(?:[a-z0-9_.@-]+|[A-Z][a-z0-9_.-]+)(?:/(?:[a-z0-9_.@:#-]+|[A-Z][a-z0-9_.-]+))+/?\Z"
)


def path_or_url(c: Candidate, allow: Allowlist) -> bool:
    """File paths (absolute or relative, word segments), file names and URLs given as a value."""
    del allow
    return bool(_PATH_OR_URL.match(c.secret.strip()))


# An image URL with its query: ``https://circleci.com/gh/org/repo.svg?style=svg&circle-token=…``.
_BADGE_URL = re.compile(rb"(?i)https?://[^\s\"'()<>\[\]?]+\.(?:svg|png)\?([^\s\"'()<>\[\]]+)")


def badge_image(c: Candidate, allow: Allowlist) -> bool:
    """A token given in a status badge's image URL (``….svg?circle-token=…``): CI services
    issue read-only status tokens for badges that READMEs show in public (reported by the
    ``generic.badge-token`` rule at low severity instead)."""
    del allow
    return any(c.secret in found.group(1) for found in _BADGE_URL.finditer(c.line))


_LOWER_WORDS = re.compile(rb"\A[a-z]+(?:[_.~/+-]+[a-z]+)*\Z")


def lowercase_words(c: Candidate, allow: Allowlist) -> bool:
    """Lower-case letters only, maybe joined by ``-`` or ``_`` (``mocknetworkinterface``,
    ``ci-with-github-actions``): words, for a rule whose tokens mix cases and digits (of
    random tokens of 16 such characters, fewer than one in a million look so)."""
    del allow
    return bool(_LOWER_WORDS.match(c.secret.strip()))


_LETTERS_ONLY = re.compile(rb"\A[A-Za-z_.~-]+\Z")


def letters_only(c: Candidate, allow: Allowlist) -> bool:
    """Words and identifiers with no digit or symbol (``sentencepiece_tokenizer``)."""
    del allow
    return bool(_LETTERS_ONLY.match(c.secret.strip()))


_TEMPLATE = re.compile(
    rb"\A[$%@]|\$[{(]|#\{|\{\{|\{%|<%|\A<.*>\Z|\A\[.*\]\Z|\A\{\d*\}\Z|%[A-Za-z_]\w*%"
    rb"|(?i:x{4}|\*{3}|\.{4}|#{4}|&lt;|&gt;|<your|your[_-]|_here\b|-here\b|goes[_-]?here|changeme)"
)


# A user named in a field or an argument (``user = 'x'``, ``login("x"``, ``uid: x``): the
# field's word, then its value (a whole name, not a key such as ``login(user=...``).
_USER_WORD = re.compile(rb"(?i)(?:user(?:[_ -]?name)?|login|uid)\b")
_USER_VALUE = re.compile(
    rb"[\"'\]]?[ \t]*(?:=|:|=>|,|\()?[ \t]*[\"']?"
    rb"(?P<name>[^\s\"',;()=:]+)(?![^\s\"',;()=:]|[ \t]*[=:(])"
)
_ANONYMOUS_NAMES = frozenset({b"anonymous", b"anon", b"ftp"})
_SECTION = re.compile(rb"[ \t]*\[[^\]\n]*\][ \t]*\r?")
_LOOK_BACK_LINES = 3
_USER_REACH = 160  # bytes either side of the secret where its line may name its user


def anonymous_login(c: Candidate, allow: Allowlist) -> bool:
    """A password given for the user ``anonymous`` (anonymous FTP: by convention any value,
    often the caller's e-mail address): the user named nearest before it decides, on its line
    or up to three lines before, within its block (not past a blank line, a ``[section]``
    or a less indented line naming no user). A name that only starts so (``ftp-deploy``,
    ``anon.backup``) is another account, and so is one named in between."""
    del allow
    if not _names_anonymous(c.line) and not _names_anonymous(c.before()):
        return False
    line, at = c.line, -1
    found = line.find(c.match) if c.match else -1
    inner = c.match.find(c.secret) if found >= 0 else -1
    if inner >= 0:
        at = found + inner  # where the secret is on its line
    first_line = line.split(b"\n", 1)[0]
    if at >= 0:  # the user field nearest the secret on its line (within _USER_REACH)
        name = _last_user(line[max(0, at - _USER_REACH) : at])
        if name is None:
            after = at + len(c.secret)
            name = _first_user(line[after : after + _USER_REACH])
    else:
        name = _last_user(line)
    if name is not None:
        return name.lower() in _ANONYMOUS_NAMES
    indent = _indent(first_line)
    lines = c.before().split(b"\n")[:-1]  # the text before ends with the line break
    for earlier in reversed(lines[-_LOOK_BACK_LINES:]):
        if not earlier.strip() or _SECTION.fullmatch(earlier):
            return False
        name = _last_user(earlier)
        if name is not None:
            return name.lower() in _ANONYMOUS_NAMES
        if _indent(earlier) < indent:
            return False  # the line opening the password's block (``db:``) names no user
    return False


def _user_names(text: bytes) -> Iterator[bytes]:
    """The names of the user fields in ``text``, in order."""
    for word in _USER_WORD.finditer(text):
        value = _USER_VALUE.match(text, word.end())
        if value is not None:
            yield value.group("name")


def _last_user(text: bytes) -> bytes | None:
    """The name of the last user field in ``text``, or None."""
    names = list(_user_names(text))
    return names[-1] if names else None


def _first_user(text: bytes) -> bytes | None:
    """The name of the first user field in ``text``, or None."""
    return next(_user_names(text), None)


def _indent(line: bytes) -> int:
    return len(line) - len(line.lstrip(b" \t"))


def _names_anonymous(text: bytes) -> bool:
    """A quick look for the user names ``anonymous_login`` knows (plain substring tests).
    Two tests of a lower-cased copy first: cheaper than six of the text (the lines of
    minified code run to 4 KB), and where neither word is there no spelling is."""
    lowered = text.lower()
    if b"anon" not in lowered and b"ftp" not in lowered:
        return False
    return any(word in text for word in (b"anon", b"Anon", b"ANON", b"ftp", b"Ftp", b"FTP"))


def template(c: Candidate, allow: Allowlist) -> bool:
    """Template syntax, variable references and masks only (``$VAR``, ``${X}``, ``%X%``, ``<x>``,
    ``{{ x }}``, ``****``, ``xxxx``): for weak-credential rules that report literal values even
    when they are common words."""
    del allow
    secret = c.secret.strip()
    return not secret or bool(_TEMPLATE.search(secret))


def not_store_placeholder(c: Candidate, allow: Allowlist) -> bool:
    """``not_placeholder`` for a credential store: the weak twin of a store rule reports the
    common words (``hunter2``, ``admin``) that ``store_placeholder`` leaves to it."""
    return not store_placeholder(c, allow)


def not_placeholder(c: Candidate, allow: Allowlist) -> bool:
    """Drops every value the ``placeholder`` filter keeps: a weak-credential rule reports only
    the common-word values (``secret``, ``password``) that its strong twin rule leaves out, so
    one value is never reported twice."""
    return not placeholder(c, allow)


def trivial(c: Candidate, allow: Allowlist) -> bool:
    """Too short or too repetitive to be a password: fewer than 4 distinct characters, one
    character over half the value, or a sequential run (``abcdef``). Milder than
    ``low_entropy``, which rejects most human-chosen passwords of 8 characters."""
    secret = c.secret.strip()
    return (
        len(set(secret)) < 4
        or repeated_fraction(secret) > 0.5
        or sequential_fraction(secret) >= allow.min_sequential + 0.2
        or longest_run(secret) >= 8
    )


_QUOTED_DOLLAR = re.compile(rb"\A[^$]*[A-Za-z0-9]\$[A-Za-z0-9!#%&*+,.:;=?@^_~-]*\Z")


def variable_reference(c: Candidate, allow: Allowlist) -> bool:
    """Placeholder check that accepts a ``$`` inside a double-quoted literal (``"pa$w0rd"``).

    The value is dropped when it is a placeholder, unless it was double-quoted in the match and
    its only ``$`` follows a letter or digit: JSON, YAML, TOML, Python, Java, C# and Go take it
    literally. Unquoted and single-quoted values keep the stricter check, where ``$name`` is
    treated as interpolation (shell, .env, Makefile, PHP heredocs)."""
    secret = c.secret.strip()
    quoted = any(q + secret + q in c.match for q in (b'"', b"`"))
    return literal_dollar(c, allow) if quoted else placeholder(c, allow)


def literal_dollar(c: Candidate, allow: Allowlist) -> bool:
    """``placeholder`` for a value whose syntax takes ``$`` literally (a double-quoted string,
    the password line of an INI user and password pair such as ``~/.snowsql/config``): a
    single ``$`` after a letter or digit is part of the password (``Zp9$kq2L``), while
    ``$NAME``, ``${NAME}`` and ``$(cmd)`` are still references."""
    secret = c.secret.strip()
    if _QUOTED_DOLLAR.match(secret):
        stand_in = secret.replace(b"$", b"s")
        return placeholder(Candidate(stand_in, c.match, c.line), allow)
    return placeholder(c, allow)


def stand_in_words(c: Candidate, allow: Allowlist) -> bool:
    """Only the word lists of ``placeholder`` (no syntax patterns): for values such as
    WordPress salts where ``$`` and braces are ordinary random characters."""
    secret = c.secret.strip()
    lowered = secret.lower()
    return (
        not lowered
        or lowered in allow.placeholder_values
        or allow.placeholder_word_stands_out(secret)
    )


_DOTTED = re.compile(rb"\A[A-Za-z_$][\w$]*(?:(?:\.|->|::)[A-Za-z_$][\w$]*)+(?:\(\S*\))?\Z")


def dotted_reference(c: Candidate, allow: Allowlist) -> bool:
    """Member access or calls (``env.DB_PASSWORD``, ``settings.secret``, ``getenv()``), but
    not bare snake_case words, which in .env and INI files are literal values."""
    del allow
    return bool(_DOTTED.match(c.secret.strip()))


_CODE_EXPRESSION = re.compile(
    rb"%[-+ #0]*\d*(?:\.\d+)?[sr](?![A-Za-z0-9])"  # printf: %s, %-10s, %r
    rb"|%d(?![0-9A-Fa-f])"  # %d, but not a percent-escape such as %dF
    rb"|%\([A-Za-z_]\w*\)[sdrf]"  # %(name)s
    rb"|\{(?:\d*|[A-Za-z_][\w.]*)(?:[:!][^{}]*)?\}"  # {}, {0}, {name}, {0:>8}
    rb"|[\"'`]\s*\+|\+\s*[\"'`]"  # string concatenation: " + x, x + "
    rb"|\\(?:[nrt0]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})"  # escape sequences: \n, \x0a, \u000a
    rb"|[\"'`]\s*[)\];,]+\s*\Z"  # runs past the closing quote: ...")  ...');
    rb"|[A-Za-z_$][\w$.]*\(\Z"  # ends opening a call: ...a.getElementById(
    rb"|\A[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+\s*(?:[=+?]|&&|\|\|)\s*[A-Za-z_$(]"  # e.x=e.y
)


def code_expression(c: Candidate, allow: Allowlist) -> bool:
    """Values captured out of source code rather than data: a format specifier (``%s``,
    ``{}``, ``{0}``, ``{name}``), string concatenation (``" + x``), an escape sequence
    (``\\n``) or a closing quote and bracket (``pw\\n")``) inside the captured value."""
    del allow
    return bool(_CODE_EXPRESSION.search(c.secret.strip()))


# A source, asset or document file name used as a key: `"src/Pusher/Client.php": "17b6..."`.
_FILE_NAME_KEY = re.compile(
    rb"\.(?:php|phtml|inc|js|mjs|cjs|jsx|ts|tsx|vue|svelte|py|pyi|rb|erb|go|java|kt|kts|scala"
    rb"|groovy|cs|fs|vb|swift|m|mm|c|cc|cpp|h|hpp|rs|dart|lua|pl|pm|sh|ps1|css|scss|sass|less"
    rb"|html?|twig|blade|haml|md|rst|txt|json|ya?ml|xml|svg|png|jpe?g|gif|ico|woff2?|ttf|map)"
    rb"\\?[\"']?[ \t]*(?::|=>|=)"
)


def file_digest(c: Candidate, allow: Allowlist) -> bool:
    """A value keyed by a file name (``"src/Broadcasting/PusherBroadcaster.php": "17b6..."``):
    a content digest in a linter cache, asset manifest or lock file, not a credential that
    happens to follow a provider's name."""
    del allow
    return bool(_FILE_NAME_KEY.search(c.match))


_ASCII_ALNUM = re.compile(rb"[A-Za-z0-9]")
_WORDS = re.compile(r"\A[^\W\d_]+(?: [^\W\d_]+)*\Z")
_TITLE_WORD = re.compile(r"\A[A-Z][^\W\d_A-Z]+\Z")


# A version number (1.302103, v2.0.1-rc1) or a list of identifiers (dExternal,dBranch).
_VERSION = re.compile(rb"\A[vV]?\d{1,4}(?:\.\d{1,6}){1,3}(?:[-+][\w.]{1,20})?\Z")
_IDENTIFIER_LIST = re.compile(rb"\A[A-Za-z_$][\w$]*(?:[ \t]*,[ \t]*[A-Za-z_$][\w$]*)+,?\Z")
# An option set to a word (letters only: tokens can hold '=' too), caught whole by a rule
# whose value may follow a space (``dTokens contains=dExternal``).
_WORD_OPTION = re.compile(rb"\A[A-Za-z_][A-Za-z_.-]*=[A-Za-z_][A-Za-z_.,-]*\Z")


def code_value(c: Candidate, allow: Allowlist) -> bool:
    """A value that is a version number or a comma-separated list of identifiers, as module
    version tables and editor syntax files hold (``'Test2::Event::Pass' => '1.302103'``,
    ``dTokens contains=dExternal,dConditional``), not a credential."""
    del allow
    secret = c.secret.strip()
    return bool(
        _VERSION.match(secret) or _IDENTIFIER_LIST.match(secret) or _WORD_OPTION.match(secret)
    )


# Another option (--fail-at-end) or a usage placeholder ([password], <pass>, {pw}, (x)).
_OPTION_OR_USAGE = re.compile(rb"\A(?:-{1,2}[A-Za-z\[<]|[\[<{(])")


def option_or_usage(c: Candidate, allow: Allowlist) -> bool:
    """A command line's value that is another option or a usage placeholder, as in completion
    scripts and help texts (``--encrypt-password --fail-at-end``, ``--pass=[ranges]``)."""
    del allow
    return bool(_OPTION_OR_USAGE.match(c.secret))


def natural_word(c: Candidate, allow: Allowlist) -> bool:
    """Interface text, not a password: a translated label (``Contraseña``, ``Пароль``,
    ``パスワード``), one capitalised word (``Senha``) or non-ASCII symbols only (an emoji).
    Lower-case words (``velvet harbor``) and anything with a digit or symbol are kept."""
    del allow
    secret = c.secret.strip()
    if not secret.isascii() and not _ASCII_ALNUM.search(secret):
        return True
    try:
        text = secret.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not _WORDS.match(text):
        return False
    return not text.isascii() or bool(_TITLE_WORD.match(text))


# snake_case names with digits: HKEY_LOCAL_MACHINE64, KERBEROS5_KEYTAB, S_to_utf8_substr.
_SNAKE_NAME = re.compile(
    rb"\A(?:[A-Za-z][a-z0-9]{0,15}(?:_[a-z0-9]{1,16})+|[A-Z][A-Z0-9]{0,15}(?:_[A-Z0-9]{1,16})+)\Z"
)
_DIGITS = re.compile(rb"[0-9]")
_ASSIGNED = re.compile(rb"[=:]")
_NAME = re.compile(rb"\A[A-Za-z_][A-Za-z0-9_]*\Z")
_LIST_WORDS = 3
_WORD = re.compile(rb"\S+")
_LETTERS = re.compile(rb"[a-z]")
_VOWEL = re.compile(rb"[aeiouy]")


def identifier_name(c: Candidate, allow: Allowlist) -> bool:
    """A name in a list of names, not an assigned value: snake case as a bare word of a line
    of names that holds another snake-case name too, not after ``=``, ``:`` or a ``--flag``
    and not quoted (``syn keyword oraKeyword KERBEROS5_KEYTAB KERBEROS5_REALMS``), as editor
    syntax files and constant lists hold.
    Each part is in one case, word-sized and pronounceable (a vowel in every part of three
    letters or more), and digits are few: a token split by underscores has random parts
    (``qzvkxw_mbrtpl``, ``KQ7V_X2LM``) or many digits (``sk_1234_123456_1a2b3c4d…``). An
    assigned ``secret_key = tr0ub4dor_horse`` or ``--token tr0ub4dor_horse`` is kept:
    people choose such secrets."""
    del allow
    secret = c.secret.strip()
    if not _SNAKE_NAME.match(secret) or len(_DIGITS.findall(secret)) * 4 > len(secret):
        return False
    parts = secret.lower().split(b"_")
    at = c.match.rfind(secret)
    if at < 0 or _ASSIGNED.search(c.match, 0, at):
        return False
    if not all(_VOWEL.search(part) for part in parts if len(_LETTERS.findall(part)) >= 3):
        return False
    return _name_list(c.line or c.match, c.match, secret)


def _name_list(line: bytes, match: bytes, secret: bytes) -> bool:
    """Is ``secret`` one bare word of a line of names (three or more words, nearly all of
    them names, another snake-case name among them besides the key), not a value after a
    ``--flag`` or in quotes?"""
    found = list(_WORD.finditer(line))
    words = [word.group() for word in found]
    if secret not in words or len(words) < _LIST_WORDS:
        return False
    before = words[words.index(secret) - 1] if words.index(secret) else b""
    if before.startswith(b"-"):
        return False
    names = sum(1 for word in words if _NAME.match(word))
    start = max(line.find(match), 0)
    end = start + len(match)
    others = sum(
        1
        for word in found
        if (word.end() <= start or word.start() >= end)  # not the key or the value
        and _SNAKE_NAME.match(word.group())
    )
    # another snake-case name beside it: a list (``setx SECRET_KEY tr0ub4dor_horse`` is not)
    return others >= 1 and names * 4 >= len(words) * 3


# A switch about a password that takes none (--ask-vault-pass, --no-password), and values
# that say where the password is (openssl's env:VAR, file:PATH, fd:N, stdin).
_SWITCH = re.compile(
    rb"(?i)(?:^|[^\w-])-{1,2}(?:ask|no|prompt|skip|without|show|hide|generate|random)-"
    rb"(?:[a-z0-9]+-){0,3}(?:[a-z]*pass(?:word|wd)?)(?:=|\s)"
)
# Where the password comes from, or a help text's name for it (openssl: -passin arg).
_WHERE_FROM = re.compile(rb"\A(?:env:|file:|fd:|stdin\Z|(?:arg|args|argument|val|source)\W*\Z)")


def flag_without_secret(c: Candidate, allow: Allowlist) -> bool:
    """A command line's password flag that holds no password: a switch that takes no value
    (``--ask-vault-pass deploy.yml``, ``--no-password mydb``), or a value naming where the
    password is read from (``-passin env:KEY_PASS``, ``file:``, ``fd:``, ``stdin``)."""
    del allow
    return bool(_WHERE_FROM.match(c.secret) or _SWITCH.search(c.match))


# Words that hold a secret keyword but name no secret: keyword lists, keyboards, tokenizers.
_NOT_A_KEY = re.compile(
    rb"(?i)\A(?:key(?:words?|board|strokes?|note|frames?|maps?|pad|codes?|space|bindings?|chain)"
    rb"|tokeni[sz](?:er|ed|e)|authors?|authority)\Z"
)
_KEY_WORD = re.compile(rb"\A[\w.-]+")
_NAME_CHAR = re.compile(rb"[\w.-]")


def word_not_key(c: Candidate, allow: Allowlist) -> bool:
    """A match whose key is a word that only contains a secret keyword: ``syn keyword
    euphoria3Keyword if end`` (a vim keyword list), ``keyboard``, ``tokenizer``, ``author``."""
    del allow
    if b"=" in c.secret or b":" in c.secret:
        return False  # the value is itself an assignment (``keyboard TOKEN=...``)
    word = _KEY_WORD.match(c.match)
    if word is None or _NOT_A_KEY.match(word.group()) is None:
        return False
    at = c.line.find(c.match) if c.line else 0
    return at <= 0 or not _NAME_CHAR.match(c.line, at - 1)  # a whole word, not its tail


Filter = Callable[[Candidate, Allowlist], bool]

FILTERS: dict[str, Filter] = {
    "known_example": known_example,
    "example_in_match": example_in_match,
    "placeholder": placeholder,
    "store_placeholder": store_placeholder,
    "not_store_placeholder": not_store_placeholder,
    "low_entropy": low_entropy,
    "sequential": sequential,
    "hash_like": hash_like,
    "uuid_or_digest": uuid_or_digest,
    "public_key": public_key,
    "lockfile_integrity": lockfile_integrity,
    "code_reference": code_reference,
    "path_or_url": path_or_url,
    "letters_only": letters_only,
    "lowercase_words": lowercase_words,
    "template": template,
    "not_placeholder": not_placeholder,
    "trivial": trivial,
    "variable_reference": variable_reference,
    "literal_dollar": literal_dollar,
    "stand_in_words": stand_in_words,
    "dotted_reference": dotted_reference,
    "code_expression": code_expression,
    "natural_word": natural_word,
    "anonymous_login": anonymous_login,
    "option_or_usage": option_or_usage,
    "code_value": code_value,
    "file_digest": file_digest,
    "identifier_name": identifier_name,
    "flag_without_secret": flag_without_secret,
    "word_not_key": word_not_key,
    "badge_image": badge_image,
}

DEFAULT_FILTERS: tuple[str, ...] = ("known_example", "placeholder")
# In a rule's own credential store (``Rule.stores``), unless the rule names others.
STORE_FILTERS: tuple[str, ...] = ("known_example", "store_placeholder")


def rejected_by(c: Candidate, names: tuple[str, ...], allow: Allowlist) -> str | None:
    """The first filter among ``names`` that drops ``c``, or None."""
    for name in names:
        if FILTERS[name](c, allow):
            return name
    return None


# Filters from the cheapest per call (measured on benchmarks/engine_throughput.py's corpus) to
# the dearest: a candidate is dropped when any filter drops it, so the order changes only how
# soon the verdict is known. Unlisted filters go last.
_COST_ORDER = (
    "hash_like",
    "uuid_or_digest",
    "code_reference",
    "identifier_name",
    "word_not_key",
    "letters_only",
    "lowercase_words",
    "known_example",
    "example_in_match",
    "path_or_url",
    "natural_word",
    "option_or_usage",
    "flag_without_secret",
    "code_value",
    "file_digest",
    "public_key",
    "code_expression",
    "dotted_reference",
    "low_entropy",
    "trivial",
    "sequential",
    "template",
    "variable_reference",
    "literal_dollar",
    "not_placeholder",
    "stand_in_words",
    "placeholder",
    "store_placeholder",
    "not_store_placeholder",
    "badge_image",
    "lockfile_integrity",
    "anonymous_login",
)
_RANK = {name: rank for rank, name in enumerate(_COST_ORDER)}


@cache
def cheapest_first(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` with the cheapest filters first."""
    return tuple(sorted(names, key=lambda name: _RANK.get(name, len(_RANK))))


# Filters that judge only how random a value looks (``abcdef123456``, ``aaaa``), not what it
# is: a value that only they (or a rule's ``min_entropy``) refuse is kept at example grade,
# reported at INFO: a documentation example, or a weak real secret someone should still see.
EXAMPLE_GRADE_FILTERS = frozenset({"sequential", "low_entropy"})
# An example-grade value is one token: placeholders with spaces or code stay dropped.
_EXAMPLE_TOKEN = re.compile(rb"[A-Za-z0-9+/=_.~:-]{8,}")


def example_token(secret: bytes) -> bool:
    """Could ``secret`` be reported as an example-grade value: one token of 8+ characters,
    at least four in five of them letters or digits (not an OID such as ``1.2.840.10045.2.1``,
    ``None___None___1`` or ``++++A+SECRET++++``; base64 padding aside)?"""
    if _EXAMPLE_TOKEN.fullmatch(secret) is None:
        return False
    body = secret.rstrip(b"=")
    signs = len(_NOT_ALNUM.findall(body))
    return signs * 5 <= len(body)


KEEP, EXAMPLE, DROP = 2, 1, 0  # verdicts of :func:`grade`


def grade(c: Candidate, names: tuple[str, ...], allow: Allowlist, *, random: bool = True) -> int:
    """``DROP`` when a filter among ``names`` drops ``c``; ``EXAMPLE`` when only
    example-grade filters refuse it (or ``random`` is False: it failed its rule's entropy
    floor) and it is one token; ``KEEP`` otherwise. Filters are asked cheapest first, as by
    :func:`rejects`."""
    example = not random
    if example and not example_token(c.secret):
        return DROP
    for name in cheapest_first(names):
        if FILTERS[name](c, allow):
            if name not in EXAMPLE_GRADE_FILTERS or not example_token(c.secret):
                return DROP
            example = True
    return EXAMPLE if example else KEEP


# Cheap filters that read ``c.secret`` alone (not the match or its line): the matcher asks
# them before it finds a match's line (``secret_filters``).
_SECRET_ONLY = frozenset(
    (
        "uuid_or_digest",
        "code_reference",
        "letters_only",
        "lowercase_words",
        "path_or_url",
        "option_or_usage",
        "dotted_reference",
    )
)


@cache
def secret_filters(names: tuple[str, ...]) -> tuple[Filter, ...]:
    """The filters among ``names`` that read only the secret and cost little, cheapest first:
    a ``Candidate`` holding the secret alone is enough for them."""
    return tuple(FILTERS[name] for name in cheapest_first(names) if name in _SECRET_ONLY)


def rejects(c: Candidate, names: tuple[str, ...], allow: Allowlist) -> bool:
    """Does any filter among ``names`` drop ``c``? (The verdict of :func:`rejected_by`, with
    the cheapest filters asked first.)"""
    return rejected_by(c, cheapest_first(names), allow) is not None
