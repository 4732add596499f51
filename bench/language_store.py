"""Throughput of ``annotate_store`` on a synthetic store, and the cache.

    .venv/bin/python bench/language_store.py [--conversations 2000] [--turns 60] [--jobs N]

Builds an in-memory store of generated conversations (bench/language_corpus.py
turns), annotates it (all cores by default), then re-runs: the second run must
annotate nothing; adding 10 conversations must annotate only those.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from language_corpus import utterances  # noqa: E402

from miroir.store.annotations import annotate_store  # noqa: E402
from miroir.store.schema import memory_store  # noqa: E402


def _fill(con, first: int, n_conv: int, turns: int, seed: int) -> int:  # type: ignore[no-untyped-def]
    it = utterances(10**12, seed=seed)
    convs = {"conversation_id": [], "kind": [], "language": [], "file_sha256": []}
    utts = {"conversation_id": [], "turn": [], "role": [], "text": [], "lang": []}
    for c in range(first, first + n_conv):
        cid = f"c{c:06d}"
        convs["conversation_id"].append(cid)
        convs["kind"].append(["customer_call", "pipeline_review", "forecast_call"][c % 3])
        convs["language"].append(None)
        convs["file_sha256"].append(f"sha{c}")
        for t in range(turns):
            text, lang, role, _ctx = next(it)
            utts["conversation_id"].append(cid)
            utts["turn"].append(t)
            utts["role"].append(role)
            utts["text"].append(text)
            utts["lang"].append(lang)
    con.register("_c", pa.table(convs))
    con.execute("INSERT INTO conversations (conversation_id, kind, language, file_sha256) SELECT * FROM _c")
    con.unregister("_c")
    con.register("_u", pa.table(utts))
    con.execute("INSERT INTO utterances (conversation_id, turn, role, text, lang) SELECT * FROM _u")
    con.unregister("_u")
    return sum(len(t.split()) for t in utts["text"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--conversations", type=int, default=2000)
    ap.add_argument("--turns", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    con = memory_store()
    words = _fill(con, 0, args.conversations, args.turns, seed=1)
    n_utt = args.conversations * args.turns
    t0, c0 = time.perf_counter(), time.process_time()
    done = annotate_store(con, n_jobs=args.jobs)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(f"first run: {done:,} utterances ({words:,} words) in {dt:.1f} s wall = {n_utt / dt:,.0f} utterances/s, "
          f"{words / dt:,.0f} words/s; main-process CPU {dc:.1f} s"
          + (f" = {words / dc:,.0f} words/s CPU" if args.jobs == 1 else " (workers not counted)"))
    t0 = time.perf_counter()
    again = annotate_store(con, n_jobs=args.jobs)
    print(f"re-run: {again} utterances annotated in {time.perf_counter() - t0:.2f} s (cache)")
    _fill(con, args.conversations, 10, args.turns, seed=2)
    t0 = time.perf_counter()
    new = annotate_store(con, n_jobs=args.jobs)
    print(f"after adding 10 conversations: {new} utterances annotated in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
