"""Opt-in liveness checks: ask the provider's identity endpoint whether a credential works.

Never part of a scan; run per finding on request. One request, 5 s timeout, no retries, no
redirects (a redirect could carry the credential elsewhere). Base URLs are configurable so
tests talk to 127.0.0.1 only. Results never contain the secret or the response body.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from desktop_audit.errors import LivenessError
from desktop_audit.remediate import sigv4

TIMEOUT_SECONDS = 5.0
DEFAULT_BASE_URLS: Mapping[str, str] = {
    "aws": "https://sts.amazonaws.com",
    "github": "https://api.github.com",
    "gitlab": "https://gitlab.com",
    "slack": "https://slack.com",
    "openai": "https://api.openai.com",
    "anthropic": "https://api.anthropic.com",
    "huggingface": "https://huggingface.co",
    "npm": "https://registry.npmjs.org",
    "stripe": "https://api.stripe.com",
}
# Rules whose secret the identity endpoint accepts on its own (AWS needs the key pair).
CHECKABLE_RULES: Mapping[str, str] = {
    "aws.access-key-id": "aws",
    "aws.secret-access-key": "aws",
    "aws.secret-key-camel": "aws",
    "github.pat": "github",
    "github.fine-grained-pat": "github",
    "github.oauth": "github",
    "github.user-to-server": "github",
    "github.server-to-server": "github",
    "gitlab.pat": "gitlab",
    "gitlab.routable-pat": "gitlab",
    "slack.bot-token": "slack",
    "slack.user-token": "slack",
    "slack.legacy-token": "slack",
    "slack.legacy-bot-token": "slack",
    "slack.workspace-token": "slack",
    "openai.api-key": "openai",
    "openai.project-key": "openai",
    "openai.svcacct-key": "openai",
    "openai.legacy-key": "openai",
    "anthropic.api-key": "anthropic",
    "anthropic.api-key-loose": "anthropic",
    "huggingface.access-token": "huggingface",
    "npm.access-token": "npm",
    "stripe.secret-key": "stripe",
    "stripe.restricted-key": "stripe",
    "stripe.live-secret-short": "stripe",
}
_SLACK_DEAD = frozenset(
    {"invalid_auth", "token_revoked", "account_inactive", "token_expired", "not_authed"}
)
_AWS_DEAD = ("InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken")


class Verdict(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LivenessResult:
    provider: str
    verdict: Verdict
    detail: str  # e.g. "HTTP 401" or "timed out"; never the secret or the body

    @property
    def note(self) -> str:
        return f"liveness check at {self.provider}: {self.verdict} ({self.detail})"


@dataclass(frozen=True, slots=True)
class Credential:
    """What a check needs, in memory only. AWS: ``secret`` is the secret key, ``key_id`` the
    access key id, ``session_token`` optional."""

    secret: bytes
    key_id: bytes | None = None
    session_token: bytes | None = None

    def __repr__(self) -> str:
        return "Credential(<hidden>)"


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


def provider_for(rule_id: str) -> str | None:
    """The liveness provider of a rule, or None when no safe check exists."""
    return CHECKABLE_RULES.get(rule_id)


class LivenessChecker:
    """Runs one check per call against ``base_urls`` (defaults: the real providers)."""

    def __init__(
        self,
        base_urls: Mapping[str, str] | None = None,
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_urls = {**DEFAULT_BASE_URLS, **(base_urls or {})}
        self.timeout = timeout
        self._clock = clock

    def check(self, provider: str, credential: Credential) -> LivenessResult:
        checks: dict[str, Callable[[Credential], tuple[Verdict, str]]] = {
            "aws": self._aws,
            "github": lambda c: self._bearer(
                "github", "/user", c, {"Accept": "application/vnd.github+json"}
            ),
            "gitlab": self._gitlab,
            "slack": self._slack,
            "openai": lambda c: self._bearer("openai", "/v1/models", c),
            "anthropic": self._anthropic,
            "huggingface": lambda c: self._bearer("huggingface", "/api/whoami-v2", c),
            "npm": lambda c: self._bearer("npm", "/-/whoami", c),
            "stripe": lambda c: self._bearer("stripe", "/v1/balance", c, valid=(200, 403)),
        }
        run = checks.get(provider)
        if run is None:
            raise LivenessError(f"no liveness check for provider {provider!r}")
        try:
            verdict, detail = run(credential)
        except TimeoutError:
            verdict, detail = Verdict.UNKNOWN, "timed out"
        except urllib.error.URLError as exc:
            reason = exc.reason
            kind = "timed out" if isinstance(reason, TimeoutError) else type(reason).__name__
            verdict, detail = Verdict.UNKNOWN, f"no answer ({kind})"
        except OSError as exc:
            verdict, detail = Verdict.UNKNOWN, f"no answer ({type(exc).__name__})"
        return LivenessResult(provider, verdict, detail)

    # ------------------------------------------------------------------ transport
    def _request(
        self, provider: str, path: str, headers: Mapping[str, str], data: bytes | None = None
    ) -> _Response:
        url = self.base_urls[provider].rstrip("/") + path
        scheme = urlsplit(url).scheme
        if scheme not in ("https", "http"):
            raise LivenessError(f"{provider}: unsupported URL scheme {scheme!r}")
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1"):
            handlers.append(urllib.request.ProxyHandler({}))
        opener = urllib.request.build_opener(*handlers)
        request = urllib.request.Request(  # noqa: S310  (scheme checked above)
            url, data=data, headers=dict(headers), method="POST" if data is not None else "GET"
        )
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return _Response(response.status, response.read(65536))
        except urllib.error.HTTPError as exc:
            with exc:
                return _Response(exc.code, exc.read(65536))

    @staticmethod
    def _by_status(
        response: _Response, valid: tuple[int, ...] = (200,), invalid: tuple[int, ...] = (401,)
    ) -> tuple[Verdict, str]:
        detail = f"HTTP {response.status}"
        if response.status in valid:
            return Verdict.VALID, detail
        if response.status in invalid:
            return Verdict.INVALID, detail
        return Verdict.UNKNOWN, detail

    # ------------------------------------------------------------------ providers
    def _bearer(
        self,
        provider: str,
        path: str,
        cred: Credential,
        extra: Mapping[str, str] | None = None,
        valid: tuple[int, ...] = (200,),
    ) -> tuple[Verdict, str]:
        headers = {"Authorization": f"Bearer {cred.secret.decode()}", **(extra or {})}
        return self._by_status(self._request(provider, path, headers), valid=valid)

    def _gitlab(self, cred: Credential) -> tuple[Verdict, str]:
        response = self._request("gitlab", "/api/v4/user", {"PRIVATE-TOKEN": cred.secret.decode()})
        return self._by_status(response)

    def _anthropic(self, cred: Credential) -> tuple[Verdict, str]:
        headers = {"x-api-key": cred.secret.decode(), "anthropic-version": "2023-06-01"}
        return self._by_status(self._request("anthropic", "/v1/models", headers))

    def _slack(self, cred: Credential) -> tuple[Verdict, str]:
        headers = {
            "Authorization": f"Bearer {cred.secret.decode()}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        response = self._request("slack", "/api/auth.test", headers, data=b"")
        if response.status != 200:
            return self._by_status(response, valid=())
        try:
            answer = json.loads(response.body)
        except ValueError:
            return Verdict.UNKNOWN, "unreadable answer"
        if answer.get("ok") is True:
            return Verdict.VALID, "ok"
        error = str(answer.get("error", ""))
        verdict = Verdict.INVALID if error in _SLACK_DEAD else Verdict.UNKNOWN
        return verdict, error[:40] or "not ok"

    def _aws(self, cred: Credential) -> tuple[Verdict, str]:
        if cred.key_id is None:
            raise LivenessError("aws: the access key id was not found next to the secret key")
        body = b"Action=GetCallerIdentity&Version=2011-06-15"
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        if cred.session_token:
            headers["X-Amz-Security-Token"] = cred.session_token.decode()
        host = urlsplit(self.base_urls["aws"]).netloc
        signed = sigv4.sign(
            method="POST",
            host=host,
            path="/",
            body=body,
            headers=headers,
            access_key_id=cred.key_id.decode(),
            secret_key=cred.secret.decode(),
            region="us-east-1",
            service="sts",
            now=self._clock(),
        )
        response = self._request("aws", "/", signed, data=body)
        if response.status == 200:
            return Verdict.VALID, "HTTP 200"
        code = next((c for c in _AWS_DEAD if c.encode() in response.body), "")
        if response.status in (400, 403) and code:
            return Verdict.INVALID, f"HTTP {response.status} {code}"
        return Verdict.UNKNOWN, f"HTTP {response.status}"
