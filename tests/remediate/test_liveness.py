"""Liveness checks against a local HTTP server that answers like each provider (127.0.0.1 only)."""

from __future__ import annotations

import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_audit.app.remediation import Remediation
from desktop_audit.app.service import AuditService
from desktop_audit.models import SourceGroup, Status
from desktop_audit.remediate import sigv4
from desktop_audit.remediate.liveness import Credential, LivenessChecker, Verdict
from tests.remediate.conftest import example, only, scan_into

GOOD = "good-token-123"
AWS_ID, AWS_KEY = "AKIDEXAMPLE", "local-test-secret-key"
PATHS = {
    "github": "/user",
    "gitlab": "/api/v4/user",
    "openai": "/v1/models",
    "anthropic": "/v1/models",
    "huggingface": "/api/whoami-v2",
    "npm": "/-/whoami",
    "stripe": "/v1/balance",
}


def _aws_signature_ok(handler: http.server.BaseHTTPRequestHandler, body: bytes) -> bool:
    auth = handler.headers.get("Authorization", "")
    if f"Credential={AWS_ID}/" not in auth:
        return False
    stamp = datetime.strptime(handler.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    expected = sigv4.sign(
        method="POST",
        host=handler.headers["Host"],
        path="/",
        body=body,
        headers={"Content-Type": handler.headers["Content-Type"]},
        access_key_id=AWS_ID,
        secret_key=AWS_KEY,
        region="us-east-1",
        service="sts",
        now=stamp,
    )
    return hmac.compare_digest(expected["authorization"], auth)


class Provider(http.server.BaseHTTPRequestHandler):
    """Answers for every provider: a path prefix names the provider (``/github/user``)."""

    def log_message(self, *_args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"{}") -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _token(self) -> str:
        auth = self.headers.get("Authorization", "")
        return (
            auth.removeprefix("Bearer ")
            or self.headers.get("PRIVATE-TOKEN", "")
            or self.headers.get("x-api-key", "")
        )

    def do_GET(self) -> None:
        provider, _, rest = self.path.lstrip("/").partition("/")
        if provider == "slow":
            time.sleep(2)
            self._answer(200)
            return
        if PATHS.get(provider) != "/" + rest:
            self._answer(404)
            return
        if provider == "anthropic" and self.headers.get("anthropic-version") is None:
            self._answer(400)
            return
        self._answer(200 if self._token() == GOOD else 401)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/slack/api/auth.test":
            ok = self._token() == GOOD
            answer = {"ok": True} if ok else {"ok": False, "error": "invalid_auth"}
            self._answer(200, json.dumps(answer).encode())
        elif self.path == "/aws/":
            if _aws_signature_ok(self, body):
                self._answer(200, b"<GetCallerIdentityResponse/>")
            else:
                self._answer(403, b"<Error><Code>InvalidClientTokenId</Code></Error>")
        else:
            self._answer(404)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def checker(base: str, timeout: float = 5.0) -> LivenessChecker:
    names = [*PATHS, "slack", "aws"]
    return LivenessChecker({n: f"{base}/{n}" for n in names}, timeout=timeout)


@pytest.mark.parametrize("provider", [*PATHS, "slack"])
def test_token_providers_valid_and_invalid(server: str, provider: str) -> None:
    check = checker(server)
    assert check.check(provider, Credential(GOOD.encode())).verdict is Verdict.VALID
    assert check.check(provider, Credential(b"revoked")).verdict is Verdict.INVALID


def test_aws_sts_with_sigv4(server: str) -> None:
    check = checker(server)
    live = Credential(AWS_KEY.encode(), key_id=AWS_ID.encode())
    dead = Credential(b"wrong-secret", key_id=AWS_ID.encode())
    assert check.check("aws", live).verdict is Verdict.VALID
    result = check.check("aws", dead)
    assert result.verdict is Verdict.INVALID
    assert "InvalidClientTokenId" in result.detail


def test_timeout_is_unknown(server: str) -> None:
    check = LivenessChecker({"github": f"{server}/slow"}, timeout=0.3)
    result = check.check("github", Credential(GOOD.encode()))
    assert result.verdict is Verdict.UNKNOWN


def test_no_server_is_unknown() -> None:
    check = LivenessChecker({"openai": "http://127.0.0.1:9"}, timeout=1)
    assert check.check("openai", Credential(GOOD.encode())).verdict is Verdict.UNKNOWN


def test_result_never_holds_the_secret(server: str) -> None:
    result = checker(server).check("github", Credential(b"revoked"))
    assert "revoked" not in result.note
    assert "revoked" not in repr(Credential(b"revoked"))


def test_sigv4_matches_the_aws_documented_example() -> None:
    headers = sigv4.sign(
        method="GET",
        host="iam.amazonaws.com",
        path="/",
        body=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        access_key_id="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        service="iam",
        now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
        query="Action=ListUsers&Version=2010-05-08",
    )
    expected = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    assert headers["authorization"].endswith(f"Signature={expected}")


def test_check_rereads_the_secret_and_notes_the_verdict(
    server: str, home: Path, service: AuditService
) -> None:
    line, _ = example("github.pat")
    (home / ".bashrc").write_text(f"{line}\n")
    finding = only(scan_into(service, home, (SourceGroup.DOTFILES,)), "github.pat")
    remediation = Remediation(service, liveness=checker(server))
    result = remediation.check(finding.id)
    assert result.verdict is Verdict.INVALID  # the example token is not the server's GOOD one
    after = service.finding(finding.id)
    assert after.status is Status.OPEN
    assert after.events[-1].note == result.note


def test_aws_pair_is_found_next_to_each_other(
    server: str, home: Path, service: AuditService
) -> None:
    id_line, _ = example("aws.access-key-id")
    key_line, _ = example("aws.secret-access-key")
    aws = home / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(f"[default]\n{id_line}\n{key_line}\n")
    findings = scan_into(service, home, (SourceGroup.DOTFILES,))
    remediation = Remediation(service, liveness=checker(server))
    aws_findings = [f for f in findings if f.provider == "aws"]
    assert len(aws_findings) == 2  # the key id and the secret key
    for finding in aws_findings:
        result = remediation.check(finding.id)
        assert result.verdict is Verdict.INVALID  # signed, but not with the server's key
        assert "InvalidClientTokenId" in result.detail
