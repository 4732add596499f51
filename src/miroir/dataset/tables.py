"""Turn one raw table into a typed, contract-shaped DataFrame (row-level problems collected)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd

from ..errors import Problem
from .coerce import map_enum, parse_dates, parse_numbers
from .spec import TableSpec
from .tabular import RawTable

# enum vocabularies whose unknown values are an error (the row cannot be used)
STRICT_ENUMS = {"status"}
# fallback value for unknown values of lenient vocabularies (None = keep the folded text)
ENUM_FALLBACK = {"role": "other", "conversation_kind": "other"}
# required columns that may stay empty on open deals (exports often leave them blank): never invented
SOFT_REQUIRED = {
    ("deals", "close_date"): "the deal is left out of period-based metrics until it has one",
    ("deals", "created_at"): "the deal is left out of age and cycle-time metrics",
}


@dataclasses.dataclass
class TypedTable:
    name: str
    file: str
    frame: pd.DataFrame  # canonical columns + extra (JSON text) + src_row; only accepted rows
    rows_read: int
    rejected_rows: set[int]
    problems: list[Problem]


def _row_errors(problems: list[Problem], file: str) -> set[int]:
    return {p.row for p in problems if p.severity == "error" and p.row is not None and p.file == file}


def type_table(spec: TableSpec, raw: RawTable, *, date_order: str | None) -> TypedTable:
    file = raw.file
    problems = [dataclasses.replace(p, table=spec.name) for p in raw.problems]
    frame = raw.frame
    rows_read = len(frame) + sum(1 for p in problems if p.code in ("csv", "long_row"))
    if frame.shape[1] == 0 and frame.shape[0] == 0 and any(p.severity == "error" for p in problems):
        return TypedTable(spec.name, file, pd.DataFrame(), rows_read, set(), problems)
    dup_cols = frame.columns[frame.columns.duplicated()].unique().tolist()
    if dup_cols:
        problems.append(Problem("warning", file, f"duplicated column names {dup_cols}: the first of each is used",
                                table=spec.name, code="dup_column"))
        frame = frame.loc[:, ~frame.columns.duplicated()]
    # aliases of column names
    for col in spec.columns:
        if col.name not in frame.columns:
            for alias in col.aliases:
                if alias in frame.columns:
                    frame = frame.rename(columns={alias: col.name})
                    break
    missing = [c for c in spec.required_columns if c not in frame.columns]
    if missing:
        found = ", ".join(raw.original_columns.get(c, c) for c in frame.columns) or "none"
        for m in missing:
            problems.append(Problem(
                "error", file, f"required column '{m}' is missing, so the {spec.name} table cannot be used",
                column=m, expected=f"columns {', '.join(spec.required_columns)} (found: {found})",
                remedy=f"Add a '{m}' column (names are case-insensitive), or map your column with "
                       "`miroir import csv --mapping`.", table=spec.name, code="missing_column"))
        return TypedTable(spec.name, file, pd.DataFrame(), rows_read, set(frame.index.tolist()), problems)

    out = pd.DataFrame(index=frame.index)
    local: list[Problem] = []
    for col in spec.columns:
        if col.name not in frame.columns:
            out[col.name] = None
            continue
        s = frame[col.name].fillna("").astype(str)
        before = len(local)
        if col.type in ("date", "datetime"):
            out[col.name] = parse_dates(s, file=file, column=col.name, date_order=date_order,
                                        with_time=col.type == "datetime", problems=local)
        elif col.type == "number":
            out[col.name] = parse_numbers(s, file=file, column=col.name, decimal_comma=raw.decimal_comma or
                                          raw.delimiter == ";", problems=local)
        elif col.enum:
            mapped, text = map_enum(s, col.enum)
            unknown = mapped.isna() & text.ne("")
            if unknown.any():
                strict = col.enum in STRICT_ENUMS
                from .spec import ENUMS

                allowed = ", ".join(ENUMS[col.enum])
                for r, v in zip(text[unknown].index, text[unknown], strict=False):
                    local.append(Problem(
                        "error" if strict else "warning", file,
                        f"unknown {col.name} value" + ("" if strict else "; kept" + (
                            f" as '{ENUM_FALLBACK[col.enum]}'" if col.enum in ENUM_FALLBACK else " as written")),
                        row=int(r), column=col.name, value=v[:80], expected=f"one of {allowed}",
                        remedy="Use one of the expected values or map yours with `miroir import csv --mapping`.",
                        code="enum"))
                fallback = ENUM_FALLBACK.get(col.enum)
                mapped = mapped.where(~unknown, fallback if fallback else text.str.lower())
            out[col.name] = mapped.where(text.ne(""), None)
        else:
            out[col.name] = s.where(s.str.strip().ne(""), None).str.strip()
        if not col.required:
            # bad cells in optional columns: keep the row, leave the cell empty
            for i in range(before, len(local)):
                p = local[i]
                if p.severity == "error":
                    local[i] = dataclasses.replace(p, severity="warning", message=p.message + "; cell left empty")
        else:
            empty = s.str.strip().eq("")
            soft = SOFT_REQUIRED.get((spec.name, col.name))
            if soft is not None and "status" in frame.columns:
                # e.g. an open deal without an expected close date: kept, reported, never invented
                is_open = map_enum(frame["status"].fillna("").astype(str), "status")[0].eq("open")
                soft_rows = empty & is_open
                for r in s[soft_rows].index:
                    local.append(Problem("warning", file, f"'{col.name}' is empty on an open deal; kept without it "
                                         f"({soft})", row=int(r), column=col.name, code="open_without_date"))
                empty = empty & ~soft_rows
            for r in s[empty].index:
                local.append(Problem("error", file, f"required value '{col.name}' is empty", row=int(r),
                                     column=col.name, expected="a value",
                                     remedy="Fill the cell or remove the row.", code="required_empty"))
    problems.extend(dataclasses.replace(p, table=spec.name) for p in local)

    # unique key
    if spec.key and all(k in out.columns for k in spec.key):
        key_cols = list(spec.key)
        if spec.name == "people":
            key = out["person_id"].fillna(out.get("name", ""))
            dup = key.duplicated(keep="first") & key.notna()
        else:
            dup = out.duplicated(subset=key_cols, keep="first") & out[key_cols].notna().all(axis=1)
        for r in out[dup].index:
            vals = ", ".join(str(out.at[r, k]) for k in key_cols)
            problems.append(Problem("error", file, f"duplicate {'/'.join(key_cols)} ({vals}); the first "
                                    "occurrence is kept", row=int(r), column=key_cols[0], value=vals,
                                    expected="unique values", remedy="Remove or rename the duplicate row.",
                                    table=spec.name, code="duplicate_key"))

    # unknown extra columns are kept as JSON text
    known = {c.name for c in spec.columns}
    extra_cols = [c for c in frame.columns if c not in known]
    if extra_cols:
        sub = frame[extra_cols].fillna("").astype(str)
        names = [raw.original_columns.get(c, c) for c in extra_cols]
        records = sub.to_numpy().tolist()
        out["extra"] = [json.dumps({n: v for n, v in zip(names, rec, strict=False) if v != ""}, ensure_ascii=False)
                        for rec in records]
    else:
        out["extra"] = None
    out["src_row"] = out.index.astype(int)
    rejected = _row_errors(problems, file)
    keep = ~out.index.isin(list(rejected))
    return TypedTable(spec.name, file, out[keep].copy(), rows_read, rejected, problems)
