"""Load, validate and self-check rules from TOML (built-ins, extra files, the profile)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_audit import __version__
from desktop_audit.errors import RuleError
from desktop_audit.models import FindingKind, Severity
from desktop_audit.resources import resources_dir
from desktop_audit.scan.rules.cachedir import cache_dir, write_cache_file
from desktop_audit.scan.rules.decoders import DECODERS
from desktop_audit.scan.rules.model import EXAMPLE_FIELDS, Rule, RuleProblem, RuleSet
from desktop_audit.scan.rules.validators import VALIDATORS

# The filters, the regex checks and the matcher are imported where rules are checked: a scan
# that builds the shipped rules from their cache (and may detect nothing) needs none of them.
if TYPE_CHECKING:
    from desktop_audit.profile import Profile
    from desktop_audit.scan.rules.matcher import Matcher

__all__ = [
    "Rule",
    "RuleProblem",
    "RuleSet",
    "check_rules",
    "load_ruleset",
    "parse_rules",
    "rules_from_file",
]

_STR_KEYS = {"id", "name", "provider", "regex", "severity", "description", "guide", "kind"}
_OPT_STR_KEYS = {"validator", "decode", "decoded_regex"}
_STORE_LIST_KEYS = {"stores", "store_filters", "store_examples", "store_negative_examples"}
_LIST_KEYS = {
    "keywords",
    "examples",
    "negative_examples",
    "references",
    "allow",
    "filters",
    *_STORE_LIST_KEYS,
}
_OTHER_KEYS = {"min_entropy", "public_prefix", "window_before", "window_after", "store_only"}
_KNOWN_KEYS = _STR_KEYS | _OPT_STR_KEYS | _LIST_KEYS | _OTHER_KEYS
_BUILTIN_ID = re.compile(r"\A[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+\Z")
_PROFILE_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
# The checked-pack cache keeps a rule's fields but its examples (they resemble real
# credentials; a scan does not need them) and its source file (kept once per file), then its
# content digest.
# A rule's content digest is not cached: it is worked out from the values the scan will use
# (~20 ms for the pack), so an edited or stale cache can never pass for the shipped rules.
_CACHED_FIELDS = tuple(
    f.name for f in fields(Rule) if f.name not in {"source_file", *EXAMPLE_FIELDS}
)
_TUPLE_FIELDS = tuple(
    f.name for f in fields(Rule) if f.name in _CACHED_FIELDS and str(f.type).startswith("tuple[")
)
_NO_EXAMPLES = dict.fromkeys(EXAMPLE_FIELDS, ())
_SEVERITIES = {s.value: s for s in Severity}
_KINDS = {k.value: k for k in FindingKind}


def _re2_error(pattern: str) -> str | None:
    """Why RE2 rejects ``pattern`` (None when it accepts it or RE2 is not installed)."""
    try:
        import re2  # noqa: PLC0415  (optional dependency)
    except ImportError:
        return None
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except Exception as exc:  # re2 raises its own error type
        return str(exc)
    return None


def _compile(pattern: str, where: str, what: str) -> re.Pattern[bytes]:
    from desktop_audit.scan.rules.linear import NESTED, nested_repetition  # noqa: PLC0415

    try:
        compiled = re.compile(pattern.encode())
    except re.error as exc:
        raise RuleError(f"{where}: bad {what}: {exc}") from exc
    problem = _re2_error(pattern)
    if problem is not None:
        raise RuleError(f"{where}: {what} is not RE2-compatible: {problem}")
    if nested_repetition(pattern):  # matched by Python re: no exponential backtracking
        raise RuleError(f"{where}: {what}: {NESTED}")
    return compiled


def _strings(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def _parse_rule(
    table: Mapping[str, Any], source: str, *, profile: bool, validate: bool = True
) -> Rule:
    from desktop_audit.scan.rules.filters import DEFAULT_FILTERS, FILTERS  # noqa: PLC0415

    rule_id = table.get("id")
    where = f"{source}: rule {rule_id!r}" if isinstance(rule_id, str) else f"{source}: rule"
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(unknown)}")
    for key in _STR_KEYS | _OPT_STR_KEYS:
        if key in table and not isinstance(table[key], str):
            raise RuleError(f"{where}: {key!r} must be a string")
    required = ("id", "regex") if profile else ("id", "name", "provider", "regex", "severity")
    for key in (*required, *(() if profile else ("description",))):
        if not table.get(key):
            raise RuleError(f"{where}: missing {key!r}")
    if not isinstance(rule_id, str):
        raise RuleError(f"{where}: 'id' must be a string")
    if not (_PROFILE_ID if profile else _BUILTIN_ID).match(rule_id):
        raise RuleError(f"{where}: bad id (expected <provider>.<name>, lowercase)")
    provider = table.get("provider", "client")
    if not profile and not rule_id.startswith(provider + "."):
        raise RuleError(f"{where}: id must start with the provider {provider!r}")
    try:
        severity = Severity(table.get("severity", "high"))
        kind = FindingKind(table.get("kind", "credential"))
    except ValueError as exc:
        raise RuleError(f"{where}: {exc}") from exc
    examples = _strings(table, "examples", where)
    negatives = _strings(table, "negative_examples", where)
    if validate and not profile and (not examples or not negatives):
        raise RuleError(f"{where}: needs at least one example and one negative example")
    keywords = _strings(table, "keywords", where)
    if any(not k or k != k.lower() or not k.isascii() for k in keywords):
        raise RuleError(f"{where}: keywords must be non-empty lowercase ASCII literals")
    filters = _strings(table, "filters", where) if "filters" in table else DEFAULT_FILTERS
    stores, store_filters, store_only = _store_keys(table, where)
    if validate:
        known = store_formats()
        for store in stores:
            if store not in known:
                raise RuleError(
                    f"{where}: unknown store {store!r} (a format the sources read: "
                    f"{', '.join(sorted(known))})"
                )
    for name in (*filters, *store_filters):
        if name not in FILTERS:
            raise RuleError(f"{where}: unknown filter {name!r}")
    store_examples = _strings(table, "store_examples", where)
    store_negatives = _strings(table, "store_negative_examples", where)
    if (store_examples or store_negatives) and not stores:
        raise RuleError(f"{where}: store examples need 'stores'")
    needs_store_examples = validate and not profile and stores and not store_only
    if needs_store_examples and (not store_examples or not store_negatives):
        raise RuleError(
            f"{where}: a rule with 'stores' needs at least one store example and one "
            "store negative example"
        )
    validator, decode = table.get("validator"), table.get("decode")
    if validator is not None and validator not in VALIDATORS:
        raise RuleError(f"{where}: unknown validator {validator!r}")
    if decode is not None and decode not in DECODERS:
        raise RuleError(f"{where}: unknown decoder {decode!r}")
    min_entropy = table.get("min_entropy")
    if min_entropy is not None and not isinstance(min_entropy, int | float):
        raise RuleError(f"{where}: 'min_entropy' must be a number")
    windows = {k: table.get(k, d) for k, d in (("window_before", 256), ("window_after", 1024))}
    if not all(isinstance(v, int) and 0 <= v <= 1 << 20 for v in windows.values()):
        raise RuleError(f"{where}: windows must be integers up to 1 MiB")
    regex = str(table["regex"])
    decoded_regex = table.get("decoded_regex")
    allow = _strings(table, "allow", where)
    rule = Rule(
        id=rule_id,
        name=str(table.get("name") or table.get("description") or rule_id),
        provider=provider,
        description=str(table.get("description", "")),
        severity=severity,
        regex=regex,
        keywords=tuple(dict.fromkeys(keywords)),
        examples=examples,
        negative_examples=negatives,
        guide=str(table.get("guide") or provider),
        kind=kind,
        references=_strings(table, "references", where),
        min_entropy=None if min_entropy is None else float(min_entropy),
        public_prefix=_strings(table, "public_prefix", where),
        allow=allow,
        filters=filters,
        validator=validator,
        decode=decode,
        decoded_regex=decoded_regex,
        window_before=windows["window_before"],
        window_after=windows["window_after"],
        source_file=source,
        stores=stores,
        store_filters=store_filters,
        store_only=store_only,
        store_examples=store_examples,
        store_negative_examples=store_negatives,
    )
    if validate:  # compile now: a bad regex is reported before the scan starts
        rule.__dict__["compiled"] = _compile(regex, where, "regex")
        rule.__dict__["compiled_allow"] = tuple(_compile(a, where, "allow regex") for a in allow)
        if decoded_regex is not None:
            rule.__dict__["compiled_decoded"] = _compile(decoded_regex, where, "decoded_regex")
    return rule


def store_formats() -> frozenset[str]:
    """The file formats a rule may name as its store: those the sources give a fragment, the
    dotfile catalogue's and the ones a credential file named by a config is read as
    (``openvpn-auth``); a name outside them would leave the rule reading no store."""
    from desktop_audit.scan.sources.catalogue import load_catalogue  # noqa: PLC0415
    from desktop_audit.scan.sources.referenced import FORMATS  # noqa: PLC0415

    catalogue = load_catalogue()
    listed = (*catalogue.dotfiles, *catalogue.histories)
    return frozenset(entry.format for entry in listed) | FORMATS


def _store_keys(
    table: Mapping[str, Any], where: str
) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """``stores``, ``store_filters`` (default :data:`STORE_FILTERS`) and ``store_only``."""
    from desktop_audit.scan.rules.filters import STORE_FILTERS  # noqa: PLC0415

    stores = _strings(table, "stores", where)
    if any(not s or s != s.strip() for s in stores):
        raise RuleError(f"{where}: 'stores' must name file formats")
    store_only = table.get("store_only", False)
    if not isinstance(store_only, bool):
        raise RuleError(f"{where}: 'store_only' must be true or false")
    if "store_filters" in table:
        store_filters = _strings(table, "store_filters", where)
    else:
        store_filters = STORE_FILTERS if stores else ()
    if (store_only or "store_filters" in table) and not stores:
        raise RuleError(f"{where}: 'store_only' and 'store_filters' need 'stores'")
    return stores, store_filters, store_only


def parse_rules(
    tables: Iterable[Mapping[str, Any]],
    source: str,
    *,
    profile: bool = False,
    validate: bool = True,
) -> list[Rule]:
    """Validate and compile rule tables; ``source`` names the file in error messages.
    ``validate`` False (a pack checked before, see :func:`_builtin_rules`) leaves the regexes
    to compile on first use."""
    rules = []
    for table in tables:
        if not isinstance(table, Mapping):
            raise RuleError(f"{source}: each [[rules]] entry must be a table")
        rules.append(_parse_rule(table, source, profile=profile, validate=validate))
    return rules


def load_rule_file(path: Path) -> list[Rule]:
    """All rules of one TOML file with ``[[rules]]`` tables."""
    return parse_rules(_rule_tables(path), str(path))


def _rule_tables(path: Path) -> list[Any]:
    """The ``[[rules]]`` tables of one TOML file (structure checked, rules not yet)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleError(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: TOML syntax error: {exc}") from exc
    unknown = sorted(set(data) - {"rules"})
    if unknown:
        raise RuleError(f"{path}: unknown top-level key(s) {', '.join(unknown)}")
    tables = data.get("rules", [])
    if not isinstance(tables, list):
        raise RuleError(f"{path}: 'rules' must be an array of tables ([[rules]])")
    return tables


_PACK_VERSION = "4"


def _code_stamps() -> list[tuple[str, int, int]]:
    """The rule code's own files (model, loader, filters and the rest of this package): what
    they resolve (default filters, store filters) is in the cache, so it goes with them."""
    return [_file_stamp(path) for path in sorted(Path(__file__).parent.glob("*.py"))]


def _builtin_rules(
    paths: Sequence[Path],
    *,
    with_examples: bool,
    stamps: Sequence[tuple[str, int, int]] | None = None,
) -> list[Rule]:
    """The shipped rule files' rules. Checking 500+ rules (TOML, every regex with ``re`` and
    RE2) costs seconds, so a checked pack is cached as JSON: each rule's checked field values
    (without its examples), keyed by the files' paths, sizes and times, the rule code's own
    files (:func:`_code_stamps`), the tool version and the fields a rule has. A scan (no
    examples needed) builds its rules from the cache without checking them again (their
    regexes compile on first use; their content digests are worked out from the values, never
    read); ``with_examples`` reads and checks the files themselves and writes the cache when
    it is absent or holds anything else. A cache that does not read back is ignored: the
    files are checked again and it is written anew. ``stamps``: the files'
    :func:`_file_stamp`, when the caller has them."""
    directory = cache_dir()
    if stamps is None:
        stamps = [_file_stamp(p) for p in paths]
    key = json.dumps([_PACK_VERSION, __version__, _CACHED_FIELDS, _code_stamps(), stamps])
    cached = (
        directory / f"rules-{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"
        if directory is not None
        else None
    )
    unreadable = False
    if cached is not None and not with_examples:
        try:
            return _cached_rules(json.loads(cached.read_text(encoding="utf-8")))
        except OSError:
            pass  # absent: check the pack
        except (ValueError, TypeError, KeyError, AttributeError):
            unreadable = True  # check the pack again, and replace the cache
    files: list[list[Any]] = []
    rules: list[Rule] = []
    for path in paths:
        checked = parse_rules(_rule_tables(path), str(path))
        rules.extend(checked)
        files.append([str(path), [_cache_row(rule) for rule in checked]])
    if cached is not None:
        text = json.dumps({"fields": _CACHED_FIELDS, "files": files})
        if unreadable or _read_or_empty(cached) != text:  # absent, unreadable or edited
            write_cache_file(cached, text.encode())
    return rules


def _read_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return ""


def _cache_row(rule: Rule) -> list[Any]:
    """A checked rule as the pack cache keeps it (:data:`_CACHED_FIELDS`)."""
    return [getattr(rule, name) for name in _CACHED_FIELDS]


def _cached_rules(data: Any) -> list[Rule]:
    """The rules of a checked-pack cache (:func:`_builtin_rules`). Their values were checked
    when the cache was written, so they are not parsed again: building 800 rules through
    :func:`parse_rules` cost 20-30 ms, this about 3 ms. A cache of another shape raises
    (ValueError, TypeError, KeyError)."""
    if data["fields"] != list(_CACHED_FIELDS):
        raise ValueError("a cache of other rule fields")
    rules = []
    for source, rows in data["files"]:
        if not isinstance(source, str):
            raise TypeError("source")
        for row in rows:
            values = dict(zip(_CACHED_FIELDS, row, strict=True))
            for name in _TUPLE_FIELDS:
                values[name] = tuple(values[name])
            values["severity"] = _SEVERITIES[values["severity"]]
            values["kind"] = _KINDS[values["kind"]]
            if not isinstance(values["id"], str):
                raise TypeError("id")
            values.update(_NO_EXAMPLES, source_file=source)
            rules.append(Rule.from_checked(values))
    return rules


def make_ruleset(rules: Sequence[Rule]) -> RuleSet:
    """A rule set with its content digest (over the rules' :attr:`Rule.content_digest` in id
    order); duplicate ids are an error."""
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(
                f"{rule.source_file}: rule {rule.id!r}: duplicate id (also in {seen[rule.id]})"
            )
        seen[rule.id] = rule.source_file
    ordered = tuple(sorted(rules, key=lambda r: r.id))
    blob = "\n".join(rule.content_digest for rule in ordered)
    return RuleSet(rules=ordered, digest=hashlib.sha256(blob.encode()).hexdigest())


def builtin_rule_files() -> list[Path]:
    """The shipped rule files, sorted (by name: a third of the cost of comparing paths)."""
    return sorted((resources_dir() / "rules").glob("*.toml"), key=lambda path: path.name)


_RULESETS: dict[tuple[Any, ...], RuleSet] = {}
_RULESETS_LOCK = threading.Lock()


def _file_stamp(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def load_ruleset(
    extra_files: Sequence[Path] = (),
    profile: Profile | None = None,
    *,
    check_examples: bool = True,
    check_builtin_examples: bool = False,
    examples: bool = True,
) -> RuleSet:
    """Built-in rules + extra files + the profile's ``[[rules]]``, validated (ids, fields,
    regexes) and self-checked.

    The self-check (every example matches its rule, no negative example does) runs on the
    extra files' and the profile's rules when ``check_examples``; the built-in rules'
    examples are checked by the test suite and ``rules test``, so every scan does not pay for
    it (``check_builtin_examples`` forces it). ``examples`` False (a scan) may leave the
    built-in rules without their examples, read from the checked-pack cache
    (:func:`_builtin_rules`). Results are memoised in-process, keyed by the files' paths,
    sizes and modification times and the profile's rules.
    """
    paths = [*builtin_rule_files(), *extra_files]
    stamps = [_file_stamp(p) for p in paths]
    key = (
        tuple(stamps),
        None if profile is None else (str(profile.source_path), repr(profile.rules)),
        check_examples,
        check_builtin_examples,
        examples,
    )
    with _RULESETS_LOCK:
        cached = _RULESETS.get(key)
    if cached is not None:
        return cached
    builtin = len(paths) - len(extra_files)
    rules = _builtin_rules(
        paths[:builtin],
        with_examples=examples or check_builtin_examples,
        stamps=stamps[:builtin],
    )
    builtin_count = len(rules)
    for path in extra_files:
        rules.extend(load_rule_file(path))
    if profile is not None and profile.rules:
        source = str(profile.source_path)
        rules.extend(parse_rules(profile.rules, source, profile=True))
    ruleset = make_ruleset(rules)
    to_check = rules if check_builtin_examples else rules[builtin_count:]
    if check_examples and to_check:
        problems = check_rules(to_check)
        if problems:
            first = problems[0]
            rule = ruleset.by_id(first.rule_id)
            origin = rule.source_file if rule else "?"
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise RuleError(f"{origin}: rule {first}{more}")
    with _RULESETS_LOCK:
        _RULESETS[key] = ruleset
    return ruleset


def example_found(
    matcher: Matcher, rule: Rule, example: str, file_format: str | None, *, negative: bool
) -> bool:
    """Does ``rule`` report a secret in ``example`` read as a fragment of ``file_format``? An
    example must be reported at full grade; a ``negative`` one not at all (not even as an
    example-grade value)."""
    found = matcher.find(example.encode(), file_format)
    return any(m.rule.id == rule.id and m.report and (negative or not m.example) for m in found)


def check_rules(rules: Sequence[Rule], engine: str | None = None) -> list[RuleProblem]:
    """Every example must be matched by its rule; no negative example may be. A rule's
    ``store_examples`` and ``store_negative_examples`` are read as a file of its first store
    (``stores``), and so are all examples of a rule that reads nothing else."""
    from desktop_audit.scan.rules.matcher import Matcher  # noqa: PLC0415

    matcher = Matcher(rules, engine=engine)
    problems: list[RuleProblem] = []
    for rule in rules:
        store = rule.stores[0] if rule.stores else None
        cases = (
            (rule.examples, False, False, rule.example_format),
            (rule.negative_examples, True, False, rule.example_format),
            (rule.store_examples, False, True, store),
            (rule.store_negative_examples, True, True, store),
        )
        for examples, negative, in_store, file_format in cases:
            for index, example in enumerate(examples):
                found = example_found(matcher, rule, example, file_format, negative=negative)
                if found is negative:
                    what = "negative example matches" if negative else "example does not match"
                    problems.append(RuleProblem(rule.id, what, index, negative, in_store))
    return problems


def rules_from_file(path: Path) -> tuple[Rule, ...]:
    """The rules of a rule file, or of a profile's ``[[rules]]`` (for ``rules test FILE``).

    Examples are not checked here; :func:`check_rules` reports them one by one.
    """
    try:
        is_profile = "engagement" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        is_profile = False
    if is_profile:
        from desktop_audit.profile import load_profile  # noqa: PLC0415  (layering)

        profile = load_profile(path)
        return tuple(parse_rules(profile.rules, str(path), profile=True))
    return tuple(load_rule_file(path))
