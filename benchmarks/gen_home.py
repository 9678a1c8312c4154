"""Generate a reproducible large home directory with planted fake secrets.

    python benchmarks/gen_home.py OUT_DIR [--files 200000] [--mb 2000] [--seed 1]

The tree looks like a developer's home: projects with source and config files, notes, logs,
downloads (some binary), dot-directories. File contents are slices of a seeded pool of mixed
text (code, configuration, logs, prose, minified JavaScript, base64) made by
``engine_throughput.make_corpus``; every 1,000th file gets a credential taken from the rule
pack's own examples (fake values). Sizes follow a skewed distribution (most files a few KB,
a few up to 1 MB) scaled so the total is about ``--mb``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_throughput import make_corpus

from desktop_audit.scan.rules.loader import load_ruleset

_TOP = ("projects", "work", "notes", "Downloads", "Documents", ".config", ".local/share", "logs")
_SUFFIXES = (".py", ".js", ".ts", ".go", ".md", ".txt", ".yaml", ".json", ".toml", ".ini", ".log")
_POOL_MB = 64
_PER_DIRECTORY = 50


def _sizes(rng: random.Random, count: int, total: int) -> list[int]:
    raw = [min(rng.paretovariate(1.2), 400.0) for _ in range(count)]
    scale = total / sum(raw)
    return [max(64, int(r * scale)) for r in raw]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--mb", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    rng = random.Random(args.seed)
    rules = load_ruleset(check_examples=False)
    secrets = [e for r in rules.rules for e in r.examples if "\n" not in e and len(e) < 300]
    pool, _ = make_corpus(_POOL_MB << 20, [], seed=args.seed)
    sizes = _sizes(rng, args.files, args.mb << 20)
    planted = binary = 0
    for index, size in enumerate(sizes):
        group = index // _PER_DIRECTORY  # about 50 files per directory, 3 levels deep
        top = _TOP[group % len(_TOP)]
        folder = args.out / top / f"p{group // len(_TOP) % 50:02d}" / f"d{group // 400:03d}"
        if index % 50 == 7:
            name, data = f"image{index}.png", b"\x89PNG\r\n\x1a\n\x00" + os.urandom(size)
            binary += 1
        else:
            start = rng.randrange(0, len(pool) - min(size, len(pool) - 1))
            data = pool[start : start + size]
            if index % 1000 == 500:
                line = rng.choice(secrets).encode()
                cut = data.find(b"\n", len(data) // 2) + 1
                data = data[:cut] + line + b"\n" + data[cut:]
                planted += 1
            name = f"file{index}{_SUFFIXES[index % len(_SUFFIXES)]}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(
        f"{args.out}: {len(sizes)} files ({binary} binary), {total / 1e6:.0f} MB, "
        f"{planted} planted credentials, made in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
