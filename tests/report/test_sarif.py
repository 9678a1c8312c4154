"""SARIF 2.1.0 export: valid against the official OASIS schema, CWE-798, golden file."""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from desktop_audit.report import sarif
from desktop_audit.resources import resource_path
from tests.report.golden_files import check_golden
from tests.report.records import HOME, SALT, golden_findings


@pytest.fixture(scope="module")
def official_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(resource_path("schema", "sarif-2.1.0.json").read_text())
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return schema


@pytest.fixture
def document() -> dict[str, Any]:
    return sarif.sarif_dict(golden_findings(), HOME, SALT)


def test_validates_against_the_official_schema(
    document: dict[str, Any], official_schema: dict[str, Any]
) -> None:
    jsonschema.Draft4Validator.check_schema(official_schema)
    jsonschema.Draft4Validator(official_schema).validate(document)
    empty = sarif.sarif_dict([], None, SALT)
    jsonschema.Draft4Validator(official_schema).validate(empty)


def test_schema_catches_a_broken_document(
    document: dict[str, Any], official_schema: dict[str, Any]
) -> None:
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(official_schema).validate(document)


def test_rules_carry_cwe_798_and_results_point_home(document: dict[str, Any]) -> None:
    run = document["runs"][0]
    for rule in run["tool"]["driver"]["rules"]:
        assert "CWE-798" in rule["properties"]["tags"]
        assert rule["relationships"][0]["target"]["id"] == "798"
    assert run["taxonomies"][0]["taxa"][0]["id"] == "798"
    first = run["results"][0]
    uris = [loc["physicalLocation"]["artifactLocation"] for loc in first["locations"]]
    assert uris == [
        {"uri": ".git-credentials", "uriBaseId": "HOME"},
        {"uri": "work/my%20app/config.py", "uriBaseId": "HOME"},
    ]  # present locations only; spaces percent-encoded
    assert first["locations"][1]["physicalLocation"]["region"] == {"startLine": 12}
    assert first["partialFingerprints"]["desktopAuditFindingId/v1"] == "0f" * 16
    assert run["originalUriBaseIds"]["HOME"]["uri"] == "file:///home/jdoe/"
    keychain = run["results"][1]["locations"][0]
    assert keychain["logicalLocations"] == [{"name": "=aws-cli", "kind": "resource"}]
    outside = run["results"][2]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert outside == {"uri": "file:///etc/hosts"}


def test_golden(document: dict[str, Any]) -> None:
    check_golden("findings.sarif.json", sarif.dumps(document))
