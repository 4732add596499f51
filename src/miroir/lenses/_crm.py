"""Shared helpers of the CRM lenses (forecast, pipeline, incentives).

- reading deals with their team, discount and closing date;
- fiscal periods covered by the data (complete quarters only for rates);
- the value of a tracked field at given instants, reconstructed from
  ``deal_changes`` with DuckDB ASOF joins (no per-deal Python loop);
- position of a date within its period in business days;
- the hierarchical scope search used by every kind: reps are tested against
  their team-mates, teams (without the flagged reps) against the rest of the
  organisation, and the organisation (without flagged teams and reps) against
  the null, each level with Benjamini-Hochberg control, so an effect is
  reported once, at the level where it is;
- evidence and bilingual text helpers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..calendar import FiscalCalendar
from ..models import Effect, Evidence, Finding, Metric, Observation, Scope
from ..stats import (
    Interval,
    benjamini_hochberg,
    binomial_test,
    confidence_from_p,
    newcombe_diff_ci,
    wilson_ci,
)
from .base import LensContext

NO_TEAM = "(no team)"


# --------------------------------------------------------------------------- loading

def load_deals(ctx: LensContext) -> pd.DataFrame:
    """Deals with ``team`` resolved from ``people`` when absent and ``discount``
    (percentage points) from ``discount_pct`` or ``1 - amount/list_amount``."""
    df = ctx.df(
        f"""
        WITH p AS (
            SELECT key, any_value(team) AS team FROM (
                SELECT name AS key, team FROM people WHERE name IS NOT NULL
                UNION ALL
                SELECT person_id AS key, team FROM people WHERE person_id IS NOT NULL)
            GROUP BY key)
        SELECT d.deal_id, d.owner,
               COALESCE(NULLIF(trim(d.team), ''), p.team, '{NO_TEAM}') AS team,
               COALESCE(d.amount, 0) AS amount, lower(d.status) AS status,
               CAST(d.created_at AS TIMESTAMP) AS created_at,
               CAST(d.close_date AS TIMESTAMP) AS close_date,
               d.stage, lower(d.forecast_category) AS forecast_category,
               COALESCE(d.discount_pct,
                        CASE WHEN d.list_amount > 0 THEN 100 * (1 - d.amount / d.list_amount) END)
                   AS discount
        FROM deals d LEFT JOIN p ON p.key = d.owner
        """
    )
    df["owner"] = df["owner"].fillna("(no owner)").astype(str)
    df["team"] = df["team"].astype(str)
    return df


def data_bounds(ctx: LensContext) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last instant the data speaks about (as-of date of the export)."""
    row = ctx.con.execute(
        """
        SELECT min(created_at),
               greatest(
                   (SELECT max(close_date) FROM deals WHERE lower(status) IN ('won', 'lost')),
                   (SELECT CAST(max(changed_at) AS DATE) FROM deal_changes),
                   max(created_at))
        FROM deals
        """
    ).fetchall()
    lo, hi = row[0] if row else (None, None)
    return pd.Timestamp(lo), pd.Timestamp(hi)


def periods(cal: FiscalCalendar, lo: pd.Timestamp, hi: pd.Timestamp, *, complete: bool = True) -> pd.DataFrame:
    """Fiscal quarters between ``lo`` and ``hi``: label, start, end (inclusive,
    timestamps at midnight), business days. ``complete`` keeps the quarters that
    lie entirely inside the data."""
    if pd.isna(lo) or pd.isna(hi):
        return pd.DataFrame(columns=["period", "start", "end", "bdays"])
    months = pd.date_range(lo.normalize().replace(day=1), hi, freq="MS")
    starts = pd.Series(cal.quarter_start(pd.Series(months)).unique())
    df = pd.DataFrame({"start": pd.to_datetime(starts)})
    df["end"] = cal.quarter_end(df["start"])
    df["period"] = cal.quarters(df["start"])
    if complete:
        df = df[(df["start"] >= lo.normalize()) & (df["end"] <= hi.normalize())]
    df = df.sort_values("start").reset_index(drop=True)
    df["bdays"] = np.busday_count(df["start"].values.astype("datetime64[D]"),
                                  (df["end"] + pd.Timedelta(days=1)).values.astype("datetime64[D]"))
    return df[["period", "start", "end", "bdays"]]


def assign_period(dates: pd.Series, per: pd.DataFrame) -> pd.Series:
    """Label of the period (from ``per``) containing each date, or None."""
    if per.empty:
        return pd.Series([None] * len(dates), index=dates.index, dtype=object)
    starts = per["start"].values.astype("datetime64[ns]")
    d = pd.to_datetime(dates).values.astype("datetime64[ns]")
    idx = np.searchsorted(starts, d, side="right") - 1
    ok = (idx >= 0) & ~pd.isna(d)
    idx_c = np.clip(idx, 0, len(per) - 1)
    ends = per["end"].values.astype("datetime64[ns]")[idx_c] + np.timedelta64(1, "D")
    ok &= d < ends
    labels = per["period"].to_numpy(dtype=object)[idx_c]
    return pd.Series(np.where(ok, labels, None), index=dates.index, dtype=object)


def bdays_to_end(dates: pd.Series, ends: pd.Series) -> np.ndarray:
    """Business days from each date (inclusive) to its period end (inclusive):
    1 on the last business day of the period."""
    d = pd.to_datetime(dates).values.astype("datetime64[D]")
    e = (pd.to_datetime(ends) + pd.Timedelta(days=1)).values.astype("datetime64[D]")
    return np.busday_count(d, e)


def bdays_from_start(dates: pd.Series, starts: pd.Series) -> np.ndarray:
    """Business days from period start (inclusive) to the date (inclusive):
    1 on the first business day."""
    s = pd.to_datetime(starts).values.astype("datetime64[D]")
    d = (pd.to_datetime(dates) + pd.Timedelta(days=1)).values.astype("datetime64[D]")
    return np.busday_count(s, d)


def value_at(ctx: LensContext, field_name: str, snaps: pd.DataFrame, current: str | None = None) -> pd.Series:
    """Value of ``field_name`` for each (deal_id, at) row of ``snaps``, from
    ``deal_changes``: the last new value at or before ``at``; before the first
    change, that change's old value; with no change at all, the deal's current
    value (column ``current`` of ``deals``, when given). Returns text values
    aligned with ``snaps``."""
    s = snaps[["deal_id", "at"]].copy()
    s["_i"] = np.arange(len(s))
    ctx.con.register("_snaps", s)
    cur = f"CAST(d.{current} AS VARCHAR)" if current else "NULL"
    try:
        out = ctx.con.execute(
            f"""
            WITH ch AS (SELECT deal_id, changed_at, old_value, new_value FROM deal_changes
                        WHERE field = ?),
            b AS (SELECT s._i, c.new_value FROM _snaps s ASOF JOIN ch c
                  ON s.deal_id = c.deal_id AND s.at >= c.changed_at),
            a AS (SELECT s._i, c.old_value FROM _snaps s ASOF JOIN ch c
                  ON s.deal_id = c.deal_id AND s.at < c.changed_at),
            n AS (SELECT deal_id, count(*) AS k FROM ch GROUP BY deal_id)
            SELECT s._i, COALESCE(b.new_value, NULLIF(a.old_value, ''),
                                  CASE WHEN n.k IS NULL THEN {cur} END) AS v
            FROM _snaps s LEFT JOIN b USING (_i) LEFT JOIN a USING (_i)
            LEFT JOIN n ON n.deal_id = s.deal_id
            LEFT JOIN deals d ON d.deal_id = s.deal_id
            ORDER BY s._i
            """,
            [field_name],
        ).df()
    finally:
        ctx.con.unregister("_snaps")
    return pd.Series(out["v"].to_numpy(dtype=object), index=snaps.index)


def field_changes(ctx: LensContext, field_name: str) -> pd.DataFrame:
    return ctx.df(
        "SELECT deal_id, changed_at, old_value, new_value FROM deal_changes WHERE field = ? "
        "ORDER BY deal_id, changed_at", [field_name])


def to_ts(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def closed_at(ctx: LensContext, deals: pd.DataFrame) -> pd.Series:
    """Instant each closed deal closed: its close date (the contract's actual
    close date for won/lost deals); NaT for open deals."""
    return deals["close_date"].where(deals["status"].isin(["won", "lost"]))


# --------------------------------------------------------------------------- scope search

OneSample = Callable[[np.ndarray], Interval | None]
TwoSample = Callable[[np.ndarray, np.ndarray], Interval | None]


@dataclass
class ScopeTest:
    level: str
    id: str
    own: Interval
    resid: Interval | None
    n: int
    q: float | None = None
    flagged: bool = False
    mask: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)

    def row(self) -> dict[str, Any]:
        return {"level": self.level, "scope": self.id, "n": self.n, "estimate": self.own.estimate,
                "ci_low": self.own.low, "ci_high": self.own.high, "p": self.own.p_value,
                "resid_estimate": None if self.resid is None else self.resid.estimate,
                "resid_p": None if self.resid is None else self.resid.p_value,
                "q": self.q, "flagged": self.flagged}


@dataclass
class ScopeSearch:
    tests: list[ScopeTest]
    org: ScopeTest | None

    @property
    def hits(self) -> list[ScopeTest]:
        return [t for t in self.tests if t.flagged]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([t.row() for t in self.tests])


def _directional(iv: Interval, direction: int, alpha: float) -> bool:
    if iv.p_value is None or not np.isfinite(iv.p_value) or not np.isfinite(iv.estimate):
        return False
    if iv.p_value >= alpha:
        return False
    d = iv.estimate - iv.null
    return d > 0 if direction > 0 else d < 0 if direction < 0 else d != 0


def rate_tests(hits: np.ndarray, p0: float) -> tuple[Callable[[np.ndarray], Interval | None],
                                                    Callable[[np.ndarray, np.ndarray], Interval | None]]:
    """The ``one``/``two`` tests of ``scope_search`` for a 0/1 outcome: a scope's rate (Wilson interval,
    exact binomial test against ``p0``) and the difference between two scopes (Newcombe)."""

    def one(mask: np.ndarray) -> Interval | None:
        k, n = int(hits[mask].sum()), int(mask.sum())
        if n == 0:
            return None
        w = wilson_ci(k, n)
        return Interval(w.estimate, w.low, w.high, "Wilson score; exact binomial test", n,
                        binomial_test(k, n, p0), p0)

    def two(a: np.ndarray, b: np.ndarray) -> Interval | None:
        return newcombe_diff_ci(hits[a].sum(), a.sum(), hits[b].sum(), b.sum())

    return one, two


def scope_search(
    rep: np.ndarray,
    team: np.ndarray,
    *,
    one: OneSample,
    two: TwoSample,
    size: Callable[[np.ndarray], int],
    material: Callable[[Interval], bool],
    direction: int,
    min_n_rep: int,
    min_n_team: int,
    q: float = 0.05,
    levels: tuple[str, ...] = ("rep", "team", "org"),
    material_vs: Callable[[ScopeTest], bool] | None = None,
) -> ScopeSearch:
    """Find the level where an effect is.

    1. each rep with ``size >= min_n_rep`` is tested against the null (``one``)
       and against its team-mates (``two``), each family with BH at ``q``
       across reps; a rep is flagged when both are discovered, the effect is in
       ``direction``, material, and the residual has its sign - otherwise the
       effect belongs to a higher level (a team-wide effect is one team finding);
    2. each team, without the flagged reps: own effect and difference from the
       rest of the organisation (also without them), both BH across teams;
    3. the organisation, without flagged teams and reps, against the null.
    ``direction`` is +1 (only increases matter), -1, or 0 (either way; the
    residual must then have the sign of the own effect).
    ``material_vs`` (optional) is a second materiality test on the whole
    scope test: the own effect and, for reps and teams, the difference from
    the comparison group (``resid``: team-mates for a rep, the rest of the
    organisation for a team; ``None`` for the organisation), for thresholds
    relative to the others - the organisation's overall rate contains the
    scope itself, so it is the wrong baseline for "x times the norm" when a
    team is half of the organisation.
    """
    rep_codes, rep_names = pd.factorize(pd.Series(np.asarray(rep).astype(str)) + "\x1f"
                                        + pd.Series(np.asarray(team).astype(str)))
    team_codes, team_names = pd.factorize(pd.Series(np.asarray(team).astype(str)))
    n_all = len(rep_codes)
    tests: list[ScopeTest] = []
    flagged = np.zeros(n_all, bool)

    def sign_ok(own: Interval, resid: Interval | None) -> bool:
        if resid is None or not np.isfinite(resid.estimate):
            return False
        d_own = own.estimate - own.null
        return bool(np.sign(resid.estimate - resid.null) == np.sign(d_own)) and (
            direction == 0 or np.sign(d_own) == direction)

    def level_pass(cands: list[ScopeTest]) -> None:
        ps = [c.own.p_value if c.own.p_value is not None else np.nan for c in cands]
        pr = [c.resid.p_value if c.resid is not None and c.resid.p_value is not None else np.nan
              for c in cands]
        rej, adj = benjamini_hochberg(ps, q)
        rej_r, adj_r = benjamini_hochberg(pr, q)
        for c, r, a, rr, ar in zip(cands, rej, adj, rej_r, adj_r, strict=True):
            c.q = None if not np.isfinite(a) else float(max(a, ar) if np.isfinite(ar) else a)
            c.flagged = (bool(r) and bool(rr) and _directional(c.own, direction, 0.05) and material(c.own)
                         and sign_ok(c.own, c.resid)
                         and (material_vs is None or material_vs(c)))

    if "rep" in levels:
        cands: list[ScopeTest] = []
        rep_team = pd.Series(team_codes).groupby(rep_codes).first()
        for rc, tc in rep_team.items():
            m = rep_codes == rc
            k = size(m)
            if k < min_n_rep:
                continue
            r = str(rep_names[int(rc)]).split("\x1f")[0]
            peers = (team_codes == tc) & ~m
            if size(peers) < min_n_rep:
                peers = ~m
            own = one(m)
            if own is None:
                continue
            cands.append(ScopeTest("rep", r, own, two(m, peers), k, mask=m))
        level_pass(cands)
        tests.extend(cands)
        for c in cands:
            if c.flagged:
                flagged |= c.mask
    if "team" in levels and len(team_names) > 1:
        cands = []
        for tc, t in enumerate(team_names):
            m = (team_codes == tc) & ~flagged
            k = size(m)
            if k < min_n_team:
                continue
            rest = (team_codes != tc) & ~flagged
            if size(rest) < min_n_team:
                continue
            own = one(m)
            if own is None:
                continue
            cands.append(ScopeTest("team", str(t), own, two(m, rest), k, mask=m))
        level_pass(cands)
        tests.extend(cands)
        for c in cands:
            if c.flagged:
                flagged |= c.mask
    org: ScopeTest | None = None
    if "org" in levels:
        m = ~flagged
        k = size(m)
        own = one(m) if k >= min_n_team else None
        if own is not None:
            org = ScopeTest("org", "org", own, None, k, mask=m)
            org.q = own.p_value
            org.flagged = (_directional(own, direction, 0.05) and material(own)
                           and (material_vs is None or material_vs(org)))
            tests.append(org)
    return ScopeSearch(tests, org)


# --------------------------------------------------------------------------- text and evidence

@dataclass(frozen=True)
class Texts:
    title: str
    title_fr: str
    statement: str
    statement_fr: str
    question: str
    question_fr: str


def scope_words(sc: Scope) -> tuple[str, str]:
    """How a scope reads in a sentence (EN, FR)."""
    if sc.level == "org":
        return "the organisation", "l'organisation"
    if sc.level == "team":
        return f"team {sc.id}", f"l'équipe {sc.id}"
    if sc.level == "rep":
        return f"{sc.id}'s deals", f"les affaires de {sc.id}"
    return f"{sc.level} {sc.id}", f"{sc.level} {sc.id}"


def deal_evidence(deal_ids: list[str], note: str | None = None) -> list[Evidence]:
    return [Evidence(type="deal", deal_id=str(d), note=note) for d in deal_ids]


def change_evidence(rows: pd.DataFrame, field_name: str, note: str | None = None) -> list[Evidence]:
    out = []
    for r in rows.itertuples(index=False):
        ts = pd.Timestamp(r.changed_at)
        out.append(Evidence(type="deal_change", deal_id=str(r.deal_id),
                            changed_at=ts.isoformat() if not pd.isna(ts) else None, field=field_name,
                            old_value=None if pd.isna(r.old_value) else str(r.old_value),
                            new_value=None if pd.isna(r.new_value) else str(r.new_value), note=note))
    return out


def fmt_pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def observation(lens: str, kind: str | None, sc: Scope | None, statement: str, reason: str, n: int | None,
                **details: Any) -> Observation:
    return Observation(lens=lens, kind=kind, scope=sc, statement=statement, reason=reason, n=n,
                       details={k: _plain(v) for k, v in details.items()})


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def no_finding_observation(lens: str, kind: str, search: ScopeSearch | None, what: str,
                           more: str, n_total: int, min_n: int) -> Observation | None:
    """An observation when no scope was flagged: below minimum n, or the
    organisation-level estimate with its interval when it did not reach the bar."""
    org = None if search is None else search.org
    if org is None or n_total < min_n:
        return observation(lens, kind, Scope("org", "org"),
                           f"Not enough data to assess {what}: n = {n_total}, need at least {min_n}. {more}",
                           "below_min_n", n_total, min_n=min_n)
    iv = org.own
    if not np.isfinite(iv.estimate):
        return None
    return observation(
        lens, kind, Scope("org", "org"),
        f"{what.capitalize()}: {iv.estimate:.3g} (95% interval {iv.low:.3g} to {iv.high:.3g}, n = {org.n}); "
        f"not a finding (below the materiality threshold or not significant). {more}",
        "not_significant", org.n, estimate=iv.estimate, ci_low=iv.low, ci_high=iv.high, p=iv.p_value)


def metric(name: str, value: float, baseline: float | None, unit: str) -> Metric:
    return Metric(name=name, value=float(value), baseline=None if baseline is None else float(baseline),
                  unit=unit)


def today_iso(ts: pd.Timestamp | dt.date | None) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def make_finding(lens: str, kind: str, hit: ScopeTest, metric_: Metric, iv: Interval, texts: Texts,
                 ev: list[Evidence], *, value: float, params: dict[str, Any],
                 p_override: float | None = None) -> Finding:
    """A finding for a flagged scope; confidence = 1 - BH q-value (rep/team) or
    1 - p (organisation). French texts go in ``params`` (title_fr, statement_fr,
    question_fr)."""
    pv = p_override if p_override is not None else iv.p_value
    conf = confidence_from_p(pv, hit.q if hit.level != "org" else None)
    params = dict(params)
    params.update({"title_fr": texts.title_fr, "statement_fr": texts.statement_fr,
                   "question_fr": texts.question_fr, "p_value": pv, "q_value": hit.q})
    if hit.resid is not None and np.isfinite(hit.resid.estimate):
        params["vs_peers"] = {"estimate": hit.resid.estimate, "ci_low": hit.resid.low,
                              "ci_high": hit.resid.high, "p_value": hit.resid.p_value,
                              "method": hit.resid.method}
    return Finding(kind=kind, lens=lens, scope=Scope(hit.level, hit.id),  # type: ignore[arg-type]
                   title=texts.title, statement=texts.statement, metric=metric_,
                   effect=Effect(float(iv.estimate), float(iv.low), float(iv.high), iv.method),
                   n=int(hit.n), confidence=conf, evidence=ev[:8], question=texts.question,
                   value_at_stake=float(max(value, 0.0)), params=jsonable(params))


def jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out[k] = jsonable(v)
        elif isinstance(v, np.generic):
            v = v.item()
            out[k] = None if isinstance(v, float) and not np.isfinite(v) else v
        elif isinstance(v, float) and not np.isfinite(v):
            out[k] = None
        elif isinstance(v, tuple):
            out[k] = list(v)
        else:
            out[k] = v
    return out


# --------------------------------------------------------------------------- forecasts

def forecast_calls(ctx: LensContext, deals: pd.DataFrame, hi: pd.Timestamp,
                   snapshots: dict[str, float]) -> pd.DataFrame:
    """The forecast calls in force at fixed snapshot points of each complete
    period (last submission at or before ``start + frac * length``), per owner,
    period and category, with the won value ``actual`` of the owner's scope
    (rep: own deals; team or manager: the team's deals), ``bias``, ``accuracy``
    and ``abs_err``. Empty when no call precedes a snapshot."""
    fc = ctx.df("""SELECT owner, period, CAST(period_start AS TIMESTAMP) AS period_start,
                          CAST(period_end AS TIMESTAMP) AS period_end,
                          CAST(submitted_at AS TIMESTAMP) AS submitted_at,
                          lower(category) AS category, amount
                   FROM forecasts WHERE period_start IS NOT NULL AND period_end IS NOT NULL""")
    fc = fc[fc["period_end"] <= hi]
    people = ctx.df("SELECT name, person_id, lower(role) AS role, team, manager FROM people")
    owner_map = _owner_map(fc["owner"].unique(), people, deals)
    rows = []
    for snap, frac in snapshots.items():
        f = fc.copy()
        length = (f["period_end"] - f["period_start"]).dt.days
        f["snap_at"] = f["period_start"] + pd.to_timedelta(np.round(frac * length), unit="D")
        f = f[f["submitted_at"] <= f["snap_at"]].sort_values("submitted_at")
        last = f.groupby(["owner", "period", "category"], as_index=False).tail(1).copy()
        last["snapshot"] = snap
        rows.append(last)
    calls = pd.concat(rows, ignore_index=True)
    if calls.empty:
        return calls
    calls = calls.merge(owner_map, on="owner", how="inner")
    keys = calls[["owner", "match", "key", "period_start", "period_end"]].drop_duplicates()
    actual = _actuals(ctx, keys, deals)
    calls = calls.merge(actual, on=["owner", "period_start", "period_end"], how="left")
    calls["actual"] = calls["actual"].fillna(0.0)
    calls = calls.rename(columns={"amount": "forecast"})
    with np.errstate(divide="ignore", invalid="ignore"):
        calls["bias"] = (calls["forecast"] - calls["actual"]) / calls["actual"]
        calls["accuracy"] = 1 - (calls["forecast"] - calls["actual"]).abs() / calls["actual"]
    calls["abs_err"] = (calls["forecast"] - calls["actual"]).abs()
    return calls.reset_index(drop=True)


def _owner_map(owners: np.ndarray, people: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    """Forecast owner -> level (rep/team/manager), team, and how to match its deals."""
    teams = set(deals["team"].unique()) | set(people["team"].dropna().unique())
    rep_team = deals.groupby("owner")["team"].agg(lambda s: s.mode().iloc[0])
    by_name: dict[str, Any] = {}
    for r in people.itertuples(index=False):
        for key in (r.name, r.person_id):
            if isinstance(key, str) and key:
                by_name[key] = r
    rows = []
    for o in owners:
        person = by_name.get(o)
        role = getattr(person, "role", None) if person is not None else None
        if o in rep_team.index or role == "rep":
            t = rep_team.get(o) or getattr(person, "team", None) or NO_TEAM
            rows.append((o, "rep", t, "owner", o))
        elif o in teams:
            rows.append((o, "team", o, "team", o))
        elif role in ("manager", "director"):
            managed = people.loc[people["manager"] == o, "team"].dropna()
            t = managed.mode().iloc[0] if len(managed) else getattr(person, "team", None)
            if t:
                rows.append((o, "manager", t, "team", t))
    return pd.DataFrame(rows, columns=["owner", "level", "team", "match", "key"])


def _actuals(ctx: LensContext, keys: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    won = deals[deals["status"] == "won"][["owner", "team", "amount", "close_date"]]
    ctx.con.register("_fk", keys)
    ctx.con.register("_won", won)
    try:
        out = ctx.df("""
            SELECT k.owner, k.period_start, k.period_end, COALESCE(sum(w.amount), 0) AS actual
            FROM _fk k LEFT JOIN _won w
              ON (CASE WHEN k.match = 'owner' THEN w.owner ELSE w.team END) = k.key
             AND w.close_date >= k.period_start AND w.close_date <= k.period_end
            GROUP BY ALL""")
    finally:
        ctx.con.unregister("_fk")
        ctx.con.unregister("_won")
    return out


def averaged_calls(ctx: LensContext, deals: pd.DataFrame, hi: pd.Timestamp, category: str,
                   points: int = 13) -> pd.DataFrame:
    """One row per (owner, period) of the calls in ``category``: the geometric
    mean of the calls in force at ``points`` evenly spaced instants of the
    period (weekly for a quarter), with the won value ``actual``. Averaging
    over the period's calls measures a systematic lean rather than one call's
    noise. Only rows with a positive call and a positive actual."""
    snaps = {f"p{i:02d}": (i + 0.5) / points for i in range(points)}
    calls = forecast_calls(ctx, deals, hi, snaps)
    if calls.empty:
        return calls
    c = calls[(calls["category"] == category) & (calls["forecast"] > 0) & (calls["actual"] > 0)].copy()
    c["logf"] = np.log(c["forecast"])
    g = c.groupby(["owner", "level", "team", "period"], as_index=False).agg(
        logf=("logf", "mean"), actual=("actual", "first"), calls=("logf", "size"))
    g["forecast"] = np.exp(g["logf"])
    return g.drop(columns="logf")
