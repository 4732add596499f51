"""Customers lens: how customers really decide.

- customer voices per deal: distinct customer speakers across its calls; deals with
  several calls that only ever hear one voice -> ``single_threaded_deals``;
- which decision elements were explored with the customer in won vs lost deals
  (difference of proportions with Newcombe intervals, BH over the elements)
  -> ``decision_signal_gap``;
- what customers themselves say about price, competition and process (counts and
  quotes, in the metric tables).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..models import Effect, Metric, Observation
from ._conv import (
    BH_SENTENCE,
    DECISION_ELEMENTS,
    PER_DEAL_METHOD,
    Texts,
    bh,
    deal_evidence,
    fmt_pct,
    load_conv,
    load_deals,
    make_finding,
    newcombe,
    normalise_text,
    resolve_rep_team,
    select_quotes,
    tested_finding,
    two_prop_p,
    unsettled_observation,
)
from .base import Lens, LensContext, LensResult

ELEMENT_FR = {"decision_maker": "le décideur", "decision_process": "le processus de décision",
              "decision_criteria": "les critères de décision", "budget": "le budget", "timeline": "le calendrier",
              "competition": "la concurrence", "pain": "le problème du client"}
ELEMENT_EN = {"decision_maker": "the decision maker", "decision_process": "the decision process",
              "decision_criteria": "the decision criteria", "budget": "the budget", "timeline": "the timeline",
              "competition": "the competition", "pain": "the customer's problem"}


class CustomersLens(Lens):
    name = "customers"
    title = "How customers decide"
    kinds = ("decision_signal_gap", "single_threaded_deals")
    requires = ("utterances", "annotations")
    default_params: ClassVar[dict[str, Any]] = {
        "alpha": 0.05,
        "min_calls_per_deal": 2,  # a deal is judged single-threaded only after this many calls
        "min_deals_rep": 5,
        "min_deals_team": 10,
        "min_single_gap": 0.15,  # materiality: +15 pts of single-threaded deals vs rest
        "min_closed_each": 20,  # won and lost deals with calls needed for the won/lost comparison
        "min_signal_gap": 0.15,  # materiality: 15 pts difference in exploration between won and lost
        "team_share": 0.5,
    }

    def run(self, ctx: LensContext) -> LensResult:
        p = self.params(ctx)
        data = load_conv(ctx)
        res = LensResult(params=dict(p), methods=[
            "Customer voices per deal = distinct customer speaker labels (case- and accent-insensitive) across "
            "the deal's customer calls.",
            "Won vs lost: share of closed deals whose calls explored each decision element (the rep asked about "
            "it: the element's evidence lies inside a question sentence of a rep turn that is not a next-step "
            "proposal, or the customer's turn right after such a question carries it), "
            "difference with Newcombe hybrid score 95% interval, pooled z-test, Benjamini-Hochberg over the "
            "seven elements.",
            "Single-threaded share: Welch t on per-deal 0/1 indicators, scope vs rest of organisation.",
            BH_SENTENCE,
        ])
        ct = data.call_turns()
        calls = data.convs[data.convs["kind"] == "customer_call"][["conversation_id", "deal_list"]]
        calls = calls.explode("deal_list").dropna().rename(columns={"deal_list": "deal_id"})
        deals = load_deals(ctx)
        if ct.empty or calls.empty or deals.empty:
            res.observations.append(Observation("customers", None, None,
                                                "No customer calls linked to deals (conversations.deal_ids).",
                                                reason="no_data"))
            return res
        res.metrics["customer_topics"] = _customer_topics(ct)
        per = self._voices(ctx, ct, calls, deals, p, res)
        self._signals(ctx, ct, calls, deals, p, res)
        res.metrics["voices_per_deal"] = per
        return res

    # ------------------------------------------------------------------ voices
    def _voices(self, ctx: LensContext, ct: pd.DataFrame, calls: pd.DataFrame, deals: pd.DataFrame,
                p: dict[str, Any], res: LensResult) -> pd.DataFrame:
        cust = ct[ct["role"] == "customer"][["conversation_id", "speaker"]].drop_duplicates()
        cust = cust.assign(voice=cust["speaker"].map(lambda s: normalise_text(s) if isinstance(s, str) else ""))
        cust = cust[cust["voice"] != ""]
        v = calls.merge(cust, on="conversation_id", how="left")
        per = v.groupby("deal_id").agg(calls=("conversation_id", "nunique"), voices=("voice", "nunique"))
        per = per.join(deals.set_index("deal_id")[["owner", "team", "amount", "status", "stage"]], how="inner")
        per = per.reset_index().rename(columns={"owner": "rep"})
        per["single_threaded"] = (per["calls"] >= p["min_calls_per_deal"]) & (per["voices"] <= 1)
        elig = per[per["calls"] >= p["min_calls_per_deal"]]
        elig = elig.assign(single_v=elig["single_threaded"].astype(float))
        if elig.empty:
            return per
        team_hits, rep_hits, unsettled = resolve_rep_team(
            elig, "single_v", direction=1, min_effect=p["min_single_gap"], alpha=p["alpha"],
            min_n_rep=p["min_deals_rep"], min_n_team=p["min_deals_team"], team_share=p["team_share"])
        for t in team_hits + rep_hits:
            col = "team" if t.level == "team" else "rep"
            mine = elig[(elig[col] == t.id) & elig["single_threaded"]]
            convs = calls[calls["deal_id"].isin(mine["deal_id"])]["conversation_id"]
            rows = ct[ct["conversation_id"].isin(convs) & (ct["role"] == "customer")
                      & (ct["l_decision_maker"] | ct["l_decision_process"])]
            if rows.empty:
                rows = ct[ct["conversation_id"].isin(convs) & (ct["role"] == "customer")]
            ev = deal_evidence(mine[mine["status"] == "open"] if (mine["status"] == "open").any() else mine, k=5,
                               note="deal whose calls only ever heard one customer voice")
            ev += select_quotes(ctx, rows, ["decision_maker", "decision_process"], k=3)
            who = t.id if t.level == "rep" else f"team {t.id}"
            who_fr = t.id if t.level == "rep" else f"l'équipe {t.id}"
            texts = Texts(
                title=f"Deals that only ever hear one customer voice ({who})",
                title_fr=f"Des deals qui n'entendent jamais qu'une seule voix côté client ({who_fr})",
                statement=(f"{fmt_pct(t.value)} of {who}'s {t.n} deals with {p['min_calls_per_deal']}+ calls heard a "
                           f"single customer speaker across all calls, vs {fmt_pct(t.baseline)} elsewhere."),
                statement_fr=(f"{fmt_pct(t.value)} des {t.n} deals de {who_fr} ayant au moins "
                              f"{p['min_calls_per_deal']} appels n'ont entendu qu'un seul interlocuteur client, "
                              f"contre {fmt_pct(t.baseline)} ailleurs."),
                question=("What in how deals are qualified and reviewed accepts one contact's word as the customer's "
                          "decision?"),
                question_fr=("Qu'est-ce qui, dans la qualification et la revue des deals, fait accepter la parole d'un "
                             "seul contact comme la décision du client ?"),
            )
            params = {"min_calls_per_deal": p["min_calls_per_deal"], "min_deals_rep": p["min_deals_rep"],
                      "min_deals_team": p["min_deals_team"], "min_single_gap": p["min_single_gap"],
                      "alpha": p["alpha"]}
            stake = mine[mine["status"] == "open"]
            res.findings.append(tested_finding(
                "single_threaded_deals", t, texts, "single_threaded_share", "share", ev, params,
                method=PER_DEAL_METHOD, value_at_stake=float((stake if not stake.empty else mine)["amount"].sum())))
        for t in unsettled:
            res.observations.append(unsettled_observation("customers", "single_threaded_deals", t,
                                                          p["min_deals_rep"], f"Single-threaded share of {t.id}"))
        return per

    # ------------------------------------------------------------------ won vs lost
    def _signals(self, ctx: LensContext, ct: pd.DataFrame, calls: pd.DataFrame, deals: pd.DataFrame,
                 p: dict[str, Any], res: LensResult) -> None:
        lab = [f"l_{e}" for e in DECISION_ELEMENTS]
        # explored *with the customer*: the rep asked about the element, i.e. the element's evidence lies
        # inside a question the rep asked that is not a next-step proposal ("shall we book a demo with
        # procurement?"). An element merely mentioned in a pitch, an answer or a proposal does not count.
        asked = _asked_elements(ctx, ct)
        ex = (calls.merge(asked, on="conversation_id", how="left").fillna(False).groupby("deal_id")[lab].any()
              if not asked.empty else pd.DataFrame(columns=lab, dtype=bool))
        d = deals.set_index("deal_id")[["status", "amount", "team", "owner"]].join(ex, how="inner")
        closed = d[d["status"].isin(["won", "lost"])]
        won, lost = closed[closed["status"] == "won"], closed[closed["status"] == "lost"]
        rows = []
        for e in DECISION_ELEMENTS:
            kw, kl = int(won[f"l_{e}"].sum()), int(lost[f"l_{e}"].sum())
            diff, lo, hi = newcombe(kw, len(won), kl, len(lost)) if len(won) and len(lost) else (np.nan,) * 3
            rows.append({"element": e, "won_deals": len(won), "won_explored": kw,
                         "won_share": kw / len(won) if len(won) else np.nan, "lost_deals": len(lost),
                         "lost_explored": kl, "lost_share": kl / len(lost) if len(lost) else np.nan,
                         "diff": diff, "ci_low": lo, "ci_high": hi,
                         "p": two_prop_p(kw, len(won), kl, len(lost))})
        tab = pd.DataFrame(rows)
        tab["q_bh"] = bh(tab["p"].to_numpy())
        res.metrics["elements_won_vs_lost"] = tab
        if len(won) < p["min_closed_each"] or len(lost) < p["min_closed_each"]:
            res.observations.append(Observation(
                "customers", "decision_signal_gap", None,
                f"Won vs lost comparison not settled: {len(won)} won and {len(lost)} lost deals with calls; at "
                f"least {p['min_closed_each']} of each are needed.", reason="below_min_n", n=len(closed)))
            return
        hits = tab[(tab["q_bh"] < p["alpha"]) & ((tab["ci_low"] > 0) | (tab["ci_high"] < 0))
                   & (tab["diff"].abs() >= p["min_signal_gap"])]
        for r in tab.itertuples(index=False):
            if r.element in set(hits["element"]) or abs(r.diff) < p["min_signal_gap"]:
                continue
            res.observations.append(Observation(
                "customers", "decision_signal_gap", None,
                f"Exploring {ELEMENT_EN[r.element]}: {fmt_pct(r.won_share)} of won vs {fmt_pct(r.lost_share)} of lost "
                f"deals (difference {r.diff:+.2f}, 95% CI {r.ci_low:+.2f} to {r.ci_high:+.2f}); not settled.",
                reason="not_significant", n=len(closed)))
        if hits.empty:
            return
        top = hits.reindex(hits["diff"].abs().sort_values(ascending=False).index).iloc[0]
        e = str(top["element"])
        conv_ids = calls[calls["deal_id"].isin(won[won[f"l_{e}"]].index)]["conversation_id"]
        q_rows = ct[ct["conversation_id"].isin(conv_ids) & ct[f"l_{e}"]]
        ev = select_quotes(ctx, q_rows, [e], k=4)
        lost_without = lost[~lost[f"l_{e}"]].reset_index().rename(columns={"index": "deal_id"})
        ev += deal_evidence(lost_without, k=3, note=f"lost deal whose calls never explored {e}")
        listed = ", ".join(ELEMENT_EN[x] for x in hits["element"])
        listed_fr = ", ".join(ELEMENT_FR[x] for x in hits["element"])
        texts = Texts(
            title="Won and lost deals differ in what was explored with the customer",
            title_fr="Les deals gagnés et perdus diffèrent par ce qui a été exploré avec le client",
            statement=(f"Calls of won deals explored {ELEMENT_EN[e]} in {fmt_pct(top['won_share'])} of cases vs "
                       f"{fmt_pct(top['lost_share'])} for lost deals ({int(top['won_deals'])} won, "
                       f"{int(top['lost_deals'])} lost). Elements that differ: {listed}."),
            statement_fr=(f"Les appels des deals gagnés ont exploré {ELEMENT_FR[e]} dans {fmt_pct(top['won_share'])} "
                          f"des cas contre {fmt_pct(top['lost_share'])} pour les deals perdus "
                          f"({int(top['won_deals'])} gagnés, {int(top['lost_deals'])} perdus). Éléments qui "
                          f"diffèrent : {listed_fr}."),
            question=("If exploring this with customers goes with winning, what in the sales process makes it "
                      "optional?"),
            question_fr=("Si explorer cela avec les clients va de pair avec les deals gagnés, qu'est-ce qui, dans le "
                         "processus de vente, le rend facultatif ?"),
        )
        res.findings.append(make_finding(
            "decision_signal_gap", "org", "org", texts,
            Metric(f"explored_{e}_won_minus_lost", float(top["diff"]), float(top["lost_share"]), "share"),
            Effect(float(top["diff"]), float(top["ci_low"]), float(top["ci_high"]), "Newcombe hybrid score"),
            len(closed), round(1 - float(top["q_bh"]), 4), ev,
            {"min_closed_each": p["min_closed_each"], "min_signal_gap": p["min_signal_gap"], "alpha": p["alpha"],
             "elements": list(hits["element"]), "q_value": float(top["q_bh"])},
            value_at_stake=float(lost_without["amount"].sum())))


def _asked_elements(ctx: LensContext, ct: pd.DataFrame) -> pd.DataFrame:
    """Per customer call, which decision elements a rep asked about (one row per call, bool ``l_<e>``).

    From the engine's evidence spans: an element counts when one of its spans lies inside a ``question``
    span of a rep turn, and that question is not a next-step proposal (its span holds no ``next_step``
    evidence); or when the customer's turn right after a rep question turn (not a next-step one) carries
    the element."""
    lab = [f"l_{e}" for e in DECISION_ELEMENTS]
    cand = ct[(ct["role"] == "rep") & ct["l_question"] & ct[lab].any(axis=1)][["conversation_id", "turn"]]
    rows: list[tuple[Any, ...]] = []
    if not cand.empty:
        ctx.con.register("_asked_cands", cand)
        try:
            rows = ctx.con.execute("""SELECT a.conversation_id, a.turn, a.spans FROM _asked_cands c
                                      JOIN annotations a ON a.conversation_id = c.conversation_id AND a.turn = c.turn
                                   """).fetchall()
        finally:
            ctx.con.unregister("_asked_cands")
    out: dict[str, set[str]] = {}
    for cid, _turn, raw in rows:
        spans = _spans(raw)
        questions = [q for q in spans.get("question", [])
                     if not any(_inside(n, q) for n in spans.get("next_step", []))]
        for e in DECISION_ELEMENTS:
            if any(_inside(s, q) for s in spans.get(e, []) for q in questions):
                out.setdefault(str(cid), set()).add(e)
    # ... or the customer's answer to a rep question carries it: the turn right after a rep question turn
    # that is not a next-step proposal, spoken by the customer (an element asked about in words the
    # engine does not tie to the element is still explored when the customer answers about it)
    t = ct.sort_values(["conversation_id", "turn"])
    prev_q = (t["role"].shift() == "rep") & t["l_question"].shift(fill_value=False).astype(bool)
    if "l_next_step" in t:
        prev_q &= ~t["l_next_step"].shift(fill_value=False).astype(bool)
    same = t["conversation_id"] == t["conversation_id"].shift()
    answers = t[prev_q & same & (t["role"] == "customer")]
    for r in answers[["conversation_id", *lab]].itertuples(index=False):
        for e, hit in zip(DECISION_ELEMENTS, r[1:], strict=True):
            if hit:
                out.setdefault(str(r[0]), set()).add(e)
    return pd.DataFrame([{"conversation_id": cid, **{f"l_{e}": e in els for e in DECISION_ELEMENTS}}
                         for cid, els in out.items()], columns=["conversation_id", *lab])


def _spans(raw: object) -> dict[str, list[tuple[int, int]]]:
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        doc = json.loads(raw)
    except ValueError:
        return {}
    out: dict[str, list[tuple[int, int]]] = {}
    for k, v in (doc.items() if isinstance(doc, dict) else ()):
        for se in v or ():
            try:
                out.setdefault(str(k), []).append((int(se[0]), int(se[1])))
            except (TypeError, ValueError, IndexError):
                continue
    return out


def _inside(span: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= span[0] and span[1] <= outer[1]


def _customer_topics(ct: pd.DataFrame) -> pd.DataFrame:
    """What customers themselves say about price, competition and process."""
    c = ct[ct["role"] == "customer"]
    rows = []
    for e in ("budget", "competition", "decision_process", "decision_criteria", "timeline"):
        k = int(c[f"l_{e}"].sum())
        rows.append({"topic": e, "customer_turns": k, "calls": int(c.loc[c[f"l_{e}"], "conversation_id"].nunique()),
                     "share_of_customer_turns": k / len(c) if len(c) else np.nan})
    return pd.DataFrame(rows)
