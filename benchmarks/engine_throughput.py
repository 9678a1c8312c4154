"""Detector throughput on mostly clean text, per prefilter engine (single thread).

Run: ``.venv/bin/python benchmarks/engine_throughput.py [MB]``.
"""

from __future__ import annotations

import random
import string
import sys
import time
from pathlib import Path

from desktop_audit.models import Fragment, Origin, SourceKind
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.rules.prefilter import available_engines
from desktop_audit.secrecy import Secrecy

WORDS = [
    "".join(random.Random(i).choices(string.ascii_lowercase, k=random.Random(i).randint(2, 9)))
    for i in range(5000)
]


def clean_text(size: int, seed: int = 7) -> bytes:
    """Prose-like lines with a sprinkle of code, no secrets."""
    rng = random.Random(seed)
    lines, total = [], 0
    while total < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        if rng.random() < 0.05:
            line = f"    value = compute({line.split()[0]}, {rng.randint(0, 999)})"
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines).encode()[:size]


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    data = clean_text(megabytes << 20)
    chunk = 4 << 20
    ruleset = load_ruleset(check_examples=False)
    secrecy = Secrecy(b"b" * 32, b"bench-salt-00000")
    origin = Origin(SourceKind.FILE, Path("bench.txt"))
    print(f"{len(ruleset.rules)} rules, {megabytes} MB of clean text, {chunk >> 20} MB fragments")
    for engine in available_engines():
        detector = Detector(ruleset, secrecy, engine=engine)
        size = len(data) if engine != "python" else min(len(data), 8 << 20)
        start = time.perf_counter()
        hits = 0
        for offset in range(0, size, chunk):
            hits += len(detector.scan(Fragment(data[offset : offset + chunk], origin)))
        seconds = time.perf_counter() - start
        print(f"{engine:10s} {size / seconds / 1e6:8.1f} MB/s  ({hits} hits)")


if __name__ == "__main__":
    main()
