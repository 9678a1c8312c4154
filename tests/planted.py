"""A throwaway home with freshly generated fake credentials in real files and a real git repo.

The values are random per run, so finding one byte-for-byte in an artefact can only mean we
leaked it. They are fake: they authenticate nowhere.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import string
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

_B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_ALNUM = string.ascii_letters + string.digits


def _rand(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _base62(number: int, width: int) -> str:
    out = ""
    while number:
        number, rem = divmod(number, 62)
        out = _B62[rem] + out
    return out.rjust(width, "0")


def github_pat() -> str:
    """A classic GitHub token shape with its documented CRC32 checksum."""
    body = _rand(_ALNUM, 30)
    return "ghp_" + body + _base62(zlib.crc32(body.encode()), 6)


def aws_key_id() -> str:
    return "AKIA" + _rand(string.ascii_uppercase + "234567", 16)


def aws_secret() -> str:
    return _rand(_ALNUM + "/+", 40)


def stripe_live() -> str:
    return "sk_live_" + _rand(_ALNUM, 24)


GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    result = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    )
    return result.stdout


@dataclass
class PlantedHome:
    home: Path
    secrets: dict[str, str] = field(default_factory=dict)
    private_key_pem: str = ""

    def all_values(self) -> list[str]:
        """Every planted value, plus distinctive pieces of the private key body."""
        values = list(self.secrets.values())
        body = "".join(self.private_key_pem.splitlines()[1:-1])
        values += [body[i : i + 24] for i in range(0, len(body) - 24, 24)]
        return values


def build_home(root: Path) -> PlantedHome:
    """Dotfiles, shell history, a .env in a project, and a git repo with a deleted secret."""
    home = root / "home"
    planted = PlantedHome(home)
    s = planted.secrets
    s["github"] = github_pat()
    s["aws_id"] = aws_key_id()
    s["aws_secret"] = aws_secret()
    s["stripe"] = stripe_live()
    s["bearer"] = _rand(_ALNUM, 40)
    s["deploy_password"] = "Dp-" + _rand(_ALNUM, 21)

    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {s['aws_id']}\n"
        f"aws_secret_access_key = {s['aws_secret']}\nregion = eu-west-1\n"
    )
    (home / ".git-credentials").write_text(f"https://contractor:{s['github']}@github.com\n")
    (home / ".bash_history").write_text(
        "ls -la\ncd work\n"
        f'curl -H "Authorization: Bearer {s["bearer"]}" https://api.client.example/v1/users\n'
        "git status\n"
    )
    key = ed25519.Ed25519PrivateKey.generate()
    planted.private_key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    (home / ".ssh").mkdir(mode=0o700)
    (home / ".ssh" / "id_ed25519").write_text(planted.private_key_pem)
    (home / ".ssh" / "id_ed25519").chmod(0o600)

    repo = home / "work" / "app"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("# app\n")
    (repo / "settings.py").write_text(f'DEBUG = False\nSTRIPE_KEY = "{s["stripe"]}"\n')
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "initial")
    (repo / "settings.py").write_text('DEBUG = False\nSTRIPE_KEY = os.environ["STRIPE_KEY"]\n')
    git(repo, "commit", "-q", "-am", "move key to env")
    git(
        repo,
        "remote",
        "add",
        "origin",
        f"https://deploy-bot:{s['deploy_password']}@git.client.example/team/app.git",
    )
    (repo / ".gitignore").write_text(".env\n")
    (repo / ".env").write_text(
        f"DATABASE_URL=postgres://app@localhost/app\nAWS_SECRET_ACCESS_KEY={s['aws_secret']}\n"
    )
    return planted


def tree_digest(root: Path) -> str:
    """Hash of every entry under ``root``: path, type, mode, mtime and content."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted([*dirnames, *filenames]):
            path = Path(dirpath) / name
            st = path.lstat()
            h.update(f"{path.relative_to(root)}|{st.st_mode}|{st.st_mtime_ns}|".encode())
            if path.is_symlink():
                h.update(str(path.readlink()).encode())
            elif path.is_file():
                h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
