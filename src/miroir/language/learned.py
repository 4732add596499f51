"""The learned layer: a per-label logistic regression stacked on the rule engine.

The rules (``data/<lang>.toml``) find cues and decide labels with their evidence spans. This
layer re-decides the labels listed in the model file (not ``question``, which the rules get
right; ``open_question`` only inside a question the rules found) from four groups of features: the rule labels of the turn, its word unigrams
and bigrams, the speaker's role and the conversation kind. Weights are data
(``data/learned_<lang>.json``), trained on the gold development splits by
``bench/train_learned.py``; the held-out split is never used.

Evidence stays explicit: a label the rules found and the model keeps keeps its rule spans; a label
the model removes is dropped; a label the model adds gets as evidence the word or word pair of
the turn that weighs most for it (or the span of the rule label that weighs most, when no word
does); a label with no such evidence is not added.

Features are computed for a whole chunk at once (one regex over the joined texts, numpy and a
sparse matrix product), so the layer costs a fraction of the rule scan.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, islice, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp

from .lexicon import LABELS, LexiconError, learned_path

Span = tuple[int, int]

SEP = "\x1e"  # between the turns of a chunk (replaced by a space inside a turn)
# Tokens: runs of word characters (ASCII letters, digits, "_" and every non-ASCII character but the
# punctuation and spaces of _NON_WORD), "?" and "!", and the turn separator. ``TOKEN_RE`` and
# ``tokenize_joined`` (the fast path: bytes, one translation table, split) cut the same tokens.
_NON_WORD = "«»“”„‹›…–—―•·€£¥°§¶\u2009\u200a\u200b\u2028\u2029\u3000"
TOKEN_RE = re.compile(r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f" + _NON_WORD + r"]+|[?!]|\x1e")
_KEEP = {ord(c) for c in "?!\x1e_"}
_BYTE_TABLE = bytes(i if i >= 0x80 or chr(i).isalnum() or i in _KEEP else 0x20 for i in range(256))
_NON_WORD_BYTES = re.compile(b"|".join(re.escape(c.encode()) for c in _NON_WORD))


def tokenize_joined(joined: str) -> list[bytes]:
    """The tokens of ``joined`` (UTF-8 encoded), as :data:`TOKEN_RE` cuts them."""
    data = joined.encode()
    if not data.isascii():
        data = _NON_WORD_BYTES.sub(b" ", data)
    data = data.translate(_BYTE_TABLE)
    for mark, spaced in ((b"?", b" ? "), (b"!", b" ! "), (b"\x1e", b" \x1e ")):
        if mark in data:
            data = data.replace(mark, spaced)
    return data.split()
ROLES: tuple[str, ...] = ("rep", "manager", "customer", "director", "other")
CONTEXTS: tuple[str, ...] = ("customer_call", "pipeline_review", "forecast_call")
_COL = {label: i for i, label in enumerate(LABELS)}
FORMAT_VERSION = 1


@cache
def _positions(vocab: tuple[str, ...]) -> dict[str | None, int]:
    return {v: i for i, v in enumerate(vocab)}


def _index(values: Sequence[str | None], vocab: tuple[str, ...]) -> np.ndarray:
    return np.fromiter(map(_positions(vocab).get, values, repeat(len(vocab))), dtype=np.int64, count=len(values))


def role_index(roles: Sequence[str | None]) -> np.ndarray:
    """Column of each role (unknown or missing: the last one)."""
    return _index(roles, ROLES)


def context_index(contexts: Sequence[str | None]) -> np.ndarray:
    """Column of each conversation kind (unknown or missing: the last one)."""
    return _index(contexts, CONTEXTS)


def _one_hot(groups: Sequence[Collection[str]], col: Mapping[str, int], width: int) -> np.ndarray:
    """(len(groups), width) 0/1 matrix: row i has a 1 in the column of each name of groups[i]
    (names without a column are ignored)."""
    counts = list(map(len, groups))
    total = sum(counts)
    out = np.zeros((len(groups), width + 1), dtype=np.float64)
    if total:
        rows = np.repeat(np.arange(len(groups)), counts)
        cols = np.fromiter(map(col.get, chain.from_iterable(groups), repeat(width)), dtype=np.int64, count=total)
        out[rows, cols] = 1.0
    return out[:, :width]


def marker_matrix(markers: Sequence[set[str]] | None, names: Sequence[str], n: int) -> np.ndarray:
    """(n, len(names)) 0/1 matrix of the sentence markers seen in each turn."""
    if markers is None:
        return np.zeros((n, len(names)), dtype=np.float64)
    return _one_hot(markers, {name: j for j, name in enumerate(names)}, len(names))


def rule_matrix(results: Sequence[dict[str, list[Span]]]) -> np.ndarray:
    """(n, 16) 0/1 matrix of the rule labels of each turn."""
    return _one_hot(results, _COL, len(LABELS))


@dataclass(frozen=True)
class Vocabulary:
    """Word unigrams and bigrams that are features (lower-cased turns)."""

    tokens: tuple[str, ...]  # token ids 0..V-1; V = unknown, V+1 = turn separator
    unigrams: tuple[str, ...]  # feature columns 0..U-1
    bigrams: tuple[tuple[str, str], ...]  # feature columns U..U+B-1

    @classmethod
    def fit(cls, lows: Sequence[str], min_count: int = 2, exclude: Collection[str] = ()) -> Vocabulary:
        """The n-grams seen ``min_count`` times or more, without those holding an ``exclude`` token
        (names: a person's or a team's name must not move a label)."""
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        for low in lows:
            toks = TOKEN_RE.findall(low.replace(SEP, " "))
            uni.update(toks)
            bi.update(zip(toks, toks[1:], strict=False))
        unis = sorted(t for t, c in uni.items() if c >= min_count and t not in exclude)
        bis = sorted(b for b, c in bi.items() if c >= min_count and b[0] not in exclude and b[1] not in exclude)
        return cls(tuple(sorted(set(unis) | {t for b in bis for t in b})), tuple(unis), tuple(bis))

    @property
    def names(self) -> tuple[str, ...]:
        return self.unigrams + tuple(f"{a} {b}" for a, b in self.bigrams)

    def __len__(self) -> int:
        return len(self.unigrams) + len(self.bigrams)


class _Index:
    """Lookup tables of a vocabulary: token -> id, id -> unigram column, bigram key -> column."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.v = v = len(vocab.tokens)
        self.tok_id = {t: i for i, t in enumerate(vocab.tokens)}
        self.tok_id[SEP] = v + 1
        self.tok_id_bytes = {t.encode(): i for t, i in self.tok_id.items()}
        self.uni_col = np.full(v + 2, -1, dtype=np.int64)
        for j, t in enumerate(vocab.unigrams):
            self.uni_col[self.tok_id[t]] = j
        keys = np.array([self.tok_id[a] * (v + 2) + self.tok_id[b] for a, b in vocab.bigrams], dtype=np.int64)
        order = np.argsort(keys)
        self.bi_keys = keys[order]
        self.bi_cols = (len(vocab.unigrams) + np.arange(len(vocab.bigrams), dtype=np.int64))[order]
        self.n = len(vocab)

    def ids(self, toks: list[bytes]) -> np.ndarray:
        return np.fromiter(map(self.tok_id_bytes.get, toks, repeat(self.v)), dtype=np.int64, count=len(toks))

    def matrix(self, lows: Sequence[str]) -> sp.csr_matrix:
        """(n, U+B) counts of each n-gram feature in each turn."""
        n = len(lows)
        ids = self.ids(tokenize_joined(SEP.join(low.replace(SEP, " ") if SEP in low else low for low in lows)))
        row = np.cumsum(ids == self.v + 1)
        cols = self.uni_col[ids]
        keep = cols >= 0
        mats = [_csr(row[keep], cols[keep], n, self.n)]
        if len(ids) > 1 and len(self.bi_keys):
            known = ids < self.v
            pair = known[:-1] & known[1:]
            keys = ids[:-1][pair] * (self.v + 2) + ids[1:][pair]
            pos = np.searchsorted(self.bi_keys, keys)
            pos[pos == len(self.bi_keys)] = 0
            hit = self.bi_keys[pos] == keys
            mats.append(_csr(row[:-1][pair][hit], self.bi_cols[pos[hit]], n, self.n))
        return mats[0] + mats[1] if len(mats) > 1 else mats[0]


def _csr(rows: np.ndarray, cols: np.ndarray, n: int, f: int) -> sp.csr_matrix:
    """CSR matrix of ones at (rows, cols); ``rows`` is sorted; repeated cells add up."""
    indptr = np.searchsorted(rows, np.arange(n + 1))
    return sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(n, f))


def design(vocab_index: _Index, lows: Sequence[str], rules: np.ndarray, markers: np.ndarray, roles: np.ndarray,
           contexts: np.ndarray) -> sp.csr_matrix:
    """The full feature matrix [n-grams | rule labels | markers | role | context] (used for training)."""
    n = len(lows)
    role_1h = sp.csr_matrix((np.ones(n), (np.arange(n), roles)), shape=(n, len(ROLES) + 1))
    ctx_1h = sp.csr_matrix((np.ones(n), (np.arange(n), contexts)), shape=(n, len(CONTEXTS) + 1))
    return sp.hstack([vocab_index.matrix(lows), sp.csr_matrix(rules), sp.csr_matrix(markers), role_1h, ctx_1h],
                     format="csr")


@dataclass(frozen=True, eq=False)  # compared by identity: one per language, cached
class LearnedModel:
    lang: str
    vocab: Vocabulary
    w_ngram: np.ndarray  # (U+B, 16)
    w_rule: np.ndarray  # (16, 16): rule label -> label
    markers: tuple[str, ...]  # the sentence markers of the rules that are features
    w_marker: np.ndarray  # (len(markers), 16)
    w_role: np.ndarray  # (len(ROLES)+1, 16)
    w_context: np.ndarray  # (len(CONTEXTS)+1, 16)
    bias: np.ndarray  # (16,)
    threshold: float  # probability from which a decided label the rules did not find is added
    remove_below: float  # probability under which a decided label the rules found is removed
    decided: tuple[str, ...]  # the labels this layer decides
    trained_on: tuple[str, ...]

    @property
    def index(self) -> _Index:
        return _index_of(self)

    def ngram_scores(self, lows: Sequence[str]) -> np.ndarray:
        """(n, 16) summed n-gram weights of each turn: one pass in C when the optional accelerator
        (``_fastlayer``) is built, else tokens, a sparse count matrix and a product (same numbers)."""
        fast = _fast_of(self)
        if fast is None:
            return self.index.matrix(lows) @ self.w_ngram  # type: ignore[no-any-return]
        joined = SEP.join(lows)
        if joined.count(SEP) != len(lows) - 1:  # a separator inside a turn: a space there
            joined = SEP.join(low.replace(SEP, " ") for low in lows)
        out = np.frombuffer(fast.scores(joined.encode(), len(lows)), dtype=np.float64)
        return out.reshape(len(lows), self.w_ngram.shape[1])

    def scores(self, lows: Sequence[str], rules: np.ndarray, markers: np.ndarray, roles: np.ndarray,
               contexts: np.ndarray) -> np.ndarray:
        """(n, 16) log-odds of each label."""
        return (self.ngram_scores(lows) + rules @ self.w_rule + markers @ self.w_marker
                + self.w_role[roles] + self.w_context[contexts] + self.bias)

    def to_json(self, min_weight: float = 0.02) -> str:
        """The model as JSON. Weights are log-odds in thousandths (integers); n-gram weights
        are kept for the decided labels only, in the order of ``decided``; a weight below
        ``min_weight`` in absolute value is written 0 and an n-gram with no weight left is dropped."""
        decided = [_COL[label] for label in self.decided]

        def milli(x: float) -> int:
            return round(x * 1000) if abs(x) >= min_weight else 0

        def table(keys: Sequence[str], m: np.ndarray) -> dict[str, list[int]]:
            return {key: [round(float(x) * 1000) for x in row] for key, row in zip(keys, m, strict=True)}

        ngrams = {}
        for name, row in zip(self.vocab.names, self.w_ngram[:, decided], strict=True):
            w = [milli(float(x)) for x in row]
            if any(w):
                ngrams[name] = w
        head = {
            "format": FORMAT_VERSION,
            "lang": self.lang,
            "about": "learned layer of the language engine: logistic-regression weights (log-odds, in "
                     "thousandths); 'rule', 'marker', 'role', 'context' and 'bias' list one weight per label of 'labels', "
                     "'ngrams' one per label of 'decided'. Regenerate with bench/train_learned.py; do not edit by "
                     "hand",
            "trained_on": list(self.trained_on),
            "threshold": self.threshold,
            "remove_below": self.remove_below,
            "labels": list(LABELS),
            "decided": list(self.decided),
            "bias": [round(float(x) * 1000) for x in self.bias],
            "rule": table(LABELS, self.w_rule),
            "marker": table(self.markers, self.w_marker),
            "role": table((*ROLES, "(unknown)"), self.w_role),
            "context": table((*CONTEXTS, "(unknown)"), self.w_context),
        }
        lines = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]",
                       json.dumps(head, ensure_ascii=False, indent=1))[:-2]
        body = ",\n".join(f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, separators=(',', ':'))}"
                          for k, v in ngrams.items())
        return lines + ',\n "ngrams": {\n' + body + "\n }\n}"

    @classmethod
    def from_json(cls, text: str, where: str) -> LearnedModel:
        try:
            doc = json.loads(text)
            if doc.get("format") != FORMAT_VERSION:
                raise ValueError(f"format {doc.get('format')!r}, expected {FORMAT_VERSION}")
            if tuple(doc["labels"]) != LABELS:
                raise ValueError("its labels are not this version's labels")
            decided = tuple(doc["decided"])
            if set(decided) - set(LABELS):
                raise ValueError(f"unknown labels {sorted(set(decided) - set(LABELS))}")
            names = list(doc["ngrams"])
            unigrams = tuple(n for n in names if " " not in n)
            bigrams = tuple((n.split(" ")[0], n.split(" ")[1]) for n in names if " " in n)
            vocab = Vocabulary(tuple(sorted(set(unigrams) | {t for b in bigrams for t in b})), unigrams, bigrams)
            order = {n: j for j, n in enumerate(vocab.names)}
            w_ngram = np.zeros((len(vocab), len(LABELS)))
            cols = [_COL[label] for label in decided]
            for name, w in doc["ngrams"].items():
                if len(w) != len(cols):
                    raise ValueError(f"n-gram {name!r} has {len(w)} weights, expected {len(cols)}")
                w_ngram[order[name], cols] = np.asarray(w, dtype=np.float64) / 1000.0

            def table(keys: Sequence[str], key: str) -> np.ndarray:
                return np.array([doc[key][k] for k in keys], dtype=np.float64) / 1000.0

            return cls(
                lang=doc["lang"], vocab=vocab, w_ngram=w_ngram, w_rule=table(LABELS, "rule"),
                markers=tuple(doc["marker"]), w_marker=table(tuple(doc["marker"]), "marker").reshape(-1, len(LABELS)),
                w_role=table((*ROLES, "(unknown)"), "role"), w_context=table((*CONTEXTS, "(unknown)"), "context"),
                bias=np.asarray(doc["bias"], dtype=np.float64) / 1000.0, threshold=float(doc["threshold"]),
                remove_below=float(doc["remove_below"]),
                decided=decided, trained_on=tuple(doc["trained_on"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise LexiconError(f"{where}: not a valid learned-layer file ({exc})",
                               "Regenerate it with bench/train_learned.py or reinstall miroir.") from exc


@cache
def _index_of(model: LearnedModel) -> _Index:
    return _Index(model.vocab)


try:  # the optional C accelerator (src/miroir/language/_fastlayer.c), built at install when a compiler is there
    from . import _fastlayer  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the install
    _fastlayer = None
USE_FAST = _fastlayer is not None  # tests switch it off to compare both paths


def _fast_of(model: LearnedModel) -> Any:
    """The accelerator's tables for ``model``, or None when it is not built or switched off."""
    if not USE_FAST:
        return None
    return _fast_tables(model)


@cache
def _fast_tables(model: LearnedModel) -> Any:
    index = model.index
    k = model.w_ngram.shape[1]
    n_uni = len(model.vocab.unigrams)
    uni_w = np.zeros((index.v, k), dtype=np.float64)
    cols = index.uni_col[: index.v]
    uni_w[cols >= 0] = model.w_ngram[cols[cols >= 0]]
    pairs = np.array([(index.tok_id[a], index.tok_id[b]) for a, b in model.vocab.bigrams], dtype=np.int64).reshape(-1, 2)
    bi_w = np.ascontiguousarray(model.w_ngram[n_uni:], dtype=np.float64)
    return _fastlayer.Index([t.encode() for t in model.vocab.tokens], uni_w.tobytes(), pairs.tobytes(),
                            bi_w.tobytes(), k)


@cache
def load_model(lang: str) -> LearnedModel | None:
    """The learned layer of ``lang``, or None when the package has none for it."""
    path = learned_path(lang)
    if not path.is_file():
        return None
    return LearnedModel.from_json(path.read_text(encoding="utf-8"), str(path))


def blocked_additions(markers: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """(n, 16) cells where the layer may not add a label: the guide's hard "does not count"
    cases the rules see — a claim whose source is named (a ``source`` marker) is no assumption."""
    out = np.zeros((markers.shape[0], len(LABELS)), dtype=bool)
    if "source" in names:
        out[:, _COL["assumption"]] = markers[:, list(names).index("source")] > 0
    return out


def refine(model: LearnedModel, lows: Sequence[str], results: list[dict[str, list[Span]]],
           roles: Sequence[str | None], contexts: Sequence[str | None],
           markers: Sequence[set[str]] | None = None) -> None:
    """Re-decide the model's labels on the rule results of a chunk (in place); ``markers``:
    the rules' sentence markers of each turn (``annotate_joined(markers=...)``)."""
    if not results:
        return
    rules = rule_matrix(results)
    marks = marker_matrix(markers, model.markers, len(results))
    z = model.scores(lows, rules, marks, role_index(roles), context_index(contexts))
    cols = [_COL[label] for label in model.decided]
    found = rules[:, cols] > 0
    zc = z[:, cols]
    add = (zc >= _logit(model.threshold)) & ~blocked_additions(marks, model.markers)[:, cols]
    changed = np.where(found, zc < _logit(model.remove_below), add)
    changed_rows, changed_cols = np.nonzero(changed)
    for i, c in zip(changed_rows.tolist(), changed_cols.tolist(), strict=True):
        label = model.decided[c]
        spans = results[i]
        if label in spans:
            del spans[label]
        else:
            # an open question is a question: its evidence is the question the rules found
            evidence = (spans["question"][0] if "question" in spans else None) if label == "open_question" \
                else _evidence(model, lows[i], spans, _COL[label])
            if evidence is not None:
                spans[label] = [evidence]


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p))) if 0.0 < p < 1.0 else (float("-inf") if p <= 0.0 else float("inf"))


def decide(rules: np.ndarray, proba: np.ndarray, decided: np.ndarray, threshold: float,
           remove_below: float, blocked: np.ndarray | None = None) -> np.ndarray:
    """Labels after the layer (boolean (n, 16)): a decided label the rules found stays unless its
    probability is under ``remove_below``; one they did not find is added from ``threshold`` on
    (never in a ``blocked`` cell)."""
    pred = rules.copy()
    keep = proba >= remove_below
    add = proba >= threshold
    if blocked is not None:
        add &= ~blocked
    pred[:, decided] = np.where(rules[:, decided], keep[:, decided], add[:, decided])
    pred[:, _COL["open_question"]] &= pred[:, _COL["question"]]  # an open question is a question
    return pred


@cache
def _positive(model: LearnedModel, col: int) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """The unigrams and bigrams with a positive weight for label ``col``."""
    w = model.w_ngram[:, col]
    n_uni = len(model.vocab.unigrams)
    uni = {t: float(w[j]) for j, t in enumerate(model.vocab.unigrams) if w[j] > 0}
    bi = {b: float(w[n_uni + j]) for j, b in enumerate(model.vocab.bigrams) if w[n_uni + j] > 0}
    return uni, bi


def _evidence(model: LearnedModel, low: str, spans: dict[str, list[Span]], col: int) -> Span | None:
    """The word or word pair of ``low`` that weighs most for label ``col`` (positive weight), else
    the first span of the rule label that weighs most for it."""
    fast = _fast_of(model)
    found = fast.best(low.encode(), col) if fast is not None else _best_ngram(model, low, col)
    if found is None:
        return _rule_evidence(model, spans, col)
    j, width = found
    first = next(islice(TOKEN_RE.finditer(low), j, None))
    return first.span() if width == 1 else (first.start(), next(TOKEN_RE.finditer(low, first.end())).end())


def _best_ngram(model: LearnedModel, low: str, col: int) -> tuple[int, int] | None:
    """(first token, 1 or 2 tokens) of the word or word pair of ``low`` with the highest positive
    weight for label ``col``; on a tie the first one reading the turn, a word before the pair it
    ends (what ``_fastlayer.Index.best`` computes in C)."""
    uni, bi = _positive(model, col)
    toks = TOKEN_RE.findall(low)
    w_uni = list(map(uni.get, toks, repeat(0.0)))
    w_bi = list(map(bi.get, zip(toks, toks[1:], strict=False), repeat(0.0)))  # pair ending at token j + 1
    best_uni = max(w_uni, default=0.0)
    best_bi = max(w_bi, default=0.0)
    if best_uni <= 0.0 and best_bi <= 0.0:
        return None
    j_uni = w_uni.index(best_uni) if best_uni > 0.0 else len(toks)
    j_bi = w_bi.index(best_bi) + 1 if best_bi > 0.0 else len(toks)
    if best_uni > best_bi or (best_uni == best_bi and j_uni <= j_bi):
        return j_uni, 1
    return j_bi - 1, 2


def _rule_evidence(model: LearnedModel, spans: dict[str, list[Span]], col: int) -> Span | None:
    """The first span of the rule label of the turn that weighs most for label ``col`` (positive weight)."""
    ranked = sorted(((model.w_rule[_COL[label], col], label) for label in spans), reverse=True)
    if ranked and ranked[0][0] > 0:
        return spans[ranked[0][1]][0]
    return None
