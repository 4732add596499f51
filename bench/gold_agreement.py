"""Inter-annotator agreement: on the held-out gold split, and on the development splits.

A second annotator labelled the held-out turns blind (text, role and context only,
from the annotation guide and RATIONALE.md), into tests/gold/agreement/. This prints
per-label F1 and macro-F1 of one annotation against the other, on all turns and on
the turns RATIONALE.md does not cite (a cited turn's convention was visible to the
second annotator, so agreement there is not blind). Then, for the development splits, the
writers' labels and the blind re-annotations of tests/gold/blind/ and blind2/ (other annotators,
who saw the guide and RATIONALE.md but neither the writers' labels, each other's nor the engine),
pair by pair; in the reader splits (``READER_SPLITS``: the writers gave no labels), the first
reader (the split's labels) against the second (``blind/``).

    .venv/bin/python bench/gold_agreement.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from miroir.language import LABELS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "gold"))
from goldspec import READER_SPLITS  # noqa: E402

GOLD = Path(__file__).resolve().parents[1] / "tests" / "gold"


def _labels(path: Path) -> dict[str, set[str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["id"]: set(r["labels"]) for r in rows}


def f1_per_label(a: dict[str, set[str]], b: dict[str, set[str]], ids: list[str]) -> dict[str, float]:
    out = {}
    for lab in LABELS:
        tp = sum(lab in a[i] and lab in b[i] for i in ids)
        fp = sum(lab not in a[i] and lab in b[i] for i in ids)
        fn = sum(lab in a[i] and lab not in b[i] for i in ids)
        out[lab] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return out


def main() -> None:
    rationale = (GOLD / "RATIONALE.md").read_text(encoding="utf-8")
    for lang in ("en", "fr"):
        first = _labels(GOLD / f"{lang}_heldout.jsonl")
        second = _labels(GOLD / "agreement" / f"{lang}_heldout_second.jsonl")
        assert set(first) == set(second), f"{lang}: the two annotations cover different turns"
        cited = {f"{lang}-heldout-{m}" for m in re.findall(rf"(?:{lang}-)?heldout-(\d{{4}})", rationale)}
        for name, ids in (("all turns", sorted(first)), ("not cited in RATIONALE.md",
                                                          sorted(set(first) - cited))):
            f1 = f1_per_label(first, second, ids)
            print(f"\n== {lang} held-out, {name} ({len(ids)} turns): macro-F1 {sum(f1.values()) / len(f1):.3f}")
            print("  " + "  ".join(f"{k} {v:.2f}" for k, v in f1.items()))
        # the development splits: the writers' labels and the blind re-annotations of tests/gold/blind*/
        # (other annotators, who saw neither the writers' labels nor each other's), pair by pair; in the
        # reader splits (READER_SPLITS) the split's labels are a first reader's and blind/ a second reader's
        notes: dict[str, dict[str, set[str]]] = {"writer": {}, "reader 1": {}}
        for folder in ("blind", "blind2"):
            for path in sorted((GOLD / folder).glob(f"{lang}_*.jsonl")):
                split = path.stem.split("_", 1)[1]
                if split in READER_SPLITS:
                    notes["reader 1"].update(_labels(GOLD / path.name))
                    notes.setdefault("reader 2", {}).update(_labels(path))
                    continue
                notes.setdefault(folder, {}).update(_labels(path))
                notes["writer"].update(_labels(GOLD / path.name))
        for a, b in (("writer", "blind"), ("writer", "blind2"), ("blind", "blind2"), ("reader 1", "reader 2")):
            ids = sorted(set(notes.get(a, {})) & set(notes.get(b, {})))
            if not ids:
                continue
            f1 = f1_per_label(notes[a], notes[b], ids)
            print(f"\n== {lang} development splits, {a} vs {b} ({len(ids)} turns): "
                  f"macro-F1 {sum(f1.values()) / len(f1):.3f}")
            print("  " + "  ".join(f"{k} {v:.2f}" for k, v in f1.items()))


if __name__ == "__main__":
    main()
