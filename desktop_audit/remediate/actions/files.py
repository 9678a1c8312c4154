"""File clean-up: remove the credential's line(s) from a dotfile or history, or delete a file.

The lines are found by re-running the detector on the file (the store has no secret); the
rest of the file stays byte-identical, the mode is kept, the write is atomic.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from desktop_audit.errors import RemediationError, StaleTargetError
from desktop_audit.models import Hit, SourceKind
from desktop_audit.remediate import rescan
from desktop_audit.remediate.actions.base import ActionKind, Applied, Plan, SaveBackup, Scan
from desktop_audit.remediate.backups import Backup
from desktop_audit.remediate.fsutil import atomic_write, fsync_dir
from desktop_audit.scan.sources.sealed import sealed_format

Reveal = Callable[[Hit], str]
"""The redacted context of a hit (decrypted in memory), for previews."""

MAX_FILE_BYTES = 64 * 1024 * 1024
_PREVIEW_WIDTH = 120
KEY_FILE_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".ppk", ".jks", ".keystore")


def _read(path: Path) -> tuple[bytes, int]:
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise RemediationError(f"{path}: not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise RemediationError(f"{path}: too large to rewrite safely; edit it by hand")
        return path.read_bytes(), st.st_mode
    except FileNotFoundError:
        raise RemediationError(f"{path}: no longer exists (rescan)") from None
    except NotADirectoryError:
        container = _container_of(path)
        if container is None:
            raise RemediationError(f"{path}: no longer exists (rescan)") from None
        _refuse_sealed(container)
        inner = path.relative_to(container)
        raise RemediationError(
            f"{container}: the credential is inside this archive or document ({inner}), which"
            " clean-up does not rewrite: edit or delete the file yourself, then rescan"
        ) from None
    except OSError as exc:
        raise RemediationError(f"{path}: cannot read ({exc.strerror})") from None


def _refuse_sealed(path: Path) -> None:
    """A file its tool keeps encrypted (DBeaver's credentials, MySQL's login paths, rclone's
    obscured passwords) is not rewritten line by line: the lines found are those of the text
    it holds."""
    if sealed_format(path) is not None:
        raise RemediationError(
            f"{path}: the tool that wrote this file keeps its passwords encrypted or obscured;"
            " remove or change the saved password in that tool (or delete the file), then rescan"
        )


def _container_of(path: Path) -> Path | None:
    """The regular file (an archive or document) a member's location lies in, if any."""
    for parent in path.parents:
        try:
            if stat.S_ISREG(parent.stat().st_mode):
                return parent
        except OSError:
            continue
    return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def target_path(location_path: str) -> Path:
    """The real file behind a location (a symlinked dotfile is changed at its target)."""
    return Path(os.path.realpath(location_path))


def _shown(text: str) -> str:
    line = text.replace("\r", "").split("\n", 1)[0]
    return line if len(line) <= _PREVIEW_WIDTH else line[: _PREVIEW_WIDTH - 1] + "…"


def _ranges(lines: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for index in sorted(lines):
        if out and index == out[-1][1] + 1:
            out[-1] = (out[-1][0], index)
        else:
            out.append((index, index))
    return out


def plan_remove_lines(
    scan: Scan,
    reveal: Reveal,
    finding_id: str,
    location_id: int | None,
    location_path: str,
    source: SourceKind,
) -> Plan:
    """Which lines go (shown redacted); refused when the result would still hold the secret."""
    path = target_path(location_path)
    _refuse_sealed(path)
    data, mode = _read(path)
    try:
        remove, hits = rescan.finding_lines(scan, Path(location_path), source, data, finding_id)
    except LookupError as exc:
        raise RemediationError(f"{location_path}: {exc}; delete the file instead") from None
    if not remove:
        raise RemediationError(f"{location_path}: the credential is no longer in this file")
    result = rescan.without_lines(data, remove)
    if rescan.finding_hits(scan, Path(location_path), source, result, finding_id):
        raise RemediationError(f"{location_path}: removing the lines would not remove it")
    by_line = {h.line - 1: h for h in hits if h.line is not None}
    changes = []
    for first, last in _ranges(remove):
        label = f"line {first + 1}" if first == last else f"lines {first + 1}-{last + 1}"
        hit = by_line.get(first)
        shown = _shown(reveal(hit)) if hit is not None else "(redacted)"
        changes.append(f"- {label}: {shown}")
    warnings = []
    if path != Path(location_path):
        warnings.append(f"{location_path} is a symbolic link; its target {path} is changed")
    if not result.strip():
        warnings.append("nothing but whitespace would be left: consider --action delete-file")
    params = {
        "path": str(path),
        "sha256": _digest(data),
        "remove": sorted(remove),
        "mode": stat.S_IMODE(mode),
    }
    return Plan(
        ActionKind.REMOVE_LINES, finding_id, location_id, str(path), tuple(changes), params,
        tuple(warnings),
    )  # fmt: skip


def plan_delete_file(
    finding_id: str, location_id: int | None, location_path: str, preview: str
) -> Plan:
    path = target_path(location_path)
    data, mode = _read(path)
    changes = (
        f"- delete {path} ({len(data)} bytes, mode {stat.S_IMODE(mode):o}) holding {preview}",
    )
    warnings: tuple[str, ...] = ()
    if path != Path(location_path):
        warnings = (f"{location_path} is a symbolic link; its target {path} is deleted",)
    params = {"path": str(path), "sha256": _digest(data), "mode": stat.S_IMODE(mode)}
    return Plan(
        ActionKind.DELETE_FILE, finding_id, location_id, str(path), changes, params, warnings
    )


def _current(params: Mapping[str, Any]) -> tuple[Path, bytes, int]:
    path = Path(params["path"])
    data, mode = _read(path)
    if _digest(data) != params["sha256"]:
        raise StaleTargetError(f"{path}: changed since the preview; preview again")
    return path, data, mode


class RemoveLines:
    """Rewrite the file without the planned lines (backup of the whole file first)."""

    def apply(self, plan: Plan, save: SaveBackup) -> Applied:
        path, data, mode = _current(plan.params)
        save(
            Backup(str(ActionKind.REMOVE_LINES), {"path": str(path), "mode": mode}, {"data": data})
        )
        result = rescan.without_lines(data, set(plan.params["remove"]))
        atomic_write(path, result, mode)
        lines = ", ".join(str(i + 1) for i in plan.params["remove"])
        details = {"path": str(path), "mode": stat.S_IMODE(mode), "after_sha256": _digest(result)}
        return Applied(f"removed line(s) {lines} of {path}", details)

    def undo(self, backup: Backup, details: Mapping[str, Any]) -> None:
        path = Path(details["path"])
        try:
            current = path.read_bytes()
        except FileNotFoundError:
            current = None
        if current is not None and _digest(current) != details["after_sha256"]:
            raise StaleTargetError(f"{path}: changed since the clean-up; not overwritten")
        atomic_write(path, backup.blobs["data"], int(backup.meta["mode"]))


class DeleteFile:
    """Delete the file (backup of its content and mode first)."""

    def apply(self, plan: Plan, save: SaveBackup) -> Applied:
        path, data, mode = _current(plan.params)
        save(Backup(str(ActionKind.DELETE_FILE), {"path": str(path), "mode": mode}, {"data": data}))
        path.unlink()
        fsync_dir(path.parent)
        details = {"path": str(path), "mode": stat.S_IMODE(mode), "sha256": _digest(data)}
        return Applied(f"deleted {path}", details)

    def undo(self, backup: Backup, details: Mapping[str, Any]) -> None:
        path = Path(details["path"])
        if path.exists() or path.is_symlink():
            raise StaleTargetError(f"{path}: exists again; not overwritten")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(path, backup.blobs["data"], int(backup.meta["mode"]))


def is_key_file(path: str) -> bool:
    """Files that are the credential as a whole (deleted rather than edited)."""
    name = Path(path).name.lower()
    return name.endswith(KEY_FILE_SUFFIXES) or (
        name.startswith("id_") and not name.endswith(".pub")
    )
