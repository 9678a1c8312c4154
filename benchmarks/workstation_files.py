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
from tests.scan.sources.dotfile_home import (  # noqa: E402
    dbeaver_encrypted,
    github_token,
    mylogin_bytes,
    rclone_obscured,
)

AN = string.ascii_letters + string.digits
URL = AN + "-_"
HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"

# Files that hold no credential (a scan must stay quiet on them).
NOTHING = frozenset(
    {
        "work/acme/deploy/ansible.cfg",  # names the vault password file; holds none itself
        "Downloads/acme-vpn/acme-office.ovpn",  # names its login file; holds none itself
        ".config/heroku/config.json",
        ".config/JetBrains/IntelliJIdea2024.1/options/dataSources.local.xml",
        ".twilio-cli/config.json",
        ".config/op/config",
        ".config/gcloud/configurations/config_default",
        ".docker-helpers/config.json",
        ".local/share/remmina/keyring.remmina",
        ".config/gh-keyring/hosts.yml",
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


def _uuid() -> str:
    return f"{r(8, HEX)}-{r(4, HEX)}-4{r(3, HEX)}-a{r(3, HEX)}-{r(12, HEX)}"


def _rclone_conf() -> str:
    """``rclone config`` output: an S3 remote, SFTP / WebDAV / FTP remotes with obscured
    passwords, a crypt remote and OAuth remotes (Drive, Dropbox, OneDrive) with their token."""
    expiry = "2024-05-02T10:11:12.123456789+02:00"

    def token(access: str, refresh: str) -> str:
        return json.dumps(
            {
                "access_token": access,
                "token_type": "Bearer",
                "refresh_token": refresh,
                "expiry": expiry,
            },
            separators=(",", ":"),
        )

    return (
        f"[s3]\ntype = s3\nprovider = AWS\naccess_key_id = AKIA{r(16, B32)}\n"
        f"secret_access_key = {r(40, AN + '/+')}\nregion = eu-west-1\n\n"
        f"[nas]\ntype = sftp\nhost = nas.acme.example\nuser = bob\n"
        f"pass = {rclone_obscured(r(14))}\nshell_type = unix\n\n"
        f"[dav]\ntype = webdav\nurl = https://cloud.acme.example/remote.php/dav/files/bob\n"
        f"vendor = nextcloud\nuser = bob\npass = {rclone_obscured(r(12))}\n\n"
        f"[ftp]\ntype = ftp\nhost = ftp.acme.example\nuser = bob\n"
        f"pass = {rclone_obscured(r(10))}\n\n"
        f"[secret]\ntype = crypt\nremote = nas:backup\npassword = {rclone_obscured(r(20))}\n"
        f"password2 = {rclone_obscured(r(20))}\n\n"
        "[gdrive]\ntype = drive\nscope = drive\n"
        f"token = {token('ya29.a0' + r(150, URL), '1//09' + r(100, URL))}\nteam_drive = \n\n"
        "[dropbox]\ntype = dropbox\n"
        f"token = {token('sl.B' + r(135, URL), r(64, URL))}\n\n"
        "[onedrive]\ntype = onedrive\n"
        f"token = {token('EwB' + r(1200, AN + '+/') + '=', 'M.C5' + r(300, AN + '!*$'))}\n"
        f"drive_id = {r(16, HEX)}\ndrive_type = personal\n"
    )


def _filezilla(outer: str, inner: str, extra: str) -> str:
    """FileZilla 3's sitemanager.xml / recentservers.xml with one saved login."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
        '<FileZilla3 version="3.66.4" platform="*nix">\n'
        f"\t<{outer}>\n\t\t<{inner}>\n\t\t\t<Host>sftp.acme.example</Host>\n"
        "\t\t\t<Port>22</Port>\n\t\t\t<Protocol>1</Protocol>\n\t\t\t<Type>0</Type>\n"
        "\t\t\t<User>bob</User>\n"
        f'\t\t\t<Pass encoding="base64">{b64(r(14).encode())}</Pass>\n'
        "\t\t\t<Logontype>1</Logontype>\n\t\t\t<PasvMode>MODE_DEFAULT</PasvMode>\n"
        f"\t\t\t{extra}\t\t</{inner}>\n\t</{outer}>\n</FileZilla3>\n"
    )


def _cloudflared_cert() -> str:
    """``cloudflared tunnel login``'s cert.pem: the zone's origin certificate token."""
    token = {"zoneID": r(32, HEX), "accountID": r(32, HEX), "apiToken": r(40, URL)}
    body = b64(json.dumps(token).encode())
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN ARGO TUNNEL TOKEN-----\n{lines}\n-----END ARGO TUNNEL TOKEN-----\n"


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
        ".bluemix/config.json": json.dumps(
            {
                "ConsentAcceptedByUser": False,
                "APIEndpoint": "https://cloud.ibm.com",
                "IsPrivate": False,
                "IAMEndpoint": "https://iam.cloud.ibm.com",
                "IAMToken": "Bearer "
                + _jwt({"iam_id": "IBMid-" + r(10, HEX), "iss": "https://iam.cloud.ibm.com"}),
                "IAMRefreshToken": "OKD" + r(400, URL),
                "Account": {"GUID": r(32, HEX), "Name": "Acme", "Owner": "bob@acme.example"},
                "Region": "eu-de",
            },
            indent=2,
        ),
        ".aliyun/config.json": json.dumps(
            {
                "current": "default",
                "profiles": [
                    {
                        "name": "default",
                        "mode": "AK",
                        "access_key_id": "LTAI5t" + r(18),
                        "access_key_secret": r(30),
                        "sts_token": "",
                        "region_id": "cn-hangzhou",
                        "output_format": "json",
                        "language": "en",
                    }
                ],
                "meta_path": "",
            },
            indent="\t",
        ),
        ".oci/config": "[DEFAULT]\nuser=ocid1.user.oc1..aaaa"
        + r(56, string.ascii_lowercase)
        + "\nkey_file=~/.oci/oci_api_key.pem\npass_phrase="
        + r(16)
        + "\n",
        ".config/doctl/config.yaml": "access-token: dop_v1_" + r(64, HEX) + "\n",
        ".config/linode-cli": "[DEFAULT]\ndefault-user = bob\n\n[bob]\ntoken = "
        + r(64, HEX)
        + "\nregion = eu-central\ntype = g6-nanode-1\nimage = linode/debian12\n",
        ".config/hcloud/cli.toml": '[[contexts]]\n  name = "acme"\n  token = "' + r(64) + '"\n',
        ".config/scw/config.yaml": "access_key: SCW" + r(17, string.ascii_uppercase) + "\n"
        f"secret_key: {r(8, HEX)}-{r(4, HEX)}-4{r(3, HEX)}-8{r(3, HEX)}-{r(12, HEX)}\n",
        ".config/openstack/clouds.yaml": "clouds:\n  acme:\n    auth:\n      username: bob\n"
        f"      password: {r(16)}\n",
        ".config/rclone/rclone.conf": _rclone_conf(),
        # one remote with only an obscured password: nothing else in the file to find
        "AppData/Roaming/rclone/rclone.conf": "[nas]\ntype = sftp\nhost = nas.acme.example\n"
        f"user = bob\npass = {rclone_obscured(r(14))}\n",
        ".s3cfg": f"[default]\naccess_key = {akia()}\nsecret_key = {r(40, AN + '/+')}\n",
        ".boto": "[Credentials]\naws_access_key_id = " + akia() + "\n"
        f"aws_secret_access_key = {r(40, AN + '/+')}\n",
        ".databrickscfg": "[DEFAULT]\nhost  = https://adb-1234567890123456.7.azuredatabricks.net\n"
        "token = dapi"
        + r(32, HEX)
        + "\n\n[staging]\nhost     = https://acme-staging.cloud.databricks.com\nusername = bob\n"
        f"password = {r(16)}\n",
        ".databricks/token-cache.json": json.dumps(
            {
                "version": 1,
                "tokens": {
                    "https://acme.cloud.databricks.com": {
                        "access_token": _jwt({"sub": "bob", "scp": "all-apis offline_access"}),
                        "token_type": "Bearer",
                        "refresh_token": "doau" + r(64, HEX),
                        "expiry": "2024-05-02T10:11:12.123456+02:00",
                    }
                },
            },
            indent=2,
        ),
        ".terraformrc": 'plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"\n\n'
        'credentials "app.terraform.io" {\n  token = "'
        + r(14)
        + ".atlasv1."
        + r(67)
        + '"\n}\n\ncredentials "tfe.acme.example" {\n  token = "'
        + r(14)
        + ".atlasv1."
        + r(67)
        + '"\n}\n',
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
        ".wrangler/config/default.toml": f'oauth_token = "{r(43, URL)}.{r(43, URL)}"\n'
        'expiration_time = "2024-05-02T10:11:12.123Z"\n'
        f'refresh_token = "{r(43, URL)}.{r(43, URL)}"\n'
        'scopes = [ "account:read", "user:read", "workers:write", "offline_access" ]\n',
        "Library/Preferences/.wrangler/config/default.toml": f'oauth_token = "{r(43, URL)}.'
        f'{r(43, URL)}"\nexpiration_time = "2024-05-02T10:11:12.123Z"\n'
        f'refresh_token = "{r(43, URL)}.{r(43, URL)}"\n',
        ".kube/config": "apiVersion: v1\nusers:\n- name: acme\n  user:\n    token: "
        + _jwt({"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount:default:ci"})
        + "\n",
        ".docker/config.json": json.dumps(
            {"auths": {"registry.acme.example": {"auth": b64(f"bob:{r(20)}".encode())}}}, indent=2
        ),
        # credentials in helpers only: nothing in the file
        ".docker-helpers/config.json": json.dumps(
            {
                "auths": {"https://index.docker.io/v1/": {}, "ghcr.io": {}},
                "credsStore": "desktop",
                "credHelpers": {
                    "gcr.io": "gcloud",
                    "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login",
                },
                "currentContext": "desktop-linux",
            },
            indent="\t",
        ),
        ".config/helm/repositories.yaml": 'apiVersion: ""\ngenerated: "0001-01-01T00:00:00Z"\n'
        'repositories:\n- caFile: ""\n  certFile: ""\n  insecure_skip_tls_verify: false\n'
        f'  keyFile: ""\n  name: acme\n  pass_credentials_all: false\n  password: {r(20)}\n'
        "  url: https://charts.acme.example\n  username: bob\n",
        ".git-credentials": f"https://bob:{r(20)}@git.acme.example\n",
        ".config/gh/hosts.yml": f"github.com:\n    users:\n        bob:\n            oauth_token: "
        f"{(gho := github_token('gho'))}\n    git_protocol: https\n    oauth_token: {gho}\n"
        "    user: bob\n",
        # gh with its token in the system keyring: the file names the user only
        ".config/gh-keyring/hosts.yml": "github.com:\n    users:\n        bob:\n"
        "    git_protocol: ssh\n    user: bob\n",
        ".config/glab-cli/config.yml": "git_protocol: ssh\nglamour_style: dark\n"
        "check_update: false\nhosts:\n    gitlab.com:\n        api_protocol: https\n"
        "        api_host: gitlab.com\n        token: glpat-"
        + r(20, URL)
        + "\n        user: bob\n    gitlab.acme.example:\n        token: glpat-"
        + r(20, URL)
        + "\n        git_protocol: ssh\n",
        ".config/github-copilot/hosts.json": json.dumps(
            {"github.com": {"user": "bob", "oauth_token": github_token("ghu")}}
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
        "work/maven/settings.xml": "<settings>\n  <servers>\n    <server>\n      <id>nexus</id>\n"
        "      <username>bob</username>\n      <password>{"
        + b64(os.urandom(32))
        + "}</password>\n    </server>\n  </servers>\n</settings>\n",
        ".m2/settings-security.xml": "<settingsSecurity>\n  <master>{"
        + b64(os.urandom(32))
        + "}</master>\n</settingsSecurity>\n",
        ".sentryclirc": "[auth]\ntoken=sntrys_" + r(100, AN) + "_" + r(43, AN) + "\n",
        ".config/stripe/config.toml": '[default]\nlive_mode_api_key = "rk_live_' + r(99) + '"\n',
        ".config/openai/key": "sk-proj-" + r(74, URL) + "T3BlbkFJ" + r(74, URL) + "\n",
        ".config/ngrok/ngrok.yml": 'version: "2"\nauthtoken: 2' + r(26) + "_" + r(21) + "\n",
        # 1Password CLI 1 kept the account's Secret Key in its config
        ".op/config": json.dumps(
            {
                "latest_signin": "acme",
                "accounts": [
                    {
                        "shorthand": "acme",
                        "url": "https://acme.1password.com",
                        "email": "bob@acme.example",
                        "accountKey": "-".join(
                            ["A3", r(6, B32), r(6, B32), *(r(5, B32) for _ in range(4))]
                        ),
                        "userUUID": r(26, B32),
                    }
                ],
            },
            indent="\t",
        ),
        ".netrc": f"machine api.heroku.com\n  login bob@acme.example\n  password {r(36, HEX)}\n",
        ".pgpass": f"db.acme.example:5432:*:bob:{r(14)}\n",
        ".my.cnf": f"[client]\nuser=root\npassword={r(14)}\n",
        ".mylogin.cnf": _mysql_login_path,
        "work/acme/infra/.vault_pass.txt": r(24) + "\n",
        # Credential files named by a config rather than by their own names.
        "work/acme/deploy/ansible.cfg": "[defaults]\ninventory = hosts\n"
        "vault_password_file = ~/work/acme/deploy/keys/prod.secret\n",
        "work/acme/deploy/keys/prod.secret": r(24) + "\n",
        "Downloads/acme-vpn/acme-office.ovpn": "client\ndev tun\nremote vpn2.acme.example 443\n"
        "auth-user-pass login.txt\nkey client.key\naskpass client.pass\n",
        "Downloads/acme-vpn/login.txt": f"bob@acme.example\n{r(14)}\n",
        "Downloads/acme-vpn/client.pass": r(20) + "\n",
        ".snowsql/config": "[connections]\naccountname = acme-xy12345\nusername = bob\n"
        f"password = Zp9${r(10)}\ndbname = analytics\nwarehousename = dev_wh\n\n"
        "[options]\nlog_file = ~/.snowsql/log\n",
        ".snowflake/connections.toml": '[acme]\naccount = "acme-xy12345"\nuser = "bob"\n'
        f'password = "{r(16)}"\nwarehouse = "dev_wh"\n',
        ".dbt/profiles.yml": "acme:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n"
        "      host: db.acme.example\n      user: bob\n      password: "
        + r(18)
        + "\n      port: 5432\n      dbname: analytics\n      schema: dbt_bob\n      threads: 4\n"
        "    prod:\n      type: snowflake\n      account: acme-xy12345\n      user: bob\n"
        "      password: "
        + r(18)
        + "\n      role: transformer\n      database: analytics\n      warehouse: dev_wh\n"
        "      schema: dbt_bob\n",
        ".config/filezilla/sitemanager.xml": _filezilla("Servers", "Server", "<Name>acme</Name>\n"),
        "AppData/Roaming/FileZilla/recentservers.xml": _filezilla("RecentServers", "Server", ""),
        ".local/share/DBeaverData/workspace6/General/.dbeaver/credentials-config.json": (
            _dbeaver_credentials
        ),
        ".config/remmina/remmina.pref": "[remmina_pref]\nsecret="
        + b64(os.urandom(32))
        + "\nsave_view_mode=true\n",
        ".local/share/remmina/acme.remmina": "[remmina]\nname=acme\nprotocol=RDP\n"
        "server=rdp.acme.example\nusername=bob\ndomain=ACME\npassword="
        + b64(os.urandom(16))
        + "\ncolordepth=32\nresolution_mode=2\n",
        # Remmina with its secret plugin (libsecret): the password is in the keyring
        ".local/share/remmina/keyring.remmina": "[remmina]\nname=acme\nprotocol=SSH\n"
        "server=ssh.acme.example\nusername=bob\npassword=.\nssh_auth=0\n",
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
        "wg0.conf": f"[Interface]\nPrivateKey = {b64(os.urandom(32))}\nAddress = 10.0.0.2/32\n"
        f"DNS = 10.0.0.1\n\n[Peer]\nPublicKey = {b64(os.urandom(32))}\n"
        f"PresharedKey = {b64(os.urandom(32))}\nAllowedIPs = 0.0.0.0/0\n"
        "Endpoint = vpn.acme.example:51820\n",
        ".config/openvpn/acme.ovpn": "client\ndev tun\nproto udp\nremote vpn.acme.example 1194\n"
        "auth-user-pass\n<auth-user-pass>\nbob\n" + r(16) + "\n</auth-user-pass>\n",
        ".cloudflared/" + (tunnel := _uuid()) + ".json": json.dumps(
            {"AccountTag": r(32, HEX), "TunnelSecret": b64(os.urandom(32)), "TunnelID": tunnel}
        ),
        ".cloudflared/cert.pem": _cloudflared_cert(),
        ".supabase/access-token": "sbp_" + r(40, HEX),
        ".config/gcloud/configurations/config_proxy": "[core]\naccount = bob@acme.example\n"
        "project = acme-prod\n\n[proxy]\ntype = http\naddress = proxy.acme.example\nport = 3128\n"
        f"username = bob\npassword = {r(16)}\n",
        ".config/gcloud/configurations/config_default": "[core]\naccount = bob@acme.example\n"
        "project = acme-prod\ndisable_usage_reporting = True\n\n[compute]\nzone = europe-west1-b\n"
        "region = europe-west1\n",
        ".config/Code/User/settings.json": json.dumps(
            {
                "editor.fontSize": 14,
                "sqltools.connections": [
                    {
                        "previewLimit": 50,
                        "server": "db.acme.example",
                        "port": 5432,
                        "driver": "PostgreSQL",
                        "name": "acme",
                        "database": "app",
                        "username": "bob",
                        "password": r(16),
                    }
                ],
                "mssql.connections": [
                    {
                        "server": "sql.acme.example",
                        "database": "crm",
                        "authenticationType": "SqlLogin",
                        "user": "sa",
                        "password": r(16),
                        "emptyPasswordInput": False,
                        "savePassword": True,
                        "profileName": "crm",
                    }
                ],
            },
            indent=4,
        ),
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
        # 1Password CLI 2 with the desktop app integration: no account key in the file
        ".config/op/config": json.dumps(
            {
                "latest_signin": "",
                "device": r(26, string.ascii_lowercase + "234567"),
                "accounts": None,
            },
            indent="\t",
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
    if args.keep:
        run(args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="desktop-audit-workstation-") as work:
        run(Path(work))  # the generated home holds credential-shaped files: never left behind


def run(work: Path) -> None:
    """Write the home under ``work``, scan it and print what was found in each file."""
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
