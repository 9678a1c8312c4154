"""Zip and tar archives one level deep, and the limits that stop decompression bombs."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_audit.scan.sources.archives import iter_members_in
from desktop_audit.scan.sources.catalogue import load_catalogue
from desktop_audit.scan.sources.files import FilesSource
from tests.scan.sources.conftest import check, collect, make_ctx

SECRET = b"API_TOKEN=tok_live_0123456789abcdefFAKE\n"


def make_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def make_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> None:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_zip_and_tar_members_are_read_one_level_deep(tmp_path: Path) -> None:
    inner = tmp_path / "inner.zip"
    make_zip(inner, {"deep.env": SECRET})
    make_zip(
        tmp_path / "backup.zip",
        {
            "app/.env": b"DEBUG=1\n" + SECRET,
            "logo.png": b"\x89PNG",
            "inner.zip": inner.read_bytes(),
        },
    )
    inner.unlink()
    make_tar(tmp_path / "home.tar.gz", {"dot/.netrc": SECRET, "bin/tool": b"\x00\x01ELF"})
    make_tar(tmp_path / "plain.tar", {"notes.txt": SECRET}, mode="w")
    ctx = make_ctx(tmp_path)
    fragments = collect(FilesSource([tmp_path]), ctx)
    got = {(f.origin.path.name if f.origin.path else "", f.origin.inner_path) for f in fragments}
    assert got == {
        ("backup.zip", "app/.env"),
        ("home.tar.gz", "dot/.netrc"),
        ("plain.tar", "notes.txt"),
    }
    env = next(f for f in fragments if f.origin.inner_path == "app/.env")
    assert env.origin.file_format == "env"
    check(SECRET in env.data, "member content not yielded")
    counters = ctx.stat("files").counters
    assert counters["archives"] == 3
    assert counters["archive_members"] == 3
    assert counters["archive_nested_skipped"] == 1
    assert counters["skipped_excluded_suffix"] == 1
    assert counters["skipped_binary"] == 1
    assert ctx.errors == []


def test_zip_bomb_is_reported_and_skipped(tmp_path: Path) -> None:
    make_zip(tmp_path / "bomb.zip", {f"z{i}.txt": b"0" * (8 << 20) for i in range(4)})
    (tmp_path / "ok.txt").write_bytes(SECRET)
    ctx = make_ctx(tmp_path)
    fragments = collect(FilesSource([tmp_path]), ctx)
    assert {f.origin.path for f in fragments} == {tmp_path / "ok.txt"}
    (error,) = ctx.errors
    assert error.path == str(tmp_path / "bomb.zip")
    assert "decompression bomb" in error.message and "100 times" in error.message
    assert ctx.stat("files").counters["skipped_archive_limits"] == 1


def test_tar_bomb_and_member_count_limits(tmp_path: Path) -> None:
    make_tar(tmp_path / "bomb.tgz", {"big.txt": b"0" * (16 << 20)})
    make_tar(tmp_path / "many.tar", {f"f{i}.txt": b"x" for i in range(30)}, mode="w")
    rules = replace(load_catalogue().walk, archive_max_members=20)
    ctx = make_ctx(tmp_path)
    collect(FilesSource([tmp_path], rules), ctx)
    messages = {Path(e.path or "").name: e.message for e in ctx.errors}
    assert "expands more than 100 times" in messages["bomb.tgz"]
    assert "more than 20 members" in messages["many.tar"]
    assert ctx.stat("files").counters["skipped_archive_limits"] == 2


def test_lying_zip_directory_is_caught_while_reading(tmp_path: Path) -> None:
    """A member that expands past the size its directory entry declares is a bomb."""
    path = tmp_path / "liar.zip"
    make_zip(path, {"a.txt": b"A" * 5000})
    data = bytearray(path.read_bytes())
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # shrink the declared size in both headers
        at = data.find(header)
        size_at = at + (22 if header == b"PK\x03\x04" else 24)
        data[size_at : size_at + 4] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    ctx = make_ctx(tmp_path)
    collect(FilesSource([tmp_path]), ctx)
    assert len(ctx.errors) == 1
    assert ctx.errors[0].path == str(path)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_a_single_compressed_file_is_read_as_its_one_member(tmp_path: Path, suffix: str) -> None:
    compress = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}[suffix]
    token = "ghp_" + "Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq"
    dump = "-- dump\nINSERT INTO settings VALUES ('github', '" + token + "');\n"
    (tmp_path / f"dump.sql{suffix}").write_bytes(compress(dump.encode()))
    fragments = collect(FilesSource([tmp_path]), make_ctx(tmp_path))
    texts = {f.origin.inner_path: f.data for f in fragments if f.data}
    assert token.encode() in texts["dump.sql"]


def test_a_compressed_file_keeps_what_came_before_damage_and_skips_empty_streams() -> None:
    rules = load_catalogue().walk
    token = "ghp_" + "Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq"
    text = ("line\n" * 2000 + f"GITHUB_TOKEN={token}\n" + "tail\n" * 50_000).encode()
    truncated = gzip.compress(text)[:-100]
    (member,) = iter_members_in(truncated, rules)
    assert member.data is not None and token.encode() in member.data
    (empty,) = iter_members_in(gzip.compress(b"") * 100_000, rules)  # stops early, bounded
    assert empty.data == b""


def test_an_old_v7_tar_in_gzip_is_still_a_tar() -> None:
    raw = io.BytesIO()
    data = b"GITHUB_TOKEN=x\n"
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as archive:
        info = tarfile.TarInfo("home/.env")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    header = bytearray(raw.getvalue())
    header[257:265] = bytes(8)  # no ustar mark, as v7 tar wrote it
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header[:512])
    (member,) = iter_members_in(gzip.compress(bytes(header)), load_catalogue().walk)
    assert member.name == "home/.env" and member.data == data


def test_gzip_members_are_read_past_read_boundaries_padding_and_a_bad_checksum() -> None:
    rules = load_catalogue().walk
    second = b"GITHUB_TOKEN=ghp_" + b"Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq\n"
    # a first member ending at byte 65,535: the next member's magic is split across reads
    first = next(
        member
        for size in range(65_400, 65_535)
        if len(member := gzip.compress(b"a" * size, compresslevel=0, mtime=0)) == 65_535
    )
    for joined in (first + gzip.compress(second), first + b"\0" * 4 + gzip.compress(second)):
        (member,) = iter_members_in(joined, rules)
        assert member.data is not None and second in member.data
    damaged = bytearray(gzip.compress(second))
    damaged[-8] ^= 0xFF  # the CRC: gunzip refuses the file, its text is intact
    (member,) = iter_members_in(bytes(damaged), rules)
    assert member.data == second
