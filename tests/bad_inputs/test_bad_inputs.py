"""Every case of the bad-input catalogue: a precise problem, never a traceback, never a silent drop."""

from __future__ import annotations

from pathlib import Path

import pytest

from miroir.dataset import read_dataset

from .cases import CASES, Case


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=[pytest.mark.slow] if c.slow else [])
                                  for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / case.name
    case.build(folder)
    ds = read_dataset(folder)
    codes = {p.code for p in ds.problems}
    for code in case.expect_codes:
        assert code in codes, f"{case.name}: expected a '{code}' problem, got {sorted(codes)}"
    for p in ds.problems:
        text = p.render()
        assert p.file and text and "Traceback" not in text
    if case.deals_stored is not None:
        assert ds.count("deals") == case.deals_stored
    for f in ds.files:
        assert f.rows_read == f.rows_stored + f.rows_rejected, f


def test_docs_table_is_current() -> None:
    from .cases import markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "bad-inputs.md"
    assert doc.read_text(encoding="utf-8") == markdown(), "regenerate: python -m tests.bad_inputs.cases"


def test_script_name_escaped_in_store_text(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    next(c for c in CASES if c.name == "html_names").build(folder)
    ds = read_dataset(folder)
    assert ds.tables["deals"]["owner"].iloc[0] == "<script>alert(1)</script>"  # data kept as is, escaped on output
