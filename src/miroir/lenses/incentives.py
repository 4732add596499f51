"""Incentives lens: what period ends, quotas and accelerators do to deals.

Kinds: ``period_end_discounting`` (Larkin-style regression), ``period_end_pull_in``,
``quota_timing_gaming``, ``sandbagging``; plus before/after comparisons around
each ``org_events`` row.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..models import Scope
from ..stats import (
    Interval,
    binomial_test,
    fisher_midp_greater,
    newcombe_diff_ci,
    ols,
    t_interval,
)
from . import _crm
from ._crm import Texts, scope_search, scope_words
from .base import Lens, LensContext, LensResult

LENS = "incentives"


def _diff_rates(k1: float, n1: float, k2: float, n2: float) -> tuple[float, float]:
    """Difference of two rates and its normal-approximation variance."""
    p1, p2 = k1 / n1, k2 / n2
    return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2


def _did(a: tuple[float, float], b: tuple[float, float]) -> Interval:
    d = a[0] - b[0]
    se = float(np.sqrt(a[1] + b[1]))
    p = float(2 * sps.norm.sf(abs(d) / se)) if se > 0 else (1.0 if d == 0 else 0.0)
    return Interval(d, d - 1.96 * se, d + 1.96 * se, "difference in differences of rates, normal approximation",
                    0, p, 0.0)


EXACT_MAX_N = 400  # below this many units, p-values of the early-wins index are exact


def _poisson_binomial_two_sided(k: int, pr: np.ndarray) -> float:
    """Exact two-sided p-value (twice the smaller tail, capped at 1) of k successes among
    independent units with success probabilities ``pr``."""
    dist = np.zeros(len(pr) + 1)
    dist[0] = 1.0
    for j, q in enumerate(pr):
        dist[1:j + 2] = dist[1:j + 2] * (1 - q) + dist[:j + 1] * q
        dist[0] *= 1 - q
    lower, upper = float(dist[:k + 1].sum()), float(dist[k:].sum())
    return min(1.0, 2 * min(lower, upper))


def _oe_score(early: np.ndarray, e0: np.ndarray, ratio0: float) -> Interval:
    """Observed / expected early wins, each unit early with probability ``ratio0 * e0``
    under the null: score test with the Poisson-binomial variance (not the observed
    one, which is anti-conservative for a handful of units); Wilson-like interval
    from the same variance."""
    n = len(early)
    exp = float(np.sum(e0))
    if n == 0 or exp <= 0:
        return Interval(float("nan"), float("nan"), float("nan"), "observed/expected (no data)", n)
    k = float(np.sum(early))
    pr = np.clip(ratio0 * e0, 1e-9, 1 - 1e-9)
    var0 = float(np.sum(pr * (1 - pr)))
    if n <= EXACT_MAX_N:  # small samples: exact Poisson-binomial tails (the normal approximation is too kind)
        p = _poisson_binomial_two_sided(int(round(k)), pr)
    else:
        z = (k - float(pr.sum())) / np.sqrt(var0) if var0 > 0 else 0.0
        p = float(2 * sps.norm.sf(abs(z)))
    r = k / exp
    se = np.sqrt(max(float(np.sum(e0 * (1 - e0))) * max(r, 1e-9), 1e-12)) / exp
    return Interval(r, max(r - 1.96 * se, 0.0), r + 1.96 * se,
                    "observed/expected early wins, Poisson-binomial test (exact for small n)", n, p,
                    ratio0)


class IncentivesLens(Lens):
    name = "incentives"
    title = "Incentive effects"
    kinds = ("period_end_discounting", "period_end_pull_in", "quota_timing_gaming", "sandbagging")
    requires = ("deals",)
    default_params: ClassVar[dict[str, Any]] = {
        "late_bdays": 10,                  # "period end" = last 10 business days
        "discount_material_pts": 3.0,      # discount gap >= 3 points
        "discount_min_n_rep": 20,
        "discount_min_n_team": 40,
        "pullin_material_pts": 0.05,       # pull-in rate late minus earlier window >= 5 points
        "pullin_horizon_days": 45,         # candidates: deals expected within 45 days after the period
        "pullin_min_n_rep": 15,
        "pullin_min_n_team": 40,
        "gaming_material_index": 2.0,      # wins deferred to the next period's start >= 2x a steady pace
        "gaming_min_n_rep": 8,           # units (wins after the crossing + early next-period wins); exact test
        "gaming_min_n_team": 20,
        "early_bdays": 10,                 # "first days of the next period"
        "sandbag_material_bias": 0.15,
        "sandbag_min_periods": 4,
        "sandbag_material_index": 1.3,
        "bunching_width": 0.1,
        "fdr_q": 0.05,
    }

    def run(self, ctx: LensContext) -> LensResult:
        p = self.params(ctx)
        res = LensResult(params=dict(p))
        deals = _crm.load_deals(ctx)
        lo, hi = _crm.data_bounds(ctx)
        per = _crm.periods(ctx.calendar, lo, hi, complete=True)
        res.methods.append(
            "Scope: reps against team-mates, teams (without flagged reps) against the rest of the organisation, "
            f"then the organisation; Benjamini-Hochberg at q = {p['fdr_q']} per level plus a materiality "
            "threshold (BH rather than shrinkage: each scope has its own regression or exact test).")
        won = deals[(deals["status"] == "won") & deals["close_date"].notna()].copy()
        won["period"] = _crm.assign_period(won["close_date"], per)
        won = won[won["period"].notna()].merge(per, on="period").reset_index(drop=True)
        won["bd_to_end"] = _crm.bdays_to_end(won["close_date"], won["end"])
        won["bd_from_start"] = _crm.bdays_from_start(won["close_date"], won["start"])
        won["late"] = won["bd_to_end"] <= int(p["late_bdays"])
        self._discounting(ctx, p, res, won)
        history = ctx.count("deal_changes") > 0
        if history:
            self._pull_in(ctx, p, res, deals, per)
        else:
            res.observations.append(_crm.observation(
                LENS, "period_end_pull_in", None, "No deal_changes: close-date history unavailable, so pull-ins "
                "and stage jumps could not be measured.", "missing_history", 0))
        if ctx.count("quotas") == 0:
            res.observations.append(_crm.observation(
                LENS, "quota_timing_gaming", None, "No quotas file: timing around quota attainment not measured.",
                "missing_table", 0))
        elif not history:
            res.observations.append(_crm.observation(
                LENS, "quota_timing_gaming", None, "No deal_changes: which deals were expected in each period is "
                "unknown, so shifts around quota attainment could not be measured.", "missing_history", 0))
        else:
            self._quota(ctx, p, res, deals, per, won)
        if ctx.count("forecasts") == 0:
            res.observations.append(_crm.observation(
                LENS, "sandbagging", None, "No forecasts file: pessimistic calls cannot be measured.",
                "missing_table", 0))
        else:
            self._sandbagging(ctx, p, res, deals, won, hi)
        self._org_events(ctx, p, res, won)
        return res

    # ------------------------------------------------------------------ discounting
    def _discounting(self, ctx: LensContext, p: dict[str, Any], res: LensResult, won: pd.DataFrame) -> None:
        w = won[won["discount"].notna() & (won["amount"] > 0)].reset_index(drop=True)
        if len(w) < p["discount_min_n_team"]:
            res.observations.append(_crm.observation(
                LENS, "period_end_discounting", None,
                f"Only {len(w)} won deals with a discount in complete periods; need {p['discount_min_n_team']}. "
                "Add discount_pct or list_amount to deals.", "below_min_n", len(w)))
            return
        y = w["discount"].to_numpy(float)
        late = w["late"].to_numpy(float)
        logv = np.log(w["amount"].to_numpy(float))
        reps = w["owner"].to_numpy()

        def fit(mask: np.ndarray, inter: np.ndarray | None = None, cluster: bool = False) -> Interval | None:
            if late[mask].sum() < 5 or (1 - late[mask]).sum() < 5:
                return None
            X = pd.DataFrame({"late": late[mask], "log_amount": logv[mask]})
            name = "late"
            if inter is not None:
                X["late_x_scope"] = late[mask] * inter[mask]
                name = "late_x_scope"
            g = reps[mask]
            n_cl = len(pd.unique(g))
            use_cl = cluster and n_cl >= 10
            r = ols(y[mask], X, absorb=g, cluster=g if use_cl else None, hc="HC3")
            # conservative degrees of freedom: the rarer of late / other deals (a few late deals with a
            # small spread must not look like proof)
            sel = late[mask] if inter is None else late[mask] * inter[mask]
            df_c = None if use_cl else int(max(min(sel.sum(), (1 - late[mask]).sum()) - 1, 1))
            return r.interval(name, df=df_c)

        def one(mask: np.ndarray) -> Interval | None:
            return fit(mask)

        def two(a: np.ndarray, b: np.ndarray) -> Interval | None:
            return fit(a | b, inter=a.astype(float))

        mat = float(p["discount_material_pts"])
        search = scope_search(reps, w["team"].to_numpy(), one=one, two=two, size=lambda m: int(m.sum()),
                              material=lambda iv: iv.estimate >= mat, direction=1,
                              min_n_rep=p["discount_min_n_rep"], min_n_team=p["discount_min_n_team"],
                              q=p["fdr_q"])
        res.metrics["discount_tests"] = search.table()
        allm = np.ones(len(w), bool)
        headline = fit(allm, cluster=True)
        g = w.groupby(["team", "period", "late"], as_index=False).agg(deals=("deal_id", "count"),
                                                                     mean_discount=("discount", "mean"))
        res.metrics["discount_by_position"] = g
        if headline is not None:
            res.metrics["discount_regression"] = pd.DataFrame([{
                "scope": "org", "coef_late_pts": headline.estimate, "ci_low": headline.low,
                "ci_high": headline.high, "p": headline.p_value, "n": len(w), "method": headline.method}])
        res.methods.append(
            f"Discounting (Larkin 2014 style): discount points of won deals regressed on closing in the last "
            f"{p['late_bdays']} business days, log deal value and rep fixed effects (within transformation); HC3 "
            "standard errors per scope with min(late, other) - 1 degrees of freedom (small samples, rare late "
            "deals), cluster-robust by rep for the organisation-wide coefficient.")
        for hit in search.hits:
            m = hit.mask
            late_m = m & w["late"].to_numpy()
            gap_raw = float(y[late_m].mean() - y[m & ~w["late"].to_numpy()].mean())
            top = w[late_m].nlargest(6, "discount")
            ev = _crm.deal_evidence(top["deal_id"].tolist(), "won late in the period with a deep discount")
            dch = ctx.df("SELECT deal_id, changed_at, old_value, new_value FROM deal_changes "
                         "WHERE field = 'discount_pct' AND deal_id IN (SELECT unnest(?::VARCHAR[])) "
                         "ORDER BY changed_at DESC LIMIT 2", [top["deal_id"].tolist()[:3]])
            ev += _crm.change_evidence(dch, "discount_pct", "discount raised")
            base = float(y[m & ~w["late"].to_numpy()].mean())
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            texts = Texts(
                title=f"Discounts deepen at period end: +{hit.own.estimate:.1f} pts ({hit.id})",
                title_fr=f"Les remises se creusent en fin de période : +{hit.own.estimate:.1f} pts ({hit.id})",
                statement=(f"For {who_en}, deals won in the last {p['late_bdays']} business days carry "
                           f"{hit.own.estimate:.1f} more discount points than the same reps' other deals of "
                           f"similar size (raw gap {gap_raw:.1f} pts; {hit.n} deals)."),
                statement_fr=(f"Pour {who_fr}, les affaires gagnées dans les {p['late_bdays']} derniers jours ouvrés "
                              f"portent {hit.own.estimate:.1f} points de remise de plus que les autres affaires des "
                              f"mêmes commerciaux à taille comparable (écart brut {gap_raw:.1f} pts ; {hit.n} "
                              "affaires)."),
                question="What makes a deal signed this period worth more to us than the margin we give up "
                         "to get it?",
                question_fr="Qu'est-ce qui fait qu'une affaire signée cette période vaut plus pour nous que la "
                            "marge cédée pour l'obtenir ?")
            lost_value = float((w.loc[late_m, "amount"] * hit.own.estimate / 100).sum())
            res.findings.append(_crm.make_finding(
                LENS, "period_end_discounting", hit, _crm.metric("discount_gap_pts", base + hit.own.estimate, base,
                                                                 "pts"),
                hit.own, texts, ev, value=lost_value,
                params={"late_bdays": p["late_bdays"], "material_pts": mat, "fdr_q": p["fdr_q"],
                        "controls": ["log deal value", "rep fixed effects"]}))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "period_end_discounting", search, "late-period discount gap (pts)",
                f"At least {p['discount_min_n_team']} discounted wins per team settle it.", len(w),
                p["discount_min_n_team"])
            if obs:
                res.observations.append(obs)

    # ------------------------------------------------------------------ pull-ins
    def _windows(self, per: pd.DataFrame, late_bdays: int) -> pd.DataFrame:
        """For each period, the late window (last ``late_bdays`` business days)
        and an earlier window of the same length ending ``late_bdays`` business
        days before it."""
        end1 = (per["end"] + pd.Timedelta(days=1)).values.astype("datetime64[D]")
        late_start = np.busday_offset(end1, -late_bdays, roll="forward")
        base_end = np.busday_offset(end1, -2 * late_bdays, roll="forward")
        base_start = np.busday_offset(end1, -3 * late_bdays, roll="forward")
        a = per.assign(window="late", ws=pd.to_datetime(late_start), we=pd.to_datetime(end1))
        b = per.assign(window="base", ws=pd.to_datetime(base_start), we=pd.to_datetime(base_end))
        return pd.concat([a, b], ignore_index=True)

    def _pull_in(self, ctx: LensContext, p: dict[str, Any], res: LensResult, deals: pd.DataFrame,
                 per: pd.DataFrame) -> None:
        if per.empty:
            return
        win = self._windows(per, int(p["late_bdays"]))
        d = deals[["deal_id", "owner", "team", "amount", "status", "created_at", "close_date"]]
        x = d.merge(win, how="cross")
        x = x[(x["created_at"] <= x["ws"]) & ~((x["status"] != "open") & (x["close_date"] < x["ws"]))]
        x = x.reset_index(drop=True)
        x["at"] = x["ws"]
        x["exp"] = _crm.to_ts(_crm.value_at(ctx, "close_date", x, "close_date"))
        horizon = pd.Timedelta(days=int(p["pullin_horizon_days"]))
        x = x[(x["exp"] > x["end"]) & (x["exp"] <= x["end"] + horizon)].reset_index(drop=True)
        ch = _crm.field_changes(ctx, "close_date")
        ch["old"] = _crm.to_ts(ch["old_value"])
        ch["new"] = _crm.to_ts(ch["new_value"])
        x["_i"] = np.arange(len(x))
        x["closed_at"] = x["close_date"].where(x["status"] != "open").dt.normalize()
        ctx.con.register("_x", x[["_i", "deal_id", "ws", "we", "end", "closed_at"]])
        ctx.con.register("_ch", ch)
        try:
            hits = ctx.df("""SELECT x._i, min(c.changed_at) AS pulled_at FROM _x x JOIN _ch c
                             ON c.deal_id = x.deal_id AND c.changed_at >= x.ws AND c.changed_at < x.we
                             AND c.new <= x."end" AND c.old > x."end"
                             AND (x.closed_at IS NULL OR CAST(c.changed_at AS DATE) < x.closed_at)
                             GROUP BY x._i""")
        finally:
            ctx.con.unregister("_x")
            ctx.con.unregister("_ch")
        x["pulled"] = x["_i"].isin(hits["_i"])
        g = x.groupby(["team", "owner", "period", "window"], as_index=False).agg(
            eligible=("deal_id", "count"), pulled=("pulled", "sum"))
        res.metrics["pull_ins"] = g
        res.methods.append(
            f"Pull-ins: among open deals expected within {p['pullin_horizon_days']} days after the period, the share whose close date was moved into "
            f"the period during its last {p['late_bdays']} business days (ahead of the closing itself: re-dating "
            "on the day a deal closes is bookkeeping, not a pull-in), minus the same share in an earlier "
            "window of equal length (Newcombe interval; difference in differences against peers).")
        late_w = (x["window"] == "late").to_numpy()
        pulled = x["pulled"].to_numpy(bool)

        def stats_of(mask: np.ndarray) -> tuple[int, int, int, int]:
            a, b = mask & late_w, mask & ~late_w
            return int(pulled[a].sum()), int(a.sum()), int(pulled[b].sum()), int(b.sum())

        def one(mask: np.ndarray) -> Interval | None:
            k1, n1, k2, n2 = stats_of(mask)
            if n1 == 0 or n2 == 0:
                return None
            return newcombe_diff_ci(k1, n1, k2, n2)

        def two(a: np.ndarray, b: np.ndarray) -> Interval | None:
            sa, sb = stats_of(a), stats_of(b)
            if min(sa[1], sa[3], sb[1], sb[3]) == 0:
                return None
            return _did(_diff_rates(*sa), _diff_rates(*sb))

        mat = float(p["pullin_material_pts"])
        search = scope_search(x["owner"].to_numpy(), x["team"].to_numpy(), one=one, two=two,
                              size=lambda m: int((m & late_w).sum()), material=lambda iv: iv.estimate >= mat,
                              direction=1, min_n_rep=p["pullin_min_n_rep"], min_n_team=p["pullin_min_n_team"],
                              q=p["fdr_q"])
        res.metrics["pull_in_tests"] = search.table()
        pulled_rows = ch.merge(x.loc[pulled & late_w, ["deal_id", "ws", "we", "end", "owner", "team"]],
                               on="deal_id")
        pulled_rows = pulled_rows[(pulled_rows["changed_at"] >= pulled_rows["ws"])
                                  & (pulled_rows["changed_at"] < pulled_rows["we"])
                                  & (pulled_rows["new"] <= pulled_rows["end"])
                                  & (pulled_rows["old"] > pulled_rows["end"])]
        for hit in search.hits:
            k1, n1, k2, n2 = stats_of(hit.mask)
            ids = set(x.loc[hit.mask & pulled & late_w, "deal_id"])
            rows = pulled_rows[pulled_rows["deal_id"].isin(ids)].merge(
                d[["deal_id", "amount"]], on="deal_id").nlargest(6, "amount")
            ev = _crm.deal_evidence(rows["deal_id"].head(2).tolist(), "close date pulled into the period's end")
            ev += _crm.change_evidence(rows, "close_date", "pulled in during the last weeks")
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            texts = Texts(
                title=f"Close dates are pulled into the period in its last weeks ({hit.id})",
                title_fr=f"Des dates de clôture sont ramenées dans la période en fin de période ({hit.id})",
                statement=(f"For {who_en}, {k1 / n1:.0%} of the deals expected just after the period had their close "
                           f"date pulled into it during its last {p['late_bdays']} business days, against "
                           f"{k2 / n2:.0%} in an earlier window of the same length ({n1} deal-periods)."),
                statement_fr=(f"Pour {who_fr}, {k1 / n1:.0%} des affaires attendues juste après la période ont vu leur "
                              f"date ramenée dans la période pendant ses {p['late_bdays']} derniers jours ouvrés, "
                              f"contre {k2 / n2:.0%} dans une fenêtre antérieure de même durée ({n1} "
                              "affaire-périodes)."),
                question="What does the end of the period ask of the team that makes next period's deals "
                         "worth pulling forward?",
                question_fr="Que demande la fin de période à l'équipe pour qu'il vaille la peine d'avancer les "
                            "affaires de la période suivante ?")
            val = float(d[d["deal_id"].isin(ids)]["amount"].sum())
            res.findings.append(_crm.make_finding(
                LENS, "period_end_pull_in", hit, _crm.metric("pull_in_rate_late", k1 / n1, k2 / n2, "share"),
                hit.own, texts, ev, value=val,
                params={"late_bdays": p["late_bdays"], "material_pts": mat, "fdr_q": p["fdr_q"]}))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "period_end_pull_in", search, "late-window minus earlier-window pull-in rate",
                "More periods of close-date history settle it.", int(late_w.sum()), p["pullin_min_n_team"])
            if obs:
                res.observations.append(obs)

    # ------------------------------------------------------------------ quota timing
    def _quota(self, ctx: LensContext, p: dict[str, Any], res: LensResult, deals: pd.DataFrame,
               per: pd.DataFrame, won: pd.DataFrame) -> None:
        q = ctx.df("""SELECT owner, CAST(period_start AS TIMESTAMP) AS start, CAST(period_end AS TIMESTAMP) AS "end",
                             amount AS quota, COALESCE(accelerator_at, 1.0) AS accelerator_at
                      FROM quotas WHERE amount > 0 AND period_start IS NOT NULL""")
        q = q[q["owner"].isin(deals["owner"].unique())]
        q = q.merge(per[["period", "start", "end"]], on=["start", "end"])
        if q.empty:
            res.observations.append(_crm.observation(
                LENS, "quota_timing_gaming", None, "No rep quota matches a complete fiscal quarter of the data.",
                "below_min_n", 0))
            return
        q = q.drop_duplicates(["owner", "period"], keep="last")
        att = won.groupby(["owner", "period"])["amount"].sum().rename("won_value")
        q = q.merge(att, left_on=["owner", "period"], right_index=True, how="left").fillna({"won_value": 0.0})
        q["attainment"] = q["won_value"] / q["quota"]
        q["attained"] = q["attainment"] >= q["accelerator_at"]
        # the day each rep-period crossed its threshold
        w = won.sort_values(["owner", "period", "close_date", "deal_id"]).merge(
            q[["owner", "period", "quota", "accelerator_at"]], on=["owner", "period"])
        w["cum"] = w.groupby(["owner", "period"])["amount"].cumsum()
        crossing = w[w["cum"] >= w["quota"] * w["accelerator_at"]].groupby(["owner", "period"])["close_date"].min()
        q["crossed_at"] = pd.MultiIndex.from_frame(q[["owner", "period"]]).map(crossing)
        h = float(p["bunching_width"])
        rel = q["attainment"] - q["accelerator_at"]
        above, below = int(((rel >= 0) & (rel < h)).sum()), int(((rel < 0) & (rel >= -h)).sum())
        res.metrics["attainment"] = q
        res.metrics["bunching"] = pd.DataFrame([{
            "width": h, "just_above": above, "just_below": below,
            "p_binomial": binomial_test(above, above + below, 0.5, "greater") if above + below else None}])
        # units: wins after the crossing in P (A) and wins in the first days of P+1 (E)
        n_early = int(p["early_bdays"])
        nxt = per.assign(next_period=per["period"].shift(-1))[["period", "next_period"]]
        qc = q[q["crossed_at"].notna()].merge(nxt, on="period")
        qc["remaining_bd"] = np.busday_count(
            (pd.to_datetime(qc["crossed_at"]) + pd.Timedelta(days=1)).values.astype("datetime64[D]"),
            (qc["end"] + pd.Timedelta(days=1)).values.astype("datetime64[D]"))
        qc["e0"] = n_early / (qc["remaining_bd"] + n_early)
        after = won.merge(qc[["owner", "period", "crossed_at", "e0"]], on=["owner", "period"])
        after = after[after["close_date"] > after["crossed_at"]].assign(early=False)
        early = won[won["bd_from_start"] <= n_early].merge(
            qc[["owner", "next_period", "period", "e0"]].rename(columns={"period": "from_period"}),
            left_on=["owner", "period"], right_on=["owner", "next_period"]).assign(early=True)
        cols = ["deal_id", "owner", "team", "amount", "close_date", "period", "early", "e0"]
        x = pd.concat([after[cols], early[cols]], ignore_index=True)
        res.metrics["quota_deferral"] = x
        res.methods.append(
            "Quota timing: for each rep-period whose won value crossed the accelerator threshold "
            "(accelerator_at x quota, default 1.0), the wins after the crossing day in the period and the wins in "
            f"the first {n_early} business days of the next period; deferral index = early wins / their expected "
            "number if wins kept a uniform pace (expected share = early days / (business days left after the "
            f"crossing + early days)), Poisson-binomial test (exact p-value up to {EXACT_MAX_N} units, score test "
            "above); bunching of attainment just above vs just below the "
            "threshold (binomial test) in the metric table.")
        if x.empty:
            res.observations.append(_crm.observation(
                LENS, "quota_timing_gaming", None, "No rep-period reached its quota threshold with wins after it.",
                "below_min_n", 0))
            return
        num = x["early"].to_numpy(float)
        den = x["e0"].to_numpy(float)

        def one(mask: np.ndarray) -> Interval | None:
            return _oe_score(num[mask], den[mask], 1.0)

        def two(a: np.ndarray, b: np.ndarray) -> Interval | None:
            ref = _oe_score(num[b], den[b], 1.0)
            if not np.isfinite(ref.estimate) or ref.estimate <= 0:
                return None
            iv = _oe_score(num[a], den[a], ref.estimate)
            return Interval(iv.estimate - ref.estimate, iv.low - ref.estimate, iv.high - ref.estimate,
                            iv.method + " against the peers' index", iv.n, iv.p_value, 0.0)

        mat = float(p["gaming_material_index"])
        search = scope_search(x["owner"].to_numpy(), x["team"].to_numpy(), one=one, two=two,
                              size=lambda m: int(m.sum()), material=lambda iv: iv.estimate >= mat, direction=1,
                              min_n_rep=p["gaming_min_n_rep"], min_n_team=p["gaming_min_n_team"], q=p["fdr_q"])
        res.metrics["quota_tests"] = search.table()
        for hit in search.hits:
            m = hit.mask
            k_early, k_after = int(num[m].sum()), int((1 - num[m]).sum())
            exp_share = float(den[m].mean())
            rows = x[m & (num > 0)].nlargest(6, "amount")
            ev = _crm.deal_evidence(rows["deal_id"].tolist(), "won in the first days of the period after the "
                                                              "quota threshold was crossed")
            pushes = ctx.df("SELECT deal_id, changed_at, old_value, new_value FROM deal_changes "
                            "WHERE field = 'close_date' AND deal_id IN (SELECT unnest(?::VARCHAR[])) "
                            "ORDER BY changed_at DESC", [rows["deal_id"].tolist()])
            ev += _crm.change_evidence(pushes.drop_duplicates("deal_id").head(2), "close_date",
                                       "close date moved into the next period")
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            texts = Texts(
                title=f"Once quota is reached, closings move to the next period ({hit.id})",
                title_fr=f"Une fois l'objectif atteint, les signatures glissent à la période suivante ({hit.id})",
                statement=(f"For {who_en}, after the quota threshold was crossed, {k_early} of {k_early + k_after} "
                           f"subsequent wins landed in the first {n_early} business days of the next period rather "
                           f"than in the rest of the period, where a steady pace predicts {exp_share:.0%} "
                           f"(index {hit.own.estimate:.1f})."),
                statement_fr=(f"Pour {who_fr}, une fois l'objectif franchi, {k_early} des {k_early + k_after} "
                              f"signatures suivantes tombent dans les {n_early} premiers jours ouvrés de la période "
                              f"suivante plutôt que dans le reste de la période, quand un rythme régulier en prévoit "
                              f"{exp_share:.0%} (indice {hit.own.estimate:.1f})."),
                question="How does the pay plan reward a deal signed now versus the same deal signed next "
                         "period, and is that what we want?",
                question_fr="Comment le plan de rémunération récompense-t-il une affaire signée maintenant plutôt "
                            "que la même signée la période suivante, et est-ce ce que nous voulons ?")
            res.findings.append(_crm.make_finding(
                LENS, "quota_timing_gaming", hit, _crm.metric("deferral_index", hit.own.estimate, 1.0, "ratio"),
                hit.own, texts, ev, value=float(x.loc[m & (num > 0), "amount"].sum()),
                params={"early_bdays": n_early, "material_index": mat, "fdr_q": p["fdr_q"],
                        "bunching_just_above": above, "bunching_just_below": below}))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "quota_timing_gaming", search, "deferral index after quota attainment",
                "More rep-periods that reach quota settle it.", len(x), p["gaming_min_n_team"])
            if obs:
                res.observations.append(obs)

    # ------------------------------------------------------------------ sandbagging
    def _sandbagging(self, ctx: LensContext, p: dict[str, Any], res: LensResult, deals: pd.DataFrame,
                     won: pd.DataFrame, hi: pd.Timestamp) -> None:
        calls = _crm.averaged_calls(ctx, deals, hi, "commit")
        if calls.empty:
            return
        u = calls[calls["level"] == "rep"].reset_index(drop=True)
        if u.empty:
            res.observations.append(_crm.observation(
                LENS, "sandbagging", None, "No rep-level commit calls to compare with results.", "below_min_n", 0))
            return
        lr = np.log(u["forecast"].to_numpy(float) / u["actual"].to_numpy(float))
        per_arr = u["period"].to_numpy()
        n_early = int(p["early_bdays"])
        n_late = int(p["late_bdays"])
        wv = won.assign(early=won["bd_from_start"] <= n_early, uniform=n_early / won["bdays"])
        num_all = wv["early"].to_numpy(float)
        den_all = wv["uniform"].to_numpy(float)
        late_all = wv["late"].to_numpy(bool) & ~wv["early"].to_numpy(bool)
        early_all = wv["early"].to_numpy(bool)
        owner_won = wv["owner"].to_numpy()

        def shift(wm: np.ndarray) -> tuple[float, list[list[int]]]:
            # holding deals back moves wins from the end of a period to the start of the next: the scope's
            # share of early among (early + late) wins against the others' share (the rest of the
            # organisation: same calendar, same seasonality), one-sided Fisher mid-p
            tab = [[int((early_all & wm).sum()), int((late_all & wm).sum())],
                   [int((early_all & ~wm).sum()), int((late_all & ~wm).sum())]]
            return fisher_midp_greater(tab[0][0], tab[0][1], tab[1][0], tab[1][1]), tab

        def one(mask: np.ndarray) -> Interval | None:
            iv = t_interval(lr[mask], 0.0)
            return Interval(float(np.expm1(iv.estimate)), float(np.expm1(iv.low)), float(np.expm1(iv.high)),
                            "Student t on log(F/A) across periods", iv.n, iv.p_value, 0.0)

        per_codes, per_labels = pd.factorize(per_arr)
        n_per = len(per_labels)

        def two(a: np.ndarray, b: np.ndarray) -> Interval | None:
            ca = np.bincount(per_codes[a], minlength=n_per)
            cb = np.bincount(per_codes[b], minlength=n_per)
            ok = (ca > 0) & (cb > 0)
            if ok.sum() < 2:
                return None
            ma = np.bincount(per_codes[a], weights=lr[a], minlength=n_per)[ok] / ca[ok]
            mb = np.bincount(per_codes[b], weights=lr[b], minlength=n_per)[ok] / cb[ok]
            return t_interval(ma - mb, 0.0)

        mat = float(p["sandbag_material_bias"])
        search = scope_search(u["owner"].to_numpy(), u["team"].to_numpy(), one=one, two=two,
                              size=lambda m: int(m.sum()), material=lambda iv: iv.estimate <= -mat, direction=-1,
                              min_n_rep=p["sandbag_min_periods"], min_n_team=p["sandbag_min_periods"],
                              q=p["fdr_q"])
        res.metrics["sandbagging_tests"] = search.table()
        res.methods.append(
            "Sandbagging: commit calls (geometric mean of the weekly calls in force) persistently below what closes (t-test on log(F/A) across "
            f"periods, bias <= -{mat:.0%}) and won value landing in the first {n_early} business days of periods "
            f"beyond their calendar share (count index >= {p['sandbag_material_index']}), shifted from the "
            f"period's last {n_late} business days: the scope's share of early among early + late wins against "
            "the rest of the organisation's (one-sided Fisher exact test, mid-p; the organisation itself: score "
            "test of the early index).")
        for hit in search.hits:
            owners = set(u.loc[hit.mask, "owner"])
            wm = np.isin(owner_won, list(owners))
            early = _oe_score(num_all[wm], den_all[wm], 1.0)
            if hit.level == "org" or not (~wm).any():
                shift_p: float | None = None if early.p_value is None else early.p_value / 2
                tab: list[list[int]] = []
            else:
                shift_p, tab = shift(wm)
            if not (np.isfinite(early.estimate) and early.estimate >= p["sandbag_material_index"]
                    and shift_p is not None and shift_p < 0.05):
                res.observations.append(_crm.observation(
                    LENS, "sandbagging", Scope(hit.level, hit.id),  # type: ignore[arg-type]
                    f"Pessimistic calls ({hit.own.estimate:+.0%}) without wins bunching at the start of the next "
                    f"period (early index {early.estimate:.2f}); reported as forecast bias, not sandbagging.",
                    "not_significant", hit.n, early_index=early.estimate, early_p=shift_p))
                continue
            rows = wv[wm & wv["early"].to_numpy()].nlargest(8, "amount")
            ev = _crm.deal_evidence(rows["deal_id"].tolist(), f"won in the first {n_early} business days")
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            texts = Texts(
                title=f"Low calls, then wins just after the period starts ({hit.id})",
                title_fr=f"Des prévisions basses, puis des signatures juste après le début de période ({hit.id})",
                statement=(f"For {who_en}, commit calls were {hit.own.estimate:+.0%} versus what closed over {hit.n} "
                           f"periods, and wins in the first {n_early} business days of periods ran "
                           f"{early.estimate:.1f}x its calendar share."),
                statement_fr=(f"Pour {who_fr}, les prévisions « commit » s'écartent de {hit.own.estimate:+.0%} du "
                              f"réalisé sur {hit.n} périodes, et les signatures dans les {n_early} premiers jours "
                              f"ouvrés des périodes atteignent {early.estimate:.1f} fois sa part calendaire."),
                question="What does a rep gain by calling low and holding deals for the next period, and what "
                         "would make an accurate call safe?",
                question_fr="Que gagne un commercial à annoncer bas et à garder des affaires pour la période "
                            "suivante, et qu'est-ce qui rendrait une prévision juste sans risque ?")
            res.findings.append(_crm.make_finding(
                LENS, "sandbagging", hit, _crm.metric("pessimistic_bias", hit.own.estimate, 0.0, "ratio"),
                hit.own, texts, ev, value=float(rows["amount"].sum()),
                params={"material_bias": mat, "early_bdays": n_early, "early_index": early.estimate,
                        "early_index_ci": [early.low, early.high], "late_bdays": n_late,
                        "early_late_wins": tab, "shift_p": shift_p, "fdr_q": p["fdr_q"]}))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "sandbagging", search, "commit-call bias", "More periods of rep-level forecasts settle it.",
                len(np.unique(per_arr)), p["sandbag_min_periods"])
            if obs:
                res.observations.append(obs)

    # ------------------------------------------------------------------ org events
    def _org_events(self, ctx: LensContext, p: dict[str, Any], res: LensResult, won: pd.DataFrame) -> None:
        if ctx.count("org_events") == 0 or won.empty:
            return
        ev = ctx.df("SELECT CAST(date AS TIMESTAMP) AS date, kind, description FROM org_events ORDER BY date")
        rows = []
        for e in ev.itertuples(index=False):
            before = won[won["close_date"] < e.date]
            after = won[won["close_date"] >= e.date]
            row: dict[str, Any] = {"date": e.date, "kind": e.kind, "description": e.description,
                                   "won_before": len(before), "won_after": len(after)}
            for name, part in (("before", before), ("after", after)):
                dis = part[part["discount"].notna()]
                row[f"late_discount_gap_{name}"] = (
                    float(dis.loc[dis["late"], "discount"].mean() - dis.loc[~dis["late"], "discount"].mean())
                    if dis["late"].any() and (~dis["late"]).any() else None)
                row[f"late_value_share_{name}"] = (
                    float(part.loc[part["late"], "amount"].sum() / part["amount"].sum()) if len(part) else None)
            rows.append(row)
            if len(before) >= 30 and len(after) >= 30:
                a, b = after["late"].to_numpy(), before["late"].to_numpy()
                diff = newcombe_diff_ci(a.sum(), len(a), b.sum(), len(b))
                res.observations.append(_crm.observation(
                    LENS, None, Scope("org", "org"),  # type: ignore[arg-type]
                    f"Around '{e.description}' ({pd.Timestamp(e.date).date()}): share of wins in the last "
                    f"{p['late_bdays']} business days moved by {diff.estimate:+.0%} (95% interval "
                    f"{diff.low:+.0%} to {diff.high:+.0%}).", "before_after", len(a) + len(b),
                    event=str(e.description), estimate=diff.estimate, ci_low=diff.low, ci_high=diff.high))
        res.metrics["org_events"] = pd.DataFrame(rows)
