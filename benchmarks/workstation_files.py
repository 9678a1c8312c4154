"""Which credential files of a developer's workstation a scan finds (a script, not a test).

Writes a throwaway home holding the files that command-line tools, editors and desktop apps
keep credentials in (cloud CLIs' sign-in caches, package registry tokens, database client
configs, VPN and SSH keys ...), each as the tool writes it, with fresh random fake values;
scans it with the ``desktop-audit`` CLI (dotfiles and files sources, no keychain); prints
every file with what was found in it, and the files holding a credential that nothing found.

    python benchmarks/workstation_files.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sqlite3
import string
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The sealed stores are written as their tools write them, by the tests' own writers.
from tests.scan.sources.dotfile_home import dbeaver_encrypted, mylogin_bytes  # noqa: E402

AN = string.ascii_letters + string.digits
URL = AN + "-_"
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"

# Files that hold no credential (a scan must stay quiet on them).
NOTHING = frozenset(
    {
        ".config/heroku/config.json",
        ".config/JetBrains/IntelliJIdea2024.1/options/dataSources.local.xml",
        ".twilio-cli/config.json",
    }
)


def r(n: int, alphabet: str = AN) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return part({"alg": "RS256", "typ": "JWT"}) + "." + part(claims) + "." + r(86, URL)


def _gcloud_db(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE credentials (account_id TEXT PRIMARY KEY, value BLOB)")
        value = {
            "client_id": "32555940559.apps.googleusercontent.com",
            "client_secret": r(24),
            "refresh_token": "1//0e" + r(99, URL),
            "type": "authorized_user",
        }
        db.execute("INSERT INTO credentials VALUES (?, ?)", ("bob@acme.example", json.dumps(value)))
    db.close()


def _dbeaver_credentials(path: Path) -> None:
    """DBeaver's saved connection passwords, encrypted as DBeaver does."""
    document = {"postgres-jdbc-" + r(12, HEX): {"#connection": {"user": "bob", "password": r(14)}}}
    path.write_bytes(dbeaver_encrypted(document))


def _mysql_login_path(path: Path) -> None:
    """``mysql_config_editor set --login-path=acme``, as it writes the file."""
    lines = ["[acme]", 'user = "bob"', f'password = "{r(14)}"', 'host = "db.acme.example"']
    path.write_bytes(mylogin_bytes(lines))


def files() -> dict[str, str | Callable[[Path], None]]:
    """Relative path -> content (or a writer for binary formats)."""
    akia = lambda: "AKIA" + r(16, B32)  # noqa: E731
    return {
        ".aws/credentials": f"[default]\naws_access_key_id = {akia()}\n"
        f"aws_secret_access_key = {r(40, AN + '/+')}\n",
        ".aws/sso/cache/3e1a.json": json.dumps(
            {"startUrl": "https://acme.awsapps.com/start", "accessToken": "aoa" + r(250)}
        ),
        ".aws/cli/cache/9f2b.json": json.dumps(
            {
                "Credentials": {
                    "AccessKeyId": "ASIA" + r(16, B32),
                    "SecretAccessKey": r(40, AN + "/+"),
                    "SessionToken": "IQoJb3JpZ2luX2VjE" + r(600, AN + "/+") + "==",
                }
            }
        ),
        ".azure/msal_token_cache.json": json.dumps(
            {
                "RefreshToken": {
                    "k": {
                        "credential_type": "RefreshToken",
                        "secret": "0.AXoA" + r(700, URL),
                        "environment": "login.microsoftonline.com",
                    }
                }
            },
            indent=4,
        ),
        ".azure/accessTokens.json": json.dumps(
            [{"tokenType": "Bearer", "refreshToken": "0.AVYA" + r(600, URL), "userId": "bob"}]
        ),
        ".azure/service_principal_entries.json": json.dumps(
            [
                {
                    "client_id": "0b6f3c2e-8d41-4a8e-9b1f-3c2d4e5f6a7b",
                    "client_secret": r(3) + "8Q~" + r(31, URL + "."),
                }
            ]
        ),
        ".config/gcloud/application_default_credentials.json": json.dumps(
            {
                "client_id": "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur"
                ".apps.googleusercontent.com",
                "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty",
                "refresh_token": "1//0g" + r(60, URL),
                "type": "authorized_user",
            },
            indent=2,
        ),
        ".config/gcloud/credentials.db": _gcloud_db,
        ".bluemix/config.json": json.dumps({"IAMRefreshToken": "OKD" + r(400, URL)}, indent=2),
        ".oci/config": "[DEFAULT]\nuser=ocid1.user.oc1..aaaa"
        + r(56, string.ascii_lowercase)
        + "\nkey_file=~/.oci/oci_api_key.pem\npass_phrase="
        + r(16)
        + "\n",
        ".config/doctl/config.yaml": "access-token: dop_v1_" + r(64, HEX) + "\n",
        ".config/linode-cli": "[bob]\ntoken = " + r(64, HEX) + "\n",
        ".config/hcloud/cli.toml": '[[contexts]]\n  name = "acme"\n  token = "' + r(64) + '"\n',
        ".config/scw/config.yaml": "access_key: SCW" + r(17, string.ascii_uppercase) + "\n"
        f"secret_key: {r(8, HEX)}-{r(4, HEX)}-4{r(3, HEX)}-8{r(3, HEX)}-{r(12, HEX)}\n",
        ".config/openstack/clouds.yaml": "clouds:\n  acme:\n    auth:\n      username: bob\n"
        f"      password: {r(16)}\n",
        ".config/rclone/rclone.conf": f"[s3]\ntype = s3\naccess_key_id = {akia()}\n"
        f"secret_access_key = {r(40, AN + '/+')}\n",
        ".s3cfg": f"[default]\naccess_key = {akia()}\nsecret_key = {r(40, AN + '/+')}\n",
        ".boto": "[Credentials]\naws_access_key_id = " + akia() + "\n"
        f"aws_secret_access_key = {r(40, AN + '/+')}\n",
        ".databrickscfg": "[DEFAULT]\nhost = https://adb-1.azuredatabricks.net\ntoken = dapi"
        + r(32, HEX)
        + "\n",
        ".terraform.d/credentials.tfrc.json": json.dumps(
            {"credentials": {"app.terraform.io": {"token": r(14) + ".atlasv1." + r(67)}}}
        ),
        ".pulumi/credentials.json": json.dumps(
            {"accessTokens": {"https://api.pulumi.com": "pul-" + r(40, HEX)}}, indent=4
        ),
        ".vault-token": "hvs." + r(24) + "\n",
        ".doppler/.doppler.yaml": "scoped:\n    /:\n        token: dp.ct." + r(40) + "\n",
        ".fly/config.yml": "access_token: fo1_" + r(43, URL) + "\n",
        ".local/share/com.vercel.cli/auth.json": json.dumps({"token": r(24)}, indent=2),
        ".config/netlify/config.json": json.dumps(
            {"users": {"x": {"auth": {"token": "nfp_" + r(40)}}}}
        ),
        ".config/configstore/firebase-tools.json": json.dumps(
            {"tokens": {"refresh_token": "1//0c" + r(100, URL)}}, indent=2
        ),
        ".wrangler/config/default.toml": f'oauth_token = "{r(43, URL)}"\n'
        f'refresh_token = "{r(43, URL)}"\n',
        ".kube/config": "apiVersion: v1\nusers:\n- name: acme\n  user:\n    token: "
        + _jwt({"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount:default:ci"})
        + "\n",
        ".docker/config.json": json.dumps(
            {"auths": {"registry.acme.example": {"auth": b64(f"bob:{r(20)}".encode())}}}, indent=2
        ),
        ".config/helm/repositories.yaml": "repositories:\n- name: acme\n  username: bob\n"
        f"  password: {r(20)}\n",
        ".git-credentials": f"https://bob:{r(20)}@git.acme.example\n",
        ".config/gh/hosts.yml": "github.com:\n    user: bob\n    oauth_token: gho_" + r(36) + "\n",
        ".config/glab-cli/config.yml": "hosts:\n    gitlab.acme.example:\n        token: glpat-"
        + r(20, URL)
        + "\n",
        ".config/github-copilot/hosts.json": json.dumps(
            {"github.com": {"oauth_token": "ghu_" + r(36)}}
        ),
        ".npmrc": "//registry.npmjs.org/:_authToken=npm_" + r(36) + "\n",
        ".yarnrc.yml": 'npmRegistries:\n  "https://npm.acme.example":\n    npmAuthToken: "'
        + r(40)
        + '"\n',
        ".pypirc": "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc"
        + r(120, URL)
        + "\n",
        ".cargo/credentials.toml": '[registry]\ntoken = "cio' + r(32) + '"\n',
        ".gem/credentials": "---\n:rubygems_api_key: rubygems_" + r(48, HEX) + "\n",
        ".config/composer/auth.json": json.dumps(
            {"http-basic": {"repo.acme.example": {"username": "bob", "password": r(14)}}}
        ),
        ".gradle/gradle.properties": "artifactoryUser=bob\nartifactoryPassword=AKCp8"
        + r(64)
        + "\n",
        ".m2/settings.xml": "<settings><servers><server><id>acme</id><username>bob</username>"
        f"<password>{r(14)}</password></server></servers></settings>\n",
        ".sentryclirc": "[auth]\ntoken=sntrys_" + r(100, AN) + "_" + r(43, AN) + "\n",
        ".config/stripe/config.toml": '[default]\nlive_mode_api_key = "rk_live_' + r(99) + '"\n',
        ".config/openai/key": "sk-proj-" + r(74, URL) + "T3BlbkFJ" + r(74, URL) + "\n",
        ".config/ngrok/ngrok.yml": 'version: "2"\nauthtoken: 2' + r(26) + "_" + r(21) + "\n",
        ".config/op/config": json.dumps(
            {
                "accounts": [
                    {
                        "accountKey": "-".join(
                            ["A3", r(6, B32), r(6, B32), *(r(5, B32) for _ in range(4))]
                        )
                    }
                ]
            }
        ),
        ".netrc": f"machine api.heroku.com\n  login bob@acme.example\n  password {r(36, HEX)}\n",
        ".pgpass": f"db.acme.example:5432:*:bob:{r(14)}\n",
        ".my.cnf": f"[client]\nuser=root\npassword={r(14)}\n",
        ".mylogin.cnf": _mysql_login_path,
        "work/acme/infra/.vault_pass.txt": r(24) + "\n",
        ".snowsql/config": "[connections]\nusername = bob\npassword = Zp9$" + r(10) + "\n",
        ".config/filezilla/sitemanager.xml": "<FileZilla3><Servers><Server><User>bob</User>"
        f'<Pass encoding="base64">{b64(r(14).encode())}</Pass></Server></Servers></FileZilla3>\n',
        ".local/share/DBeaverData/workspace6/General/.dbeaver/credentials-config.json": (
            _dbeaver_credentials
        ),
        ".local/share/remmina/acme.remmina": "[remmina]\nusername=bob\npassword="
        + b64(os.urandom(24))
        + "\n",
        ".config/httpie/sessions/api.acme.io/default.json": json.dumps(
            {"headers": [{"name": "Authorization", "value": "Bearer " + r(48)}]}, indent=4
        ),
        "Downloads/app.acme.io.har": json.dumps(
            {
                "log": {
                    "entries": [{"request": {"headers": [{"name": "x-api-key", "value": r(32)}]}}]
                }
            }
        ),
        ".config/Insomnia/insomnia.Environment.db": json.dumps(
            {"type": "Environment", "data": {"api_token": r(40)}}
        )
        + "\n",
        "wg0.conf": f"[Interface]\nPrivateKey = {b64(os.urandom(32))}\nAddress = 10.0.0.2/32\n",
        ".ssh/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        + b64(b"openssh-key-v1\x00" + os.urandom(300))
        + "\n-----END OPENSSH PRIVATE KEY-----\n",
        ".bash_history": f"curl -H 'Authorization: Bearer {r(40)}' https://api.acme.io/v1/me\n",
        "work/acme/.env": f"DATABASE_URL=postgres://app:{r(16)}@db.acme.example:5432/app\n",
        # hold no credential
        ".config/heroku/config.json": "{}",
        ".config/JetBrains/IntelliJIdea2024.1/options/dataSources.local.xml": "<application>"
        '<component name="dataSourceStorageLocal"><data-source name="acme">'
        "<secret-storage>master_key</secret-storage></data-source></component></application>\n",
        ".twilio-cli/config.json": json.dumps(
            {"profiles": {"acme": {"accountSid": "AC" + r(32, HEX)}}}
        ),
    }


def write_home(home: Path) -> list[str]:
    written = []
    for relative, content in files().items():
        path = home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_text(content)
        written.append(relative)
    return written


def scan(home: Path, work: Path) -> dict[str, list[tuple[str, str]]]:
    out = work / "scan.json"
    env = {
        **os.environ,
        "DESKTOP_AUDIT_KEY_BACKEND": "passphrase",
        "DESKTOP_AUDIT_PASSPHRASE": "workstation-benchmark",
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_audit",
            "scan",
            "--home",
            str(home),
            "--no-keychain",
            "--no-history",
            "--db",
            str(work / "db.sqlite"),
            "--format",
            "json",
            "--output",
            str(out),
            "--no-progress",
        ],
        env=env,
        check=False,
    )
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for finding in json.loads(out.read_text())["findings"]:
        for location in finding["locations"]:
            path = location["path"] or ""  # relative to the home, as scan JSON gives it
            relative = os.path.relpath(path, home) if Path(path).is_absolute() else path
            found[relative].append((finding["severity"], finding["rule_id"]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the home and results here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="desktop-audit-workstation-"))
    home = work / "home"
    written = write_home(home)
    found = scan(home, work)
    holding = [f for f in written if f not in NOTHING]
    missed = [f for f in holding if not found.get(f)]
    noisy = [f for f in written if f in NOTHING and found.get(f)]
    for relative in written:
        mark = "  " if bool(found.get(relative)) != (relative in NOTHING) else "!!"
        print(f"{mark} {relative:62} {sorted(set(found.get(relative, [])))}")
    print(f"\nfiles holding a credential: {len(holding)}; found in {len(holding) - len(missed)}")
    print(f"files holding none: {len(written) - len(holding)}; reported: {len(noisy)}")
    if missed:
        print("missed:", ", ".join(missed))


if __name__ == "__main__":
    main()
