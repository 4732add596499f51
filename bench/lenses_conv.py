"""Benchmarks of the conversation lenses (pressure, assumptions, meetings, customers).

    python bench/lenses_conv.py perf --scale 25 [--lang fr]
        simulate -> ingest -> annotate -> the four lenses, timed; then a re-run of the
        annotation step (cached: only new conversations are annotated).
    python bench/lenses_conv.py recovery --seeds 20 [--scale 0.5] [--kinds k1,k2]
        each kind of these lenses planted alone, in FR and EN organisations: found at the
        planted scope? plus null organisations: any finding of these kinds? Prints the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

CONV_KINDS = ("pressure_in_reviews", "pressure_on_customers", "unverified_claims_in_reviews",
              "clarification_debt", "low_discovery", "defensive_reviews", "manager_dominance",
              "attention_mismatch", "recurring_review_deals", "decision_signal_gap", "single_threaded_deals")


def _lenses():  # type: ignore[no-untyped-def]
    from miroir.lenses.assumptions import AssumptionsLens
    from miroir.lenses.customers import CustomersLens
    from miroir.lenses.meetings import MeetingsLens
    from miroir.lenses.pressure import PressureLens

    return [PressureLens(), AssumptionsLens(), MeetingsLens(), CustomersLens()]


def build(folder: Path, *, lang: str, seed: int, scale: float, plants: list[str], null: bool,
          timings: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    from miroir.simulate import simulate
    from miroir.store.annotations import annotate_store
    from miroir.store.ingest import ingest_dataset
    from miroir.store.schema import open_store

    t = time.perf_counter()
    sim = simulate(folder / "dataset", lang=lang, seed=seed, scale=scale, plants=plants, null=null)
    t_sim = time.perf_counter() - t
    db = folder / "store.duckdb"
    t = time.perf_counter()
    ingest_dataset(sim.dataset, db)
    t_ing = time.perf_counter() - t
    con = open_store(db)
    t = time.perf_counter()
    n_ann = annotate_store(con)
    t_ann = time.perf_counter() - t
    if timings is not None:
        timings.update(simulate=t_sim, ingest=t_ing, annotate=t_ann, annotated=n_ann)
    return sim, con


def run_lenses(con, timings: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    from miroir.config import DatasetConfig
    from miroir.lenses.base import LensContext

    ctx = LensContext(con=con, config=DatasetConfig())
    findings = []
    for lens in _lenses():
        reason = lens.skip_reason(ctx)
        if reason:
            print(f"  {lens.name}: skipped ({reason})", file=sys.stderr)
            continue
        t = time.perf_counter()
        res = lens.run(ctx)
        if timings is not None:
            timings[lens.name] = time.perf_counter() - t
        findings.extend(res.findings)
    return findings


def perf(args: argparse.Namespace) -> None:
    from miroir.store.schema import open_store

    with tempfile.TemporaryDirectory() as tmp:
        tm: dict[str, float] = {}
        keep = Path(args.keep) if args.keep else None
        if keep is not None and (keep / "store.duckdb").exists():
            con = open_store(keep / "store.duckdb")  # reuse: time the lenses (and the cached annotation) only
            tm["annotate"] = 0.0
        else:
            folder = keep or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            sim, con = build(folder, lang=args.lang, seed=0, scale=args.scale, plants=[], null=True, timings=tm)
        n_conv = con.execute("SELECT count(*) FROM conversations").fetchone()[0]
        n_utt = con.execute("SELECT count(*) FROM utterances").fetchone()[0]
        run_lenses(con, tm)
        t = time.perf_counter()
        again = __import__("miroir.store.annotations", fromlist=["annotate_store"]).annotate_store(con)
        tm["annotate_rerun"] = time.perf_counter() - t
        tm["annotate_rerun_utterances"] = again
        lens_total = sum(tm[k] for k in ("pressure", "assumptions", "meetings", "customers") if k in tm)
        print(json.dumps({"scale": args.scale, "lang": args.lang, "conversations": n_conv, "utterances": n_utt,
                          **{k: round(v, 2) for k, v in tm.items()},
                          "lenses_total_s": round(lens_total, 2),
                          "annotate_plus_lenses_s": round(lens_total + tm["annotate"], 2)}, indent=1))
        con.close()


def recovery(args: argparse.Namespace) -> None:
    kinds = args.kinds.split(",") if args.kinds else list(CONV_KINDS)
    table: dict[tuple[str, str], list[int]] = {}
    for lang in args.langs.split(","):
        for kind in [*kinds, "null"]:
            hits = 0
            for seed in range(args.seeds):
                with tempfile.TemporaryDirectory() as tmp:
                    sim, con = build(Path(tmp), lang=lang, seed=seed, scale=args.scale,
                                     plants=[] if kind == "null" else [kind], null=kind == "null")
                    found = run_lenses(con)
                    con.close()
                    got = [(f.kind, f.scope.level, f.scope.id) for f in found]
                    if kind == "null":
                        ok = not [g for g in got if g[0] in CONV_KINDS]
                    else:
                        gt = json.loads(sim.ground_truth_path.read_text(encoding="utf-8"))
                        sc = next(g["scope"] for g in gt if g["kind"] == kind)
                        ok = (kind, sc["level"], str(sc["id"])) in got
                    hits += int(ok)
                    if args.verbose:
                        print(f"{lang} {kind} seed={seed} ok={ok} found={got}", file=sys.stderr, flush=True)
            table[(kind, lang)] = [hits, args.seeds]
            print(f"{kind:30s} {lang}  {hits}/{args.seeds}", flush=True)
    print(json.dumps({f"{k}@{lang}": v for (k, lang), v in table.items()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("perf")
    p.add_argument("--scale", type=float, default=25)
    p.add_argument("--lang", default="fr")
    p.add_argument("--keep", default="", help="folder to keep (and reuse) the simulated store")
    r = sub.add_parser("recovery")
    r.add_argument("--seeds", type=int, default=20)
    r.add_argument("--scale", type=float, default=0.5)
    r.add_argument("--kinds", default="")
    r.add_argument("--langs", default="fr,en")
    r.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    perf(args) if args.cmd == "perf" else recovery(args)


if __name__ == "__main__":
    main()
