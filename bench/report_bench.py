"""Report at scale: generation time, file size and open time in Chromium.

Builds a scale-25-like store (50k deals, 1M deal changes, 15k conversations,
metric tables of 2k-50k rows) and a diagnosis with 200 findings (40 evidence
items each), then times render (EN, FR pseudonymised), the xlsx export and
opening report.html in headless Chromium (Playwright, /usr/bin/chromium).

    .venv/bin/python bench/report_bench.py [--out /tmp/miroir-report-bench]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd

from miroir.models import KIND_LENS, Effect, Evidence, Finding, Metric, Observation, Scope
from miroir.report.export import write_xlsx
from miroir.report.pseudonymise import pseudonymise_doc, pseudonymise_tables
from miroir.report.render import render_report
from miroir.store.schema import memory_store
from miroir.synthesis import synthesise

N_DEALS, N_CHANGES, N_CONV, N_REPS, N_ACCOUNTS = 50_000, 1_000_000, 15_000, 250, 5_000
FIRST = ["Jean", "Marie", "Léa", "Paul", "Sophie", "Luc", "Emma", "Hugo", "Chloé", "Louis", "Anna", "Tom"]
LAST = ["Dupont", "Martin", "Bernard", "Durand", "Petit", "Moreau", "Laurent", "Simon", "Michel", "Garcia"]


def build_store(rng: np.random.Generator):  # type: ignore[no-untyped-def]
    con = memory_store()
    reps = [f"{FIRST[i % 12]} {LAST[(i // 12) % 10]}{'' if i < 120 else ' ' + str(i)}" for i in range(N_REPS)]
    people = pd.DataFrame({"person_id": [f"p{i}" for i in range(N_REPS)], "name": reps, "role": "rep",
                           "team": [f"Team {i % 25}" for i in range(N_REPS)], "manager": None})
    con.register("p", people)
    con.execute("INSERT INTO people (person_id, name, role, team, manager) SELECT * FROM p")
    start = np.datetime64("2024-01-01")
    created = start + rng.integers(0, 700, N_DEALS).astype("timedelta64[D]")
    deals = pd.DataFrame({
        "deal_id": [f"D-{i:06d}" for i in range(N_DEALS)],
        "name": [f"Deal {i}" for i in range(N_DEALS)],
        "account": [f"Account Corp {i % N_ACCOUNTS}" for i in range(N_DEALS)],
        "owner": [reps[i % N_REPS] for i in range(N_DEALS)],
        "team": [f"Team {(i % N_REPS) % 25}" for i in range(N_DEALS)],
        "amount": rng.lognormal(10, 1, N_DEALS), "currency": "EUR", "stage": "Closed Won",
        "forecast_category": "closed", "created_at": created,
        "close_date": created + rng.integers(10, 200, N_DEALS).astype("timedelta64[D]"),
        "status": rng.choice(["won", "lost", "open"], N_DEALS),
    })
    con.register("d", deals)
    con.execute("INSERT INTO deals (deal_id, name, account, owner, team, amount, currency, stage, forecast_category,"
                " created_at, close_date, status) SELECT * FROM d")
    idx = rng.integers(0, N_DEALS, N_CHANGES)
    at = start + rng.integers(0, 700 * 24, N_CHANGES).astype("timedelta64[h]")
    old = start + rng.integers(0, 800, N_CHANGES).astype("timedelta64[D]")
    new = old + rng.integers(-30, 60, N_CHANGES).astype("timedelta64[D]")
    ch = pd.DataFrame({"deal_id": np.char.add("D-", np.char.zfill(idx.astype(str), 6)), "changed_at": at,
                       "field": "close_date", "old_value": old.astype(str), "new_value": new.astype(str)})
    con.register("c", ch)
    con.execute("INSERT INTO deal_changes (deal_id, changed_at, field, old_value, new_value) SELECT * FROM c")
    conv = pd.DataFrame({"conversation_id": [f"C-{i:05d}" for i in range(N_CONV)],
                         "kind": rng.choice(["customer_call", "pipeline_review"], N_CONV),
                         "started_at": start + rng.integers(0, 700 * 24, N_CONV).astype("timedelta64[h]"),
                         "title": [f"Call {i} with Account Corp {i % N_ACCOUNTS}" for i in range(N_CONV)]})
    con.register("v", conv)
    con.execute("INSERT INTO conversations (conversation_id, kind, started_at, title) SELECT * FROM v")
    spk = pd.DataFrame({"conversation_id": [f"C-{i % N_CONV:05d}" for i in range(30_000)], "turn": 1,
                        "speaker": [f"Client{i % 3000} Person" if i % 2 else reps[i % N_REPS] for i in range(30_000)],
                        "role": ["customer" if i % 2 else "rep" for i in range(30_000)]})
    con.register("u", spk)
    con.execute("INSERT INTO utterances (conversation_id, turn, speaker, role) SELECT * FROM u")
    con.executemany("INSERT INTO problems (severity, file, tbl, row_no, col, message, code) VALUES (?,?,?,?,?,?,?)",
                    [("warning", "deals.csv", "deals", i, "close_date", "close date before creation date", "cbc")
                     for i in range(500)])
    periods = [f"{y}-Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]
    metrics = {
        "metric_forecast_accuracy": pd.DataFrame({
            "period": [p for p in periods for _ in range(N_REPS + 1)],
            "level": [("org" if i == 0 else "rep") for _ in periods for i in range(N_REPS + 1)],
            "owner": [(None if i == 0 else reps[i - 1]) for _ in periods for i in range(N_REPS + 1)],
            "accuracy": rng.uniform(0.4, 0.95, len(periods) * (N_REPS + 1)),
            "won_value": rng.lognormal(13, 0.5, len(periods) * (N_REPS + 1))}),
        "metric_pipeline_deals": pd.DataFrame({
            "deal_id": deals["deal_id"], "owner": deals["owner"], "account": deals["account"],
            "pushes": rng.poisson(1.2, N_DEALS), "stage_age_days": rng.integers(0, 300, N_DEALS),
            "slipped": rng.random(N_DEALS) < 0.3}),
        "metric_pipeline_slippage": pd.DataFrame({"period": periods, "slippage_rate": rng.uniform(0.2, 0.4, 8)}),
    }
    for name, df in metrics.items():
        con.register("_m", df)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _m")
        con.unregister("_m")
    return con, reps, metrics


def build_findings(rng: random.Random, reps: list[str]) -> list[Finding]:
    kinds = sorted(KIND_LENS)
    out = []
    for i in range(200):
        k = kinds[i % len(kinds)]
        lvl = ["org", "team", "rep", "manager"][i % 4]
        sid = {"org": "all", "team": f"Team {i % 25}", "rep": reps[i % len(reps)], "manager": reps[(i * 7) % len(reps)]}[lvl]
        ev: list[Evidence] = []
        for j in range(40):
            d = f"D-{rng.randrange(N_DEALS):06d}"
            if j % 3 == 0:
                ev.append(Evidence("utterance", conversation_id=f"C-{rng.randrange(N_CONV):05d}", start_s=rng.uniform(0, 3600),
                                   speaker_role="rep", speaker=reps[j % len(reps)],
                                   quote=f"{reps[j % len(reps)]} says: we need Account Corp {j} to sign before the "
                                         "end of the quarter, call me at 06 12 34 56 78, " * 2))
            elif j % 3 == 1:
                ev.append(Evidence("deal_change", deal_id=d, changed_at="2025-03-29T17:02:00Z", field="close_date",
                                   old_value="2025-03-31", new_value="2025-06-30"))
            else:
                ev.append(Evidence("deal", deal_id=d))
        est = rng.uniform(0.05, 0.5)
        out.append(Finding(k, KIND_LENS[k], Scope(lvl, sid), f"Finding {i} about {sid}", f"Statement {i} " * 10,  # type: ignore[arg-type]
                           Metric("m", est + 0.2, 0.2, "share"), Effect(est, est * 0.5, est * 1.5), rng.randrange(20, 2000),
                           rng.uniform(0.8, 1.0), ev, f"Question {i}?", value_at_stake=rng.uniform(1e4, 1e7)))
    return out


def chromium_open(path: Path) -> tuple[float, float, float]:
    """(load event, Plotly ready, first chart drawn) in seconds from navigation start."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = b.new_page(viewport={"width": 1280, "height": 800})
        t0 = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        t_load = time.perf_counter() - t0
        page.wait_for_function("typeof Plotly !== 'undefined'")
        t_ready = time.perf_counter() - t0
        page.locator("div.chart").first.scroll_into_view_if_needed()
        page.wait_for_selector("div.chart .main-svg")
        t_chart = time.perf_counter() - t0
        b.close()
    return t_load, t_ready, t_chart


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("/tmp/miroir-report-bench"))
    ap.add_argument("--no-browser", action="store_true")
    a = ap.parse_args()
    t = time.perf_counter()
    con, reps, metrics = build_store(np.random.default_rng(7))
    print(f"store built in {time.perf_counter() - t:.1f} s")
    findings = build_findings(random.Random(7), reps)
    t = time.perf_counter()
    ranked, opt = synthesise(findings)
    print(f"synthesise 200 findings: {time.perf_counter() - t:.3f} s, {len(opt)} statements")
    doc = {"schema_version": 1, "generated_at": "2026-11-26T10:00:00Z",
           "dataset": {"path": "/x", "deals": N_DEALS, "conversations": N_CONV, "period_from": "2024-01-01",
                       "period_to": "2025-12-31"},
           "lenses_run": sorted(set(KIND_LENS.values())), "lenses_skipped": [], "lenses_failed": [],
           "findings": [f.to_dict() for f in ranked],
           "observations": [Observation("forecast", "forecast_bias", Scope("rep", reps[i % N_REPS]),
                                        f"{reps[i % N_REPS]}: 4 periods, need 6", "below_min_n", 4).to_dict()
                            for i in range(300)],
           "optimizing_for": [o.to_dict() for o in opt],
           "methods": {lens: {"params": {"min_n": 30, "alpha": 0.05}, "methods": ["A method sentence."] * 3}
                       for lens in set(KIND_LENS.values())}}
    for lang, pseudo in (("en", False), ("fr", True)):
        out = a.out / f"{lang}{'-pseudo' if pseudo else ''}"
        t = time.perf_counter()
        d = pseudonymise_doc(doc, con) if pseudo else doc
        path = render_report(d, out, lang=lang, con=con, pseudonymise=pseudo)
        gen = time.perf_counter() - t
        (out / "findings.json").write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
        print(f"report {lang}{' pseudonymised' if pseudo else ''}: {gen:.2f} s, {path.stat().st_size / 1e6:.2f} MB")
        if not a.no_browser:
            load, ready, chart = chromium_open(path)
            print(f"  chromium: load event {load:.2f} s, Plotly ready {ready:.2f} s, first chart drawn {chart:.2f} s")
    t = time.perf_counter()
    ps = pseudonymise_tables(metrics, con, doc)
    print(f"pseudonymise metric tables ({sum(len(v) for v in metrics.values())} rows): {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    x = write_xlsx(doc, ps, a.out / "miroir.xlsx")
    print(f"xlsx: {time.perf_counter() - t:.2f} s, {x.stat().st_size / 1e6:.2f} MB")
    _ = dt


if __name__ == "__main__":
    main()
