"""The symptoms on the report's first screen, read from the store.

Forecast accuracy trend, irregularity of results, slippage and recurring
deals in reviews. Each is read from the lenses' metric tables
(``metric_<lens>_<name>``) when one has the needed columns; irregularity and
slippage fall back to the canonical ``deals`` / ``deal_changes`` tables. A
symptom whose data is missing is left out, never invented: every reader
returns None rather than raise.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..calendar import FiscalCalendar

PERIOD_COLS = ("period", "quarter", "period_label", "fiscal_quarter")
LEVEL_COLS = ("level", "scope_level")
MAX_POINTS = 24  # a sparkline shows the last periods only


@dataclass
class Symptom:
    key: str  # i18n key of the label ("sym_...")
    help_key: str
    value: float
    kind: str  # "share" (0..1 shown as %), "ratio" (plain number), "count"
    series: list[tuple[str, float]] = field(default_factory=list)
    source: str = ""  # table it was read from
    higher_is_better: bool = False

    @property
    def trend(self) -> float | None:
        if len(self.series) < 2:
            return None
        return self.series[-1][1] - self.series[0][1]


def _tables(con: duckdb.DuckDBPyConnection, prefix: str) -> list[str]:
    try:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE ? ORDER BY table_name",
            [prefix + "%"],
        ).fetchall()
    except duckdb.Error:
        return []
    return [str(r[0]) for r in rows]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    try:
        rows = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    except duckdb.Error:
        return []
    return [str(r[0]) for r in rows]


def _first(cols: list[str], wanted: tuple[str, ...]) -> str | None:
    low = {c.lower(): c for c in cols}
    for w in wanted:
        if w in low:
            return low[w]
    return None


def _find(con: duckdb.DuckDBPyConnection, prefixes: tuple[str, ...],
          value_cols: tuple[str, ...]) -> tuple[str, str, str, str | None] | None:
    """(table, period column, value column, level column) of the first table that has them."""
    for prefix in prefixes:
        for t in _tables(con, prefix):
            cols = _columns(con, t)
            pc, vc = _first(cols, PERIOD_COLS), _first(cols, value_cols)
            if pc and vc:
                return t, pc, vc, _first(cols, LEVEL_COLS)
    return None


def _series(con: duckdb.DuckDBPyConnection, found: tuple[str, str, str, str | None],
            how: str) -> list[tuple[str, float]]:
    """Per-period values of a metric table, at org level when the table has levels."""
    t, pc, vc, lc = found
    df = con.execute(f'SELECT * FROM "{t}"').df()
    if lc is not None:
        levels = df[lc].astype(str).str.lower()
        for lvl in ("org", "organisation", "all", "team", "manager", "rep"):
            if (levels == lvl).any():
                df = df[levels == lvl]
                break
    vals = pd.to_numeric(df[vc], errors="coerce")
    g = pd.DataFrame({"p": df[pc].astype(str), "v": vals}).dropna()
    if g.empty:
        return []
    agg = g.groupby("p", sort=True)["v"].agg(how)
    return [(str(k), float(v)) for k, v in agg.items() if math.isfinite(float(v))][-MAX_POINTS:]


def _table_df(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame | None:
    if table not in _tables(con, table):
        return None
    try:
        return con.execute(f'SELECT * FROM "{table}"').df()
    except duckdb.Error:
        return None


def _ratio_series(df: pd.DataFrame, num: str, den: str, pc: str = "period") -> list[tuple[str, float]]:
    g = df.assign(_n=pd.to_numeric(df[num], errors="coerce"), _d=pd.to_numeric(df[den], errors="coerce"))
    g = g.dropna(subset=["_n", "_d"]).groupby(pc, sort=True)[["_n", "_d"]].sum()
    g = g[g["_d"] > 0]
    return [(str(k), float(r["_n"] / r["_d"])) for k, r in g.iterrows()][-MAX_POINTS:]


def forecast_accuracy(con: duckdb.DuckDBPyConnection, params: dict[str, Any] | None = None) -> Symptom | None:
    """Weighted accuracy per period, 1 - sum|F - A| / sum A over the forecast owners, from the forecast
    lens's per-call table (its primary snapshot and call category, team calls when there are any)."""
    p = params or {}
    df = _table_df(con, "metric_forecast_accuracy")
    if df is not None and {"period", "forecast", "actual"} <= set(df.columns):
        for col, want in (("snapshot", p.get("primary_snapshot", "mid")), ("category", p.get("call_category", "commit"))):
            if col in df.columns and (df[col] == want).any():
                df = df[df[col] == want]
        if "level" in df.columns:
            for lvl in ("org", "team", "rep"):
                if (df["level"] == lvl).any():
                    df = df[df["level"] == lvl]
                    break
        df = df.assign(_err=(pd.to_numeric(df["forecast"], errors="coerce")
                             - pd.to_numeric(df["actual"], errors="coerce")).abs())
        s = [(k, 1.0 - v) for k, v in _ratio_series(df, "_err", "actual")]
        if s:
            return Symptom("sym_forecast_accuracy", "sym_forecast_accuracy_help", s[-1][1], "share", s,
                           "metric_forecast_accuracy", higher_is_better=True)
    found = _find(con, ("metric_forecast_",), ("accuracy", "forecast_accuracy"))
    if not found:
        return None
    s = _series(con, found, "mean")
    if not s:
        return None
    return Symptom("sym_forecast_accuracy", "sym_forecast_accuracy_help", s[-1][1], "share", s,
                   found[0], higher_is_better=True)


def _calendar(con: duckdb.DuckDBPyConnection) -> FiscalCalendar:
    try:
        row = con.execute("SELECT value FROM settings WHERE key = 'config'").fetchone()
        if row:
            return FiscalCalendar(int(json.loads(row[0]).get("fiscal_year_start_month", 1)))
    except (duckdb.Error, ValueError, TypeError, AttributeError):
        pass
    return FiscalCalendar(1)


def _cv(values: list[float]) -> float | None:
    arr = np.asarray(values, dtype=float)
    if len(arr) < 2 or arr.mean() <= 0:
        return None
    return float(arr.std(ddof=1) / arr.mean())


def irregularity(con: duckdb.DuckDBPyConnection, params: dict[str, Any] | None = None) -> Symptom | None:
    s: list[tuple[str, float]] = []
    source = ""
    df = _table_df(con, "metric_forecast_concentration")  # won value per team and period
    if df is not None and {"period", "won_value"} <= set(df.columns):
        v = pd.to_numeric(df["won_value"], errors="coerce")
        g = pd.DataFrame({"p": df["period"].astype(str), "v": v}).dropna().groupby("p", sort=True)["v"].sum()
        s, source = [(str(k), float(x)) for k, x in g.items()][-MAX_POINTS:], "metric_forecast_concentration"
    if len(s) < 2:
        found = _find(con, ("metric_forecast_",), ("won_value", "won_amount"))
        if found:
            s, source = _series(con, found, "sum"), found[0]
    if len(s) < 2:
        try:
            rows = con.execute(
                "SELECT close_date, amount FROM deals WHERE lower(status) = 'won' "
                "AND close_date IS NOT NULL AND amount IS NOT NULL").fetchall()
        except duckdb.Error:
            rows = []
        if not rows:
            return None
        cal = _calendar(con)
        per: dict[str, float] = {}
        for d, a in rows:
            if isinstance(d, dt.datetime):
                d = d.date()
            q = cal.quarter_of(d)
            per[q] = per.get(q, 0.0) + float(a)
        s, source = sorted(per.items())[-MAX_POINTS:], "deals"
    cv = _cv([v for _, v in s])
    if cv is None:
        return None
    return Symptom("sym_irregularity", "sym_irregularity_help", cv, "ratio", s, source)


def slippage(con: duckdb.DuckDBPyConnection, params: dict[str, Any] | None = None) -> Symptom | None:
    """Share of the deals expected in a period (at its start) that moved beyond it: sum slipped / sum expected."""
    df = _table_df(con, "metric_pipeline_slippage")
    if df is not None and {"period", "slipped", "expected"} <= set(df.columns):
        s = _ratio_series(df, "slipped", "expected")
        if s:
            return Symptom("sym_slippage", "sym_slippage_help", s[-1][1], "share", s, "metric_pipeline_slippage")
    found = _find(con, ("metric_pipeline_",), ("slippage_rate", "slip_rate", "slippage"))
    if found:
        s = _series(con, found, "mean")
        if s:
            return Symptom("sym_slippage", "sym_slippage_help", s[-1][1], "share", s, found[0])
    try:
        rows = con.execute(
            "SELECT CAST(changed_at AS DATE) FROM deal_changes WHERE lower(field) = 'close_date' "
            "AND try_cast(new_value AS DATE) > try_cast(old_value AS DATE)").fetchall()
    except duckdb.Error:
        return None
    if not rows:
        return None
    cal = _calendar(con)
    per: dict[str, float] = {}
    for (d,) in rows:
        if d is None:
            continue
        q = cal.quarter_of(d)
        per[q] = per.get(q, 0.0) + 1
    if not per:
        return None
    s = sorted(per.items())[-MAX_POINTS:]
    return Symptom("sym_slippage", "sym_pushes_help", s[-1][1], "count", s, "deal_changes")


def recurring_deals(con: duckdb.DuckDBPyConnection, params: dict[str, Any] | None = None) -> Symptom | None:
    for prefix in ("metric_meetings_", "metric_pipeline_"):
        for t in _tables(con, prefix):
            cols = _columns(con, t)
            flag = _first(cols, ("recurring", "is_recurring"))
            count = _first(cols, ("n_reviews", "reviews", "review_count", "reviews_without_progress"))
            deal = _first(cols, ("deal_id",))
            if not deal or not (flag or count):
                continue
            try:
                if flag:
                    row = con.execute(f'SELECT count(DISTINCT "{deal}") FROM "{t}" WHERE "{flag}"').fetchone()
                else:
                    row = con.execute(f'SELECT count(DISTINCT "{deal}") FROM "{t}" WHERE "{count}" >= 3').fetchone()
            except duckdb.Error:
                continue
            if row is not None:
                return Symptom("sym_recurring", "sym_recurring_help", float(row[0]), "count", [], t)
    return None


Reader = Callable[[duckdb.DuckDBPyConnection, "dict[str, Any] | None"], "Symptom | None"]
READERS: tuple[tuple[str, Reader], ...] = (
    ("forecast", forecast_accuracy), ("forecast", irregularity), ("pipeline", slippage), ("meetings", recurring_deals))


def read_symptoms(con: duckdb.DuckDBPyConnection | None,
                  lens_params: dict[str, dict[str, Any]] | None = None) -> list[Symptom]:
    """The symptoms this store can show (possibly none); ``lens_params``: lens -> parameters used."""
    if con is None:
        return []
    out = []
    for lens, read in READERS:
        try:
            s = read(con, (lens_params or {}).get(lens))
        except (duckdb.Error, KeyError, ValueError, TypeError):  # a malformed table: leave the symptom out
            s = None
        if s is not None:
            out.append(s)
    return out
