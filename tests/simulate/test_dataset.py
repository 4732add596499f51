"""The simulated dataset follows the data contract and is internally consistent."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest

from miroir.simulate import simulate

CONTRACT = {
    "deals.csv": ["deal_id", "name", "account", "owner", "team", "amount", "currency", "stage", "forecast_category",
                  "created_at", "close_date", "status", "discount_pct", "list_amount"],
    "deal_changes.csv": ["deal_id", "changed_at", "field", "old_value", "new_value", "changed_by"],
    "forecasts.csv": ["owner", "period", "submitted_at", "category", "amount"],
    "quotas.csv": ["owner", "period", "amount", "accelerator_at"],
    "people.csv": ["person_id", "name", "role", "team", "manager", "aliases"],
    "conversations.csv": ["conversation_id", "kind", "started_at", "file", "deal_ids", "language", "title"],
    "org_events.csv": ["date", "kind", "description"],
    "intuitions.csv": ["deal_id", "recorded_at", "person", "call", "note"],
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_contract_columns_and_formats(sim_factory, lang: str) -> None:  # type: ignore[no-untyped-def]
    res = sim_factory(lang=lang)
    ds = res.dataset
    for name, cols in CONTRACT.items():
        with (ds / name).open(encoding="utf-8") as f:
            assert next(csv.reader(f)) == cols, name
    deals = rows(ds, "deals.csv")
    assert len(deals) == res.counts["deals"]
    assert len({d["deal_id"] for d in deals}) == len(deals)
    people = {p["name"]: p for p in rows(ds, "people.csv")}
    for d in deals:
        assert d["owner"] in people and people[d["owner"]]["role"] == "rep"
        assert d["team"] == people[d["owner"]]["team"]
        assert ISO_DATE.match(d["created_at"]) and ISO_DATE.match(d["close_date"])
        assert d["status"] in ("open", "won", "lost")
        assert d["created_at"] <= d["close_date"] or d["status"] == "open"
        float(d["amount"])
    for c in rows(ds, "deal_changes.csv"):
        assert ISO_TS.match(c["changed_at"]), c
    for c in rows(ds, "conversations.csv"):
        assert ISO_TS.match(c["started_at"]) and (ds / c["file"]).is_file()
    for e in rows(ds, "org_events.csv"):
        assert ISO_DATE.match(e["date"]) and e["kind"] in ("tool", "process", "targets", "compensation",
                                                           "organisation", "other")
    toml = (ds / "miroir.toml").read_text(encoding="utf-8")
    assert f'language = "{lang}"' in toml and "stages = [" in toml


def test_history_replays_to_the_snapshot(sim_factory) -> None:  # type: ignore[no-untyped-def]
    """The last new_value of every tracked field equals the deals.csv value; old_value chains."""
    ds = sim_factory().dataset
    last: dict[tuple[str, str], str] = {}
    prev_ts: dict[str, str] = {}
    for c in rows(ds, "deal_changes.csv"):
        key = (c["deal_id"], c["field"])
        assert c["old_value"] == last.get(key, ""), c
        assert c["changed_at"] >= prev_ts.get(c["deal_id"], ""), c
        prev_ts[c["deal_id"]] = c["changed_at"]
        last[key] = c["new_value"]
    today = "2026-02-18"
    for d in rows(ds, "deals.csv"):
        for f in ("stage", "amount", "close_date", "forecast_category", "status"):
            assert last[(d["deal_id"], f)] == d[f], (d["deal_id"], f)
        assert prev_ts[d["deal_id"]][:10] <= today
        if d["status"] != "open":
            assert d["close_date"] <= today


def test_forecasts_quotas_and_periods(sim_factory) -> None:  # type: ignore[no-untyped-def]
    ds = sim_factory().dataset
    reps = {p["name"] for p in rows(ds, "people.csv") if p["role"] == "rep"}
    fc = rows(ds, "forecasts.csv")
    assert {f["category"] for f in fc} == {"commit", "best_case", "pipeline"}
    for f in fc:
        assert f["owner"] in reps and re.match(r"^\d{4}-Q[1-4]$", f["period"])
        y, q = int(f["period"][:4]), int(f["period"][-1])
        d = dt.date.fromisoformat(f["submitted_at"])
        assert d.year == y and (d.month - 1) // 3 + 1 == q
    quotas = rows(ds, "quotas.csv")
    assert {q["owner"] for q in quotas} == reps
    assert len({q["period"] for q in quotas}) >= 8  # 8 full quarters + the current one


def test_transcripts_formats_and_speakers(sim_factory) -> None:  # type: ignore[no-untyped-def]
    ds = sim_factory(lang="en").dataset
    people = rows(ds, "people.csv")
    internal = {p["name"] for p in people} | {a for p in people for a in p["aliases"].split(";") if a}
    convs = rows(ds, "conversations.csv")
    exts = {Path(c["file"]).suffix for c in convs}
    assert {".vtt", ".srt", ".txt", ".json"} <= exts
    kinds = {c["kind"] for c in convs}
    assert kinds == {"customer_call", "pipeline_review", "forecast_call"}
    gong = plain = voice = prefix = 0
    for c in convs:
        text = (ds / c["file"]).read_text(encoding="utf-8")
        labels: set[str] = set()
        if c["file"].endswith(".json"):
            doc = json.loads(text)
            if "callTranscripts" in doc:
                gong += 1
                parties = {p["speakerId"]: p for p in doc["parties"]}
                for block in doc["callTranscripts"][0]["transcript"]:
                    p = parties[block["speakerId"]]
                    labels.add(p["name"])
                    assert (p["affiliation"] == "Internal") == (p["name"] in internal)
                    assert all(isinstance(s["start"], int) for s in block["sentences"])
            else:
                plain += 1
                labels = {u["speaker"] for u in doc["utterances"]}
        elif c["file"].endswith(".vtt"):
            assert text.startswith("WEBVTT")
            if "<v " in text:
                voice += 1
                labels = set(re.findall(r"<v ([^>]+)>", text))
            else:
                prefix += 1
                labels = set(re.findall(r"\n([^\n:]+): ", text))
        elif c["file"].endswith(".txt"):
            labels = set(re.findall(r"^\[\d\d:\d\d:\d\d\] ([^:]+): ", text, flags=re.M))
        else:
            labels = set(re.findall(r"\n([^\n:]+): ", text))
        assert labels
        if c["kind"] == "customer_call":
            assert labels - internal, c  # the customer speaks, under a name unknown to people.csv
            assert labels & internal
        else:
            assert labels <= internal, (c, labels - internal)
    assert gong and plain and voice and prefix


def test_reviews_mention_deals_and_calls_link_deals(sim_factory) -> None:  # type: ignore[no-untyped-def]
    ds = sim_factory().dataset
    deals = {d["deal_id"]: d for d in rows(ds, "deals.csv")}
    convs = rows(ds, "conversations.csv")
    with_ids = without = 0
    for c in convs:
        ids = [x for x in c["deal_ids"].split(";") if x]
        assert all(x in deals for x in ids)
        if c["kind"] == "customer_call":
            assert len(ids) == 1
        if c["kind"] == "pipeline_review":
            with_ids += bool(ids)
            without += not ids
            if ids:
                text = (ds / c["file"]).read_text(encoding="utf-8")
                assert all(deals[x]["account"] in text for x in ids)
    assert with_ids and without


def test_default_plants_and_ground_truth_beside(sim_factory) -> None:  # type: ignore[no-untyped-def]
    res = sim_factory()
    gt = json.loads(res.ground_truth_path.read_text(encoding="utf-8"))
    assert res.ground_truth_path.parent == res.dataset.parent
    assert not (res.dataset / "ground_truth.json").exists()
    assert len({g["kind"] for g in gt}) >= 5
    for g in gt:
        assert set(g) == {"kind", "scope", "params"} and g["scope"]["level"] in ("org", "team", "manager", "rep")


def test_null_has_empty_ground_truth(sim_factory) -> None:  # type: ignore[no-untyped-def]
    res = sim_factory(null=True)
    assert json.loads(res.ground_truth_path.read_text(encoding="utf-8")) == []


def test_determinism_byte_identical(tmp_path: Path) -> None:
    a = simulate(tmp_path / "a" / "ds", lang="en", seed=7, scale=0.15, plants=["sandbagging@rep", "low_discovery@rep"])
    b = simulate(tmp_path / "b" / "ds", lang="en", seed=7, scale=0.15, plants=["sandbagging@rep", "low_discovery@rep"])
    c = simulate(tmp_path / "c" / "ds", lang="en", seed=8, scale=0.15, plants=["sandbagging@rep", "low_discovery@rep"])
    da, db, dc = digest(a.dataset), digest(b.dataset), digest(c.dataset)
    assert da == db and len(da) > 20
    assert da != dc
    assert a.ground_truth_path.read_bytes() == b.ground_truth_path.read_bytes()


def test_refuses_to_overwrite_a_foreign_folder(tmp_path: Path) -> None:
    from miroir.errors import UsageError

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("x")
    with pytest.raises(UsageError):
        simulate(tmp_path / "mine", scale=0.1)
