"""A realistic small diagnosis (findings built from the dataclasses) and a store behind it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pandas as pd

from miroir import __version__
from miroir.models import Effect, Evidence, Finding, LensSkipped, Metric, Observation, Scope
from miroir.store.schema import memory_store
from miroir.synthesis import synthesise

EVIL = "<script>alert('x')</script> Evil"
# every real name of people and accounts in the sample (what pseudonymisation must remove)
PEOPLE = ["Jean Dupont", "Marie Curie", "Paul Martin", "Léa Rousseau", "Sophie Bernard", EVIL]
ACCOUNTS = ["Acme Industries", "Boulangerie Zéphyr"]
QUOTE_PII = "Call me at 06 12 34 56 78 or write to paul.martin@acme-industries.fr, IBAN FR76 3000 6000 0112 3456 7890 189"


def sample_findings() -> list[Finding]:
    return [
        Finding(
            kind="period_end_discounting", lens="incentives", scope=Scope("team", "Sud"),
            title="Discounts deepen in the last two weeks of the quarter",
            statement="In team Sud, deals closed in the last 10 business days carry 5.8 points more discount.",
            metric=Metric("discount_gap_pts", 7.9, 2.1, "pts"),
            effect=Effect(5.8, 3.1, 8.4, "OLS HC1"), n=214, confidence=0.97,
            evidence=[
                Evidence("deal", deal_id="D-0192"),
                Evidence("deal_change", deal_id="D-0192", changed_at="2026-03-29T17:02:00Z", field="discount_pct",
                         old_value="5", new_value="18"),
                Evidence("deal_change", deal_id="D-0192", changed_at="2026-03-30T09:00:00Z", field="owner",
                         old_value="Jean Dupont", new_value="Léa Rousseau"),
                Evidence("utterance", conversation_id="C-0311", start_s=812.4, speaker_role="customer",
                         speaker="Paul Martin", quote=QUOTE_PII),
            ],
            question="Which discounts would we have granted if the quarter ended a month later?",
            value_at_stake=1_200_000.0,
            params={"window_days": 10, "title_fr": "Les remises se creusent dans les deux dernières semaines",
                    "statement_fr": "Dans l'équipe Sud, les affaires conclues en fin de trimestre ont 5,8 points de remise en plus.",
                    "question_fr": "Quelles remises aurions-nous accordées si le trimestre finissait un mois plus tard ?"},
        ),
        Finding(
            kind="late_period_concentration", lens="forecast", scope=Scope("org", "all"),
            title="Won value bunches at quarter end",
            statement="41% of won value lands in the last 10 business days (uniform share 16%).",
            metric=Metric("last10_share", 0.41, 0.16, "share"), effect=Effect(0.25, 0.19, 0.31, "bootstrap"),
            n=1480, confidence=0.99,
            evidence=[Evidence("deal", deal_id=f"D-{i:04d}") for i in range(1, 30)],
            question="What would a quarter look like if we stopped closing the last week?",
            value_at_stake=9_000_000.0,
        ),
        Finding(
            kind="forecast_bias", lens="forecast", scope=Scope("rep", "Jean Dupont"),
            title="Jean Dupont's calls are optimistic",
            statement="Jean Dupont's commit calls exceed what closes by 32% on average.",
            metric=Metric("forecast_bias_optimistic", 0.32, 0.0, "share"), effect=Effect(0.32, 0.12, 0.52),
            n=8, confidence=0.9,
            evidence=[Evidence("utterance", conversation_id="C-0100", start_s=65.0, speaker_role="rep",
                               speaker="Jean Dupont", quote="Acme Industries will sign, Marie, I promise.")],
            question="What does a commit mean in our forecast calls?",
            params={"title_fr": "Les annonces de Jean Dupont sont optimistes"},
        ),
        Finding(
            kind="pressure_in_reviews", lens="pressure", scope=Scope("manager", "Marie Curie"),
            title="Pressure language rises toward period end in Marie Curie's reviews",
            statement="Pressure labels double in the last month of the quarter.",
            metric=Metric("pressure_share", 0.22, 0.11, "share"), effect=Effect(0.11, 0.05, 0.17),
            n=36, confidence=0.95,
            evidence=[Evidence("utterance", conversation_id="C-0200", start_s=3725.0, speaker_role="manager",
                               speaker="Marie Curie",
                               quote="Jean, Sophie: Boulangerie Zéphyr must close this week, no excuses.")],
            question="What do we want people to feel when they leave a forecast call?",
        ),
        Finding(
            kind="low_discovery", lens="assumptions", scope=Scope("rep", EVIL),
            title=f"Few questions in {EVIL}'s customer calls",
            statement="The rep talks 78% of the time and asks 1.2 open questions per call.",
            metric=Metric("rep_talk_share", 0.78, 0.55, "share"), effect=Effect(0.23, 0.15, 0.31),
            n=40, confidence=0.93,
            evidence=[Evidence("utterance", conversation_id="C-0300", start_s=30.0, speaker_role="rep",
                               speaker=EVIL, quote="<b>Let me</b> tell you about our product & roadmap.")],
            question="What do we know about how this customer decides?",
        ),
    ]


def sample_store() -> duckdb.DuckDBPyConnection:
    con = memory_store()
    con.executemany("INSERT INTO people (person_id, name, role, team, manager, aliases) VALUES (?, ?, ?, ?, ?, ?)", [
        ("p1", "Jean Dupont", "rep", "Sud", "Marie Curie", "JD;Jeannot"),
        ("p2", "Marie Curie", "manager", "Sud", None, None),
        ("p3", "Léa Rousseau", "rep", "Nord", "Marie Curie", None),
        ("p4", "Sophie Bernard", "rep", "Sud", "Marie Curie", None),
        ("p5", EVIL, "rep", "Nord", "Marie Curie", None),
    ])
    deals = [("D-0192", "Acme Industries - renewal 2026", "Acme Industries", "Jean Dupont", "Sud", 120000.0, "EUR",
              "Closed Won", "closed", dt.date(2025, 10, 1), dt.date(2026, 3, 31), "won")]
    for i in range(1, 30):
        q = dt.date(2025, 3 * (i % 4) + 1, 15) if i % 4 else dt.date(2026, 1, 15)
        deals.append((f"D-{i:04d}", f"Boulangerie Zéphyr lot {i}", "Boulangerie Zéphyr", "Léa Rousseau", "Nord",
                      1000.0 * i, "EUR", "Closed Won", "closed", dt.date(2024, 12, 1), q, "won"))
    con.executemany("INSERT INTO deals (deal_id, name, account, owner, team, amount, currency, stage, "
                    "forecast_category, created_at, close_date, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", deals)
    con.executemany("INSERT INTO conversations (conversation_id, kind, started_at, title) VALUES (?, ?, ?, ?)", [
        ("C-0311", "customer_call", dt.datetime(2026, 3, 20, 10), "Acme Industries negotiation"),
        ("C-0100", "forecast_call", dt.datetime(2026, 3, 2, 9), "Forecast Sud"),
        ("C-0200", "pipeline_review", dt.datetime(2026, 3, 9, 9), "Pipeline review with Marie Curie"),
        ("C-0300", "customer_call", dt.datetime(2026, 2, 9, 9), "Discovery"),
    ])
    con.executemany("INSERT INTO utterances (conversation_id, turn, speaker, role, start_s, end_s, text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", [
                        ("C-0311", 1, "Paul Martin", "customer", 812.4, 820.0, QUOTE_PII),
                        ("C-0200", 1, "Marie Curie", "manager", 3725.0, 3730.0, "..."),
                        ("C-0100", 1, "Jean Dupont", "rep", 65.0, 70.0, "..."),
                    ])
    con.executemany("INSERT INTO problems (severity, file, tbl, row_no, col, message, expected, remedy, value, code) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?)", [
                        ("warning", "deals.csv", "deals", 12, "close_date", "close date before creation date",
                         "close_date >= created_at", "Check the row.", "2024-01-01", "close_before_create"),
                        ("error", "deals.csv", "deals", 40, "amount", "amount is not a number", "a number",
                         "Fix the value.", "abc", "bad_number"),
                    ])
    # metric tables in the shapes the lenses write (see the symptom tests for the hand-computed values)
    acc = pd.DataFrame([
        # owner, level, team, period, category, snapshot, forecast, actual
        ("Sud", "team", "Sud", "2025-Q1", "commit", "mid", 90.0, 100.0),
        ("Nord", "team", "Nord", "2025-Q1", "commit", "mid", 120.0, 100.0),
        ("Sud", "team", "Sud", "2025-Q2", "commit", "mid", 50.0, 100.0),
        ("Nord", "team", "Nord", "2025-Q2", "commit", "mid", 100.0, 100.0),
        ("Sud", "team", "Sud", "2025-Q2", "commit", "early", 900.0, 100.0),  # other snapshot: ignored
        ("Sud", "team", "Sud", "2025-Q2", "best_case", "mid", 900.0, 100.0),  # other category: ignored
        ("Jean Dupont", "rep", "Sud", "2025-Q2", "commit", "mid", 500.0, 100.0),  # rep level: ignored
    ], columns=["owner", "level", "team", "period", "category", "snapshot", "forecast", "actual"])
    acc["bias"] = (acc["forecast"] - acc["actual"]) / acc["actual"]
    acc["accuracy"] = 1 - (acc["forecast"] - acc["actual"]).abs() / acc["actual"]
    conc = pd.DataFrame({"team": ["Sud", "Nord"] * 4,
                         "period": ["2025-Q1"] * 2 + ["2025-Q2"] * 2 + ["2025-Q3"] * 2 + ["2025-Q4"] * 2,
                         "won_value": [60.0, 40.0, 200.0, 100.0, 50.0, 50.0, 150.0, 150.0],
                         "top_rep": ["Jean Dupont", "Léa Rousseau"] * 4})
    slip = pd.DataFrame({"team": ["Sud", "Nord", "Sud", "Nord"], "owner": ["Jean Dupont", "Léa Rousseau"] * 2,
                         "period": ["2025-Q1", "2025-Q1", "2025-Q2", "2025-Q2"],
                         "expected": [10, 30, 10, 30], "slipped": [2, 3, 8, 4]})
    slip["slip_rate"] = slip["slipped"] / slip["expected"]
    rec = pd.DataFrame({"deal_id": ["D-0192", "D-0001", "D-0002"], "reviews": [5, 3, 5],
                        "progress": [False, False, True], "recurring": [True, True, False],
                        "rep": ["Jean Dupont", "Léa Rousseau", "Léa Rousseau"]})
    for name, df in (("metric_forecast_accuracy", acc), ("metric_forecast_concentration", conc),
                     ("metric_pipeline_slippage", slip), ("metric_meetings_recurring_per_deal", rec)):
        con.register("_m", df)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _m")
        con.unregister("_m")
    con.execute("INSERT INTO settings VALUES ('config', ?)", [json.dumps({"fiscal_year_start_month": 1})])
    return con


def sample_doc(path: str = "/data/acme") -> dict[str, Any]:
    findings, opt = synthesise(sample_findings())
    return {
        "schema_version": 1,
        "generated_at": "2026-11-26T10:00:00Z",
        "miroir_version": __version__,
        "dataset": {"path": path, "deals": 30, "conversations": 4, "period_from": "2024-12-01",
                    "period_to": "2026-03-31"},
        "lenses_run": ["forecast", "incentives", "pressure", "assumptions"],
        "lenses_skipped": [LensSkipped("meetings", "no data in conversations of kind pipeline_review").to_dict(),
                           LensSkipped("customers", "failed: ValueError: boom").to_dict()],
        "lenses_failed": [{"lens": "customers", "error": "ValueError: boom"}],
        "findings": [f.to_dict() for f in findings],
        "observations": [
            Observation("forecast", "commit_unreliable", Scope("rep", "Sophie Bernard"),
                        "Sophie Bernard: 12 commits, need 30 to settle commit reliability.", "below_min_n", 12).to_dict(),
            Observation("incentives", "quota_timing_gaming", None, "No quotas file.", "no_data").to_dict(),
        ],
        "optimizing_for": [o.to_dict() for o in opt],
        "methods": {
            "forecast": {"params": {"primary_snapshot": "mid", "call_category": "commit", "min_n": 6},
                         "methods": ["Accuracy = 1 - |F - A| / A at fixed snapshot points.",
                                     "Hockey-stick index with a bootstrap interval (2000 resamples)."]},
            "incentives": {"params": {"window_days": 10, "controls": ["rep", "deal size"]},
                           "methods": ["Discount regressed on position in period, OLS with HC1 errors."]},
            "pressure": {"params": {"min_meetings": 5}, "methods": ["Pressure-label density per meeting."]},
            "assumptions": {"params": {}, "methods": ["Questions per call and rep talk share."]},
        },
    }
