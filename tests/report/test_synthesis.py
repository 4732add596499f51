"""Ranking and "what the system optimises for" rules, on findings whose scores are computed by hand."""

from __future__ import annotations

import math

import pytest

from miroir.models import Effect, Finding, Metric, Scope
from miroir.synthesis import synthesise
from miroir.synthesis.rank import effect_size, value_weight
from miroir.synthesis.rules import MAX_STATEMENTS, RULES


def mk(kind: str, lens: str, est: float, value: float, baseline: float | None, conf: float,
       stake: float | None = None, scope: Scope = Scope("org", "all"), title: str = "t") -> Finding:
    return Finding(kind=kind, lens=lens, scope=scope, title=title, statement="s", metric=Metric("m", value, baseline),
                   effect=Effect(est, est - 1, est + 1), n=50, confidence=conf, evidence=[], question="q",
                   value_at_stake=stake)


def test_rank_factors_by_hand() -> None:
    # size = |est| / max(|value|, |baseline|)
    assert effect_size(mk("stalled_deals", "pipeline", 5.8, 7.9, 2.1, 1)) == pytest.approx(5.8 / 7.9)
    assert effect_size(mk("stalled_deals", "pipeline", 3.0, 2.0, 0.0, 1)) == 1.0  # capped
    assert effect_size(mk("stalled_deals", "pipeline", 0.2, 0.0, None, 1)) == 0.5  # no scale: neutral
    # value weight = 0.25 + 0.75 * log1p(v) / log1p(vmax)
    assert value_weight(999.0, 999.0) == pytest.approx(1.0)
    assert value_weight(math.e - 1, math.e**2 - 1) == pytest.approx(0.25 + 0.75 * 0.5)
    assert value_weight(None, 100.0) == 0.5


def test_ids_follow_rank_order() -> None:
    a = mk("stalled_deals", "pipeline", 1.0, 10.0, 0.0, 0.9, stake=100.0, title="a")  # 0.1 * 0.9 * w(100)=1 -> 0.09
    b = mk("forecast_bias", "forecast", 0.5, 0.5, 0.0, 0.8, stake=None, title="b")  # 1 * 0.8 * 0.5 -> 0.40
    c = mk("low_discovery", "assumptions", 0.3, 0.6, 0.4, 0.5, stake=9.0, title="c")
    # c: size 0.5, conf 0.5, weight 0.25 + 0.75*log(10)/log(101) = 0.6239 -> 0.156
    ranked, _ = synthesise([a, b, c])
    assert [f.title for f in ranked] == ["b", "c", "a"]
    assert [f.id for f in ranked] == ["f-0001", "f-0002", "f-0003"]
    assert ranked[0].params["rank"]["score"] == pytest.approx(0.40)
    assert ranked[1].params["rank"]["score"] == pytest.approx(0.5 * 0.5 * (0.25 + 0.75 * math.log(10) / math.log(101)),
                                                              abs=1e-6)
    assert ranked[2].params["rank"]["score"] == pytest.approx(0.09)
    assert a.id == "" and "rank" not in a.params  # inputs untouched


def test_no_findings_no_statement() -> None:
    assert synthesise([]) == ([], [])


def test_statements_link_findings_and_follow_weight() -> None:
    fs = [
        mk("late_period_concentration", "forecast", 0.25, 0.41, 0.16, 0.99, title="lpc"),
        mk("period_end_discounting", "incentives", 5.8, 7.9, 2.1, 0.97, title="ped"),
        mk("forecast_bias", "forecast", 0.1, 1.0, 0.0, 0.6, title="fb"),
    ]
    ranked, opt = synthesise(fs)
    ids = {f.title: f.id for f in ranked}
    assert [o.rule for o in opt] == ["closing_in_period_over_closing_well", "managing_the_forecast_over_predicting"]
    assert set(opt[0].finding_ids) == {ids["lpc"], ids["ped"]}
    assert opt[1].finding_ids == [ids["fb"]]
    for o in opt:
        assert o.statement and o.statement_fr and o.statement != o.statement_fr
    assert opt[0].to_dict()["statement_fr"].startswith("Conclure dans la période")


def test_a_rule_adding_no_new_finding_is_dropped() -> None:
    # attention_mismatch only feeds "keeping deals alive"; pressure_in_reviews only "control over inquiry"
    fs = [mk("attention_mismatch", "meetings", 1, 1, 0, 0.9), mk("pressure_in_reviews", "pressure", 1, 1, 0, 0.8)]
    _, opt = synthesise(fs)
    assert sorted(o.rule for o in opt) == ["control_over_inquiry_in_reviews", "keeping_deals_alive_over_qualifying"]


def test_at_most_five_statements_and_deterministic() -> None:
    kinds = [(k, lens) for r in RULES for k in r.kinds for lens in ["x"]]
    fs = [mk(k, "x", 1, 1, 0, 0.9, title=k) for k, _ in kinds]
    r1 = synthesise(fs)
    r2 = synthesise(list(reversed(fs)))
    assert len(r1[1]) == MAX_STATEMENTS
    assert [f.to_dict() for f in r1[0]] == [f.to_dict() for f in r2[0]]
    assert [o.to_dict() for o in r1[1]] == [o.to_dict() for o in r2[1]]


def test_unknown_kind_falls_back_on_its_lens() -> None:
    _, opt = synthesise([mk("brand_new_kind", "pressure", 1, 1, 0, 0.9)])
    assert [o.rule for o in opt] == ["control_over_inquiry_in_reviews"]
    _, opt = synthesise([mk("brand_new_kind", "nolens", 1, 1, 0, 0.9)])
    assert opt == []


def test_team_named_when_it_carries_most_of_the_weight() -> None:
    fs = [mk("stalled_deals", "pipeline", 1, 1, 0, 0.9, scope=Scope("team", "Sud"), title="a"),
          mk("close_date_slippage", "pipeline", 1, 1, 0, 0.9, scope=Scope("team", "Sud"), title="b"),
          mk("recurring_review_deals", "meetings", 1, 1, 0, 0.5, scope=Scope("org", "all"), title="c")]
    _, opt = synthesise(fs)  # Sud: 1.8 / 2.3 of the weight >= 2/3
    assert opt[0].statement.endswith("Most visible in team Sud.")
    assert opt[0].statement_fr.endswith("Surtout visible dans l'équipe Sud.")
    fs[2] = mk("recurring_review_deals", "meetings", 1, 1, 0, 0.95, scope=Scope("org", "all"), title="c")
    fs[1] = mk("close_date_slippage", "pipeline", 1, 1, 0, 0.9, scope=Scope("team", "Nord"), title="b")
    _, opt = synthesise(fs)
    assert "team" not in opt[0].statement


def test_every_contract_kind_is_covered_by_a_rule() -> None:
    from miroir.models import KIND_LENS
    from miroir.synthesis.rules import NO_STATEMENT_KINDS

    covered = {k for r in RULES for k in r.kinds}
    assert set(KIND_LENS) - set(NO_STATEMENT_KINDS) <= covered
    assert not covered & set(NO_STATEMENT_KINDS)


def test_no_statement_from_kinds_that_are_not_mechanisms() -> None:
    ranked, opt = synthesise([mk("org_change_effect", "intuition", 1, 1, 0, 0.9)])
    assert ranked[0].id == "f-0001" and opt == []


def test_many_findings_of_one_kind_do_not_outweigh_a_stronger_mechanism() -> None:
    deals = [mk("fragile_deal", "intuition", 0.3, 1, 0, 1.0, scope=Scope("deal", f"D{i}"), title=f"d{i}")
             for i in range(5)]  # 5 x 0.3: a sum would give 1.5
    bias = mk("forecast_bias", "forecast", 0.5, 1, 0, 1.0, title="bias")  # 0.5
    ranked, opt = synthesise([*deals, bias])
    assert [o.rule for o in opt] == ["managing_the_forecast_over_predicting", "keeping_deals_alive_over_qualifying"]
    assert len(opt[1].finding_ids) == 5
