"""The detector: safe hits (redacted, encrypted context, stable ids), endpoints, decoding."""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from desktop_audit.models import FindingKind, Fragment, Hit, Origin, Severity, SourceKind
from desktop_audit.profile import load_profile
from desktop_audit.resources import resource_path
from desktop_audit.scan.detector import EXAMPLE_TITLE, Detector, known_hosts_matches
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.rules.prefilter import available_engines
from desktop_audit.scan.rules.redact import shown_characters
from desktop_audit.scan.rules.validators import base62
from desktop_audit.secrecy import Secrecy

RULES = load_ruleset(check_examples=False)
SECRECY = Secrecy(b"k" * 32, b"salt-salt-salt!!")
PROFILE = load_profile(resource_path("profiles", "example-profile.toml"))
DETECTOR = Detector(RULES, SECRECY, PROFILE)
ORIGIN = Origin(SourceKind.FILE, Path("/home/u/project/config.env"))

_BODY = "Zq8vR2mXp4TnW7yBc3LkH9sD1fG6jQ"
GH_TOKEN = "ghp_" + _BODY + base62(zlib.crc32(_BODY.encode()), 6).decode()
AWS_ID = "AKIA2OGYBAH6ZHQW7M4K"


def scan(text: str, origin: Origin = ORIGIN, detector: Detector = DETECTOR) -> list[Hit]:
    return detector.scan(Fragment(text.encode(), origin))


def test_credential_hit_is_safe() -> None:
    text = f"# deploy\nexport GITHUB_TOKEN={GH_TOKEN}  # ci\n"
    hits = [h for h in scan(text) if h.rule_id == "github.pat"]
    assert len(hits) == 1
    hit = hits[0]
    assert hit.line == 2
    assert hit.kind is FindingKind.CREDENTIAL
    assert hit.severity is Severity.CRITICAL
    assert hit.redacted.startswith("ghp_…")
    assert shown_characters(hit.redacted) <= len(GH_TOKEN) // 4
    assert hit.finding_id == SECRECY.finding_id("github.pat", GH_TOKEN.encode())
    assert hit.match_hash == SECRECY.match_hash(GH_TOKEN.encode())
    assert hit.guide == "github"
    assert hit.title
    context = SECRECY.decrypt(hit.context)
    assert GH_TOKEN.encode() not in context
    assert b"export GITHUB_TOKEN=ghp_" in context
    assert GH_TOKEN.encode() not in repr(hit).encode()


def test_every_rule_example_hit_is_redacted_and_context_clean() -> None:
    checked = 0
    for rule in RULES.rules:
        for example in rule.examples:
            for hit in scan(example):
                assert shown_characters(hit.redacted) * 4 <= max(len(example), 4), rule.id
                context = SECRECY.decrypt(hit.context)
                assert len(context) <= 300, rule.id
                checked += 1
    assert checked > len(RULES.rules)


def test_context_has_no_secret_of_any_hit_on_the_line() -> None:
    text = f"creds {AWS_ID} and {GH_TOKEN} together\n"
    hits = scan(text)
    assert {h.rule_id for h in hits} >= {"aws.access-key-id", "github.pat"}
    for hit in hits:
        context = SECRECY.decrypt(hit.context)
        assert AWS_ID.encode() not in context
        assert GH_TOKEN.encode() not in context


def test_same_secret_same_finding_id_anywhere() -> None:
    first = scan(f"a\nb\nkey={AWS_ID}\n")
    second = scan(f"{AWS_ID}\n", Origin(SourceKind.DOTFILE, Path("/home/u/.aws/credentials")))
    ids = {h.finding_id for h in first + second if h.rule_id == "aws.access-key-id"}
    assert len(ids) == 1
    other = Detector(RULES, Secrecy(b"o" * 32, b"salt-salt-salt!!"))
    assert scan(f"{AWS_ID}\n", detector=other)[0].finding_id not in ids


def test_line_base_and_fixed_line() -> None:
    moved = Origin(SourceKind.GIT_HISTORY, Path("/r"), inner_path="a.env", line_base=10)
    assert [h.line for h in scan(f"x\n{AWS_ID}\n", moved)] == [12]
    fixed = Origin(SourceKind.KEYCHAIN, keychain_item="x", line_base=7, fixed_line=True)
    assert [h.line for h in scan(f"x\n{AWS_ID}\n", fixed)] == [7]


def test_documented_examples_and_placeholders_are_not_findings() -> None:
    text = (
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        "password = ${DB_PASSWORD}\napi_key = <your-api-key>\ntoken: changeme\n"
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
    )
    assert scan(text) == []


@pytest.mark.parametrize(
    "line",
    [
        "CALENDARIFIC_API_KEY=abcdef1234567890abcdef1234567890",  # a run of the alphabet
        "calendarific_api_key: 0123456789abcdef0123456789abcdef",  # counting up, twice
        'secret_token = "abc123abc123abc123"',  # generic rule, low entropy
    ],
)
def test_values_only_randomness_checks_refuse_are_reported_at_info(line: str) -> None:
    hits = scan(line + "\n")
    assert len(hits) == 1
    assert hits[0].severity is Severity.INFO
    assert hits[0].title.endswith(EXAMPLE_TITLE)


def test_a_random_value_keeps_its_rule_severity_and_title() -> None:
    hits = scan("CALENDARIFIC_API_KEY=X4oJip6UXto1XL4bbevTZPtjIDMc3Yha\n")
    assert [(h.severity, h.title) for h in hits] == [(Severity.MEDIUM, "Calendarific API key")]


@pytest.mark.parametrize(
    ("line", "rule_id"),
    [
        # smtp.password calls the value an example; generic.password-assignment keeps a weak
        # password at full grade: the full-grade finding stands, at its severity
        ('mail_password: "test1234test1234"', "generic.password-assignment"),
        ("mavenPassword = 'test1234test1234'", "generic.password-assignment"),
        ("SMTP_PASSWORD=test1234test1234", "generic.env-password"),
    ],
)
def test_an_example_grade_match_does_not_hide_a_full_grade_one(line: str, rule_id: str) -> None:
    hits = scan(line + "\n")
    assert [(h.rule_id, h.severity) for h in hits] == [(rule_id, Severity.MEDIUM)]
    assert not hits[0].title.endswith(EXAMPLE_TITLE)


@pytest.mark.parametrize(
    "line",
    [
        "CALENDARIFIC_API_KEY=<your calendarific key>",  # placeholders stay dropped
        "calendarific_api_key: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        'secret_token = "abc123"',  # too short to be an example-grade token
        'password = "aaa aaa aaa aaa"',  # not one token
    ],
)
def test_placeholders_and_non_tokens_are_not_example_grade(line: str) -> None:
    assert scan(line + "\n") == []


@pytest.mark.parametrize(
    "text",
    [
        "mirror:\n  user: anonymous\ndb:\n  password: Zq8vR2mX4TnW\n",
        "ftp_user: anonymous\nftp_password: x@y\nsmtp_user: ops\ndb_password: Zq8vR2mX4TnW\n",
        'user: ftp-deploy\n  password: "Zq8vR2mX4TnW"\n',
    ],
)
def test_only_the_anonymous_users_own_password_is_passed_over(text: str) -> None:
    hits = scan(text, Origin(SourceKind.FILE, Path("/home/u/project/settings.yml")))
    assert [h.rule_id for h in hits] == ["generic.password-assignment"]


def test_inline_allow_marker() -> None:
    assert scan(f"key = {AWS_ID}  # desktop-audit:allow\n") == []
    assert len(scan(f"key = {AWS_ID}\n")) == 1


def test_private_key_secret_is_the_body() -> None:
    body = "MIIEowIBAAKCAQEAq8vR2mXp4TnW7yBc3LkH9sD1fG6jQZq8vR2mXp4TnW7yBc3Lk\n" * 3
    text = f"-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n"
    hits = [h for h in scan(text) if h.rule_id == "privatekey.pem"]
    assert len(hits) == 1
    assert hits[0].severity is Severity.CRITICAL
    context = SECRECY.decrypt(hits[0].context)
    assert b"MIIEowIBAAKCAQEA" not in context


def test_docker_auth_is_decoded() -> None:
    auth = base64.b64encode(b"deploy:Vq8#mXp4TnW7yBc3").decode()
    text = '{"auths": {"registry.acme.example": {"auth": "' + auth + '"}}}'
    hits = [h for h in scan(text) if h.rule_id == "docker.config-auth"]
    assert len(hits) == 1
    assert hits[0].match_hash == SECRECY.match_hash(b"Vq8#mXp4TnW7yBc3")
    assert auth.encode() not in SECRECY.decrypt(hits[0].context)


def test_decoded_payload_is_rescanned() -> None:
    payload = base64.b64encode(f"TOKEN={GH_TOKEN}".encode()).decode()
    text = f"apiVersion: v1\nkind: Secret\ndata:\n  github-token: {payload}\n"
    hits = scan(text)
    by_rule = {h.rule_id: h for h in hits}
    assert "github.pat" in by_rule
    assert by_rule["github.pat"].line == 4
    assert by_rule["github.pat"].finding_id == SECRECY.finding_id("github.pat", GH_TOKEN.encode())
    for hit in hits:
        assert payload.encode() not in SECRECY.decrypt(hit.context)


def test_checksum_failure_downgrades() -> None:
    bad = GH_TOKEN[:-1] + ("A" if GH_TOKEN[-1] != "A" else "B")
    hits = [h for h in scan(f"token={bad}\n") if h.rule_id == "github.pat"]
    assert [h.severity for h in hits] == [Severity.LOW]


def test_generic_yields_to_specific_rule() -> None:
    hits = scan(f"api_key = {GH_TOKEN}\n")
    assert [h.rule_id for h in hits] == ["github.pat"]


def test_overlapping_generic_matches_keep_the_most_severe() -> None:
    """An INI user and password pair (medium) and the weak-password pair rule (low) both take
    one password: the finding is the medium one, whichever rule the matcher listed first."""
    text = "[connections]\naccountname = acme\nusername = bob\npassword = Zp9$kq2Lw8xv\n"
    hits = scan(text)
    assert [(h.rule_id, h.severity) for h in hits] == [
        ("generic.ini-credential-pair", Severity.MEDIUM)
    ]


@pytest.mark.parametrize("end", ["\n", ""])
def test_the_rule_of_a_generic_finding_does_not_depend_on_the_closing_newline(end: str) -> None:
    """The finding id hashes the rule: the last line of a .env must get the same one."""
    hits = scan(f"DB_USERNAME=root\nDB_PASSWORD=Kq9vT3w7xZ{end}")
    assert [h.rule_id for h in hits] == ["generic.env-password"]


def test_profile_rule_is_used() -> None:
    ruleset = load_ruleset(profile=PROFILE)
    detector = Detector(ruleset, SECRECY, PROFILE)
    hits = scan("EXE=exe_Zq8vR2mXp4TnW7yBZq8vR2mXp4TnW7yB\n", detector=detector)
    assert [h.rule_id for h in hits] == ["ex-eval-token"]


@pytest.mark.parametrize(
    ("text", "rule_id", "preview", "secret"),
    [
        (
            "git remote: git@git.Example-Labs.example:team/app.git",
            "endpoint.domain",
            "*.example-labs.example",
            b"git.example-labs.example",
        ),
        (
            "url = https://example-labs.example/login",
            "endpoint.domain",
            "*.example-labs.example",
            b"example-labs.example",
        ),
        (
            "Host eval-a1b2.corp.example\n",
            "endpoint.host",
            r"host /eval-[a-z0-9]+\.corp\.example/",
            b"eval-a1b2.corp.example",
        ),
        ("branch feature/EX-Preview-7 merged", "endpoint.keyword", "keyword #1", b"ex-preview-7"),
        ("ping 10.20.3.4 ok", "endpoint.cidr", "10.20.0.0/16", b"10.20.3.4"),
    ],
)
def test_endpoint_matchers(text: str, rule_id: str, preview: str, secret: bytes) -> None:
    hits = scan(text)
    assert [(h.rule_id, h.redacted, h.kind) for h in hits] == [
        (rule_id, preview, FindingKind.ENDPOINT)
    ]
    assert hits[0].match_hash == SECRECY.match_hash(secret)
    assert hits[0].provider == "endpoint"
    assert hits[0].guide == "endpoint"
    assert preview.encode() in SECRECY.decrypt(hits[0].context)


@pytest.mark.parametrize(
    "text",
    [
        "notexample-labs.example.com",
        "example-labs.example.org",
        "bluefinch tuna",
        "10.21.3.4",
        "110.20.3.4",
        "10.20.3.456",
        "version 10.20.3.4.5",
    ],
)
def test_endpoint_non_matches(text: str) -> None:
    assert scan(text) == []


def test_known_hosts_hashed_entries() -> None:
    salt = b"0123456789abcdefghij"
    for name in ("example-labs.example", "example-labs"):
        digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
        entry = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
        assert known_hosts_matches(PROFILE, entry + " ssh-ed25519 AAAAC3Nza") == name
    other = hmac.new(salt, b"github.com", hashlib.sha1).digest()
    entry = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(other).decode()}"
    assert known_hosts_matches(PROFILE, entry) is None
    assert known_hosts_matches(PROFILE, "github.com ssh-ed25519 AAAA") is None


@pytest.mark.parametrize("engine", available_engines())
def test_engines_give_the_same_hits(engine: str) -> None:
    text = "\n".join(e for r in RULES.rules for e in r.examples)
    reference = scan(text)
    other = Detector(RULES, SECRECY, PROFILE, engine=engine)
    key = [(h.rule_id, h.finding_id, h.line) for h in reference]
    assert [(h.rule_id, h.finding_id, h.line) for h in scan(text, detector=other)] == key


def test_concurrent_scans_agree() -> None:
    texts = [f"{i}\n" * i + f"k={AWS_ID}\nt={GH_TOKEN}\n" for i in range(40)]
    expected = [[(h.rule_id, h.line) for h in scan(t)] for t in texts]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda t: [(h.rule_id, h.line) for h in scan(t)], texts))
    assert got == expected


def test_one_credential_one_finding() -> None:
    """A token in a credential-store URL is matched by the provider rule and the generic
    URL rules; only the most specific rule's hit is kept (on every line it occurs)."""
    origin = Origin(SourceKind.FILE, Path("/home/u/.git-credentials"))
    line = f"https://octo:{GH_TOKEN}@github.com\n"
    raws = DETECTOR._matcher.find(line.encode())
    assert len({m.rule.id for m in raws if m.secret == GH_TOKEN.encode()}) >= 2
    hits = scan(line + "\n" + line, origin)
    assert [(h.rule_id, h.line) for h in hits] == [("github.pat", 1), ("github.pat", 3)]
    assert len({h.finding_id for h in hits}) == 1
