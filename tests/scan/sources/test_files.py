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


def test_trash_is_swept_although_skip_rules_hide_it(tmp_path: Path) -> None:
    trash = tmp_path / ".local" / "share" / "Trash"
    (trash / "files").mkdir(parents=True)
    (trash / "info").mkdir()
    (trash / "files" / "old.env").write_text(SECRET_LINE + "\n")
    (trash / "info" / "old.env.trashinfo").write_text("[Trash Info]\nPath=/x/old.env\n")
    fragments = collect(FilesSource([tmp_path]), make_ctx(tmp_path))
    assert paths_of(fragments) == {str(trash / "files" / "old.env")}
    # a root that does not contain the home does not pull the home's trash in
    other = tmp_path / "work"
    other.mkdir()
    assert collect(FilesSource([other]), make_ctx(tmp_path, [other])) == []


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_decoded_with_their_line_numbers(tmp_path: Path, codec: str) -> None:
    text = "# exported by a Windows tool\r\nuser=contractor\r\n" + SECRET_LINE + "\r\n"
    (tmp_path / "export.txt").write_bytes(text.encode(codec))
    (fragment,) = collect(FilesSource([tmp_path]), make_ctx(tmp_path))
    lines = fragment.data.split(b"\n")
    check(lines[2].strip() == SECRET_LINE.encode(), "UTF-16 text not decoded on its line")
    assert fragment.origin.line_base == 0


def test_ten_gigabyte_file_is_decided_by_stat_and_never_read(tmp_path: Path) -> None:
    huge = tmp_path / "disk.txt"
    with huge.open("wb") as handle:
        handle.truncate(10 * 1024**3)  # sparse: takes no space
    started = time.monotonic()
    ctx = make_ctx(tmp_path)
    assert collect(FilesSource([tmp_path]), ctx) == []
    assert time.monotonic() - started < 2
    assert [(e.path, e.message) for e in ctx.errors] == [
        (str(huge), f"too large ({10 * 1024**3} bytes), skipped")
    ]
    assert ctx.stat("files").counters["skipped_too_large"] == 1


def test_special_files_are_skipped_by_lstat_and_counted(tmp_path: Path) -> None:
    import socket

    os.mkfifo(tmp_path / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        ctx = make_ctx(tmp_path)
        assert collect(FilesSource([tmp_path]), ctx) == []
    finally:
        sock.close()
    assert ctx.stat("files").counters["skipped_special"] == 2
    assert ctx.errors == []


def test_coverage_counters_say_what_was_skipped_and_why(tmp_path: Path) -> None:
    build_tree(tmp_path)
    (tmp_path / "link.txt").symlink_to(tmp_path / "latin1.txt")
    (tmp_path / "locked.txt").write_text("x")
    (tmp_path / "locked.txt").chmod(0)
    ctx = make_ctx(tmp_path)
    ctx.claimed_paths.add(tmp_path / "project" / "app.py")
    collect(FilesSource([tmp_path]), ctx)
    counters = ctx.stat("files").counters
    root = os.geteuid() == 0  # root reads the mode-000 file too
    expected = {
        "files": 3 if root else 2,
        "skipped_excluded_dir": 4,
        "skipped_excluded_suffix": 1,
        "skipped_binary": 1,
        "skipped_symlink": 1,
        "skipped_claimed": 1,
    }
    assert {k: counters.get(k) for k in expected} == expected
    if not root:
        assert counters["unreadable"] == 1
