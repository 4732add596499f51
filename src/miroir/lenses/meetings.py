"""Meetings lens: how reviews actually run.

Talk share by role (share of words, and of speaking time when transcripts carry
times), inquiry/advocacy (question turns vs other turns), defensive vs exploratory
share, managers' status questions vs inquiry, time per deal in reviews vs deal
value and stage, deals that keep coming back without progress ->
``defensive_reviews``, ``manager_dominance``, ``attention_mismatch``,
``recurring_review_deals`` (the last one belongs to the ``pipeline`` lens of the
report, as ``KIND_LENS`` says).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..models import Observation
from ._conv import (
    BH_SENTENCE,
    PER_DEAL_METHOD,
    REVIEW_KINDS,
    WELCH_METHOD,
    ConvData,
    Texts,
    deal_evidence,
    deal_mentions,
    flagged,
    fmt_pct,
    load_conv,
    load_deals,
    mean_ci,
    resolve_rep_team,
    review_deal_time,
    review_turn_deals,
    select_quotes,
    stage_history,
    test_units,
    tested_finding,
    tested_table,
    unsettled_observation,
)
from .base import Lens, LensContext, LensResult


def talk_shares(turns: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per conversation and ``by`` (role or name): words, share of words, time and
    share of time (time = end_s - start_s, or words when times are missing)."""
    g = turns.groupby(["conversation_id", by], as_index=False).agg(words=("words", "sum"), time=("dur", "sum"),
                                                                   turns=("turn", "size"))
    tot = g.groupby("conversation_id")[["words", "time"]].transform("sum")
    g["word_share"] = g["words"] / tot["words"].where(tot["words"] > 0, np.nan)
    g["time_share"] = g["time"] / tot["time"].where(tot["time"] > 0, np.nan)
    return g


class MeetingsLens(Lens):
    name = "meetings"
    title = "How reviews run"
    kinds = ("defensive_reviews", "manager_dominance", "attention_mismatch", "recurring_review_deals")
    requires = ("utterances", "annotations")
    default_params: ClassVar[dict[str, Any]] = {
        "alpha": 0.05,
        "min_reviews": 8,
        "min_defensive_gap": 0.15,  # materiality: defensive share of (defensive+exploratory) +15 pts
        "min_dominance_gap": 0.10,  # materiality: manager's share of words +10 pts vs other managers
        "dominance_share": 0.5,  # "most of the talking": the manager speaks more than half the words
        "min_mismatch_gap": 0.10,  # materiality: +10 pts of review time misallocated vs deal value
        "recurring_min_reviews": 3,
        "min_deals_rep": 5,
        "min_deals_team": 10,
        "min_recurring_gap": 0.10,
        "team_share": 0.5,
    }

    def run(self, ctx: LensContext) -> LensResult:
        p = self.params(ctx)
        data = load_conv(ctx)
        res = LensResult(params=dict(p), methods=[
            f"Talk share = share of words spoken ({'and of speaking time, ' if data.time_unit == 'seconds' else ''}"
            "per conversation and speaker role or person).",
            "Inquiry/advocacy = question turns / other non-empty turns (descriptive, with a t interval over "
            "meetings; no external threshold).",
            "Defensive share = defensive turns / (defensive + exploratory turns), per review.",
            "Attention mismatch per review = total variation distance between the deals' shares of review time "
            "and their shares of value (0 = time follows value, 1 = opposite).",
            "Deal mentions in reviews: deal name or account, accent- and case-insensitive whole words, plus "
            "conversations.deal_ids; a mention opens a segment that runs until the next mention.",
            f"Comparisons: {WELCH_METHOD}.",
            BH_SENTENCE,
        ])
        res.metrics["talk_share_by_role"] = self._role_table(data)
        rt = data.review_turns()
        if rt.empty:
            res.observations.append(Observation("meetings", None, None, "No reviews in the transcripts.",
                                                reason="no_data"))
            return res
        per = self._per_review(data, rt)
        res.metrics["per_review"] = per
        self._defensive(ctx, rt, per, p, res)
        self._dominance(ctx, rt, per, p, res)
        mentions = deal_mentions(ctx, data)
        td = review_turn_deals(data, mentions)
        time = review_deal_time(data, td)
        deals = load_deals(ctx)
        self._attention(ctx, data, time, deals, per, p, res)
        self._recurring(ctx, data, time, deals, p, res)
        return res

    # ------------------------------------------------------------------ tables
    @staticmethod
    def _role_table(data: ConvData) -> pd.DataFrame:
        ts = talk_shares(data.turns, "role").merge(data.convs[["conversation_id", "kind"]], on="conversation_id")
        out = []
        for (kind, role), g in ts.groupby(["kind", "role"]):
            m, lo, hi = mean_ci(g["word_share"])
            out.append({"kind": kind, "role": role, "meetings": len(g), "mean_word_share": m, "ci_low": lo,
                        "ci_high": hi, "words": int(g["words"].sum()), "time": float(g["time"].sum())})
        return pd.DataFrame(out)

    @staticmethod
    def _per_review(data: ConvData, rt: pd.DataFrame) -> pd.DataFrame:
        mgr = rt["role"] == "manager"
        inquiry = rt["l_clarification"] | rt["l_exploratory"] | rt["l_open_question"]
        t = rt.assign(q=rt["l_question"], adv=~rt["l_question"] & (rt["words"] > 0),
                      mgr_words=rt["words"].where(mgr, 0), mgr_inquiry=mgr & rt["l_question"] & inquiry,
                      mgr_status=mgr & rt["l_question"] & ~inquiry)
        per = t.groupby("conversation_id").agg(
            turns=("turn", "size"), words=("words", "sum"), manager_words=("mgr_words", "sum"),
            questions=("q", "sum"), advocacy=("adv", "sum"), defensive=("l_defensive", "sum"),
            exploratory=("l_exploratory", "sum"), manager_status_q=("mgr_status", "sum"),
            manager_inquiry_q=("mgr_inquiry", "sum"))
        per["manager_word_share"] = per["manager_words"] / per["words"].where(per["words"] > 0, np.nan)
        per["inquiry_advocacy_ratio"] = per["questions"] / per["advocacy"].where(per["advocacy"] > 0, np.nan)
        de = per["defensive"] + per["exploratory"]
        per["defensive_share"] = per["defensive"] / de.where(de > 0, np.nan)
        mq = per["manager_status_q"] + per["manager_inquiry_q"]
        per["manager_status_share"] = per["manager_status_q"] / mq.where(mq > 0, np.nan)
        per = per.reset_index().merge(data.convs[["conversation_id", "kind", "started_at", "chair", "team"]],
                                      on="conversation_id", how="left")
        return per

    # ------------------------------------------------------------------ defensive
    def _defensive(self, ctx: LensContext, rt: pd.DataFrame, per: pd.DataFrame, p: dict[str, Any],
                   res: LensResult) -> None:
        tested, small = test_units(per.dropna(subset=["chair", "defensive_share"]), "defensive_share", "chair",
                                   "manager", p["min_reviews"], direction=1)
        res.metrics["defensive_per_manager"] = tested_table(tested + small, "defensive_share")
        for t in tested:
            if not flagged(t, 1, p["min_defensive_gap"], p["alpha"]):
                if t.diff >= p["min_defensive_gap"]:
                    res.observations.append(unsettled_observation("meetings", "defensive_reviews", t,
                                                                  p["min_reviews"], f"Defensive share in {t.id}'s reviews"))
                continue
            convs = per.loc[per["chair"] == t.id]
            rows = rt[rt["l_defensive"] & rt["conversation_id"].isin(convs["conversation_id"])]
            ev = select_quotes(ctx, rows, ["defensive"], show_names=True)
            iar = float(convs["inquiry_advocacy_ratio"].mean())
            texts = Texts(
                title=f"{t.id}'s reviews defend more than they explore",
                title_fr=f"Les revues de {t.id} défendent plus qu'elles n'explorent",
                statement=(f"In {t.n} reviews chaired by {t.id}, {fmt_pct(t.value)} of the turns that either defend "
                           f"or explore are defensive (justification, blame, deflection), vs {fmt_pct(t.baseline)} "
                           "in the organisation's other reviews."),
                statement_fr=(f"Dans {t.n} revues animées par {t.id}, {fmt_pct(t.value)} des prises de parole qui "
                              "défendent ou explorent sont défensives (justification, reproche, esquive), contre "
                              f"{fmt_pct(t.baseline)} dans les autres revues de l'organisation."),
                question=("What happens in these reviews to someone who says 'I don't know' about a deal, and what "
                          "would make exploring safer than defending?"),
                question_fr=("Qu'arrive-t-il dans ces revues à quelqu'un qui dit « je ne sais pas » sur un deal, et "
                             "qu'est-ce qui rendrait l'exploration plus sûre que la défense ?"),
            )
            res.findings.append(tested_finding(
                "defensive_reviews", t, texts, "defensive_share", "share", ev,
                {"min_reviews": p["min_reviews"], "min_defensive_gap": p["min_defensive_gap"], "alpha": p["alpha"],
                 "inquiry_advocacy_ratio": iar}, level="manager"))

    # ------------------------------------------------------------------ dominance
    def _dominance(self, ctx: LensContext, rt: pd.DataFrame, per: pd.DataFrame, p: dict[str, Any],
                   res: LensResult) -> None:
        d = per.dropna(subset=["chair", "manager_word_share"])
        tested, small = test_units(d, "manager_word_share", "chair", "manager", p["min_reviews"],
                                   direction=1)
        res.metrics["dominance_per_manager"] = tested_table(tested + small, "manager_word_share")
        for t in tested:
            if not (flagged(t, 1, p["min_dominance_gap"], p["alpha"]) and t.value > p["dominance_share"]):
                if t.diff >= p["min_dominance_gap"]:
                    res.observations.append(unsettled_observation("meetings", "manager_dominance", t,
                                                                  p["min_reviews"], f"{t.id}'s share of words"))
                continue
            convs = d.loc[d["chair"] == t.id]
            st = float(convs["manager_status_q"].sum())
            iq = float(convs["manager_inquiry_q"].sum())
            status_share = st / (st + iq) if st + iq > 0 else float("nan")
            rest = d.loc[d["chair"] != t.id]
            rst, riq = float(rest["manager_status_q"].sum()), float(rest["manager_inquiry_q"].sum())
            status_rest = rst / (rst + riq) if rst + riq > 0 else float("nan")
            rows = rt[(rt["role"] == "manager") & rt["conversation_id"].isin(convs["conversation_id"])]
            rows = rows[rows["l_question"] & ~(rows["l_clarification"] | rows["l_exploratory"])]
            if rows.empty:
                rows = rt[(rt["role"] == "manager") & rt["conversation_id"].isin(convs["conversation_id"])]
            ev = select_quotes(ctx, rows, ["question", "pressure"], show_names=True)
            texts = Texts(
                title=f"{t.id} does most of the talking in reviews",
                title_fr=f"{t.id} parle l'essentiel du temps en revue",
                statement=(f"In {t.n} reviews, {t.id} speaks {fmt_pct(t.value)} of the words (other chairs: "
                           f"{fmt_pct(t.baseline)}); {fmt_pct(status_share)} of their questions ask for a status "
                           f"rather than inquire (others: {fmt_pct(status_rest)})."),
                statement_fr=(f"Dans {t.n} revues, {t.id} prononce {fmt_pct(t.value)} des mots (autres animateurs : "
                              f"{fmt_pct(t.baseline)}) ; {fmt_pct(status_share)} de ses questions demandent un statut "
                              f"plutôt qu'elles n'explorent (autres : {fmt_pct(status_rest)})."),
                question=("What is the review for, if the people closest to the customers speak the least in it?"),
                question_fr=("À quoi sert la revue, si ceux qui sont au plus près des clients y parlent le moins ?"),
            )
            res.findings.append(tested_finding(
                "manager_dominance", t, texts, "manager_word_share", "share", ev,
                {"min_reviews": p["min_reviews"], "min_dominance_gap": p["min_dominance_gap"],
                 "dominance_share": p["dominance_share"], "alpha": p["alpha"],
                 "status_question_share": status_share, "status_question_share_rest": status_rest}, level="manager"))

    # ------------------------------------------------------------------ attention
    def _attention(self, ctx: LensContext, data: ConvData, time: pd.DataFrame, deals: pd.DataFrame,
                   per: pd.DataFrame, p: dict[str, Any], res: LensResult) -> None:
        if time.empty:
            res.observations.append(Observation("meetings", "attention_mismatch", None,
                                                "No deal was found mentioned in the reviews (by name, account or "
                                                "deal_ids).", reason="no_data"))
            return
        t = time.merge(deals[["deal_id", "amount", "stage", "stage_ord", "status", "owner", "team"]], on="deal_id",
                       how="left")
        per_deal = t.groupby("deal_id", as_index=False).agg(reviews=("conversation_id", "nunique"),
                                                            review_time=("time", "sum"), amount=("amount", "first"),
                                                            stage=("stage", "first"), status=("status", "first"),
                                                            owner=("owner", "first"), team=("team", "first"))
        res.metrics["time_per_deal"] = per_deal
        m = t[t["time"] > 0].copy()
        m["amount"] = m["amount"].fillna(0.0)
        tot_t = m.groupby("conversation_id")["time"].transform("sum")
        tot_v = m.groupby("conversation_id")["amount"].transform("sum")
        cnt = m.groupby("conversation_id")["deal_id"].transform("size")
        m = m[(cnt >= 2) & (tot_v > 0)]
        if m.empty:
            return
        m["tshare"] = m["time"] / tot_t[m.index]
        m["vshare"] = m["amount"] / tot_v[m.index]
        m["gap"] = (m["tshare"] - m["vshare"]).abs() / 2
        mis = m.groupby("conversation_id", as_index=False)["gap"].sum().rename(columns={"gap": "attention_mismatch"})
        mis = mis.merge(per[["conversation_id", "chair", "team"]], on="conversation_id", how="left")
        res.metrics["attention_per_review"] = mis
        # descriptive: Spearman of review time vs value over deals
        tested, small = test_units(mis.dropna(subset=["chair"]), "attention_mismatch", "chair", "manager",
                                   p["min_reviews"], direction=1)
        res.metrics["attention_per_manager"] = tested_table(tested + small, "attention_mismatch")
        for tt in tested:
            if not flagged(tt, 1, p["min_mismatch_gap"], p["alpha"]):
                if tt.diff >= p["min_mismatch_gap"]:
                    res.observations.append(unsettled_observation("meetings", "attention_mismatch", tt,
                                                                  p["min_reviews"], f"Attention mismatch in {tt.id}'s reviews"))
                continue
            convs = mis.loc[mis["chair"] == tt.id, "conversation_id"]
            mm = m[m["conversation_id"].isin(convs)]
            over = mm[mm["tshare"] > mm["vshare"]].groupby("deal_id", as_index=False).agg(
                over=("tshare", "sum"), amount=("amount", "first"))
            over = over.sort_values("over", ascending=False)
            ev_deals = deal_evidence(over.head(5).assign(amount=over.head(5)["over"]), k=5,
                                     note="deal taking more review time than its share of value")
            rows = data.review_turns()
            rows = rows[rows["conversation_id"].isin(convs)]
            ev = ev_deals + select_quotes(ctx, rows[rows["l_question"] & (rows["role"] == "manager")],
                                          ["question"], k=3, show_names=True)
            small_share = float(mm.loc[mm["tshare"] > mm["vshare"], "tshare"].sum() / max(1, len(convs)))
            texts = Texts(
                title=f"Review time in {tt.id}'s reviews does not follow deal value",
                title_fr=f"Le temps de revue chez {tt.id} ne suit pas la valeur des deals",
                statement=(f"In {tt.n} reviews chaired by {tt.id}, {fmt_pct(tt.value)} of review time would have to "
                           f"move between deals to match their value, vs {fmt_pct(tt.baseline)} in other reviews."),
                statement_fr=(f"Dans {tt.n} revues animées par {tt.id}, {fmt_pct(tt.value)} du temps de revue devrait "
                              f"changer de deal pour suivre leur valeur, contre {fmt_pct(tt.baseline)} dans les autres "
                              "revues."),
                question=("What decides which deals get discussed and for how long, and is it where the value and "
                          "the risk are?"),
                question_fr=("Qu'est-ce qui décide des deals dont on parle et pendant combien de temps, et est-ce là "
                             "que sont la valeur et le risque ?"),
            )
            res.findings.append(tested_finding(
                "attention_mismatch", tt, texts, "attention_mismatch", "share of review time", ev,
                {"min_reviews": p["min_reviews"], "min_mismatch_gap": p["min_mismatch_gap"], "alpha": p["alpha"],
                 "time_unit": data.time_unit, "overweighted_time_share": small_share}, level="manager"))

    # ------------------------------------------------------------------ recurring
    def _recurring(self, ctx: LensContext, data: ConvData, time: pd.DataFrame, deals: pd.DataFrame,
                   p: dict[str, Any], res: LensResult) -> None:
        if time.empty or deals.empty:
            return
        dates = data.convs.set_index("conversation_id")["started_at"]
        t = time.assign(at=pd.to_datetime(time["conversation_id"].map(dates)))
        g = t.groupby("deal_id").agg(reviews=("conversation_id", "nunique"), first=("at", "min"),
                                     last=("at", "max"))
        hist = stage_history(ctx)
        d = deals.set_index("deal_id")
        g = g.join(d[["owner", "team", "amount", "stage", "stage_ord", "status"]], how="inner")
        if not hist.empty:
            h = hist.merge(g[["first", "last"]].reset_index(), on="deal_id")
            h = h[h["changed_at"] <= h["last"]].sort_values(["deal_id", "changed_at"])
            before = h[h["changed_at"] <= h["first"]].groupby("deal_id")["ord"].last()
            within = h[h["changed_at"] > h["first"]]
            prev = within["deal_id"].map(before).fillna(-np.inf)
            progress_rows = (within["ord"].fillna(-np.inf) > prev).groupby(within["deal_id"]).any()
            g["progress"] = progress_rows.reindex(g.index).fillna(False).astype(bool)
        else:
            g["progress"] = False
        g["recurring"] = (g["reviews"] >= p["recurring_min_reviews"]) & ~g["progress"]
        g = g.reset_index().rename(columns={"owner": "rep"})
        res.metrics["recurring_per_deal"] = g
        g = g.assign(recurring_v=g["recurring"].astype(float))
        team_hits, rep_hits, unsettled = resolve_rep_team(
            g, "recurring_v", direction=1, min_effect=p["min_recurring_gap"], alpha=p["alpha"],
            min_n_rep=p["min_deals_rep"], min_n_team=p["min_deals_team"], team_share=p["team_share"])
        rt = data.review_turns()
        for tt in team_hits + rep_hits:
            col = "team" if tt.level == "team" else "rep"
            mine = g[(g[col] == tt.id) & g["recurring"]]
            convs = time[time["deal_id"].isin(mine["deal_id"])]["conversation_id"].unique()
            rows = rt[rt["conversation_id"].isin(convs) & (rt["l_hedge"] | rt["l_assumption"] | rt["l_defensive"])]
            ev = deal_evidence(mine, k=5, note="discussed in several reviews without stage progress")
            ev += select_quotes(ctx, rows, ["hedge", "assumption", "defensive"], k=3, show_names=tt.level == "rep")
            who = tt.id if tt.level == "rep" else f"team {tt.id}"
            who_fr = tt.id if tt.level == "rep" else f"l'équipe {tt.id}"
            texts = Texts(
                title=f"The same deals come back review after review without progressing ({who})",
                title_fr=f"Les mêmes deals reviennent de revue en revue sans avancer ({who_fr})",
                statement=(f"{fmt_pct(tt.value)} of the {tt.n} deals of {who} discussed in reviews came back in "
                           f"{p['recurring_min_reviews']}+ reviews without any stage progress, vs "
                           f"{fmt_pct(tt.baseline)} elsewhere."),
                statement_fr=(f"{fmt_pct(tt.value)} des {tt.n} deals de {who_fr} évoqués en revue sont revenus dans "
                              f"{p['recurring_min_reviews']} revues ou plus sans progression d'étape, contre "
                              f"{fmt_pct(tt.baseline)} ailleurs."),
                question=("What does discussing these deals again produce that a decision to qualify them out or to "
                          "change the approach would not?"),
                question_fr=("Que produit le fait de rediscuter ces deals, qu'une décision de les disqualifier ou de "
                             "changer d'approche ne produirait pas ?"),
            )
            params = {"recurring_min_reviews": p["recurring_min_reviews"], "min_deals_rep": p["min_deals_rep"],
                      "min_deals_team": p["min_deals_team"], "min_recurring_gap": p["min_recurring_gap"],
                      "alpha": p["alpha"], "review_kinds": list(REVIEW_KINDS)}
            open_mine = mine[mine["status"] == "open"]
            res.findings.append(tested_finding(
                "recurring_review_deals", tt, texts, "recurring_without_progress_share", "share", ev, params,
                method=PER_DEAL_METHOD,
                value_at_stake=float((open_mine if not open_mine.empty else mine)["amount"].sum())))
        for tt in unsettled:
            res.observations.append(unsettled_observation("meetings", "recurring_review_deals", tt,
                                                          p["min_deals_rep"], f"Recurring deals of {tt.id}"))
