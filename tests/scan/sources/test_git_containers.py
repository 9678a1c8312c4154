"""Documents and archives committed and later removed: git history reads the text inside
them (office documents, zip and tar archives, PDFs), located at the member inside the blob's
path; software packages (jars, wheels) are left alone, as the files source leaves them."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from fpdf import FPDF

from desktop_audit.models import LocatedHit
from desktop_audit.scan.sources.containers import Container, blob_container
from desktop_audit.scan.sources.git import GitSource
from desktop_audit.scan.sources.git_objects import iter_objects
from desktop_audit.scan.sources.gitcmd import GitError
from tests.packed import docx_bytes, zip_bytes
from tests.scan.sources.conftest import git, make_ctx
from tests.scan.sources.detection import run
from tests.scan.sources.test_git_provenance import token
from tests.scan.sources.test_pdfs import SlowPdfReader

TOKENS = {name: token(300 + n) for n, name in enumerate(("docx", "zip", "tar", "pdf", "jar"))}


def _tar_gz(name: str, text: str) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        data = text.encode()
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _pdf(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


FILES = {
    "docs/handover.docx": docx_bytes(
        "<w:p><w:r><w:t>Access for the build</w:t></w:r></w:p>"
        f"<w:p><w:r><w:t>token {TOKENS['docx']}</w:t></w:r></w:p>"
    ),
    "backup/config.zip": zip_bytes({"app/.env": f"# app\nGITHUB_TOKEN={TOKENS['zip']}\n"}),
    "backup/home.tar.gz": _tar_gz("home/.netrc-notes", f"x\ny\ngh token {TOKENS['tar']}\n"),
    "docs/notes.pdf": _pdf(["Notes", f"token {TOKENS['pdf']}"]),
    "lib/tool.jar": zip_bytes(
        {"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n", "t.properties": TOKENS["jar"]}
    ),
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[LocatedHit], object]:
    root = tmp_path_factory.mktemp("containers")
    repo = _repo_with(root, FILES, name="work")
    commit = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "rm", "-q", "-r", "docs", "backup", "lib")
    git(repo, "commit", "-q", "-m", "remove")
    ctx = make_ctx(root)
    return repo, commit, run(GitSource([root]), ctx, with_profile=False), ctx


def _where(located: list[LocatedHit], name: str) -> set[tuple[str | None, int | None, str | None]]:
    tail = TOKENS[name][-4:]
    return {
        (h.location.path, h.location.line, h.location.commit)
        for h in located
        if h.hit.redacted.endswith(tail)
    }


@pytest.mark.parametrize(
    ("name", "inner", "line"),
    [
        ("docx", "docs/handover.docx/word/document.xml", 2),
        ("zip", "backup/config.zip/app/.env", 2),
        ("tar", "backup/home.tar.gz/home/.netrc-notes", 3),
        ("pdf", "docs/notes.pdf/page 1", 2),
    ],
)
def test_text_inside_a_removed_container_is_found_at_its_member(
    scanned: tuple, name: str, inner: str, line: int
) -> None:
    repo, commit, located, _ctx = scanned
    assert _where(located, name) == {(str(repo / inner), line, commit)}


def test_software_packages_are_not_opened(scanned: tuple) -> None:
    _repo, _commit, located, ctx = scanned
    assert _where(located, "jar") == set()
    counters = ctx.stat("git").counters
    assert counters["containers"] == 4
    assert counters.get("containers_unreadable", 0) == 0
    assert counters["skipped_binary"] == 1  # the jar


def test_blob_container_by_content() -> None:
    assert blob_container(FILES["docs/handover.docx"]) is Container.DOCUMENT
    assert blob_container(FILES["backup/config.zip"]) is Container.ARCHIVE
    assert blob_container(FILES["backup/home.tar.gz"]) is Container.ARCHIVE
    assert blob_container(FILES["docs/notes.pdf"]) is Container.PDF
    assert blob_container(FILES["lib/tool.jar"]) is None
    assert blob_container(b"\x89PNG\r\n\x1a\n\x00\x00") is None
    assert blob_container(b"PK\x03\x04 not really a zip") is None


def test_a_corrupt_container_is_counted_and_the_history_goes_on(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    good = FILES["backup/config.zip"]
    (repo / "broken.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    (repo / "config.zip").write_bytes(good)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "c")
    ctx = make_ctx(tmp_path)
    located = run(GitSource([tmp_path]), ctx, with_profile=False)
    assert _where(located, "zip")
    counters = ctx.stat("git").counters
    assert counters["containers"] == 1
    assert counters["containers_unreadable"] == 1
    assert ctx.errors == []


def _repo_with(root: Path, files: dict[str, bytes], *, name: str = "r") -> Path:
    """A repository ``root/name`` with ``files`` committed in one commit."""
    repo = root / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    for rel, data in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(data)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "c")
    return repo


def _zip_asking_for_version_99() -> bytes:
    """A central directory asking for zip version 9.9 (zipfile raises NotImplementedError)."""
    data = bytearray(zip_bytes({"a.txt": "hello " * 100}))
    data[data.rfind(b"PK\x01\x02") + 6] = 99
    return bytes(data)


def _zip_with_bad_deflate() -> bytes:
    """A member whose compressed bytes are garbage (zlib raises, not BadZipFile)."""
    data = bytearray(zip_bytes({"notes.txt": "hello world " * 200}))
    start = 30 + len("notes.txt")
    data[start : start + 8] = b"\xff" * 8
    return bytes(data)


def _truncated_tar_gz() -> bytes:
    """A whole gzip of a tar cut short inside a member (tarfile raises ReadError)."""
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w") as archive:
        info = tarfile.TarInfo("big.txt")
        info.size = 20_000
        archive.addfile(info, io.BytesIO(b"x" * 20_000))
    return gzip.compress(plain.getvalue()[:5000])


@pytest.mark.parametrize(
    "bad",
    [_zip_asking_for_version_99(), _zip_with_bad_deflate(), _truncated_tar_gz()],
    ids=["zip-version-9.9", "bad-deflate", "truncated-tar-gz"],
)
def test_a_damaged_container_never_stops_the_history(tmp_path: Path, bad: bytes) -> None:
    """A corrupt archive in one repository: the others are still read."""
    _repo_with(tmp_path / "a-bad", {"broken.bin": bad})
    good = _repo_with(tmp_path / "b-good", {"config.zip": FILES["backup/config.zip"]})
    ctx = make_ctx(tmp_path)
    located = run(GitSource([tmp_path]), ctx, with_profile=False)
    assert {p for p, _l, _c in _where(located, "zip")} == {str(good / "config.zip/app/.env")}
    assert not [e for e in ctx.errors if "stopped" in e.message]


def test_zipped_projects_are_read_but_packages_are_not() -> None:
    nested = zip_bytes({"myapp/MyLib/MyLib.nuspec": "<package/>", "myapp/.env": "A=1\n"})
    venv = zip_bytes({".venv/lib/six-1.16.0.dist-info/RECORD": "", ".env": "A=1\n"})
    assert blob_container(nested) is Container.ARCHIVE
    assert blob_container(venv) is Container.ARCHIVE
    assert blob_container(zip_bytes({"Lib.nuspec": "<package/>", "lib/a.dll": "x"})) is None
    assert blob_container(zip_bytes({"six-1.16.0.dist-info/RECORD": "", "six.py": ""})) is None
    assert blob_container(zip_bytes({"node_modules/left-pad/package.json": "{}"})) is None


def test_a_dangling_container_blob_is_named_by_its_id(tmp_path: Path) -> None:
    """No file name: the member is placed under ``<blob ID>``, never as a work-tree path."""
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    (tmp_path / "loose.zip").write_bytes(FILES["backup/config.zip"])
    blob = git(repo, "hash-object", "-w", str(tmp_path / "loose.zip")).strip()
    ctx = make_ctx(tmp_path)
    located = run(GitSource([repo]), ctx, with_profile=False)
    assert {p for p, _l, _c in _where(located, "zip")} == {
        str(repo / f"<blob {blob[:12]}>" / "app" / ".env")
    }


def test_a_pdf_with_no_binary_bytes_is_still_read_as_a_pdf(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_compression(False)
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 8, f"token {TOKENS['pdf']}")
    data = bytes(pdf.output())
    assert b"\x00" not in data
    repo = _repo_with(tmp_path, {"plain.pdf": data})
    ctx = make_ctx(tmp_path)
    located = run(GitSource([tmp_path]), ctx, with_profile=False)
    assert {p for p, _l, _c in _where(located, "pdf")} == {str(repo / "plain.pdf/page 1")}


def _pdf_listed_first(lines: list[str]) -> bytes:
    """A PDF whose blob id sorts before nearly every other (git lists loose objects by id)."""
    for n in range(100_000):
        pdf = FPDF()
        pdf.set_title(f"notes {n}")
        pdf.set_font("Helvetica", size=11)
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
        data = bytes(pdf.output())
        if hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest() < "02":  # noqa: S324
            return data
    raise AssertionError("no PDF with a low blob id")


def test_the_history_goes_on_while_a_pdf_is_read(tmp_path: Path) -> None:
    files = {f"src/m{n}.txt": f"module {n}\n".encode() for n in range(40)}
    files["docs/notes.pdf"] = _pdf_listed_first(["Notes", f"token {TOKENS['pdf']}"])
    repo = _repo_with(tmp_path, files)
    source = GitSource([tmp_path], pdf_reader=SlowPdfReader())  # its child takes 1 s to start
    order = [
        "page" if f.origin.inner_path else "text"
        for f in source.iter_fragments(make_ctx(tmp_path))
        if f.data and f.origin.blob
    ]
    # The PDF came first; the text blobs after it were read while its child started.
    assert order.index("page") > 30 and order.count("text") == 40
    ctx = make_ctx(tmp_path)
    located = run(GitSource([tmp_path], pdf_reader=SlowPdfReader()), ctx, with_profile=False)
    assert {p for p, _l, _c in _where(located, "pdf")} == {str(repo / "docs/notes.pdf/page 1")}
    assert ctx.stat("git").counters["containers"] == 1


def _git_children() -> list[str]:
    """The command lines of this process's running git children (Linux ``/proc``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\x00", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and cmdline.startswith("git"):
            found.append(cmdline)
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_cancelled_history_leaves_nothing_running(tmp_path: Path) -> None:
    files = {f"src/m{n}.txt": f"module {n}\n".encode() for n in range(40)}
    files["docs/notes.pdf"] = _pdf(["Notes", f"token {TOKENS['pdf']}"])
    repo = _repo_with(tmp_path, files)
    git(repo, "gc", "-q")
    source = GitSource([tmp_path], pdf_reader=SlowPdfReader())
    source.early_walk_after = 0  # a walk of the history runs meanwhile
    ctx = make_ctx(tmp_path)
    fragments = source.iter_fragments(ctx)
    for n, _fragment in enumerate(fragments):
        if n == 3:
            ctx.cancel.cancel()
    assert list(source.locate([], ctx)) == []  # as the engine does after a cancel
    # within seconds, no git command runs (and none starts) for a while
    deadline, quiet_since = time.monotonic() + 10, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < 0.5:
        if _git_children():
            quiet_since = time.monotonic()
        time.sleep(0.02)
    assert time.monotonic() - quiet_since >= 0.5 and _git_children() == []
    assert source._pdfs is not None and source._pdfs._process is None  # its child is gone


def test_text_that_starts_like_a_pdf_is_still_read_as_text(tmp_path: Path) -> None:
    repo = _repo_with(
        tmp_path,
        {"notes.md": f"%PDF-1.4 conversion notes\nGITHUB_TOKEN={TOKENS['docx']}\n".encode()},
    )
    ctx = make_ctx(tmp_path)
    located = run(GitSource([tmp_path]), ctx, with_profile=False)
    assert {(p, line) for p, line, _c in _where(located, "docx")} == {(str(repo / "notes.md"), 2)}


def test_a_file_name_with_a_backslash_stays_one_name(tmp_path: Path) -> None:
    repo = _repo_with(tmp_path, {"back\\up.zip": FILES["backup/config.zip"]})
    ctx = make_ctx(tmp_path)
    located = run(GitSource([tmp_path]), ctx, with_profile=False)
    assert {p for p, _l, _c in _where(located, "zip")} == {str(repo / "back\\up.zip" / "app/.env")}


@pytest.mark.parametrize(
    ("name", "compress"),
    [("env.gz", gzip.compress), ("env.bz2", bz2.compress), ("env.xz", lzma.compress)],
)
def test_a_single_compressed_file_in_history_is_read(
    tmp_path: Path, name: str, compress: Callable[[bytes], bytes]
) -> None:
    text = f"# saved\nGITHUB_TOKEN={TOKENS['zip']}\n".encode()
    repo = _repo_with(tmp_path, {f"backup/{name}": compress(text)})
    ctx = make_ctx(tmp_path)
    located = run(GitSource([tmp_path]), ctx, with_profile=False)
    assert {(p, line) for p, line, _c in _where(located, "zip")} == {
        (str(repo / f"backup/{name}/contents"), 2)
    }


def test_a_pdf_read_before_the_object_stream_failed_is_still_found(tmp_path: Path) -> None:
    files = {f"src/m{n}.txt": f"module {n}\n".encode() for n in range(5)}
    files["docs/notes.pdf"] = _pdf(["Notes", f"token {TOKENS['pdf']}"])
    _repo_with(tmp_path, files)

    def failing(*args: object, **kwargs: object) -> Iterator[tuple[str, str, bytes]]:
        yield from iter_objects(*args, **kwargs)  # type: ignore[arg-type]
        raise GitError("object stream ended early")  # cat-file died at the end

    source = GitSource([tmp_path])
    source.read_objects = failing  # type: ignore[method-assign,assignment]
    ctx = make_ctx(tmp_path)
    located = run(source, ctx, with_profile=False)
    assert _where(located, "pdf")  # found, though the repository could not be read whole
    assert any("cannot read repository" in e.message for e in ctx.errors)


class _CountingSlowReader(SlowPdfReader):
    """Counts the children it starts."""

    started = 0

    def _child(self) -> Connection:
        if self._process is None or not self._process.is_alive():
            self.started += 1
        return super()._child()


def test_a_cancel_while_waiting_for_pdfs_reads_no_more_of_them(tmp_path: Path) -> None:
    pdfs = {f"docs/n{n}.pdf": _pdf([f"notes {n}"]) for n in range(6)}
    _repo_with(tmp_path, pdfs)
    reader = _CountingSlowReader()  # each child takes a second to start
    source = GitSource([tmp_path], pdf_reader=reader)
    ctx = make_ctx(tmp_path)
    threading.Timer(0.5, ctx.cancel.cancel).start()  # while the first child starts
    assert [f for f in source.iter_fragments(ctx) if f.origin.inner_path] == []
    assert reader.started == 1  # the other five PDFs were answered "cancelled", not read
    assert reader._process is None
