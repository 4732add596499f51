"""Order-independent checksums of every table of a store (to prove it did not change)."""

from __future__ import annotations

from pathlib import Path

import duckdb


def store_snapshot(db: Path) -> dict[str, tuple[int, int]]:
    """table -> (row count, sum of row hashes). Every table of the store, settings included."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        out: dict[str, tuple[int, int]] = {}
        for t in tables:
            n, h = con.execute(f"SELECT count(*), coalesce(sum(hash(x)::HUGEINT), 0) FROM {t} x").fetchone()  # type: ignore[misc]
            out[t] = (int(n), int(h))
        return out
    finally:
        con.close()


def setting(db: Path, key: str) -> str | None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])
    finally:
        con.close()
