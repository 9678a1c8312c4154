"""Severity by place: a live config outranks shell history, which outranks old git history.

Test fixtures, documentation examples and vendored code are capped low: still reported, never
urgent. What counts as such a place is data in ``resources/placement.toml``: directory names,
words of directory names (``system_tests``) and file-name conventions (``x_test.go``,
``test_x.py``, ``FooTest.java``, ``x.spec.ts``, ``.env.example``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache

from desktop_audit.models import FindingKind, Location, Severity, SourceKind
from desktop_audit.resources import resource_path

# Steps subtracted from the rule's severity for where the secret was found. Live places
# (dotfiles, configs, keychains, work-tree files) keep it; history is one step lower; git
# content that only a reflog or an unreachable object still holds is two steps lower.
_SOURCE_STEPS: dict[SourceKind, int] = {
    SourceKind.DOTFILE: 0,
    SourceKind.GIT_CONFIG: 0,
    SourceKind.KEYCHAIN: 0,
    SourceKind.BROWSER: 0,
    SourceKind.GIT_WORKTREE: 0,
    SourceKind.FILE: 0,
    SourceKind.SHELL_HISTORY: 1,
    SourceKind.GIT_HISTORY: 1,
}
_BURIED_REFS = ("reflog", "unreachable")
# A credential never drops below this by place alone: it still has to be revoked.
_CREDENTIAL_FLOOR = Severity.LOW
_CONTENT_SOURCES = (SourceKind.FILE, SourceKind.GIT_HISTORY, SourceKind.GIT_WORKTREE)
# Word boundaries inside a name: separators, and a lower-case letter or digit followed by an
# upper-case one (``IntegrationTests`` -> integration, tests).
_WORD_SPLIT = re.compile(r"[_.\-\s]+|(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class Placement:
    """What marks content as fixtures, docs or vendored code, and the cap for it."""

    cap: Severity
    fixture_dirs: frozenset[str]
    fixture_dir_words: frozenset[str] = frozenset()
    fixture_files: re.Pattern[str] | None = None
    documentation_dirs: frozenset[str] = frozenset()  # they do not cap written documents
    documents: re.Pattern[str] | None = None  # a written document, in a location's path

    def is_document(self, path: str | None) -> bool:
        """Is ``path`` a written document or a part of one (``x.docx/word/document.xml``)?"""
        if not path or self.documents is None:
            return False
        return self.documents.search(path) is not None


@cache
def placement() -> Placement:
    data = tomllib.loads(resource_path("placement.toml").read_text(encoding="utf-8"))
    patterns = [str(p) for p in data.get("fixture_file_patterns", [])]
    return Placement(
        cap=Severity(data["cap"]),
        fixture_dirs=frozenset(name.lower() for name in data["fixture_dirs"]),
        fixture_dir_words=frozenset(w.lower() for w in data.get("fixture_dir_words", [])),
        fixture_files=re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None,
        documentation_dirs=frozenset(n.lower() for n in data.get("documentation_dirs", [])),
        documents=re.compile(str(data["documents"])) if data.get("documents") else None,
    )


def name_words(name: str) -> list[str]:
    """The lower-cased words of a file or directory name (``tests_async`` -> tests, async)."""
    return [w.lower() for w in _WORD_SPLIT.split(name) if w]


@lru_cache(maxsize=4096)
def _fixture_dir(name: str, rules: Placement) -> bool:
    lowered = name.lower()
    if lowered in rules.fixture_dirs:
        return True
    return bool(rules.fixture_dir_words) and any(
        w in rules.fixture_dir_words for w in name_words(name)
    )


def in_fixture_dir(
    path: str | None, home: str | None, rules: Placement, *, document: bool = False
) -> bool:
    """Whether ``path`` (below ``home`` when it is under it) passes a fixture directory or is
    a test or example file by its name. A written ``document`` is not capped by a
    documentation folder's name."""
    if not path:
        return False
    if home and path.startswith(home.rstrip("/") + "/"):
        path = path[len(home.rstrip("/")) + 1 :]
    if document and rules.documents is not None:
        found = rules.documents.search(path)
        end = path.find("/", found.start() + 1) if found is not None else -1
        if end != -1:
            path = path[:end]  # the document is the file: its parts' names are not judged
    *directories, file_name = path.split("/")
    skipped = rules.documentation_dirs if document else frozenset()
    if any(
        _fixture_dir(part, rules) for part in directories if part and part.lower() not in skipped
    ):
        return True
    if document:
        return False  # test-runner and template names are for code and config (api_spec.docx)
    return rules.fixture_files is not None and bool(rules.fixture_files.search(file_name))


def adjust(
    severity: Severity,
    kind: FindingKind,
    location: Location,
    home: str | None = None,
    *,
    document: bool | None = None,
) -> Severity:
    """The rule's severity adjusted for the kind of place the location is in. ``document``:
    whether the location is in a written document (worked out from its path when None)."""
    steps = _SOURCE_STEPS.get(location.source, 0)
    if location.source is SourceKind.GIT_HISTORY and location.ref in _BURIED_REFS:
        steps += 1
    rank = severity.rank - steps
    if kind is FindingKind.CREDENTIAL and severity.rank >= _CREDENTIAL_FLOOR.rank:
        rank = max(rank, _CREDENTIAL_FLOOR.rank)
    rules = placement()
    if document is None:
        document = rules.is_document(location.path)
    if location.source in _CONTENT_SOURCES and in_fixture_dir(
        location.path, home, rules, document=document
    ):
        rank = min(rank, rules.cap.rank)
    return Severity.from_rank(max(rank, Severity.INFO.rank))
