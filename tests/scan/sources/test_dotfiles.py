"""The dotfiles source: the catalogue, formats, decoded hidden values, claims and symlinks."""

from __future__ import annotations

import base64
from pathlib import Path

from desktop_audit.models import SourceKind
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.sources.catalogue import load_catalogue
from desktop_audit.scan.sources.decoders import k8s_secret_data
from desktop_audit.scan.sources.dotfiles import DotfilesSource
from desktop_audit.scan.sources.files import FilesSource
from desktop_audit.scan.sources.fragments import guess_format
from desktop_audit.scan.sources.sealed import sealed_format
from tests.scan.sources.conftest import check, collect, make_ctx

FAKE_PASSWORD = "hunter2-FAKE-0123456789"
FAKE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEFAKEFAKEFAKE\n-----END RSA PRIVATE KEY-----\n"


def write(home: Path, rel: str, content: str | bytes) -> Path:
    path = home / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def docker_config() -> str:
    auth = base64.b64encode(f"deploy:{FAKE_PASSWORD}".encode()).decode()
    return (
        '{\n  "auths": {\n    "registry.example.invalid": {\n      "auth": "'
        + auth
        + '"\n    }\n  }\n}\n'
    )


def kubeconfig() -> str:
    key = base64.b64encode(FAKE_KEY.encode()).decode()
    return (
        "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n"
        f"    client-certificate-data: Zm9vYmFy\n    client-key-data: {key}\n"
        "    token: kube-token-FAKE\n"
    )


def test_catalogue_is_broad_and_every_entry_has_a_format() -> None:
    catalogue = load_catalogue()
    assert len(catalogue.dotfiles) >= 50
    assert all(entry.format for entry in catalogue.dotfiles + catalogue.histories)
    paths = {entry.path for entry in catalogue.dotfiles}
    for expected in (
        ".git-credentials",
        ".netrc",
        ".aws/credentials",
        ".docker/config.json",
        ".kube/config",
        ".npmrc",
        ".pypirc",
        ".config/gh/hosts.yml",
        ".pgpass",
        ".ssh/id_*",
        ".claude.json",
        ".codex/auth.json",
        ".vault-token",
        ".terraform.d/credentials.tfrc.json",
        ".cache/huggingface/token",
        ".config/filezilla/*.xml",
        ".ssh/known_hosts",
    ):
        assert expected in paths
    assert {"node_modules", ".cache", "__pycache__", ".tox"} <= catalogue.walk.skip_dir_names


def test_a_catalogued_credential_store_is_known_by_its_name_too() -> None:
    """Clean-up, verification and the files sweep know a file's format by its name and place
    only: a catalogue entry whose format is a rule's credential store must be named that
    store there too, or its findings are not found again (a clean-up finds nothing to remove,
    a verification records an untouched file as gone)."""
    stores = {store for rule in load_ruleset().rules for store in rule.stores}
    for entry in load_catalogue().dotfiles:
        if entry.format not in stores:
            continue
        path = Path("/home/u") / entry.path.replace("*", "example")
        assert (sealed_format(path) or guess_format(path)) == entry.format, entry.path


def test_existing_dotfiles_are_yielded_with_their_format_and_claimed(tmp_path: Path) -> None:
    write(tmp_path, ".git-credentials", f"https://user:{FAKE_PASSWORD}@git.example.invalid\n")
    write(tmp_path, ".aws/credentials", "[default]\naws_secret_access_key = FAKE\n")
    write(tmp_path, ".aws/sso/cache/abc.json", '{"accessToken": "FAKE"}')
    write(tmp_path, ".ssh/id_ed25519", FAKE_KEY)
    write(tmp_path, ".ssh/id_ed25519.pub", "ssh-ed25519 AAAA user@host\n")
    write(tmp_path, ".ssh/known_hosts", "|1|abc=|def= ssh-ed25519 AAAA\n")
    write(tmp_path, ".cache/huggingface/token", "hf_FAKE\n")
    write(tmp_path, ".config/gcloud/credentials.db", b"SQLite format 3\x00token FAKE")
    ctx = make_ctx(tmp_path)
    fragments = collect(DotfilesSource(tmp_path), ctx)
    formats = {
        f.origin.path.relative_to(tmp_path).as_posix(): f.origin.file_format for f in fragments
    }
    assert formats == {
        ".git-credentials": "git-credentials",
        ".aws/credentials": "ini",
        ".aws/sso/cache/abc.json": "json",
        ".ssh/id_ed25519": "ssh-private-key",
        ".ssh/known_hosts": "known_hosts",
        ".cache/huggingface/token": "token",
        ".config/gcloud/credentials.db": "sqlite",
    }
    assert all(f.origin.source is SourceKind.DOTFILE for f in fragments)
    assert tmp_path / ".git-credentials" in ctx.claimed_paths
    assert ctx.stat("dotfiles").counters["files"] == 7
    # the files source, run after, does not read them again
    rest = collect(FilesSource([tmp_path]), ctx)
    assert {f.origin.path for f in rest} == {tmp_path / ".ssh" / "id_ed25519.pub"}


def test_docker_auth_is_decoded_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, ".docker/config.json", docker_config())
    fragments = collect(DotfilesSource(tmp_path), make_ctx(tmp_path))
    assert len(fragments) == 2
    raw, decoded = fragments
    assert not raw.origin.fixed_line
    check(decoded.data == f"deploy:{FAKE_PASSWORD}".encode(), "docker auth not decoded")
    assert decoded.origin.fixed_line and decoded.origin.line_base == 4
    assert decoded.origin.file_format == "docker-config"


def test_kubeconfig_token_data_is_decoded_but_key_data_left_to_the_rules(tmp_path: Path) -> None:
    """The rule pack matches base64 PEM keys (client-key-data) itself: decoding them here too
    would make one key two findings. ``token-data`` is decoded."""
    token = base64.b64encode(b"kube-bearer-FAKE-token").decode()
    write(tmp_path, ".kube/config", kubeconfig() + f"    token-data: {token}\n")
    fragments = collect(DotfilesSource(tmp_path), make_ctx(tmp_path))
    decoded = [f for f in fragments if f.origin.fixed_line]
    assert len(decoded) == 1
    check(decoded[0].data == b"kube-bearer-FAKE-token", "token-data not decoded")
    assert decoded[0].origin.line_base == 9
    check(b"kube-token-FAKE" in fragments[0].data, "kubeconfig text not yielded")


def test_k8s_secret_manifests_are_decoded_by_the_files_source(tmp_path: Path) -> None:
    value = base64.b64encode(FAKE_PASSWORD.encode()).decode()
    manifest = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n"
        f"  password: {value}\n  user: YWRtaW4=\nstringData:\n  other: plain\n"
    )
    write(tmp_path, "deploy/secret.yaml", manifest)
    expected = [(6, FAKE_PASSWORD.encode()), (7, b"admin")]
    check(list(k8s_secret_data(manifest.encode())) == expected, "secret data not decoded")
    fragments = collect(FilesSource([tmp_path]), make_ctx(tmp_path))
    decoded = {f.origin.line_base: f.data for f in fragments if f.origin.fixed_line}
    check(decoded == dict(expected), "files source did not decode the manifest")


def test_symlink_inside_home_is_read_but_outside_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    outside = tmp_path / "elsewhere"
    write(home, "dotfiles/netrc", "machine a login b password FAKE\n")
    write(outside, "pgpass", "host:5432:db:user:FAKE\n")
    (home / ".netrc").symlink_to(home / "dotfiles" / "netrc")
    (home / ".pgpass").symlink_to(outside / "pgpass")
    ctx = make_ctx(home)
    fragments = collect(DotfilesSource(home), ctx)
    assert [f.origin.path for f in fragments] == [home / ".netrc"]
    assert home / "dotfiles" / "netrc" in ctx.claimed_paths
    assert [(e.path, e.message) for e in ctx.errors] == [
        (str(home / ".pgpass"), "symbolic link leads outside the scanned roots, skipped")
    ]


def test_unreadable_dotfile_is_an_error_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / ".netrc").mkdir()  # a directory where a file is expected: not taken
    write(tmp_path, ".pgpass", "h:1:d:u:FAKE\n")
    (tmp_path / ".my.cnf").symlink_to(tmp_path / "missing")
    ctx = make_ctx(tmp_path)
    fragments = collect(DotfilesSource(tmp_path), ctx)
    assert [f.origin.path for f in fragments] == [tmp_path / ".pgpass"]
    assert [e.path for e in ctx.errors] == [str(tmp_path / ".my.cnf")]
