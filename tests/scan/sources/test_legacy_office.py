"""Legacy Office files and Outlook messages (OLE2) are read as their runs of readable text."""

from __future__ import annotations

import os
from pathlib import Path

from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.ole_text import MAGIC, text_runs
from tests.scan.sources.conftest import make_ctx
from tests.scan.sources.detection import run

# Made-up values in provider formats (they authenticate nowhere).
GITHUB = "ghp_" + "Xk7bR2mQ9vT4wL8nC3pZ6yH1jF5dS0aG2eUq"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc9Q2w"


def _compound(*parts: bytes) -> bytes:
    """The OLE2 signature, binary padding and the given parts (as a file's streams would
    hold them: 8-bit text in a Word stream, UTF-16 in an Outlook property)."""
    filler = (bytes(range(32)) + bytes(range(128, 256))) * 2  # nothing readable
    return MAGIC + filler + filler.join(parts) + filler


def test_runs_are_found_in_both_encodings_in_file_order() -> None:
    data = _compound(
        b"short", b"Deploy notes for staging", "Subject: VPN access".encode("utf-16-le")
    )
    assert text_runs(data).split(b"\n")[-2:] == [
        b"Deploy notes for staging",
        b"Subject: VPN access",
    ]
    assert b"short" not in text_runs(data)


def test_tokens_in_legacy_documents_and_saved_mails_are_found(tmp_path: Path) -> None:
    (tmp_path / "handover.doc").write_bytes(_compound(f"CI token {GITHUB}".encode("cp1252")))
    (tmp_path / "Re- keys.msg").write_bytes(_compound(f"stripe: {STRIPE}".encode("utf-16-le")))
    (tmp_path / "random.xls").write_bytes(os.urandom(4096))  # not a compound file at all
    ctx = make_ctx(tmp_path)
    located = run(FilesSource([tmp_path]), ctx, with_profile=False)
    found = {
        (Path(h.location.path or "").parent.name, h.hit.rule_id.split(".")[0]) for h in located
    }
    assert found == {("handover.doc", "github"), ("Re- keys.msg", "stripe")}
    counters = ctx.stat("files").counters
    assert counters["legacy_documents"] == 2
    assert counters["skipped_binary"] == 1
    for hit in located:
        assert GITHUB not in hit.hit.redacted and STRIPE not in hit.hit.redacted
