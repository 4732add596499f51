"""The Excel workbook: findings, evidence, statements, metric tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from miroir.report.export import sheet_name, write_xlsx

from .sample import sample_doc


def test_workbook_readable(tmp_path: Path) -> None:
    doc = sample_doc()
    metrics = {
        "metric_forecast_accuracy": pd.DataFrame({"period": ["2025-Q1", "2025-Q2"], "accuracy": [0.8, np.nan],
                                                  "at": pd.to_datetime(["2025-03-31", "2025-06-30"], utc=True)}),
        "metric_pipeline_a_very_long_table_name_beyond_31_chars_1": pd.DataFrame({"x": [1], "bad": ["a\x01b"]}),
        "metric_pipeline_a_very_long_table_name_beyond_31_chars_2": pd.DataFrame({"d": [dt.date(2025, 1, 1)]}),
    }
    path = write_xlsx(doc, metrics, tmp_path / "out" / "miroir.xlsx")
    wb = load_workbook(path, read_only=True)
    names = wb.sheetnames
    assert names[:5] == ["README", "Findings", "Evidence", "Optimising for", "Not assessed"]
    assert len(names) == 8 and len(set(n.lower() for n in names)) == 8 and all(len(n) <= 31 for n in names)
    rows = list(wb["Findings"].iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "kind", "lens")
    assert [r[0] for r in rows[1:]] == [f["id"] for f in doc["findings"]]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["effect"] == 5.8 and first["ci_low"] == 3.1 and first["n"] == 214 and first["scope_id"] == "Sud"
    ev = list(wb["Evidence"].iter_rows(values_only=True))
    assert len(ev) - 1 == sum(len(f["evidence"]) for f in doc["findings"])
    quotes = " ".join(str(r[11]) for r in ev[1:] if len(r) > 11 and r[11])
    assert "[phone]" in quotes and "06 12 34 56 78" not in quotes
    acc = list(wb["forecast_accuracy"].iter_rows(values_only=True))
    assert acc[0] == ("period", "accuracy", "at") and acc[1][1] == 0.8 and acc[2][1] is None
    assert acc[1][2] == dt.datetime(2025, 3, 31)
    long1 = list(wb["pipeline_a_very_long_table_name"].iter_rows(values_only=True))
    assert long1 == [("x", "bad"), (1, "ab")]  # control character removed
    st = list(wb["Optimising for"].iter_rows(values_only=True))
    assert len(st) - 1 == len(doc["optimizing_for"])
    readme = list(wb["README"].iter_rows(values_only=True))
    assert any(r and r[0] == "Findings" and r[2] == len(doc["findings"]) for r in readme)


def test_sheet_names_unique() -> None:
    used: set[str] = set()
    a = sheet_name("metric_" + "x" * 40, used)
    b = sheet_name("metric_" + "x" * 41, used)
    c = sheet_name("metric_a/b:c", used)
    assert a == "x" * 31 and b == "x" * 29 + "~2" and c == "a_b_c"


def test_frame_rows_types() -> None:
    from miroir.report.export import _frame_rows

    df = pd.DataFrame({"i": pd.array([1, None], dtype="Int64"), "b": [True, False], "f": [1.5, np.inf],
                       "s": ["x", None], "o": [{"a": 1}, [1, 2]],
                       "t": pd.to_datetime(["2025-01-01 10:00", None])})
    assert _frame_rows(df) == [[1, True, 1.5, "x", "{'a': 1}", dt.datetime(2025, 1, 1, 10)],
                               [None, False, None, None, "[1, 2]", None]]
