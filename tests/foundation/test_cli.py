"""CLI behaviour: exit codes, messages, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .test_reader import messy  # noqa: F401


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "miroir.cli.main", *args], capture_output=True, text=True,
                          timeout=120)


def test_validate_messy_exit_1_with_precise_messages(messy: Path):  # noqa: F811
    r = run("validate", str(messy), "--all")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert "deals.csv, row 3, column 'created_at': not a valid date" in r.stdout
    assert "forecasts.csv" in r.stdout and "required column 'category' is missing" in r.stdout
    assert "deal_changes.csv, row 2, column 'deal_id'" in r.stdout


def test_validate_clean_exit_0(tmp_path: Path):
    (tmp_path / "deals.csv").write_text("deal_id,owner,amount,stage,created_at,close_date,status\n"
                                        "D1,Ann,10,S1,2026-01-01,2026-02-01,open\n")
    r = run("validate", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr


def test_missing_folder_exit_1_no_traceback(tmp_path: Path):
    r = run("validate", str(tmp_path / "nowhere"))
    assert r.returncode == 1 and "Traceback" not in r.stderr and "What to do" in r.stderr


def test_usage_error_exit_2():
    r = run("validate")
    assert r.returncode == 2
    r = run("no-such-command")
    assert r.returncode == 2


def test_ingest_cli_twice(messy: Path, tmp_path: Path):  # noqa: F811
    db = tmp_path / "x.duckdb"
    r1 = run("ingest", str(messy), "--db", str(db))
    assert r1.returncode == 0, r1.stderr
    r2 = run("ingest", str(messy), "--db", str(db))
    assert r2.returncode == 0 and "Unchanged" in r2.stdout
