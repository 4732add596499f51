"""Forecast lens on tiny hand-built data (numbers computed by hand in comments)."""

from __future__ import annotations

import pandas as pd
import pytest

from miroir.lenses.base import LensContext
from miroir.lenses.forecast import ForecastLens
from miroir.store.schema import memory_store


def _insert(con, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame(rows)
    con.register("_t", df)
    cols = ", ".join(df.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _t")
    con.unregister("_t")


def _deal(i: str, amount: float, status: str, close: str, created: str = "2024-01-01") -> dict:
    return {"deal_id": i, "owner": "Ana", "team": "Nord", "amount": amount, "status": status,
            "created_at": pd.Timestamp(created).date(), "close_date": pd.Timestamp(close).date(), "stage": "x"}


@pytest.fixture
def ctx() -> LensContext:
    con = memory_store()
    _insert(con, "people", [{"person_id": "Ana", "name": "Ana", "role": "rep", "team": "Nord"}])
    _insert(con, "deals", [
        _deal("D1", 100, "won", "2024-01-15"),
        _deal("D2", 100, "won", "2024-02-15"),
        _deal("D3", 100, "won", "2024-03-25"),   # last 10 business days of Q1
        _deal("D4", 100, "won", "2024-03-28"),   # idem
        _deal("D5", 200, "won", "2024-04-10"),
        _deal("D6", 50, "lost", "2024-07-02"),  # data runs past Q2: Q2 complete
        _deal("D7", 300, "lost", "2024-05-01"),  # committed in Q1, lost in Q2
    ])
    ts = pd.Timestamp
    _insert(con, "deal_changes", [
        {"deal_id": "D3", "changed_at": ts("2024-01-01"), "field": "close_date", "old_value": "",
         "new_value": "2024-03-25"},
        {"deal_id": "D4", "changed_at": ts("2024-01-01"), "field": "close_date", "old_value": "",
         "new_value": "2024-03-28"},
        {"deal_id": "D7", "changed_at": ts("2024-01-01"), "field": "close_date", "old_value": "",
         "new_value": "2024-03-20"},
        {"deal_id": "D7", "changed_at": ts("2024-03-15"), "field": "close_date", "old_value": "2024-03-20",
         "new_value": "2024-05-01"},
        *[{"deal_id": d, "changed_at": ts("2024-02-01"), "field": "forecast_category", "old_value": "pipeline",
           "new_value": "commit"} for d in ("D3", "D4", "D7")],
        # D1 is committed only after the mid-Q1 snapshot (2024-02-15): not counted
        {"deal_id": "D1", "changed_at": ts("2024-01-02"), "field": "forecast_category", "old_value": "",
         "new_value": "pipeline"},
    ])
    q1 = {"owner": "Ana", "period": "2024-Q1", "period_start": pd.Timestamp("2024-01-01").date(),
          "period_end": pd.Timestamp("2024-03-31").date(), "category": "commit"}
    q2 = {**q1, "period": "2024-Q2", "period_start": pd.Timestamp("2024-04-01").date(),
          "period_end": pd.Timestamp("2024-06-30").date()}
    _insert(con, "forecasts", [
        {**q1, "submitted_at": pd.Timestamp("2024-02-01").date(), "amount": 480.0},  # in force at mid (Feb 15)
        {**q1, "submitted_at": pd.Timestamp("2024-03-01").date(), "amount": 400.0},  # in force at late (Mar 18)
        {**q2, "submitted_at": pd.Timestamp("2024-04-02").date(), "amount": 180.0},
    ])
    return LensContext(con=con)


def test_accuracy_bias_wape(ctx: LensContext) -> None:
    res = ForecastLens().run(ctx)
    acc = res.metrics["accuracy"].set_index(["period", "snapshot"])
    # Q1: F = 480 at mid, A = 400 won in Q1 -> bias .2, accuracy .8
    assert acc.loc[("2024-Q1", "mid"), "actual"] == 400
    assert acc.loc[("2024-Q1", "mid"), "bias"] == pytest.approx(0.2)
    assert acc.loc[("2024-Q1", "mid"), "accuracy"] == pytest.approx(0.8)
    # at the late snapshot the 400 call is in force: perfect
    assert acc.loc[("2024-Q1", "late"), "accuracy"] == pytest.approx(1.0)
    # no call before the early snapshot (Jan 15)
    assert ("2024-Q1", "early") not in acc.index
    # Q2: F = 180, A = 200 -> bias -.1, accuracy .9
    assert acc.loc[("2024-Q2", "mid"), "bias"] == pytest.approx(-0.1)
    summ = res.metrics["accuracy_summary"].set_index("snapshot")
    # WAPE at mid = (80 + 20) / (400 + 200)
    assert summ.loc["mid", "wape"] == pytest.approx(100 / 600)
    # two periods < 4 needed: no bias finding, an observation says why
    assert not [f for f in res.findings if f.kind == "forecast_bias"]
    assert any(o.kind == "forecast_bias" for o in res.observations)


def test_hockey_stick_index(ctx: LensContext) -> None:
    res = ForecastLens().run(ctx)
    hs = res.metrics["hockey_stick"].set_index("period")
    # Q1 has 65 business days; 200 of 400 won in the last 10 -> .5 / (10/65) = 3.25
    assert hs.loc["2024-Q1", "late_share"] == pytest.approx(0.5)
    assert hs.loc["2024-Q1", "hockey_stick_index"] == pytest.approx(3.25)
    assert hs.loc["2024-Q2", "hockey_stick_index"] == pytest.approx(0.0)
    # 5 won deals < minimum: an observation, no finding
    assert not res.findings
    obs = [o for o in res.observations if o.kind == "late_period_concentration"]
    assert obs and obs[0].reason == "below_min_n"


def test_commit_to_close(ctx: LensContext) -> None:
    res = ForecastLens().run(ctx)
    c = res.metrics["commit_to_close"]
    q1 = c[c["period"] == "2024-Q1"].iloc[0]
    # D3, D4, D7 in commit at Feb 15 with a Q1 close date; D3, D4 won in Q1
    assert (q1["committed"], q1["won"]) == (3, 2)
    assert q1["committed_value"] == 500 and q1["won_value"] == 200


def test_without_forecasts_or_history_degrades() -> None:
    con = memory_store()
    _insert(con, "deals", [_deal("D1", 100, "won", "2024-03-28"), _deal("D2", 50, "won", "2024-06-02")])
    res = ForecastLens().run(LensContext(con=con))
    reasons = {o.kind: o.reason for o in res.observations}
    assert reasons["forecast_bias"] == "missing_table"
    assert reasons["commit_unreliable"] == "missing_history"
    assert "hockey_stick" in res.metrics
