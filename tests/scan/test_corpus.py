"""Recall and precision on the shared rule-examples corpus (Nosey Parker + Kingfisher).

Each example is scanned as its own file fragment. Figures (counts only, never example text)
are written to ``/tmp/desktop-audit-corpus-metrics.json`` whatever pytest's capture setting.

Exclusions, decided explicitly:
* Nosey Parker examples whose categories are ``identifier`` or ``hashed`` without ``secret``
  (ARNs, bucket names, client ids, usernames, password hashes) are not credentials.
* Kingfisher "placeholder" positives: every token of 12+ characters in the example is rejected
  by our ``sequential``, ``low_entropy`` or ``placeholder`` filter (``abcdef1234567890...``).
  Both the raw and the adjusted figure are reported.
* An example counts as found at any grade: a value only our randomness checks refuse is
  reported at INFO as "looks like an example value" (it is still a finding the user sees).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from desktop_audit.models import Fragment, Origin, SourceKind
from desktop_audit.scan.detector import Detector
from desktop_audit.scan.rules.filters import (
    Candidate,
    default_allowlist,
    low_entropy,
    placeholder,
    sequential,
)
from desktop_audit.scan.rules.loader import load_ruleset
from desktop_audit.secrecy import Secrecy
from tests.corpus import RULE_EXAMPLES

CORPUS = RULE_EXAMPLES
METRICS = Path("/tmp/desktop-audit-corpus-metrics.json")
_TOKEN = re.compile(r"[A-Za-z0-9+/_=.-]{12,}")
# Corpus provider names that our rule pack files under another provider name.
_ALIASES = {
    "odbc": "generic",
    "postgres": "uri",
    "mongodb": "uri",
    "rabbitmq": "uri",
    "s3": "aws",
    "gcs": "gcp",
    "msteams": "microsoft",
    "pem": "privatekey",
}

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not present")


def _is_placeholder(text: str) -> bool:
    allow = default_allowlist()
    tokens = _TOKEN.findall(text)
    return bool(tokens) and all(
        any(f(Candidate(t.encode()), allow) for f in (sequential, low_entropy, placeholder))
        for t in tokens
    )


def _not_secret(record: dict[str, Any]) -> bool:
    categories = set(record.get("categories", []))
    return bool(categories & {"identifier", "hashed"}) and "secret" not in categories


def _measure() -> dict[str, Any]:
    detector = Detector(load_ruleset(), Secrecy(b"k" * 32, b"corpus-salt-0001"))
    origin = Origin(SourceKind.FILE, Path("/home/user/project/example.txt"))
    counts: Counter[str] = Counter()
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        hits = detector.scan(Fragment(record["text"].encode(), origin))
        provider = record["rule_id"].split(".")[1]
        provider = _ALIASES.get(provider, provider)
        if record["label"] == "positive":
            found = bool(hits)
            counts["pos"] += 1
            counts["pos_found"] += found
            if record["source"] == "noseyparker" and not _not_secret(record):
                counts["np_pos"] += 1
                counts["np_found"] += found
            if record["source"] == "kingfisher" and _is_placeholder(record["text"]):
                counts["kf_placeholder"] += 1
                counts["kf_placeholder_found"] += found
            elif not (record["source"] == "noseyparker" and _not_secret(record)):
                counts["adj_pos"] += 1
                counts["adj_found"] += found
        elif not record.get("positive_elsewhere"):
            counts["neg"] += 1
            counts["neg_flagged"] += any(h.provider == provider for h in hits)
    figures = {
        "positives_found_pct": 100 * counts["pos_found"] / counts["pos"],
        "np_secret_positives_found_pct": 100 * counts["np_found"] / counts["np_pos"],
        "positives_found_excluding_placeholders_pct": 100 * counts["adj_found"] / counts["adj_pos"],
        "negatives_flagged_pct": 100 * counts["neg_flagged"] / counts["neg"],
    }
    result = {"counts": dict(counts), "figures": figures}
    METRICS.write_text(json.dumps(result, indent=2, sort_keys=True), encoding="utf-8")
    return result


@pytest.fixture(scope="module")
def metrics() -> dict[str, Any]:
    return _measure()


def test_metrics_written(metrics: dict[str, Any]) -> None:
    assert METRICS.exists()
    assert metrics["counts"]["pos"] > 1000


def test_nosey_parker_secret_recall(metrics: dict[str, Any]) -> None:
    assert metrics["figures"]["np_secret_positives_found_pct"] >= 95.0, metrics["counts"]


def test_recall_excluding_placeholders(metrics: dict[str, Any]) -> None:
    figure = metrics["figures"]["positives_found_excluding_placeholders_pct"]
    assert figure >= 85.0, metrics["counts"]


def test_overall_recall(metrics: dict[str, Any]) -> None:
    assert metrics["figures"]["positives_found_pct"] >= 85.0, metrics["counts"]


def test_negatives_of_same_provider(metrics: dict[str, Any]) -> None:
    assert metrics["figures"]["negatives_flagged_pct"] <= 3.0, metrics["counts"]
