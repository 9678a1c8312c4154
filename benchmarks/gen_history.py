"""Generate a reproducible large git history with planted fake secrets (git fast-import).

    python benchmarks/gen_history.py OUT_DIR [--commits 20000] [--blob-mb 500] [--seed 1]

Each commit rewrites one to three text files with fresh content, so the repository holds
about ``--blob-mb`` MB of unique blob content. Every 400th commit adds a fake credential that
a later commit removes again (still in history). The values are random and authenticate
nowhere.
"""

from __future__ import annotations

import argparse
import random
import string
import subprocess
import sys
import time
from pathlib import Path

_WORDS = (
    "account alpha beta build cache client config context data debug deploy error event "
    "export field filter format handler index input items key label level limit loader "
    "logger manager message model module name node options output parser path payload "
    "policy queue record request response result route scope server service session "
    "settings source state status stream table target task timeout token user value worker"
).split()


def _line_pool(rng: random.Random, size: int) -> list[bytes]:
    pool = []
    for _ in range(size):
        indent = " " * (4 * rng.randint(0, 3))
        kind = rng.random()
        a, b, c = rng.choice(_WORDS), rng.choice(_WORDS), rng.choice(_WORDS)
        if kind < 0.3:
            line = f"{indent}{a}_{b} = {c}({rng.randint(0, 9999)}, '{rng.choice(_WORDS)}')"
        elif kind < 0.5:
            line = f"{indent}# {a} {b} {c} {rng.choice(_WORDS)} {rng.choice(_WORDS)}"
        elif kind < 0.7:
            line = f"{indent}if {a}.{b} is not None and {c} > {rng.randint(0, 500)}:"
        elif kind < 0.85:
            line = f"{indent}return {a}_{b}[{rng.randint(0, 64)}] + {c}"
        else:
            line = f'{indent}log.info("{a} {b} %s", {c}_{rng.choice(_WORDS)})'
        pool.append(line.encode())
    return pool


def _fake_secret(rng: random.Random, n: int) -> bytes:
    alnum = string.ascii_letters + string.digits
    kind = n % 3
    if kind == 0:
        key_id = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
        secret = "".join(rng.choice(alnum + "/+") for _ in range(40))
        text = f'AWS_ACCESS_KEY_ID = "{key_id}"\nAWS_SECRET_ACCESS_KEY = "{secret}"\n'
    elif kind == 1:
        text = f'STRIPE_KEY = "sk_live_{"".join(rng.choice(alnum) for _ in range(24))}"\n'
    else:
        token = "".join(rng.choice(alnum) for _ in range(36))
        text = f'SLACK_TOKEN = "xoxb-{rng.randint(10**10, 10**11)}-{token[:24]}"\n'
    return text.encode()


def generate(out: Path, commits: int, blob_mb: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = _line_pool(rng, 60_000)
    files = [f"src/{rng.choice(_WORDS)}/{rng.choice(_WORDS)}_{i}.py" for i in range(2_000)]
    avg_blob = max(512, blob_mb * 1_000_000 // max(1, int(commits * 2)))
    lines_per_blob = max(8, avg_blob // 40)
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    proc = subprocess.Popen(
        ["git", "-C", str(out), "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    write = proc.stdin.write
    when = 1_600_000_000
    planted: dict[int, str] = {}
    total = 0
    for n in range(1, commits + 1):
        when += rng.randint(60, 7200)
        message = f"change {n}".encode()
        write(b"commit refs/heads/main\n")
        write(b"committer Bench <bench@example.invalid> %d +0000\n" % when)
        write(b"data %d\n%s\n" % (len(message), message))
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(files)
            body = b"\n".join(rng.choices(pool, k=lines_per_blob)) + b"\n"
            body += b"# revision %d %d\n" % (n, rng.getrandbits(64))
            if n % 400 == 0:
                body += _fake_secret(rng, n // 400)
                planted[n] = path
            total += len(body)
            write(b"M 100644 inline %s\ndata %d\n" % (path.encode(), len(body)))
            write(body + b"\n")
        if n % 400 == 200 and planted:
            removed = planted.pop(max(planted))
            write(b"D %s\n" % removed.encode())
        if n % 1000 == 0:
            print(f"\r{n}/{commits} commits, {total / 1e6:.0f} MB", end="", file=sys.stderr)
    write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(out), "reset", "-q", "--hard"], check=True)
    print(f"\n{commits} commits, {total / 1e6:.0f} MB of blob content in {out}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--blob-mb", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    generate(args.out, args.commits, args.blob_mb, args.seed)
    print(f"generated in {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
