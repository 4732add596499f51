"""Multi-seed validation of the intuition lens on simulated organisations.

For each seed: a planted organisation (fragility drivers, a compensation-plan
change, a manager with planted gut-call precision) and a ``--null`` one; the
lens runs on each and the script prints, per seed and on average:
- time-split AUC of the model vs the stage and forecast-category baselines
  (with their 95% intervals), the within-stage AUC of the signals, flags;
- the planted manager's P(lost or slipped | "fragile") with its Wilson
  interval vs the planted and realised precision;
- the compensation event's effect on discount depth and review pressure, and
  the placebo rows;
- the lens's run time.

Run:  .venv/bin/python bench/intuition_validation.py --seeds 3 --scale 1
      .venv/bin/python bench/intuition_validation.py --seeds 1 --scale 25 --no-null   (speed at scale)
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd


def prepare(folder: Path, db: Path) -> duckdb.DuckDBPyConnection:
    """Ingest a dataset folder and annotate its transcripts."""
    from miroir.store.ingest import ingest_dataset
    from miroir.store.schema import open_store

    ingest_dataset(folder, db)
    con = open_store(db)
    if con.execute("SELECT count(*) FROM utterances").fetchone()[0]:  # type: ignore[index]
        try:
            from miroir.store.annotations import annotate_store  # type: ignore[import-not-found]

            annotate_store(con)
        except ImportError:
            _annotate(con)
    return con


def _annotate(con: duckdb.DuckDBPyConnection) -> None:
    from miroir.language import ENGINE_VERSION, annotate_batch

    u = con.execute("SELECT conversation_id, turn, text, lang, role FROM utterances").df()
    anns = annotate_batch([(t, lg if lg in ("fr", "en") else None, r, None)
                           for t, lg, r in zip(u["text"], u["lang"], u["role"], strict=True)])
    df = pd.DataFrame({"conversation_id": u["conversation_id"], "turn": u["turn"],
                       "labels": [list(a.labels) for a in anns],
                       "spans": [json.dumps({k: [list(s) for s in v] for k, v in a.spans.items()}) for a in anns],
                       "engine_version": ENGINE_VERSION, "file_sha256": None})
    con.execute("DELETE FROM annotations")
    con.register("_ann", df)
    con.execute("INSERT INTO annotations SELECT * FROM _ann")
    con.unregister("_ann")


def run_lens(con: duckdb.DuckDBPyConnection, params: dict[str, Any] | None = None) -> tuple[Any, float]:
    from miroir.diagnose import _load_settings
    from miroir.lenses.base import LensContext
    from miroir.lenses.intuition import IntuitionLens

    ctx = LensContext(con=con, config=_load_settings(con), params={"intuition": params or {}})
    t = time.perf_counter()
    res = IntuitionLens().run(ctx)
    return res, time.perf_counter() - t


def one(root: Path, seed: int, scale: float, lang: str, null: bool) -> dict[str, Any]:
    from miroir.simulate.core import simulate

    out = root / f"{'null' if null else 'planted'}-{seed}"
    plants = None if null else ["fragile_deal@org", "org_event_effect@org", "gut_call_accuracy@manager:#1"]
    sim = simulate(out / "data", lang=lang, seed=seed, scale=scale, plants=plants, null=null)
    con = prepare(out / "data", out / "db.duckdb")
    res, secs = run_lens(con)
    con.close()
    v = res.params.get("validation", {})
    row: dict[str, Any] = {"seed": seed, "null": null, "deals": sim.counts["deals"], "lens_s": round(secs, 2),
                           "fragile_findings": sum(f.kind == "fragile_deal" for f in res.findings),
                           "passed": v.get("passed")}
    for k in ("model", "stage", "forecast_category"):
        a = v.get("auc", {}).get(k)
        row[f"auc_{k}"] = None if a is None else [round(x, 3) for x in a]
    row["signal_auc_within_stage"] = [round(x, 3) for x in v.get("signal_auc_within_stage", [])]
    row["auc_gain_vs"] = {k: [round(x, 3) for x in a] for k, a in v.get("auc_gain_vs", {}).items()}
    if not null:
        gt = json.loads(sim.ground_truth_path.read_text())
        gut = next(p for p in gt if p["kind"] == "gut_call_accuracy")
        g = res.metrics.get("gut_calls")
        if g is not None:
            r = g[g["person"] == gut["scope"]["id"]]
            if len(r):
                r0 = r.iloc[0]
                row["gut"] = {"person": gut["scope"]["id"], "planted": gut["params"]["planted_precision"],
                              "realised_sim": gut["params"]["realised_precision"],
                              "estimate": round(float(r0["bad_when_fragile"]), 3),
                              "ci": [round(float(r0["bad_when_fragile_low"]), 3),
                                     round(float(r0["bad_when_fragile_high"]), 3)],
                              "covered": bool(r0["bad_when_fragile_low"] <= gut["params"]["planted_precision"]
                                              <= r0["bad_when_fragile_high"]),
                              "finding": any(f.kind == "intuition_calibration" and f.scope.id == gut["scope"]["id"]
                                             for f in res.findings)}
    ev = res.metrics.get("org_event_effects")
    if ev is not None:
        keep = ev[ev["metric"].isin(["discount_depth", "pressure_density"])]
        row["events"] = [
            {"date": r.event_date, "metric": r.metric, "placebo": bool(r.placebo), "change": round(r.level_change, 4),
             "ci": [round(r.ci_low, 4), round(r.ci_high, 4)], "q": round(r.q_bh, 4)} for r in keep.itertuples()]
        row["org_change_findings"] = [f.params.get("metric") for f in res.findings if f.kind == "org_change_effect"]
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--lang", default="en")
    ap.add_argument("--no-null", action="store_true")
    ap.add_argument("--keep", type=Path, default=None)
    a = ap.parse_args()
    root = a.keep or Path(tempfile.mkdtemp(prefix="miroir-intuition-"))
    rows = []
    try:
        for seed in range(a.seeds):
            for null in ([False] if a.no_null else [False, True]):
                r = one(root, seed, a.scale, a.lang, null)
                rows.append(r)
                print(json.dumps(r, ensure_ascii=False), flush=True)
    finally:
        if a.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    planted = [r for r in rows if not r["null"]]
    nulls = [r for r in rows if r["null"]]
    if planted:
        print("planted: mean model AUC", round(sum(r["auc_model"][0] for r in planted if r["auc_model"]) /
                                              max(1, len(planted)), 3),
              "passed", sum(bool(r["passed"]) for r in planted), "/", len(planted),
              "gut covered", sum(bool(r.get("gut", {}).get("covered")) for r in planted), "/", len(planted))
    if nulls:
        print("null: fragile findings", sum(r["fragile_findings"] for r in nulls),
              "signal AUC CI covering 0.5", sum(r["signal_auc_within_stage"][1] <= 0.5 <= r["signal_auc_within_stage"][2]
                                               for r in nulls if r["signal_auc_within_stage"]), "/", len(nulls))


if __name__ == "__main__":
    main()
