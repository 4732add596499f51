"""Canonical tables of the store (DuckDB).

One table per data-contract table, plus ``utterances`` (one row per speaker
turn), ``annotations`` (language-engine labels per turn), bookkeeping tables
(``ingest_files``, ``problems``, ``settings``, ``stages``) and ``metric_*``
tables written by the lenses.

Columns follow ``shared/data-contract.md``; dates are DATE, datetimes are
TIMESTAMP (naive UTC). ``extra`` keeps unknown input columns as a JSON text.
``deal_changes.old_value/new_value`` are normalised text: ISO dates for
``close_date``, plain decimal numbers for ``amount``/``discount_pct``,
lower-case contract names for ``status``/``forecast_category``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

DDL: dict[str, str] = {
    "people": """
        CREATE TABLE IF NOT EXISTS people (
            person_id VARCHAR, name VARCHAR, role VARCHAR, team VARCHAR,
            manager VARCHAR, aliases VARCHAR, extra VARCHAR, src_row INTEGER)""",
    "deals": """
        CREATE TABLE IF NOT EXISTS deals (
            deal_id VARCHAR, name VARCHAR, account VARCHAR, owner VARCHAR, team VARCHAR,
            amount DOUBLE, currency VARCHAR, stage VARCHAR, forecast_category VARCHAR,
            created_at DATE, close_date DATE, status VARCHAR, discount_pct DOUBLE,
            list_amount DOUBLE, extra VARCHAR, src_row INTEGER)""",
    "deal_changes": """
        CREATE TABLE IF NOT EXISTS deal_changes (
            deal_id VARCHAR, changed_at TIMESTAMP, field VARCHAR, old_value VARCHAR,
            new_value VARCHAR, changed_by VARCHAR, extra VARCHAR, src_row INTEGER)""",
    "forecasts": """
        CREATE TABLE IF NOT EXISTS forecasts (
            owner VARCHAR, period VARCHAR, period_start DATE, period_end DATE,
            submitted_at DATE, category VARCHAR, amount DOUBLE, extra VARCHAR, src_row INTEGER)""",
    "quotas": """
        CREATE TABLE IF NOT EXISTS quotas (
            owner VARCHAR, period VARCHAR, period_start DATE, period_end DATE,
            amount DOUBLE, accelerator_at DOUBLE, extra VARCHAR, src_row INTEGER)""",
    "conversations": """
        CREATE TABLE IF NOT EXISTS conversations (
            conversation_id VARCHAR, kind VARCHAR, started_at TIMESTAMP, file VARCHAR,
            deal_ids VARCHAR, language VARCHAR, title VARCHAR, file_sha256 VARCHAR,
            extra VARCHAR, src_row INTEGER)""",
    "utterances": """
        CREATE TABLE IF NOT EXISTS utterances (
            conversation_id VARCHAR, turn INTEGER, speaker VARCHAR, person_id VARCHAR,
            role VARCHAR, start_s DOUBLE, end_s DOUBLE, text VARCHAR, lang VARCHAR)""",
    "org_events": """
        CREATE TABLE IF NOT EXISTS org_events (
            date DATE, kind VARCHAR, description VARCHAR, extra VARCHAR, src_row INTEGER)""",
    "intuitions": """
        CREATE TABLE IF NOT EXISTS intuitions (
            deal_id VARCHAR, recorded_at DATE, person VARCHAR, call VARCHAR, note VARCHAR,
            extra VARCHAR, src_row INTEGER)""",
    # language engine output, cached by (conversation file hash, engine version)
    "annotations": """
        CREATE TABLE IF NOT EXISTS annotations (
            conversation_id VARCHAR, turn INTEGER, labels VARCHAR[], spans VARCHAR,
            engine_version VARCHAR, file_sha256 VARCHAR)""",
    # bookkeeping
    "stages": """
        CREATE TABLE IF NOT EXISTS stages (
            stage VARCHAR, ordinal INTEGER, is_closed BOOLEAN, source VARCHAR)""",
    "ingest_files": """
        CREATE TABLE IF NOT EXISTS ingest_files (
            path VARCHAR, tbl VARCHAR, sha256 VARCHAR, rows_read INTEGER, rows_stored INTEGER,
            rows_rejected INTEGER, ingested_at TIMESTAMP)""",
    "problems": """
        CREATE TABLE IF NOT EXISTS problems (
            severity VARCHAR, file VARCHAR, tbl VARCHAR, row_no INTEGER, col VARCHAR,
            message VARCHAR, expected VARCHAR, remedy VARCHAR, value VARCHAR, code VARCHAR)""",
    "settings": """
        CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value VARCHAR)""",
}

# contract tables (what a dataset folder may hold), in ingestion order
CANONICAL_TABLES: tuple[str, ...] = (
    "people", "deals", "deal_changes", "forecasts", "quotas", "conversations",
    "org_events", "intuitions",
)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in DDL.values():
        con.execute(ddl)


def open_store(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and create if needed) the store at ``path``."""
    p = Path(path)
    if not read_only:
        p.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(p), read_only=read_only)
    if not read_only:
        create_schema(con)
    return con


def memory_store() -> duckdb.DuckDBPyConnection:
    """An in-memory store with the full schema (for tests and the simulator)."""
    con = duckdb.connect(":memory:")
    create_schema(con)
    return con


def table_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return table_count(con, table) > 0
