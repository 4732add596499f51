"""Intuition lens on tiny hand-built data: snapshots, model, scores, gut calls, org events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from miroir.lenses._events import event_effects
from miroir.lenses._fragility import (
    Design,
    build_snapshots,
    conversation_signals,
    expand_open,
    fit_logit,
    stratified_auc,
    weighted_auc,
)
from miroir.lenses._gutcalls import calibrate
from miroir.lenses.base import LensContext
from miroir.lenses.intuition import IntuitionLens
from miroir.stats import wilson_ci
from miroir.store.schema import memory_store

ts = pd.Timestamp


def _insert(con, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame(rows)
    con.register("_t", df)
    cols = ", ".join(df.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _t")
    con.unregister("_t")


# --------------------------------------------------------------------------- scores

def test_auc_by_hand() -> None:
    # pairs (pos, neg): (0.35 vs 0.1) win, (0.35 vs 0.4) loss, (0.8 vs both) wins -> 3/4
    s = np.array([0.1, 0.4, 0.35, 0.8])
    y = np.array([0, 0, 1, 1.0])
    assert weighted_auc(s, y, np.ones((1, 4)))[0] == pytest.approx(0.75)
    # ties count one half: all scores equal -> 0.5
    assert weighted_auc(np.zeros(4), y, np.ones((1, 4)))[0] == pytest.approx(0.5)
    # weights: doubling the losing negative (0.4) -> pairs 2 pos x 3 neg weight = 6, wins 1+2+1 = 4 -> 4/6
    w = np.array([[1, 2, 1, 1.0]])
    assert weighted_auc(s, y, w)[0] == pytest.approx(4 / 6)


def test_stratified_auc_ignores_between_stratum_pairs() -> None:
    # stratum A: perfect; stratum B: inverted. Between strata the score would be perfect too.
    s = np.array([0.1, 0.2, 0.9, 0.8])
    y = np.array([0, 1, 0, 1.0])
    strata = np.array([0, 0, 1, 1])
    assert stratified_auc(s, y, strata, np.ones((1, 4)))[0] == pytest.approx(0.5)


# --------------------------------------------------------------------------- model

def test_fit_logit_recovers_positive_and_zeroes_negative_signal() -> None:
    rng = np.random.default_rng(1)
    n = 6000
    z = rng.normal(size=(n, 2))
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.2 + 1.0 * z[:, 0] - 0.8 * z[:, 1])))).astype(float)
    d = Design(["good", "wrong_way"], np.zeros(2), np.ones(2))
    fit = fit_logit(z, y, np.ones(n), d, prior_sd=1.0)
    assert fit.coef[1] == pytest.approx(1.0, abs=0.12)  # a fragility signal that raises risk
    assert fit.coef[2] == pytest.approx(0.0, abs=1e-6)  # goes the other way: constrained to 0
    assert fit.converged


def test_fit_logit_shrinks_with_little_data() -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(size=(12, 1))
    y = (z[:, 0] > 0).astype(float)  # perfectly separable: unpenalised ML would diverge
    fit = fit_logit(z, y, np.ones(12), Design(["x"], np.zeros(1), np.ones(1)), prior_sd=1.0)
    assert 0 < fit.coef[1] < 3  # finite, pulled toward the prior
    se = np.sqrt(fit.cov[1, 1])
    assert se > 0.3  # and says how unsure it is


# --------------------------------------------------------------------------- snapshots

def test_expand_open_mondays() -> None:
    deals = pd.DataFrame({"deal_id": ["A", "B"], "status": ["won", "open"],
                          "created_at": [ts("2024-01-03"), ts("2024-01-10")],
                          "close_date": [ts("2024-01-20"), ts("2024-03-01")]})
    dates = pd.date_range("2024-01-08", "2024-01-29", freq="7D")  # Mondays 8, 15, 22, 29
    out = expand_open(deals, dates, ts("2024-01-30"))
    got = sorted((r.deal_id, r.at.day) for r in out.itertuples())
    assert got == [("A", 8), ("A", 15), ("B", 15), ("B", 22), ("B", 29)]


@pytest.fixture
def tiny() -> LensContext:
    con = memory_store()
    _insert(con, "deals", [
        # L: lost; S: won after a push out of its quarter (slipped); W: won on time; O: still open
        {"deal_id": "L", "owner": "Ana", "team": "Nord", "amount": 100.0, "status": "lost", "stage": "Closed Lost",
         "created_at": ts("2024-01-02").date(), "close_date": ts("2024-02-20").date()},
        {"deal_id": "S", "owner": "Ana", "team": "Nord", "amount": 100.0, "status": "won", "stage": "Closed Won",
         "created_at": ts("2024-01-02").date(), "close_date": ts("2024-04-15").date()},
        {"deal_id": "W", "owner": "Ana", "team": "Nord", "amount": 100.0, "status": "won", "stage": "Closed Won",
         "created_at": ts("2024-01-02").date(), "close_date": ts("2024-03-01").date()},
        {"deal_id": "O", "owner": "Ana", "team": "Nord", "amount": 100.0, "status": "open", "stage": "Proposal",
         "created_at": ts("2024-01-02").date(), "close_date": ts("2024-06-28").date()},
    ])
    ch = []
    for d, first in (("L", "2024-03-15"), ("S", "2024-03-20"), ("W", "2024-03-01"), ("O", "2024-03-29")):
        ch.append({"deal_id": d, "changed_at": ts("2024-01-02 09:00"), "field": "close_date", "old_value": "",
                   "new_value": first})
        ch.append({"deal_id": d, "changed_at": ts("2024-01-02 09:00"), "field": "stage", "old_value": "",
                   "new_value": "Qualification"})
    ch += [
        {"deal_id": "S", "changed_at": ts("2024-03-18 10:00"), "field": "close_date", "old_value": "2024-03-20",
         "new_value": "2024-04-15"},
        {"deal_id": "O", "changed_at": ts("2024-02-01 10:00"), "field": "close_date", "old_value": "2024-03-29",
         "new_value": "2024-05-10"},
        {"deal_id": "O", "changed_at": ts("2024-04-20 10:00"), "field": "close_date", "old_value": "2024-05-10",
         "new_value": "2024-06-28"},
        {"deal_id": "O", "changed_at": ts("2024-02-05 10:00"), "field": "stage", "old_value": "Qualification",
         "new_value": "Proposal"},
    ]
    _insert(con, "deal_changes", ch)
    _insert(con, "stages", [{"stage": s, "ordinal": i, "is_closed": i >= 3, "source": "test"}
                            for i, s in enumerate(["Qualification", "Proposal", "Negotiation", "Closed Won",
                                                   "Closed Lost"])])
    return LensContext(con=con)


def test_snapshots_state_and_outcome(tiny: LensContext) -> None:
    snap = build_snapshots(tiny)
    r = snap.rows.set_index(["deal_id", "at"])
    # O on Monday 2024-02-12: one push so far (2024-03-29 -> 2024-05-10), in Proposal since 2024-02-05
    o = r.loc[("O", ts("2024-02-12"))]
    assert o["pushes"] == 1
    assert o["stage_ord"] == 1
    assert o["stage_days"] == pytest.approx(7 - 10 / 24, abs=1e-6)
    assert o["expected_close"] == ts("2024-05-10")
    # expected in Q2 and still open on the as-of date (2024-04-20) -> not yet known
    assert np.isnan(o["bad"])
    # O on 2024-01-15: expected 2024-03-29 (Q1), still open after Q1 -> slipped, known
    o0 = r.loc[("O", ts("2024-01-15"))]
    assert o0["bad"] == 1 and o0["slipped"]
    # S slipped from Q1 to Q2 at its snapshots before the push; W closed on time; L lost
    assert r.loc[("S", ts("2024-03-11"))]["bad"] == 1
    assert r.loc[("S", ts("2024-03-18"))]["bad"] == 1  # snapshot at 00:00, the push came at 10:00
    assert r.loc[("W", ts("2024-02-26"))]["bad"] == 0
    assert r.loc[("L", ts("2024-02-19"))]["bad"] == 1
    conversation_signals(tiny, snap)
    assert set(snap.omitted) == {"calls", "reviews"}  # no transcripts: said, not silently dropped
    assert snap.groups == ["crm"]


def test_lens_degrades_on_tiny_store(tiny: LensContext) -> None:
    res = IntuitionLens().run(tiny)
    assert not [f for f in res.findings if f.kind == "fragile_deal"]
    reasons = {o.reason for o in res.observations}
    assert "missing_data" in reasons  # conversation signals left out, said so
    assert "small_data" in reasons
    assert res.params["gut_calls"] == "skipped: no intuitions table"
    assert res.params["org_events"] == "skipped: no org_events table"
    assert res.params["validation"]["passed"] is False


def test_lens_without_history() -> None:
    con = memory_store()
    _insert(con, "deals", [{"deal_id": "A", "owner": "Ana", "amount": 1.0, "status": "open", "stage": "x",
                            "created_at": ts("2024-01-02").date(), "close_date": ts("2024-03-01").date()}])
    res = IntuitionLens().run(LensContext(con=con))
    assert not res.findings
    assert any("deal_changes" in o.statement for o in res.observations)


# --------------------------------------------------------------------------- gut calls

def test_calibration_by_hand() -> None:
    # Ana: 10 fragile calls, 8 lost/slipped; 10 solid calls, 2 lost/slipped
    rows = ([{"person": "Ana", "call": "fragile", "bad": 1.0, "x": 2.0}] * 8
            + [{"person": "Ana", "call": "fragile", "bad": 0.0, "x": 1.5}] * 2
            + [{"person": "Ana", "call": "solid", "bad": 1.0, "x": 0.5}] * 2
            + [{"person": "Ana", "call": "solid", "bad": 0.0, "x": 0.0}] * 8
            + [{"person": "Bo", "call": "fragile", "bad": 1.0, "x": 0.0}] * 3)  # too few calls
    calls = pd.DataFrame(rows)
    calls["risk"] = np.nan
    out = calibrate(calls, {"Ana": "manager"}, ["x"], {"x": 0.5}, min_calls=10)
    assert [c.person for c in out] == ["Ana"]
    c = out[0]
    w = wilson_ci(8, 10)
    assert (c.precision.estimate, c.precision.low, c.precision.high) == pytest.approx((0.8, w.low, w.high))
    assert c.solid_rate.estimate == pytest.approx(0.2)
    assert c.diff.estimate == pytest.approx(0.6)
    assert c.diff.low > 0
    assert c.base_rate == pytest.approx(0.5)
    (t,) = c.tracks
    assert t.signal == "x" and t.r > 0.8 and t.low > 0


# --------------------------------------------------------------------------- org events

def _ctx_with_one_deal(close: str) -> LensContext:
    """A store with one won deal (event effects read series, the deal only dates the data)."""
    con = memory_store()
    _insert(con, "deals", [{"deal_id": "A", "owner": "Ana", "amount": 1.0, "status": "won", "stage": "x",
                            "created_at": ts("2023-01-02").date(), "close_date": ts(close).date()}])
    return LensContext(con=con)


def test_event_step_found_and_placebo_clean() -> None:
    ctx = _ctx_with_one_deal("2025-06-30")
    rng = np.random.default_rng(3)
    days = pd.date_range("2024-01-01", "2024-12-31", freq="D")
    val = rng.normal(10, 1, len(days)) + np.where(days >= ts("2024-07-01"), 2.0, 0.0)
    flat = rng.normal(10, 1, len(days))
    series = {"discount_depth": pd.DataFrame({"date": days, "value": val}),
              "slippage": pd.DataFrame({"date": days, "value": flat})}
    events = pd.DataFrame({"date": [ts("2024-07-01")], "kind": ["compensation"], "description": ["new plan"]})
    eff = {(e.metric, e.placebo): e for e in event_effects(ctx, events, series, window_weeks=26)}
    step = eff[("discount_depth", False)]
    assert step.ci_low < 2.0 < step.ci_high and step.ci_low > 1.5
    assert step.q < 0.05
    assert eff[("slippage", False)].ci_low < 0 < eff[("slippage", False)].ci_high
    assert eff[("discount_depth", True)].ci_low < 0 < eff[("discount_depth", True)].ci_high  # placebo: nothing


def test_event_effects_one_bh_family_for_all_events() -> None:
    from miroir.stats import benjamini_hochberg

    ctx = _ctx_with_one_deal("2025-12-30")
    rng = np.random.default_rng(5)
    days = pd.date_range("2024-01-01", "2025-06-30", freq="D")
    val = rng.normal(10, 1, len(days)) + np.where(days >= ts("2024-07-01"), 1.0, 0.0)
    series = {"discount_depth": pd.DataFrame({"date": days, "value": val}),
              "slippage": pd.DataFrame({"date": days, "value": rng.normal(10, 1, len(days))})}
    events = pd.DataFrame({"date": [ts("2024-07-01"), ts("2025-01-06")], "kind": ["compensation", "tool"],
                           "description": ["new plan", "new tool"]})
    real = [e for e in event_effects(ctx, events, series, window_weeks=26) if not e.placebo]
    assert len(real) == 4  # 2 events x 2 metrics, one family: q-values are BH over the four p-values
    _, q = benjamini_hochberg([e.p for e in real])
    assert [e.q for e in real] == pytest.approx(list(q))


def test_period_end_discount_series_keeps_the_quarter_end_wins() -> None:
    from miroir.lenses._events import metric_series

    con = memory_store()
    rows = []
    for i, (close, disc) in enumerate([("2024-01-10", 5.0), ("2024-02-20", 6.0), ("2024-03-05", 12.0),
                                       ("2024-03-28", 14.0), ("2024-04-02", 4.0)]):
        rows.append({"deal_id": f"D{i}", "owner": "Ana", "amount": 1.0, "status": "won", "stage": "x",
                     "created_at": ts("2023-12-01").date(), "close_date": ts(close).date(), "discount_pct": disc})
    _insert(con, "deals", rows)
    s = metric_series(LensContext(con=con), None)
    assert sorted(s["discount_depth"]["value"]) == [4.0, 5.0, 6.0, 12.0, 14.0]
    # weeks 10+ of the quarter (day 63 on): 2024-03-04 onwards in Q1
    assert sorted(s["period_end_discount"]["value"]) == [12.0, 14.0]
