"""Recovery table: each kind planted alone, N seeds, FR and EN; plus --null organisations.

For every (kind, lang, seed) it simulates a small organisation with that one
plant, runs ingest → (annotation) → lenses → synthesis exactly as ``diagnose``
does (the HTML report is not rendered: it does not change findings), and
records whether a finding of the planted kind is at the planted scope. ``--lenses``
runs a subset of the lenses (annotation always runs, as in ``diagnose``). Null
organisations record every finding of the selected kinds (false positives).

Runs are spread over ``--jobs`` processes and appended to ``--out`` (JSON
lines) as they finish, so an interrupted table resumes where it stopped.

    python bench/recovery_table.py --seeds 20 --langs fr,en --jobs 2 --out /tmp/rec.jsonl
    python bench/recovery_table.py --lenses forecast,pipeline,incentives,intuition   # CRM kinds only
    python bench/recovery_table.py --kinds stalled_deals --seeds 20 --langs en
    python bench/recovery_table.py --table-only --out /tmp/rec.jsonl                 # print the table again
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from miroir.lenses.registry import all_lenses
from miroir.models import KIND_LENS

NULL = "null"


def run_one(kind: str, lang: str, seed: int, scale: float, lenses: list[str]) -> dict[str, Any]:
    """Simulate one organisation and return what the selected lenses found."""
    from miroir.diagnose import _load_settings
    from miroir.lenses.base import LensContext
    from miroir.lenses.runner import run_lenses
    from miroir.simulate import simulate
    from miroir.simulate.plants import PLANT_ALIASES
    from miroir.store.ingest import ingest_dataset
    from miroir.store.schema import open_store, table_count
    from miroir.synthesis import synthesise

    t0 = time.perf_counter()
    selected = [lens for lens in all_lenses() if lens.name in lenses]
    with tempfile.TemporaryDirectory() as tmp:
        res = simulate(Path(tmp) / "dataset", lang=lang, seed=seed, scale=scale,
                       plants=[] if kind == NULL else [kind], null=kind == NULL)
        truth = json.loads(res.ground_truth_path.read_text(encoding="utf-8"))
        db = Path(tmp) / "store.duckdb"
        ingest_dataset(res.dataset, db)
        con = open_store(db)
        try:
            if table_count(con, "utterances"):  # as diagnose does (the intuition lens reads annotations too)
                from miroir.store.annotations import annotate_store

                annotate_store(con)
            ctx = LensContext(con=con, config=_load_settings(con))
            outcome = run_lenses(ctx, selected, store_metrics=False)
            findings, _ = synthesise(outcome.findings)
        finally:
            con.close()
    found = [{"kind": f.kind, "level": f.to_dict()["scope"]["level"], "id": str(f.to_dict()["scope"]["id"])}
             for f in findings]
    scope = None
    if kind != NULL:
        scope = next(g["scope"] for g in truth if g["kind"] == PLANT_ALIASES.get(kind, kind))
    return {"kind": kind, "lang": lang, "seed": seed, "scale": scale, "planted": scope, "found": found,
            "seconds": round(time.perf_counter() - t0, 2)}


def hit(row: dict[str, Any]) -> bool:
    """Whether a planted run found its kind at the planted scope."""
    kind, scope = row["kind"], row["planted"]
    for f in row["found"]:
        if f["kind"] != kind:
            continue
        if kind == "fragile_deal" and f["level"] == "deal":  # planted org-wide, found per deal
            return True
        if f["level"] == scope["level"] and f["id"] == str(scope["id"]):
            return True
    return False


def table(rows: list[dict[str, Any]], kinds: list[str], langs: list[str]) -> str:
    latest: dict[tuple[str, str, int], dict[str, Any]] = {}
    for r in rows:
        latest[(r["kind"], r["lang"], r["seed"])] = r
    lines = ["| kind (planted at) | " + " | ".join(f"found {x}" for x in langs)
             + " | " + " | ".join(f"null clean {x}" for x in langs) + " |",
             "|---|" + "---|" * (2 * len(langs))]
    for kind in kinds:
        cells, nulls, where = [], [], ""
        for lang in langs:
            runs = [r for (k, la, _), r in latest.items() if k == kind and la == lang]
            where = where or next((r["planted"]["level"] for r in runs), "")
            cells.append(f"{sum(hit(r) for r in runs)}/{len(runs)}" if runs else "–")
            nr = [r for (k, la, _), r in latest.items() if k == NULL and la == lang]
            clean = sum(not any(f["kind"] == kind for f in r["found"]) for r in nr)
            nulls.append(f"{clean}/{len(nr)}" if nr else "–")
        lines.append(f"| {kind}@{where} | " + " | ".join(cells) + " | " + " | ".join(nulls) + " |")
    for lang in langs:
        nr = [r for (k, la, _), r in latest.items() if k == NULL and la == lang]
        if nr:
            empty = sum(not any(f["kind"] in kinds for f in r["found"]) for r in nr)
            lines.append(f"| null org, no finding of these kinds ({lang}) | {empty}/{len(nr)} |")
    misses = sorted(f"{k} {la} seed {s}" for (k, la, s), r in latest.items() if k != NULL and not hit(r))
    fps = sorted(f"{la} seed {s}: " + ", ".join(sorted({f"{f['kind']}@{f['level']}:{f['id']}" for f in r["found"]
                                                          if f["kind"] in kinds}))
                 for (k, la, s), r in latest.items() if k == NULL and any(f["kind"] in kinds for f in r["found"]))
    if misses:
        lines.append("\nmissed: " + "; ".join(misses))
    if fps:
        lines.append("null false positives: " + "; ".join(fps))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--scale", type=float, default=0.3, help="same default as tests/recovery")
    ap.add_argument("--langs", default="fr,en")
    ap.add_argument("--kinds", default="", help="comma-separated kinds (default: those of --lenses)")
    ap.add_argument("--lenses", default="", help="comma-separated lenses to run (default: all)")
    ap.add_argument("--no-null", action="store_true", help="skip the null organisations")
    ap.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("--out", default="", help="JSON-lines file: results are appended; finished runs are skipped")
    ap.add_argument("--table-only", action="store_true")
    a = ap.parse_args()
    lenses = [x for x in a.lenses.split(",") if x] or [lens.name for lens in all_lenses()]
    kinds = [k for k in a.kinds.split(",") if k] or sorted(k for k, lens in KIND_LENS.items() if lens in lenses)
    langs = [x for x in a.langs.split(",") if x]
    out = Path(a.out) if a.out else None
    rows: list[dict[str, Any]] = []
    if out and out.exists():
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    done = {(r["kind"], r["lang"], r["seed"], r["scale"]) for r in rows}
    seeds = range(a.first_seed, a.first_seed + a.seeds)
    todo = [(k, la, s) for s in seeds for la in langs for k in ([] if a.no_null else [NULL]) + kinds
            if (k, la, s, a.scale) not in done]
    t0 = time.perf_counter()
    if not a.table_only and todo:
        print(f"{len(todo)} runs on {a.jobs} processes (lenses: {', '.join(lenses)})", flush=True)
        with ProcessPoolExecutor(a.jobs) as pool:
            futs = {pool.submit(run_one, k, la, s, a.scale, lenses): (k, la, s) for k, la, s in todo}
            for i, fut in enumerate(as_completed(futs), 1):
                row = fut.result()
                rows.append(row)
                if out:
                    with out.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                mark = "ok" if row["kind"] == NULL or hit(row) else "MISS"
                if row["kind"] == NULL:
                    fp = [f for f in row["found"] if f["kind"] in kinds]
                    mark = "clean" if not fp else "FP " + ", ".join(f"{f['kind']}@{f['level']}" for f in fp)
                print(f"[{i}/{len(todo)}] {row['kind']} {row['lang']} seed {row['seed']}: {mark} "
                      f"({row['seconds']} s)", flush=True)
    rows = [r for r in rows if r["scale"] == a.scale and r["seed"] in seeds and r["lang"] in langs]
    print(f"\nscale {a.scale}, seeds {a.first_seed}..{a.first_seed + a.seeds - 1}, "
          f"{time.perf_counter() - t0:.0f} s\n")
    print(table(rows, kinds, langs))


if __name__ == "__main__":
    main()
