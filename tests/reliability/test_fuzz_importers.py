"""Bounded fuzzing of every importer: arbitrary content in their input files parses or raises MiroirError.

Long runs: ``bench/fuzz_long.py``. Strategies and targets: ``fuzz_targets.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fuzz_targets import MAVEN, TARGETS, run_target

# salesforce runs the whole import (about 0.5 s per input): fewer examples there
EXAMPLES = {"salesforce": 8, "hubspot": 15, "gong": 25, "meetings": 20, "csv_mapping": 15, "dataset": 15}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_importer_never_crashes(name: str) -> None:
    target = TARGETS[name]
    if name == "csv_mapping" and not MAVEN.exists():
        pytest.fail(f"Maven export not found at {MAVEN}")

    @settings(max_examples=EXAMPLES[name], deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def check(data: st.DataObject) -> None:
        value: Any = data.draw(target.strategy)
        assert run_target(target, value) in ("ok", "refused")

    check()


def test_fixture_inputs_import_cleanly() -> None:
    """The unmutated fixtures are accepted (so the fuzzers start from inputs that get deep)."""
    from .fuzz_targets import FIXTURES, GONG, HS, SF, run_gong, run_hubspot, run_salesforce

    for run, folder in ((run_salesforce, SF), (run_hubspot, HS), (run_gong, GONG)):
        files: dict[str, str | bytes] = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
        with tempfile.TemporaryDirectory() as d:
            run(files, Path(d))
    assert FIXTURES.exists()


# Crashes found by bench/fuzz_long.py in code owned by other issues (reported; kept here, minimal).
# Both come from importers/_common.py:read_export_csv (see the issue-10 report).


def test_hubspot_rows_with_an_extra_field() -> None:
    from .fuzz_targets import TARGETS

    csv_text = "Record ID,Deal Name,Deal Stage,Amount\n1,A,closedwon,10,x\n1,B,closedwon,20,y\n"
    assert run_target(TARGETS["hubspot"], {"deals.csv": csv_text}) in ("ok", "refused")


def test_meetings_people_file_with_a_malformed_line() -> None:
    from .fuzz_targets import TARGETS

    people = "name,role,team,manager,aliases\nAnn Lee,rep\n,,,,,\n"
    vtt = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann Lee>Hi\n"
    assert run_target(TARGETS["meetings"], {"a.vtt": vtt, "people.csv": people}) in ("ok", "refused")


def test_read_export_csv_never_shifts_columns() -> None:
    """A row longer than the header is reported (or kept in place), never read with its columns shifted."""
    from miroir.importers._common import read_export_csv

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.csv"
        p.write_text("a,b\n1,2,3\n4,5,6\n")
        got = read_export_csv(p)
        assert [r["a"] for r in got.frame.to_dict("records")] in ([], ["1", "4"])
        assert got.problems, "the extra fields must be reported"
