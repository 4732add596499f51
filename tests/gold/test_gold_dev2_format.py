"""Validate the second development gold set (tests/gold/{en,fr}_dev2.jsonl).

Same line format and conventions as the first dev set (see README.md and
RATIONALE.md); this test checks the format and minimum coverage of the dev2 files
only. Run it directly to print their label counts:

    .venv/bin/python tests/gold/test_gold_dev2_format.py --table
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

from goldspec import CONTEXTS, LABELS, LANGS, OPTIONAL_KEYS, REQUIRED_KEYS, ROLES  # noqa: E402

SPLIT = "dev2"

MIN_ROWS_PER_LANG = 250
MIN_POSITIVES_PER_LABEL = 12
MIN_UNLABELLED_SHARE = 0.15


@dataclass(frozen=True)
class Dev2Row:
    line: int
    id: str
    text: str
    lang: str
    role: str
    context: str
    labels: tuple[str, ...]


def dev2_path(lang: str) -> Path:
    return GOLD_DIR / f"{lang}_{SPLIT}.jsonl"


def parse_line(raw: str, lang: str, where: str) -> Dev2Row:
    """Parse one JSONL line; raise AssertionError naming file:line on any problem."""
    assert raw.strip(), f"{where}: blank line (one JSON object per line expected)"
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"{where}: invalid JSON: {exc}") from exc
    assert isinstance(obj, dict), f"{where}: line is not a JSON object"
    keys = set(obj)
    assert not (missing := REQUIRED_KEYS - keys), f"{where}: missing keys {sorted(missing)}"
    assert not (extra := keys - REQUIRED_KEYS - OPTIONAL_KEYS), f"{where}: unexpected keys {sorted(extra)}"
    for key in ("id", "text", "lang", "role", "context"):
        assert isinstance(obj[key], str), f"{where}: {key!r} must be a string"
    assert re.fullmatch(rf"{lang}-{SPLIT}-\d{{4}}", obj["id"]), f"{where}: bad id {obj['id']!r}"
    text = obj["text"]
    assert text.strip() and text == text.strip(), f"{where}: text empty or padded with spaces"
    assert obj["lang"] == lang, f"{where}: lang {obj['lang']!r} but file is {lang}"
    assert obj["role"] in ROLES, f"{where}: role {obj['role']!r} not in {sorted(ROLES)}"
    assert obj["context"] in CONTEXTS, f"{where}: context {obj['context']!r} not in {sorted(CONTEXTS)}"
    labels = obj["labels"]
    assert isinstance(labels, list) and all(isinstance(x, str) for x in labels), (
        f"{where}: labels must be a list of strings"
    )
    assert not (unknown := set(labels) - set(LABELS)), f"{where}: unknown labels {sorted(unknown)}"
    assert labels == sorted(set(labels)), f"{where}: labels must be sorted and unique"
    assert "open_question" not in labels or "question" in labels, f"{where}: open_question without question"
    rationale = obj.get("rationale")
    assert rationale is None or (isinstance(rationale, str) and rationale.strip()), (
        f"{where}: rationale, when present, must be a non-empty string"
    )
    return Dev2Row(0, obj["id"], text, lang, obj["role"], obj["context"], tuple(labels))


def load_dev2(lang: str) -> list[Dev2Row]:
    path = dev2_path(lang)
    assert path.is_file(), f"missing gold file {path}"
    rows: list[Dev2Row] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        row = parse_line(raw, lang, f"{path.name}:{n}")
        rows.append(Dev2Row(n, row.id, row.text, row.lang, row.role, row.context, row.labels))
    return rows


def count_table() -> str:
    counts = {lang: Counter(lb for r in load_dev2(lang) for lb in r.labels) for lang in LANGS}
    rows = {lang: load_dev2(lang) for lang in LANGS}
    lines = ["| label | " + " | ".join(f"{lang} {SPLIT}" for lang in LANGS) + " |", "|---|---|---|"]
    lines += [f"| {lb} | " + " | ".join(str(counts[lang][lb]) for lang in LANGS) + " |" for lb in LABELS]
    lines.append("| (no label) | " + " | ".join(str(sum(not r.labels for r in rows[lg])) for lg in LANGS) + " |")
    lines.append("| **utterances** | " + " | ".join(str(len(rows[lg])) for lg in LANGS) + " |")
    return "\n".join(lines)


# --- checks of the validator itself, on inline lines ---------------------------------


def _line(**overrides: object) -> str:
    obj: dict[str, object] = {
        "id": "en-dev2-0001",
        "text": "Who signs on your side?",
        "lang": "en",
        "role": "rep",
        "context": "customer_call",
        "labels": ["decision_maker", "open_question", "question"],
    }
    obj.update(overrides)
    return json.dumps(obj)


def test_validator_accepts_a_good_line() -> None:
    row = parse_line(_line(), "en", "inline")
    assert row.labels == ("decision_maker", "open_question", "question")


@pytest.mark.parametrize(
    "overrides",
    [
        {"labels": ["open_question"]},
        {"labels": ["question", "decision_maker"]},
        {"labels": ["question", "question"]},
        {"labels": ["questions"]},
        {"role": "ceo"},
        {"context": "demo"},
        {"lang": "fr"},
        {"id": "en-dev-0001"},
        {"text": " padded "},
        {"rationale": ""},
        {"extra": 1},
    ],
)
def test_validator_rejects_bad_lines(overrides: dict[str, object]) -> None:
    with pytest.raises(AssertionError):
        parse_line(_line(**overrides), "en", "inline")


# --- the dev2 files --------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_dev2_file_is_valid(lang: str) -> None:
    rows = load_dev2(lang)
    ids = [r.id for r in rows]
    dupes = [i for i, c in Counter(ids).items() if c > 1]
    assert not dupes, f"duplicate ids in {lang}_{SPLIT}.jsonl: {dupes}"
    assert ids == [f"{lang}-{SPLIT}-{i:04d}" for i in range(1, len(rows) + 1)], "ids must be sequential"
    assert {r.context for r in rows} == CONTEXTS


@pytest.mark.parametrize("lang", LANGS)
def test_dev2_minimum_counts(lang: str) -> None:
    rows = load_dev2(lang)
    assert len(rows) >= MIN_ROWS_PER_LANG, f"{lang}: {len(rows)} rows"
    counts = Counter(lb for r in rows for lb in r.labels)
    weak = {lb: counts[lb] for lb in LABELS if counts[lb] < MIN_POSITIVES_PER_LABEL}
    assert not weak, f"{lang}_{SPLIT}: labels below {MIN_POSITIVES_PER_LABEL} positives: {weak}"
    unlabelled = sum(1 for r in rows if not r.labels) / len(rows)
    assert unlabelled >= MIN_UNLABELLED_SHARE, f"{lang}: only {unlabelled:.0%} turns without label"


@pytest.mark.parametrize("lang", LANGS)
def test_dev2_texts_are_unique_and_new(lang: str) -> None:
    """No repeated utterance inside dev2, and none copied from the first dev file."""

    def norm(text: str) -> str:
        return re.sub(r"\W+", " ", text.casefold()).strip()

    texts = [norm(r.text) for r in load_dev2(lang)]
    repeated = [t for t, c in Counter(texts).items() if c > 1]
    assert not repeated, f"{lang}_{SPLIT}: repeated utterances {repeated}"
    dev_path = GOLD_DIR / f"{lang}_dev.jsonl"
    dev = {norm(json.loads(raw)["text"]) for raw in dev_path.read_text(encoding="utf-8").splitlines()}
    copied = [t for t in texts if t in dev]
    assert not copied, f"{lang}_{SPLIT}: utterances copied from {dev_path.name}: {copied}"


if __name__ == "__main__":
    if "--table" in sys.argv:
        print(count_table())
    else:
        sys.exit(pytest.main([__file__, "-q"]))
