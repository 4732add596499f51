"""Precision / recall / F1 per label and macro-F1 per language on the gold set.

    .venv/bin/python bench/language_accuracy.py [--split heldout|dev|dev3|...] [--rules-only] [--errors LABEL]

Reads tests/gold/{fr,en}_{dev,dev2,dev3,heldout}.jsonl (dev2: a second development split; dev3: a
third split written later, scored but never inspected row by row) (turn-level labels; role and
context passed to the engine). The held-out split is the independent test:
the engine is never tuned on it. ``--reference second`` scores the held-out split against its
blind second annotation instead; ``--bootstrap N`` adds a 95 % interval of the macro-F1.
``--errors`` lists dev mistakes for a label (never held-out ones).
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

from miroir.language import LABELS, annotate

GOLD = Path(__file__).resolve().parents[1] / "tests" / "gold"


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load(lang: str, split: str) -> list[dict[str, object]]:
    return load_path(GOLD / f"{lang}_{split}.jsonl")


def load_path(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def macro_f1(pairs: list[tuple[set[str], set[str]]]) -> float:
    """Macro-F1 of (gold, predicted) label sets (a label with no gold and no prediction scores 0)."""
    total = 0.0
    for label in LABELS:
        tp = sum(1 for g, p in pairs if label in g and label in p)
        fp = sum(1 for g, p in pairs if label not in g and label in p)
        fn = sum(1 for g, p in pairs if label in g and label not in p)
        total += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return total / len(LABELS)


def bootstrap_interval(preds: list[tuple[dict[str, object], set[str]]], n: int, seed: int = 2026
                       ) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of the macro-F1 over ``n`` resamples of the turns."""
    rng = random.Random(seed)
    pairs = [(set(row["labels"]), pred) for row, pred in preds]  # type: ignore[call-overload]
    stats = sorted(macro_f1([pairs[rng.randrange(len(pairs))] for _ in pairs]) for _ in range(n))
    return stats[int(0.025 * (n - 1))], stats[int(0.975 * (n - 1))]


def evaluate(rows: list[dict[str, object]], learned: bool = True
             ) -> tuple[dict[str, Score], list[tuple[dict[str, object], set[str]]]]:
    scores = {label: Score() for label in LABELS}
    preds = []
    for row in rows:
        ann = annotate(str(row["text"]), str(row["lang"]), row.get("role"), row.get("context"),  # type: ignore[arg-type]
                       learned=learned)
        gold = set(row["labels"])  # type: ignore[call-overload]
        pred = set(ann.labels)
        preds.append((row, pred))
        for label in LABELS:
            s = scores[label]
            if label in pred and label in gold:
                s.tp += 1
            elif label in pred:
                s.fp += 1
            elif label in gold:
                s.fn += 1
    return scores, preds


def print_table(title: str, scores: dict[str, Score]) -> float:
    print(f"\n{title}")
    print(f"{'label':<18} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for label in LABELS:
        s = scores[label]
        print(f"{label:<18} {s.precision:6.2f} {s.recall:6.2f} {s.f1:6.2f} {s.tp:4d} {s.fp:4d} {s.fn:4d}")
    macro = sum(s.f1 for s in scores.values()) / len(scores)
    print(f"{'macro-F1':<18} {'':>6} {'':>6} {macro:6.3f}")
    return macro


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--split", choices=["heldout", "dev", "dev2", "dev3", "dev4", "both", "independent"], default="dev",
                    help="default dev; held-out scores only when asked for (heldout, both = dev + heldout, independent = dev3 + heldout)")
    ap.add_argument("--errors", metavar="LABEL", help="list development errors for this label")
    ap.add_argument("--errors-splits", default="dev,dev2",
                    help="development splits whose errors --errors lists (default dev,dev2; never heldout/dev3)")
    ap.add_argument("--lang", choices=["fr", "en"], help="only this language")
    ap.add_argument("--rules-only", action="store_true", help="the rules alone, without the learned layer")
    ap.add_argument("--reference", choices=["writer", "second"], default="writer",
                    help="score against the split's own labels (default) or, for the held-out split, against its "
                         "blind second annotation (tests/gold/agreement/)")
    ap.add_argument("--bootstrap", type=int, default=0, metavar="N",
                    help="also print a 95 %% interval of the macro-F1 (N resamples of the turns)")
    args = ap.parse_args()
    langs = [args.lang] if args.lang else ["fr", "en"]
    if args.errors:
        err_splits = [x for x in args.errors_splits.split(",") if x]
        if {"heldout", "dev3"} & set(err_splits):
            ap.error("errors are listed for development splits only: the held-out and dev3 splits measure "
                     "generalisation and are never inspected row by row")
        for lang in langs:
            rows = [row for sp in err_splits for row in load(lang, sp)]
            _scores, preds = evaluate(rows, not args.rules_only)
            for row, pred in preds:
                gold = set(row["labels"])  # type: ignore[call-overload]
                if (args.errors in gold) != (args.errors in pred):
                    kind = "FN" if args.errors in gold else "FP"
                    print(f"{kind} {row['id']} [{row.get('role')}/{row.get('context')}] {row['text']}")
        return
    splits = {"both": ["dev", "heldout"], "independent": ["dev3", "heldout"]}.get(args.split, [args.split])
    summary = []
    for split in splits:
        for lang in langs:
            rows = load(lang, split)
            if args.reference == "second":
                if split != "heldout":
                    ap.error("--reference second exists for the held-out split only")
                second = {r["id"]: r["labels"] for r in load_path(GOLD / "agreement" / f"{lang}_heldout_second.jsonl")}
                rows = [{**row, "labels": second[row["id"]]} for row in rows]  # type: ignore[index]
            scores, preds = evaluate(rows, not args.rules_only)
            macro = print_table(f"== {lang} {split} ({len(rows)} utterances, {args.reference} labels)", scores)
            if args.bootstrap:
                lo, hi = bootstrap_interval(preds, args.bootstrap)
                print(f"macro-F1 95 % interval (turn bootstrap, {args.bootstrap} resamples): {lo:.3f} to {hi:.3f}")
            summary.append((lang, split, macro))
    print("\nmacro-F1: " + ", ".join(f"{lang} {split} {m:.3f}" for lang, split, m in summary))


if __name__ == "__main__":
    main()
