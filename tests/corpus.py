"""Where the shared public test data lives: ``../shared/corpus`` beside the repository."""

from __future__ import annotations

from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = _REPO.parent / "shared" / "corpus"
RULE_EXAMPLES = CORPUS_DIR / "rule-examples.jsonl"
LEAKY_BUNDLE = CORPUS_DIR / "leaky-repo.bundle"
