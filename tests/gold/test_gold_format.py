"""Validate the gold annotation set (tests/gold/{en,fr}_{dev,dev2,...,dev14,heldout}.jsonl).

The files are hand-written from ../shared/annotation-guide.md. This test checks
their format and minimum coverage, not the engine. Run it directly to print the
label-count table pasted in README.md:

    .venv/bin/python tests/gold/test_gold_format.py --table
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

GOLD_DIR = Path(__file__).resolve().parent

from goldspec import (  # noqa: E402
    CONTEXTS,
    LABELS,
    LANGS,
    ONE_LANGUAGE,
    OPTIONAL_KEYS,
    READER_SPLITS,
    REQUIRED_KEYS,
    ROLES,
)

SPLITS: tuple[str, ...] = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9", "dev10", "dev11", "dev12",
                              "dev13", "dev14", "dev15", "dev16", "dev17", "dev18", "dev19", "dev20", "dev21", "dev22", "heldout")
DEV_SPLITS: tuple[str, ...] = SPLITS[:-1]
# (lang, split) of every gold file: both languages of every split but the ONE_LANGUAGE ones
PAIRS: tuple[tuple[str, str], ...] = tuple(
    (lang, split) for lang in ("en", "fr") for split in SPLITS
    if (lang, split) in ONE_LANGUAGE or not any(s == split for _, s in ONE_LANGUAGE))

MIN_UTTERANCES_PER_LANG = 300
MIN_POSITIVES_PER_LABEL_PER_LANG = 15
MIN_UNLABELLED_SHARE = 0.15
# each split alone must be usable as a measure: enough rows and positives of every label
MIN_ROWS_PER_SPLIT = 200
MIN_POSITIVES_PER_LABEL_PER_SPLIT = 10
# acknowledgements ("Ok.", "D'accord, merci.") recur in every conversation; a turn this short
# carries no wording to leak, so it may appear both in a dev split and in the held-out one
MIN_WORDS_FOR_LEAK_CHECK = 4


@dataclass(frozen=True)
class GoldRow:
    file: str
    line: int
    id: str
    text: str
    lang: str
    role: str
    context: str
    labels: tuple[str, ...]
    rationale: str | None


def gold_path(lang: str, split: str) -> Path:
    return GOLD_DIR / f"{lang}_{split}.jsonl"


def _fail(path: Path, line: int, msg: str) -> None:
    pytest.fail(f"{path.name}:{line}: {msg}")


def load_rows(lang: str, split: str) -> list[GoldRow]:
    """Parse and validate one gold file; fail with file:line on any problem."""
    path = gold_path(lang, split)
    if not path.is_file():
        pytest.fail(f"missing gold file {path}")
    rows: list[GoldRow] = []
    id_re = re.compile(rf"^{lang}-{split}-\d{{4}}$")
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            _fail(path, n, "blank line (one JSON object per line expected)")
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            _fail(path, n, f"invalid JSON: {exc}")
        if not isinstance(obj, dict):
            _fail(path, n, "line is not a JSON object")
        keys = set(obj)
        if missing := REQUIRED_KEYS - keys:
            _fail(path, n, f"missing keys {sorted(missing)}")
        if extra := keys - REQUIRED_KEYS - OPTIONAL_KEYS:
            _fail(path, n, f"unexpected keys {sorted(extra)}")
        for key in ("id", "text", "lang", "role", "context"):
            if not isinstance(obj[key], str):
                _fail(path, n, f"{key!r} must be a string")
        if not id_re.match(obj["id"]):
            _fail(path, n, f"id {obj['id']!r} does not match {lang}-{split}-NNNN")
        text = obj["text"]
        if not text.strip() or text != text.strip():
            _fail(path, n, "text must be non-empty and without leading/trailing spaces")
        if obj["lang"] != lang:
            _fail(path, n, f"lang {obj['lang']!r} but file is {lang}")
        if obj["role"] not in ROLES:
            _fail(path, n, f"role {obj['role']!r} not in {sorted(ROLES)}")
        if obj["context"] not in CONTEXTS:
            _fail(path, n, f"context {obj['context']!r} not in {sorted(CONTEXTS)}")
        labels = obj["labels"]
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            _fail(path, n, "labels must be a list of strings")
        if unknown := set(labels) - set(LABELS):
            _fail(path, n, f"unknown labels {sorted(unknown)}")
        if labels != sorted(set(labels)):
            _fail(path, n, "labels must be sorted and unique")
        if "open_question" in labels and "question" not in labels:
            _fail(path, n, "open_question without question")
        rationale = obj.get("rationale")
        if rationale is not None and (not isinstance(rationale, str) or not rationale.strip()):
            _fail(path, n, "rationale, when present, must be a non-empty string")
        rows.append(
            GoldRow(
                path.name, n, obj["id"], text, lang, obj["role"], obj["context"], tuple(labels), rationale
            )
        )
    if not rows:
        pytest.fail(f"{path.name} is empty")
    return rows


def label_counts(rows: list[GoldRow]) -> Counter[str]:
    return Counter(label for row in rows for label in row.labels)


def count_table() -> str:
    """Markdown table: positives per label, per language and split (pasted in README.md)."""
    data = {(lang, split): load_rows(lang, split) for lang, split in PAIRS}
    cols = list(PAIRS)
    header = "| label | " + " | ".join(f"{lang} {split}" for lang, split in cols) + " | en total | fr total |"
    sep = "|---" * (len(cols) + 3) + "|"
    lines = [header, sep]
    counts = {key: label_counts(rows) for key, rows in data.items()}
    for label in LABELS:
        cells = [str(counts[key][label]) for key in cols]
        totals = [str(sum(counts[(lg, s)][label] for lg, s in PAIRS if lg == lang)) for lang in LANGS]
        lines.append(f"| {label} | " + " | ".join(cells + totals) + " |")
    none = [str(sum(1 for r in data[key] if not r.labels)) for key in cols]
    none_tot = [str(sum(1 for lg, s in PAIRS if lg == lang for r in data[(lg, s)] if not r.labels)) for lang in LANGS]
    lines.append("| (no label) | " + " | ".join(none + none_tot) + " |")
    n = [str(len(data[key])) for key in cols]
    n_tot = [str(sum(len(data[(lg, s)]) for lg, s in PAIRS if lg == lang)) for lang in LANGS]
    lines.append("| **utterances** | " + " | ".join(n + n_tot) + " |")
    return "\n".join(lines)


@pytest.mark.parametrize(("lang", "split"), PAIRS)
def test_file_is_valid(lang: str, split: str) -> None:
    rows = load_rows(lang, split)
    ids = [r.id for r in rows]
    dupes = [i for i, c in Counter(ids).items() if c > 1]
    assert not dupes, f"duplicate ids in {lang}_{split}.jsonl: {dupes}"
    # ids are numbered in file order, so a reader can find a row from its id
    assert ids == [f"{lang}-{split}-{i:04d}" for i in range(1, len(rows) + 1)]
    # every context appears in every file (but the training-only reader splits, each on one theme)
    if split not in READER_SPLITS:
        assert {r.context for r in rows} == CONTEXTS
    else:
        assert {r.context for r in rows} <= CONTEXTS


@pytest.mark.parametrize("lang", LANGS)
def test_minimum_counts_per_language(lang: str) -> None:
    rows = [r for lg, split in PAIRS if lg == lang for r in load_rows(lang, split)]
    assert len(rows) >= MIN_UTTERANCES_PER_LANG, f"{lang}: {len(rows)} utterances"
    counts = label_counts(rows)
    weak = {label: counts[label] for label in LABELS if counts[label] < MIN_POSITIVES_PER_LABEL_PER_LANG}
    assert not weak, f"{lang}: labels below {MIN_POSITIVES_PER_LABEL_PER_LANG} positives: {weak}"
    unlabelled = sum(1 for r in rows if not r.labels) / len(rows)
    assert unlabelled >= MIN_UNLABELLED_SHARE, f"{lang}: only {unlabelled:.0%} turns without label"


@pytest.mark.parametrize(("lang", "split"), PAIRS)
def test_minimum_counts_per_split(lang: str, split: str) -> None:
    rows = load_rows(lang, split)
    assert len(rows) >= MIN_ROWS_PER_SPLIT, f"{lang}_{split}: {len(rows)} utterances"
    if split in READER_SPLITS:  # training data on one theme each, not a measure on its own
        return
    counts = label_counts(rows)
    weak = {label: counts[label] for label in LABELS if counts[label] < MIN_POSITIVES_PER_LABEL_PER_SPLIT}
    assert not weak, f"{lang}_{split}: labels below {MIN_POSITIVES_PER_LABEL_PER_SPLIT} positives: {weak}"


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


@pytest.mark.parametrize(("lang", "split"), [p for p in PAIRS if p[1] != "heldout"])
def test_heldout_does_not_repeat_dev(lang: str, split: str) -> None:
    dev = {_norm(r.text) for r in load_rows(lang, split)}
    leaked = [r.id for r in load_rows(lang, "heldout")
              if len(_norm(r.text).split()) >= MIN_WORDS_FOR_LEAK_CHECK and _norm(r.text) in dev]
    assert not leaked, f"held-out utterances identical to {split} ones: {leaked}"


def test_every_gold_file_is_listed() -> None:
    on_disk = {tuple(p.name[:-len(".jsonl")].split("_", 1)) for p in GOLD_DIR.glob("*_*.jsonl")}
    assert on_disk == set(PAIRS), f"gold files not in SPLITS / ONE_LANGUAGE: {sorted(on_disk ^ set(PAIRS))}"


def test_ids_unique_across_files() -> None:
    ids = [r.id for lang, split in PAIRS for r in load_rows(lang, split)]
    assert len(ids) == len(set(ids))


def test_readme_table_is_current() -> None:
    readme = (GOLD_DIR / "README.md").read_text(encoding="utf-8")
    assert count_table() in readme, (
        "README.md label table is stale: regenerate it with "
        "`.venv/bin/python tests/gold/test_gold_format.py --table` and paste it"
    )


if __name__ == "__main__":
    if "--table" in sys.argv:
        print(count_table())
    else:
        sys.exit(pytest.main([__file__, "-q"]))
