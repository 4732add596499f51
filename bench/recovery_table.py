"""Recovery table: each kind planted alone at a small scale, 20 seeds; plus --null.

Prints, per kind: found at the planted scope / seeds (and for null: seeds with
no finding of that kind / seeds). Usage:
    python bench/recovery_table.py [--seeds 20] [--scale 0.5] [--lang fr] [--kinds a,b]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from miroir.diagnose import diagnose
from miroir.lenses.registry import lens_names
from miroir.models import KIND_LENS
from miroir.simulate import simulate


def run(kind: str | None, lang: str, seed: int, scale: float) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        res = simulate(Path(tmp) / "dataset", lang=lang, seed=seed, scale=scale,
                       plants=[kind] if kind else [], null=kind is None)
        truth = json.loads(res.ground_truth_path.read_text(encoding="utf-8"))
        doc = diagnose(res.dataset, Path(tmp) / "out", lang=lang).doc
        return truth, doc["findings"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--scale", type=float, default=0.5)
    ap.add_argument("--lang", default="fr")
    ap.add_argument("--kinds", default="")
    a = ap.parse_args()
    kinds = [k for k in (a.kinds.split(",") if a.kinds else sorted(KIND_LENS)) if k]
    present = set(lens_names())
    null_hits: dict[str, int] = dict.fromkeys(kinds, 0)
    t0 = time.perf_counter()
    for seed in range(a.seeds):
        _, findings = run(None, a.lang, seed, a.scale)
        for k in {f["kind"] for f in findings} & set(kinds):
            null_hits[k] += 1
    print(f"{'kind':32} {'lens':12} found@scope  null-clean  (lang={a.lang}, scale={a.scale}, {a.seeds} seeds)")
    for kind in kinds:
        lens = KIND_LENS[kind]
        if lens not in present:
            print(f"{kind:32} {lens:12} lens not registered")
            continue
        ok = 0
        for seed in range(a.seeds):
            truth, findings = run(kind, a.lang, seed, a.scale)
            scope = next(g["scope"] for g in truth if g["kind"] == kind)
            ok += any(f["kind"] == kind and ((f["scope"]["level"] == scope["level"]
                      and str(f["scope"]["id"]) == scope["id"])
                      or (kind == "fragile_deal" and f["scope"]["level"] == "deal")) for f in findings)
        print(f"{kind:32} {lens:12} {ok:>5}/{a.seeds:<5} {a.seeds - null_hits[kind]:>5}/{a.seeds}", flush=True)
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
