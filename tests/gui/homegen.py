"""A generated home big enough for a scan to take a few seconds (fake, random credentials)."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from tests.planted import aws_key_id, github_pat

_WORDS = ("alpha", "beta", "config", "service", "deploy", "release", "notes", "client", "value")


def build_big_home(root: Path, files: int = 1500, size: int = 40_000) -> Path:
    """``files`` text files of about ``size`` bytes under ``root/home``; every 50th has a token."""
    home = root / "home"
    filler_line = " ".join(secrets.choice(_WORDS) for _ in range(12)) + "\n"
    filler = filler_line * (size // len(filler_line))
    for n in range(files):
        folder = home / "work" / f"project-{n % 30}" / "docs"
        folder.mkdir(parents=True, exist_ok=True)
        text = filler
        if n % 50 == 0:
            text += f"GITHUB_TOKEN={github_pat()}\naws_access_key_id = {aws_key_id()}\n"
        (folder / f"notes-{n}.txt").write_text(text, encoding="utf-8")
    (home / ".bash_history").write_text(
        "ls\nexport TOKEN=" + "".join(secrets.choice(string.ascii_letters) for _ in range(8)) + "\n"
    )
    return home
