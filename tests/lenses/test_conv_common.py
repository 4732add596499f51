"""Shared conversation-lens helpers: store builder for hand-written transcripts (used
by the other conversation-lens tests), deal mentions, time attribution, statistics,
quote selection."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
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
from miroir.lenses.base import LensContext
from miroir.store.schema import memory_store


# --------------------------------------------------------------------------- builder
@dataclass
class Turn:
    speaker: str
    role: str
    text: str
    labels: tuple[str, ...] = ()
    dur: float = 10.0


@dataclass
class Conv:
    cid: str
    kind: str
    started_at: dt.datetime
    turns: list[Turn]
    deal_ids: str = ""
    lang: str = "en"


@dataclass
class Org:
    people: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # name, role, team, manager
    deals: list[dict[str, object]] = field(default_factory=list)
    changes: list[tuple[str, dt.datetime, str, str | None, str]] = field(default_factory=list)
    stages: list[str] = field(default_factory=lambda: ["Qualification", "Discovery", "Proposal", "Negotiation"])


def build_store(org: Org, convs: list[Conv]) -> duckdb.DuckDBPyConnection:
    """An in-memory store holding the org, the conversations and their annotations:
    each label's span covers the whole turn text."""
    con = memory_store()
    for name, role, team, mgr in org.people:
        con.execute("INSERT INTO people (person_id, name, role, team, manager) VALUES (?, ?, ?, ?, ?)",
                    [name, name, role, team, mgr])
    for d in org.deals:
        con.execute(
            "INSERT INTO deals (deal_id, name, account, owner, team, amount, stage, forecast_category, created_at, "
            "close_date, status, discount_pct) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [d["deal_id"], d.get("name"), d.get("account"), d["owner"], d.get("team"), d.get("amount", 1000.0),
             d.get("stage", "Discovery"), d.get("forecast_category", "pipeline"),
             d.get("created_at", dt.date(2026, 1, 1)), d.get("close_date", dt.date(2026, 12, 31)),
             d.get("status", "open"), d.get("discount_pct")])
    for deal_id, at, fld, old, new in org.changes:
        con.execute("INSERT INTO deal_changes (deal_id, changed_at, field, old_value, new_value) VALUES (?,?,?,?,?)",
                    [deal_id, at, fld, old, new])
    closed = {"Closed Won", "Closed Lost"}
    for i, s in enumerate([*org.stages, "Closed Won", "Closed Lost"]):
        con.execute("INSERT INTO stages VALUES (?, ?, ?, 'config')", [s, i + 1, s in closed])
    crow, urow, arow = [], [], []
    for c in convs:
        crow.append({"conversation_id": c.cid, "kind": c.kind, "started_at": c.started_at, "deal_ids": c.deal_ids,
                     "language": c.lang, "file_sha256": "sha-" + c.cid})
        t0 = 0.0
        for i, t in enumerate(c.turns):
            urow.append({"conversation_id": c.cid, "turn": i, "speaker": t.speaker,
                         "person_id": t.speaker if t.role != "customer" else None, "role": t.role,
                         "start_s": t0, "end_s": t0 + t.dur, "text": t.text, "lang": c.lang})
            arow.append({"conversation_id": c.cid, "turn": i, "labels": list(t.labels),
                         "spans": json.dumps({lab: [[0, len(t.text)]] for lab in t.labels}),
                         "engine_version": "test", "file_sha256": "sha-" + c.cid})
            t0 += t.dur
    if crow:
        cdf = pd.DataFrame(crow)  # noqa: F841 - read by DuckDB below
        udf = pd.DataFrame(urow)  # noqa: F841
        adf = pd.DataFrame(arow)  # noqa: F841
        con.execute("INSERT INTO conversations (conversation_id, kind, started_at, deal_ids, language, file_sha256) "
                    "SELECT conversation_id, kind, started_at, deal_ids, language, file_sha256 FROM cdf")
        if urow:
            con.execute("INSERT INTO utterances SELECT conversation_id, turn, speaker, person_id, role, start_s, "
                        "end_s, text, lang FROM udf")
            con.execute("INSERT INTO annotations SELECT conversation_id, turn, labels::VARCHAR[], spans, "
                        "engine_version, file_sha256 FROM adf")
    return con


def ctx_of(con: duckdb.DuckDBPyConnection) -> LensContext:
    return LensContext(con=con)


def load_helpers():  # type: ignore[no-untyped-def]
    """This module, importable from sibling test files whatever the rootdir layout."""
    name = "_conv_test_helpers"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__))
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


D0 = dt.datetime(2026, 3, 2, 9, 0)


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


# --------------------------------------------------------------------------- a small synthetic org
PHRASES = {
    "en": {"pressure": "This has to sign this week, no excuses.", "question": "Where are we on this one?",
           "open_question": "How does your team decide on a purchase like this?",
           "assumption": "They will sign before the end of the month.",
           "clarification": "How do you know they have the budget?",
           "defensive": "It's not my fault, they changed contacts.",
           "exploratory": "What would need to be true for them to sign?",
           "decision_maker": "The CFO signs off on this.", "decision_process": "It goes to the committee in March.",
           "decision_criteria": "Our first criterion is the SAP integration.",
           "none": "Okay, thanks, noted."},
    "fr": {"pressure": "Il faut que ça signe cette semaine, pas d'excuse.", "question": "On en est où sur celui-là ?",
           "open_question": "Comment se passe la décision d'un achat comme celui-ci chez vous ?",
           "assumption": "Ils vont signer avant la fin du mois.",
           "clarification": "Comment tu sais qu'ils ont le budget ?",
           "defensive": "Ce n'est pas de ma faute, ils ont changé d'interlocuteur.",
           "exploratory": "Qu'est-ce qui pourrait expliquer leur silence ?",
           "decision_maker": "C'est le DAF qui signe.", "decision_process": "Ça passe en comité en mars.",
           "decision_criteria": "Notre critère numéro un, c'est l'intégration SAP.",
           "none": "D'accord, merci, c'est noté."},
}
TEAMS = {"Nord": ("Nadia", ["Noé", "Nils", "Nina"]), "Sud": ("Simon", ["Sarah", "Sacha", "Sofia"]),
         "Est": ("Elise", ["Emma", "Eric", "Enzo"])}


def _turn(rng: np.random.Generator, speaker: str, role: str, probs: dict[str, float], lang: str,
          dur: float) -> Turn:
    labels = [lab for lab, pr in probs.items() if rng.random() < pr]
    if "open_question" in labels and "question" not in labels:
        labels.append("question")
    text = " ".join(PHRASES[lang][lab] for lab in labels) or PHRASES[lang]["none"]
    return Turn(speaker, role, text, tuple(labels), dur)


def synth(seed: int = 0, lang: str = "en", *, manager: dict[str, dict[str, float]] | None = None,
          rep_in_review: dict[str, dict[str, float]] | None = None,
          rep_in_call: dict[str, dict[str, float]] | None = None,
          customer: dict[str, dict[str, float]] | None = None,
          won_customer: dict[str, float] | None = None,
          won_rep: dict[str, float] | None = None,
          verbosity: dict[str, int] | None = None,
          inverse_attention: tuple[str, ...] = (), recurring: tuple[str, ...] = (),
          reviews: int = 12, calls_per_rep: int = 12,
          customer_voices: dict[str, int] | None = None) -> tuple[Org, list[Conv]]:
    """3 teams x (1 manager + 3 reps); weekly reviews per team (each rep discusses one of
    their deals by name) and two customer calls per deal. Label probabilities per
    speaker override the defaults; ``inverse_attention`` teams spend review time in
    inverse proportion to deal value; ``recurring`` teams keep discussing the same
    three deals per rep."""
    rng = np.random.default_rng(seed)
    base_mgr = {"pressure": 0.1, "question": 0.5, "clarification": 0.3, "exploratory": 0.2}
    base_rep_rv = {"assumption": 0.3, "defensive": 0.15, "exploratory": 0.15, "decision_maker": 0.2}
    base_rep_call = {"question": 0.4, "open_question": 0.2, "pressure": 0.05}
    base_cust = {"decision_maker": 0.4, "decision_process": 0.4}
    org = Org()
    convs: list[Conv] = []
    for team, (mgr, reps) in TEAMS.items():
        org.people.append((mgr, "manager", team, None))
        for r in reps:
            org.people.append((r, "rep", team, mgr))
        mp = {**base_mgr, **(manager or {}).get(mgr, {})}
        for w in range(reviews):
            turns = []
            for r in reps:
                t = _turn(rng, mgr, "manager", mp, lang, 8.0)
                t.text = " ".join([t.text] * (verbosity or {}).get(mgr, 1))
                turns.append(t)
                k = int(rng.integers(0, 3)) if team in recurring else int(rng.integers(0, calls_per_rep))
                rp = {**base_rep_rv, **(rep_in_review or {}).get(r, {})}
                dur = 60.0 / (k + 1) if team in inverse_attention else 10.0
                t1 = _turn(rng, r, "rep", rp, lang, dur)
                t1.text = f"Deal {r} {k}: " + t1.text
                turns.append(t1)
                turns.append(_turn(rng, r, "rep", rp, lang, dur))
            convs.append(Conv(f"R-{team}-{w:02d}", "pipeline_review", D0 + dt.timedelta(days=7 * w), turns,
                              lang=lang))
        for r in reps:
            cp0 = {**base_rep_call, **(rep_in_call or {}).get(r, {})}
            for k in range(calls_per_rep):
                did = f"D-{r}-{k:02d}"
                won = k % 2 == 0
                org.deals.append({"deal_id": did, "name": f"Deal {r} {k}", "account": f"Account {r} {k}", "owner": r,
                                  "team": team, "amount": 1000.0 * (k + 1), "stage": "Negotiation",
                                  "status": "won" if won else "lost", "forecast_category": "commit"})
                voices = (customer_voices or {}).get(r, 2)
                cp = {**cp0, **((won_rep or {}) if won else {})}
                cu = {**base_cust, **(customer or {}).get(r, {}), **((won_customer or {}) if won else {})}
                turns = []
                for i in range(4):
                    turns.append(_turn(rng, r, "rep", cp, lang, 20.0))
                    turns.append(_turn(rng, f"Client {i % voices}", "customer", cu, lang, 15.0))
                convs.append(Conv(f"C-{r}-{k:02d}-a", "customer_call", D0 + dt.timedelta(days=3 * k), turns,
                                  deal_ids=did, lang=lang))
                convs.append(Conv(f"C-{r}-{k:02d}-b", "customer_call", D0 + dt.timedelta(days=3 * k + 1),
                                  [Turn(r, "rep", PHRASES[lang]["none"]),
                                   Turn(f"Client {(k + 1) % voices}", "customer", PHRASES[lang]["none"])],
                                  deal_ids=did, lang=lang))
    return org, convs


def findings_of(lens, con: duckdb.DuckDBPyConnection, kind: str | None = None):  # type: ignore[no-untyped-def]
    res = lens.run(ctx_of(con))
    return [f for f in res.findings if kind is None or f.kind == kind], res


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
