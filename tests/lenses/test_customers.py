"""Customers lens: customer voices per deal, decision elements in won vs lost deals."""

from __future__ import annotations

import convkit as h
import pytest

from miroir.lenses.customers import CustomersLens  # noqa: E402


def test_voices_and_elements_hand_counts() -> None:
    org = h.Org(people=[("Hugo", "rep", "Sud", None)],
                deals=[{"deal_id": "D1", "owner": "Hugo", "team": "Sud", "status": "won"},
                       {"deal_id": "D2", "owner": "Hugo", "team": "Sud", "status": "lost"}])
    convs = [
        h.Conv("C1", "customer_call", h.D0, [h.Turn("Hugo", "rep", "Qui signe chez vous ?", ("question", "decision_maker")),
                                             h.Turn("Mme Durand", "customer", "C'est le DG.", ("decision_maker",))],
               deal_ids="D1", lang="fr"),
        h.Conv("C2", "customer_call", h.D0, [h.Turn("Hugo", "rep", "Bonjour", ()),
                                             h.Turn("mme  DURAND", "customer", "On regarde aussi Salesforce.",
                                                    ("competition",)),
                                             h.Turn("M. Petit", "customer", "Le prix compte.", ("budget",))],
               deal_ids="D1", lang="fr"),
        h.Conv("C3", "customer_call", h.D0, [h.Turn("Hugo", "rep", "Hello", ()),
                                             h.Turn("Bob", "customer", "Fine.", ())], deal_ids="D2"),
        h.Conv("C4", "customer_call", h.D0, [h.Turn("Hugo", "rep", "Hello again", ()),
                                             h.Turn("Bob", "customer", "Fine.", ())], deal_ids="D2"),
    ]
    con = h.build_store(org, convs)
    res = CustomersLens().run(h.ctx_of(con))
    v = res.metrics["voices_per_deal"].set_index("deal_id")
    assert int(v.loc["D1", "voices"]) == 2  # "Mme Durand" and "mme  DURAND" are one voice
    assert int(v.loc["D2", "voices"]) == 1 and bool(v.loc["D2", "single_threaded"])
    el = res.metrics["elements_won_vs_lost"].set_index("element")
    assert el.loc["decision_maker", "won_share"] == 1.0 and el.loc["decision_maker", "lost_share"] == 0.0
    topics = res.metrics["customer_topics"].set_index("topic")
    assert topics.loc["budget", "customer_turns"] == 1 and topics.loc["competition", "calls"] == 1
    assert res.findings == []
    assert any(o.kind == "decision_signal_gap" and o.reason == "below_min_n" for o in res.observations)


def test_single_threaded_found_at_rep() -> None:
    org, convs = h.synth(31, "en", customer_voices={"Sarah": 1})
    con = h.build_store(org, convs)
    found, _ = h.findings_of(CustomersLens(), con, "single_threaded_deals")
    assert [(f.scope.level, f.scope.id) for f in found] == [("rep", "Sarah")]
    assert found[0].value_at_stake and any(e.type == "deal" for e in found[0].evidence)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_decision_signal_gap_found_at_org(lang: str) -> None:
    org, convs = h.synth(32, lang, won_rep={"decision_criteria": 0.5})
    con = h.build_store(org, convs)
    found, res = h.findings_of(CustomersLens(), con, "decision_signal_gap")
    assert [(f.scope.level, f.scope.id) for f in found] == [("org", "org")]
    assert found[0].params["elements"] == ["decision_criteria"]
    assert found[0].effect.ci_low > 0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_healthy_org_no_customer_findings(seed: int) -> None:
    org, convs = h.synth(seed, "fr" if seed % 2 else "en")
    con = h.build_store(org, convs)
    found, _ = h.findings_of(CustomersLens(), con)
    assert found == []


def test_element_explored_by_the_customer_answer_to_a_rep_question() -> None:
    org = h.Org(people=[("Hugo", "rep", "Sud", None)],
                deals=[{"deal_id": "D1", "owner": "Hugo", "team": "Sud", "status": "won"},
                       {"deal_id": "D2", "owner": "Hugo", "team": "Sud", "status": "lost"},
                       {"deal_id": "D3", "owner": "Hugo", "team": "Sud", "status": "lost"}])
    convs = [  # the question's wording carries no element label, the answer does: explored
        h.Conv("C1", "customer_call", h.D0, [h.Turn("Hugo", "rep", "Au-delà de vous, qui faut-il convaincre ?",
                                                    ("question", "open_question")),
                                             h.Turn("Ann", "customer", "C'est le DG qui tranche.", ("decision_maker",))],
               deal_ids="D1", lang="fr"),
        # the customer volunteers it without a question: not explored by the rep
        h.Conv("C2", "customer_call", h.D0, [h.Turn("Hugo", "rep", "Voici la démo.", ()),
                                             h.Turn("Bob", "customer", "Le DG signera.", ("decision_maker",))],
               deal_ids="D2", lang="fr"),
        # the answer to a next-step proposal does not count either
        h.Conv("C3", "customer_call", h.D0, [h.Turn("Hugo", "rep", "On cale une démo avec le DG ?",
                                                    ("question", "next_step")),
                                             h.Turn("Eve", "customer", "Oui, le DG décidera.", ("decision_maker",))],
               deal_ids="D3", lang="fr"),
    ]
    res = CustomersLens().run(h.ctx_of(h.build_store(org, convs)))
    el = res.metrics["elements_won_vs_lost"].set_index("element")
    assert (el.loc["decision_maker", "won_explored"], el.loc["decision_maker", "lost_explored"]) == (1, 0)
