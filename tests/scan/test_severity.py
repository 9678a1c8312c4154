"""Severity by place."""

from __future__ import annotations

from desktop_audit.models import FindingKind, Location, Severity, SourceKind
from desktop_audit.scan.severity import adjust

HOME = "/home/alex"


def _at(source: SourceKind, path: str | None = None, ref: str | None = None) -> Location:
    return Location(source=source, path=path, ref=ref)


def test_live_places_keep_the_rule_severity() -> None:
    for source in (SourceKind.DOTFILE, SourceKind.GIT_CONFIG, SourceKind.KEYCHAIN):
        loc = _at(source, f"{HOME}/.aws/credentials")
        assert adjust(Severity.CRITICAL, FindingKind.CREDENTIAL, loc, HOME) is Severity.CRITICAL


def test_history_is_lower_and_buried_git_lower_still() -> None:
    hist = _at(SourceKind.SHELL_HISTORY, f"{HOME}/.bash_history")
    branch = _at(SourceKind.GIT_HISTORY, f"{HOME}/work/app/settings.py", "refs/heads/main")
    reflog = _at(SourceKind.GIT_HISTORY, f"{HOME}/work/app/settings.py", "reflog")
    assert adjust(Severity.CRITICAL, FindingKind.CREDENTIAL, hist, HOME) is Severity.HIGH
    assert adjust(Severity.CRITICAL, FindingKind.CREDENTIAL, branch, HOME) is Severity.HIGH
    assert adjust(Severity.CRITICAL, FindingKind.CREDENTIAL, reflog, HOME) is Severity.MEDIUM


def test_credentials_never_drop_below_low_by_place() -> None:
    reflog = _at(SourceKind.GIT_HISTORY, f"{HOME}/a/b.py", "unreachable")
    assert adjust(Severity.LOW, FindingKind.CREDENTIAL, reflog, HOME) is Severity.LOW
    assert adjust(Severity.LOW, FindingKind.ENDPOINT, reflog, HOME) is Severity.INFO


def test_fixture_and_docs_directories_are_capped_low() -> None:
    fixture = _at(SourceKind.GIT_HISTORY, f"{HOME}/src/lib/tests/certs/server.key", "refs/heads/x")
    docs = _at(SourceKind.FILE, f"{HOME}/src/lib/docs/usage.md")
    live = _at(SourceKind.FILE, f"{HOME}/src/lib/config/prod.env")
    assert adjust(Severity.CRITICAL, FindingKind.CREDENTIAL, fixture, HOME) is Severity.LOW
    assert adjust(Severity.HIGH, FindingKind.CREDENTIAL, docs, HOME) is Severity.LOW
    assert adjust(Severity.HIGH, FindingKind.CREDENTIAL, live, HOME) is Severity.HIGH


def test_home_directory_names_do_not_count_as_fixture_dirs() -> None:
    home = "/srv/test/alex"
    loc = _at(SourceKind.FILE, f"{home}/project/.env")
    assert adjust(Severity.HIGH, FindingKind.CREDENTIAL, loc, home) is Severity.HIGH


def test_dotfiles_in_a_docs_folder_are_not_capped() -> None:
    loc = _at(SourceKind.DOTFILE, f"{HOME}/docs/.netrc")
    assert adjust(Severity.HIGH, FindingKind.CREDENTIAL, loc, HOME) is Severity.HIGH
