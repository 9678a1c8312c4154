"""Credential files a config file names: the file of OpenVPN's ``auth-user-pass FILE`` (user
name on line 1, password on line 2) and ``askpass FILE`` (the private key's passphrase on
line 1), and Ansible's ``vault_password_file`` (the vault password on one line). Such a file
holds a bare value no rule can tell from text; read with the format its config gives it, the
rules that know that format (``Rule.stores``) find it.

Shared by the dotfiles source and the files sweep. Everything here is bounded and read-only: a
config is read only when small, a target only when it is a small regular file (no FIFO or
device: decided by ``fstat`` on a non-blocking descriptor) whose real path is inside the
scan's home or roots (a symbolic link never leads out). Targets are read with no reuse unit,
and a config that names one is never remembered either (see :func:`holds_references`): a
rescan always reads both, so a changed or removed credential file is seen as such.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop_audit.models import Fragment, Origin, SourceKind
from desktop_audit.scan.sources.base import ScanContext
from desktop_audit.scan.sources.catalogue import WalkRules
from desktop_audit.scan.sources.fragments import content_fragments, guess_format
from desktop_audit.scan.sources.reading import SkipFile, read_small
from desktop_audit.scan.sources.walk import excluded, os_error_message

CONFIG_LIMIT = 256 * 1024  # a config larger than this is not looked into for references
TARGET_LIMIT = 64 * 1024  # a credential file larger than this is not read as one
MAX_REFERENCES = 16  # credential files followed per config (a real one names one or two)
OPENVPN_AUTH = "openvpn-auth"
OPENVPN_ASKPASS = "openvpn-askpass"  # ``askpass FILE``: the private key's passphrase, line 1
ANSIBLE_VAULT = "ansible-vault-password"  # the format vault password files have by name
# The formats a referenced file is read as (rules may name them as their ``stores``).
FORMATS = frozenset({OPENVPN_AUTH, OPENVPN_ASKPASS, ANSIBLE_VAULT})

_OPENVPN = "openvpn"
_ANSIBLE = "ansible"
_ANSIBLE_NAMES = frozenset({"ansible.cfg", ".ansible.cfg"})
# A .conf file is an OpenVPN one when it holds one of these directives.
_OPENVPN_DIRECTIVE = re.compile(rb"(?m)^[ \t]*(?:client|remote|dev|tls-client|pull)(?:[ \t]|\r?$)")
# The rest of the line; its comment (# or ;) and blanks are cut in Python: a regex that does it
# backtracks quadratically on a long line of blanks.
_OPENVPN_FILE = re.compile(rb"(?m)^[ \t]*(auth-user-pass|askpass)[ \t]([^\r\n]*)")
_OPENVPN_FORMATS = {b"auth-user-pass": OPENVPN_AUTH, b"askpass": OPENVPN_ASKPASS}
_COMMENT = re.compile(rb"[#;]")
# The directive that names each format's file (said in error lines instead of the path written,
# which is config content: it may be a password typed where the path belongs).
_DIRECTIVES = {
    OPENVPN_AUTH: "auth-user-pass",
    OPENVPN_ASKPASS: "askpass",
    ANSIBLE_VAULT: "vault_password_file",
}
# OpenVPN names for "no file": a prompt, or the inline block.
_NOT_A_FILE = frozenset({"stdin", "[[inline]]"})
# ``vault_password_file = PATH``; ``vault_identity_list = dev@PATH, prod@prompt`` (any section:
# both live in [defaults]).
_ANSIBLE_KEY = re.compile(
    rb"(?m)^[ \t]*(vault_password_file|vault_identity_list)[ \t]*[=:]([^\r\n]*)"
)
_HOME_VAR = re.compile(r"\A(?:\$HOME|\$\{HOME\})(?=/|\Z)")


@dataclass(frozen=True, slots=True)
class Reference:
    """A credential file a config names: the path as written, and the format to read it as."""

    written: str
    file_format: str


def config_kind(path: Path) -> str | None:
    """Which kind of config ``path`` may be by its name (None: not one that names files)."""
    name = path.name.lower()
    if name.endswith((".ovpn", ".conf")):
        return _OPENVPN
    if name in _ANSIBLE_NAMES:
        return _ANSIBLE
    return None


def parse_references(kind: str, data: bytes) -> list[Reference]:
    """The credential files a config of ``kind`` names (each once, in order)."""
    found: list[Reference] = []
    if kind == _OPENVPN:
        for match in _OPENVPN_FILE.finditer(data):
            rest = _COMMENT.split(match.group(2), maxsplit=1)[0].strip()
            written = _openvpn_argument(os.fsdecode(rest)) if rest else None
            if written and written.lower() not in _NOT_A_FILE:
                found.append(Reference(written, _OPENVPN_FORMATS[match.group(1)]))
    elif kind == _ANSIBLE:
        for match in _ANSIBLE_KEY.finditer(data):
            value = os.fsdecode(match.group(2)).strip().strip("'\"")
            if match.group(1) == b"vault_password_file":
                paths = [value]
            else:  # label@source, ...; a source is a path or "prompt"
                paths = [item.partition("@")[2].strip() for item in value.split(",")]
            found.extend(Reference(p, ANSIBLE_VAULT) for p in paths if p and p != "prompt")
    return list(dict.fromkeys(found))


def _openvpn_argument(text: str) -> str | None:
    """The first argument of a directive as OpenVPN reads it (quotes, backslash escapes)."""
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError:
        return None
    return words[0] if words else None


def references(path: Path, *, follow: bool = False) -> list[Reference]:
    """The credential files the config at ``path`` names; nothing for a file that is not such
    a config by name, is larger than :data:`CONFIG_LIMIT`, or is not a readable regular file."""
    kind = config_kind(path)
    if kind is None:
        return []
    try:
        data = read_small(path, CONFIG_LIMIT + 1, follow=follow)
    except (ValueError, OSError):
        return []
    if len(data) > CONFIG_LIMIT:
        return []
    if (
        kind == _OPENVPN
        and not path.name.lower().endswith(".ovpn")
        and not _OPENVPN_DIRECTIVE.search(data)
    ):
        return []  # a .conf of some other program
    return parse_references(kind, data)


def holds_references(path: Path, *, follow: bool = False) -> bool:
    """Does the config at ``path`` name a credential file? Such a config is never remembered
    by reuse (it is tiny): a rescan must read it to follow its references again."""
    return bool(references(path, follow=follow))


def resolve(written: str, config: Path, home: Path) -> Path | None:
    """The path ``written`` in ``config`` names: ``~`` and ``$HOME`` are the scan's home, a
    relative path is taken from the config's directory; None for ``~user`` or other
    variables (never guessed)."""
    text = _HOME_VAR.sub("~", written)
    if text == "~" or text.startswith("~/"):
        text = str(home) + text[1:]
    elif text.startswith("~") or "$" in text:
        return None
    target = Path(text)
    if not target.is_absolute():
        target = config.parent / target
    return Path(os.path.normpath(target))


def _under(real: str, tops: tuple[Path, ...]) -> Path | None:
    """``real`` (a real path) as a path under the first of ``tops`` holding it, or None."""
    for top in tops:
        top_real = os.path.realpath(top)
        if real == top_real:
            return top
        prefix = top_real.rstrip(os.sep) + os.sep
        if real.startswith(prefix):
            return top / real[len(prefix) :]
    return None


def referenced_fragments(
    config: Path,
    found: list[Reference],
    ctx: ScanContext,
    rules: WalkRules,
    *,
    source: str,
    kind: SourceKind,
) -> Iterator[Fragment]:
    """The fragments of each credential file ``config`` names (``found``), read with no reuse
    unit and the format the config gives it. A target is read once per scan and format, and
    claimed (the files sweep does not read it again). A target that is not read is recorded
    with one line in the scan's errors (never its content)."""
    stats = ctx.stat(source)
    tops = (ctx.home, *ctx.roots)
    config_real = os.path.realpath(config)
    if len(found) > MAX_REFERENCES:
        stats.add("skipped_references", len(found) - MAX_REFERENCES)
        ctx.error(
            source,
            config,
            f"names {len(found)} credential files: the first {MAX_REFERENCES} followed",
        )
    for reference in found[:MAX_REFERENCES]:
        if ctx.cancel.cancelled:
            return
        target = resolve(reference.written, config, ctx.home)
        if target is None:
            continue
        real = os.path.realpath(target)
        key = (real, reference.file_format)
        if key in ctx.referenced or real == config_real:
            continue
        ctx.referenced.add(key)
        if not os.path.lexists(real):  # the path is only config content: never quoted
            stats.add("unreadable")
            directive = _DIRECTIVES[reference.file_format]
            ctx.error(source, config, f"the file its {directive} names is not found")
            continue
        place = _under(real, tops)
        if place is None:
            stats.add("skipped_outside")
            ctx.error(source, target, f"named by {config.name}: outside the scanned roots, skipped")
            continue
        if excluded(real, rules, ctx.home, ctx.own_dirs) or excluded(
            os.path.normpath(place), rules, ctx.home, ctx.own_dirs
        ):
            stats.add("skipped_excluded_dir")
            continue
        claimed = place in ctx.claimed_paths or Path(real) in ctx.claimed_paths
        if claimed and guess_format(place) == reference.file_format:
            continue  # already read with this format by its name (a catalogued dotfile)
        try:
            data = read_small(Path(real), TARGET_LIMIT + 1, follow=False)
        except FileNotFoundError:  # removed since: as above
            stats.add("unreadable")
            directive = _DIRECTIVES[reference.file_format]
            ctx.error(source, config, f"the file its {directive} names is not found")
            continue
        except OSError as exc:
            stats.add("unreadable")
            ctx.error(source, target, f"named by {config.name}: {os_error_message(exc)}")
            continue
        except ValueError as exc:  # a FIFO, device or directory: never read
            stats.add("skipped_special")
            ctx.error(source, target, f"named by {config.name}: {exc}, skipped")
            continue
        if len(data) > TARGET_LIMIT:
            stats.add("skipped_too_large")
            ctx.error(source, target, f"named by {config.name}: too large, skipped")
            continue
        origin = Origin(kind, path=place, file_format=reference.file_format)
        try:
            yield from content_fragments(data, origin, rules)
        except SkipFile as skip:
            stats.add(skip.counter)
            continue
        ctx.claimed_paths.add(place)
        ctx.claimed_paths.add(Path(real))
        stats.add("referenced_files")
