"""Which rule literals are common in ordinary text (data for the engine, not a timed test).

A rule found from a required literal (the engine's literal tier) costs one Python step per
occurrence of that literal; a literal that ordinary code and documentation are full of
(``github``, ``authorization``) is better left to hyperscan's whole-regex database. This script
counts, over the text files of the trees given (for example a Python installation's standard
library and site-packages: source, docs, configuration), how often each literal of the rule
pack occurs per MB, and prints those at or above ``--per-mb`` (``--short-per-mb`` for caseless
words of at most five letters) as the lines of ``resources/common_literals.txt``.

    .venv/bin/python benchmarks/common_literals.py TREE [TREE ...] [--per-mb 20] [--short-per-mb 2]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_audit.scan.rules import matcher  # noqa: E402
from desktop_audit.scan.rules.loader import load_ruleset  # noqa: E402

TEXT_SUFFIXES = {
    ".py", ".pyi", ".md", ".rst", ".txt", ".json", ".yaml", ".yml", ".toml", ".cfg", ".ini",
    ".html", ".js", ".ts", ".c", ".h", ".sh", ".xml", ".csv",
}  # fmt: skip
LIMIT = 2 << 30  # read at most this much text
# Short caseless words (``story``, ``repo``) hide inside longer common words (``history``,
# ``report``) of text unlike the sample: listed from a lower rate (``--short-per-mb``).
SHORT_WORD = 5


def _text(trees: list[Path]) -> bytes:
    parts: list[bytes] = []
    total = 0
    for tree in trees:
        for folder, _dirs, files in os.walk(tree):
            for name in sorted(files):
                if Path(name).suffix not in TEXT_SUFFIXES:
                    continue
                try:
                    data = (Path(folder) / name).read_bytes()
                except OSError:
                    continue
                if b"\x00" in data[:4096]:
                    continue
                parts.append(data)
                total += len(data)
                if total > LIMIT:
                    return b"\n".join(parts)
    return b"\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--per-mb", type=float, default=20.0)
    parser.add_argument("--short-per-mb", type=float, default=2.0)
    args = parser.parse_args()
    rules = load_ruleset(check_examples=False).rules
    literals = matcher.rule_literals(rules)
    data = _text(args.trees)
    lowered = data.lower()
    megabytes = len(data) / 1e6
    print(f"# {megabytes:.0f} MB of text from {len(args.trees)} trees", file=sys.stderr)
    common = []
    for text, caseless in sorted(literals):
        count = lowered.count(text.lower()) if caseless else data.count(text)
        short = caseless and text.isalpha() and len(text) <= SHORT_WORD
        if count / megabytes >= (args.short_per_mb if short else args.per_mb):
            common.append((count / megabytes, text))
    for rate, text in sorted(common, reverse=True):
        print(f"# {rate:8.1f}/MB {text!r}", file=sys.stderr)
    for text in sorted({t.lower() for _, t in common}):
        print(text.decode("latin-1"))


if __name__ == "__main__":
    main()
