"""Incentives lens on tiny hand-built data (numbers computed by hand in comments)."""

from __future__ import annotations

import pandas as pd
import pytest

from miroir.lenses.base import LensContext
from miroir.lenses.incentives import IncentivesLens
from miroir.store.schema import memory_store

ts = pd.Timestamp


def _insert(con, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame(rows)
    con.register("_t", df)
    cols = ", ".join(df.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _t")
    con.unregister("_t")


def _deal(i: str, owner: str, amount: float, status: str, close: str, discount: float | None = None,
          created: str = "2024-01-01") -> dict:
    return {"deal_id": i, "owner": owner, "team": "Nord", "amount": amount, "status": status,
            "created_at": ts(created).date(), "close_date": ts(close).date(), "stage": "x",
            "discount_pct": discount}


def test_larkin_coefficient_on_constructed_example() -> None:
    con = memory_store()
    # 5 early and 5 late deals each (a scope needs >= 5 of each)
    # rep A: early deals 10 pts, late (last 10 business days of Q1, from Mar 18) 15 pts -> +5
    # rep B: early 20 pts, late 24 pts -> +4; balanced, equal sizes -> within estimate 4.5
    rows = []
    for rep, early, late in (("A", 10, 15), ("B", 20, 24)):
        for j, day in enumerate(("2024-01-15", "2024-01-22", "2024-02-12", "2024-02-19", "2024-03-04")):
            rows.append(_deal(f"{rep}e{j}", rep, 1000, "won", day, early))
        for j, day in enumerate(("2024-03-19", "2024-03-21", "2024-03-25", "2024-03-27", "2024-03-28")):
            rows.append(_deal(f"{rep}l{j}", rep, 1000, "won", day, late))
    rows.append(_deal("Z", "A", 1000, "lost", "2024-04-05"))  # data runs past Q1
    _insert(con, "deals", rows)
    ctx = LensContext(con=con, params={"incentives": {"discount_min_n_team": 4, "discount_min_n_rep": 4}})
    res = IncentivesLens().run(ctx)
    reg = res.metrics["discount_regression"].iloc[0]
    assert reg["coef_late_pts"] == pytest.approx(4.5)
    assert reg["n"] == 20
    by = res.metrics["discount_by_position"].set_index("late")["mean_discount"]
    assert by[True] == pytest.approx(19.5) and by[False] == pytest.approx(15.0)
    # no history, no quotas, no forecasts: those parts say why
    reasons = {o.kind: o.reason for o in res.observations}
    assert reasons["period_end_pull_in"] == "missing_history"
    assert reasons["quota_timing_gaming"] == "missing_table"
    assert reasons["sandbagging"] == "missing_table"


def test_pull_in_rates() -> None:
    con = memory_store()
    _insert(con, "deals", [
        _deal("U1", "A", 500, "won", "2024-03-28"),   # expected 2024-04-20, pulled in on Mar 25
        _deal("U2", "A", 300, "open", "2024-05-15"),  # expected in May, never moved
        _deal("Z", "A", 10, "lost", "2024-04-15"),
    ])
    _insert(con, "deal_changes", [
        {"deal_id": "U1", "changed_at": ts("2024-01-01"), "field": "close_date", "old_value": "",
         "new_value": "2024-04-20"},
        {"deal_id": "U1", "changed_at": ts("2024-03-25 10:00"), "field": "close_date",
         "old_value": "2024-04-20", "new_value": "2024-03-28"},
        {"deal_id": "U2", "changed_at": ts("2024-01-01"), "field": "close_date", "old_value": "",
         "new_value": "2024-05-15"},
        {"deal_id": "Z", "changed_at": ts("2024-01-01"), "field": "close_date", "old_value": "",
         "new_value": "2024-04-15"},
    ])
    res = IncentivesLens().run(LensContext(con=con))
    pi = res.metrics["pull_ins"].groupby("window")[["eligible", "pulled"]].sum()
    # late window of Q1 starts Mon Mar 18 (10 business days before Apr 1): U1, U2 and Z expected after Q1
    assert pi.loc["late", "eligible"] == 3 and pi.loc["late", "pulled"] == 1
    assert pi.loc["base", "eligible"] == 3 and pi.loc["base", "pulled"] == 0


def test_quota_deferral_index() -> None:
    con = memory_store()
    _insert(con, "deals", [
        _deal("W1", "A", 60, "won", "2024-01-10"),
        _deal("W2", "A", 50, "won", "2024-02-20"),  # crosses the 100 quota on Feb 20
        _deal("W3", "A", 30, "won", "2024-03-05"),  # after the crossing, in Q1
        _deal("W4", "A", 40, "won", "2024-04-02"),  # 2nd business day of Q2
        _deal("Z", "A", 10, "lost", "2024-07-03"),
    ])
    _insert(con, "deal_changes", [{"deal_id": "Z", "changed_at": ts("2024-01-01"), "field": "stage",
                                   "old_value": "", "new_value": "x"}])
    _insert(con, "quotas", [
        {"owner": "A", "period": "2024-Q1", "period_start": ts("2024-01-01").date(),
         "period_end": ts("2024-03-31").date(), "amount": 100.0, "accelerator_at": 1.0},
        {"owner": "A", "period": "2024-Q2", "period_start": ts("2024-04-01").date(),
         "period_end": ts("2024-06-30").date(), "amount": 100.0, "accelerator_at": 1.0},
    ])
    res = IncentivesLens().run(LensContext(con=con))
    att = res.metrics["attainment"].set_index("period")
    assert att.loc["2024-Q1", "attainment"] == pytest.approx(1.4)
    assert att.loc["2024-Q1", "crossed_at"] == ts("2024-02-20")
    assert att.loc["2024-Q2", "attained"] == False  # noqa: E712 - numpy bool
    x = res.metrics["quota_deferral"].set_index("deal_id")
    # business days left after Feb 20 in Q1: 7 in February + 21 in March = 28; e0 = 10 / 38
    assert sorted(x.index) == ["W3", "W4"]
    assert x.loc["W4", "early"] and not x.loc["W3", "early"]
    assert x.loc["W3", "e0"] == pytest.approx(10 / 38)
    # deferral index = 1 early win / (2 * 10/38) = 1.9, but n = 2 < minimum: no finding
    assert not [f for f in res.findings if f.kind == "quota_timing_gaming"]
    obs = [o for o in res.observations if o.kind == "quota_timing_gaming"]
    assert obs and obs[0].reason == "below_min_n"
