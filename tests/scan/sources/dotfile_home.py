"""A generated home holding one file per catalogued dotfile format, each with one planted fake
credential (``known_hosts`` holds none: credentials do not live there)."""

from __future__ import annotations

import base64
import json
import os
import random
import sqlite3
import string
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HEX = "0123456789ABCDEF"


def fake(seed: int, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    rng = random.Random(seed)  # noqa: S311 - reproducible fake values, not keys
    return "".join(rng.choice(alphabet) for _ in range(n))


@dataclass(frozen=True)
class Planted:
    path: str
    secret: str | None  # None: nothing may be found in this file


def _pem_rsa() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - fake, fast
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def _openssh_ed25519() -> str:
    return (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        .decode()
    )


def mylogin_bytes(lines: list[str], *, big_endian: bool = False) -> bytes:
    """The file as mysql_config_editor writes it: 4 zero bytes, a 20-byte key, then each
    line (with its newline) padded to whole blocks (a full block when it fits exactly), its
    length as a 32-bit integer and its blocks encrypted one by one under the folded key."""
    stored = os.urandom(20)
    key = bytearray(16)
    for index, byte in enumerate(stored):
        key[index % 16] ^= byte
    encryptor = Cipher(algorithms.AES(bytes(key)), modes.ECB()).encryptor()  # noqa: S305
    out = bytearray(b"\0\0\0\0" + stored)
    for line in lines:
        raw = (line + "\n").encode()
        pad = 16 - len(raw) % 16
        sealed = encryptor.update(raw + bytes([pad]) * pad)
        out += len(sealed).to_bytes(4, "big" if big_endian else "little") + sealed
    return bytes(out)


# DBeaver's own key (its source, BaseProjectImpl.LOCAL_KEY_CACHE), written out here on purpose:
# the tests encrypt as DBeaver does, independently of the module under test.
DBEAVER_KEY = bytes([186, 187, 74, 159, 119, 74, 184, 83, 201, 108, 45, 101, 61, 254, 84, 74])


def dbeaver_bytes(plain: bytes) -> bytes:
    """``plain`` as DBeaver encrypts its credentials file (AES-128-CBC, its published key, a
    random IV first)."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(DBEAVER_KEY), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(padded) + encryptor.finalize()


def dbeaver_encrypted(document: object) -> bytes:
    """A JSON document as DBeaver's credentials file holds it."""
    return dbeaver_bytes(json.dumps(document).encode())


# rclone's own key for `rclone obscure` (its source, fs/config/obscure): written out here on
# purpose, so the tests obscure as rclone does, independently of the module under test.
RCLONE_KEY = bytes.fromhex("9c935b48730a554d6bfd7c63c886a92bd390198eb8128afbf4de162b8b95f638")


def rclone_obscured(password: str) -> str:
    """``password`` as ``rclone obscure`` (and ``rclone config``) writes it: a random 16-byte
    IV, the password under AES-256-CTR, URL-safe base64 without padding."""
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(RCLONE_KEY), modes.CTR(iv)).encryptor()
    sealed = iv + encryptor.update(password.encode()) + encryptor.finalize()
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def github_token(prefix: str) -> str:
    """A GitHub-format token (``gho_``, ``ghu_`` ...): 30 random characters and their CRC32 in
    base62, as GitHub issues them."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(random.SystemRandom().choice(alphabet) for _ in range(30))
    number, digits = zlib.crc32(body.encode()), ""
    base62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
    for _ in range(6):
        number, rest = divmod(number, 62)
        digits = base62[rest] + digits
    return f"{prefix}_{body}{digits}"


def build_home(home: Path) -> dict[str, Planted]:
    """Write the files; return format -> what was planted where."""
    ghp = "ghp_" + fake(1, 36)
    glpat = "glpat-" + fake(2, 20)
    gho = "gho_" + fake(3, 36)
    akia = "AKIA" + fake(4, 16, string.ascii_uppercase + "234567")
    crates = "cio" + fake(5, 32)
    dbeaver_pw = fake(31, 10) + "#" + fake(32, 5)
    mylogin_pw = fake(33, 9) + "%" + fake(34, 6)
    vault_pw = fake(35, 12) + "!" + fake(36, 8)
    mycnf_pw = "+" + fake(37, 11) + "%d" + fake(38, 4)
    rclone_pw = fake(90, 9) + "$" + fake(91, 6)
    remmina_pw = fake(92, 22, string.ascii_letters + string.digits + "+/") + "=="
    linode = fake(93, 64, "0123456789abcdef")
    wrangler = fake(94, 43) + "." + fake(95, 43)
    vercel = fake(96, 24, string.ascii_letters)  # letters only: the store rule's case
    snowsql_pw = fake(97, 9) + "$" + fake(98, 6) + "!"
    snowflake_pw = fake(99, 16, string.ascii_letters)  # letters only: the store rule's case
    dbt_pw = "@" + fake(100, 10) + "{%" + fake(101, 5)
    helm_pw = fake(102, 18, string.ascii_letters)
    hcloud = fake(103, 64, string.ascii_letters)
    netlify = fake(104, 43, string.ascii_letters + string.digits + "-_")
    databricks = "eyJ" + fake(105, 40) + "." + fake(106, 60) + "." + fake(107, 43)
    pypi = "pypi-AgEIcHlwaS5vcmc" + fake(6, 70, string.ascii_letters + string.digits + "-_")
    tfc = fake(7, 14) + ".atlasv1." + fake(8, 67)
    hvs = "hvs." + fake(9, 24)
    age = "AGE-SECRET-KEY-1" + fake(10, 58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L").upper()
    pem = _pem_rsa()
    ssh = _openssh_ed25519()
    docker_pw = "Dk" + fake(11, 18)
    kube_key = _pem_rsa()
    maven_pw = fake(12, 16)
    gradle_pw = fake(13, 16)
    pg_pw = fake(14, 18)
    netrc_pw = fake(15, 20)
    openai = "sk-proj-" + fake(16, 48) + "T3BlbkFJ" + fake(17, 48)
    slack = "xoxb-" + "-".join(
        (fake(19, 12, string.digits), fake(20, 13, string.digits), fake(21, 24))
    )
    files: dict[str, tuple[str, str | bytes, str | None]] = {
        "git-credentials": (".git-credentials", f"https://contractor:{ghp}@github.com\n", ghp),
        "gitconfig": (
            ".gitconfig",
            f'[user]\n\tname = C\n[url "https://oauth2:{glpat}@gitlab.com/"]\n'
            "\tinsteadOf = https://gitlab.com/\n",
            glpat,
        ),
        "netrc": (
            ".netrc",
            f"machine api.example.org\n  login contractor\n  password {netrc_pw}\n",
            netrc_pw,
        ),
        "yaml": (
            ".config/gh/hosts.yml",
            f"github.com:\n    user: contractor\n    oauth_token: {gho}\n    git_protocol: https\n",
            gho,
        ),
        "ini": (".pypirc", f"[pypi]\nusername = __token__\npassword = {pypi}\n", pypi),
        "json": (
            ".config/openai/auth.json",
            json.dumps({"api_key": openai, "organization": "org-x"}, indent=2) + "\n",
            openai,
        ),
        "toml": (".cargo/credentials.toml", f'[registry]\ntoken = "{crates}"\n', crates),
        "pem": (".ssh/deploy.pem", pem, "pem"),
        "hcl": (".terraformrc", f'credentials "app.terraform.io" {{\n  token = "{tfc}"\n}}\n', tfc),
        "token": (".vault-token", hvs + "\n", hvs),
        "docker-config": (
            ".docker/config.json",
            json.dumps(
                {
                    "auths": {
                        "registry.example.org": {
                            "auth": base64.b64encode(f"ci:{docker_pw}".encode()).decode()
                        }
                    }
                },
                indent=2,
            ),
            "docker",
        ),
        "kubeconfig": (
            ".kube/config",
            "apiVersion: v1\nkind: Config\nusers:\n- name: dev\n  user:\n"
            f"    client-key-data: {base64.b64encode(kube_key.encode()).decode()}\n",
            "kube",
        ),
        "xml": (
            ".m2/settings.xml",
            "<settings>\n  <servers>\n    <server>\n      <id>nexus</id>\n"
            f"      <username>deploy</username>\n      <password>{maven_pw}</password>\n"
            "    </server>\n  </servers>\n</settings>\n",
            maven_pw,
        ),
        "properties": (
            ".gradle/gradle.properties",
            f"org.gradle.jvmargs=-Xmx2g\nmavenPassword={gradle_pw}\n",
            gradle_pw,
        ),
        "text": (".config/sops/age/keys.txt", f"# created: 2024-01-01\n{age}\n", age),
        "pgpass": (".pgpass", f"db.example.org:5432:app:app_user:{pg_pw}\n", pg_pw),
        "ansible-vault-password": (".vault_pass.txt", f"{vault_pw}\n", vault_pw),
        "mylogin": (
            ".mylogin.cnf",
            mylogin_bytes(["[client]", 'user = "app"', f'password = "{mylogin_pw}"']),
            mylogin_pw,
        ),
        "mysql-options": (".my.cnf", f"[client]\nuser=app\npassword={mycnf_pw}\n", mycnf_pw),
        "rclone": (
            ".config/rclone/rclone.conf",
            f"[nas]\ntype = sftp\nhost = nas.example.org\nuser = app\n"
            f"pass = {rclone_obscured(rclone_pw)}\n",
            rclone_pw,
        ),
        "remmina": (
            ".local/share/remmina/group_rdp_example.remmina",
            "[remmina]\nname=example\nprotocol=RDP\nserver=rdp.example.org\nusername=app\n"
            f"password={remmina_pw}\n",
            remmina_pw,
        ),
        "linode-cli": (
            ".config/linode-cli",
            f"[DEFAULT]\ndefault-user = app\n\n[app]\ntoken = {linode}\nregion = eu-central\n",
            linode,
        ),
        "vercel-auth": (
            ".local/share/com.vercel.cli/auth.json",
            json.dumps({"// Note": "This is your Vercel credentials file.", "token": vercel}),
            vercel,
        ),
        "wrangler-config": (
            ".config/.wrangler/config/default.toml",
            f'oauth_token = "{wrangler}"\nexpiration_time = "2024-05-02T10:11:12.123Z"\n',
            wrangler,
        ),
        "snowsql-config": (
            ".snowsql/config",
            "[connections]\naccountname = acme-xy12345\nusername = app\n"
            f"password = {snowsql_pw}\n\n[options]\nlog_level = info\n",
            snowsql_pw,
        ),
        "snowflake-connections": (
            ".snowflake/connections.toml",
            f'[app]\naccount = "acme-xy12345"\nuser = "app"\npassword = "{snowflake_pw}"\n',
            snowflake_pw,
        ),
        "dbt-profiles": (
            ".dbt/profiles.yml",
            "acme:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n"
            f"      user: app\n      password: '{dbt_pw}'\n      port: 5432\n",
            dbt_pw,
        ),
        "helm-repositories": (
            ".config/helm/repositories.yaml",
            'apiVersion: ""\ngenerated: "0001-01-01T00:00:00Z"\nrepositories:\n- caFile: ""\n'
            f"  name: acme\n  password: {helm_pw}\n  url: https://charts.example.org\n"
            "  username: app\n",
            helm_pw,
        ),
        "hcloud-cli": (
            ".config/hcloud/cli.toml",
            f'active_context = "app"\n\n[[contexts]]\n  name = "app"\n  token = "{hcloud}"\n',
            hcloud,
        ),
        "netlify-config": (
            ".config/netlify/config.json",
            json.dumps(
                {
                    "userId": "u1",
                    "users": {"u1": {"id": "u1", "auth": {"token": netlify, "github": {}}}},
                },
                indent="\t",
            ),
            netlify,
        ),
        "databricks-token-cache": (
            ".databricks/token-cache.json",
            json.dumps(
                {
                    "version": 1,
                    "tokens": {
                        "https://app.cloud.databricks.com": {
                            "access_token": databricks,
                            "token_type": "Bearer",
                            "expiry": "2024-05-02T10:11:12.123456+02:00",
                        }
                    },
                },
                indent=2,
            ),
            databricks,
        ),
        "dbeaver-credentials": (
            ".local/share/DBeaverData/workspace6/General/.dbeaver/credentials-config.json",
            dbeaver_encrypted({"pg-1": {"#connection": {"user": "app", "password": dbeaver_pw}}}),
            dbeaver_pw,
        ),
        "ssh-private-key": (".ssh/id_ed25519", ssh, "ssh"),
        "ssh-config": (
            ".ssh/config",
            "Host build\n  HostName build.example.org\n  User ci\n"
            f"  SetEnv GITHUB_TOKEN={ghp[:-4]}Q9x2\n",
            f"{ghp[:-4]}Q9x2",
        ),
        "known_hosts": (
            ".ssh/known_hosts",
            "github.com ssh-ed25519 "
            "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n",
            None,
        ),
        "gpg-private-key": (
            ".gnupg/private-keys-v1.d/0123456789ABCDEF0123456789ABCDEF01234567.key",
            "Created: 20240101T000000\nKey: (private-key (ecc (curve Ed25519)(flags eddsa)\n"
            f" (q #40{fake(22, 64, HEX)}#)\n (d #{fake(23, 64, HEX)}#)))\n",
            "gpg",
        ),
        "env": (".env", f"DEBUG=1\nSLACK_BOT_TOKEN={slack}\n", slack),
        "shell": (".bashrc", f"alias ll='ls -l'\nexport AWS_ACCESS_KEY_ID={akia}\n", akia),
    }
    planted: dict[str, Planted] = {}
    for fmt, (rel, content, secret) in files.items():
        path = home / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        planted[fmt] = Planted(rel, secret)
    _sqlite(
        home / ".config/gcloud/credentials.db",
        "ya29." + fake(24, 120, string.ascii_letters + string.digits + "-_"),
    )
    planted["sqlite"] = Planted(".config/gcloud/credentials.db", "sqlite")
    return planted


def _sqlite(path: Path, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE credentials (account_id TEXT PRIMARY KEY, value BLOB)")
    db.execute(
        "INSERT INTO credentials VALUES (?, ?)",
        ("contractor@example.org", json.dumps({"access_token": token, "token_type": "Bearer"})),
    )
    db.commit()
    db.close()
