"""Which rule literals are common in ordinary text (data for the engine, not a timed test).

A rule found from a required literal (the engine's literal tier) costs one Python step per
occurrence of that literal; a literal that ordinary code and documentation are full of
(``github``, ``authorization``) is better left to hyperscan's whole-regex database. This script
counts, over the text files of the trees given (for example a Python installation's standard
library and site-packages: source, docs, configuration), how often each literal of the rule
pack occurs per MB, and prints those at or above ``--per-mb`` (``--short-per-mb`` for caseless
words of at most five letters) as the lines of ``resources/common_literals.txt``.

    .venv/bin/python benchmarks/common_literals.py TREE [TREE ...] [--per-mb 20] [--short-per-mb 2]
        [--merge]

With ``--merge`` it adds them to the resource file and measures again until none is new: a
rule whose chosen literal became weak leads with another literal, which may be common too
(``column`` -> ``test``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_audit.scan.rules import matcher, translate  # noqa: E402
from desktop_audit.scan.rules.loader import load_ruleset  # noqa: E402

TEXT_SUFFIXES = {
    ".py", ".pyi", ".md", ".rst", ".txt", ".json", ".yaml", ".yml", ".toml", ".cfg", ".ini",
    ".html", ".js", ".ts", ".c", ".h", ".sh", ".xml", ".csv",
}  # fmt: skip
RESOURCE = ROOT / "resources" / "common_literals.txt"
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


def _common(
    literals: set[tuple[bytes, bool]], data: bytes, lowered: bytes, args: argparse.Namespace
) -> list[tuple[float, bytes]]:
    """(rate per MB, literal) of the ``literals`` that are common in ``data``."""
    megabytes = len(data) / 1e6
    common = []
    for text, caseless in sorted(literals):
        count = lowered.count(text.lower()) if caseless else data.count(text)
        short = caseless and text.isalpha() and len(text) <= SHORT_WORD
        if count / megabytes >= (args.short_per_mb if short else args.per_mb):
            common.append((count / megabytes, text))
    return common


def _merge_into_resource(found: set[str]) -> set[str]:
    """Add ``found`` to resources/common_literals.txt (its comment lines kept); return the
    literals that were new."""
    lines = RESOURCE.read_text(encoding="latin-1").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    listed = {line for line in lines if line and not line.startswith("#")}
    RESOURCE.write_text("\n".join(comments + sorted(listed | found)) + "\n", encoding="latin-1")
    return found - listed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--per-mb", type=float, default=20.0)
    parser.add_argument("--short-per-mb", type=float, default=2.0)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="add the common literals to resources/common_literals.txt, again until none is new",
    )
    args = parser.parse_args()
    rules = load_ruleset(check_examples=False).rules
    data = _text(args.trees)
    lowered = data.lower()
    print(f"# {len(data) / 1e6:.0f} MB of text from {len(args.trees)} trees", file=sys.stderr)
    while True:
        common = _common(matcher.rule_literals(rules), data, lowered, args)
        for rate, text in sorted(common, reverse=True):
            print(f"# {rate:8.1f}/MB {text!r}", file=sys.stderr)
        found = {t.lower().decode("latin-1") for _, t in common}
        if not args.merge:
            print("\n".join(sorted(found)))
            return
        # A rule whose chosen literal became weak now leads with another one: measure that.
        added = _merge_into_resource(found)
        print(f"# added {sorted(added)}", file=sys.stderr)
        if not added:
            return
        translate.common_literals.cache_clear()
        matcher.clear_shapes()


if __name__ == "__main__":
    main()
