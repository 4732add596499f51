"""Peak memory (RSS) of `validate` and `ingest` on large inputs.

    .venv/bin/python bench/memory_bounds.py [--mb 200] [--turns 1000000] [--only single,normal,transcript]

Cases (files generated in a temporary folder, deterministic):
  single      a 200 MB CSV with no line break (deals.csv)                -> validate
  normal      a 200 MB deal_changes.csv (about 3.5 M rows, 2,000 deals)  -> validate, then ingest
  transcript  one transcript of 1,000,000 turns                          -> validate, then ingest

Each measurement runs in a fresh Python process that reports its own peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``); the peak of a process that only
imports miroir is printed as the baseline. Prints a table and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.reliability.datagen import CHANGES_HEADER, write_deals  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
op, folder, db = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
info = {}
if op == "validate":
    from miroir.dataset import read_dataset
    ds = read_dataset(folder)
    info = {"files": [[f.table, f.rows_read, f.rows_stored, f.rows_rejected] for f in ds.files],
            "utterances": len(ds.utterances), "problems": len(ds.problems),
            "codes": sorted({p.code for p in ds.problems})[:10]}
elif op == "ingest":
    from miroir.store.ingest import ingest_dataset
    rep = ingest_dataset(folder, Path(db), force=True)
    info = {"counts": {k: v for k, v in rep.counts.items() if v}}
elif op == "import":
    import miroir.dataset, miroir.store.ingest  # noqa: F401
seconds = time.perf_counter() - t
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "seconds": seconds,
                  **info}))
"""


@dataclass
class Measure:
    case: str
    op: str
    input_mb: float
    peak_mb: float
    seconds: float
    detail: str


def measure(case: str, op: str, folder: Path, size_mb: float) -> Measure:
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([sys.executable, "-c", CHILD, op, str(folder), str(Path(d) / "s.duckdb")],
                           capture_output=True, text=True)
    if r.returncode != 0:
        return Measure(case, op, size_mb, float("nan"), float("nan"), "FAILED: " + r.stderr.strip()[-400:])
    out = json.loads(r.stdout.strip().splitlines()[-1])
    detail = {k: v for k, v in out.items() if k not in ("peak_mb", "seconds")}
    return Measure(case, op, size_mb, round(out["peak_mb"], 1), round(out["seconds"], 1), json.dumps(detail))


def build_single(folder: Path, mb: int) -> float:
    folder.mkdir(parents=True)
    chunk = b"deal_id,owner,amount," * 50_000
    with (folder / "deals.csv").open("wb") as fh:
        for _ in range((mb * 1024 * 1024) // len(chunk) + 1):
            fh.write(chunk)
    return (folder / "deals.csv").stat().st_size / 2**20


def build_normal(folder: Path, mb: int) -> float:
    n_deals = 2000
    write_deals(folder, n_deals)
    target = mb * 1024 * 1024
    with (folder / "deal_changes.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(CHANGES_HEADER)
        i = 0
        written = len(CHANGES_HEADER)
        while written < target:
            lines = []
            for j in range(i, i + 10_000):
                d = (j * 7919) % n_deals
                m, day = 1 + j % 9, 10 + j % 9
                k = j % 3
                if k == 0:
                    lines.append(f"D{d},2025-{m:02d}-{day}T10:{j % 60:02d}:00Z,close_date,2026-01-15,"
                                 f"2026-02-{10 + j % 9},\n")
                elif k == 1:
                    lines.append(f"D{d},2025-{m:02d}-{day}T11:{j % 60:02d}:00Z,stage,Discovery,Proposal,"
                                 f"Rep {j % 23}\n")
                else:
                    lines.append(f"D{d},2025-{m:02d}-{day}T12:{j % 60:02d}:00Z,amount,1000,{1000 + j % 9000},\n")
            block = "".join(lines)
            f.write(block)
            written += len(block)
            i += 10_000
    return (folder / "deal_changes.csv").stat().st_size / 2**20


def build_transcript(folder: Path, turns: int) -> float:
    write_deals(folder, 10)
    (folder / "transcripts").mkdir()
    with (folder / "transcripts" / "big.txt").open("w", encoding="utf-8") as f:
        for i in range(0, turns, 2):
            f.write(f"Rep 1: line {i} about the budget and the timeline\nClient: ok {i}, noted\n")
    (folder / "conversations.csv").write_text("conversation_id,kind,started_at,file,deal_ids,language\n"
                                             "C1,customer_call,2025-05-01T10:00:00,transcripts/big.txt,D1,en\n")
    return (folder / "transcripts" / "big.txt").stat().st_size / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--turns", type=int, default=1_000_000)
    ap.add_argument("--only", default="single,normal,transcript")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    only = set(a.only.split(","))
    results: list[Measure] = []
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        results.append(measure("baseline", "import", root, 0.0))
        plan = [("single", build_single, a.mb, ("validate",)), ("normal", build_normal, a.mb, ("validate", "ingest")),
                ("transcript", build_transcript, a.turns, ("validate", "ingest"))]
        for case, build, arg, ops in plan:
            if case not in only:
                continue
            t = time.perf_counter()
            size = build(root / case, arg)
            print(f"built {case}: {size:.0f} MB in {time.perf_counter() - t:.0f} s", flush=True)
            for op in ops:
                m = measure(case, op, root / case, round(size, 1))
                results.append(m)
                print(f"{m.case:11} {m.op:9} input {m.input_mb:7.1f} MB  peak RSS {m.peak_mb:8.1f} MB  "
                      f"{m.seconds:7.1f} s  {m.detail[:160]}", flush=True)
    if a.json:
        a.json.write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
