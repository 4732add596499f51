"""Train the learned layer (``src/miroir/language/data/learned_<lang>.json``) on the gold splits.

    .venv/bin/python bench/train_learned.py [--lang fr|en] [--write]

Training turns: ``tests/gold/<lang>_{dev,dev2,dev4,dev5,...,dev22}.jsonl`` (dev19-dev22 in English only), plus the annotation guide's
own examples (``tests/language/test_guide_examples.py``), each weighted ``GUIDE_WEIGHT`` for its one
label (the guide does not give their other labels). Features: the rule
engine's 16 labels and its sentence markers (rules alone), word unigrams and bigrams seen twice or more,
the speaker's role and the conversation kind (``miroir.language.learned``). One L2-regularised
logistic regression per label (``fit_lr``).

Labels: each development turn has the writer's labels and blind re-annotations by other annotators
(``tests/gold/blind/``, ``tests/gold/blind2/``); ``--target`` says what the regression fits — by
default the share of annotators who gave each label (a soft label), so that a label the annotators
disagree on weighs half.

Chosen by 5-fold cross-validation on the training turns only (folds = whole conversations):
the regularisation (``--lams``), one probability threshold to add a label and one under which a
rule label is removed (the same for every label), and which labels the layer decides (those whose
out-of-fold F1 beats the rules'; never ``question``). Then the model is fitted on all training turns.

Printed: cross-validated and validation (dev3: aggregate scores only, never a row) macro-F1 of the
rules and of rules + layer, per label. The held-out split and the agreement files are never read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit

from miroir.language import LABELS
from miroir.language.batch import rule_pass
from miroir.language.engine import normalise
from miroir.language.learned import (
    CONTEXTS,
    ROLES,
    TOKEN_RE,
    LearnedModel,
    Vocabulary,
    _Index,
    blocked_additions,
    context_index,
    decide,
    design,
    marker_matrix,
    role_index,
    rule_matrix,
)
from miroir.language.lexicon import learned_path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "gold"
# the guide's own examples ("counts" / "does not count"), as listed by tests/language/test_guide_examples.py
sys.path.insert(0, str(ROOT / "tests" / "language"))
from test_guide_examples import COUNTS, DOES_NOT_COUNT  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "gold"))
from goldspec import ONE_LANGUAGE  # noqa: E402


def splits_of(lang: str, splits: tuple[str, ...]) -> tuple[str, ...]:
    """The splits that exist in ``lang`` (a split written in one language only is in ONE_LANGUAGE)."""
    only = {split for _, split in ONE_LANGUAGE}
    return tuple(s for s in splits if s not in only or (lang, s) in ONE_LANGUAGE)

# a guide example counts as this many turns, for its one label only (its other labels are unknown)
GUIDE_WEIGHT = 5.0
TRAIN_SPLITS = ("dev", "dev2", "dev4", *(f"dev{i}" for i in range(5, 23)))
EVAL_SPLIT = "dev3"
NEVER_DECIDED = ("question",)
THRESHOLDS = tuple(round(0.20 + 0.05 * i, 2) for i in range(9))
REMOVE_BELOW = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
N_FOLDS = 5
TARGETS = ("writer", "blind", "both", "blinds", "all", "majority")
# the blind re-annotations of the development splits (tests/gold/<dir>/<lang>_<split>.jsonl), in order
BLIND_DIRS = ("blind", "blind2")
DEFAULT_TARGET = "all"


@dataclass
class Data:
    lows: list[str]
    rules: np.ndarray
    roles: np.ndarray
    contexts: np.ndarray
    gold: np.ndarray
    conv: np.ndarray
    mask: np.ndarray  # (n, 16) weight of each (turn, label) in the loss; 0 = label unknown
    marks: list[set[str]]  # the rules' sentence markers of each turn
    others: np.ndarray  # (len(BLIND_DIRS), n, 16) the blind re-annotations; the writer's labels where none
    has_other: np.ndarray  # (len(BLIND_DIRS), n) whether the turn has that re-annotation

    def refs(self, kind: str) -> list[np.ndarray]:
        """The annotations a target is made of: the writer's, the first blind one, both, or all."""
        if kind == "writer":
            return [self.gold]
        if kind == "blind":
            return [self.others[0]]
        if kind == "both":
            return [self.gold, self.others[0]]
        if kind == "blinds":
            return list(self.others)
        return [self.gold, *self.others]

    def target(self, kind: str) -> np.ndarray:
        """What the regression fits: one annotation, the mean of several (a soft label), or
        the labels most annotators gave (``majority``)."""
        refs = self.refs(kind)
        if len(refs) == 1:
            return refs[0]
        # the mean over the annotations each turn has (a missing re-annotation does not count twice
        # the writer's labels it falls back to)
        present = {"both": [np.ones(len(self.gold), bool), self.has_other[0]], "blinds": list(self.has_other)}.get(
            kind, [np.ones(len(self.gold), bool), *self.has_other])
        weight = np.array(present, dtype=np.float64)[:, :, None]
        if kind == "blinds":  # a turn with no blind re-annotation keeps its writer's labels
            weight[0, ~self.has_other[0]] = 1.0
        mean = (np.array(refs, dtype=np.float64) * weight).sum(axis=0) / np.maximum(weight.sum(axis=0), 1.0)
        return mean > 0.5 if kind == "majority" else mean


def gold_rows(lang: str, split: str) -> list[dict]:  # type: ignore[type-arg]
    """The rows of ``tests/gold/<lang>_<split>.jsonl``."""
    path = GOLD / f"{lang}_{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load(lang: str, splits: tuple[str, ...]) -> Data:
    rows = []
    for split in splits_of(lang, splits):
        split_rows = gold_rows(lang, split)
        for k, folder in enumerate(BLIND_DIRS):
            again = GOLD / folder / f"{lang}_{split}.jsonl"
            if again.is_file():
                other = {r["id"]: r["labels"] for r in map(json.loads, again.read_text(encoding="utf-8").splitlines())}
                for r in split_rows:
                    if r["id"] in other:
                        r[f"blind{k}"] = other[r["id"]]
        rows += split_rows
    return _data(lang, rows, np.ones((len(rows), len(LABELS))))


# capitalised in English but words, not names
NOT_NAMES = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
                       "february", "march", "april", "may", "june", "july", "august", "september", "october",
                       "november", "december", "i", "i'm", "i'll", "i'd", "i've", "ok", "okay"})
_SENTENCE_END = frozenset('.!?…:;"«“(-–—')


def name_tokens(texts: list[str], share: float = 0.5) -> frozenset[str]:
    """Names of people, teams and companies the annotators invented (``Sébastien``, ``Nord``, ``Acme``):
    tokens written with a capital and the rest in lower case in at least ``share`` of their
    occurrences away from a sentence start, or, for a token only ever seen at a sentence start, in all
    of them. The layer leaves them out, so that a name never moves a label (a team called "Nord" must
    not look less inquisitive than the others)."""
    seen: Counter[str] = Counter()
    titled: Counter[str] = Counter()
    first: Counter[str] = Counter()  # at a sentence start (a capital anyway)
    first_titled: Counter[str] = Counter()
    for text in texts:
        for m in TOKEN_RE.finditer(text):
            tok = m.group()
            low = tok.lower()
            is_title = tok[:1].isupper() and tok[1:].isalpha() and tok[1:].islower()
            before = text[:m.start()].rstrip()
            if not before or before[-1] in _SENTENCE_END:
                first[low] += 1
                first_titled[low] += is_title
                continue
            seen[low] += 1
            titled[low] += is_title
    names = {t for t, n in seen.items() if titled[t] >= share * n}
    names |= {t for t, n in first.items() if t not in seen and first_titled[t] == n}
    return frozenset(names - NOT_NAMES)


def texts_of(lang: str, splits: tuple[str, ...]) -> list[str]:
    """The original (cased) texts of the training turns."""
    return [r["text"] for split in splits_of(lang, splits) for r in gold_rows(lang, split)]


def guide_examples(lang: str) -> Data:
    """The guide's examples of ``lang``: each one known for its own label only."""
    rows, mask = [], []
    col = {label: i for i, label in enumerate(LABELS)}
    for positive, table in ((True, COUNTS), (False, DOES_NOT_COUNT)):
        for label, lg, text, role, context in table:
            if lg != lang:
                continue
            rows.append({"id": f"guide-{len(rows)}", "text": text, "role": role, "context": context,
                         "labels": [label] if positive else []})
            m = np.zeros(len(LABELS))
            m[col[label]] = GUIDE_WEIGHT
            mask.append(m)
    return _data(lang, rows, np.array(mask))


def _data(lang: str, rows: list[dict], mask: np.ndarray) -> Data:  # type: ignore[type-arg]
    lows = [normalise(r["text"]) for r in rows]
    marks: list[set[str]] = [set() for _ in rows]
    results = rule_pass(lang, [r["text"] for r in rows], lows, [r.get("role") for r in rows],
                        [r.get("context") for r in rows], marks)
    gold = np.zeros((len(rows), len(LABELS)), dtype=bool)
    others = np.zeros((len(BLIND_DIRS), len(rows), len(LABELS)), dtype=bool)
    col = {label: i for i, label in enumerate(LABELS)}
    for i, r in enumerate(rows):
        for label in r["labels"]:
            gold[i, col[label]] = True
        for k in range(len(BLIND_DIRS)):
            for label in r.get(f"blind{k}", r["labels"]):
                others[k, i, col[label]] = True
    conv = np.zeros(len(rows), dtype=np.int64)
    for i in range(1, len(rows)):
        same = (rows[i]["id"].rsplit("-", 1)[0], rows[i]["context"]) == (rows[i - 1]["id"].rsplit("-", 1)[0],
                                                                         rows[i - 1]["context"])
        conv[i] = conv[i - 1] + (0 if same else 1)
    return Data(lows, rule_matrix(results) > 0, role_index([r.get("role") for r in rows]),
                context_index([r.get("context") for r in rows]), gold, conv, mask, marks, others,
                np.array([[f"blind{k}" in r for r in rows] for k in range(len(BLIND_DIRS))], dtype=bool))


def score(pred: np.ndarray, d: Data, target: str) -> np.ndarray:
    """Per-label F1 against the target's labels (``both``: the mean of the F1 against each)."""
    return np.mean([f1s(pred, ref) for ref in d.refs(target)], axis=0)


def f1s(pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
    tp = (pred & gold).sum(axis=0)
    fp = (pred & ~gold).sum(axis=0)
    fn = (~pred & gold).sum(axis=0)
    return np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)


def fit_lr(x: sp.csr_matrix, y: np.ndarray, lam: float, mask: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Minimise the sum of per-label log-losses (each weighted by ``mask``, default 1) +
    lam/2 * ||W||^2 (bias not penalised) by a truncated Newton method (exact Hessian-vector
    products); labels are independent, so one run over all of them is one run per label."""
    n, f = x.shape
    n_lab = y.shape[1]
    yf = y.astype(np.float64)
    mk = np.ones_like(yf) if mask is None else mask
    xt = x.T.tocsr()

    def fg(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: f * n_lab].reshape(f, n_lab)
        z = x @ w + theta[f * n_lab:]
        loss = float((mk * (np.logaddexp(0.0, z) - yf * z)).sum() + 0.5 * lam * (w * w).sum())
        g = mk * (expit(z) - yf)
        return loss, np.concatenate([(xt @ g + lam * w).ravel(), g.sum(axis=0)])

    def hessp(theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        p = expit(x @ theta[: f * n_lab].reshape(f, n_lab) + theta[f * n_lab:])
        vw = v[: f * n_lab].reshape(f, n_lab)
        u = mk * p * (1.0 - p) * (x @ vw + v[f * n_lab:])
        return np.concatenate([(xt @ u + lam * vw).ravel(), u.sum(axis=0)])

    res = minimize(fg, np.zeros(f * n_lab + n_lab), jac=True, hessp=hessp, method="trust-ncg",
                   options={"gtol": 1e-4, "maxiter": 200})
    return res.x[: f * n_lab].reshape(f, n_lab), res.x[f * n_lab:]


def x_of(index: _Index, d: Data, names: tuple[str, ...]) -> sp.csr_matrix:
    return design(index, d.lows, d.rules.astype(float), marker_matrix(d.marks, names, len(d.lows)), d.roles,
                  d.contexts)


def fit(index: _Index, d: Data, lam: float, names: tuple[str, ...], extra: Data | None = None,
        target: str = "writer") -> tuple[np.ndarray, np.ndarray]:
    """Fit on ``d`` (and ``extra``, e.g. the guide's examples, when given)."""
    if extra is not None:
        d = concat(d, extra)
    return fit_lr(x_of(index, d, names), d.target(target), lam, d.mask)


def concat(a: Data, b: Data) -> Data:
    return Data(a.lows + b.lows, np.vstack([a.rules, b.rules]), np.concatenate([a.roles, b.roles]),
                np.concatenate([a.contexts, b.contexts]), np.vstack([a.gold, b.gold]),
                np.concatenate([a.conv, b.conv + a.conv.max() + 1]), np.vstack([a.mask, b.mask]), a.marks + b.marks,
                np.concatenate([a.others, b.others], axis=1), np.concatenate([a.has_other, b.has_other], axis=1))


def proba(index: _Index, d: Data, w: np.ndarray, b: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x_of(index, d, names) @ w + b)))


def subset(d: Data, idx: np.ndarray) -> Data:
    return Data([d.lows[i] for i in idx], d.rules[idx], d.roles[idx], d.contexts[idx], d.gold[idx], d.conv[idx],
                d.mask[idx], [d.marks[i] for i in idx], d.others[:, idx], d.has_other[:, idx])


def cross_validate(index: _Index, d: Data, lam: float, extra: Data, names: tuple[str, ...], target: str = "writer"
                   ) -> np.ndarray:
    """Out-of-fold probabilities (folds = contiguous blocks of whole conversations; ``extra`` is
    in every training fold)."""
    n = len(d.lows)
    starts = np.searchsorted(d.conv, np.arange(d.conv.max() + 1))
    fold = np.minimum(N_FOLDS - 1, starts * N_FOLDS // n)[d.conv]
    out = np.zeros(d.gold.shape)
    for k in range(N_FOLDS):
        tr, te = np.nonzero(fold != k)[0], np.nonzero(fold == k)[0]
        w, b = fit(index, subset(d, tr), lam, names, extra, target)
        out[te] = proba(index, subset(d, te), w, b, names)
    return out


def choose_thresholds(d: Data, oof: np.ndarray, allowed: np.ndarray, rules_cv: np.ndarray, blocked: np.ndarray,
                      target: str) -> tuple[float, float, float, np.ndarray]:
    """The (add-from, remove-under) pair and the labels to decide (those whose out-of-fold F1 beats
    the rules') that give the best out-of-fold macro-F1: (macro-F1, threshold, remove_below, decided)."""
    best: tuple[float, float, float, np.ndarray] | None = None
    for thr in THRESHOLDS:
        for rem in REMOVE_BELOW:
            if rem > thr:
                continue
            per = score(decide(d.rules, oof, allowed, thr, rem, blocked), d, target)
            decided = allowed & (per > rules_cv)
            macro = float(score(decide(d.rules, oof, decided, thr, rem, blocked), d, target).mean())
            if best is None or macro > best[0]:  # on a tie the first pair (as THRESHOLDS, REMOVE_BELOW list them)
                best = (macro, thr, rem, decided)
    assert best is not None
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", choices=["fr", "en"])
    ap.add_argument("--lams", default="0.25,0.5,1,2", help="regularisation strengths tried by cross-validation")
    ap.add_argument("--write", action="store_true", help="write the model file(s)")
    ap.add_argument("--target", choices=TARGETS, default=DEFAULT_TARGET,
                    help="what the layer learns and is selected on: the writers' labels, the first blind "
                         "re-annotation, both, the blind re-annotations (blinds), all annotations (soft labels: the share of annotators who gave "
                         "the label; scored against each annotation, averaged) or their majority")
    args = ap.parse_args()
    lams = [float(x) for x in args.lams.split(",")]
    allowed = np.array([label not in NEVER_DECIDED for label in LABELS])
    for lang in [args.lang] if args.lang else ["fr", "en"]:
        train, val, guide = load(lang, TRAIN_SPLITS), load(lang, (EVAL_SPLIT,)), guide_examples(lang)
        excluded = name_tokens(texts_of(lang, TRAIN_SPLITS))
        vocab = Vocabulary.fit(train.lows + guide.lows, exclude=excluded)
        names = tuple(sorted(set().union(*train.marks, *guide.marks)))
        blocked = blocked_additions(marker_matrix(train.marks, names, len(train.lows)), names)
        index = _Index(vocab)
        rules_cv = score(train.rules, train, args.target)
        best: tuple[float, float, float, np.ndarray] | None = None
        for lam in lams:
            oof = cross_validate(index, train, lam, guide, names, args.target)
            macro, thr, rem, decided = choose_thresholds(train, oof, allowed, rules_cv, blocked, args.target)
            if best is None or macro > best[0]:
                best = (macro, lam, thr, rem, decided)
        assert best is not None
        cv_macro, lam, thr, rem, decided = best
        w, b = fit(index, train, lam, names, guide, args.target)
        n_ng = len(vocab)
        n_l = len(LABELS)
        n_m = n_ng + n_l + len(names)
        model = LearnedModel(
            lang=lang, vocab=vocab, w_ngram=w[:n_ng], w_rule=w[n_ng:n_ng + n_l], markers=names,
            w_marker=w[n_ng + n_l:n_m], w_role=w[n_m:n_m + len(ROLES) + 1], w_context=w[n_m + len(ROLES) + 1:],
            bias=b, threshold=thr, remove_below=rem, decided=tuple(label for label, on in zip(LABELS, decided, strict=True) if on),
            trained_on=splits_of(lang, TRAIN_SPLITS),
        )
        assert model.w_context.shape[0] == len(CONTEXTS) + 1
        # validation through the shipped code path (the model as written to JSON and read back)
        shipped = LearnedModel.from_json(model.to_json(), "(in memory)")
        val_marks = marker_matrix(val.marks, names, len(val.lows))
        z = shipped.scores(val.lows, val.rules.astype(float), val_marks, val.roles, val.contexts)
        val_pred = decide(val.rules, 1.0 / (1.0 + np.exp(-z)), decided, thr, rem, blocked_additions(val_marks, names))
        print(f"== {lang}: {len(excluded)} name tokens left out, e.g. {', '.join(sorted(excluded)[:12])}")
        print(f"== {lang}: {len(train.lows)} training turns (blind re-annotations: "
              f"{', '.join(str(int(n)) for n in train.has_other.sum(axis=1))}) + {len(guide.lows)} guide examples, {n_ng} n-gram features, target {args.target}, "
              f"lambda {lam}, add from {thr}, remove under {rem}")
        print(f"decided: {', '.join(model.decided)}")
        print(f"CV macro-F1 ({args.target}) rules {rules_cv.mean():.3f} -> layer {cv_macro:.3f}")
        refs = [("writer", val.gold)] + [(f"{folder}", val.others[k]) for k, folder in enumerate(BLIND_DIRS)
                                         if val.has_other[k].any()]
        if len(refs) > 2:
            refs.append(("majority", val.target("majority")))
        for name, ref in refs:
            r_val, l_val = f1s(val.rules, ref), f1s(val_pred, ref)
            print(f"{EVAL_SPLIT} macro-F1 against the {name} labels: rules {r_val.mean():.3f} -> layer {l_val.mean():.3f}")
            print("  " + ", ".join(f"{label} {r:.2f}->{v:.2f}" for label, r, v in zip(LABELS, r_val, l_val, strict=True)))
        if args.write:
            path = learned_path(lang)
            path.write_text(shipped.to_json() + "\n", encoding="utf-8")
            print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
