"""Intuition lens end to end on simulated organisations (one seed, scale 1; the
multi-seed evaluation is ``bench/intuition_validation.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from miroir.lenses.base import LensContext, LensResult
from miroir.lenses.intuition import IntuitionLens

pytestmark = pytest.mark.slow

PLANTS = ["fragile_deal@org", "org_event_effect@org", "gut_call_accuracy@manager:#1"]


def _annotate(con: duckdb.DuckDBPyConnection) -> None:
    from miroir.language import ENGINE_VERSION, annotate_batch

    u = con.execute("SELECT conversation_id, turn, text, lang, role FROM utterances").df()
    anns = annotate_batch([(t, lg if lg in ("fr", "en") else None, r, None)
                           for t, lg, r in zip(u["text"], u["lang"], u["role"], strict=True)], n_jobs=1)
    df = pd.DataFrame({"conversation_id": u["conversation_id"], "turn": u["turn"],
                       "labels": [list(a.labels) for a in anns],
                       "spans": [json.dumps({k: [list(s) for s in v] for k, v in a.spans.items()}) for a in anns],
                       "engine_version": ENGINE_VERSION, "file_sha256": None})
    con.execute("DELETE FROM annotations")
    con.register("_ann", df)
    con.execute("INSERT INTO annotations SELECT * FROM _ann")
    con.unregister("_ann")


def _run(tmp: Path, *, null: bool, lang: str, seed: int) -> tuple[LensResult, list[dict[str, Any]]]:
    from miroir.diagnose import _load_settings
    from miroir.simulate.core import simulate
    from miroir.store.ingest import ingest_dataset
    from miroir.store.schema import open_store

    sim = simulate(tmp / "data", lang=lang, seed=seed, scale=1.0, plants=None if null else PLANTS, null=null)
    db = tmp / "db.duckdb"
    ingest_dataset(tmp / "data", db)
    con = open_store(db)
    try:
        try:
            from miroir.store.annotations import annotate_store  # type: ignore[import-not-found]

            annotate_store(con)
        except ImportError:
            _annotate(con)
        res = IntuitionLens().run(LensContext(con=con, config=_load_settings(con),
                                              params={"intuition": {"n_boot": 500}}))
    finally:
        con.close()
    return res, json.loads(sim.ground_truth_path.read_text())


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[LensResult, list[dict[str, Any]]]:
    return _run(tmp_path_factory.mktemp("planted"), null=False, lang="en", seed=1)


@pytest.fixture(scope="module")
def null(tmp_path_factory: pytest.TempPathFactory) -> tuple[LensResult, list[dict[str, Any]]]:
    return _run(tmp_path_factory.mktemp("null"), null=True, lang="fr", seed=2)


def test_planted_fragility_validated_and_flagged(planted: tuple[LensResult, list[dict[str, Any]]]) -> None:
    res, _ = planted
    v = res.params["validation"]
    assert v["auc"]["model"][0] >= 0.75
    assert v["auc_gain_vs"]["stage"][1] > 0 and v["auc_gain_vs"]["forecast_category"][1] > 0
    assert v["passed"]
    fragile = [f for f in res.findings if f.kind == "fragile_deal"]
    assert fragile
    for f in fragile:
        assert f.scope.level == "deal"
        assert f.params["signals"] and f.params["statement_fr"]
        assert f.evidence[0].type == "deal" and f.evidence[0].deal_id == f.scope.id
        assert f.effect.ci_low > 0  # risk above its stage's rate
    coefs = res.metrics["fragility_model"].set_index("signal")["coef_per_sd"]
    assert coefs["pushes"] > 0.2  # a planted driver


def test_null_no_fragile_deals(null: tuple[LensResult, list[dict[str, Any]]]) -> None:
    res, _ = null
    v = res.params["validation"]
    lo, hi = v["signal_auc_within_stage"][1], v["signal_auc_within_stage"][2]
    assert lo <= 0.5 <= hi  # the signals discriminate no better than chance within stages
    assert not v["passed"]
    assert not [f for f in res.findings if f.kind == "fragile_deal"]
    assert any(o.reason == "model_not_better" for o in res.observations)


def test_planted_gut_call_precision_recovered(planted: tuple[LensResult, list[dict[str, Any]]]) -> None:
    res, gt = planted
    plant = next(p for p in gt if p["kind"] == "gut_call_accuracy")
    who = plant["scope"]["id"]
    row = res.metrics["gut_calls"].set_index("person").loc[who]
    assert row["bad_when_fragile_low"] <= plant["params"]["planted_precision"] <= row["bad_when_fragile_high"]
    assert any(f.kind == "intuition_calibration" and f.scope.id == who for f in res.findings)


def test_planted_org_event_effect_and_placebo(planted: tuple[LensResult, list[dict[str, Any]]]) -> None:
    res, gt = planted
    plant = next(p for p in gt if p["kind"] == "org_event_effect")
    t = res.metrics["org_event_effects"]
    real = t[(t["event_date"] == plant["params"]["event_date"]) & ~t["placebo"]].set_index("metric")
    assert real.loc["discount_depth", "ci_low"] > 0  # the comp plan deepened period-end discounts
    assert real.loc["pressure_density", "ci_low"] > 0  # and review pressure
    found = {f.params.get("metric") for f in res.findings if f.kind == "org_change_effect"}
    assert found & {"discount_depth", "pressure_density"}
    placebo = t[t["placebo"] & t["metric"].isin(["discount_depth", "pressure_density"])]
    assert len(placebo) and (placebo["q_bh"] >= 0.05).all()
    for date in plant["params"]["placebo_events"]:  # the events that changed nothing
        assert not [f for f in res.findings if f.kind == "org_change_effect" and f.params.get("event_date") == date
                    and f.params.get("metric") in ("discount_depth", "pressure_density")]
