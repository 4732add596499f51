"""The streaming XLSX writer: every cell type round-trips through openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from miroir.report.xlsx_writer import XlsxWriter, _col


def test_column_letters() -> None:
    assert [_col(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_round_trip_types_and_sheets(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    w = XlsxWriter(path)
    when = dt.datetime(2026, 3, 31, 17, 45, 30)
    rows = [
        [1, 2.5, True, None, "a & b < c > d \"q\"", when, dt.date(2026, 1, 2)],
        [-7, float("nan"), False, "", "  padded ", None, None],
        ["Société Générale — 50 k€", 10**12, 0.1, None, None, None, None],
    ]
    assert w.add_sheet("Data & more", ["int", "float", "bool", "none", "text", "when", "day"], rows) == 4
    wide = [list(range(30))]
    w.add_sheet("Wide", [f"c{i}" for i in range(30)], wide)
    w.add_sheet("README", [], [["no header", 1], []])
    w.close()
    wb = load_workbook(path)
    assert wb.sheetnames == ["Data & more", "Wide", "README"]
    ws = wb["Data & more"]
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert got[0] == ["int", "float", "bool", "none", "text", "when", "day"]
    assert ws["A1"].font.b
    assert got[1][:5] == [1, 2.5, True, None, "a & b < c > d \"q\""]
    assert got[1][5] == when
    assert got[1][6] == dt.datetime(2026, 1, 2)  # openpyxl reads a date-formatted serial as datetime
    assert got[2][:3] == [-7, None, False]  # NaN is written as an empty cell
    assert got[2][4] == "  padded "  # surrounding spaces kept
    assert got[3][:3] == ["Société Générale — 50 k€", 10**12, 0.1]
    assert [c.value for c in wb["Wide"][2]] == list(range(30))
    assert wb["Wide"]["AD1"].value == "c29"
    assert [list(r) for r in wb["README"].iter_rows(values_only=True)][0] == ["no header", 1]
