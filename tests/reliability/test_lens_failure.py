"""A crash in one lens never loses the others; the failure is recorded with its reason and reported."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

from miroir.lenses.base import Lens, LensContext, LensResult
from miroir.lenses.runner import run_lenses
from miroir.models import Observation, Scope
from miroir.store.schema import memory_store


class WonByOwner(Lens):
    """A small honest lens: won deals per owner, as a metric table and one observation per owner."""

    name = "won_by_owner"
    requires: ClassVar[tuple[str, ...]] = ("deals",)

    def run(self, ctx: LensContext) -> LensResult:
        t = ctx.df("SELECT owner, count(*) AS won FROM deals WHERE status = 'won' GROUP BY owner ORDER BY owner")
        obs = [Observation(lens=self.name, kind=None, scope=Scope("rep", str(o)), statement=f"{o} won {n}",
                           reason="test", n=int(n)) for o, n in t.itertuples(index=False)]
        return LensResult(observations=obs, metrics={"won": t})


class Boom(Lens):
    name = "boom"
    requires: ClassVar[tuple[str, ...]] = ("deals",)

    def run(self, ctx: LensContext) -> LensResult:
        n = ctx.count("deals")
        raise RuntimeError(f"boom after reading {n} deals <script>")


class EmptyMetric(Lens):
    """Returns a metric table with no column (as the forecast lens does when a test has no data)."""

    name = "empty_metric"
    requires: ClassVar[tuple[str, ...]] = ("deals",)

    def run(self, ctx: LensContext) -> LensResult:
        return LensResult(metrics={"nothing": pd.DataFrame()})


def _ctx() -> LensContext:
    con = memory_store()
    con.execute("INSERT INTO deals (deal_id, owner, amount, stage, status) VALUES "
                "('D1', 'Ann', 10, 'Won', 'won'), ('D2', 'Ann', 20, 'Won', 'won'), "
                "('D3', 'Bob', 30, 'Won', 'won'), ('D4', 'Bob', 5, 'Lost', 'lost')")
    return LensContext(con=con)


def test_failing_lens_between_two_good_ones() -> None:
    ctx = _ctx()
    out = run_lenses(ctx, [WonByOwner(), Boom(), _Renamed()])
    assert out.lenses_run == ["won_by_owner", "won_by_owner_2"]
    assert out.lenses_failed == [{"lens": "boom", "error": "RuntimeError: boom after reading 4 deals <script>"}]
    assert [(s.lens, s.reason) for s in out.lenses_skipped] == [
        ("boom", "failed: RuntimeError: boom after reading 4 deals <script>")]
    # the good lenses' results are all there: Ann won 2, Bob won 1 (counted by hand above)
    assert [o.statement for o in out.observations] == ["Ann won 2", "Bob won 1"] * 2
    for key in ("metric_won_by_owner_won", "metric_won_by_owner_2_won"):
        assert ctx.con.execute(f"SELECT owner, won FROM {key} ORDER BY owner").fetchall() == [("Ann", 2), ("Bob", 1)]


class _Renamed(WonByOwner):
    name = "won_by_owner_2"


def test_debug_mode_reraises() -> None:
    with pytest.raises(RuntimeError, match="boom"):
        run_lenses(_ctx(), [Boom()], debug=True)


def test_unstorable_metric_does_not_lose_the_others() -> None:
    ctx = _ctx()
    out = run_lenses(ctx, [EmptyMetric(), WonByOwner()])
    assert "won_by_owner" in out.lenses_run


@pytest.mark.slow
def test_diagnosis_reports_the_failed_lens_and_keeps_the_others(crm_org: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import miroir.lenses.runner as runner
    from miroir.diagnose import diagnose
    from miroir.lenses.incentives import IncentivesLens
    from miroir.lenses.pipeline import PipelineLens

    db = tmp_path / "s.duckdb"
    monkeypatch.setattr(runner, "all_lenses", lambda: [PipelineLens(), IncentivesLens()])
    ok = diagnose(crm_org, tmp_path / "ok", lang="fr", db=db)
    monkeypatch.setattr(runner, "all_lenses", lambda: [PipelineLens(), Boom(), IncentivesLens()])
    bad = diagnose(crm_org, tmp_path / "bad", lang="fr", db=db)

    doc = json.loads((tmp_path / "bad" / "findings.json").read_text(encoding="utf-8"))
    assert doc["lenses_failed"] == bad.doc["lenses_failed"]
    reason = f"RuntimeError: boom after reading {ok.doc['dataset']['deals']} deals <script>"
    assert doc["lenses_failed"] == [{"lens": "boom", "error": reason}]
    assert doc["lenses_run"] == ["pipeline", "incentives"]
    assert ok.doc["findings"], "the simulated organisation should give at least one finding"
    # the other lenses' findings, observations and metrics are exactly those of a run without the failure
    for key in ("findings", "observations", "optimizing_for", "methods"):
        assert doc[key] == ok.doc[key], key
    assert sorted(p.name for p in (tmp_path / "bad" / "metrics").iterdir()) == sorted(
        p.name for p in (tmp_path / "ok" / "metrics").iterdir())
    report = (tmp_path / "bad" / "report.html").read_text(encoding="utf-8")
    assert "boom" in report and html.escape(reason, quote=False) in report
    assert "deals <script>" not in report  # escaped
