"""Builders for the conversation-lens tests: a store from hand-written transcripts
(turns with their labels) and a small synthetic organisation with planted dynamics.

Imported as ``import convkit as h`` by the test files of this folder (pytest puts
the folder on ``sys.path``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

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


D0 = dt.datetime(2026, 3, 2, 9, 0)


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
