"""Forecast lens: how reliable are the calls, and how are results produced in time?

Kinds: ``forecast_bias``, ``commit_unreliable``, ``late_period_concentration``,
``results_concentration``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..models import Evidence, Scope
from ..stats import (
    Interval,
    bootstrap_ratio_ci,
    ratio_delta_ci,
    ratio_diff_delta,
    t_interval,
    welch_interval,
)
from . import _crm
from ._crm import ScopeSearch, ScopeTest, Texts, scope_search, scope_words
from .base import Lens, LensContext, LensResult

LENS = "forecast"


def _pct_interval(iv: Interval) -> Interval:
    """A mean of log ratios -> relative effect exp(.) - 1 (null 0 stays 0)."""
    return Interval(float(np.expm1(iv.estimate)), float(np.expm1(iv.low)), float(np.expm1(iv.high)),
                    iv.method + " on log(F/A) across periods", iv.n, iv.p_value, 0.0)


class ForecastLens(Lens):
    name = "forecast"
    title = "Forecast reliability"
    kinds = ("forecast_bias", "commit_unreliable", "late_period_concentration", "results_concentration")
    requires = ("deals",)
    default_params: ClassVar[dict[str, Any]] = {
        "snapshots": {"early": 0.15, "mid": 0.5, "late": 0.85},  # fraction of the period elapsed
        "primary_snapshot": "mid",
        "call_category": "commit",
        "bias_material": 0.15,           # |bias| >= 15% of actual
        "bias_min_periods": 4,
        "commit_expected_rate": 0.85,    # commit deals expected to close in their period at least this often
        "commit_material_rate": 0.75,    # a finding needs a close rate at or below this, or
        "commit_material_miss_ratio": 2.0,  # below the expected rate and missing 2x as often as the others
        "commit_min_n_rep": 15,
        "commit_min_n_team": 30,
        "late_bdays": 10,                # last business days of the period
        "late_material_index": 1.5,      # won value in the window >= 1.5x its calendar share
        "late_min_n_rep": 20,
        "late_min_n_team": 40,
        "top_rep_fraction": 0.2,         # "top people" = top 20% of reps of a group in a period
        "top_deal_fraction": 0.1,        # "top deals" = top 10% of a team's won deals in a period
        # expected share of the top deals: same number of wins drawn from the other teams' won deals of
        # the period (so the baseline follows the real deal-size distribution and team size)
        "concentration_material": 0.10,  # a finding needs the top deals to bring >= 10 pts more than expected
        "concentration_min_periods": 4,
        "permutations": 200,
        "fdr_q": 0.05,
        "seed": 0,
    }

    def run(self, ctx: LensContext) -> LensResult:
        p = self.params(ctx)
        res = LensResult(params=dict(p))
        deals = _crm.load_deals(ctx)
        lo, hi = _crm.data_bounds(ctx)
        per = _crm.periods(ctx.calendar, lo, hi, complete=True)
        res.methods.append(
            "Scope: each rep is tested against its team-mates, each team (without flagged reps) against the "
            "rest of the organisation, then the organisation; Benjamini-Hochberg at q = "
            f"{p['fdr_q']} within each level (chosen over shrinkage because the tests are few per level "
            "and each has its own exact or delta-method p-value). A finding also needs a material effect.")
        won = deals[(deals["status"] == "won") & deals["close_date"].notna()].copy()
        won["period"] = _crm.assign_period(won["close_date"], per)
        won = won[won["period"].notna()].merge(per, on="period")
        self._bias(ctx, p, res, deals, won, hi)
        self._commit(ctx, p, res, deals, per)
        self._late(p, res, won)
        self._concentration(p, res, won)
        return res

    # ------------------------------------------------------------------ forecast bias
    def _bias(self, ctx: LensContext, p: dict[str, Any], res: LensResult, deals: pd.DataFrame,
              won: pd.DataFrame, hi: pd.Timestamp) -> None:
        if ctx.count("forecasts") == 0:
            res.observations.append(_crm.observation(
                LENS, "forecast_bias", None,
                "No forecasts file: forecast accuracy and bias were not measured. Add forecasts "
                "(owner, period, submitted_at, category, amount) to assess them.", "missing_table", 0))
            return
        calls = _crm.forecast_calls(ctx, deals, hi, p["snapshots"])
        if calls.empty:
            res.observations.append(_crm.observation(
                LENS, "forecast_bias", None, "No forecast was submitted before the snapshot points of any "
                "complete period; bias could not be measured.", "below_min_n", 0))
            return
        res.metrics["accuracy"] = calls[["owner", "level", "team", "period", "category", "snapshot",
                                         "submitted_at", "forecast", "actual", "accuracy", "bias",
                                         "abs_err"]].reset_index(drop=True)
        g = calls.groupby(["owner", "level", "team", "category", "snapshot"], as_index=False).agg(
            periods=("period", "nunique"), forecast=("forecast", "sum"), actual=("actual", "sum"),
            abs_err=("abs_err", "sum"))
        with np.errstate(divide="ignore", invalid="ignore"):
            g["wape"] = g["abs_err"] / g["actual"]
            g["bias"] = (g["forecast"] - g["actual"]) / g["actual"]
        res.metrics["accuracy_summary"] = g
        res.methods.append(
            "Bias test: per owner and period, the geometric mean of the calls in force at 13 evenly spaced points "
            "of the period (weekly) against the won value; t-test on log(F/A) across periods. "
            "Forecast accuracy = 1 - |F - A| / A and bias = (F - A) / A per owner and period, where F is the "
            "last call submitted before each snapshot point (share of the period elapsed: "
            f"{p['snapshots']}) and A the won value closed in the period; WAPE = sum|F - A| / sum A.")
        units = _crm.averaged_calls(ctx, deals, hi, p["call_category"])
        if units.empty:
            units = calls.iloc[0:0].assign(calls=0)
        rep_units = units[units["level"] == "rep"]
        units = rep_units if not rep_units.empty else units[units["level"].isin(["team", "manager"])]
        units = units[(units["forecast"] > 0) & (units["actual"] > 0)].reset_index(drop=True)
        if units.empty:
            res.observations.append(_crm.observation(
                LENS, "forecast_bias", None,
                f"No '{p['call_category']}' calls with a positive won value to compare with; bias not measured.",
                "below_min_n", 0))
            return
        unit_rep = units["owner"].to_numpy() if (units["level"] == "rep").any() else units["team"].to_numpy()
        per_arr = units["period"].to_numpy()
        F = units["forecast"].to_numpy(float)
        A = units["actual"].to_numpy(float)

        per_codes, per_labels = pd.factorize(per_arr)
        n_per = len(per_labels)

        def lr(mask: np.ndarray) -> pd.Series:
            fs = np.bincount(per_codes[mask], weights=F[mask], minlength=n_per)
            as_ = np.bincount(per_codes[mask], weights=A[mask], minlength=n_per)
            ok = as_ > 0
            return pd.Series(np.log(fs[ok] / as_[ok]), index=np.flatnonzero(ok))

        def one(mask: np.ndarray) -> Interval | None:
            return _pct_interval(t_interval(lr(mask).to_numpy(), 0.0))

        def two(a: np.ndarray, b: np.ndarray) -> Interval | None:
            la, lb = lr(a), lr(b)
            common = la.index.intersection(lb.index)
            if len(common) < 2:
                return None
            return t_interval((la[common] - lb[common]).to_numpy(), 0.0)

        def size(mask: np.ndarray) -> int:
            return int(np.count_nonzero(np.bincount(per_codes[mask], minlength=n_per)))

        mat = float(p["bias_material"])
        levels = ("rep", "team", "org") if (units["level"] == "rep").any() else ("team", "org")
        search = scope_search(unit_rep, units["team"].to_numpy(), one=one, two=two, size=size,
                              material=lambda iv: abs(iv.estimate) >= mat, direction=0,
                              min_n_rep=p["bias_min_periods"], min_n_team=p["bias_min_periods"],
                              q=p["fdr_q"], levels=levels)
        res.metrics["bias_tests"] = search.table()
        for hit in search.hits:
            m = hit.mask
            fsum, asum = F[m].sum(), A[m].sum()
            pooled = fsum / asum - 1
            optimistic = hit.own.estimate > 0
            worst = units[m].assign(b=lambda d: d["forecast"] / d["actual"] - 1)
            worst = worst.sort_values("b", ascending=not optimistic).head(4)
            ev = [Evidence(type="metric_row", note=(
                f"{r.owner} {r.period}: {p['call_category']} call {r.forecast:,.0f} at {p['primary_snapshot']}"
                f"-period average vs {r.actual:,.0f} won ({r.forecast / r.actual - 1:+.0%})"))
                for r in worst.itertuples()]
            ev += self._bias_deals(deals, hit, units, optimistic)
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            direction_en = "above" if optimistic else "below"
            direction_fr = "au-dessus" if optimistic else "en dessous"
            name = "optimistic_bias" if optimistic else "pessimistic_bias"
            texts = Texts(
                title=f"Forecast calls run {abs(hit.own.estimate):.0%} {direction_en} what closes ({hit.id})",
                title_fr=f"Les prévisions sont {abs(hit.own.estimate):.0%} {direction_fr} du réalisé ({hit.id})",
                statement=(f"For {who_en}, the {p['call_category']} calls of a period were on average "
                           f"{hit.own.estimate:+.0%} versus the value actually won, over {hit.n} periods "
                           f"(pooled {pooled:+.0%})."),
                statement_fr=(f"Pour {who_fr}, les prévisions « {p['call_category']} » d'une période s'écartent en "
                              f"moyenne de {hit.own.estimate:+.0%} du montant réellement gagné, sur {hit.n} "
                              f"périodes (cumul {pooled:+.0%})."),
                question=("What in the way calls are asked for and used makes it safer to call "
                          + ("high" if optimistic else "low") + " than to call what is expected?"),
                question_fr=("Qu'est-ce qui, dans la façon dont les prévisions sont demandées et utilisées, rend "
                             "plus sûr d'annoncer " + ("haut" if optimistic else "bas")
                             + " que d'annoncer ce qu'on attend vraiment ?"),
            )
            res.findings.append(_crm.make_finding(
                LENS,                 "forecast_bias", hit, _crm.metric(name, pooled, 0.0, "ratio"), hit.own, texts, ev,
                value=abs(fsum - asum), params={"material_bias": mat, "snapshot": p["primary_snapshot"],
                                                "category": p["call_category"], "fdr_q": p["fdr_q"]}))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "forecast_bias", search, "forecast bias (relative, period-average commit call)",
                "More complete periods of forecasts per owner (at least "
                f"{p['bias_min_periods']}) would narrow the interval.",
                len(np.unique(per_arr)), p["bias_min_periods"])
            if obs:
                res.observations.append(obs)

    @staticmethod
    def _bias_deals(deals: pd.DataFrame, hit: ScopeTest, units: pd.DataFrame, optimistic: bool) -> list[Evidence]:
        scope_units = units[hit.mask]
        owners = set(scope_units["owner"]) if (scope_units["level"] == "rep").any() else None
        d = deals if owners is None else deals[deals["owner"].isin(owners)]
        if owners is None and hit.level == "team":
            d = deals[deals["team"] == hit.id]
        status = "lost" if optimistic else "won"
        top = d[d["status"] == status].nlargest(4, "amount")
        note = "large deal lost" if optimistic else "large deal won"
        return _crm.deal_evidence(top["deal_id"].tolist(), note)

    # ------------------------------------------------------------------ commit reliability
    def _commit(self, ctx: LensContext, p: dict[str, Any], res: LensResult, deals: pd.DataFrame,
                per: pd.DataFrame) -> None:
        n_fc = ctx.con.execute(
            "SELECT count(*) FROM deal_changes WHERE field = 'forecast_category'").fetchall()
        if not n_fc or n_fc[0][0] == 0:
            res.observations.append(_crm.observation(
                LENS, "commit_unreliable", None,
                "No forecast-category history in deal_changes: which deals were called commit during each "
                "period is unknown, so commit reliability was not measured (current categories are not "
                "used as history).", "missing_history", 0))
            return
        if per.empty:
            return
        d = deals[["deal_id", "owner", "team", "amount", "status", "created_at", "close_date"]]
        # every call to commit: the deal is then expected in the period of its close date at that moment
        calls = ctx.df("""SELECT deal_id, changed_at AS at FROM deal_changes
                          WHERE field = 'forecast_category' AND lower(new_value) = 'commit'""")
        calls = calls.merge(d, on="deal_id")
        calls = calls[(calls["status"] == "open") | (calls["at"].dt.normalize() < calls["close_date"])]
        calls = calls.reset_index(drop=True)
        calls["exp_close"] = _crm.to_ts(_crm.value_at(ctx, "close_date", calls, "close_date"))
        calls["period"] = _crm.assign_period(calls["exp_close"], per)
        x = calls[calls["period"].notna()].merge(per, on="period")
        x = x.sort_values("at").drop_duplicates(["deal_id", "period"]).reset_index(drop=True)
        if x.empty:
            res.observations.append(_crm.observation(
                LENS, "commit_unreliable", None, "No deal was called commit for a complete period.",
                "below_min_n", 0))
            return
        x["won_in_period"] = (x["status"] == "won") & (x["close_date"] >= x["start"]) & (x["close_date"] <= x["end"])
        res.metrics["commit_deals"] = x[["deal_id", "owner", "team", "period", "amount", "status",
                                         "close_date", "won_in_period"]]
        g = x.assign(won_value=x["amount"] * x["won_in_period"]).groupby(
            ["team", "owner", "period"], as_index=False).agg(
            committed=("deal_id", "count"), committed_value=("amount", "sum"),
            won=("won_in_period", "sum"), won_value=("won_value", "sum"))
        res.metrics["commit_to_close"] = g
        res.methods.append(
            "Commit-to-close: every deal moved to forecast category commit (from deal_changes, before its "
            "closing day), counted once per period of its expected close date at that moment; rate = share "
            "won in that period (Wilson interval; "
            f"binomial test against an expected {p['commit_expected_rate']:.0%}); material at or below "
            f"{p['commit_material_rate']:.0%}, or below the expected rate with a miss rate at least "
            f"{p['commit_material_miss_ratio']:g}x that of the others (team-mates, the rest of the organisation).")
        won_arr = x["won_in_period"].to_numpy(bool)
        amt = x["amount"].to_numpy(float)
        p0 = float(p["commit_expected_rate"])

        one, two = _crm.rate_tests(won_arr, p0)

        mat = float(p["commit_material_rate"])
        ratio = float(p["commit_material_miss_ratio"])

        def material_vs(t: ScopeTest) -> bool:
            # material: a close rate at or below the material rate; or, for a rep or a team, below the expected
            # rate with a miss rate (1 - close rate) at least ``ratio`` times that of the others (team-mates,
            # the rest of the organisation) - a team missing 22% of its commits where the others miss 3% is
            # material even above 75%
            if t.own.estimate <= mat:
                return True
            if t.resid is None or not np.isfinite(t.resid.estimate):
                return False
            others = t.own.estimate - t.resid.estimate
            return bool(1 - t.own.estimate >= ratio * (1 - others))

        search = scope_search(x["owner"].to_numpy(), x["team"].to_numpy(), one=one, two=two,
                              size=lambda m: int(m.sum()),
                              material=lambda iv: iv.estimate < p0, direction=-1,
                              min_n_rep=p["commit_min_n_rep"], min_n_team=p["commit_min_n_team"],
                              q=p["fdr_q"], levels=("rep", "team", "org"), material_vs=material_vs)
        res.metrics["commit_tests"] = search.table()
        for hit in search.hits:
            m = hit.mask
            vrate = amt[m & won_arr].sum() / max(amt[m].sum(), 1e-9)
            missed = x[m & ~won_arr].nlargest(8, "amount")
            ev = _crm.deal_evidence(missed["deal_id"].tolist(), "called commit for the period, not won in it")
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            texts = Texts(
                title=f"Commit calls close {hit.own.estimate:.0%} of the time ({hit.id})",
                title_fr=f"Les affaires « commit » aboutissent {hit.own.estimate:.0%} du temps ({hit.id})",
                statement=(f"In {who_en}, {hit.n} deals called commit for a period closed won in that period "
                           f"{hit.own.estimate:.0%} of the time ({vrate:.0%} of the committed value), against "
                           f"an expected {p0:.0%}."),
                statement_fr=(f"Dans {who_fr}, {hit.n} affaires passées en « commit » pour une période ont été gagnées dans "
                              f"la période {hit.own.estimate:.0%} du temps ({vrate:.0%} de la valeur engagée), "
                              f"pour {p0:.0%} attendus."),
                question="What does 'commit' have to mean here, and what happens when a commit does not close?",
                question_fr="Que doit vouloir dire « commit » ici, et que se passe-t-il quand un commit ne se "
                            "conclut pas ?")
            res.findings.append(_crm.make_finding(
                LENS,                 "commit_unreliable", hit, _crm.metric("commit_close_rate", hit.own.estimate, p0, "share"),
                hit.own, texts, ev, value=float(amt[m & ~won_arr].sum()),
                params={"expected_rate": p0, "material_rate": p["commit_material_rate"],
                        "material_miss_ratio_vs_others": ratio,
                        "snapshot": p["primary_snapshot"], "fdr_q": p["fdr_q"]}))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "commit_unreliable", search, "commit-to-close rate",
                f"At least {p['commit_min_n_team']} commit deals per team settle it.", len(x),
                p["commit_min_n_team"])
            if obs:
                res.observations.append(obs)

    # ------------------------------------------------------------------ hockey stick
    def _late(self, p: dict[str, Any], res: LensResult, won: pd.DataFrame) -> None:
        n_late = int(p["late_bdays"])
        if won.empty:
            res.observations.append(_crm.observation(
                LENS, "late_period_concentration", None, "No won deal in a complete period.", "below_min_n", 0))
            return
        w = won.reset_index(drop=True)
        w["bd_to_end"] = _crm.bdays_to_end(w["close_date"], w["end"])
        w["late"] = w["bd_to_end"] <= n_late
        w["uniform"] = n_late / w["bdays"]
        num = (w["amount"] * w["late"]).to_numpy(float)
        den = (w["amount"] * w["uniform"]).to_numpy(float)
        g = w.groupby(["team", "period"], as_index=False).apply(
            lambda d: pd.Series({"won_value": d["amount"].sum(), "late_value": d.loc[d["late"], "amount"].sum(),
                                 "won_deals": len(d), "late_deals": int(d["late"].sum()),
                                 "uniform_share": d["uniform"].mean()}), include_groups=False)
        g["late_share"] = g["late_value"] / g["won_value"]
        g["hockey_stick_index"] = g["late_share"] / g["uniform_share"]
        res.metrics["hockey_stick"] = g
        res.methods.append(
            f"Hockey-stick index = share of won value closed in the last {n_late} business days of the period "
            "divided by those days' share of the period's business days (1 = uniform); delta-method tests, "
            "bootstrap interval (2000 resamples of deals) for reported findings.")

        def one(mask: np.ndarray) -> Interval | None:
            return ratio_delta_ci(num[mask], den[mask], null=1.0)

        def two(a: np.ndarray, b: np.ndarray) -> Interval | None:
            return ratio_diff_delta(num[a], den[a], num[b], den[b])

        mat = float(p["late_material_index"])
        search = scope_search(w["owner"].to_numpy(), w["team"].to_numpy(), one=one, two=two,
                              size=lambda m: int(m.sum()), material=lambda iv: iv.estimate >= mat,
                              direction=1, min_n_rep=p["late_min_n_rep"], min_n_team=p["late_min_n_team"],
                              q=p["fdr_q"])
        res.metrics["hockey_stick_tests"] = search.table()
        for i, hit in enumerate(search.hits):
            m = hit.mask
            boot = bootstrap_ratio_ci(num[m], den[m], seed=p["seed"] + i, null=1.0)
            share = num[m].sum() / w["amount"].to_numpy(float)[m].sum()
            uni = den[m].sum() / w["amount"].to_numpy(float)[m].sum()
            late_deals = w[m & w["late"].to_numpy()].nlargest(8, "amount")
            ev = _crm.deal_evidence(late_deals["deal_id"].tolist(), f"won in the last {n_late} business days")
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            texts = Texts(
                title=f"Won value bunches at period end: {share:.0%} in the last {n_late} business days ({hit.id})",
                title_fr=f"Le gagné se concentre en fin de période : {share:.0%} sur les {n_late} derniers jours "
                         f"ouvrés ({hit.id})",
                statement=(f"For {who_en}, {share:.0%} of the won value closed in the last {n_late} business days "
                           f"of the period, where the calendar explains {uni:.0%} (index {boot.estimate:.2f}, "
                           f"{hit.n} won deals)."),
                statement_fr=(f"Pour {who_fr}, {share:.0%} de la valeur gagnée est signée dans les {n_late} derniers "
                              f"jours ouvrés de la période, quand le calendrier en explique {uni:.0%} (indice "
                              f"{boot.estimate:.2f}, {hit.n} affaires gagnées)."),
                question="What in the period's rhythm (targets, reviews, pay) makes the last two weeks decide "
                         "the quarter?",
                question_fr="Qu'est-ce qui, dans le rythme de la période (objectifs, revues, rémunération), fait "
                            "que les deux dernières semaines décident du trimestre ?")
            res.findings.append(_crm.make_finding(
                LENS,                 "late_period_concentration", hit, _crm.metric("hockey_stick_index", boot.estimate, 1.0, "ratio"),
                boot, texts, ev, value=float(num[m].sum() - den[m].sum()),
                params={"late_bdays": n_late, "material_index": mat, "fdr_q": p["fdr_q"]},
                p_override=hit.own.p_value))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "late_period_concentration", search, "hockey-stick index",
                f"More won deals (at least {p['late_min_n_team']} per team) would settle it.", len(w),
                p["late_min_n_team"])
            if obs:
                res.observations.append(obs)

    # ------------------------------------------------------------------ results concentration
    def _concentration(self, p: dict[str, Any], res: LensResult, won: pd.DataFrame) -> None:
        if won.empty:
            return
        frac = float(p["top_rep_fraction"])
        rng = np.random.default_rng(p["seed"])
        rows = []
        by_period = {period: g for period, g in won.groupby("period")}
        for (team, period), d in won.groupby(["team", "period"]):
            reps = d["owner"].unique()
            k = len(reps)
            if k < 3 or len(d) < 3:
                continue
            top_k = max(1, int(np.ceil(frac * k)))
            by_rep = d.groupby("owner")["amount"].sum().sort_values(ascending=False)
            total = by_rep.sum()
            obs_share = by_rep.iloc[:top_k].sum() / total
            # null: the same deals dealt at random among the same reps
            amounts = d["amount"].to_numpy(float)
            B = int(p["permutations"])
            codes = rng.integers(0, k, size=(B, len(amounts)))
            flat = (codes + (np.arange(B) * k)[:, None]).ravel()
            sums = np.bincount(flat, weights=np.tile(amounts, B), minlength=B * k).reshape(B, k)
            sums.sort(axis=1)
            null_share = float(np.mean(sums[:, -top_k:].sum(axis=1) / total))
            k_deals = max(1, int(np.ceil(float(p["top_deal_fraction"]) * len(amounts))))
            top_deal = float(np.sort(amounts)[-k_deals:].sum() / total)
            # expected share from the deal sizes of the rest of the organisation in the same period
            others = by_period[period]
            pool = others.loc[others["team"] != team, "amount"].to_numpy(float)
            if len(pool) < 5:
                pool = others["amount"].to_numpy(float)
            draws = np.sort(rng.choice(pool, size=(B, len(amounts)), replace=True), axis=1)
            expected_deal = float(np.mean(draws[:, -k_deals:].sum(axis=1) / np.maximum(draws.sum(axis=1), 1e-12)))
            rows.append({"team": team, "period": period, "reps": k, "won_value": total, "top_reps": top_k,
                         "top_rep_share": obs_share, "null_share": null_share,
                         "excess": obs_share - null_share, "top_deal_share": top_deal,
                         "expected_top_deal_share": expected_deal, "top_deal_excess": top_deal - expected_deal,
                         "top_rep": by_rep.index[0]})
        if not rows:
            return
        t = pd.DataFrame(rows)
        cv = t.groupby("team")["won_value"].agg(lambda s: s.std(ddof=1) / s.mean() if len(s) > 1 else np.nan)
        t["team_period_cv"] = t["team"].map(cv)
        res.metrics["concentration"] = t
        res.methods.append(
            f"Results concentration: share of a team's won value in a period from its top {p['top_deal_fraction']:.0%} "
            "of won deals, minus the share expected for the same number of wins drawn from the other teams' won "
            f"deals of that period ({p['permutations']} draws); tested: t-interval of that excess across "
            "team-periods against 0, Welch against the other teams; and from its top "
            f"{frac:.0%} of reps minus the share expected if the same deals were dealt at random among the same reps "
            "(metric table).")
        exc = t["top_deal_excess"].to_numpy(float)

        def one(mask: np.ndarray) -> Interval | None:
            return t_interval(exc[mask], 0.0)

        def two(a: np.ndarray, b: np.ndarray) -> Interval | None:
            return welch_interval(exc[a], exc[b])

        mat = float(p["concentration_material"])
        search = scope_search(t["team"].to_numpy(), t["team"].to_numpy(), one=one, two=two,
                              size=lambda m: int(m.sum()), material=lambda iv: iv.estimate >= mat,
                              direction=1, min_n_rep=10**9, min_n_team=p["concentration_min_periods"],
                              q=p["fdr_q"], levels=("team", "org"))
        res.metrics["concentration_tests"] = search.table()
        for hit in search.hits:
            sub = t[hit.mask]
            share = float(sub["top_deal_share"].mean())
            p0 = float(sub["expected_top_deal_share"].mean())
            rep_share = float(sub["top_rep_share"].mean())
            base = float(sub["null_share"].mean())
            heroes = sub["top_rep"].value_counts().index[:3].tolist()
            scope_won = won[won["team"].isin(sub["team"])]
            top = scope_won.nlargest(6, "amount")
            ev = _crm.deal_evidence(top["deal_id"].tolist(), "among the largest wins of the scope")
            ev += [Evidence(type="metric_row", note=(
                f"{r.team} {r.period}: top {p['top_deal_fraction']:.0%} of deals = {r.top_deal_share:.0%} of won "
                f"value; top rep {r.top_rep}")) for r in sub.nlargest(2, "top_deal_share").itertuples()]
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            texts = Texts(
                title=f"Results hang on a few deals ({hit.id}): the top {p['top_deal_fraction']:.0%} bring {share:.0%}",
                title_fr=f"Les résultats tiennent à quelques affaires ({hit.id}) : les {p['top_deal_fraction']:.0%} "
                         f"plus grosses font {share:.0%}",
                statement=(f"In {who_en}, the largest {p['top_deal_fraction']:.0%} of won deals brought {share:.0%} of "
                           f"each period's won value on average (expected from the other teams' deal sizes: {p0:.0%}); the top {frac:.0%} of reps "
                           f"brought {rep_share:.0%} (equal-reps expectation {base:.0%}); most often {', '.join(heroes)} "
                           f"({hit.n} team-periods)."),
                statement_fr=(f"Dans {who_fr}, les {p['top_deal_fraction']:.0%} plus grosses affaires gagnées apportent en "
                              f"moyenne {share:.0%} de la valeur gagnée de chaque période (attendu d'après les tailles d'affaires "
                              f"des autres équipes : {p0:.0%}) ; les {frac:.0%} meilleurs commerciaux en apportent {rep_share:.0%} "
                              f"(attendu à productivité égale : {base:.0%}) ; le plus souvent {', '.join(heroes)} "
                              f"({hit.n} équipe-périodes)."),
                question="What would the period look like without its few big deals and heroes, and what does the "
                         "system do to make results less dependent on them?",
                question_fr="À quoi ressemblerait la période sans ses quelques grosses affaires et ses héros, et que "
                            "fait le système pour que les résultats dépendent moins d'eux ?")
            res.findings.append(_crm.make_finding(
                LENS, "results_concentration", hit, _crm.metric("top_deal_share", share, p0, "share"), hit.own,
                texts, ev, value=float((sub["top_deal_share"] * sub["won_value"]).sum()),
                params={"top_deal_fraction": p["top_deal_fraction"], "top_rep_fraction": frac,
                        "expected_share": p0, "material_excess": mat, "fdr_q": p["fdr_q"]}))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "results_concentration", search, "share of won value from the top deals",
                f"At least {p['concentration_min_periods']} complete periods per team settle it.", len(t),
                p["concentration_min_periods"])
            if obs:
                res.observations.append(obs)


__all__ = ["ForecastLens", "ScopeSearch"]
