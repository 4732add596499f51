"""Assumptions lens: when assumptions replace clarification.

- reviews: claims about customers that are unsourced (``assumption``) vs sourced
  (a rep turn about the customer's decision without ``assumption``), and how often
  they are met with ``clarification``: clarification ratio = clarifications /
  (clarifications + unverified claims), per review -> ``unverified_claims_in_reviews``;
- deals: decision elements explored *with the customer* in its calls vs only
  asserted internally; advanced or committed deals whose decision maker or process
  never came up with the customer -> ``clarification_debt``;
- customer calls: discovery depth (questions, open questions, rep talk share,
  longest rep monologue, customer's longest stretch) -> ``low_discovery``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..models import Observation
from ._conv import (
    BH_SENTENCE,
    DECISION_ELEMENTS,
    WELCH_METHOD,
    ConvData,
    Texts,
    deal_evidence,
    deal_mentions,
    flagged,
    fmt_pct,
    load_conv,
    load_deals,
    open_stage_ordinals,
    resolve_rep_team,
    review_turn_deals,
    select_quotes,
    stage_history,
    test_units,
    tested_finding,
    tested_table,
    unsettled_observation,
)
from .base import Lens, LensContext, LensResult

DEBT_METHOD = "Welch t on per-deal 0/1 debt indicators, scope vs rest of organisation"


class AssumptionsLens(Lens):
    name = "assumptions"
    title = "Assumptions and clarification"
    kinds = ("unverified_claims_in_reviews", "clarification_debt", "low_discovery")
    requires = ("utterances", "annotations")
    default_params: ClassVar[dict[str, Any]] = {
        "alpha": 0.05,
        "min_reviews": 8,
        "min_clarification_gap": 0.15,  # materiality: clarification ratio 15 pts below the rest
        "advanced_stage_ordinal": None,  # None: the upper half of the open stages
        "debt_elements": ["decision_maker", "decision_process"],
        "min_deals_rep": 5,
        "min_deals_team": 10,
        "min_debt_gap": 0.15,  # materiality: +15 pts of advanced deals in debt vs rest
        "min_calls_rep": 6,
        "min_calls_team": 15,
        # materiality: the rep asks at least 40% fewer questions per customer call than the organisation's
        # mean (a count, not a share of the rep's turns: deadlines and pitches added to a call do not dilute it)
        "min_question_drop": 0.4,
        "team_share": 0.5,
    }

    def run(self, ctx: LensContext) -> LensResult:
        p = self.params(ctx)
        data = load_conv(ctx)
        res = LensResult(params=dict(p), methods=[
            "Clarification ratio per review = clarification turns / (clarification turns + rep turns "
            "labelled `assumption`); compared across chairing managers.",
            "Clarification debt: a deal that reached an advanced stage (or a commit call) with at least one "
            "linked customer call, where the decision maker or the decision process never came up in those "
            "calls (any speaker).",
            "Discovery depth per customer call: questions the rep asks (compared across reps and teams), share "
            "of the rep's turns (other than pressure turns) that are questions, open questions, "
            "rep share of words, longest rep run of consecutive turns, customer's longest run.",
            f"Comparisons: {WELCH_METHOD}.",
            BH_SENTENCE,
        ])
        self._claims(ctx, data, p, res)
        self._debt(ctx, data, p, res)
        self._discovery(ctx, data, p, res)
        return res

    # ------------------------------------------------------------------ reviews
    def _claims(self, ctx: LensContext, data: ConvData, p: dict[str, Any], res: LensResult) -> None:
        rt = data.review_turns()
        if rt.empty:
            res.observations.append(Observation("assumptions", "unverified_claims_in_reviews", None,
                                                "No reviews in the transcripts.", reason="no_data"))
            return
        dec = rt[[f"l_{e}" for e in DECISION_ELEMENTS]].any(axis=1)
        rep = rt["role"] == "rep"
        # a claim about the customer's decision: a rep turn carrying a decision element; unverified when
        # it is also an `assumption` (rep turns about other things, e.g. scheduling, are not claims)
        t = rt.assign(unverified=rep & dec & rt["l_assumption"], sourced=rep & dec & ~rt["l_assumption"],
                      clar=rt["l_clarification"])
        per = t.groupby("conversation_id").agg(unverified=("unverified", "sum"), sourced=("sourced", "sum"),
                                                clarifications=("clar", "sum"), turns=("turn", "size"))
        per = per.reset_index().merge(data.convs[["conversation_id", "chair", "team", "started_at"]],
                                      on="conversation_id", how="left")
        den = per["clarifications"] + per["unverified"]
        per["clarification_ratio"] = np.where(den > 0, per["clarifications"] / den.where(den > 0, 1), np.nan)
        cl = per["unverified"] + per["sourced"]
        per["unverified_share"] = np.where(cl > 0, per["unverified"] / cl.where(cl > 0, 1), np.nan)
        res.metrics["review_claims"] = per
        # the claims are the team's (its reps speak them) and the questioning is its manager's: scope is
        # the team whose reviews they are, or the chairing manager when reviews carry no team
        level = "team" if per["team"].notna().all() else "manager"
        col = "team" if level == "team" else "chair"
        tested, small = test_units(per.dropna(subset=[col, "clarification_ratio"]), "clarification_ratio",
                                   col, level, p["min_reviews"], direction=-1)
        res.metrics["clarification_per_manager"] = tested_table(tested + small, "clarification_ratio")
        for tt in tested:
            if flagged(tt, -1, p["min_clarification_gap"], p["alpha"]):
                convs = per.loc[per[col] == tt.id]
                chairs = sorted(convs["chair"].dropna().unique().tolist())
                rows = t[t["unverified"] & t["conversation_id"].isin(convs["conversation_id"])]
                ev = select_quotes(ctx, rows, ["assumption"], show_names=level == "manager")
                who = f"team {tt.id}" if level == "team" else tt.id
                who_fr = f"l'équipe {tt.id}" if level == "team" else tt.id
                unv = float(convs["unverified_share"].mean())
                texts = Texts(
                    title=f"Unsourced claims about customers go unquestioned in the reviews of {who}",
                    title_fr=f"Les affirmations non sourcées sur les clients passent sans question dans les revues "
                             f"de {who_fr}",
                    statement=(f"In {tt.n} reviews of {who}, only {fmt_pct(tt.value)} of unsourced claims "
                               f"and clarifications are clarifications (vs {fmt_pct(tt.baseline)} elsewhere); "
                               f"{fmt_pct(unv)} of the reps' claims about customers name no source."),
                    statement_fr=(f"Dans {tt.n} revues de {who_fr}, seules {fmt_pct(tt.value)} des "
                                  f"affirmations non sourcées et clarifications sont des clarifications (contre "
                                  f"{fmt_pct(tt.baseline)} ailleurs) ; {fmt_pct(unv)} des affirmations des "
                                  "commerciaux sur les clients ne citent aucune source."),
                    question=("What makes it easier in these reviews to state what a customer will do than to ask "
                              "how we know it?"),
                    question_fr=("Qu'est-ce qui rend plus facile, dans ces revues, d'affirmer ce que le client va faire "
                                 "que de demander comment on le sait ?"),
                )
                res.findings.append(tested_finding(
                    "unverified_claims_in_reviews", tt, texts, "clarification_ratio", "ratio", ev,
                    {"min_reviews": p["min_reviews"], "min_clarification_gap": p["min_clarification_gap"],
                     "alpha": p["alpha"], "unverified_share": unv, "chairs": chairs}, level=level))
            elif tt.diff <= -p["min_clarification_gap"]:
                res.observations.append(unsettled_observation(
                    "assumptions", "unverified_claims_in_reviews", tt, p["min_reviews"],
                    f"Clarification ratio in {tt.id}'s reviews"))

    # ------------------------------------------------------------------ deals
    def _debt(self, ctx: LensContext, data: ConvData, p: dict[str, Any], res: LensResult) -> None:
        deals = load_deals(ctx)
        calls = data.convs[data.convs["kind"] == "customer_call"][["conversation_id", "deal_list"]]
        calls = calls.explode("deal_list").dropna().rename(columns={"deal_list": "deal_id"})
        if deals.empty or calls.empty:
            res.observations.append(Observation("assumptions", "clarification_debt", None,
                                                "No customer calls linked to deals (conversations.deal_ids).",
                                                reason="no_data"))
            return
        ct = data.call_turns()
        lab = [f"l_{e}" for e in DECISION_ELEMENTS]
        conv_el = ct.groupby("conversation_id")[lab].any()
        with_calls = calls.merge(conv_el.reset_index(), on="conversation_id", how="left").fillna(False)
        explored = with_calls.groupby("deal_id")[lab].any()
        n_calls = calls.groupby("deal_id").size().rename("calls")
        # asserted internally: review turns about the deal carrying the element
        mentions = deal_mentions(ctx, data)
        td = review_turn_deals(data, mentions)
        if not td.empty:
            rv = td.merge(data.review_turns()[["conversation_id", "turn", *lab]], on=["conversation_id", "turn"])
            internal = rv.groupby("deal_id")[lab].any()
        else:
            internal = pd.DataFrame(columns=lab)
        adv_ord = p["advanced_stage_ordinal"]
        opens = open_stage_ordinals(ctx)
        if adv_ord is None and opens:
            adv_ord = opens[len(opens) // 2]
        hist = stage_history(ctx)
        max_ord = hist.groupby("deal_id")["ord"].max() if not hist.empty else pd.Series(dtype=float)
        d = deals.set_index("deal_id")
        reached = pd.concat([d["stage_ord"], max_ord.reindex(d.index)], axis=1).max(axis=1)
        advanced = (d["forecast_category"] == "commit") | (d["status"] == "won")
        if adv_ord is not None:
            advanced = advanced | (reached >= adv_ord)
        per = d[["owner", "team", "amount", "stage", "status", "forecast_category"]].copy()
        per["advanced"] = advanced
        per = per.join(n_calls, how="inner")
        ex = explored.reindex(per.index).fillna(False).astype(bool)
        it = internal.reindex(per.index).fillna(False).astype(bool)
        for e in DECISION_ELEMENTS:
            per[f"with_customer_{e}"] = ex[f"l_{e}"]
            per[f"internal_only_{e}"] = it[f"l_{e}"] & ~ex[f"l_{e}"]
        need = [f"with_customer_{e}" for e in p["debt_elements"]]
        per["debt"] = per["advanced"] & ~per[need].all(axis=1)
        per["elements_with_customer"] = ex.sum(axis=1)
        per = per.reset_index().rename(columns={"index": "deal_id"})
        res.metrics["clarification_debt_per_deal"] = per
        adv = per[per["advanced"]].rename(columns={"owner": "rep"})
        adv = adv.assign(debt_v=adv["debt"].astype(float))
        if adv.empty:
            return
        team_hits, rep_hits, unsettled = resolve_rep_team(
            adv, "debt_v", direction=1, min_effect=p["min_debt_gap"], alpha=p["alpha"],
            min_n_rep=p["min_deals_rep"], min_n_team=p["min_deals_team"], team_share=p["team_share"])
        for t in team_hits + rep_hits:
            col = "team" if t.level == "team" else "rep"
            mine = adv[(adv[col] == t.id) & adv["debt"]]
            rows = td[td["deal_id"].isin(mine["deal_id"])] if not td.empty else td
            rows = rows.merge(data.review_turns()[["conversation_id", "turn", "l_assumption", "l_decision_maker",
                                                   "l_decision_process"]], on=["conversation_id", "turn"])
            rows = rows[rows["l_assumption"] | rows["l_decision_maker"] | rows["l_decision_process"]]
            ev = select_quotes(ctx, rows, ["assumption", "decision_maker", "decision_process"],
                               show_names=t.level == "rep")
            open_mine = mine[mine["status"] == "open"]
            ev += deal_evidence(open_mine if not open_mine.empty else mine, k=5,
                                note="advanced deal: decision maker or process never discussed with the customer")
            who = t.id if t.level == "rep" else f"team {t.id}"
            who_fr = t.id if t.level == "rep" else f"l'équipe {t.id}"
            texts = Texts(
                title=f"Advanced deals whose decision maker or process was never discussed with the customer ({who})",
                title_fr=f"Des deals avancés dont le décideur ou le processus n'ont jamais été abordés avec le client "
                         f"({who_fr})",
                statement=(f"{fmt_pct(t.value)} of {who}'s {t.n} advanced deals with recorded calls never discussed "
                           f"the decision maker or the decision process with the customer, vs {fmt_pct(t.baseline)} "
                           "elsewhere."),
                statement_fr=(f"{fmt_pct(t.value)} des {t.n} deals avancés de {who_fr} avec appels enregistrés n'ont "
                              "jamais abordé le décideur ou le processus de décision avec le client, contre "
                              f"{fmt_pct(t.baseline)} ailleurs."),
                question=("What lets a deal advance through the stages without anyone asking the customer who decides "
                          "and how?"),
                question_fr=("Qu'est-ce qui permet à un deal d'avancer dans les étapes sans que personne ne demande au "
                             "client qui décide et comment ?"),
            )
            params = {"debt_elements": p["debt_elements"], "advanced_stage_ordinal": adv_ord,
                      "min_deals_rep": p["min_deals_rep"], "min_deals_team": p["min_deals_team"],
                      "min_debt_gap": p["min_debt_gap"], "alpha": p["alpha"]}
            stake = open_mine if not open_mine.empty else mine
            res.findings.append(tested_finding(
                "clarification_debt", t, texts, "advanced_deals_in_debt_share", "share", ev, params,
                method=DEBT_METHOD, value_at_stake=float(stake["amount"].sum())))
        for t in unsettled:
            res.observations.append(unsettled_observation("assumptions", "clarification_debt", t,
                                                          p["min_deals_rep"], f"Clarification debt of {t.id}"))

    # ------------------------------------------------------------------ discovery
    def _discovery(self, ctx: LensContext, data: ConvData, p: dict[str, Any], res: LensResult) -> None:
        ct = data.call_turns()
        if ct.empty:
            res.observations.append(Observation("assumptions", "low_discovery", None,
                                                "No customer calls in the transcripts.", reason="no_data"))
            return
        per = discovery_per_call(ct)
        per = per.merge(data.convs[["conversation_id", "rep", "team"]], on="conversation_id", how="left")
        res.metrics["discovery_per_call"] = per
        per = per.assign(questions=per["questions"].astype(float))
        min_drop = float(p["min_question_drop"]) * float(per["questions"].mean())
        team_hits, rep_hits, unsettled = resolve_rep_team(
            per, "questions", direction=-1, min_effect=min_drop, alpha=p["alpha"],
            min_n_rep=p["min_calls_rep"], min_n_team=p["min_calls_team"], team_share=p["team_share"])
        for t in team_hits + rep_hits:
            col = "team" if t.level == "team" else "rep"
            mine = per[per[col] == t.id]
            rest = per[per[col] != t.id]
            talk, talk_rest = float(mine["rep_talk_share"].mean()), float(rest["rep_talk_share"].mean())
            oq, oq_rest = float(mine["open_questions"].mean()), float(rest["open_questions"].mean())
            qs, qs_rest = float(mine["rep_question_share"].mean()), float(rest["rep_question_share"].mean())
            # the rep's long stretches in those calls: the longest rep turns are the evidence
            rows = ct[(ct["role"] == "rep") & ct["conversation_id"].isin(mine["conversation_id"])]
            rows = rows.sort_values("words", ascending=False).groupby("conversation_id").head(1)
            ev = select_quotes(ctx, rows, ["pain", "budget", "next_step"], show_names=t.level == "rep",
                               max_words=120)
            who = t.id if t.level == "rep" else f"team {t.id}"
            who_fr = t.id if t.level == "rep" else f"l'équipe {t.id}"
            texts = Texts(
                title=f"Customer calls with little discovery ({who})",
                title_fr=f"Des appels clients avec peu de découverte ({who_fr})",
                statement=(f"In {t.n} customer calls of {who}, the rep asks {t.value:.1f} questions per call (vs "
                           f"{t.baseline:.1f} elsewhere); {fmt_pct(qs)} of the rep's turns are questions (vs "
                           f"{fmt_pct(qs_rest)}), {oq:.1f} open questions per call (vs "
                           f"{oq_rest:.1f}), and the rep speaks {fmt_pct(talk)} of the words (vs {fmt_pct(talk_rest)})."),
                statement_fr=(f"Dans {t.n} appels clients de {who_fr}, le commercial pose {t.value:.1f} questions "
                              f"par appel (contre {t.baseline:.1f} ailleurs) ; {fmt_pct(qs)} de ses prises de parole "
                              f"sont des questions (contre {fmt_pct(qs_rest)}), {oq:.1f} "
                              f"questions ouvertes par appel (contre {oq_rest:.1f}), et le commercial prononce "
                              f"{fmt_pct(talk)} des mots (contre {fmt_pct(talk_rest)})."),
                question=("What in how calls are prepared, coached and judged rewards presenting over finding out how "
                          "the customer decides?"),
                question_fr=("Qu'est-ce qui, dans la préparation, l'accompagnement et l'évaluation des appels, "
                             "récompense le fait de présenter plutôt que de comprendre comment le client décide ?"),
            )
            params = {"min_calls_rep": p["min_calls_rep"], "min_calls_team": p["min_calls_team"],
                      "min_question_drop": p["min_question_drop"], "min_question_drop_abs": min_drop,
                      "alpha": p["alpha"], "rep_question_share": qs, "rep_question_share_rest": qs_rest,
                      "rep_talk_share": talk, "rep_talk_share_rest": talk_rest,
                      "open_questions_per_call": oq, "open_questions_per_call_rest": oq_rest}
            res.findings.append(tested_finding("low_discovery", t, texts, "questions_per_call", "count", ev, params))
        for t in unsettled:
            res.observations.append(unsettled_observation("assumptions", "low_discovery", t, p["min_calls_rep"],
                                                          f"Questions per customer call asked by {t.id}"))


def discovery_per_call(ct: pd.DataFrame) -> pd.DataFrame:
    """Discovery depth of each customer call: questions and open questions by the rep,
    rep share of words, longest run of consecutive rep turns (words) and the
    customer's longest uninterrupted run (words)."""
    t = ct.sort_values(["conversation_id", "turn"])
    rep = t["role"] == "rep"
    cust = t["role"] == "customer"
    # runs of consecutive turns by the same role
    new_run = (t["role"] != t.groupby("conversation_id")["role"].shift()) | (
        t["conversation_id"] != t["conversation_id"].shift())
    run_id = new_run.cumsum()
    runs = t.assign(run=run_id).groupby(["conversation_id", "run", "role"], as_index=False)["words"].sum()
    longest = runs.pivot_table(index="conversation_id", columns="role", values="words", aggfunc="max")
    # pressure turns (deadlines, expiring offers) are another behaviour, measured by the pressure lens: they
    # leave the denominator of the question share, so pushing a customer does not read as less discovery
    pushed = t.get("l_pressure", False) & ~t["l_question"]
    g = t.assign(rep_q=rep & t["l_question"], rep_oq=rep & t["l_open_question"], rep_turn=rep & ~pushed,
                 rep_words=t["words"].where(rep, 0), cust_words=t["words"].where(cust, 0))
    per = g.groupby("conversation_id").agg(rep_turns=("rep_turn", "sum"), questions=("rep_q", "sum"),
                                           open_questions=("rep_oq", "sum"), rep_words=("rep_words", "sum"),
                                           customer_words=("cust_words", "sum"), words=("words", "sum"))
    per["rep_question_share"] = np.where(per["rep_turns"] > 0, per["questions"] / per["rep_turns"].clip(lower=1),
                                         np.nan)
    per["rep_talk_share"] = per["rep_words"] / per["words"].where(per["words"] > 0, np.nan)
    per["longest_rep_run_words"] = longest.get("rep", pd.Series(dtype=float)).reindex(per.index).fillna(0)
    per["longest_customer_run_words"] = longest.get("customer", pd.Series(dtype=float)).reindex(per.index).fillna(0)
    return per.reset_index()
