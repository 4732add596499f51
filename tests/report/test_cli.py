"""`miroir report OUT_DIR`: re-render from findings.json and the store, without recomputing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from miroir.cli.report import rerender, store_path
from miroir.errors import MiroirError

from .sample import sample_doc, sample_store
from .test_pseudonymise import leaked
from .test_render import body_of


def make_out(tmp_path: Path) -> Path:
    """A diagnosis folder whose findings.json points at a dataset with a store on disk."""
    dataset = tmp_path / "dataset"
    db = dataset / ".miroir" / "miroir.duckdb"
    db.parent.mkdir(parents=True)
    mem = sample_store()
    mem.execute(f"ATTACH '{db}' AS disk")
    mem.execute("COPY FROM DATABASE memory TO disk")
    mem.execute("DETACH disk")
    out = tmp_path / "out"
    (out / "metrics").mkdir(parents=True)
    (out / "findings.json").write_text(json.dumps(sample_doc(str(dataset)), ensure_ascii=False), encoding="utf-8")
    acc = mem.execute("SELECT * FROM metric_forecast_accuracy").df()
    acc.to_parquet(out / "metrics" / "metric_forecast_accuracy.parquet", index=False)
    acc.to_csv(out / "metrics" / "metric_forecast_accuracy.csv", index=False)
    return out


def test_rerender_fr_with_store_and_xlsx(tmp_path: Path) -> None:
    out = make_out(tmp_path)
    before = (out / "findings.json").read_text(encoding="utf-8")
    written = rerender(out, lang="fr", xlsx=True)
    assert {p.name for p in written} == {"report.html", "miroir.xlsx"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Qu&#x27;est-ce que notre système optimise" in html
    assert "Précision des prévisions" in html  # symptom read from the store's metric tables
    assert "close date before creation date" in html  # problems table of the store
    assert (out / "findings.json").read_text(encoding="utf-8") == before  # nothing recomputed or rewritten
    wb = load_workbook(out / "miroir.xlsx", read_only=True)
    assert "forecast_accuracy" in wb.sheetnames and "slippage" in "".join(wb.sheetnames)


def test_rerender_pseudonymised_rewrites_every_output(tmp_path: Path) -> None:
    out = make_out(tmp_path)
    rerender(out, lang="en", pseudonymise=True, xlsx=True)
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["pseudonymised"] is True
    doc["dataset"]["path"] = ""
    assert leaked(json.dumps(doc, ensure_ascii=False)) == []
    assert leaked(body_of((out / "report.html").read_text(encoding="utf-8"))) == []
    assert leaked((out / "metrics" / "metric_forecast_accuracy.csv").read_text(encoding="utf-8")) == []
    import pandas as pd

    assert "Rep 01" in set(pd.read_parquet(out / "metrics" / "metric_forecast_accuracy.parquet")["owner"].dropna())
    wb = load_workbook(out / "miroir.xlsx", read_only=True)
    cells = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
    assert leaked(cells) == []
    # re-rendering again keeps the same pseudonyms
    html1 = (out / "report.html").read_text(encoding="utf-8")
    rerender(out, lang="en")
    assert (out / "report.html").read_text(encoding="utf-8") == html1


def test_without_store_renders_from_json_only(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "findings.json").write_text(json.dumps(sample_doc(str(tmp_path / "gone"))), encoding="utf-8")
    rerender(out, lang="en")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Discounts deepen" in html and "Forecast accuracy" not in html


def test_errors_are_actionable(tmp_path: Path) -> None:
    with pytest.raises(MiroirError, match="no findings.json") as e:
        rerender(tmp_path)
    assert "miroir diagnose" in e.value.remedy
    (tmp_path / "findings.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(MiroirError, match="not valid JSON"):
        rerender(tmp_path)
    (tmp_path / "findings.json").write_text("[]", encoding="utf-8")
    with pytest.raises(MiroirError, match="not a miroir diagnosis"):
        rerender(tmp_path)


def test_store_path() -> None:
    assert store_path({"dataset": {"path": "/d"}}) == Path("/d/.miroir/miroir.duckdb")
    assert store_path({"dataset": {"path": "/d", "store": "/s.duckdb"}}) == Path("/s.duckdb")
    assert store_path({}) is None


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from miroir.cli.main import main

    out = make_out(tmp_path)
    main(["report", str(out), "--lang", "en"])
    assert (out / "report.html").exists()
    with pytest.raises(SystemExit) as e:
        main(["report", str(tmp_path / "nowhere")])
    assert e.value.code == 1
    with pytest.raises(SystemExit) as e:
        main(["report", str(out), "--lang", "de"])
    assert e.value.code == 2
