"""kill -9 in the middle of an ingest leaves the store exactly as it was, and the next ingest completes.

A smaller version of the folder (30,000 history rows) is ingested first; then the folder grows to
300,000 history rows and a new ingest is killed with SIGKILL:

1. deterministically inside the transaction: the CLI runs with ``_insert`` wrapped so that, once the
   300,000 history rows are inserted (and spilled to the database file) but before COMMIT, it writes a
   marker file and waits; the test kills it as soon as the marker appears;
2. at an arbitrary moment of the write phase of the plain CLI: killed as soon as the store files
   start to change (inside the transaction, at COMMIT or during the checkpoint): the store is then
   either exactly as before or exactly the completed ingest, never a mix.

Then a plain ``miroir ingest`` completes with every row.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from miroir.store.ingest import folder_fingerprint

from .datagen import build_crm, write_deal_changes
from .store_snapshot import setting, store_snapshot

N_DEALS = 20_000
SMALL, BIG = 30_000, 300_000

BOOT = r"""
import sys, time
from pathlib import Path
import miroir.store.ingest as ing
marker = Path(sys.argv.pop(1))
real = ing._insert
def held_insert(con, table, frame):
    n = real(con, table, frame)
    if table == "deal_changes":
        marker.write_text(str(n))
        time.sleep(600)
    return n
ing._insert = held_insert
from miroir.cli.main import main
main(sys.argv[1:])
"""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "miroir.cli.main", *args]


def _wait_for(cond, proc: subprocess.Popen[bytes], timeout: float, poll: float = 0.02) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(poll)
    return False


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _sizes(db: Path) -> tuple[int, int]:
    wal = Path(str(db) + ".wal")
    return (db.stat().st_size if db.exists() else -1, wal.stat().st_size if wal.exists() else -1)


@pytest.mark.slow
def test_sigkill_mid_ingest_leaves_store_as_before(tmp_path: Path) -> None:
    ds = build_crm(tmp_path / "ds", N_DEALS, SMALL)
    db = tmp_path / "store.duckdb"
    r = subprocess.run(_cli("ingest", str(ds), "--db", str(db)), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    before = store_snapshot(db)
    assert before["deal_changes"][0] == SMALL and before["deals"][0] == N_DEALS
    old_fp = setting(db, "fingerprint")

    time.sleep(0.01)
    write_deal_changes(ds, BIG, N_DEALS)  # the same folder, grown ten-fold

    # 1. killed inside the transaction, after the big insert, before COMMIT
    marker = tmp_path / "inside.txt"
    proc = subprocess.Popen([sys.executable, "-c", BOOT, str(marker), "ingest", str(ds), "--db", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        reached = _wait_for(marker.exists, proc, timeout=240)
        assert reached, f"the ingest never reached the write phase: {proc.stderr.read() if proc.stderr else ''!r}"
        assert marker.read_text() == str(BIG)
    finally:
        if proc.poll() is None:
            _kill(proc)
    assert store_snapshot(db) == before, "a kill -9 inside the transaction changed the store"
    assert setting(db, "fingerprint") == old_fp

    # 2. the plain CLI killed as soon as the store files start changing (write phase, commit or checkpoint)
    base = _sizes(db)
    proc = subprocess.Popen(_cli("ingest", str(ds), "--db", str(db)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: _sizes(db) != base, proc, timeout=240, poll=0.01)
    finally:
        if proc.poll() is None:
            _kill(proc)
    mid = store_snapshot(db)
    assert mid["deal_changes"][0] in (SMALL, BIG), mid["deal_changes"]

    # 3. the next ingest completes
    r = subprocess.run(_cli("ingest", str(ds), "--db", str(db)), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    after = store_snapshot(db)
    assert after["deal_changes"][0] == BIG and after["deals"][0] == N_DEALS
    assert setting(db, "fingerprint") == folder_fingerprint(ds, keep_pii=False)
    # the interrupted run left either the old store or the complete new one, never a mix
    assert mid in (before, after), "a kill -9 during the write phase left a partial store"
