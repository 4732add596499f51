"""Reader bugs found while proving issue 10, kept fixed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bad_inputs.cases import CASES  # tests/ is on sys.path (rootdir conftest)
from miroir.dataset import read_dataset


def _build(name: str, folder: Path) -> Path:
    next(c for c in CASES if c.name == name).build(folder)
    return folder


def test_empty_cells_are_missing_not_the_text_nan(tmp_path: Path) -> None:
    ds = read_dataset(_build("empty_optional_cells", tmp_path / "d"))
    deals = ds.tables["deals"].set_index("deal_id")
    # Ann's team is empty in people.csv: the deal's team stays empty (it used to become the text "nan")
    assert pd.isna(deals.at["D1", "team"])
    assert deals.at["D2", "team"] == "North"
    # an empty deal_ids cell is not an unknown deal called "nan"
    assert not [p for p in ds.problems if p.code == "unknown_deal"]
    # an empty language cell means "detect it" (it used to leave the language empty on every turn)
    assert ds.tables["conversations"]["language"].tolist() == ["fr"]
    assert ds.utterances["lang"].tolist() == ["fr", "fr"]


def test_errors_beyond_ten_thousand_are_listed_and_rejected(tmp_path: Path) -> None:
    ds = read_dataset(_build("many_bad_dates", tmp_path / "d"))
    bad = [p for p in ds.problems if p.code == "date_invalid" and p.severity == "error"]
    assert len({p.row for p in bad}) == 12_000  # every bad row listed (it used to stop at 10,000 ...)
    assert ds.count("deals") == 2  # ... and store the 2,000 others with an empty required date
    assert ds.tables["deals"]["created_at"].notna().all()
    (f,) = ds.files
    assert (f.rows_read, f.rows_stored, f.rows_rejected) == (12_002, 2, 12_000)


def test_warnings_beyond_the_cap_are_summed_up(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    rows = "".join(f"D{i},Ann,10,S,1900-01-0{1 + i % 9},2026-03-31,open\n" for i in range(10_050))
    (folder / "deals.csv").write_text("deal_id,owner,amount,stage,created_at,close_date,status\n" + rows)
    ds = read_dataset(folder)
    odd = [p for p in ds.problems if p.code == "date_implausible"]
    assert len([p for p in odd if p.row is not None]) == 10_000
    (summary,) = [p for p in odd if p.row is None]
    assert summary.message.startswith("50 more rows")
    assert ds.count("deals") == 10_050  # warnings keep the rows
