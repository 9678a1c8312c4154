"""Fragments from bytes: a format tag from the file name, text split into fragments with the
values its format hides in base64, UTF-16 decoded, notebooks unescaped, and the reuse-unit
markers. Shared by the sources that read files, archive members and git blobs."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

from desktop_audit.models import Fragment, Origin
from desktop_audit.scan.sources.catalogue import WalkRules
from desktop_audit.scan.sources.decoders import decode_for
from desktop_audit.scan.sources.notebooks import is_notebook, notebook_view
from desktop_audit.scan.sources.reading import (
    SkipFile,
    decode_utf16,
    has_suffix,
    is_binary,
    read_chunks,
    read_whole,
    utf16_codec,
)

# Ansible vault password files by their usual names: vault_pass, .vault_pass.txt,
# .ansible_vault_password, vault-password-prod.txt ... (one line: the password itself).
_VAULT_PASSWORD_FILE = re.compile(
    r"\.?(?:ansible[_-]?)?vault[_-]?pass(?:word)?(?:[_-][a-z0-9]+)?(?:\.txt)?"
)


# Credential stores by their names (the dotfile catalogue's formats): the rules that know a
# store read it with their store filters (``Rule.stores``), wherever the file is found.
_STORE_NAMES = {
    ".netrc": "netrc",
    "_netrc": "netrc",
    ".pgpass": "pgpass",
    "pgpass.conf": "pgpass",
    ".git-credentials": "git-credentials",
    ".my.cnf": "mysql-options",
    "linode-cli": "linode-cli",  # ~/.config/linode-cli
    ".linode-cli": "linode-cli",
}

# Credential stores known by their directory and name together (a name such as config or
# config.json alone says nothing): (parent directory, file name) -> format.
_STORE_PLACES = {
    (".snowsql", "config"): "snowsql-config",  # SnowSQL's connections
    (".dbt", "profiles.yml"): "dbt-profiles",
    ("helm", "repositories.yaml"): "helm-repositories",  # ~/.config/helm, Preferences, APPDATA
    ("hcloud", "cli.toml"): "hcloud-cli",  # the Hetzner Cloud CLI's contexts
    (".netlify", "config.json"): "netlify-config",  # the Netlify CLI's sign-ins
    ("netlify", "config.json"): "netlify-config",
    (".databricks", "token-cache.json"): "databricks-token-cache",  # databricks auth login
}
# Where the Snowflake CLI and connectors keep connections.toml and config.toml: ~/.snowflake,
# ~/Library/Application Support/snowflake, %LOCALAPPDATA%\snowflake.
_SNOWFLAKE_HOMES = (
    (".snowflake", None),
    ("snowflake", "application support"),
    ("snowflake", "local"),
)


def guess_format(path: Path) -> str | None:
    """A coarse format tag from the file name (lets the detector and decoders specialise)."""
    name = path.name.lower()
    if name in _STORE_NAMES:
        return _STORE_NAMES[name]
    parent = path.parent.name.lower()
    if (parent, name) in _STORE_PLACES:
        return _STORE_PLACES[parent, name]
    if name.endswith(".toml") and any(
        parent == home and (above is None or path.parent.parent.name.lower() == above)
        for home, above in _SNOWFLAKE_HOMES
    ):
        return "snowflake-connections"
    if name == "credentials" and path.parent.name == "git":  # ~/.config/git/credentials
        return "git-credentials"
    if (
        name == "default.toml"
        and path.parent.name == "config"
        and path.parent.parent.name == ".wrangler"
    ):  # .wrangler/config/default.toml, wherever Wrangler keeps its config directory
        return "wrangler-config"
    if name == "auth.json" and path.parent.name.lower() in (".vercel", "com.vercel.cli"):
        return "vercel-auth"  # the Vercel CLI's sign-in (~/.local/share/com.vercel.cli)
    if _VAULT_PASSWORD_FILE.fullmatch(name):
        return "ansible-vault-password"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    if name.endswith((".pem", ".key", ".crt")):
        return "pem"
    if name.endswith(".remmina"):  # a Remmina connection profile, wherever it was copied
        return "remmina"
    if name.endswith(".ipynb"):
        return "notebook"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    return None


def with_line(origin: Origin, line_base: int, *, fixed: bool = False) -> Origin:
    """``origin`` with its lines counted from ``line_base`` (``fixed``: every hit is on that
    line, as for a value decoded from one line)."""
    return dataclasses.replace(origin, line_base=line_base, fixed_line=fixed)


def text_fragments(data: bytes, origin: Origin, line_base: int = 0) -> Iterator[Fragment]:
    """One text piece and the values its format hides in base64."""
    yield Fragment(data, with_line(origin, line_base))
    if line_base and origin.file_format == "csv":
        return  # a later chunk of a table has no header to name its columns
    for line, decoded in decode_for(origin.file_format, data):
        yield Fragment(decoded, with_line(origin, line_base + line, fixed=True))


def content_fragments(data: bytes, origin: Origin, rules: WalkRules) -> Iterator[Fragment]:
    """In-memory content (an archive member) as fragments: UTF-16 decoded, notebooks unescaped.

    Raises :class:`SkipFile` for binary content (key containers excepted).
    """
    name = origin.inner_path or (origin.path.name if origin.path else "")
    head = data[: rules.sniff_bytes]
    codec = utf16_codec(head)
    if codec is not None:
        data = decode_utf16(data, codec)
    elif is_binary(head) and not has_suffix(Path(name), rules.key_container_suffixes):
        raise SkipFile("binary, skipped", report=False, counter="skipped_binary")
    if is_notebook(name):
        data = notebook_view(data)
    yield from text_fragments(data, origin)


def file_fragments(
    path: Path, rules: WalkRules, origin: Origin, *, follow: bool = False
) -> Iterator[Fragment]:
    """A file as fragments (chunked past ``rules.chunk_bytes``) plus decoded hidden values.

    Raises :class:`SkipFile` or ``OSError`` before the first fragment when it is not read.
    """
    if is_notebook(path.name):
        yield from content_fragments(read_whole(path, rules, follow=follow), origin, rules)
        return
    for chunk in read_chunks(path, rules, follow=follow):
        yield from text_fragments(chunk.data, origin, chunk.line_base)


def tagged(fragment: Fragment, unit: str | None) -> Fragment:
    """``fragment`` as a piece of reuse unit ``unit`` (unchanged when there is none)."""
    if unit is None:
        return fragment
    return Fragment(fragment.data, fragment.origin, unit, fragment.unit_end, fragment.reused)


def unit_end(origin: Origin, unit: str | None) -> Iterator[Fragment]:
    """The empty marker that closes a unit read to its end (nothing when there is no unit)."""
    if unit is not None:
        yield Fragment(b"", origin, unit=unit, unit_end=True)


def text_size(fragments: Iterator[Fragment]) -> Iterator[tuple[Fragment, int]]:
    """Each fragment with the bytes it adds to the coverage (decoded extras add none)."""
    for fragment in fragments:
        yield fragment, 0 if fragment.origin.fixed_line else len(fragment.data)
