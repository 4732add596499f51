"""Ingest into the store: idempotent, changed files replace their rows, atomic."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import duckdb
import pytest

from miroir.store.ingest import ingest_dataset
from miroir.store.schema import CANONICAL_TABLES

from .test_reader import messy  # noqa: F401  (fixture)


def snapshot(db: Path) -> dict[str, tuple[int, str]]:
    con = duckdb.connect(str(db), read_only=True)
    out = {}
    for t in (*CANONICAL_TABLES, "utterances", "problems", "stages"):
        rows = con.execute(f"SELECT * FROM {t}").fetchall()
        rows = sorted(map(repr, rows))
        out[t] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    con.close()
    return out


def test_ingest_twice_identical(messy: Path, tmp_path: Path):  # noqa: F811
    db = tmp_path / "s.duckdb"
    r1 = ingest_dataset(messy, db)
    assert not r1.skipped and r1.counts["deals"] == 2 and r1.counts["utterances"] == 2
    s1 = snapshot(db)
    r2 = ingest_dataset(messy, db)
    assert r2.skipped and r2.counts == r1.counts
    assert snapshot(db) == s1
    r3 = ingest_dataset(messy, db, force=True)  # a full re-read gives the same rows, no duplicates
    assert not r3.skipped
    assert snapshot(db) == s1


def test_changed_file_replaces_its_rows(messy: Path, tmp_path: Path):  # noqa: F811
    db = tmp_path / "s.duckdb"
    ingest_dataset(messy, db)
    time.sleep(0.01)
    text = (messy / "deal_changes.csv").read_text()
    (messy / "deal_changes.csv").write_text(text + "D1,2026-03-01,amount,12500.5,15000\n")
    r = ingest_dataset(messy, db)
    assert not r.skipped and r.counts["deal_changes"] == 3
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM deals").fetchone()[0] == 2
    assert con.execute("SELECT new_value FROM deal_changes WHERE field='amount'").fetchone()[0] == "15000.0"
    con.close()


def test_failed_ingest_leaves_store_as_before(messy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    db = tmp_path / "s.duckdb"
    ingest_dataset(messy, db)
    before = snapshot(db)
    (messy / "deals.csv").write_text((messy / "deals.csv").read_text(encoding="cp1252").replace("D2", "D7"))
    import miroir.store.ingest as ing

    real = ing._insert
    calls = {"n": 0}

    def boom(con, table, frame):  # fail in the middle of the transaction
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(con, table, frame)

    monkeypatch.setattr(ing, "_insert", boom)
    with pytest.raises(RuntimeError):
        ingest_dataset(messy, db)
    monkeypatch.setattr(ing, "_insert", real)
    assert snapshot(db) == before
    r = ingest_dataset(messy, db)  # the next run completes
    assert not r.skipped and r.counts["deals"] == 2


def test_pii_redacted_from_stored_quotes_unless_kept(tmp_path: Path):
    d = tmp_path / "d"
    (d / "transcripts").mkdir(parents=True)
    (d / "deals.csv").write_text("deal_id,owner,amount,stage,created_at,close_date,status\n"
                                 "D1,Ann,10,S1,2026-01-01,2026-02-01,open\n")
    (d / "transcripts" / "c.txt").write_text("Ann: write to ann.lee@example.com or call +33 6 12 34 56 78\n")
    (d / "conversations.csv").write_text("conversation_id,kind,started_at,file\nC1,customer_call,2026-01-02,"
                                         "transcripts/c.txt\n")
    db = tmp_path / "s.duckdb"
    ingest_dataset(d, db)
    con = duckdb.connect(str(db), read_only=True)
    text = con.execute("SELECT text FROM utterances").fetchone()[0]
    con.close()
    assert "example.com" not in text and "12 34" not in text
    ingest_dataset(d, db, keep_pii=True)
    con = duckdb.connect(str(db), read_only=True)
    assert "ann.lee@example.com" in con.execute("SELECT text FROM utterances").fetchone()[0]
    con.close()
