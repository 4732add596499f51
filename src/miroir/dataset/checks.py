"""Checks across tables (unknown ids, periods, history values) and stage ordering."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import Problem
from .coerce import fold, map_enum, parse_dates, parse_numbers

if TYPE_CHECKING:
    from .reader import Dataset
    from .tables import TypedTable

ABSURD_AMOUNT = 1e10


def _reject(ds: Dataset, name: str, t: TypedTable, mask: pd.Series, message: str, column: str,
            expected: str, remedy: str, code: str) -> None:
    frame = ds.tables[name]
    for r, v in zip(frame.loc[mask, "src_row"], frame.loc[mask, column], strict=False):
        ds.problems.append(Problem("error", t.file, message, row=int(r), column=column, value=str(v)[:80],
                                   expected=expected, remedy=remedy, table=name, code=code))
    ds.tables[name] = frame[~mask].copy()


def _warn(ds: Dataset, name: str, t: TypedTable, mask: pd.Series, message: str, column: str,
          remedy: str = "", code: str = "", limit: int = 5000) -> None:
    frame = ds.tables[name]
    sub = frame.loc[mask]
    for r, v in zip(sub["src_row"][:limit], sub[column][:limit], strict=False):
        ds.problems.append(Problem("warning", t.file, message, row=int(r), column=column, value=str(v)[:80],
                                   remedy=remedy, table=name, code=code))
    if len(sub) > limit:
        ds.problems.append(Problem("warning", t.file, f"{len(sub) - limit} more rows with the same warning",
                                   column=column, table=name, code=code))


def cross_table(ds: Dataset, typed: dict[str, TypedTable]) -> None:
    deals = ds.tables.get("deals")
    people = ds.tables.get("people")
    cal = ds.config.calendar
    names: set[str] = set()
    person_team: dict[str, str] = {}
    if people is not None and len(people):
        people["person_id"] = people["person_id"].fillna(people["name"])
        for rec in people[["person_id", "name", "team", "aliases"]].itertuples(index=False):
            pid, nm, team, aliases = (None if pd.isna(v) else v for v in rec)  # empty cells are NaN, not ""
            for label in (pid, nm, *(str(aliases).split(";") if aliases else [])):
                if label and str(label).strip():
                    names.add(fold(str(label)))
                    if team:
                        person_team[fold(str(label))] = str(team)
    if deals is not None and len(deals):
        t = typed["deals"]
        if ds.config.currency:
            deals["currency"] = deals["currency"].fillna(ds.config.currency)
        if person_team:
            folded_owner = deals["owner"].map(lambda o: fold(str(o)) if o else "")
            deals["team"] = deals["team"].fillna(folded_owner.map(person_team))
        ds.tables["deals"] = deals
        if names:
            unknown = ~deals["owner"].map(lambda o: fold(str(o)) in names)
            if unknown.any():
                _warn(ds, "deals", t, unknown, "owner not found in people; kept (rep-level results use the name as is)",
                      "owner", "Add the person to people.csv or an alias.", code="unknown_owner")
        neg = deals["amount"] < 0
        if neg.any():
            _warn(ds, "deals", t, neg, "negative amount; kept as is", "amount",
                  "Check the source: credit notes distort win rates and value metrics.", code="amount_negative")
        huge = deals["amount"] > ABSURD_AMOUNT
        if huge.any():
            _warn(ds, "deals", t, huge, f"amount above {ABSURD_AMOUNT:,.0f}; kept as is", "amount",
                  "Check the unit or a misplaced decimal separator.", code="amount_absurd")
        before = deals["close_date"].notna() & deals["created_at"].notna() & (deals["close_date"] < deals["created_at"])
        if before.any():
            _warn(ds, "deals", t, before, "close_date is before created_at; kept as is", "close_date",
                  "Check the dates in the CRM.", code="close_before_create")
        disc = deals["discount_pct"]
        bad_disc = disc.notna() & ((disc < 0) | (disc > 100))
        if bad_disc.any():
            _warn(ds, "deals", t, bad_disc, "discount_pct outside 0-100; kept as is", "discount_pct",
                  "discount_pct is a percentage of the list price (0-100).", code="discount_range")
    deal_ids = set(ds.tables["deals"]["deal_id"]) if deals is not None and len(deals) else set()

    dc = ds.tables.get("deal_changes")
    if dc is not None and len(dc):
        t = typed["deal_changes"]
        if deal_ids:
            unknown = ~dc["deal_id"].isin(deal_ids)
            if unknown.any():
                _reject(ds, "deal_changes", t, unknown, "deal_id not found in deals; change not stored", "deal_id",
                        "a deal_id present in deals", "Add the deal to deals or fix the id.", "unknown_deal")
        normalise_change_values(ds, t)

    for name in ("forecasts", "quotas"):
        f = ds.tables.get(name)
        if f is None or not len(f):
            continue
        t = typed[name]
        starts, ends, labels = [], [], []
        for p in f["period"]:
            try:
                s, e = cal.period_bounds(str(p))
                starts.append(pd.Timestamp(s))
                ends.append(pd.Timestamp(e))
                labels.append(cal.normalise_period(str(p)))
            except ValueError:
                starts.append(pd.NaT)
                ends.append(pd.NaT)
                labels.append(p)
        f["period_start"], f["period_end"], f["period"] = starts, ends, labels
        ds.tables[name] = f
        bad = f["period_start"].isna()
        if bad.any():
            _reject(ds, name, t, bad, "unknown period label; row not stored", "period",
                    "2026-Q1, 2026-03 or FY2026 (fiscal calendar from miroir.toml)",
                    "Write periods as 2026-Q1, 2026-03 or FY2026.", "period_invalid")
        f = ds.tables[name]
        neg = f["amount"] < 0
        if neg.any():
            _warn(ds, name, t, neg, "negative amount; kept as is", "amount", code="amount_negative")

    it = ds.tables.get("intuitions")
    if it is not None and len(it) and deal_ids:
        t = typed["intuitions"]
        unknown = ~it["deal_id"].isin(deal_ids)
        if unknown.any():
            _reject(ds, "intuitions", t, unknown, "deal_id not found in deals; gut call not stored", "deal_id",
                    "a deal_id present in deals", "Fix the id or add the deal.", "unknown_deal")


def normalise_change_values(ds: Dataset, t: TypedTable) -> None:
    """Normalise old/new values by field: ISO dates, plain numbers, contract vocabularies."""
    dc = ds.tables["deal_changes"]
    for fld in ("close_date",):
        m = dc["field"] == fld
        if not m.any():
            continue
        for col in ("old_value", "new_value"):
            probs: list[Problem] = []
            vals = parse_dates(dc.loc[m, col].fillna("").astype(str).set_axis(dc.loc[m, "src_row"]),
                               file=t.file, column=col, date_order=ds.config.date_order, with_time=False,
                               problems=probs)
            iso = vals.dt.strftime("%Y-%m-%d")
            dc.loc[m, col] = np.where(vals.notna(), iso, dc.loc[m, col])
            _keep_problems(ds, probs, col == "new_value", "deal_changes")
    for fld in ("amount", "discount_pct"):
        m = dc["field"] == fld
        if not m.any():
            continue
        for col in ("old_value", "new_value"):
            probs = []
            vals = parse_numbers(dc.loc[m, col].fillna("").astype(str).set_axis(dc.loc[m, "src_row"]),
                                 file=t.file, column=col, decimal_comma=False, problems=probs)
            txt = vals.map(lambda v: None if pd.isna(v) else repr(float(v)))
            dc.loc[m, col] = np.where(vals.notna(), txt, dc.loc[m, col])
            _keep_problems(ds, probs, col == "new_value", "deal_changes")
    for fld, vocab in (("status", "status"), ("forecast_category", "forecast_category")):
        m = dc["field"] == fld
        if not m.any():
            continue
        for col in ("old_value", "new_value"):
            mapped, text = map_enum(dc.loc[m, col].fillna("").astype(str), vocab)
            dc.loc[m, col] = mapped.where(mapped.notna(), text.str.lower().where(text.ne(""), None))
    ds.tables["deal_changes"] = dc
    bad_rows = {p.row for p in ds.problems if p.file == t.file and p.severity == "error" and p.row is not None}
    if bad_rows:
        ds.tables["deal_changes"] = dc[~dc["src_row"].isin(list(bad_rows))].copy()


def _keep_problems(ds: Dataset, probs: list[Problem], is_new: bool, table: str) -> None:
    import dataclasses

    for p in probs:
        if p.severity == "error" and not is_new:
            p = dataclasses.replace(p, severity="warning", message=p.message + "; old value kept as written")
        elif p.severity == "error":
            p = dataclasses.replace(p, message=p.message + " in a history row; change not stored")
        ds.problems.append(dataclasses.replace(p, table=table))


def infer_stages(ds: Dataset) -> pd.DataFrame:
    """Stage order from miroir.toml, else inferred from history (mean position of first appearance)."""
    deals = ds.tables.get("deals")
    if deals is None or not len(deals):
        return pd.DataFrame(columns=["stage", "ordinal", "is_closed", "source"])
    closed_final = set(deals.loc[deals["status"].isin(["won", "lost"]), "stage"].dropna())
    open_final = set(deals.loc[deals["status"] == "open", "stage"].dropna())
    rows: list[tuple[str, int, bool, str]] = []
    if ds.config.stages:
        for i, s in enumerate(ds.config.stages):
            rows.append((s, i, s in closed_final and s not in open_final, "miroir.toml"))
        known = {fold(s) for s in ds.config.stages}
        unknown = deals["stage"].notna() & ~deals["stage"].map(lambda s: fold(str(s)) in known)
        if unknown.any():
            file = next((f"deals{ext}" for ext in (".csv", ".xlsx", ".parquet")
                         if (ds.folder / f"deals{ext}").exists()), "deals.csv")
            for r, v in zip(deals.loc[unknown, "src_row"][:2000], deals.loc[unknown, "stage"][:2000], strict=False):
                ds.problems.append(Problem("warning", file, "stage not listed in miroir.toml stages; kept, "
                                           "placed after the listed stages", row=int(r), column="stage",
                                           value=str(v), remedy="Add the stage to `stages` in miroir.toml.",
                                           table="deals", code="unknown_stage"))
            extra = sorted(set(deals.loc[unknown, "stage"]))
            for j, s in enumerate(extra):
                rows.append((s, len(ds.config.stages) + j, s in closed_final and s not in open_final, "data"))
        return pd.DataFrame(rows, columns=["stage", "ordinal", "is_closed", "source"])
    dc = ds.tables.get("deal_changes")
    pos: dict[str, list[float]] = {}
    if dc is not None and len(dc):
        st = dc[dc["field"] == "stage"].sort_values(["deal_id", "changed_at"])
        if len(st):
            seq = pd.concat([st[["deal_id", "old_value", "changed_at"]].rename(columns={"old_value": "s"}),
                             st[["deal_id", "new_value", "changed_at"]].rename(columns={"new_value": "s"})])
            seq = seq.dropna(subset=["s"]).sort_values(["deal_id", "changed_at"])
            seq = seq.drop_duplicates(["deal_id", "s"], keep="first")
            seq["rank"] = seq.groupby("deal_id").cumcount()
            seq["n"] = seq.groupby("deal_id")["rank"].transform("max").clip(lower=1)
            seq["rel"] = seq["rank"] / seq["n"]
            for s, g in seq.groupby("s"):
                pos[str(s)] = g["rel"].tolist()
    all_stages = sorted(set(deals["stage"].dropna()) | set(pos))
    def key(s: str) -> tuple[int, float, str]:
        closed = s in closed_final and s not in open_final
        return (1 if closed else 0, float(np.mean(pos[s])) if s in pos else 0.5, s)
    ordered = sorted(all_stages, key=key)
    source = "history" if pos else "data"
    return pd.DataFrame([(s, i, s in closed_final and s not in open_final, source) for i, s in enumerate(ordered)],
                        columns=["stage", "ordinal", "is_closed", "source"])
