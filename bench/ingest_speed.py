"""Ingest throughput: deal_changes rows/s and transcript turns/s.

    .venv/bin/python bench/ingest_speed.py [--changes 1000000] [--transcripts 2000] [--turns 100]

Generates a dataset folder in a temporary directory (deterministic), then
times `read_dataset` + store writing via `ingest_dataset`.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from miroir.store.ingest import ingest_dataset


def build(folder: Path, n_deals: int, n_changes: int, n_tr: int, n_turns: int) -> None:
    rnd = random.Random(7)
    with (folder / "deals.csv").open("w") as f:
        f.write("deal_id,name,account,owner,amount,stage,created_at,close_date,status\n")
        for i in range(n_deals):
            f.write(f"D{i},Deal {i},Acc {i % 900},Rep {i % 40},{rnd.randint(1000, 90000)},Proposal,"
                    f"2025-0{1 + i % 9}-1{i % 9},2026-0{1 + i % 9}-2{i % 9},{rnd.choice(['open', 'won', 'lost'])}\n")
    with (folder / "deal_changes.csv").open("w") as f:
        f.write("deal_id,changed_at,field,old_value,new_value,changed_by\n")
        for i in range(n_changes):
            d = rnd.randrange(n_deals)
            if i % 3 == 0:
                f.write(f"D{d},2025-0{1 + i % 9}-1{i % 9}T10:{i % 60:02d}:00Z,close_date,2026-01-15,2026-02-1{i % 9},\n")
            elif i % 3 == 1:
                f.write(f"D{d},2025-0{1 + i % 9}-1{i % 9}T11:00:00Z,stage,Discovery,Proposal,Rep 1\n")
            else:
                f.write(f"D{d},2025-0{1 + i % 9}-1{i % 9}T12:00:00Z,amount,1000,{rnd.randint(1000, 9000)},\n")
    tdir = folder / "transcripts"
    tdir.mkdir()
    with (folder / "conversations.csv").open("w") as f:
        f.write("conversation_id,kind,started_at,file,deal_ids,language\n")
        for c in range(n_tr):
            lines = ["WEBVTT", ""]
            for k in range(n_turns):
                s = k * 5
                who = f"Rep {c % 40}" if k % 2 == 0 else "Client Person"
                lines += [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000 --> "
                          f"{(s + 4) // 3600:02d}:{(s + 4) // 60 % 60:02d}:{(s + 4) % 60:02d}.000",
                          f"<v {who}>We need to talk about the budget and the timeline for turn {k}.", ""]
            (tdir / f"c{c}.vtt").write_text("\n".join(lines))
            f.write(f"C{c},customer_call,2025-05-0{1 + c % 9}T10:00:00,transcripts/c{c}.vtt,D{c % n_deals},en\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deals", type=int, default=50_000)
    ap.add_argument("--changes", type=int, default=1_000_000)
    ap.add_argument("--transcripts", type=int, default=2_000)
    ap.add_argument("--turns", type=int, default=100)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "ds"
        folder.mkdir()
        t0 = time.perf_counter()
        build(folder, a.deals, a.changes, a.transcripts, a.turns)
        print(f"generated in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        rep = ingest_dataset(folder, Path(d) / "s.duckdb")
        dt = time.perf_counter() - t0
        n_changes = rep.counts["deal_changes"]
        n_turns = rep.counts["utterances"]
        print(f"ingest total {dt:.1f}s: {rep.counts}")
        # time the two parts separately
        from miroir.dataset import read_dataset

        t0 = time.perf_counter()
        read_dataset(folder, parse_transcripts=False)
        t_tables = time.perf_counter() - t0
        t0 = time.perf_counter()
        read_dataset(folder)
        t_all = time.perf_counter() - t0
        t_tr = max(t_all - t_tables, 1e-9)
        print(f"tables (deals+deal_changes) read+validated: {t_tables:.1f}s -> "
              f"{n_changes / t_tables:,.0f} deal_changes rows/s (incl. {a.deals:,} deals)")
        print(f"transcripts parsed+mapped: {t_tr:.1f}s -> {n_turns / t_tr:,.0f} turns/s "
              f"({a.transcripts} files)")


if __name__ == "__main__":
    main()
