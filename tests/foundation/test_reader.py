"""Dataset folder reading and validation on small messy folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from miroir.dataset import read_dataset
from miroir.dataset.coerce import parse_dates, parse_numbers
from miroir.errors import MiroirError

PEOPLE = "name,role,team,manager,aliases\nAlice Martin,rep,Sud,Bruno Roy,Alice;A. Martin\nBruno Roy,manager,Sud,,\n"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> None:
    (folder / name).write_bytes(text.encode(encoding))


def test_parse_numbers_formats():
    import pandas as pd

    probs: list = []
    s = pd.Series(["12 500,50", "1.234,5", "12,500.50", "1,234", "€ 99", "", "abc", "(12)"], index=range(1, 9))
    out = parse_numbers(s, file="f", column="amount", decimal_comma=False, problems=probs)
    assert out.tolist()[:5] == [12500.5, 1234.5, 12500.5, 1234.0, 99.0]
    assert pd.isna(out[6]) and out[8] == -12
    assert [p.row for p in probs] == [7]
    probs = []
    out = parse_numbers(pd.Series(["1,5", "1 234,75"]), file="f", column="a", decimal_comma=True, problems=probs)
    assert out.tolist() == [1.5, 1234.75] and not probs


def test_parse_dates_iso_dayfirst_and_ambiguous():
    import pandas as pd

    probs: list = []
    out = parse_dates(pd.Series(["2026-03-31", "2026-03-31T16:05:00Z", "31/03/2026", "05/04/2026"], index=[1, 2, 3, 4]),
                      file="f", column="d", date_order=None, with_time=True, problems=probs)
    assert not probs
    assert str(out[3].date()) == "2026-03-31" and str(out[4].date()) == "2026-04-05"  # day-first: 31 > 12
    probs = []
    out = parse_dates(pd.Series(["05/04/2026", "06/04/2026"]), file="f", column="d", date_order=None,
                      with_time=False, problems=probs)
    assert {p.code for p in probs} == {"date_ambiguous"} and out.isna().all()
    probs = []
    out = parse_dates(pd.Series(["05/04/2026"]), file="f", column="d", date_order="mdy", with_time=False,
                      problems=probs)
    assert str(out[0].date()) == "2026-05-04" and not probs
    probs = []
    parse_dates(pd.Series(["1900-01-01", "not a date"], index=[1, 2]), file="f", column="d", date_order=None,
                with_time=False, problems=probs)
    assert {(p.row, p.severity, p.code) for p in probs} == {(1, "warning", "date_implausible"),
                                                             (2, "error", "date_invalid")}


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    d = tmp_path / "messy"
    d.mkdir()
    write(d, "people.csv", PEOPLE)
    # Windows-1252, semicolons, decimal commas
    write(d, "deals.csv",
          "deal_id;name;account;owner;amount;stage;created_at;close_date;status;discount_pct\n"
          "D1;Déploiement;Société Générale;Alice Martin;12 500,50;Négociation;2026-01-05;2026-03-31;open;5,5\n"
          "D2;Renouvellement;Crédit Agricole;Alice Martin;8000;Gagné;2026-01-10;2026-02-28;won;\n"
          "D3;Extension;Orange;Alice Martin;3000,0;Proposition;2026-13-45;2026-03-15;open;\n",
          encoding="cp1252")
    write(d, "deal_changes.csv",
          "deal_id,changed_at,field,old_value,new_value\n"
          "D1,2026-02-01T10:00:00Z,close_date,2026-02-28,2026-03-31\n"
          "D9,2026-02-02,stage,Proposition,Négociation\n"
          "D2,2026-02-20,Stage,Négociation,Gagné\n")
    write(d, "forecasts.csv", "owner,period,submitted_at,amount\nAlice Martin,2026-Q1,2026-01-15,10000\n")
    (d / "transcripts").mkdir()
    write(d, "transcripts/empty.txt", "")
    write(d, "transcripts/ok.txt", "Alice Martin: Bonjour, qui signe chez vous ?\nJean Client: C'est le DG.\n")
    write(d, "conversations.csv",
          "conversation_id,kind,started_at,file,deal_ids\n"
          "C1,customer_call,2026-02-01T10:00:00,transcripts/empty.txt,D1\n"
          "C2,customer_call,2026-02-03T10:00:00,transcripts/ok.txt,D1\n"
          "C3,customer_call,2026-02-03T10:00:00,../../etc/passwd,D1\n")
    return d


def test_messy_folder_reports_every_problem(messy: Path):
    ds = read_dataset(messy)
    msgs = [p.render() for p in ds.problems]
    by_code = {p.code: p for p in ds.problems}
    # wrong date format: file, row, column, expected
    bad_date = by_code["date_invalid"]
    assert (bad_date.file, bad_date.row, bad_date.column) == ("deals.csv", 3, "created_at")
    assert "ISO 8601" in bad_date.expected
    # missing required column
    miss = by_code["missing_column"]
    assert miss.file == "forecasts.csv" and miss.column == "category" and miss.remedy
    # unknown deal id in deal_changes
    unk = [p for p in ds.problems if p.code == "unknown_deal" and p.table == "deal_changes"]
    assert len(unk) == 1 and unk[0].row == 2 and unk[0].value == "D9"
    # empty transcript: a precise warning, conversation kept without utterances
    empty = [p for p in ds.problems if p.file == "transcripts/empty.txt"]
    assert empty and "no speaker turns" in empty[0].message
    # path outside the dataset folder
    assert any(p.code == "transcript_path" and p.row == 3 and "outside" in p.message for p in ds.problems)
    # good rows still usable: cp1252 accents and decimal commas read right
    deals = ds.tables["deals"].set_index("deal_id")
    assert list(deals.index) == ["D1", "D2"]
    assert deals.at["D1", "amount"] == 12500.5 and deals.at["D1", "discount_pct"] == 5.5
    assert deals.at["D1", "account"] == "Société Générale"
    assert deals.at["D1", "team"] == "Sud"  # from people
    dc = ds.tables["deal_changes"]
    assert len(dc) == 2 and set(dc["field"]) == {"close_date", "stage"}
    assert set(ds.tables["conversations"]["conversation_id"]) == {"C1", "C2"}
    u = ds.utterances
    assert list(u["role"]) == ["rep", "customer"] and list(u["person_id"])[0] == "Alice Martin"
    assert set(u["lang"]) == {"fr"}
    assert all(m for m in msgs)


def test_accounting_rows_read_equal_stored_plus_rejected(messy: Path):
    ds = read_dataset(messy)
    for f in ds.files:
        assert f.rows_read == f.rows_stored + f.rows_rejected, f


def test_missing_folder_is_an_actionable_error(tmp_path: Path):
    with pytest.raises(MiroirError) as err:
        read_dataset(tmp_path / "nope")
    assert "not found" in str(err.value) and err.value.remedy


def test_missing_deals_table(tmp_path: Path):
    write(tmp_path, "people.csv", PEOPLE)
    ds = read_dataset(tmp_path)
    assert not ds.usable and any(p.code == "missing_table" for p in ds.problems)


def test_xlsx_and_parquet_tables(tmp_path: Path):
    import pandas as pd

    deals = pd.DataFrame({"Deal_ID": ["D1", "D2"], "Owner": ["A", "B"], "Amount": [100.0, 200.0],
                          "Stage": ["x", "y"], "Created_At": pd.to_datetime(["2026-01-01", "2026-01-02"]),
                          "Close_Date": pd.to_datetime(["2026-02-01", "2026-02-02"]), "Status": ["Open", "Won"],
                          "Region": ["N", "S"]})
    deals.to_excel(tmp_path / "deals.xlsx", index=False)
    ds = read_dataset(tmp_path)
    assert ds.count("deals") == 2 and not ds.errors
    assert '"Region": "N"' in ds.tables["deals"]["extra"].iloc[0]
    (tmp_path / "deals.xlsx").unlink()
    deals.to_parquet(tmp_path / "deals.parquet")
    ds = read_dataset(tmp_path)
    assert ds.count("deals") == 2 and not ds.errors
    assert ds.tables["deals"]["status"].tolist() == ["open", "won"]
