"""The planted mechanisms show in the raw generated data (checked without any lens),
and a --null organisation is healthy on the same measures."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def days_to_quarter_end(date: str) -> int:
    import datetime as dt

    d = dt.date.fromisoformat(date)
    q_end_month = (d.month - 1) // 3 * 3 + 3
    nxt = dt.date(d.year + (q_end_month == 12), q_end_month % 12 + 1, 1)
    return (nxt - d).days - 1


def scope_of(res, kind: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    gt = json.loads(res.ground_truth_path.read_text(encoding="utf-8"))
    return next(g["scope"] for g in gt if g["kind"] == kind)


def discount_gap(ds: Path, team: str) -> float:
    late, early = [], []
    for d in rows(ds, "deals.csv"):
        if d["status"] == "won" and d["team"] == team:
            (late if days_to_quarter_end(d["close_date"]) < 21 else early).append(float(d["discount_pct"] or 0))
    return float(np.mean(late) - np.mean(early))


def test_period_end_discounting_planted_vs_null(sim_factory) -> None:  # type: ignore[no-untyped-def]
    res = sim_factory(plants=("period_end_discounting@team",), scale=0.5)
    team = scope_of(res, "period_end_discounting")["id"]
    assert discount_gap(res.dataset, team) > 7
    null = sim_factory(null=True, scale=0.5)
    assert abs(discount_gap(null.dataset, team)) < 2.5


def commit_ratio(ds: Path, rep: str) -> float:
    """Last commit call of each quarter / won value of that quarter."""
    won: dict[str, float] = defaultdict(float)
    for d in rows(ds, "deals.csv"):
        if d["status"] == "won" and d["owner"] == rep:
            q = f"{d['close_date'][:4]}-Q{(int(d['close_date'][5:7]) - 1) // 3 + 1}"
            won[q] += float(d["amount"])
    last: dict[str, float] = {}
    for f in rows(ds, "forecasts.csv"):
        if f["owner"] == rep and f["category"] == "commit":
            last[f["period"]] = float(f["amount"])
    qs = [q for q in last if won.get(q, 0) > 0 and q < "2026-Q1"]
    return float(sum(last[q] for q in qs) / sum(won[q] for q in qs))


def test_sandbagging_low_calls_and_early_wins(sim_factory) -> None:  # type: ignore[no-untyped-def]
    res = sim_factory(plants=("sandbagging@rep",), scale=0.5)
    rep = scope_of(res, "sandbagging")["id"]
    assert commit_ratio(res.dataset, rep) < 0.85
    wins = [d for d in rows(res.dataset, "deals.csv") if d["status"] == "won" and d["owner"] == rep]
    first_week = sum(int(d["close_date"][8:10]) <= 7 and d["close_date"][5:7] in ("01", "04", "07", "10")
                     for d in wins)
    assert first_week / len(wins) > 0.15  # uniform would be ~7/91
    null = sim_factory(null=True, scale=0.5)
    assert 0.85 < commit_ratio(null.dataset, rep) < 1.15


def customer_voices(ds: Path) -> dict[str, tuple[str, set[str], int]]:
    people = rows(ds, "people.csv")
    internal = {p["name"] for p in people} | {a for p in people for a in p["aliases"].split(";") if a}
    owner = {d["deal_id"]: d["owner"] for d in rows(ds, "deals.csv")}
    out: dict[str, tuple[str, set[str], int]] = {}
    for c in rows(ds, "conversations.csv"):
        if c["kind"] != "customer_call":
            continue
        text = (ds / c["file"]).read_text(encoding="utf-8")
        if c["file"].endswith(".json"):
            doc = json.loads(text)
            labels = ({p["name"] for p in doc["parties"]} if "parties" in doc
                      else {u["speaker"] for u in doc["utterances"]})
        else:
            labels = set(re.findall(r"(?:<v |\] |\n)([^<>\n:\]]+?)(?:>|: )", text))
        did = c["deal_ids"]
        _, seen, n = out.get(did, (owner[did], set(), 0))
        out[did] = (owner[did], seen | (labels - internal), n + 1)
    return out


def test_single_threaded_rep_hears_one_voice(sim_factory) -> None:  # type: ignore[no-untyped-def]
    res = sim_factory(plants=("single_threaded_deals@rep",), scale=0.5)
    rep = scope_of(res, "single_threaded_deals")["id"]
    voices = customer_voices(res.dataset)
    mine = [len(v) for o, v, n in voices.values() if o == rep and n >= 2]
    others = [len(v) for o, v, n in voices.values() if o != rep and n >= 2]
    assert mine and all(m == 1 for m in mine)
    assert np.mean([o >= 2 for o in others]) > 0.8


def test_low_discovery_rep_asks_fewer_questions(sim_factory) -> None:  # type: ignore[no-untyped-def]
    res = sim_factory(plants=("low_discovery@rep",), scale=0.5)
    rep = scope_of(res, "low_discovery")["id"]
    deals = {d["deal_id"]: d["owner"] for d in rows(res.dataset, "deals.csv")}
    q: dict[bool, list[int]] = {True: [], False: []}
    for c in rows(res.dataset, "conversations.csv"):
        if c["kind"] == "customer_call":
            q[deals[c["deal_ids"]] == rep].append((res.dataset / c["file"]).read_text(encoding="utf-8").count("?"))
    assert q[True] and np.mean(q[True]) < 0.6 * np.mean(q[False])


def test_fragile_drivers_predict_outcomes_only_when_planted(sim_factory) -> None:  # type: ignore[no-untyped-def]
    def auc(ds: Path) -> float:
        pushes: dict[str, int] = defaultdict(int)
        for c in rows(ds, "deal_changes.csv"):
            if c["field"] == "close_date" and c["old_value"] and c["new_value"] > c["old_value"]:
                pushes[c["deal_id"]] += 1
        closed = [d for d in rows(ds, "deals.csv") if d["status"] != "open"]
        score = np.array([pushes[d["deal_id"]] for d in closed], dtype=float)
        lost = np.array([d["status"] == "lost" for d in closed])
        pos, neg = score[lost], score[~lost]
        return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())

    planted = sim_factory(plants=("fragile_deal@org",), scale=0.5)
    null = sim_factory(null=True, scale=0.5)
    assert auc(planted.dataset) > 0.68
    assert abs(auc(null.dataset) - 0.5) < 0.06


def test_gut_call_precision_is_planted(sim_factory) -> None:  # type: ignore[no-untyped-def]
    res = sim_factory()  # default plants include gut_call_accuracy
    gt = json.loads(res.ground_truth_path.read_text(encoding="utf-8"))
    g = next(x for x in gt if x["kind"] == "gut_call_accuracy")
    p = g["params"]
    assert p["fragile_calls"] >= 10
    assert p["realised_precision"] > p["base_rate_bad"]
    assert abs(p["realised_precision"] - p["planted_precision"]) < 0.2
