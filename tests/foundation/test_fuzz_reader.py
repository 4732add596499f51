"""Hypothesis: arbitrary bytes and CSV-like text never crash the table reader."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miroir.dataset import read_dataset
from miroir.dataset.spec import SPECS
from miroir.dataset.tables import type_table
from miroir.dataset.tabular import decode_bytes, read_csv_text

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["2026-03-31", "31/03/2026", "12,5", "1.234,56", "won", "open", "Closed Lost", "", "  ",
                     '"', "2026-13-45", "-5", "1e400", "nan", "NULL", "=SUM(A1)", "<script>x</script>"]),
)


@st.composite
def csv_text(draw: st.DrawFn) -> str:
    spec = SPECS[draw(st.sampled_from(sorted(SPECS)))]
    cols = [c.name for c in spec.columns]
    cols = draw(st.lists(st.sampled_from([*cols, "extra col", "Amount", "DEAL_ID"]), min_size=1, max_size=10))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(cols) + 2), max_size=8))
    lines = [sep.join(cols)] + [sep.join(r) for r in rows]
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    text, _ = decode_bytes(data)
    raw = read_csv_text(text, "deals.csv")
    t = type_table(SPECS["deals"], raw, date_order=None)
    assert t.rows_read >= len(t.frame)


@FUZZ
@given(csv_text(), st.sampled_from(sorted(SPECS)))
def test_csv_like_text_never_crashes(text: str, table: str) -> None:
    raw = read_csv_text(text, f"{table}.csv")
    t = type_table(SPECS[table], raw, date_order=None)
    for p in t.problems:
        assert p.render()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_text(), csv_text())
def test_whole_folder_never_crashes(deals: str, other: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "deals.csv").write_text(deals, encoding="utf-8")
        (folder / "deal_changes.csv").write_text(other, encoding="utf-8")
        ds = read_dataset(folder)
        for f in ds.files:
            assert f.rows_read == f.rows_stored + f.rows_rejected
