"""Pressure lens: where pressure language settles into exchanges.

- in reviews (pipeline reviews and forecast calls): share of turns carrying the
  ``pressure`` label per meeting, per speaker role, per chairing manager, and its
  trajectory over the weeks of the quarter -> ``pressure_in_reviews``;
- in customer calls: share of the rep's turns carrying ``pressure`` (deadlines,
  time-limited concessions), and what follows (the customer's next turn, the deal's
  outcome and discount) -> ``pressure_on_customers``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..models import Effect, Metric, Observation
from ._conv import (
    BH_SENTENCE,
    WELCH_METHOD,
    ConvData,
    Texts,
    deal_evidence,
    flagged,
    fmt_pct,
    load_conv,
    make_finding,
    mean_ci,
    newcombe,
    ols_slope,
    resolve_rep_team,
    select_quotes,
    split_ids,
    test_units,
    tested_finding,
    tested_table,
    unsettled_observation,
    week_of_quarter,
    wilson,
)
from .base import Lens, LensContext, LensResult


class PressureLens(Lens):
    name = "pressure"
    title = "Pressure in reviews and customer calls"
    kinds = ("pressure_in_reviews", "pressure_on_customers")
    requires = ("utterances", "annotations")
    default_params: ClassVar[dict[str, Any]] = {
        "alpha": 0.05,  # BH false discovery rate
        "min_reviews": 8,  # reviews a manager must chair to be compared
        "min_review_diff": 0.08,  # materiality: +8 pts of pressure-labelled turns vs rest of org
        "min_trend_rise": 0.10,  # org trajectory: rise over a 13-week quarter, share of turns
        "min_calls_rep": 6,  # customer calls per rep
        "min_calls_team": 15,
        "min_call_diff": 0.06,  # materiality: +6 pts of the rep's turns carrying pressure
        "team_share": 0.5,  # share of a team's reps leaning the same way to call it a team effect
    }

    def run(self, ctx: LensContext) -> LensResult:
        p = self.params(ctx)
        data = load_conv(ctx)
        res = LensResult(params=dict(p), methods=[
            "Pressure density = share of a meeting's turns carrying the `pressure` label "
            "(language engine, see the annotation guide).",
            f"Manager and rep comparisons: {WELCH_METHOD}.",
            BH_SENTENCE,
            "Trajectory: OLS slope of per-review pressure density on the week of the fiscal quarter, "
            "t 95% interval.",
        ])
        res.metrics["per_role"] = _per_role(data)
        self._reviews(ctx, data, p, res)
        self._customers(ctx, data, p, res)
        return res

    # ------------------------------------------------------------------ reviews
    def _reviews(self, ctx: LensContext, data: ConvData, p: dict[str, Any], res: LensResult) -> None:
        rt = data.review_turns()
        if rt.empty:
            res.observations.append(Observation("pressure", "pressure_in_reviews", None,
                                                "No pipeline reviews or forecast calls in the transcripts.",
                                                reason="no_data"))
            return
        per = rt.groupby("conversation_id").agg(turns=("turn", "size"), pressure=("l_pressure", "sum"))
        mgr = rt[rt["role"] == "manager"].groupby("conversation_id")["l_pressure"].sum()
        per["mgr_pressure"] = mgr.reindex(per.index).fillna(0).astype(int)
        per = per.reset_index().merge(data.convs[["conversation_id", "kind", "started_at", "chair", "team"]],
                                      on="conversation_id", how="left")
        per["pressure_share"] = per["pressure"] / per["turns"]
        per["week_of_quarter"] = week_of_quarter(per["started_at"], ctx)
        res.metrics["per_meeting"] = per
        tested, small = test_units(per.dropna(subset=["chair"]), "pressure_share", "chair", "manager",
                                   p["min_reviews"], direction=1)
        res.metrics["per_manager"] = tested_table(tested + small, "pressure_share")
        for t in tested:
            if flagged(t, 1, p["min_review_diff"], p["alpha"]):
                rows = rt[(rt["l_pressure"]) & rt["conversation_id"].isin(
                    per.loc[per["chair"] == t.id, "conversation_id"])]
                ev = select_quotes(ctx, rows, ["pressure"], show_names=True)
                texts = Texts(
                    title=f"Pressure language dominates {t.id}'s reviews",
                    title_fr=f"La pression domine les revues de {t.id}",
                    statement=(f"In the {t.n} reviews chaired by {t.id}, {fmt_pct(t.value)} of turns push to act or "
                               f"decide faster, vs {fmt_pct(t.baseline)} in the rest of the organisation's reviews."),
                    statement_fr=(f"Dans les {t.n} revues animées par {t.id}, {fmt_pct(t.value)} des prises de parole "
                                  f"poussent à agir ou décider plus vite, contre {fmt_pct(t.baseline)} dans les "
                                  "autres revues de l'organisation."),
                    question=("What in the way reviews are run (targets, rituals, what gets praised) makes pressure "
                              "the main tool of this review, and what does it crowd out?"),
                    question_fr=("Qu'est-ce qui, dans la façon dont les revues sont conduites (objectifs, rituels, ce "
                                 "qui est valorisé), fait de la pression l'outil principal de cette revue, et que "
                                 "laisse-t-elle de côté ?"),
                )
                res.findings.append(tested_finding(
                    "pressure_in_reviews", t, texts, "pressure_turn_share", "share", ev,
                    {"min_reviews": p["min_reviews"], "min_review_diff": p["min_review_diff"], "alpha": p["alpha"]},
                    level="manager"))
            elif t.diff >= p["min_review_diff"]:
                res.observations.append(unsettled_observation("pressure", "pressure_in_reviews", t, p["min_reviews"],
                                                              f"Pressure share in {t.id}'s reviews"))
        for t in small:
            if t.diff >= p["min_review_diff"]:
                res.observations.append(unsettled_observation("pressure", "pressure_in_reviews", t, p["min_reviews"],
                                                              f"Pressure share in {t.id}'s reviews"))
        self._trajectory(ctx, rt, per, p, res)

    def _trajectory(self, ctx: LensContext, rt: pd.DataFrame, per: pd.DataFrame, p: dict[str, Any],
                    res: LensResult) -> None:
        traj_rows = []
        for w, g in per.groupby("week_of_quarter"):
            m, lo, hi = mean_ci(g["pressure_share"])
            traj_rows.append({"week_of_quarter": int(w), "reviews": len(g), "pressure_share": m,
                              "ci_low": lo, "ci_high": hi})
        res.metrics["trajectory"] = pd.DataFrame(traj_rows)
        slope, lo, hi, pv = ols_slope(per["week_of_quarter"], per["pressure_share"])
        if np.isnan(slope) or len(per) < 2 * p["min_reviews"]:
            return
        rise, rise_lo, rise_hi = slope * 12, lo * 12, hi * 12
        if pv < p["alpha"] and rise_lo > 0 and rise >= p["min_trend_rise"]:
            early = per[per["week_of_quarter"] <= 4]["pressure_share"].mean()
            late = per[per["week_of_quarter"] >= 10]["pressure_share"].mean()
            rows = rt[rt["l_pressure"] & rt["conversation_id"].isin(per.loc[per["week_of_quarter"] >= 10,
                                                                             "conversation_id"])]
            texts = Texts(
                title="Pressure in reviews rises toward the end of the quarter",
                title_fr="La pression monte dans les revues à l'approche de la fin du trimestre",
                statement=(f"Across {len(per)} reviews, the share of pressure turns rises by {rise * 100:.0f} pts "
                           f"from week 1 to week 13 of the quarter ({fmt_pct(early)} in weeks 1-4, "
                           f"{fmt_pct(late)} in weeks 10-13)."),
                statement_fr=(f"Sur {len(per)} revues, la part des prises de parole de pression augmente de "
                              f"{rise * 100:.0f} pts entre la semaine 1 et la semaine 13 du trimestre "
                              f"({fmt_pct(early)} en semaines 1-4, {fmt_pct(late)} en semaines 10-13)."),
                question=("What does the calendar of targets do to the conversations in which deals are reviewed, "
                          "and what would reviews look like if the quarter end did not set their tone?"),
                question_fr=("Que fait le calendrier des objectifs aux échanges où l'on passe les deals en revue, et "
                             "à quoi ressembleraient les revues si la fin de trimestre n'en donnait pas le ton ?"),
            )
            res.findings.append(make_finding(
                "pressure_in_reviews", "org", "org", texts,
                Metric("pressure_rise_over_quarter", float(rise), None, "share"),
                Effect(float(rise), float(rise_lo), float(rise_hi), "OLS slope x 12 weeks, t interval"),
                len(per), round(1 - pv, 4), select_quotes(ctx, rows, ["pressure"]),
                {"min_trend_rise": p["min_trend_rise"], "alpha": p["alpha"], "p_value": pv}))

    # ------------------------------------------------------------------ customer calls
    def _customers(self, ctx: LensContext, data: ConvData, p: dict[str, Any], res: LensResult) -> None:
        ct = data.call_turns()
        if ct.empty:
            res.observations.append(Observation("pressure", "pressure_on_customers", None,
                                                "No customer calls in the transcripts.", reason="no_data"))
            return
        rep_t = ct[ct["role"] == "rep"]
        per = rep_t.groupby("conversation_id").agg(rep_turns=("turn", "size"), pressure=("l_pressure", "sum"))
        per = per.reset_index().merge(data.convs[["conversation_id", "rep", "team", "deal_ids", "started_at"]],
                                      on="conversation_id", how="left")
        per["pressure_share"] = per["pressure"] / per["rep_turns"]
        # what follows a rep's pressure turn: the customer's next turn
        nxt = ct[["conversation_id", "turn", "role", "l_defensive", "l_timeline", "l_budget", "l_question"]].copy()
        nxt = nxt.sort_values(["conversation_id", "turn"])
        for col in ("role", "l_timeline", "l_budget", "l_question"):
            nxt["next_" + col] = nxt.groupby("conversation_id")[col].shift(-1)
        pr = ct[ct["l_pressure"] & (ct["role"] == "rep")][["conversation_id", "turn"]].merge(
            nxt, on=["conversation_id", "turn"], how="left")
        cust_next = pr[pr["next_role"] == "customer"]
        follow = {
            "rep_pressure_turns": len(pr),
            "customer_replies": len(cust_next),
            "customer_reply_raises_budget": int(cust_next["next_l_budget"].fillna(False).astype(bool).sum()),
            "customer_reply_raises_timeline": int(cust_next["next_l_timeline"].fillna(False).astype(bool).sum()),
            "customer_reply_is_question": int(cust_next["next_l_question"].fillna(False).astype(bool).sum()),
        }
        outcome = _outcomes(ctx, per)
        res.metrics["per_call"] = per
        res.metrics["followup"] = pd.DataFrame([follow])
        res.metrics["outcome_after_pressure"] = outcome
        team_hits, rep_hits, unsettled = resolve_rep_team(
            per, "pressure_share", direction=1, min_effect=p["min_call_diff"], alpha=p["alpha"],
            min_n_rep=p["min_calls_rep"], min_n_team=p["min_calls_team"], team_share=p["team_share"])
        rep_tab, _ = test_units(per.dropna(subset=["rep"]), "pressure_share", "rep", "rep", 1)
        res.metrics["per_rep"] = tested_table(rep_tab, "pressure_share")
        for t in team_hits + rep_hits:
            col = "team" if t.level == "team" else "rep"
            convs = per.loc[per[col] == t.id]
            rows = rep_t[rep_t["l_pressure"] & rep_t["conversation_id"].isin(convs["conversation_id"])]
            ev = select_quotes(ctx, rows, ["pressure"], show_names=t.level == "rep")
            deal_ids = sorted({d for ids, k in zip(convs["deal_ids"], convs["pressure"], strict=False) if k
                               for d in split_ids(ids)})
            deals = _deals(ctx, deal_ids)
            ev += deal_evidence(deals, k=3, note="deal with calls where the rep used pressure")
            who = t.id if t.level == "rep" else f"team {t.id}"
            who_fr = t.id if t.level == "rep" else f"l'équipe {t.id}"
            texts = Texts(
                title=f"Customers are pushed with deadlines and time-limited offers ({who})",
                title_fr=f"Les clients sont poussés par des échéances et offres limitées dans le temps ({who_fr})",
                statement=(f"In {t.n} customer calls of {who}, {fmt_pct(t.value)} of the rep's turns push the customer "
                           f"to decide faster, vs {fmt_pct(t.baseline)} elsewhere in the organisation."),
                statement_fr=(f"Dans {t.n} appels clients de {who_fr}, {fmt_pct(t.value)} des prises de parole du "
                              f"commercial poussent le client à décider plus vite, contre {fmt_pct(t.baseline)} "
                              "ailleurs dans l'organisation."),
                question=("Which targets, deadlines or discount rules make pushing the customer the way to get a deal "
                          "in, and what does it cost in price and trust?"),
                question_fr=("Quels objectifs, échéances ou règles de remise font de la pression sur le client le moyen "
                             "de faire rentrer un deal, et que coûte-t-elle en prix et en confiance ?"),
            )
            params = {"min_calls_rep": p["min_calls_rep"], "min_calls_team": p["min_calls_team"],
                      "min_call_diff": p["min_call_diff"], "alpha": p["alpha"], "followup": follow}
            res.findings.append(tested_finding(
                "pressure_on_customers", t, texts, "rep_pressure_turn_share", "share", ev, params,
                value_at_stake=float(deals["amount"].sum()) if not deals.empty else None))
        for t in unsettled:
            res.observations.append(unsettled_observation("pressure", "pressure_on_customers", t,
                                                          p["min_calls_rep"], f"Rep pressure share in {t.id}'s calls"))


def _deals(ctx: LensContext, deal_ids: list[str]) -> pd.DataFrame:
    if not deal_ids:
        return pd.DataFrame(columns=["deal_id", "amount", "status", "discount_pct"])
    d = ctx.df("SELECT deal_id, amount, status, discount_pct FROM deals")
    return d[d["deal_id"].isin(deal_ids)]


def _outcomes(ctx: LensContext, per: pd.DataFrame) -> pd.DataFrame:
    """Closed deals with calls: win rate and discount with vs without rep pressure."""
    rows = [(d, int(k > 0)) for ids, k in zip(per["deal_ids"], per["pressure"], strict=False)
            for d in split_ids(ids)]
    if not rows:
        return pd.DataFrame()
    dp = pd.DataFrame(rows, columns=["deal_id", "pressured"]).groupby("deal_id")["pressured"].max()
    deals = ctx.df("SELECT deal_id, lower(status) AS status, discount_pct FROM deals")
    deals = deals.merge(dp.reset_index(), on="deal_id")
    closed = deals[deals["status"].isin(["won", "lost"])]
    out = []
    for flag, g in closed.groupby("pressured"):
        won = int((g["status"] == "won").sum())
        lo, hi = wilson(won, len(g))
        out.append({"pressured": bool(flag), "closed_deals": len(g), "won": won, "win_rate": won / len(g),
                    "ci_low": lo, "ci_high": hi, "mean_discount_pct": g["discount_pct"].mean()})
    t = pd.DataFrame(out)
    if len(t) == 2:
        a, b = t[t["pressured"]].iloc[0], t[~t["pressured"]].iloc[0]
        d, lo, hi = newcombe(a["won"], a["closed_deals"], b["won"], b["closed_deals"])
        t["win_rate_diff_pressured_minus_not"] = d
        t["diff_ci_low"] = lo
        t["diff_ci_high"] = hi
    return t


def _per_role(data: ConvData) -> pd.DataFrame:
    t = data.turns
    g = t.groupby(["kind", "role"]).agg(turns=("turn", "size"), pressure=("l_pressure", "sum")).reset_index()
    ci = [wilson(k, n) for k, n in zip(g["pressure"], g["turns"], strict=False)]
    g["pressure_share"] = g["pressure"] / g["turns"]
    g["ci_low"] = [c[0] for c in ci]
    g["ci_high"] = [c[1] for c in ci]
    return g
