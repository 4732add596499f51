"""Pressure lens on hand-written and small synthetic transcripts (annotations inserted directly)."""

from __future__ import annotations

import datetime as dt

import convkit as h
import pytest

from miroir.lenses.pressure import PressureLens
from miroir.models import KIND_LENS


def test_per_role_and_per_meeting_counts_fr() -> None:
    org = h.Org(people=[("Claire", "manager", "Sud", None), ("Hugo", "rep", "Sud", "Claire")])
    conv = h.Conv("R1", "pipeline_review", h.D0, [
        h.Turn("Claire", "manager", "Il faut que ça signe cette semaine.", ("pressure",)),
        h.Turn("Hugo", "rep", "Je fais au mieux, je les relance.", ("defensive",)),
        h.Turn("Claire", "manager", "Je veux ce deal en commit vendredi.", ("pressure",)),
        h.Turn("Hugo", "rep", "D'accord.", ()),
    ], lang="fr")
    call = h.Conv("C1", "customer_call", h.D0, [
        h.Turn("Hugo", "rep", "Ce prix n'est valable que jusqu'à vendredi.", ("pressure",)),
        h.Turn("Mme Durand", "customer", "Nous devons passer en comité d'abord.", ("decision_process",)),
        h.Turn("Hugo", "rep", "Qui signe chez vous ?", ("question", "decision_maker")),
    ], lang="fr")
    con = h.build_store(org, [conv, call])
    res = PressureLens().run(h.ctx_of(con))
    role = res.metrics["per_role"].set_index(["kind", "role"])
    assert role.loc[("pipeline_review", "manager"), "pressure_share"] == 1.0
    assert role.loc[("pipeline_review", "rep"), "pressure_share"] == 0.0
    assert role.loc[("customer_call", "rep"), "turns"] == 2
    meet = res.metrics["per_meeting"].set_index("conversation_id")
    assert meet.loc["R1", "pressure_share"] == pytest.approx(0.5)
    call_t = res.metrics["per_call"].set_index("conversation_id")
    assert call_t.loc["C1", "pressure_share"] == pytest.approx(0.5)
    f = res.metrics["followup"].iloc[0]
    assert f["rep_pressure_turns"] == 1 and f["customer_replies"] == 1
    assert res.findings == []  # one meeting: below every minimum n


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pressure_in_reviews_found_at_manager(lang: str) -> None:
    org, convs = h.synth(1, lang, manager={"Simon": {"pressure": 0.6}})
    con = h.build_store(org, convs)
    found, res = h.findings_of(PressureLens(), con, "pressure_in_reviews")
    assert [(f.scope.level, f.scope.id) for f in found] == [("manager", "Simon")]
    f = found[0]
    assert f.lens == KIND_LENS["pressure_in_reviews"]
    assert f.effect.ci_low > 0 and f.metric.value > f.metric.baseline
    assert 3 <= len([e for e in f.evidence if e.type == "utterance"]) <= 5
    assert all(e.speaker is not None for e in f.evidence if e.speaker_role == "manager")
    assert f.params["question_fr"] and f.params["title_fr"] and f.params["statement_fr"]
    assert f.n == 12
    assert "Benjamini-Hochberg" in " ".join(res.methods)


def test_pressure_on_customers_found_at_rep() -> None:
    org, convs = h.synth(2, "fr", rep_in_call={"Eric": {"pressure": 0.6}})
    con = h.build_store(org, convs)
    found, _ = h.findings_of(PressureLens(), con, "pressure_on_customers")
    assert [(f.scope.level, f.scope.id) for f in found] == [("rep", "Eric")]
    assert found[0].value_at_stake and found[0].value_at_stake > 0
    assert any(e.type == "deal" for e in found[0].evidence)


def test_pressure_on_customers_team_when_whole_team() -> None:
    heavy = {r: {"pressure": 0.5} for r in h.TEAMS["Nord"][1]}
    org, convs = h.synth(3, "en", rep_in_call=heavy)
    con = h.build_store(org, convs)
    found, _ = h.findings_of(PressureLens(), con, "pressure_on_customers")
    assert [(f.scope.level, f.scope.id) for f in found] == [("team", "Nord")]
    assert found[0].evidence and all(e.speaker is None for e in found[0].evidence)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_healthy_org_yields_no_pressure_finding(seed: int) -> None:
    org, convs = h.synth(seed, "en" if seed % 2 else "fr")
    con = h.build_store(org, convs)
    found, _ = h.findings_of(PressureLens(), con)
    assert found == []


def test_trajectory_rising_pressure_is_org_finding() -> None:
    org, convs = h.synth(5, "en")
    # reviews run from week 9 of Q1 to week 7 of Q2; in weeks 10-13 every manager turn is pressure
    for c in convs:
        if c.kind == "pipeline_review" and dt.datetime(2026, 3, 9) <= c.started_at < dt.datetime(2026, 4, 1):
            for t in c.turns:
                if t.role == "manager":
                    t.labels = tuple(sorted({*t.labels, "pressure"}))
    con = h.build_store(org, convs)
    found, res = h.findings_of(PressureLens(), con, "pressure_in_reviews")
    assert ("org", "org") in [(f.scope.level, f.scope.id) for f in found]
    traj = res.metrics["trajectory"].set_index("week_of_quarter")
    assert traj["pressure_share"].iloc[-1] > traj["pressure_share"].iloc[0]
