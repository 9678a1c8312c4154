"""Detector throughput per candidate engine, one thread, on a generated mixed corpus.

Run: ``.venv/bin/python benchmarks/engine_throughput.py [MB] [--engines hyperscan,re2,python]
[--cold]``.

Engines: ``hyperscan``, ``re2`` and ``python`` are the tiered engines (``engines.TieredEngine``);
``hyperscan-full``, ``re2-full`` and ``python-keywords`` the whole-regex / keyword-window
engines alone (the previous design, kept for comparison). ``--cold`` builds the detectors
with an empty cache directory (the first one built also pays for the rule shapes).

The corpus (default 128 MB, seeded, so the same on every run) is mostly clean text of the
kinds a workstation holds: source code, configuration files, logs, prose, minified
JavaScript and base64 blobs, with roughly one planted credential per MB (taken from the rule
pack's own examples). It is scanned in 4 MB fragments; each engine's figure is the best wall
time of ``--repeat`` runs (default 3). Hit counts must agree across engines (exit 1 if not).
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import string
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from desktop_audit.models import Fragment, Origin, SourceKind
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.rules.cachedir import CACHE_ENV
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.scan.rules.prefilter import available_engines
from desktop_audit.secrecy import Secrecy

SEED = 20240601
FRAGMENT = 4 << 20
SECRET_EVERY = 1 << 20  # about one planted credential per MB

# Words real text is full of, including the common rule keywords (key, pass, auth, token ...).
_COMMON = (
    "the of and to in is for on with that this as are be by from at or an it not key keys "
    "pass passed password auth author authority token tokens access private secret session "
    "data http https url user host server database port config value name type file path "
    "return function class import const let var def self new list map get set update error "
    "client request response service cache build test debug info warn message status id"
).split()


def _vocabulary(rng: random.Random) -> list[str]:
    made = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 10))) for _ in range(4000)]
    return made + _COMMON * 8


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = _vocabulary(self.rng)

    def word(self) -> str:
        return self.rng.choice(self.words)

    def ident(self) -> str:
        rng = self.rng
        parts = [self.word() for _ in range(rng.randint(1, 3))]
        style = rng.random()
        if style < 0.4:
            return "_".join(parts)
        if style < 0.8:
            return parts[0] + "".join(p.capitalize() for p in parts[1:])
        return "_".join(parts).upper()

    def sentence(self, low: int = 5, high: int = 18) -> str:
        text = " ".join(self.word() for _ in range(self.rng.randint(low, high)))
        return text.capitalize() + "."

    def code(self) -> list[str]:
        rng, out = self.rng, []
        indent = "    "
        out.append(f"def {self.ident()}({self.ident()}, {self.ident()}=None):")
        out.append(f'{indent}"""{self.sentence()}"""')
        for _ in range(rng.randint(3, 12)):
            kind = rng.random()
            if kind < 0.3:
                out.append(f"{indent}{self.ident()} = {self.ident()}.{self.ident()}()")
            elif kind < 0.45:
                call = f"{self.ident()}({self.ident()}, {rng.randint(0, 999)})"
                out.append(f"{indent}{self.ident()} = {call}")
            elif kind < 0.55:
                out.append(f"{indent}# {self.sentence()}")
            elif kind < 0.65:
                out.append(f"{indent}if {self.ident()} is None:")
                out.append(f"{indent * 2}raise ValueError('{self.sentence(3, 8)}')")
            elif kind < 0.75:
                out.append(
                    f'{indent}{self.ident()}["{self.word()}"] = {self.ident()}.get("{self.word()}")'
                )
            elif kind < 0.85:
                out.append(f"{indent}token = self.{self.ident()}.get_token({self.ident()})")
            else:
                out.append(f"{indent}return {self.ident()}")
        out.append("")
        return out

    def config(self) -> list[str]:
        rng, out = self.rng, []
        style = rng.random()
        for _ in range(rng.randint(4, 15)):
            key, value = self.ident(), self._value()
            if style < 0.4:
                out.append(f"{'  ' * rng.randint(0, 2)}{key}: {value}")
            elif style < 0.7:
                out.append(f"{key.upper()}={value}")
            else:
                out.append(f'  "{key}": "{value}",')
        out.append("")
        return out

    def _value(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.3:
            return str(rng.randint(0, 65535))
        if kind < 0.45:
            return rng.choice(["true", "false", "null", "${DB_PASSWORD}", "<your-api-key>"])
        if kind < 0.6:
            return f"https://{self.word()}.{self.word()}.example/{self.word()}"
        if kind < 0.7:
            return f"/usr/{self.word()}/{self.word()}"
        return self.word()

    def log(self) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(rng.randint(5, 30)):
            level = rng.choice(["INFO", "DEBUG", "WARN", "ERROR"])
            ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
            out.append(
                f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T1{rng.randint(0, 9)}:"
                f"{rng.randint(10, 59)}:{rng.randint(10, 59)}Z {level} {ip} "
                f"GET /{self.word()}/{self.word()}?{self.word()}={rng.randint(0, 9999)} "
                f"{rng.choice([200, 200, 304, 404, 500])} {self.sentence(2, 6)}"
            )
        return out

    def prose(self) -> list[str]:
        return [" ".join(self.sentence() for _ in range(self.rng.randint(1, 5))), ""]

    def minified(self) -> list[str]:
        rng, parts = self.rng, []
        for _ in range(rng.randint(200, 2000)):
            a, b = self.word(), self.word()
            parts.append(
                rng.choice(
                    [
                        f"function {a}({b}){{return {b}.key+{b}.{a}}}",
                        f"var {a}={b}||{{}};",
                        f'{a}.{b}("{self.word()}",{rng.randint(0, 99)});',
                        f"if({a}.auth){{{b}.pass={a}}}",
                        f'"{a}":"{b}",',
                    ]
                )
            )
        return ["".join(parts)]

    def blob(self) -> list[str]:
        raw = self.rng.randbytes(self.rng.randint(2_000, 60_000))
        text = base64.b64encode(raw).decode()
        if self.rng.random() < 0.5:
            return [text]
        return [text[i : i + 76] for i in range(0, len(text), 76)]


def make_corpus(size: int, secrets: list[str], seed: int = SEED) -> tuple[bytes, int]:
    """``size`` bytes of mixed text and how many credentials were planted in it."""
    gen = _Gen(seed)
    kinds: list[tuple[float, Callable[[], list[str]]]] = [
        (0.34, gen.code),
        (0.16, gen.config),
        (0.16, gen.log),
        (0.18, gen.prose),
        (0.08, gen.minified),
        (0.08, gen.blob),
    ]
    weights = [w for w, _ in kinds]
    makers = [m for _, m in kinds]
    chunks: list[str] = []
    total, planted, next_secret = 0, 0, SECRET_EVERY // 2
    while total < size:
        lines = gen.rng.choices(makers, weights)[0]()
        if total >= next_secret and secrets:
            lines.insert(gen.rng.randint(0, len(lines)), gen.rng.choice(secrets))
            planted += 1
            next_secret += SECRET_EVERY
        text = "\n".join(lines) + "\n"
        chunks.append(text)
        total += len(text)
    return "".join(chunks).encode()[:size], planted


def _scan_all(detector: Detector, data: bytes, origin: Origin) -> int:
    hits = 0
    for offset in range(0, len(data), FRAGMENT):
        hits += len(detector.scan(Fragment(data[offset : offset + FRAGMENT], origin)))
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("megabytes", nargs="?", type=int, default=128)
    parser.add_argument("--engines", default=",".join(available_engines()))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="start from an empty cache")
    args = parser.parse_args()
    if args.cold:
        os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="desktop-audit-bench-")
    ruleset = load_ruleset(check_examples=False)
    secrets = [e for r in ruleset.rules for e in r.examples if "\n" not in e and len(e) < 400]
    started = time.perf_counter()
    data, planted = make_corpus(args.megabytes << 20, secrets)
    made = time.perf_counter() - started
    secrecy = Secrecy(b"b" * 32, b"bench-salt-00000")
    origin = Origin(SourceKind.FILE, Path("bench.txt"))
    print(
        f"{len(ruleset.rules)} rules; corpus {len(data) / 1e6:.1f} MB (seed {SEED}, made in "
        f"{made:.1f} s), {planted} planted credentials, {FRAGMENT >> 20} MB fragments"
    )
    counts: dict[str, int] = {}
    for engine in args.engines.split(","):
        started = time.perf_counter()
        detector = Detector(ruleset, secrecy, engine=engine)
        build = time.perf_counter() - started
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            counts[engine] = _scan_all(detector, data, origin)
            best = min(best, time.perf_counter() - started)
        print(
            f"{engine:10s} {len(data) / best / 1e6:8.1f} MB/s  best of {args.repeat}: "
            f"{best:6.2f} s  ({counts[engine]} hits, detector built in {build:.1f} s)"
        )
    if len(set(counts.values())) > 1:
        print(f"hit counts differ across engines: {counts}")
        sys.exit(1)


if __name__ == "__main__":
    main()
