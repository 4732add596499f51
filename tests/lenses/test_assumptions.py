"""Assumptions lens: clarification ratio in reviews, clarification debt, discovery depth."""

from __future__ import annotations

import convkit as h
import pytest

from miroir.lenses.assumptions import AssumptionsLens, discovery_per_call


def test_hand_counts_en() -> None:
    org = h.Org(people=[("Claire", "manager", "Sud", None), ("Hugo", "rep", "Sud", "Claire")],
                deals=[{"deal_id": "D1", "name": "Acme renewal", "account": "Acme", "owner": "Hugo", "team": "Sud",
                        "stage": "Negotiation", "forecast_category": "commit", "amount": 50000.0}])
    review = h.Conv("R1", "forecast_call", h.D0, [
        h.Turn("Claire", "manager", "Where are we on Acme?", ("question",)),
        h.Turn("Hugo", "rep", "They will sign before the end of the month.", ("assumption", "timeline")),
        h.Turn("Claire", "manager", "How do you know they have the budget?", ("question", "clarification")),
        h.Turn("Hugo", "rep", "The CFO told me on the call that the budget is approved.", ("budget",)),
        h.Turn("Hugo", "rep", "The CEO is convinced.", ("assumption", "decision_maker")),
    ])
    call = h.Conv("C1", "customer_call", h.D0, [
        h.Turn("Hugo", "rep", "Let me show you the product, it is great and it does everything you want, "
               "reporting, dashboards, exports.", ()),
        h.Turn("Ann", "customer", "Ok.", ()),
        h.Turn("Hugo", "rep", "What would make this a priority?", ("question", "open_question", "pain")),
        h.Turn("Ann", "customer", "We lose two days a month on reporting.", ("pain",)),
        h.Turn("Hugo", "rep", "Is the budget approved?", ("question", "budget")),
        h.Turn("Hugo", "rep", "And timing?", ("question", "timeline")),
    ], deal_ids="D1")
    con = h.build_store(org, [review, call])
    res = AssumptionsLens().run(h.ctx_of(con))
    rc = res.metrics["review_claims"].set_index("conversation_id").loc["R1"]
    assert (rc["unverified"], rc["sourced"], rc["clarifications"]) == (2, 1, 1)
    assert rc["clarification_ratio"] == pytest.approx(1 / 3)
    assert rc["unverified_share"] == pytest.approx(2 / 3)
    disc = res.metrics["discovery_per_call"].set_index("conversation_id").loc["C1"]
    assert (disc["rep_turns"], disc["questions"], disc["open_questions"]) == (4, 3, 1)
    assert disc["rep_question_share"] == pytest.approx(0.75)
    # words: rep 18 + 6 + 4 + 2 = 30, customer 1 + 8 = 9
    assert disc["rep_talk_share"] == pytest.approx(30 / 39)
    assert disc["longest_rep_run_words"] == 18  # turn 0 (turns 4-5 make a run of 4 + 2)
    assert disc["longest_customer_run_words"] == 8
    debt = res.metrics["clarification_debt_per_deal"].set_index("deal_id").loc["D1"]
    # the decision maker and process never came up *with the customer*; the CEO claim is internal only
    assert bool(debt["advanced"]) and bool(debt["debt"])
    assert bool(debt["internal_only_decision_maker"]) and not bool(debt["with_customer_decision_maker"])
    assert bool(debt["with_customer_pain"]) and int(debt["elements_with_customer"]) == 3
    assert res.findings == []


def test_discovery_runs_frame() -> None:
    import pandas as pd

    ct = pd.DataFrame({"conversation_id": ["a"] * 5, "turn": range(5),
                       "role": ["rep", "rep", "customer", "customer", "rep"], "words": [3, 4, 10, 1, 2],
                       "l_question": [True, False, False, False, True],
                       "l_open_question": [False] * 5})
    d = discovery_per_call(ct).iloc[0]
    assert d["longest_rep_run_words"] == 7 and d["longest_customer_run_words"] == 11
    assert d["rep_question_share"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_unverified_claims_found_at_team(lang: str) -> None:
    reps = {r: {"assumption": 0.7} for r in h.TEAMS["Sud"][1]}
    org, convs = h.synth(11, lang, manager={"Simon": {"clarification": 0.0}}, rep_in_review=reps)
    con = h.build_store(org, convs)
    found, _ = h.findings_of(AssumptionsLens(), con, "unverified_claims_in_reviews")
    assert [(f.scope.level, f.scope.id) for f in found] == [("team", "Sud")]
    f = found[0]
    assert f.effect.ci_high < 0 and f.params["chairs"] == ["Simon"]
    assert all(e.speaker is None for e in f.evidence)  # team scope: no names
    assert 3 <= len(f.evidence) <= 5


def test_clarification_debt_found_at_team() -> None:
    cust = {r: {"decision_maker": 0.0, "decision_process": 0.0} for r in h.TEAMS["Est"][1]}
    org, convs = h.synth(12, "fr", customer=cust)
    con = h.build_store(org, convs)
    found, res = h.findings_of(AssumptionsLens(), con, "clarification_debt")
    assert [(f.scope.level, f.scope.id) for f in found] == [("team", "Est")]
    f = found[0]
    assert f.metric.value == pytest.approx(1.0)
    assert f.value_at_stake == pytest.approx(3 * sum(1000.0 * (k + 1) for k in range(12)))
    assert any(e.type == "deal" for e in f.evidence)


def test_low_discovery_found_at_rep() -> None:
    org, convs = h.synth(13, "en", rep_in_call={"Noé": {"question": 0.05, "open_question": 0.0}})
    con = h.build_store(org, convs)
    found, _ = h.findings_of(AssumptionsLens(), con, "low_discovery")
    assert [(f.scope.level, f.scope.id) for f in found] == [("rep", "Noé")]
    assert found[0].effect.ci_high < 0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_healthy_org_no_assumption_findings(seed: int) -> None:
    org, convs = h.synth(seed, "fr" if seed % 2 else "en", reviews=30)
    con = h.build_store(org, convs)
    found, _ = h.findings_of(AssumptionsLens(), con)
    assert found == []


def test_pressure_turns_leave_the_question_share_and_claims_need_a_decision_element() -> None:
    org = h.Org(people=[("Claire", "manager", "Sud", None), ("Hugo", "rep", "Sud", "Claire")],
                deals=[{"deal_id": "D1", "owner": "Hugo", "team": "Sud"}])
    review = h.Conv("R1", "pipeline_review", h.D0, [
        h.Turn("Claire", "manager", "Où en est Acme ?", ("question",)),
        h.Turn("Hugo", "rep", "Ils ont eu une réorganisation, je vois le nouveau responsable vendredi.", ("assumption",)),
        h.Turn("Hugo", "rep", "Je pense que le DAF est convaincu.", ("assumption", "decision_maker")),
    ])
    call = h.Conv("C1", "customer_call", h.D0, [
        h.Turn("Hugo", "rep", "Qui d'autre participe à la décision ?", ("question", "open_question", "decision_maker")),
        h.Turn("Ann", "customer", "Le DAF.", ("decision_maker",)),
        h.Turn("Hugo", "rep", "Cette remise n'est valable que jusqu'à vendredi.", ("pressure",)),
        h.Turn("Hugo", "rep", "Il faut signer avant la fin du mois, d'accord ?", ("pressure", "question")),
        h.Turn("Hugo", "rep", "Je vous envoie la proposition.", ("next_step",)),
    ], deal_ids="D1")
    res = AssumptionsLens().run(h.ctx_of(h.build_store(org, [review, call])))
    rc = res.metrics["review_claims"].set_index("conversation_id").loc["R1"]
    # the scheduling turn carries no decision element: it is not a claim about the customer's decision
    assert (rc["unverified"], rc["sourced"]) == (1, 0)
    disc = res.metrics["discovery_per_call"].set_index("conversation_id").loc["C1"]
    # 4 rep turns, one pure pressure turn leaves the denominator; the pressure question stays (it is a question)
    assert (disc["rep_turns"], disc["questions"]) == (3, 2)
    assert disc["rep_question_share"] == pytest.approx(2 / 3)
