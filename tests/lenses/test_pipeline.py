"""Pipeline lens and the shared scope search, on tiny hand-built data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from miroir.lenses._crm import scope_search
from miroir.lenses.base import LensContext
from miroir.lenses.pipeline import PipelineLens
from miroir.stats import Interval, binomial_test, newcombe_diff_ci, wilson_ci
from miroir.store.schema import memory_store

ts = pd.Timestamp


def _insert(con, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame(rows)
    con.register("_t", df)
    cols = ", ".join(df.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _t")
    con.unregister("_t")


def _deal(i: str, amount: float, status: str, close: str, created: str = "2024-01-05") -> dict:
    return {"deal_id": i, "owner": "Ana", "team": "Nord", "amount": amount, "status": status,
            "created_at": ts(created).date(), "close_date": ts(close).date(), "stage": "x"}


def _ch(d: str, at: str, field: str, old: str, new: str) -> dict:
    return {"deal_id": d, "changed_at": ts(at), "field": field, "old_value": old, "new_value": new}


@pytest.fixture
def ctx() -> LensContext:
    con = memory_store()
    _insert(con, "deals", [
        _deal("P1", 100, "won", "2024-05-10"),
        _deal("P2", 100, "lost", "2024-06-01"),
        _deal("P3", 200, "won", "2024-09-20"),
        _deal("P4", 300, "open", "2024-10-15"),
        _deal("P5", 50, "won", "2024-06-10", created="2024-04-15"),  # created after Q2 start
    ])
    _insert(con, "deal_changes", [
        _ch("P1", "2024-01-05", "close_date", "", "2024-05-10"),
        _ch("P2", "2024-01-05", "close_date", "", "2024-06-01"),
        _ch("P3", "2024-01-05", "close_date", "", "2024-06-25"),
        _ch("P3", "2024-06-20", "close_date", "2024-06-25", "2024-08-15"),
        _ch("P3", "2024-08-10", "close_date", "2024-08-15", "2024-09-20"),
        _ch("P4", "2024-01-05", "close_date", "", "2024-06-30"),
        _ch("P4", "2024-06-28", "close_date", "2024-06-30", "2024-07-31"),
        _ch("P4", "2024-07-30", "close_date", "2024-07-31", "2024-10-15"),
        _ch("P1", "2024-01-05", "stage", "", "Qualification"),
        _ch("P1", "2024-01-25", "stage", "Qualification", "Proposal"),
        _ch("P1", "2024-05-10", "stage", "Proposal", "Closed Won"),
        _ch("P2", "2024-01-05", "stage", "", "Qualification"),
        _ch("P2", "2024-02-04", "stage", "Qualification", "Proposal"),
        _ch("P2", "2024-06-01", "stage", "Proposal", "Closed Lost"),
    ])
    return LensContext(con=con)


def test_slippage_by_hand(ctx: LensContext) -> None:
    res = PipelineLens().run(ctx)
    s = res.metrics["slippage"]
    # only 2024-Q2 is complete (data from Jan 5 to Sep 20); P1..P4 expected in Q2 at Apr 1
    assert s["period"].tolist() == ["2024-Q2"]
    row = s.iloc[0]
    assert (row["expected"], row["slipped"]) == (4, 2)            # P3, P4 slipped
    assert row["slip_rate"] == pytest.approx(0.5)
    assert row["slip_rate_value"] == pytest.approx(500 / 700)
    pushes = res.metrics["pushes_per_deal"].set_index("deal_id")
    assert pushes.loc["P3", "pushes"] == 2 and pushes.loc["P3", "period_pushes"] == 1
    assert pushes.loc["P4", "pushes"] == 2 and pushes.loc["P4", "period_pushes"] == 2
    assert pushes.loc["P1", "pushes"] == 0
    wf = res.metrics["waterfall"].set_index("period").loc["2024-Q2"]
    assert (wf["pushed_out_deals"], wf["pushed_out_value"]) == (2, 500)
    assert (wf["won_deals"], wf["won_value"], wf["lost_deals"]) == (2, 150, 1)
    # 4 deals: below the minimum n, so an observation and no finding
    assert not res.findings
    assert any(o.kind == "close_date_slippage" and o.reason == "below_min_n" for o in res.observations)


def test_stage_ages(ctx: LensContext) -> None:
    res = PipelineLens().run(ctx)
    sa = res.metrics["stage_age"]
    q = sa[sa["stage"] == "Qualification"].sort_values("deal_id")
    assert q["days"].tolist() == pytest.approx([20.0, 30.0])
    assert q["org_median_days"].iloc[0] == pytest.approx(25.0)
    prop = sa[(sa["stage"] == "Proposal") & (sa["deal_id"] == "P1")].iloc[0]
    assert prop["days"] == pytest.approx((ts("2024-05-10") - ts("2024-01-25")).days)
    assert not sa["stage"].str.startswith("Closed").any()


def test_skipped_without_history() -> None:
    con = memory_store()
    _insert(con, "deals", [_deal("P1", 100, "won", "2024-05-10")])
    reason = PipelineLens().skip_reason(LensContext(con=con))
    assert reason == "no deal_changes: close-date and stage history unavailable"


def _rate_tests(y: np.ndarray, p0: float):  # type: ignore[no-untyped-def]
    def one(m: np.ndarray) -> Interval:
        k, n = int(y[m].sum()), int(m.sum())
        w = wilson_ci(k, n)
        return Interval(w.estimate, w.low, w.high, "w", n, binomial_test(k, n, p0), p0)

    def two(a: np.ndarray, b: np.ndarray) -> Interval:
        return newcombe_diff_ci(y[a].sum(), a.sum(), y[b].sum(), b.sum())

    return one, two


@pytest.mark.parametrize("plant", ["null", "rep", "team", "org"])
def test_scope_search_reports_the_level_of_the_effect(plant: str) -> None:
    rng = np.random.default_rng(7)
    teams = np.repeat([f"T{i}" for i in range(4)], 5 * 60)
    reps = np.repeat([f"R{i}" for i in range(20)], 60)
    p = np.full(len(reps), 0.2)
    if plant == "rep":
        p[reps == "R6"] = 0.7
    elif plant == "team":
        p[teams == "T2"] = 0.6
    elif plant == "org":
        p[:] = 0.6
    y = rng.random(len(reps)) < p
    one, two = _rate_tests(y, 0.2)
    res = scope_search(reps, teams, one=one, two=two, size=lambda m: int(m.sum()),
                       material=lambda iv: iv.estimate >= 0.4, direction=1, min_n_rep=20, min_n_team=40)
    hits = {(h.level, h.id) for h in res.hits}
    expected = {"null": set(), "rep": {("rep", "R6")}, "team": {("team", "T2")}, "org": {("org", "org")}}
    assert hits == expected[plant]


def test_maven_export_without_history(external_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Deals only (no deal_changes, forecasts, quotas): lenses that can run do, the others say why."""
    from pathlib import Path

    from miroir.diagnose import _load_settings
    from miroir.importers.csv_mapping import import_csv
    from miroir.lenses.forecast import ForecastLens
    from miroir.lenses.incentives import IncentivesLens
    from miroir.lenses.runner import run_lenses
    from miroir.store.ingest import ingest_dataset
    from miroir.store.schema import open_store

    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "maven"
    import_csv(external_dir / "maven-crm-sales-opportunities", repo / "examples/maven/mapping.toml", out)
    ingest_dataset(out, tmp_path / "m.duckdb")
    con = open_store(tmp_path / "m.duckdb")
    ctx = LensContext(con=con, config=_load_settings(con))
    outcome = run_lenses(ctx, [ForecastLens(), PipelineLens(), IncentivesLens()], store_metrics=False, debug=True)
    assert outcome.lenses_run == ["forecast", "incentives"]
    assert [(s.lens, s.reason) for s in outcome.lenses_skipped] == [
        ("pipeline", "no deal_changes: close-date and stage history unavailable")]
    reasons = {(o.lens, o.kind): o.reason for o in outcome.observations}
    assert reasons[("forecast", "commit_unreliable")] == "missing_history"
    assert reasons[("incentives", "period_end_pull_in")] == "missing_history"
    assert reasons[("forecast", "forecast_bias")] == "missing_table"
    assert "hockey_stick" in outcome.results["forecast"].metrics
    con.close()


def test_scope_search_material_vs_uses_the_others_not_the_whole_organisation() -> None:
    # team A: 24 of 200 (12%), team B: 2 of 200 (1%); the organisation's rate, 6.5%, contains team A itself:
    # "2x the organisation's rate" (13%) would miss A, "2x the rest of the organisation" (2 x 1%) does not
    teams = np.repeat(["A", "B"], 200)
    reps = np.array([f"{t}{i % 10}" for i, t in enumerate(teams)])
    y = np.zeros(400, bool)
    y[:24] = True
    y[200:202] = True
    p0 = y.mean()
    assert p0 == pytest.approx(0.065)
    one, two = _rate_tests(y, p0)
    kw = {"one": one, "two": two, "size": lambda m: int(m.sum()), "direction": 1, "min_n_rep": 20,
          "min_n_team": 40, "levels": ("team",)}
    old = scope_search(reps, teams, material=lambda iv: iv.estimate >= max(0.05, 2 * p0), **kw)
    assert old.hits == []

    def vs_others(t) -> bool:  # type: ignore[no-untyped-def]
        others = t.own.estimate - t.resid.estimate  # 0.12 - (0.12 - 0.01)
        assert others == pytest.approx(0.01)
        return bool(t.own.estimate >= 2 * others)

    new = scope_search(reps, teams, material=lambda iv: iv.estimate >= 0.05, material_vs=vs_others, **kw)
    assert [(h.level, h.id) for h in new.hits] == [("team", "A")]
    # the relative rule only adds a condition: it cannot flag what the absolute one rejects
    none = scope_search(reps, teams, material=lambda iv: iv.estimate >= 0.5, material_vs=vs_others, **kw)
    assert none.hits == []
