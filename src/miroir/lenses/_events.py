"""What did past changes do: key metrics before vs after each ``org_events`` date.

Multiplicity: Benjamini-Hochberg over all the (event, metric) tests of the
organisation (the family a reader asks about: "what did these changes do?";
one family per event would let each event add its own false positives).

Each metric is a set of dated observations (a won deal's discount, the same
discount for the wins of the quarter's end phase alone, a review's pressure
density, a week's slippage rate...). For an event on date E the
window runs from the previous event (or E - ``window_weeks``) to the next event
(or E + ``window_weeks``, or the end of the data), so a window never straddles
another change. The level change at E is estimated as an interrupted time
series: ``value ~ 1 + after + phase`` by least squares with standard errors
clustered by calendar week (CR1; a metric dated per quarter, such as forecast
accuracy, then has too few weeks and is left out: at least ``min_weeks``
distinct weeks each side), where ``phase`` (weeks 1-4, 5-9,
10+ of the fiscal quarter) absorbs the quarter's own rhythm (discounts and
closings bunch at quarter ends). A common linear trend over windows of two
quarters mostly absorbs noise, so it is reported as a sensitivity column
(``level_change_with_trend``), and drift is checked by the placebo instead.
The placebo is the same regression on the *before* window alone, cut at its
midpoint, where no change happened: a method that finds jumps there would
find them anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..calendar import FiscalCalendar
from ..stats import benjamini_hochberg, ols
from ._conv import REVIEW_KINDS
from ._crm import data_bounds, load_deals
from .base import LensContext

METRICS: dict[str, tuple[str, str, str]] = {
    # name: (EN words, FR words, unit)
    "forecast_accuracy": ("forecast accuracy (1 - |commit - won| / won, mid-quarter calls)",
                          "précision des prévisions (1 - |engagé - gagné| / gagné, appels de mi-trimestre)", "ratio"),
    "slippage": ("weekly share of open deals whose close date is pushed into a later quarter",
                 "part hebdomadaire des affaires ouvertes dont la clôture est repoussée au trimestre suivant",
                 "share"),
    "pressure_density": ("share of review turns that put pressure", "part des tours de parole de pression en revue",
                         "share"),
    "clarification_ratio": ("clarifying questions per claim in reviews (clarification / (clarification + assumption))",
                            "questions de clarification par affirmation en revue", "share"),
    "discount_depth": ("discount on won deals", "remise sur les affaires gagnées", "pts"),
    "period_end_discount": ("discount on won deals closed in the last weeks of their quarter (week 10 on)",
                            "remise sur les affaires gagnées dans les dernières semaines du trimestre "
                            "(à partir de la 10e)", "pts"),
    "late_period_concentration": ("share of wins closed in the last 14 days of their quarter",
                                  "part des gains conclus dans les 14 derniers jours du trimestre", "share"),
}


PHASE_END_WEEK = 9  # weeks 10+ (0-based 9+) of a fiscal quarter: its end phase


@dataclass
class EventEffect:
    event_date: pd.Timestamp
    event_kind: str
    description: str
    metric: str
    placebo: bool
    n_before: int
    n_after: int
    mean_before: float
    mean_after: float
    sd_before: float
    level_change: float
    ci_low: float
    ci_high: float
    p: float
    with_trend: float = float("nan")  # sensitivity: the level change when a common linear trend is added
    q: float = float("nan")

    def row(self) -> dict[str, object]:
        return {"event_date": self.event_date.date().isoformat(), "event_kind": self.event_kind,
                "description": self.description, "metric": self.metric, "placebo": self.placebo,
                "n_before": self.n_before, "n_after": self.n_after, "mean_before": self.mean_before,
                "mean_after": self.mean_after, "level_change": self.level_change, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "p": self.p, "q_bh": self.q,
                "level_change_with_trend": self.with_trend}


def load_events(ctx: LensContext) -> pd.DataFrame:
    ev = ctx.df("SELECT date, lower(coalesce(kind, 'other')) AS kind, coalesce(description, '') AS description "
                "FROM org_events WHERE date IS NOT NULL ORDER BY date")
    ev["date"] = pd.to_datetime(ev["date"])
    return ev.reset_index(drop=True)


def metric_series(ctx: LensContext, snap_rows: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Dated observations (columns ``date``, ``value``) per metric; metrics whose
    data are absent are left out."""
    out: dict[str, pd.DataFrame] = {}
    deals = load_deals(ctx)
    won = deals[(deals["status"] == "won") & deals["close_date"].notna()]
    if won["discount"].notna().any():
        w = won.dropna(subset=["discount"])
        out["discount_depth"] = pd.DataFrame({"date": w["close_date"], "value": w["discount"].astype(float)})
        # the same discounts at the quarter's end alone (the phase ``_its`` calls ``phase_end``): incentives
        # act where the period closes, and an effect there is diluted in the whole quarter's discounts
        wk = (w["close_date"] - ctx.calendar.quarter_start(w["close_date"])).dt.days // 7
        pe = w[(wk >= PHASE_END_WEEK).to_numpy()]
        if len(pe):
            out["period_end_discount"] = pd.DataFrame({"date": pe["close_date"], "value": pe["discount"].astype(float)})
    if len(won):
        qend = ctx.calendar.quarter_end(won["close_date"])
        late = ((qend - won["close_date"]).dt.days < 14).astype(float)
        out["late_period_concentration"] = pd.DataFrame({"date": won["close_date"], "value": late})
    if snap_rows is not None and len(snap_rows):
        out_s = _slippage(ctx, snap_rows)
        if len(out_s):
            out["slippage"] = out_s
    fa = _forecast_accuracy(ctx, deals)
    if len(fa):
        out["forecast_accuracy"] = fa
    if ctx.count("annotations") and ctx.count("utterances"):
        rv = ctx.df(f"""
            SELECT c.conversation_id, c.started_at AS date, count(*) AS turns,
                   sum(CASE WHEN list_contains(a.labels, 'pressure') THEN 1 ELSE 0 END) AS pressure,
                   sum(CASE WHEN list_contains(a.labels, 'clarification') THEN 1 ELSE 0 END) AS clar,
                   sum(CASE WHEN list_contains(a.labels, 'assumption') THEN 1 ELSE 0 END) AS assume
            FROM conversations c JOIN utterances u USING (conversation_id)
            JOIN annotations a ON a.conversation_id = u.conversation_id AND a.turn = u.turn
            WHERE lower(c.kind) IN ({", ".join(f"'{k}'" for k in REVIEW_KINDS)})
            GROUP BY ALL""")
        if len(rv):
            rv["date"] = pd.to_datetime(rv["date"])
            out["pressure_density"] = pd.DataFrame({"date": rv["date"], "value": rv["pressure"] / rv["turns"]})
            c = rv[(rv["clar"] + rv["assume"]) > 0]
            if len(c):
                out["clarification_ratio"] = pd.DataFrame(
                    {"date": c["date"], "value": c["clar"] / (c["clar"] + c["assume"])})
    return out


def _slippage(ctx: LensContext, rows: pd.DataFrame) -> pd.DataFrame:
    """Per review week: pushes into a later quarter during the week / deals open at its start."""
    ch = ctx.df("""SELECT deal_id, changed_at, old_value, new_value FROM deal_changes
                   WHERE lower(field) = 'close_date' AND old_value IS NOT NULL AND old_value <> ''""")
    r = rows[rows["source"] == "review_date"]
    if ch.empty or r.empty:
        return pd.DataFrame(columns=["date", "value"])
    old = pd.to_datetime(ch["old_value"], errors="coerce")
    new = pd.to_datetime(ch["new_value"], errors="coerce")
    cal = ctx.calendar
    later_q = (new > old) & (cal.quarter_start(new) > cal.quarter_start(old))
    ch = ch[later_q.fillna(False).to_numpy()]
    weeks = pd.DatetimeIndex(sorted(r["at"].unique()))
    open_n = r.groupby("at").size().reindex(weeks).to_numpy(dtype=float)
    idx = np.searchsorted(weeks.values, pd.to_datetime(ch["changed_at"]).values.astype(weeks.values.dtype),
                          side="right") - 1
    idx = idx[idx >= 0]
    pushes = np.bincount(idx, minlength=len(weeks)).astype(float)
    ok = open_n > 0
    return pd.DataFrame({"date": weeks[ok], "value": pushes[ok] / open_n[ok]})


def _forecast_accuracy(ctx: LensContext, deals: pd.DataFrame) -> pd.DataFrame:
    """Per (owner, quarter): the last commit call submitted by mid-quarter vs the owner's won value."""
    if ctx.count("forecasts") == 0:
        return pd.DataFrame(columns=["date", "value"])
    fc = ctx.df("""SELECT owner, CAST(period_start AS TIMESTAMP) AS ps, CAST(period_end AS TIMESTAMP) AS pe,
                          CAST(submitted_at AS TIMESTAMP) AS at, amount
                   FROM forecasts WHERE lower(category) = 'commit' AND period_start IS NOT NULL""")
    if fc.empty:
        return pd.DataFrame(columns=["date", "value"])
    _, hi = data_bounds(ctx)
    fc = fc[(fc["pe"] <= hi) & ((fc["pe"] - fc["ps"]).dt.days < 100)]
    mid = fc["ps"] + (fc["pe"] - fc["ps"]) / 2
    fc = fc[fc["at"] <= mid].sort_values("at").groupby(["owner", "ps", "pe"], as_index=False).tail(1)
    won = deals[deals["status"] == "won"]
    if fc.empty or won.empty:
        return pd.DataFrame(columns=["date", "value"])
    ps = ctx.calendar.quarter_start(won["close_date"])
    actual = won.assign(ps=ps).groupby(["owner", "ps"])["amount"].sum()
    a = pd.Series([actual.get((o, s), 0.0) for o, s in zip(fc["owner"], fc["ps"], strict=True)], index=fc.index)
    ok = a > 0
    acc = (1 - (fc["amount"] - a).abs() / a).clip(lower=-1)
    return pd.DataFrame({"date": fc.loc[ok, "pe"], "value": acc[ok].astype(float)})


def _its(t_days: np.ndarray, week: np.ndarray, values: np.ndarray, trend: bool = False) -> tuple[
        float, float, float, float]:
    """Level change at day 0: ``value ~ 1 + after + phase-of-quarter [+ years]``, OLS
    with standard errors clustered by calendar week (observations of the same week
    share its circumstances); ``t_days`` = days since the event, ``week`` = week of
    the fiscal quarter (0-based). Returns (estimate, 95% low, high, p)."""
    X = pd.DataFrame({"after": (t_days >= 0).astype(float),
                      "phase_mid": ((week >= 4) & (week < PHASE_END_WEEK)).astype(float),
                      "phase_end": (week >= PHASE_END_WEEK).astype(float)})
    if trend:
        X["years"] = t_days / 365.25
    X = X.loc[:, (X.std() > 0) | (X.columns == "after")]
    cluster = np.floor(t_days / 7).astype(int)
    res = ols(np.asarray(values, float), X, cluster=cluster)
    iv = res.interval("after")
    return iv.estimate, iv.low, iv.high, float(iv.p_value if iv.p_value is not None else np.nan)


def _prepared(cal: FiscalCalendar, s: pd.DataFrame) -> pd.DataFrame:
    d = pd.to_datetime(s["date"]).astype("datetime64[ns]").reset_index(drop=True)
    v = pd.to_numeric(s["value"], errors="coerce").to_numpy(dtype=float)
    out = pd.DataFrame({"date": d, "value": v, "week": ((d - cal.quarter_start(d)).dt.days // 7).to_numpy()})
    return out[np.isfinite(out["value"].to_numpy())].sort_values("date").reset_index(drop=True)


def event_effects(ctx: LensContext, events: pd.DataFrame, series: dict[str, pd.DataFrame], *,
                  window_weeks: int = 26, min_n: int = 8, min_weeks: int = 4) -> list[EventEffect]:
    """Level change of every metric at every event, plus one placebo per (event, metric);
    Benjamini-Hochberg q-values over the real (non-placebo) tests."""
    _, hi = data_bounds(ctx)
    out: list[EventEffect] = []
    dates = list(events["date"])
    win = pd.Timedelta(weeks=window_weeks)
    prepared = {m: _prepared(ctx.calendar, s) for m, s in series.items()}
    for i, ev in events.iterrows():
        e = pd.Timestamp(ev["date"])
        lo = max(e - win, dates[i - 1] if i > 0 else e - win)  # type: ignore[operator]
        up = min(e + win, dates[i + 1] if i + 1 < len(dates) else e + win, hi + pd.Timedelta(days=1))  # type: ignore[operator]
        for m, s in prepared.items():
            w = s[(s["date"] >= lo) & (s["date"] < up)]
            before = w[w["date"] < e]
            after = w[w["date"] >= e]
            if len(before) < min_n or len(after) < min_n:
                continue
            t = (w["date"] - e).dt.total_seconds().to_numpy() / 86400
            weeks = np.floor(t / 7)
            if min(len(np.unique(weeks[t < 0])), len(np.unique(weeks[t >= 0]))) < min_weeks:
                continue  # too few distinct weeks (e.g. a quarterly metric) for a clustered interval
            wk = w["week"].to_numpy()
            vals = w["value"].to_numpy()
            est, cl, ch, p = _its(t, wk, vals)
            tr_est = _its(t, wk, vals, trend=True)[0]
            out.append(EventEffect(e, str(ev["kind"]), str(ev["description"]), m, False, len(before), len(after),
                                   float(before["value"].mean()), float(after["value"].mean()),
                                   float(before["value"].std(ddof=1)), est, cl, ch, p, tr_est))
            # placebo: the before window alone, cut at its midpoint
            bd = before["date"]
            mid = pd.Timestamp(bd.min() + (bd.max() - bd.min()) / 2)
            b1, b2 = before[bd < mid], before[bd >= mid]
            pt = (bd - mid).dt.total_seconds().to_numpy() / 86400
            pw = np.floor(pt / 7)
            if (len(b1) >= min_n and len(b2) >= min_n
                    and min(len(np.unique(pw[pt < 0])), len(np.unique(pw[pt >= 0]))) >= min_weeks):
                bw, bv = before["week"].to_numpy(), before["value"].to_numpy()
                pe, pl, ph, pp = _its(pt, bw, bv)
                ptr = _its(pt, bw, bv, trend=True)[0]
                out.append(EventEffect(mid.normalize(), "placebo", f"placebo for {e.date()}", m, True,
                                       len(b1), len(b2), float(b1["value"].mean()), float(b2["value"].mean()),
                                       float(b1["value"].std(ddof=1)), pe, pl, ph, pp, ptr))
    # one family for all the events and metrics of the organisation (and one for the placebos): a reader asks
    # "what did these changes do?", and a per-event family would let every event add its own false positives
    families: dict[bool, list[EventEffect]] = {}
    for x in out:
        families.setdefault(x.placebo, []).append(x)
    for fam in families.values():
        _, q = benjamini_hochberg([x.p for x in fam])
        for x, qq in zip(fam, q, strict=True):
            x.q = float(qq)
    return out
