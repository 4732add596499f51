"""CRM lenses (forecast, pipeline, incentives): simulator recovery table and scale timing.

    .venv/bin/python bench/lenses_crm.py recovery --seeds 20 [--kinds forecast_bias,...] [--jobs 2]
    .venv/bin/python bench/lenses_crm.py timing --scale 25

Recovery: each kind is planted alone at each level the simulator supports
(``KIND@LEVEL``; the simulator picks the team or rep and records it in
ground_truth.json); "found" = a finding of that kind at exactly the planted
scope. A ``--null`` organisation must yield no finding of these kinds.
Conversations are removed from the simulated folder before ingestion (these
lenses do not read them; it keeps the bench short).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from miroir.diagnose import _load_settings
from miroir.lenses.base import LensContext
from miroir.lenses.forecast import ForecastLens
from miroir.lenses.incentives import IncentivesLens
from miroir.lenses.pipeline import PipelineLens
from miroir.simulate import PLANT_LEVELS, simulate
from miroir.store.ingest import ingest_dataset
from miroir.store.schema import open_store

LENSES = (ForecastLens, PipelineLens, IncentivesLens)
KINDS = tuple(k for cls in LENSES for k in cls.kinds)


def _strip_conversations(ds: Path) -> None:
    for name in ("conversations.csv", "intuitions.csv"):
        (ds / name).unlink(missing_ok=True)
    shutil.rmtree(ds / "transcripts", ignore_errors=True)


def run_case(plant: str | None, seed: int, scale: float = 1.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        r = simulate(d / "ds", lang="en" if seed % 2 else "fr", seed=seed, scale=scale,
                     plants=[plant] if plant else [], null=plant is None)
        _strip_conversations(d / "ds")
        ingest_dataset(d / "ds", d / "db.duckdb")
        con = open_store(d / "db.duckdb")
        try:
            ctx = LensContext(con=con, config=_load_settings(con))
            t0 = time.perf_counter()
            found = []
            for cls in LENSES:
                res = cls().run(ctx)
                found += [(f.kind, f.scope.level, f.scope.id) for f in res.findings]
            secs = time.perf_counter() - t0
        finally:
            con.close()
    truth = [(p.kind, p.level, p.id) for p in r.plants]
    return {"plant": plant, "seed": seed, "truth": truth, "found": found, "lens_seconds": secs}


def _case(args: tuple[str | None, int]) -> dict[str, Any]:
    return run_case(*args)


def recovery(seeds: int, kinds: list[str], jobs: int, out: Path | None) -> None:
    cases: list[tuple[str | None, int]] = []
    for kind in kinds:
        for level in PLANT_LEVELS[kind]:
            cases += [(f"{kind}@{level}", s) for s in range(seeds)]
    cases += [(None, s) for s in range(seeds)]
    t0 = time.time()
    with ProcessPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(_case, cases))
    table: dict[str, dict[str, int]] = {}
    for r in results:
        key = r["plant"] or "--null"
        row = table.setdefault(key, {"runs": 0, "found_at_scope": 0, "same_kind_elsewhere": 0, "other_kinds": 0})
        row["runs"] += 1
        if r["plant"] is None:
            row["found_at_scope"] += int(not any(k in KINDS for k, _, _ in r["found"]))
            row["other_kinds"] += sum(1 for k, _, _ in r["found"] if k in KINDS)
            continue
        kind, level, sid = r["truth"][0]
        hit = any(f == (kind, level, sid) for f in r["found"])
        row["found_at_scope"] += int(hit)
        row["same_kind_elsewhere"] += int(any(f[0] == kind and f != (kind, level, sid) for f in r["found"]))
        row["other_kinds"] += int(any(f[0] != kind for f in r["found"]))
    print(f"\nrecovery, {seeds} seeds, scale 1 ({time.time() - t0:.0f} s)")
    print(f"{'plant':42s} {'ok':>6s} {'same kind, other scope':>24s} {'runs w/ other kinds':>20s}")
    for key, row in table.items():
        label = "no finding of these kinds" if key == "--null" else "found at scope"
        print(f"{key:42s} {row['found_at_scope']:>3d}/{row['runs']:<3d}{row['same_kind_elsewhere']:>24d}"
              f"{row['other_kinds']:>20d}   ({label})")
    if out:
        out.write_text(json.dumps({"table": table, "runs": results}, indent=1, default=str), encoding="utf-8")


def timing(scale: float, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        r = simulate(d / "ds", lang="fr", seed=seed, scale=scale, plants=None)
        t_sim = time.perf_counter() - t0
        _strip_conversations(d / "ds")
        t0 = time.perf_counter()
        ingest_dataset(d / "ds", d / "db.duckdb")
        t_ing = time.perf_counter() - t0
        con = open_store(d / "db.duckdb")
        n_deals = con.execute("SELECT count(*) FROM deals").fetchall()[0][0]
        n_changes = con.execute("SELECT count(*) FROM deal_changes").fetchall()[0][0]
        ctx = LensContext(con=con, config=_load_settings(con))
        total = 0.0
        print(f"scale {scale}: {n_deals} deals, {n_changes} deal changes, {r.counts.get('reps')} reps "
              f"(simulate {t_sim:.0f} s, ingest {t_ing:.0f} s)")
        for cls in LENSES:
            t0 = time.perf_counter()
            res = cls().run(ctx)
            dt_ = time.perf_counter() - t0
            total += dt_
            print(f"  {cls.name:12s} {dt_:6.1f} s  findings: {len(res.findings)}")
        print(f"  three CRM lenses: {total:.1f} s")
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    rc = sub.add_parser("recovery")
    rc.add_argument("--seeds", type=int, default=20)
    rc.add_argument("--kinds", default=",".join(KINDS))
    rc.add_argument("--jobs", type=int, default=2)
    rc.add_argument("--out", type=Path)
    tm = sub.add_parser("timing")
    tm.add_argument("--scale", type=float, default=25)
    tm.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.cmd == "recovery":
        recovery(a.seeds, [k for k in a.kinds.split(",") if k], a.jobs, a.out)
    else:
        timing(a.scale, a.seed)


if __name__ == "__main__":
    main()
