"""Pipeline lens: how deals move (or do not) through periods and stages.

Kinds: ``close_date_slippage``, ``stalled_deals``. Metrics: pushes per deal,
slippage per period, stage regressions, stage ages, period waterfall.
Needs ``deal_changes``: without history there is no honest way to know what
a deal's expected close date or stage was in the past.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..models import Scope
from . import _crm
from ._crm import ScopeTest, Texts, scope_search, scope_words
from .base import Lens, LensContext, LensResult

LENS = "pipeline"
_CLOSED_WORDS = ("won", "lost", "closed", "gagn", "perdu", "clos")


class PipelineLens(Lens):
    name = "pipeline"
    title = "Pipeline dynamics"
    kinds = ("close_date_slippage", "stalled_deals")
    requires = ("deals", "deal_changes")
    default_params: ClassVar[dict[str, Any]] = {
        "slip_expected_rate": 0.10,   # share of deals expected in a period that commonly move out of it
        "slip_material_rate": 0.20,   # a finding needs at least this slippage rate
        "slip_min_n_rep": 20,
        "slip_min_n_team": 40,
        "stall_factor": 3.0,          # stalled = time in stage > 3x the organisation's median for that stage
        "stall_min_days": 30,
        "stall_material_rate": 0.05,  # and at least 2x the rate of the others (team-mates / rest of the org)
        "stall_material_ratio": 2.0,
        "stall_min_n_rep": 20,
        "stall_min_n_team": 40,
        "fdr_q": 0.05,
    }

    def skip_reason(self, ctx: LensContext) -> str | None:
        if ctx.count("deals") == 0:
            return "no data in deals"
        if ctx.count("deal_changes") == 0:
            return "no deal_changes: close-date and stage history unavailable"
        return None

    def run(self, ctx: LensContext) -> LensResult:
        p = self.params(ctx)
        res = LensResult(params=dict(p))
        deals = _crm.load_deals(ctx)
        lo, hi = _crm.data_bounds(ctx)
        per = _crm.periods(ctx.calendar, lo, hi, complete=True)
        res.methods.append(
            "Scope: reps against team-mates, teams (without flagged reps) against the rest of the organisation, "
            f"then the organisation; Benjamini-Hochberg at q = {p['fdr_q']} per level, plus a materiality "
            "threshold, so an effect is reported once where it is.")
        pushes = self._pushes(ctx, deals, res)
        self._slippage(ctx, p, res, deals, per, pushes)
        self._waterfall(ctx, res, deals, per)
        self._stalls(ctx, p, res, deals, hi)
        return res

    # ------------------------------------------------------------------ pushes
    def _pushes(self, ctx: LensContext, deals: pd.DataFrame, res: LensResult) -> pd.DataFrame:
        ch = _crm.field_changes(ctx, "close_date")
        ch["old"] = _crm.to_ts(ch["old_value"])
        ch["new"] = _crm.to_ts(ch["new_value"])
        ch["push"] = ch["new"] > ch["old"]
        ch["pull"] = ch["new"] < ch["old"]
        q_old = ctx.calendar.quarters(ch["old"])
        q_new = ctx.calendar.quarters(ch["new"])
        ch["crosses_period"] = ch["push"] & (q_old != q_new) & ch["old"].notna()
        per_deal = ch.groupby("deal_id").agg(pushes=("push", "sum"), pulls=("pull", "sum"),
                                             period_pushes=("crosses_period", "sum"))
        d = deals[["deal_id", "owner", "team", "amount", "status"]].merge(
            per_deal, left_on="deal_id", right_index=True, how="left").fillna(
            {"pushes": 0, "pulls": 0, "period_pushes": 0})
        res.metrics["pushes_per_deal"] = d
        res.methods.append("Pushes: close-date changes to a later date (period pushes: into a later quarter).")
        return ch

    # ------------------------------------------------------------------ slippage
    def _slippage(self, ctx: LensContext, p: dict[str, Any], res: LensResult, deals: pd.DataFrame,
                  per: pd.DataFrame, pushes: pd.DataFrame) -> None:
        if per.empty:
            res.observations.append(_crm.observation(
                LENS, "close_date_slippage", None, "No complete period in the data.", "below_min_n", 0))
            return
        d = deals[["deal_id", "owner", "team", "amount", "status", "created_at", "close_date"]]
        x = d.merge(per.assign(at=per["start"]), how="cross")
        closed_before = (x["status"] != "open") & (x["close_date"] < x["at"])
        x = x[(x["created_at"] <= x["at"]) & ~closed_before].reset_index(drop=True)
        x["exp"] = _crm.to_ts(_crm.value_at(ctx, "close_date", x, "close_date"))
        x = x[(x["exp"] >= x["start"]) & (x["exp"] <= x["end"])]
        # ... and deals (re)dated into the period during it, before closing (a new deal, a pull-in)
        ch = pushes.merge(d, on="deal_id")
        ch = ch[(ch["status"] == "open") | (ch["changed_at"].dt.normalize() < ch["close_date"])]
        ch = ch.assign(period=_crm.assign_period(ch["new"], per))
        ch = ch[ch["period"].notna()].merge(per, on="period")
        ch = ch[(ch["changed_at"] >= ch["start"]) & (ch["changed_at"] <= ch["end"] + pd.Timedelta(days=1))]
        cols = ["deal_id", "owner", "team", "amount", "status", "close_date", "period", "start", "end", "exp"]
        x = pd.concat([x[cols], ch.assign(exp=ch["new"])[cols]], ignore_index=True)
        x = x.drop_duplicates(["deal_id", "period"]).reset_index(drop=True)
        closed_in = (x["status"] != "open") & (x["close_date"] >= x["start"]) & (x["close_date"] <= x["end"])
        x["slipped"] = ~closed_in
        res.metrics["slippage_deals"] = x[["deal_id", "owner", "team", "period", "amount", "status",
                                           "exp", "close_date", "slipped"]]
        g = x.groupby(["team", "owner", "period"], as_index=False).agg(
            expected=("deal_id", "count"), expected_value=("amount", "sum"), slipped=("slipped", "sum"))
        g["slipped_value"] = x.assign(v=x["amount"] * x["slipped"]).groupby(
            ["team", "owner", "period"])["v"].sum().to_numpy()
        g["slip_rate"] = g["slipped"] / g["expected"]
        g["slip_rate_value"] = g["slipped_value"] / g["expected_value"].where(g["expected_value"] > 0)
        res.metrics["slippage"] = g
        res.methods.append(
            "Slippage: deals whose expected close date (reconstructed from deal_changes) fell in a period at "
            "its start, or was set into it during it (before closing), and that were not closed (won or lost) "
            "within it; rate by count (Wilson "
            f"interval, binomial test against an expected {p['slip_expected_rate']:.0%}) and by value.")
        s = x["slipped"].to_numpy(bool)
        amt = x["amount"].to_numpy(float)
        p0 = float(p["slip_expected_rate"])

        one, two = _crm.rate_tests(s, p0)

        mat = float(p["slip_material_rate"])
        search = scope_search(x["owner"].to_numpy(), x["team"].to_numpy(), one=one, two=two,
                              size=lambda m: int(m.sum()), material=lambda iv: iv.estimate >= mat,
                              direction=1, min_n_rep=p["slip_min_n_rep"], min_n_team=p["slip_min_n_team"],
                              q=p["fdr_q"])
        res.metrics["slippage_tests"] = search.table()
        pushed = pushes[pushes["push"]]
        for hit in search.hits:
            m = hit.mask
            vrate = amt[m & s].sum() / max(amt[m].sum(), 1e-9)
            ids = x.loc[m & s, "deal_id"].unique()
            counts = pushed[pushed["deal_id"].isin(ids)].groupby("deal_id").size().sort_values(ascending=False)
            top = counts.index[:4].tolist()
            ev = _crm.deal_evidence(top, "pushed repeatedly")
            rows = pushed[pushed["deal_id"].isin(top[:2])].sort_values("changed_at").tail(4)
            ev += _crm.change_evidence(rows, "close_date", "close date pushed")
            mean_push = float(counts.mean()) if len(counts) else 0.0
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            texts = Texts(
                title=f"Close dates slip: {hit.own.estimate:.0%} of the deals expected in a period move out ({hit.id})",
                title_fr=f"Les dates de clôture glissent : {hit.own.estimate:.0%} des affaires attendues sortent "
                         f"de la période ({hit.id})",
                statement=(f"In {who_en}, {hit.own.estimate:.0%} of {hit.n} deals expected to close in a period "
                           f"(at its start, or dated into it during it) did not close in it ({vrate:.0%} of the value); slipped deals were "
                           f"pushed {mean_push:.1f} times on average."),
                statement_fr=(f"Dans {who_fr}, {hit.own.estimate:.0%} des {hit.n} affaires attendues dans une "
                              f"période (à son début, ou datées dedans en cours de période) ne s'y sont pas conclues ({vrate:.0%} de la valeur) ; les "
                              f"affaires qui glissent ont été repoussées {mean_push:.1f} fois en moyenne."),
                question="What makes it easier to move a close date than to requalify or close out the deal?",
                question_fr="Qu'est-ce qui rend plus facile de repousser une date que de requalifier ou de "
                            "clore l'affaire ?")
            res.findings.append(_crm.make_finding(
                LENS, "close_date_slippage", hit, _crm.metric("slip_rate", hit.own.estimate, p0, "share"),
                hit.own, texts, ev, value=float(amt[m & s].sum()),
                params={"expected_rate": p0, "material_rate": mat, "fdr_q": p["fdr_q"],
                        "slip_rate_value": vrate}))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "close_date_slippage", search, "slippage rate",
                f"At least {p['slip_min_n_team']} expected deals per team settle it.", len(x),
                p["slip_min_n_team"])
            if obs:
                res.observations.append(obs)

    # ------------------------------------------------------------------ waterfall
    def _waterfall(self, ctx: LensContext, res: LensResult, deals: pd.DataFrame, per: pd.DataFrame) -> None:
        if per.empty:
            return
        d = deals.copy()
        d["created_period"] = _crm.assign_period(d["created_at"], per)
        d["closed_period"] = _crm.assign_period(d["close_date"].where(d["status"] != "open"), per)
        new = d.groupby(["team", "created_period"])["amount"].agg(["count", "sum"])
        won = d[d["status"] == "won"].groupby(["team", "closed_period"])["amount"].agg(["count", "sum"])
        lost = d[d["status"] == "lost"].groupby(["team", "closed_period"])["amount"].agg(["count", "sum"])
        ch = _crm.field_changes(ctx, "close_date")
        ch = ch.merge(d[["deal_id", "team", "amount"]], on="deal_id")
        ch["old"] = _crm.to_ts(ch["old_value"])
        ch["new"] = _crm.to_ts(ch["new_value"])
        ch["period"] = _crm.assign_period(ch["changed_at"], per)
        ch = ch[ch["period"].notna()].merge(per[["period", "start", "end"]], on="period")
        pushed = ch[(ch["old"] >= ch["start"]) & (ch["old"] <= ch["end"]) & (ch["new"] > ch["end"])]
        pulled = ch[(ch["old"] > ch["end"]) & (ch["new"] >= ch["start"]) & (ch["new"] <= ch["end"])]
        po = pushed.groupby(["team", "period"])["amount"].agg(["count", "sum"])
        pi = pulled.groupby(["team", "period"])["amount"].agg(["count", "sum"])
        parts = []
        for name, t in (("new", new), ("pulled_in", pi), ("pushed_out", po), ("won", won), ("lost", lost)):
            t = t.copy()
            t.index = t.index.set_names(["team", "period"])
            parts.append(t.rename(columns={"count": f"{name}_deals", "sum": f"{name}_value"}))
        wf = pd.concat(parts, axis=1).fillna(0).reset_index()
        wf = wf[wf["period"].isin(per["period"])].sort_values(["team", "period"]).reset_index(drop=True)
        res.metrics["waterfall"] = wf
        res.methods.append("Waterfall per team and period: new deals, close dates pulled into / pushed out of "
                           "the period during it, won, lost (count and value).")

    # ------------------------------------------------------------------ stages
    def _stage_order(self, ctx: LensContext) -> dict[str, int]:
        st = ctx.df("SELECT stage, ordinal FROM stages WHERE NOT COALESCE(is_closed, false)")
        if not st.empty:
            return {str(k).lower(): int(v) for k, v in zip(st["stage"], st["ordinal"], strict=True)}
        return {s.lower(): i for i, s in enumerate(ctx.config.stages)}

    def _closed_stages(self, ctx: LensContext) -> set[str]:
        st = ctx.df("SELECT stage FROM stages WHERE COALESCE(is_closed, false)")
        return {str(s).lower() for s in st["stage"]}

    def _stalls(self, ctx: LensContext, p: dict[str, Any], res: LensResult, deals: pd.DataFrame,
                hi: pd.Timestamp) -> None:
        ch = _crm.field_changes(ctx, "stage")
        if ch.empty:
            res.observations.append(_crm.observation(
                LENS, "stalled_deals", None, "No stage history in deal_changes: stage ages not measured.",
                "missing_history", 0))
            return
        order = self._stage_order(ctx)
        closed = self._closed_stages(ctx)
        ch = ch.sort_values(["deal_id", "changed_at"]).reset_index(drop=True)
        ch["stage"] = ch["new_value"].astype(str)
        ch["key"] = ch["stage"].str.lower()
        ch["next_at"] = ch.groupby("deal_id")["changed_at"].shift(-1)
        d = deals.set_index("deal_id")
        ch = ch[ch["deal_id"].isin(d.index)]
        status = ch["deal_id"].map(d["status"])
        close = ch["deal_id"].map(d["close_date"])
        end_closed = close.where(status != "open")
        ch["end"] = ch["next_at"].fillna(end_closed).fillna(hi)
        ch["censored"] = ch["next_at"].isna() & (status == "open")
        is_closed = ch["key"].isin(closed) | ch["key"].str.contains("|".join(_CLOSED_WORDS), regex=True)
        sp = ch[~is_closed].copy()
        sp["days"] = (sp["end"] - sp["changed_at"]).dt.total_seconds() / 86400
        sp = sp[sp["days"] >= 0]
        sp["owner"] = sp["deal_id"].map(d["owner"])
        sp["team"] = sp["deal_id"].map(d["team"])
        sp["amount"] = sp["deal_id"].map(d["amount"])
        done = sp[~sp["censored"]]
        norm = done.groupby("key")["days"].median()
        sp["org_median_days"] = sp["key"].map(norm)
        team_p90 = done.groupby(["team", "key"])["days"].quantile(0.9).rename("team_p90_days")
        sp = sp.merge(team_p90, left_on=["team", "key"], right_index=True, how="left")
        sp = sp[sp["org_median_days"].notna()].reset_index(drop=True)
        thr = np.maximum(float(p["stall_factor"]) * sp["org_median_days"], float(p["stall_min_days"]))
        sp["stalled"] = sp["days"] > thr
        res.metrics["stage_age"] = sp[["deal_id", "owner", "team", "stage", "changed_at", "end", "censored",
                                       "days", "org_median_days", "team_p90_days", "stalled"]]
        if order:
            ch["ord"] = ch["key"].map(order)
            ch["prev_ord"] = ch.groupby("deal_id")["ord"].shift(1)
            ch["regression"] = ch["ord"] < ch["prev_ord"]
            reg = ch.assign(owner=ch["deal_id"].map(d["owner"]), team=ch["deal_id"].map(d["team"])).groupby(
                ["team", "owner"], as_index=False).agg(stage_changes=("stage", "count"),
                                                       regressions=("regression", "sum"))
            res.metrics["stage_regressions"] = reg
        res.methods.append(
            f"Stalled: time in a stage (open deals: up to the data's end) longer than {p['stall_factor']}x the "
            f"organisation's median for that stage and at least {p['stall_min_days']} days; the team's own 90th "
            "percentile is kept in the metric table.")
        s = sp["stalled"].to_numpy(bool)
        p0 = float(s.mean()) if len(s) else 0.0  # the organisation's own rate: stalling is relative

        one, two = _crm.rate_tests(s, p0)

        mat = float(p["stall_material_rate"])
        ratio = float(p["stall_material_ratio"])

        def vs_others(t: ScopeTest) -> bool:
            # the comparison group's rate is own - diff (team-mates for a rep, the rest of the organisation
            # for a team): the scope itself must not dilute its own baseline
            if t.resid is None or not np.isfinite(t.resid.estimate):
                return False
            return bool(t.own.estimate >= ratio * (t.own.estimate - t.resid.estimate))

        search = scope_search(sp["owner"].to_numpy(), sp["team"].to_numpy(), one=one, two=two,
                              size=lambda m: int(m.sum()), material=lambda iv: iv.estimate >= mat,
                              direction=1, min_n_rep=p["stall_min_n_rep"], min_n_team=p["stall_min_n_team"],
                              q=p["fdr_q"], levels=("rep", "team"), material_vs=vs_others)
        res.metrics["stall_tests"] = search.table()
        for hit in search.hits:
            m = hit.mask
            cur = sp[m & s].assign(ratio=lambda t: t["days"] / t["org_median_days"])
            cur = cur.sort_values(["censored", "ratio"], ascending=[False, False]).head(4)
            ev = _crm.deal_evidence(cur["deal_id"].tolist(), "in stage far longer than the norm")
            ev += _crm.change_evidence(
                cur.assign(old_value=None, new_value=cur["stage"]), "stage", "entered the stage")
            open_stalled = int((sp["censored"].to_numpy() & m & s).sum())
            who_en, who_fr = scope_words(Scope(hit.level, hit.id))  # type: ignore[arg-type]
            texts = Texts(
                title=f"Deals sit in stages far longer than the norm ({hit.id}): {hit.own.estimate:.0%} of stage stays",
                title_fr=f"Les affaires stagnent bien plus longtemps que la norme ({hit.id}) : "
                         f"{hit.own.estimate:.0%} des séjours en étape",
                statement=(f"In {who_en}, {hit.own.estimate:.0%} of {hit.n} stage stays lasted more than "
                           f"{p['stall_factor']:g}x the organisation's median for the stage; {open_stalled} open "
                           "deals are stalled now."),
                statement_fr=(f"Dans {who_fr}, {hit.own.estimate:.0%} des {hit.n} séjours en étape ont duré plus de "
                              f"{p['stall_factor']:g} fois la médiane de l'organisation pour cette étape ; "
                              f"{open_stalled} affaires ouvertes stagnent aujourd'hui."),
                question="What keeps a deal in the pipeline when nothing moves: what would it cost to close it out?",
                question_fr="Qu'est-ce qui garde une affaire dans le pipeline quand rien ne bouge : que coûterait-il "
                            "de la clore ?")
            res.findings.append(_crm.make_finding(
                LENS, "stalled_deals", hit, _crm.metric("stalled_share", hit.own.estimate, p0, "share"),
                hit.own, texts, ev, value=float(sp.loc[m & s & sp["censored"].to_numpy(), "amount"].sum()),
                params={"stall_factor": p["stall_factor"], "stall_min_days": p["stall_min_days"],
                        "org_rate": p0, "material_rate": mat, "material_ratio_vs_others": ratio,
                        "fdr_q": p["fdr_q"]}))
        if not search.hits:
            obs = _crm.no_finding_observation(
                LENS, "stalled_deals", search, "share of stalled stage stays",
                f"At least {p['stall_min_n_team']} stage stays per team settle it.", len(sp),
                p["stall_min_n_team"])
            if obs:
                res.observations.append(obs)
