"""The engine runs on the public sample transcripts (AMI meetings in English,
DiaBLa French turns) without error, with plausible question counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from miroir.language import annotate_batch

EXTERNAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "external"


def _ami_turns() -> list[str]:
    files = sorted((EXTERNAL / "qmsum-ami-meetings").glob("*.json"))
    if not files:
        pytest.skip(f"AMI sample not found under {EXTERNAL}")
    return [t["content"] for f in files for t in json.loads(f.read_text(encoding="utf-8"))["meeting_transcripts"]]


def test_ami_questions_are_plausible() -> None:
    turns = _ami_turns()
    anns = annotate_batch([(t, "en", "other", "other") for t in turns], n_jobs=1)
    assert len(anns) == len(turns) > 1000
    with_mark = sum("?" in t for t in turns)
    asked = sum("question" in a.labels for a in anns)
    # every turn with a question mark is a question, plus a few interrogatives without one
    assert with_mark <= asked <= with_mark * 1.25
    for text, ann in zip(turns, anns, strict=True):
        for spans in ann.spans.values():
            assert all(0 <= s < e <= len(text) for s, e in spans)


def test_diabla_french_turns() -> None:
    files = sorted((EXTERNAL / "diabla-en-fr-dialogues").glob("*.json"))
    if not files:
        pytest.skip("DiaBLa sample not found")
    turns = [u["original_text"] for f in files for u in json.loads(f.read_text(encoding="utf-8"))["utterances"].values()
             if u["language"] == "french"]
    anns = annotate_batch(turns, n_jobs=1)  # language detected
    assert len(anns) == len(turns) > 40
    assert sum(a.lang == "fr" for a in anns) >= 0.85 * len(turns)
    asked = sum("question" in a.labels for a in anns)
    assert asked >= sum(t.rstrip().endswith("?") for t in turns) > 0
