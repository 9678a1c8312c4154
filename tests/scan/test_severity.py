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


def test_test_file_names_are_capped_low_wherever_they_are() -> None:
    for name in (
        "cli/config/config_test.go",
        "pkg/test_client.py",
        "pkg/client_test.py",
        "conftest.py",
        "src/api.spec.ts",
        "src/api.test.js",
        "src/main/java/acme/ClientTest.java",
        "src/Acme/ClientTests.cs",
        "spec_helpers/client_spec.rb",
    ):
        loc = _at(SourceKind.GIT_HISTORY, f"{HOME}/src/app/{name}", "refs/heads/main")
        assert adjust(Severity.CRITICAL, FindingKind.CREDENTIAL, loc, HOME) is Severity.LOW, name


def test_example_and_template_file_names_are_capped_low() -> None:
    for name in (".env.example", "config.sample.yml", "settings_example.py", "TaskExample.js"):
        loc = _at(SourceKind.FILE, f"{HOME}/src/app/{name}")
        assert adjust(Severity.HIGH, FindingKind.CREDENTIAL, loc, HOME) is Severity.LOW, name


def test_directories_named_with_a_test_word_are_capped_low() -> None:
    for directory in ("system_tests_async", "integration-tests", "IntegrationTests", "test-utils"):
        loc = _at(SourceKind.FILE, f"{HOME}/src/app/{directory}/data/key.json")
        assert adjust(Severity.HIGH, FindingKind.CREDENTIAL, loc, HOME) is Severity.LOW, directory


def test_sphinx_source_copies_are_documentation() -> None:
    loc = _at(SourceKind.GIT_HISTORY, f"{HOME}/src/app/_build/_sources/config.rst.txt", "x")
    assert adjust(Severity.HIGH, FindingKind.CREDENTIAL, loc, HOME) is Severity.LOW


def test_names_that_only_contain_test_letters_keep_their_severity() -> None:
    for name in (
        "latest/config.py",
        "contest/settings.py",
        "attestation.py",
        "test.py",
        "Latest.java",
        "client-docs/app/.env",
        "sample-app/.env",
        ".env.test",
        "misc-keys/putty-example.ppk",
    ):
        loc = _at(SourceKind.FILE, f"{HOME}/src/{name}")
        assert adjust(Severity.HIGH, FindingKind.CREDENTIAL, loc, HOME) is Severity.HIGH, name


def _adjusted(path: str) -> Severity:
    """A high-severity credential in a live file at ``path``, adjusted for the place."""
    return adjust(Severity.HIGH, FindingKind.CREDENTIAL, _at(SourceKind.FILE, path), HOME)


def _in_history(path: str) -> Severity:
    """A critical credential in git history on a branch, at ``path``, adjusted."""
    loc = _at(SourceKind.GIT_HISTORY, path, "refs/heads/main")
    return adjust(Severity.CRITICAL, FindingKind.CREDENTIAL, loc, HOME)


def test_written_documents_in_a_docs_folder_keep_their_severity() -> None:
    """A docs folder holds documentation examples, not the handover documents, spreadsheets
    and exports people keep there; a test folder still caps them."""
    kept = (
        f"{HOME}/docs/accounts.xlsx/xl/worksheets/sheet1.xml",
        f"{HOME}/work/client/docs/handover.docx/word/document.xml",
        f"{HOME}/work/client/doc/Onboarding.PDF/page 2",
        f"{HOME}/documentation/passwords.csv",
    )
    for path in kept:
        assert _adjusted(path) is Severity.HIGH, path
    capped = (
        f"{HOME}/work/lib/tests/fixtures/sample.docx/word/document.xml",
        f"{HOME}/work/lib/docs/usage.md",
        f"{HOME}/work/lib/docs/docx-notes.txt",
    )
    for path in capped:
        assert _adjusted(path) is Severity.LOW, path


def test_only_a_document_itself_lifts_the_documentation_cap() -> None:
    kept = (
        f"{HOME}/work/lib/docs/Template.dot/text",  # a legacy template, read as runs
        f"{HOME}/work/lib/docs/handover.eml",
        f"{HOME}/work/lib/docs/Test Plan.docx/word/document.xml",  # its own name is not a dir
    )
    for path in kept:
        assert _in_history(path) is Severity.HIGH, path
    capped = (
        f"{HOME}/work/lib/docs/report.pdf/settings.env",  # a directory with a document's name
        f"{HOME}/work/lib/tests/Test Plan.docx/word/document.xml",
    )
    for path in capped:
        assert _in_history(path) is Severity.LOW, path


def test_a_document_is_not_judged_by_test_runner_file_names() -> None:
    for name in (
        "api_spec.docx/word/document.xml",
        "accounts.example.xlsx/xl/worksheets/sheet1.xml",
    ):
        assert _in_history(f"{HOME}/work/client/docs/{name}") is Severity.HIGH, name
    assert _in_history(f"{HOME}/work/client/api_spec.rb") is Severity.LOW
