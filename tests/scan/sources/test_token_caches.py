"""Sign-in caches that cloud command-line tools keep in the home, as those tools write them:
each cached session is found at its file, at the severity of a live credential."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

import pytest

from desktop_audit.models import Severity
from desktop_audit.scan.sources.dotfiles import DotfilesSource
from desktop_audit.scan.sources.files import FilesSource
from tests.scan.sources.conftest import make_ctx
from tests.scan.sources.detection import run

_URLSAFE = string.ascii_letters + string.digits + "-_"


def _token(prefix: str, n: int, alphabet: str = _URLSAFE) -> str:
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


def _msal_cache() -> tuple[str, str]:
    """Azure CLI 2.30+ (MSAL Python): one refresh token entry, keys in MSAL's order."""
    refresh = _token("0.AXoA", 700) + "." + _token("", 120)
    cache = {
        "RefreshToken": {
            "uid.utid-login.microsoftonline.com-refreshtoken-04b07795--": {
                "credential_type": "RefreshToken",
                "secret": refresh,
                "home_account_id": "uid.utid",
                "environment": "login.microsoftonline.com",
                "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                "target": "https://management.core.windows.net//.default offline_access",
                "last_modification_time": "1764600000",
            }
        },
        "Account": {"uid.utid-login.microsoftonline.com-utid": {"username": "bob@acme.example"}},
    }
    return json.dumps(cache, indent=4), refresh


def _msal_cache_other_order() -> tuple[str, str]:
    """MSAL for .NET and Node write ``secret`` before ``credential_type``; a real refresh token
    is over a thousand characters long, so the keyword stands that far after the match start."""
    refresh = _token("1.AR8A", 1100)
    entry = {
        "home_account_id": "uid.utid",
        "environment": "login.microsoftonline.com",
        "client_id": "1950a258-227b-4e31-a9cf-717495945fc2",
        "secret": refresh,
        "credential_type": "RefreshToken",
    }
    return json.dumps({"RefreshToken": {"k": entry}}), refresh


def _sso_cache() -> tuple[str, str]:
    """AWS IAM Identity Center: ``~/.aws/sso/cache/<sha1>.json`` after ``aws sso login``."""
    access = _token("aoa", 380, string.ascii_letters + string.digits)
    body = {
        "startUrl": "https://acme.awsapps.com/start",
        "region": "eu-west-1",
        "accessToken": access,
        "expiresAt": "2026-12-01T18:00:00Z",
    }
    return json.dumps(body), access


def _adal_cache() -> tuple[str, str]:
    """Azure CLI before 2.30 (ADAL): ``~/.azure/accessTokens.json``."""
    refresh = _token("0.AVYA", 600)
    body = [
        {
            "tokenType": "Bearer",
            "resource": "https://management.core.windows.net/",
            "refreshToken": refresh,
            "userId": "bob@acme.example",
            "_clientId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        }
    ]
    return json.dumps(body, indent=2), refresh


def _httpie_session() -> tuple[str, str]:
    """``http --session=default ...``: the headers of the last call, kept for the next one."""
    bearer = _token("", 48, string.ascii_letters + string.digits)
    body = {
        "headers": [{"name": "Authorization", "value": f"Bearer {bearer}"}],
        "cookies": [],
        "auth": {"type": None, "raw_auth": None},
    }
    return json.dumps(body, indent=4), bearer


def _har_export() -> tuple[str, str]:
    """A browser's "Save all as HAR": request headers as name/value pairs."""
    key = _token("", 32, string.ascii_letters + string.digits)
    request = {
        "method": "GET",
        "url": "https://api.acme.example/v1/reports",
        "headers": [
            {"name": "accept", "value": "application/json"},
            {"name": "x-api-key", "value": key},
        ],
    }
    return json.dumps({"log": {"version": "1.2", "entries": [{"request": request}]}}, indent=2), key


def _ibm_cloud_config() -> tuple[str, str]:
    """``ibmcloud login``: ``~/.bluemix/config.json`` keeps an IAM refresh token."""
    refresh = _token("OKD", 400)
    return json.dumps({"IAMRefreshToken": refresh, "Region": "eu-de"}, indent=2), refresh


@pytest.mark.parametrize(
    ("relative", "build", "rule_id"),
    [
        (".azure/msal_token_cache.json", _msal_cache, "azure.msal-token-cache"),
        (".azure/msal_token_cache.json", _msal_cache_other_order, "azure.msal-token-cache"),
        (".aws/sso/cache/0f3c5e.json", _sso_cache, "generic.oauth-token-json"),
        (".azure/accessTokens.json", _adal_cache, "generic.oauth-token-json"),
        (".bluemix/config.json", _ibm_cloud_config, "generic.oauth-token-json"),
        (
            ".config/httpie/sessions/api.acme.example/default.json",
            _httpie_session,
            "generic.http-header-json",
        ),
        ("Downloads/app.acme.io.har", _har_export, "generic.http-header-json"),
    ],
)
def test_cached_sign_in_or_saved_header_is_a_live_credential(
    tmp_path: Path, relative: str, build: object, rule_id: str
) -> None:
    """Catalogued dotfiles are read by the dotfiles source, the rest (a HAR in Downloads) by
    the files source after it."""
    content, token = build()  # type: ignore[operator]
    path = tmp_path / relative
    path.parent.mkdir(parents=True)
    path.write_text(content)
    ctx = make_ctx(tmp_path)
    located = run(DotfilesSource(tmp_path), ctx) + run(FilesSource([tmp_path]), ctx)
    assert [h.hit.rule_id for h in located] == [rule_id]
    hit = located[0].hit
    assert hit.severity is Severity.HIGH
    assert located[0].location.path == str(path)
    assert token not in hit.redacted and token[:12] not in hit.redacted


def test_id_tokens_and_empty_caches_are_not_reported(tmp_path: Path) -> None:
    """An ID token identifies, it grants no API access; an emptied cache holds nothing."""
    entry = {"credential_type": "IdToken", "secret": _token("eyJ0eXAiOiJKV1QifQ.", 300)}
    (tmp_path / ".azure").mkdir()
    (tmp_path / ".azure/msal_token_cache.json").write_text(
        json.dumps({"IdToken": {"k": entry}, "RefreshToken": {}, "AccessToken": {}})
    )
    located = run(DotfilesSource(tmp_path), make_ctx(tmp_path))
    assert [h.hit.rule_id for h in located if h.hit.rule_id.startswith("azure.")] == []
