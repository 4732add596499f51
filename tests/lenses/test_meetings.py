"""Meetings lens: talk shares, defensive vs exploratory, dominance, attention, recurring deals."""

from __future__ import annotations

import convkit as h
import pytest

from miroir.lenses.meetings import MeetingsLens  # noqa: E402
from miroir.models import KIND_LENS  # noqa: E402


def test_hand_counts_fr() -> None:
    org = h.Org(people=[("Claire", "manager", "Sud", None), ("Hugo", "rep", "Sud", "Claire")])
    conv = h.Conv("R1", "pipeline_review", h.D0, [
        h.Turn("Claire", "manager", "Où en est le deal ?", ("question",), 3.0),
        h.Turn("Hugo", "rep", "Ce n'est pas de ma faute, ils ont changé d'interlocuteur.", ("defensive",), 6.0),
        h.Turn("Claire", "manager", "Qu'est-ce qui pourrait expliquer leur silence ?",
               ("question", "open_question", "exploratory"), 4.0),
        h.Turn("Hugo", "rep", "J'ai tout fait, je les relance chaque semaine.", ("defensive",), 5.0),
    ], lang="fr")
    con = h.build_store(org, [conv])
    res = MeetingsLens().run(h.ctx_of(con))
    r = res.metrics["per_review"].set_index("conversation_id").loc["R1"]
    # words (tokens with a letter or digit; a lone "?" is not a word): manager 5 + 6 = 11; rep 10 + 8 = 18
    assert r["manager_word_share"] == pytest.approx(11 / 29)
    assert r["defensive_share"] == pytest.approx(2 / 3)
    assert r["inquiry_advocacy_ratio"] == pytest.approx(2 / 2)
    assert (r["manager_status_q"], r["manager_inquiry_q"]) == (1, 1)
    role = res.metrics["talk_share_by_role"].set_index("role")
    assert role.loc["rep", "time"] == pytest.approx(11.0)
    assert res.findings == []


def test_defensive_reviews_found_at_manager() -> None:
    reps = {r: {"defensive": 0.6, "exploratory": 0.05} for r in h.TEAMS["Est"][1]}
    org, convs = h.synth(21, "fr", rep_in_review=reps)
    con = h.build_store(org, convs)
    found, _ = h.findings_of(MeetingsLens(), con, "defensive_reviews")
    assert [(f.scope.level, f.scope.id) for f in found] == [("manager", "Elise")]
    assert all(e.type == "utterance" for e in found[0].evidence)


def test_manager_dominance_found() -> None:
    org, convs = h.synth(22, "en", verbosity={"Simon": 6})
    con = h.build_store(org, convs)
    found, _ = h.findings_of(MeetingsLens(), con, "manager_dominance")
    assert [(f.scope.level, f.scope.id) for f in found] == [("manager", "Simon")]
    assert found[0].metric.value > 0.5


def test_attention_mismatch_found() -> None:
    org, convs = h.synth(23, "en", inverse_attention=("Nord",))
    con = h.build_store(org, convs)
    found, res = h.findings_of(MeetingsLens(), con, "attention_mismatch")
    assert [(f.scope.level, f.scope.id) for f in found] == [("manager", "Nadia")]
    assert any(e.type == "deal" for e in found[0].evidence)
    assert not res.metrics["time_per_deal"].empty


def test_recurring_review_deals_found_at_team() -> None:
    org, convs = h.synth(24, "fr", recurring=("Sud",))
    con = h.build_store(org, convs)
    ctx = h.ctx_of(con)
    ctx.params["meetings"] = {"min_deals_team": 6, "min_deals_rep": 3}
    res = MeetingsLens().run(ctx)
    found = [f for f in res.findings if f.kind == "recurring_review_deals"]
    assert [(f.scope.level, f.scope.id) for f in found] == [("team", "Sud")]
    assert found[0].lens == KIND_LENS["recurring_review_deals"] == "pipeline"


def test_stage_progress_breaks_recurrence() -> None:
    import datetime as dt

    org = h.Org(people=[("Claire", "manager", "Sud", None), ("Hugo", "rep", "Sud", "Claire")],
                deals=[{"deal_id": "D1", "name": "Acme", "owner": "Hugo", "team": "Sud"},
                       {"deal_id": "D2", "name": "Globex", "owner": "Hugo", "team": "Sud"}],
                changes=[("D2", dt.datetime(2026, 3, 10), "stage", "Discovery", "Proposal")])
    convs = [h.Conv(f"R{w}", "pipeline_review", h.D0 + dt.timedelta(days=7 * w), [
        h.Turn("Claire", "manager", "Acme ? Globex ?", ("question",)),
        h.Turn("Hugo", "rep", "Toujours pareil pour Acme.", ()),
    ]) for w in range(3)]
    con = h.build_store(org, convs)
    res = MeetingsLens().run(h.ctx_of(con))
    g = res.metrics["recurring_per_deal"].set_index("deal_id")
    assert int(g.loc["D1", "reviews"]) == 3 and bool(g.loc["D1", "recurring"])
    assert bool(g.loc["D2", "progress"]) and not bool(g.loc["D2", "recurring"])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_healthy_org_no_meeting_findings(seed: int) -> None:
    org, convs = h.synth(seed, "fr" if seed % 2 else "en", reviews=30)
    con = h.build_store(org, convs)
    found, _ = h.findings_of(MeetingsLens(), con)
    assert found == []
