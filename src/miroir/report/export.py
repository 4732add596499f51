"""Excel export: findings, evidence, statements and every metric table in one workbook.

Sheets: ``README`` (what is where, truncations), ``Findings``, ``Evidence``
(quotes redacted), ``Optimising for``, ``Not assessed``, then one sheet per
metric table (names shortened to Excel's 31 characters, kept unique). A table
longer than Excel's row limit is cut, and the README says so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..privacy import redact_pii
from .xlsx_writer import XlsxWriter

EXCEL_MAX_ROWS = 1_048_576
MAX_SHEET_ROWS = EXCEL_MAX_ROWS - 1  # one row for the header
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _cell(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, str | int | float | bool | dt.date):
        return _ILLEGAL.sub("", v) if isinstance(v, str) else v
    if v is pd.NaT:
        return None
    return _ILLEGAL.sub("", str(v))


def _frame_rows(df: pd.DataFrame) -> list[list[Any]]:
    """Rows of ``df`` as Excel-safe Python values (vectorised per column; ``_cell`` for the odd ones)."""
    cols = []
    for name in df.columns:
        s = df[name]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert(None)
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype) \
                or pd.api.types.is_float_dtype(s.dtype) or pd.api.types.is_datetime64_dtype(s.dtype):
            vals = s.astype(object).where(s.notna(), None).tolist()
            if pd.api.types.is_datetime64_dtype(s.dtype):
                vals = [None if v is None else v.to_pydatetime() for v in vals]
            elif pd.api.types.is_float_dtype(s.dtype):
                vals = [None if v is None or not math.isfinite(v) else float(v) for v in vals]
            cols.append(vals)
        else:
            cols.append([_cell(v) for v in s.tolist()])
    return [list(r) for r in zip(*cols, strict=True)] if cols else [[] for _ in range(len(df))]


def sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub("_", name.removeprefix("metric_"))[:31] or "sheet"
    out, k = base, 2
    while out.lower() in used:
        suffix = f"~{k}"
        out = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(out.lower())
    return out


def _finding_rows(doc: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for f in doc.get("findings") or []:
        m, e, sc = f.get("metric") or {}, f.get("effect") or {}, f.get("scope") or {}
        p = f.get("params") or {}
        rows.append([f.get("id"), f.get("kind"), f.get("lens"), sc.get("level"), sc.get("id"), f.get("title"),
                     p.get("title_fr"), f.get("statement"), m.get("name"), m.get("value"), m.get("baseline"),
                     m.get("unit"), e.get("estimate"), e.get("ci_low"), e.get("ci_high"), e.get("method"),
                     f.get("n"), f.get("confidence"), f.get("value_at_stake"),
                     (p.get("rank") or {}).get("score"), len(f.get("evidence") or []), f.get("question"),
                     p.get("question_fr")])
    return rows


FINDING_HEAD = ["id", "kind", "lens", "scope_level", "scope_id", "title", "title_fr", "statement", "metric",
                "value", "baseline", "unit", "effect", "ci_low", "ci_high", "effect_method", "n", "confidence",
                "value_at_stake", "rank_score", "evidence_items", "question", "question_fr"]
EVIDENCE_HEAD = ["finding_id", "type", "deal_id", "field", "old_value", "new_value", "changed_at",
                 "conversation_id", "start_s", "speaker_role", "speaker", "quote", "note"]


def _evidence_rows(doc: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for f in doc.get("findings") or []:
        for e in f.get("evidence") or []:
            rows.append([f.get("id"), e.get("type"), e.get("deal_id"), e.get("field"), e.get("old_value"),
                         e.get("new_value"), e.get("changed_at"), e.get("conversation_id"), e.get("start_s"),
                         e.get("speaker_role"), e.get("speaker"), redact_pii(e.get("quote")) or None,
                         redact_pii(e.get("note")) or None])
    return rows


def write_xlsx(doc: dict[str, Any], metrics: dict[str, pd.DataFrame], path: Path) -> Path:
    """Write the workbook at ``path`` (atomically) and return it."""
    used: set[str] = {"readme", "findings", "evidence", "optimising for", "not assessed"}
    notes: list[list[Any]] = [
        ["miroir diagnosis", doc.get("generated_at"), doc.get("miroir_version")],
        ["dataset", (doc.get("dataset") or {}).get("path"), ""],
        ["pseudonymised", bool(doc.get("pseudonymised")), ""],
        [],
        ["sheet", "content", "rows"],
    ]
    sheets: list[tuple[str, list[str], list[list[Any]], str]] = [
        ("Findings", FINDING_HEAD, _finding_rows(doc), "findings ranked by size x confidence x value at stake"),
        ("Evidence", EVIDENCE_HEAD, _evidence_rows(doc), "evidence of every finding (quotes redacted)"),
        ("Optimising for", ["statement", "statement_fr", "rule", "finding_ids"],
         [[o.get("statement"), o.get("statement_fr"), o.get("rule"), ", ".join(o.get("finding_ids") or [])]
          for o in doc.get("optimizing_for") or []], "what the system optimises for, and the findings behind it"),
        ("Not assessed", ["what", "lens", "kind", "scope", "statement_or_reason", "n"],
         [["skipped", s.get("lens"), None, None, s.get("reason"), None] for s in doc.get("lenses_skipped") or []]
         + [["failed", s.get("lens"), None, None, s.get("error"), None] for s in doc.get("lenses_failed") or []]
         + [["observation", o.get("lens"), o.get("kind"),
             None if not o.get("scope") else f"{o['scope'].get('level')}:{o['scope'].get('id')}",
             o.get("statement"), o.get("n")] for o in doc.get("observations") or []],
         "lenses not run, and observations below the evidence threshold"),
    ]
    metric_sheets = []
    for name, df in sorted(metrics.items()):
        sname = sheet_name(name, used)
        cut = len(df) > MAX_SHEET_ROWS
        metric_sheets.append((sname, name, df.iloc[:MAX_SHEET_ROWS] if cut else df, cut, len(df)))
    readme: list[list[Any]] = list(notes)
    for sname, _head, rows, what in sheets:
        readme.append([sname, what, len(rows)])
    for sname, name, _df, cut, n in metric_sheets:
        readme.append([sname, f"metric table {name}" + (f" (first {MAX_SHEET_ROWS} of {n} rows)" if cut else ""), n])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    wb = XlsxWriter(tmp)
    try:
        wb.add_sheet("README", [], ([_cell(v) for v in r] for r in readme))
        for sname, head, rows, _what in sheets:
            wb.add_sheet(sname, head, ([_cell(v) for v in r] for r in rows))
        for sname, _name, df, _cut, _n in metric_sheets:
            wb.add_sheet(sname, [str(c) for c in df.columns], _frame_rows(df))
        wb.close()
    except BaseException:
        with contextlib.suppress(Exception):
            wb.close()
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    return path
