"""Shared conversation-lens helpers: deal mentions, time attribution, statistics,
quote selection (the store builders are in convkit.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from convkit import D0, Conv, Org, Turn, build_store, ctx_of
from scipy import stats as sps

from miroir.lenses._conv import (
    bh,
    deal_mentions,
    load_conv,
    normalise_text,
    resolve_rep_team,
    review_deal_time,
    review_turn_deals,
    select_quotes,
    welch_vs_rest,
)


# --------------------------------------------------------------------------- tests
def _review_org() -> tuple[Org, list[Conv]]:
    org = Org(people=[("Claire", "manager", "Sud", None), ("Hugo", "rep", "Sud", "Claire"),
                      ("Léa", "rep", "Sud", "Claire")],
              deals=[{"deal_id": "D1", "name": "Société Générale Énergie - Migration", "account": "Société Générale Énergie",
                      "owner": "Hugo", "team": "Sud", "amount": 100000.0},
                     {"deal_id": "D2", "name": "Acme renewal", "account": "Acme", "owner": "Léa", "team": "Sud",
                      "amount": 5000.0},
                     {"deal_id": "D3", "name": "Acme expansion", "account": "Acme", "owner": "Marc", "team": "Nord",
                      "amount": 7000.0}])
    conv = Conv("R1", "pipeline_review", D0, [
        Turn("Claire", "manager", "On commence. Où en est le deal societe generale energie ?", ("question",), 4),
        Turn("Hugo", "rep", "Ils vont signer avant la fin du mois.", ("assumption",), 6),
        Turn("Claire", "manager", "Comment tu sais qu'ils ont le budget ?", ("question", "clarification"), 5),
        Turn("Hugo", "rep", "Le DAF me l'a confirmé mardi par mail.", ("budget",), 5),
        Turn("Claire", "manager", "Et chez ACME ?", ("question",), 2),
        Turn("Léa", "rep", "Acme attend le comité, je relance.", ("decision_process",), 8),
        Turn("Claire", "manager", "Bien.", (), 1),
    ], deal_ids="D1")
    return org, [conv]


def test_normalise_text_accents_case_punctuation() -> None:
    assert normalise_text("Société GÉNÉRALE-Énergie!") == "societe generale energie"


def test_deal_mentions_by_name_account_accent_case_insensitive() -> None:
    org, convs = _review_org()
    con = build_store(org, convs)
    ctx = ctx_of(con)
    data = load_conv(ctx)
    m = deal_mentions(ctx, data)
    got = sorted(zip(m["turn"], m["deal_id"], strict=False))
    # turn 0: account of D1 without accents; turns 4 and 5: "Acme" is ambiguous (D2 Sud, D3 Nord):
    # the review's team (Sud) resolves it to D2
    assert got == [(0, "D1"), (4, "D2"), (5, "D2")]


def test_review_time_per_deal_segments() -> None:
    org, convs = _review_org()
    con = build_store(org, convs)
    ctx = ctx_of(con)
    data = load_conv(ctx)
    td = review_turn_deals(data, deal_mentions(ctx, data))
    t = review_deal_time(data, td).set_index("deal_id")
    # D1 segment: turns 0-3 = 4+6+5+5 s; D2 segment: turns 4-6 = 2+8+1 s
    assert t.loc["D1", "time"] == pytest.approx(20.0)
    assert t.loc["D2", "time"] == pytest.approx(11.0)
    assert int(t.loc["D1", "turns"]) == 4
    assert bool(t.loc["D1", "mentioned"])
    assert data.time_unit == "seconds"


def test_conversation_chair_and_team() -> None:
    org, convs = _review_org()
    con = build_store(org, convs)
    data = load_conv(ctx_of(con))
    row = data.convs.set_index("conversation_id").loc["R1"]
    assert row["chair"] == "Claire"
    assert row["team"] == "Sud"
    assert row["rep"] == "Hugo"  # 17 words vs Léa's 6


def test_welch_vs_rest_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    v = rng.normal(size=60)
    g = np.array(["a"] * 20 + ["b"] * 15 + ["c"] * 25)
    v[:20] += 1.0
    w = welch_vs_rest(v, g).set_index("group")
    for grp in ("a", "b", "c"):
        x, y = v[g == grp], v[g != grp]
        r = sps.ttest_ind(x, y, equal_var=False)
        assert w.loc[grp, "p"] == pytest.approx(r.pvalue, rel=1e-6)
        assert w.loc[grp, "diff"] == pytest.approx(x.mean() - y.mean())
        ci = r.confidence_interval()
        assert w.loc[grp, "ci_low"] == pytest.approx(ci.low, rel=1e-6)


def test_bh_known_values() -> None:
    q = bh([0.01, 0.04, 0.03, 0.5])
    # sorted p: .01 .03 .04 .5 -> .04, .06, .0533, .5 -> monotone: .04 .0533 .0533 .5
    assert q.tolist() == pytest.approx([0.04, 0.05333333, 0.05333333, 0.5])


def test_resolve_team_vs_rep() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for team, reps in (("A", ["a1", "a2", "a3"]), ("B", ["b1", "b2", "b3"]), ("C", ["c1", "c2", "c3"])):
        for r in reps:
            for _ in range(30):
                base = 0.1
                if team == "A":
                    base = 0.4  # the whole team
                if r == "c2":
                    base = 0.5  # one rep
                rows.append({"team": team, "rep": r, "v": base + rng.normal(0, 0.05)})
    df = pd.DataFrame(rows)
    teams, reps, _ = resolve_rep_team(df, "v", direction=1, min_effect=0.1, alpha=0.05, min_n_rep=10,
                                      min_n_team=20)
    assert [t.id for t in teams] == ["A"]
    assert [r.id for r in reps] == ["c2"]


def test_rep_standing_out_from_a_flagged_team_is_reported_too() -> None:
    rng = np.random.default_rng(1)
    rows = []
    for team, reps in (("A", ["a1", "a2", "a3", "a4"]), ("B", ["b1", "b2", "b3", "b4"])):
        for r in reps:
            for _ in range(30):
                base = 0.4 if team == "A" else 0.1  # the whole team A...
                if r == "a1":
                    base = 0.8  # ... and one of its reps far beyond it
                rows.append({"team": team, "rep": r, "v": base + rng.normal(0, 0.05)})
    teams, reps, _ = resolve_rep_team(pd.DataFrame(rows), "v", direction=1, min_effect=0.1, alpha=0.05,
                                      min_n_rep=10, min_n_team=20)
    assert [t.id for t in teams] == ["A"]
    assert [(r.id, r.baseline_group) for r in reps] == [("a1", "team-mates in A")]
    assert reps[0].baseline == pytest.approx(0.4, abs=0.03)  # compared with a2-a4, not with team B


def test_select_quotes_diverse_and_dense() -> None:
    org = Org(people=[("Claire", "manager", "Sud", None), ("Hugo", "rep", "Sud", "Claire")])
    convs = []
    for i in range(6):
        convs.append(Conv(f"R{i}", "pipeline_review", D0 + dt.timedelta(days=7 * i), [
            Turn("Claire", "manager", "Bonjour à tous.", ()),
            Turn("Claire", "manager", f"Il faut que ça signe cette semaine, numéro {i}.", ("pressure",)),
            Turn("Claire", "manager", "Je veux ce deal en commit, pas d'excuse, ok ?", ("pressure",)),
        ]))
    con = build_store(org, convs)
    ctx = ctx_of(con)
    data = load_conv(ctx)
    rows = data.turns[data.turns["l_pressure"]]
    ev = select_quotes(ctx, rows, ["pressure"], k=5, show_names=True)
    assert len(ev) == 5
    assert len({e.conversation_id for e in ev}) == 5  # one per meeting
    assert all(e.speaker == "Claire" and e.speaker_role == "manager" for e in ev)
    assert all(e.quote and "Bonjour" not in e.quote for e in ev)
    # no names outside rep/manager scope
    ev2 = select_quotes(ctx, rows, ["pressure"], k=3, show_names=False)
    assert all(e.speaker is None for e in ev2)


def test_cache_never_shared_between_same_size_stores() -> None:
    org = Org(people=[("Claire", "manager", "Sud", None)])
    a = build_store(org, [Conv("R1", "pipeline_review", D0, [Turn("Claire", "manager", "Vite !", ("pressure",))])])
    da = load_conv(ctx_of(a))
    assert bool(da.turns["l_pressure"].iloc[0])
    a.close()
    b = build_store(org, [Conv("R1", "pipeline_review", D0, [Turn("Claire", "manager", "Vite !", ())])])
    db = load_conv(ctx_of(b))
    assert not bool(db.turns["l_pressure"].iloc[0])
    assert load_conv(ctx_of(b)) is db  # same store, same content: reused


def test_team_not_reported_for_one_extreme_rep() -> None:
    """A team whose other reps sit only slightly (below the materiality) off the rest is no team finding:
    the one extreme rep is reported instead."""
    rng = np.random.default_rng(1)
    rows = []
    for team, reps in (("A", ["a1", "a2", "a3", "a4"]), ("B", ["b1", "b2", "b3", "b4"])):
        for r in reps:
            for _ in range(40):
                base = 0.1 + (0.04 if team == "A" else 0.0)  # a small, immaterial team difference
                if r == "a1":
                    base = 0.6
                rows.append({"team": team, "rep": r, "v": base + rng.normal(0, 0.05)})
    teams, reps, _ = resolve_rep_team(pd.DataFrame(rows), "v", direction=1, min_effect=0.1, alpha=0.05,
                                      min_n_rep=10, min_n_team=20, team_share=0.25)
    assert teams == []
    assert [r.id for r in reps] == ["a1"]
