"""What the report reads from the store besides the metric tables: deal and
conversation details for the evidence, and data-quality problems. Every read
is defensive: a missing table or column gives an empty answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

MAX_PROBLEM_ROWS = 60


@dataclass
class DealInfo:
    name: str | None = None
    account: str | None = None
    owner: str | None = None
    amount: float | None = None
    currency: str | None = None
    status: str | None = None
    stage: str | None = None


@dataclass
class ConversationInfo:
    kind: str | None = None
    started_at: Any = None
    title: str | None = None


@dataclass
class ProblemSummary:
    total: int = 0
    by_code: list[tuple[str, str, int]] = field(default_factory=list)  # severity, code, count
    rows: list[dict[str, Any]] = field(default_factory=list)


def deal_info(con: duckdb.DuckDBPyConnection | None, ids: set[str]) -> dict[str, DealInfo]:
    if con is None or not ids:
        return {}
    try:
        rows = con.execute(
            "SELECT deal_id, name, account, owner, amount, currency, status, stage FROM deals "
            "WHERE deal_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(ids)]).fetchall()
    except duckdb.Error:
        return {}
    return {str(r[0]): DealInfo(*r[1:]) for r in rows}


def conversation_info(con: duckdb.DuckDBPyConnection | None, ids: set[str]) -> dict[str, ConversationInfo]:
    if con is None or not ids:
        return {}
    try:
        rows = con.execute(
            "SELECT conversation_id, kind, started_at, title FROM conversations "
            "WHERE conversation_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(ids)]).fetchall()
    except duckdb.Error:
        return {}
    return {str(r[0]): ConversationInfo(*r[1:]) for r in rows}


def currency(con: duckdb.DuckDBPyConnection | None) -> str:
    """The dataset's currency (miroir.toml, kept in the store's settings), or the deals' only currency."""
    if con is None:
        return ""
    try:
        row = con.execute("SELECT value FROM settings WHERE key = 'config'").fetchone()
        if row:
            cur = json.loads(row[0]).get("currency")
            if isinstance(cur, str) and cur:
                return cur
        rows = con.execute("SELECT DISTINCT currency FROM deals WHERE currency IS NOT NULL LIMIT 2").fetchall()
    except (duckdb.Error, ValueError, AttributeError):
        return ""
    return str(rows[0][0]) if len(rows) == 1 else ""


def problems(con: duckdb.DuckDBPyConnection | None) -> ProblemSummary:
    out = ProblemSummary()
    if con is None:
        return out
    try:
        row = con.execute("SELECT count(*) FROM problems").fetchone()
        out.total = int(row[0]) if row else 0
        if not out.total:
            return out
        out.by_code = [(str(s), str(c or ""), int(n)) for s, c, n in con.execute(
            "SELECT severity, code, count(*) FROM problems GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2").fetchall()]
        cur = con.execute(
            "SELECT severity, file, tbl, row_no, col, message, expected, remedy FROM problems "
            "ORDER BY CASE severity WHEN 'error' THEN 0 ELSE 1 END, file, row_no LIMIT ?", [MAX_PROBLEM_ROWS])
        names = [d[0] for d in cur.description or []]
        out.rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    except duckdb.Error:
        return ProblemSummary()
    return out
