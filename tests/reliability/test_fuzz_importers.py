"""Bounded fuzzing of every importer: arbitrary content in their input files parses or raises MiroirError.

Long runs: ``bench/fuzz_long.py``. Strategies and targets: ``fuzz_targets.py``.
"""

from __future__ import annotations

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

    @settings(max_examples=EXAMPLES[name], deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def check(data: st.DataObject) -> None:
        value: Any = data.draw(target.strategy)
        assert run_target(target, value) in ("ok", "refused")

    check()


def test_fixture_inputs_import_cleanly() -> None:
    """The unmutated fixtures are accepted (so the fuzzers start from inputs that get deep)."""
    from .fuzz_targets import FIXTURES, GONG, HS, SF, run_gong, run_hubspot, run_salesforce

    import tempfile
    from pathlib import Path

    for run, folder in ((run_salesforce, SF), (run_hubspot, HS), (run_gong, GONG)):
        files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
        with tempfile.TemporaryDirectory() as d:
            run(files, Path(d))
    assert FIXTURES.exists()
