"""findings.json validates against the JSON Schema kept in the package."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from .sample import sample_doc


def schema() -> dict[str, Any]:
    text = resources.files("miroir").joinpath("schemas", "findings.schema.json").read_text(encoding="utf-8")
    s: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(s)
    return s


def test_sample_doc_validates_and_links_resolve() -> None:
    doc = json.loads(json.dumps(sample_doc()))  # exactly what findings.json holds
    jsonschema.validate(doc, schema(), cls=jsonschema.Draft202012Validator)
    ids = {f["id"] for f in doc["findings"]}
    assert 2 <= len(doc["optimizing_for"]) <= 5
    for o in doc["optimizing_for"]:
        assert set(o["finding_ids"]) <= ids


def test_pseudonymised_doc_validates() -> None:
    from miroir.report.pseudonymise import pseudonymise_doc

    from .sample import sample_store

    doc = pseudonymise_doc(json.loads(json.dumps(sample_doc())), sample_store())
    jsonschema.validate(doc, schema(), cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(("path", "bad"), [
    (("findings", 0, "scope", "level"), "country"),
    (("findings", 0, "confidence"), 1.5),
    (("findings", 0, "id"), "7"),
    (("findings", 0, "n"), -1),
    (("findings", 0, "evidence", 0), {"type": "deal"}),
    (("findings", 0, "evidence", 3), {"type": "utterance", "conversation_id": "C-1"}),
    (("schema_version",), 2),
])
def test_schema_rejects_broken_docs(path: tuple[Any, ...], bad: Any) -> None:
    doc = copy.deepcopy(json.loads(json.dumps(sample_doc())))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema(), cls=jsonschema.Draft202012Validator)


def test_doc_from_build_doc_validates() -> None:
    """The lead's diagnose.build_doc output (on an empty outcome) matches the schema too."""
    from pathlib import Path

    from miroir.diagnose import build_doc
    from miroir.lenses.runner import RunOutcome
    from miroir.store.schema import memory_store

    doc = json.loads(json.dumps(build_doc(memory_store(), Path("/x"), RunOutcome(), [], []), default=str))
    jsonschema.validate(doc, schema(), cls=jsonschema.Draft202012Validator)
