"""The files source and the walker: skip rules, symlinks, binaries, sizes, chunks, claims."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_audit.models import SourceKind
from desktop_audit.scan.sources.catalogue import load_catalogue
from desktop_audit.scan.sources.files import FilesSource
from tests.scan.sources.conftest import check, collect, make_ctx, tree_digest

SECRET_LINE = "API_TOKEN=tok_live_0123456789abcdefFAKE"


def build_tree(root: Path) -> None:
    (root / "project").mkdir()
    (root / "project" / ".env").write_text("DEBUG=1\n" + SECRET_LINE + "\n")
    (root / "project" / "app.py").write_text("print('hello')\n")
    for skipped in ("node_modules/pkg", ".cache/tool", "project/__pycache__", ".venv/lib"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "leak.txt").write_text(SECRET_LINE)
    (root / "project" / ".git").mkdir()
    (root / "project" / ".git" / "config").write_text("[core]\n")
    (root / "image.png").write_bytes(b"\x89PNG\r\n" + SECRET_LINE.encode())
    (root / "blob.bin").write_bytes(b"\x00\x01\x02" + SECRET_LINE.encode())
    (root / "latin1.txt").write_bytes("caf\xe9 ".encode("latin-1") + SECRET_LINE.encode())


def paths_of(fragments: list) -> set[str]:
    return {str(f.origin.path) for f in fragments}


def test_yields_text_files_and_skips_by_rule(tmp_path: Path) -> None:
    build_tree(tmp_path)
    ctx = make_ctx(tmp_path)
    fragments = collect(FilesSource([tmp_path]), ctx)
    got = paths_of(fragments)
    assert got == {
        str(tmp_path / "project" / ".env"),
        str(tmp_path / "project" / "app.py"),
        str(tmp_path / "latin1.txt"),
    }
    env = next(f for f in fragments if f.origin.path == tmp_path / "project" / ".env")
    assert env.origin.source is SourceKind.FILE
    assert env.origin.file_format == "env"
    check(SECRET_LINE.encode() in env.data, ".env content not yielded")
    assert ctx.stat("files").counters["files"] == 3
    assert ctx.stat("files").counters["bytes"] == sum(len(f.data) for f in fragments)
    assert ctx.errors == []


def test_key_containers_are_read_even_when_binary(tmp_path: Path) -> None:
    (tmp_path / "client.p12").write_bytes(b"0\x82\x00\x00binary-key-container")
    fragments = collect(FilesSource([tmp_path]), make_ctx(tmp_path))
    assert [f.origin.path for f in fragments] == [tmp_path / "client.p12"]


def test_claimed_paths_are_not_read_again(tmp_path: Path) -> None:
    build_tree(tmp_path)
    ctx = make_ctx(tmp_path)
    ctx.claimed_paths.add(tmp_path / "project" / ".env")
    got = paths_of(collect(FilesSource([tmp_path]), ctx))
    assert str(tmp_path / "project" / ".env") not in got


def test_too_large_is_an_error_and_the_walk_goes_on(tmp_path: Path) -> None:
    (tmp_path / "big.log").write_text("x" * 5000)
    (tmp_path / "small.txt").write_text("ok")
    rules = replace(load_catalogue().walk, max_file_bytes=1000)
    ctx = make_ctx(tmp_path)
    fragments = collect(FilesSource([tmp_path], rules), ctx)
    assert paths_of(fragments) == {str(tmp_path / "small.txt")}
    assert len(ctx.errors) == 1
    assert ctx.errors[0].path == str(tmp_path / "big.log")
    assert "too large" in ctx.errors[0].message


def test_big_files_are_chunked_on_line_boundaries(tmp_path: Path) -> None:
    lines = [f"line {i:05d} " + "x" * 40 for i in range(2000)]
    lines[1500] = SECRET_LINE
    (tmp_path / "big.txt").write_text("\n".join(lines) + "\n")
    rules = replace(load_catalogue().walk, chunk_bytes=10_000)
    fragments = collect(FilesSource([tmp_path], rules), make_ctx(tmp_path))
    assert len(fragments) > 5
    check(b"".join(f.data for f in fragments) == (tmp_path / "big.txt").read_bytes(), "chunks")
    holder = next(f for f in fragments if SECRET_LINE.encode() in f.data)
    inner = holder.data.split(b"\n").index(SECRET_LINE.encode()) + 1
    assert holder.origin.line_base + inner == 1501
    for fragment in fragments:
        assert fragment.data.endswith(b"\n")


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET_LINE)
    (root / "sub" / "real.txt").write_text("real")
    (root / "to-outside").symlink_to(outside)
    (root / "file-outside.txt").symlink_to(outside / "secret.txt")
    (root / "sub" / "loop").symlink_to(root)
    (root / "self").symlink_to(root / "self")
    ctx = make_ctx(root)
    got = paths_of(collect(FilesSource([root]), ctx))
    assert got == {str(root / "sub" / "real.txt")}
    assert ctx.errors == []


def test_overlapping_roots_and_bind_style_revisits_are_walked_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.txt").write_text("one")
    ctx = make_ctx(tmp_path)
    fragments = collect(FilesSource([tmp_path, tmp_path / "a", tmp_path]), ctx)
    assert [f.origin.path for f in fragments] == [tmp_path / "a" / "f.txt"]


def test_cachedir_tag_directories_are_skipped(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    (target / "out.txt").write_text(SECRET_LINE)
    assert collect(FilesSource([tmp_path]), make_ctx(tmp_path)) == []


def test_fifo_is_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "ok.txt").write_text("ok")
    ctx = make_ctx(tmp_path)
    assert paths_of(collect(FilesSource([tmp_path]), ctx)) == {str(tmp_path / "ok.txt")}


def test_scan_changes_nothing_on_disk(tmp_path: Path) -> None:
    build_tree(tmp_path)
    before = tree_digest(tmp_path)
    collect(FilesSource([tmp_path]), make_ctx(tmp_path))
    assert tree_digest(tmp_path) == before


def test_cancel_stops_promptly(tmp_path: Path) -> None:
    for i in range(300):
        (tmp_path / f"d{i % 30}").mkdir(exist_ok=True)
        (tmp_path / f"d{i % 30}" / f"f{i}.txt").write_text("x\n" * 10)
    ctx = make_ctx(tmp_path)
    source = FilesSource([tmp_path])
    seen = 0
    for _fragment in source.iter_fragments(ctx):
        seen += 1
        if seen == 10:
            ctx.cancel.cancel()
    assert seen == 10


def test_progress_is_reported_at_a_modest_rate(tmp_path: Path) -> None:
    for i in range(250):
        (tmp_path / f"f{i}.txt").write_text("x")
    ctx = make_ctx(tmp_path)
    collect(FilesSource([tmp_path]), ctx)
    events = ctx.events  # type: ignore[attr-defined]
    assert 2 <= len(events) <= 60
    assert events[-1].finished and events[-1].done == 250 and events[-1].source == "files"


def test_cancel_from_another_thread_ends_a_big_walk_within_a_second(tmp_path: Path) -> None:
    for i in range(2000):
        (tmp_path / f"f{i}.txt").write_text("x")
    ctx = make_ctx(tmp_path)
    source = FilesSource([tmp_path])

    def slow_consumer() -> None:
        for _fragment in source.iter_fragments(ctx):
            time.sleep(0.01)

    worker = threading.Thread(target=slow_consumer)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    ctx.cancel.cancel()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert time.monotonic() - started < 1.0


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) not installed")
def test_unreadable_directory_is_an_error_not_a_crash() -> None:
    """As root chmod 000 does not block reads, so the scan runs as an unprivileged user."""
    base = Path(tempfile.mkdtemp(prefix="da-unreadable-"))
    try:
        base.chmod(0o755)
        (base / "locked").mkdir()
        (base / "locked" / "secret.txt").write_text(SECRET_LINE)
        (base / "open.txt").write_text("fine")
        (base / "locked").chmod(0o000)
        script = (
            "import sys; from pathlib import Path\n"
            "from desktop_audit.scan.sources.files import FilesSource\n"
            "from desktop_audit.scan.sources.base import ScanContext\n"
            "root = Path(sys.argv[1]); ctx = ScanContext(home=root, roots=(root,))\n"
            "got = [str(f.origin.path) for f in FilesSource([root]).iter_fragments(ctx)]\n"
            "print(got); print([(e.path, e.message) for e in ctx.errors])\n"
        )
        argv = [sys.executable, "-c", script, str(base)]
        if os.geteuid() == 0:
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
        repo_root = Path(__file__).resolve().parents[3]
        done = subprocess.run(
            argv, capture_output=True, text=True, cwd=repo_root, check=False,
            env={**os.environ, "PYTHONPATH": str(repo_root)},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        got_line, errors_line = done.stdout.strip().splitlines()[-2:]
        assert str(base / "open.txt") in got_line
        assert "secret.txt" not in got_line
        assert str(base / "locked") in errors_line
        assert "permission denied" in errors_line
    finally:
        (base / "locked").chmod(0o755)
        shutil.rmtree(base)
