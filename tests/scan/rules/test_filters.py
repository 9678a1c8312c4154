"""Each false-positive filter on its own, with data from the shipped allowlist."""

from __future__ import annotations

import pytest

from desktop_audit.scan.rules import filters as f
from desktop_audit.scan.rules.entropy import sequential_fraction, shannon_entropy

ALLOW = f.default_allowlist()


def c(secret: str, line: str = "", match: str = "") -> f.Candidate:
    return f.Candidate(secret.encode(), match.encode(), line.encode())


def test_known_example() -> None:
    assert f.known_example(c("AKIAIOSFODNN7EXAMPLE"), ALLOW)
    assert f.known_example(c("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), ALLOW)
    assert not f.known_example(c("AKIA2OGYBAH6ZHQW7M4K"), ALLOW)


def test_example_in_match_looks_past_the_secret() -> None:
    body = "-----BEGIN RSA PRIVATE KEY-----\\nMIIBugIBTTKBgQD33x\\n62TITdw53KWJEXAMPLE="
    assert f.example_in_match(c("MIIBugIBTTKBgQD33x", match=body), ALLOW)
    real = "-----BEGIN RSA PRIVATE KEY-----\\nMIIBugIBTTKBgQD33x\\n62TITdw53KWJexAmpl3="
    assert not f.example_in_match(c("MIIBugIBTTKBgQD33x", match=real), ALLOW)


@pytest.mark.parametrize(
    "value",
    [
        "xxxxxxxxxxxx",
        "<token>",
        "${API_TOKEN}",
        "$API_TOKEN",
        "{{ api_key }}",
        "changeme",
        "your-key-here",
        "dummy-token-1",
        "EXAMPLE_TOKEN",
        "redacted",
        "********",
        "%(password)s",
    ],
)
def test_placeholder_drops(value: str) -> None:
    assert f.placeholder(c(value), ALLOW)


@pytest.mark.parametrize(
    "value", ["pass%3Bword", "pass_word", "se-cret", "Pass.Word", "foo%40bar", "dum-my"]
)
def test_placeholder_drops_a_stand_in_split_inside(value: str) -> None:
    assert f.placeholder(c(value), ALLOW)


@pytest.mark.parametrize("value", ["Password1!", "Password!", "pass_word7", "sec-ret-ary"])
def test_placeholder_keeps_a_stand_in_with_more_to_it(value: str) -> None:
    assert not f.placeholder(c(value), ALLOW)


@pytest.mark.parametrize("value", ["Zq8vR2mXp4TnW7yB", "9fK2-LmQ4_vX8zR1"])
def test_placeholder_keeps_random(value: str) -> None:
    assert not f.placeholder(c(value), ALLOW)


@pytest.mark.parametrize(
    "value",
    [
        "AKIAZEFTODOBCZVKUTLS",  # "todo" by chance inside a random access key id
        "AKIAY5XXXXFLTD22YLSJ",  # "xxxx" likewise
        "XXXXV3K-4AUIR6E-WETUMGF-MUWJS87",  # at an end, but running on into random letters
        "xxx7A10JEwGrsZsv7sQZvzXgB",  # starts with three x's, then random
        "sk-proj-y8o-TODoIEJZCSE1syztOgBA4",  # a word's letters in a chance mix of cases
        "zzZQhdXR3MnEQabkztaCreub2JaO8sGM",
    ],
)
def test_placeholder_keeps_random_tokens_that_hold_a_stand_in_by_chance(value: str) -> None:
    assert not f.placeholder(c(value), ALLOW)
    assert not f.stand_in_words(c(value), ALLOW)


@pytest.mark.parametrize(
    "value",
    [
        "TODO",
        "todo-later",
        "myDummyToken",
        "dummytoken",
        "AKIAXXXXXXXXXXXXXXXX",
        "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
        "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "xxx-xxx",
        "xxxxx1234",
        "api_key_TODO",
    ],
)
def test_placeholder_drops_stand_ins_that_are_words_of_their_own(value: str) -> None:
    assert f.placeholder(c(value), ALLOW)


def test_low_entropy_allows_for_the_chance_entropy_of_short_random_values() -> None:
    # Random 16-digit hex values: 14% score under 3 bits. These two did.
    for value in ("f46c3706f2acfcc2", "95e3f1e46eef2bfe"):
        assert shannon_entropy(value.encode()) < 3.0
        assert not f.low_entropy(c(value), ALLOW)
    for value in ("1212121212121212", "abababababababab", "aaaaaaaabbbbbbbb", "passpasspasspass"):
        assert f.low_entropy(c(value), ALLOW), value


def test_low_entropy_and_sequential() -> None:
    assert f.low_entropy(c("aaaaaaaabbbbbbbb"), ALLOW)
    assert not f.low_entropy(c("Zq8vR2mXp4TnW7yB"), ALLOW)
    assert f.sequential(c("abcdef1234567890abcdef"), ALLOW)
    assert f.sequential(c("ABCDEFGHIJKLMNOP"), ALLOW)
    assert not f.sequential(c("Zq8vR2mXp4TnW7yB"), ALLOW)
    assert shannon_entropy(b"") == 0.0
    assert sequential_fraction(b"abcd") == 1.0


def test_hash_like_needs_hash_context() -> None:
    digest = "3b335d612137949d2f21fcc6c8c8164db7603227"
    assert f.hash_like(c(digest, line=f"commit {digest}"), ALLOW)
    assert not f.hash_like(c(digest, line=f"api_key = {digest}"), ALLOW)
    assert f.uuid_or_digest(c("98fc74a8-ff56-4a21-85f6-7a1fcac895c9"), ALLOW)


def test_public_key_and_certificates() -> None:
    assert f.public_key(c("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB"), ALLOW)
    assert f.public_key(c("MIIBIjANBgkqhkiG9w0BAQEFAAOC"), ALLOW)
    assert not f.public_key(c("b3BlbnNzaC1rZXktdjEAAAAA"), ALLOW)


def test_lockfile_integrity() -> None:
    assert f.lockfile_integrity(c("sha512-Zm9vYmFyYmF6cXV4Zm9vYmFy=="), ALLOW)
    assert f.lockfile_integrity(c("Zm9vYmFy", line='"integrity": "sha1-Zm9vYmFy"'), ALLOW)
    assert not f.lockfile_integrity(c("Zm9vYmFy", line="token: Zm9vYmFy"), ALLOW)


def test_code_reference_and_paths() -> None:
    assert f.code_reference(c("config.password"), ALLOW)
    assert f.code_reference(c("getPassword()"), ALLOW)
    assert f.code_reference(c("db_password"), ALLOW)
    assert not f.code_reference(c("S3cr3t!Pass"), ALLOW)
    assert f.code_reference(c("email_password_policy_enabled,"), ALLOW)
    assert f.code_reference(c("settings.smtp_password;"), ALLOW)
    for annotation in ("Optional[bool]", "Dict[str,Any]", "Optional[List[str]]", "List<String>"):
        assert f.code_reference(c(annotation), ALLOW), annotation
    assert not f.code_reference(c("Secret[2024]"), ALLOW)
    assert not f.code_reference(c("Zq8vR2mXp4,"), ALLOW)
    assert f.path_or_url(c("/etc/acme/secret.key"), ALLOW)
    assert f.path_or_url(c("https://acme.example/x"), ALLOW)
    assert f.path_or_url(c("~/.vault_pass.txt"), ALLOW)  # ansible.cfg's vault_password_file
    assert not f.path_or_url(c("~x7bR2mQ9vT4wL8"), ALLOW)
    assert not f.path_or_url(c("Zq8vR2mXp4TnW7yB"), ALLOW)


def test_secret_filters_are_the_cheap_ones_that_read_only_the_secret() -> None:
    names = ("placeholder", "path_or_url", "hash_like", "code_reference", "low_entropy")
    assert f.secret_filters(names) == (f.code_reference, f.path_or_url)
    line = "token = self.client.get_token(session)"
    reference = f.Candidate(b"self.client.get_token", line.encode(), line.encode())
    assert f.code_reference(reference, ALLOW) is f.code_reference(c("self.client.get_token"), ALLOW)


def test_letters_only() -> None:
    assert f.letters_only(c("sentencepiece_tokenizer"), ALLOW)
    assert not f.letters_only(c("Zq8vR2mXp4TnW7yB"), ALLOW)


def test_path_allowlist() -> None:
    assert ALLOW.path_allowed("/home/u/app/node_modules/pkg/test/fixture.js")
    assert not ALLOW.path_allowed("/home/u/app/.env")


def test_every_filter_has_a_cost_rank() -> None:
    ordered = f.cheapest_first(tuple(f.FILTERS))
    assert set(ordered) == set(f.FILTERS)
    assert ordered[-2] == "lockfile_integrity"  # the dearest but one: it reads the whole line
    assert ordered[-1] == "anonymous_login"  # it reads lines before the match


@pytest.mark.parametrize(
    ("secret", "line"),
    [
        ("changeme", ""),
        ("Zq8vR2mXp4TnW7yB", "token = Zq8vR2mXp4TnW7yB"),
        ("self.session.get_token", ""),
        ("abcdef1234567890", ""),
        ("sha512-Zq8vR2mXp4TnW7yBZq8vR2mXp4TnW7yB", '"integrity": "sha512-..."'),
        ("Zq8vR2mXp4TnW7yB", "resolved https://registry/x.tgz#Zq8vR2mXp4TnW7yB"),
        ("5f4dcc3b5aa765d61d8327deb882cf99", "md5 = 5f4dcc3b5aa765d61d8327deb882cf99"),
    ],
)
def test_rejects_agrees_with_rejected_by_in_any_order(secret: str, line: str) -> None:
    candidate = c(secret, line, line)
    for names in (tuple(f.FILTERS), tuple(reversed(f.FILTERS)), f.DEFAULT_FILTERS):
        assert f.rejects(candidate, names, ALLOW) == (
            f.rejected_by(candidate, names, ALLOW) is not None
        )


def test_rejected_by_names_the_filter() -> None:
    assert f.rejected_by(c("changeme"), ("known_example", "placeholder"), ALLOW) == "placeholder"
    # not_placeholder and not_store_placeholder are the complements of placeholder and
    # store_placeholder (weak-credential rules): they drop exactly the random values every
    # other filter keeps.
    complements = ("not_placeholder", "not_store_placeholder")
    names = tuple(n for n in f.FILTERS if n not in complements)
    assert f.rejected_by(c("Zq8vR2mXp4TnW7yB"), names, ALLOW) is None
    for name in complements:
        assert f.rejected_by(c("Zq8vR2mXp4TnW7yB"), (name,), ALLOW) == name
    assert f.rejected_by(c("hunter2"), ("not_store_placeholder",), ALLOW) is None


@pytest.mark.parametrize(
    "value",
    [
        "%s",
        "abc%-10s",
        "%(password)s",
        "{}",
        "{0}",
        "{password}",
        '" + pw + "',
        'bbbb\\n")',
        "pw\\x0a",
        "pw');",
        "),a?s.default.createElement(",
        "e.isOpen=e.useHandler+1",
        "self.prefix_chars+escaped",
    ],
)
def test_code_expression_drops(value: str) -> None:
    assert f.code_expression(c(value), ALLOW)


@pytest.mark.parametrize(
    "value", ["Zq8vR2mXp4TnW7yB", "p%40ss%3Dw0rd%2F", "Xy%s9k", "mF_9.B5f-4.1JqM", "abc.def="]
)
def test_code_expression_keeps_data(value: str) -> None:
    assert not f.code_expression(c(value), ALLOW)


@pytest.mark.parametrize(
    "value",
    [
        "{ENCODED_PASSWORD}",
        "%7BENCODED_PASSWORD%7D",
        "%24%7BPROXY_PASS%7D",
        "%25%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%20",
        "pass%23pass",
        "test-test",
        "somepassword",
        "otherpassword",
        "pwd",
    ],
)
def test_placeholder_drops_encoded_and_doubled(value: str) -> None:
    assert f.placeholder(c(value), ALLOW)


@pytest.mark.parametrize("value", ["p%40ss%3Dw0rd", "Zq8v%21R2mX", "tulip77"])
def test_placeholder_keeps_encoded_passwords(value: str) -> None:
    assert not f.placeholder(c(value), ALLOW)


@pytest.mark.parametrize(
    "value", ["Contraseña", "Пароль", "パスワード", "密码", "Senha", "Κωδικός πρόσβασης", "🈴"]
)
def test_natural_word_drops_labels(value: str) -> None:
    assert f.natural_word(c(value), ALLOW)


@pytest.mark.parametrize("value", ["velvet harbor", "tulip77", "Zq8vR2mXp4TnW7yB", "Tulip7!"])
def test_natural_word_keeps_passwords(value: str) -> None:
    assert not f.natural_word(c(value), ALLOW)


def test_file_digest_drops_values_keyed_by_a_file_name() -> None:
    digest = "17b67312aa7ff0d8c22c3695a56a0c9d"
    cache = f'PusherBroadcaster.php":"{digest}'
    assert f.file_digest(c(digest, match=cache), ALLOW)
    assert f.file_digest(c(digest, match=f'Pusher\\/Client.js\\":\\"{digest}'), ALLOW)
    assert f.file_digest(c("3826:", match="PASS: docker_cli_build_test.go:3826:"), ALLOW)
    assert not f.file_digest(c(digest, match=f'PUSHER_APP_SECRET="{digest}'), ALLOW)
    assert not f.file_digest(c(digest, match=f"pusher.key: {digest}"), ALLOW)


def test_option_or_usage_drops_other_options_and_placeholders() -> None:
    for value in ("--fail-at-end", "-[disables", "[password]", "<pass>", "{pw}", "(none)"):
        assert f.option_or_usage(c(value), ALLOW), value
    for value in ("T7r!xW2q", "Bl4ckT3a!", "-5x9Qw!", "pass-word-42"):
        assert not f.option_or_usage(c(value), ALLOW), value


def test_code_value_drops_versions_and_identifier_lists() -> None:
    for value in ("1.302103", "v2.0.1-rc1", "10.4", "dExternal,dBranch", "a, b, c", "contains=dX"):
        assert f.code_value(c(value), ALLOW), value
    tokens = ("live_8uq9fsUA28SqKT=CTsQxgKrqB6", "a2V5OnZhbHVl==", "zb45zzWSwMCUB2pV")
    for value in ("Summer,2024", "1.2.3.4.5.6", "x9!Qw,7", *tokens):
        assert not f.code_value(c(value), ALLOW), value


TAILORED = "sk_1234_123456_1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d"
MIXED = "eRMWF4nY2_hJw31vIAHi1yd14Xm66aEoenMSr-Q2"


@pytest.mark.parametrize(
    "value", ["HKEY_LOCAL_MACHINE64", "KERBEROS5_KEYTAB", "S_to_utf8_substr", "no_accept_8bitmime"]
)
def test_identifier_name_drops_names_in_a_list_of_names(value: str) -> None:
    line = f"syn keyword xKeyword {value} other_name"
    assert f.identifier_name(c(value, line=line, match=f"syn keyword xKeyword {value} "), ALLOW)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        # many digits, a long random part
        (TAILORED, f"key {TAILORED}"),
        (MIXED, f"secret {MIXED}"),
        # parts that are not words
        ("qzvkxw_mbrtpl_hjdnfc_8t", "SESSION_SECRET qzvkxw_mbrtpl_hjdnfc_8t"),
        ("KQ7V_X2LM_PZ4T_W9RB", "APP_SECRET KQ7V_X2LM_PZ4T_W9RB"),
        # assigned, not listed: a chosen secret
        ("tr0ub4dor_horse_staple", 'secret_key = "tr0ub4dor_horse_staple"'),
        ("KERBEROS5_KEYTAB", "secret_name: KERBEROS5_KEYTAB"),
    ],
)
def test_identifier_name_keeps_tokens_and_assigned_values(value: str, match: str) -> None:
    assert not f.identifier_name(c(value, match=match), ALLOW)


def test_flag_without_secret() -> None:
    assert f.flag_without_secret(c("deploy.yml", match=" --ask-vault-pass deploy.yml"), ALLOW)
    assert f.flag_without_secret(c("mydb", match=" --no-password mydb"), ALLOW)
    assert f.flag_without_secret(c("env:KEY_PASS", match=" -passin env:KEY_PASS"), ALLOW)
    chosen = c("Tq8#vL2mZx", match=" --master-user-password Tq8#vL2mZx")
    assert not f.flag_without_secret(chosen, ALLOW)
    assert not f.flag_without_secret(c("Kq7vR2xTz9", match=" -pass pass:Kq7vR2xTz9"), ALLOW)


def test_identifier_name_needs_a_line_of_names() -> None:
    listed = "syn keyword oraKeyword KERBEROS5_CC_NAME KERBEROS5_KEYTAB KERBEROS5_REALMS"
    match = "KEYTAB KERBEROS5_REALMS"  # the key is the tail of KERBEROS5_KEYTAB
    assert f.identifier_name(c("KERBEROS5_REALMS", line=listed, match=match), ALLOW)
    for line in (
        "tool --token tr0ub4dor_horse_staple",
        "api_key  tr0ub4dor_horse_staple",
        'auth_token "tr0ub4dor_horse_staple" now',
    ):
        assert not f.identifier_name(c("tr0ub4dor_horse_staple", line=line, match=line), ALLOW)


def test_identifier_name_keeps_a_chosen_secret_in_a_command() -> None:
    for line in (
        "mytool login token tr0ub4dor_horse_staple",
        "heroku config set token summer_horse_2024",
    ):
        value = line.rsplit(" ", 1)[1]
        assert not f.identifier_name(c(value, line=line, match=line), ALLOW), line


def test_word_not_key() -> None:
    for match in (
        "keyword euphoria3Keyword",
        "Keyboard layoutUsInternational9",
        "tokenizer BertBaseUncased12",
    ):
        assert f.word_not_key(c(match.split()[1], match=match), ALLOW), match
    for match in ("API_KEY=CUrkMFaUEJyFvSwInCfBXd9vVWsrdPfj", "token ghp_Xk7bR2mQ9vT4wL8nC3pZ6y"):
        assert not f.word_not_key(c("x", match=match), ALLOW), match


def test_word_not_key_keeps_real_assignments() -> None:
    secret = "GITHUB_TOKEN=Zx9Qp2Lm7Rt4Vb8Nc3Kd"  # the whole next assignment was captured
    line = f"make keyboard {secret}"
    assert not f.word_not_key(c(secret, line=line, match=f"keyboard {secret}"), ALLOW)
    line = "login_keychain = Zx9Qp2Lm7Rt4Vb8Nc3Kd"  # the key is the tail of a longer name
    match = "keychain = Zx9Qp2Lm7Rt4Vb8Nc3Kd"
    assert not f.word_not_key(c("Zx9Qp2Lm7Rt4Vb8Nc3Kd", line=line, match=match), ALLOW)


def test_identifier_name_does_not_count_the_key_as_a_listed_name() -> None:
    for line in (
        "setx SECRET_KEY correct_horse_battery7",
        "launchctl setenv SECRET_KEY tr0ub4dor_horse",
    ):
        value = line.rsplit(" ", 1)[1]
        match = line[line.index("SECRET_KEY") :]
        assert not f.identifier_name(c(value, line=line, match=match), ALLOW), line


def _anonymous(line: str, before: str, value: str = "x", match: str | None = None) -> bool:
    """``anonymous_login``'s verdict on the secret ``value`` in ``match`` (the whole line by
    default) on ``line``, with ``before`` the text just before the line."""
    whole = line if match is None else match
    data = (before + line).encode()
    candidate = f.Candidate(value.encode(), whole.encode(), line.encode(), data, len(before))
    return f.anonymous_login(candidate, ALLOW)


@pytest.mark.parametrize(
    ("line", "before"),
    [
        ('conn->password = "mirror@";', 'conn->user = "anonymous";\n'),
        ("ftp_password = 'bot@example.org'", "ftp_user = 'anonymous'\nftp_host = 'x'\n"),
        ('login("anonymous", password="guest@")', ""),
        ("password: me@example.org", "user: anon\n"),
    ],
)
def test_anonymous_login_drops_passwords_of_the_anonymous_user(line: str, before: str) -> None:
    assert _anonymous(line, before)


@pytest.mark.parametrize(
    ("line", "before"),
    [
        ('conn->password = "Zq8vR2mX";', 'conn->user = "deploy";\n'),
        # the anonymous user is more than three lines back: another account's password
        ("password = 'Zq8vR2mX'", "user = 'anonymous'\na = 1\nb = 2\nc = 3\n"),
        ("password = 'Zq8vR2mX'  # anonymously reported", ""),
    ],
)
def test_anonymous_login_keeps_other_accounts(line: str, before: str) -> None:
    assert not _anonymous(line, before)


def test_grade_keeps_drops_or_marks_example_values() -> None:
    names = ("sequential", "placeholder", "low_entropy", "hash_like")
    assert f.grade(c("Zq8vR2mXp4TnW7yB"), names, ALLOW) == f.KEEP
    assert f.grade(c("abcdef1234567890"), names, ALLOW) == f.EXAMPLE
    assert f.grade(c("<your-api-key>"), names, ALLOW) == f.DROP  # a placeholder
    assert f.grade(c("abc 123 abc 123"), names, ALLOW) == f.DROP  # not one token
    assert f.grade(c("abc123"), names, ALLOW) == f.DROP  # too short for an example token
    # mostly signs: an OID, joined words, a masked phrase are not example values
    for junk in ("1.2.840.113549.1.1.1", "None___None___None___1", "++++THIS+IS+A+SECRET++++"):
        assert f.grade(c(junk), names, ALLOW, random=False) == f.DROP, junk
    assert f.grade(c("QUJDREVGR0hJSktMTU5PUA=="), names, ALLOW, random=False) == f.EXAMPLE
    # failed its rule's entropy floor: example grade unless another filter drops it
    assert f.grade(c("Zq8vR2mXp4TnW7yB"), names, ALLOW, random=False) == f.EXAMPLE
    assert f.grade(c("<your-api-key>"), names, ALLOW, random=False) == f.DROP


@pytest.mark.parametrize(
    ("line", "before"),
    [
        # a user name that only starts with anon/ftp is a real account
        ("password: Zq8vR2mX", "user: ftp-deploy\n"),
        ("password = 'Zq8vR2mX'", "login = anon.backup\n"),
        ('conn.password = "Zq8vR2mX"', 'conn.login("ftp.admin@acme.io")\n'),
        # the anonymous user belongs to another block, section or paragraph
        ("  password: Zq8vR2mX", "mirror:\n  user: anonymous\ndb:\n"),
        ("password = Zq8vR2mX", "[ftp]\nuser = anonymous\n[database]\n"),
        ("password = Zq8vR2mX", "user = anonymous\n\n"),
        # another user is named nearer to the password
        ("db_password: Zq8vR2mX", "ftp_user: anonymous\nftp_password: x@y\nsmtp_user: ops\n"),
        ("ftp_user=anonymous db_user=app db_password=Zq8vR2mX", ""),
    ],
)
def test_anonymous_login_keeps_passwords_of_other_users(line: str, before: str) -> None:
    match = line[line.index("password") :] if "password" in line else line
    assert not _anonymous(line, before, "Zq8vR2mX", match)


def test_anonymous_login_reads_a_call_split_over_lines() -> None:
    line = '          passwd="guest@example.org")'
    assert _anonymous(line, 'ftp.login(user="anonymous",\n', "guest@example.org", line.strip())
