"""Validate the blind re-annotations of the development splits (tests/gold/blind/, blind2/).

Each file ``blind*/{lang}_{split}.jsonl`` holds, for turns of ``{lang}_{split}.jsonl``, the labels
another annotator gave without seeing the writer's (or the other re-annotation): one
``{"id", "labels"}`` object per line, in the split's order. The held-out split never has one here (its second annotation is in
``agreement/`` and is never used for training).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GOLD_DIR = Path(__file__).resolve().parent
BLIND_DIRS = (GOLD_DIR / "blind", GOLD_DIR / "blind2")

from goldspec import LABELS, LANGS, READER_SPLITS  # noqa: E402

FILES = sorted(p for d in BLIND_DIRS for p in d.glob("*.jsonl"))


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("folder", BLIND_DIRS, ids=[d.name for d in BLIND_DIRS])
def test_every_development_split_has_a_blind_annotation(folder: Path) -> None:
    names = {p.name for p in folder.glob("*.jsonl")}
    for lang in LANGS:
        for split in [p.name.split("_", 1)[1][:-6] for p in GOLD_DIR.glob(f"{lang}_*.jsonl")]:
            if split == "heldout":
                assert f"{lang}_{split}.jsonl" not in names, "the held-out split is never annotated for training"
            elif split in READER_SPLITS:  # labelled by a reader already: a second reader in blind/, if any
                assert folder.name == "blind" or f"{lang}_{split}.jsonl" not in names
            else:
                assert f"{lang}_{split}.jsonl" in names, f"{folder.name}/{lang}_{split}.jsonl is missing"


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_blind_file_matches_its_split(path: Path) -> None:
    split_path = GOLD_DIR / path.name
    assert split_path.is_file(), f"{path.name}: no split {split_path.name} next to it"
    order = {r["id"]: i for i, r in enumerate(_rows(split_path))}
    last = -1
    for n, row in enumerate(_rows(path), start=1):
        where = f"{path.parent.name}/{path.name}:{n}"
        assert set(row) == {"id", "labels"}, f"{where}: keys must be id and labels, got {sorted(row)}"
        assert row["id"] in order, f"{where}: id {row['id']!r} is not in {split_path.name}"
        assert order[row["id"]] > last, f"{where}: ids must follow the split's order"  # type: ignore[index]
        last = order[row["id"]]  # type: ignore[index]
        labels = row["labels"]
        assert isinstance(labels, list) and labels == sorted(set(labels)), f"{where}: labels must be sorted, unique"
        assert set(labels) <= set(LABELS), f"{where}: unknown labels {sorted(set(labels) - set(LABELS))}"
        if "open_question" in labels:
            assert "question" in labels, f"{where}: open_question without question"
