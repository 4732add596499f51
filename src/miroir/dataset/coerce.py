"""Typed coercion of text columns, vectorised, with one Problem per bad cell.

Dates: ISO 8601 first; then day-first or month-first numeric dates when the
column itself makes the order unambiguous (a day > 12 somewhere) or when
``date_order`` is declared in miroir.toml. Numbers: currency signs and
thousands separators removed; decimal comma accepted.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from ..errors import Problem
from .spec import ENUMS

_NUMERIC_DATE = re.compile(
    r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$"
)
MIN_YEAR, MAX_YEAR = 1990, 2100


def fold(text: str) -> str:
    """Lower-case, accents removed, spaces/underscores collapsed (for matching labels)."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return re.sub(r"[\s_]+", " ", t.lower()).strip()


def _bad(problems: list[Problem], file: str, column: str, rows: pd.Index, values: pd.Series, message: str,
         expected: str, remedy: str, severity: str = "error", code: str = "", limit: int = 10_000) -> None:
    # errors are never truncated: a row is rejected only through its listed problem, so an unlisted
    # bad cell would be stored silently; warnings beyond ``limit`` are summed up in one line
    n = len(rows) if severity == "error" else min(limit, len(rows))
    for r, v in zip(rows[:n], values[:n], strict=False):
        problems.append(Problem(severity, file, message, expected=expected, remedy=remedy,  # type: ignore[arg-type]
                                row=int(r), column=column, value=str(v)[:80], code=code))
    if len(rows) > n:
        problems.append(Problem(severity, file, f"{len(rows) - n} more rows: {message}",  # type: ignore[arg-type]
                                column=column, code=code))


def parse_dates(s: pd.Series, *, file: str, column: str, date_order: str | None, with_time: bool,
                problems: list[Problem]) -> pd.Series:
    """Return datetime64 (naive, UTC) values; NaT where empty or invalid (bad cells -> problems)."""
    text = s.astype(str).str.strip()
    empty = text.eq("")
    iso = pd.to_datetime(text.where(~empty), format="ISO8601", errors="coerce", utc=True)
    out = iso.dt.tz_convert(None)
    todo = out.isna() & ~empty
    if todo.any():
        parts = text[todo].str.extract(_NUMERIC_DATE)
        ok = parts[0].notna()
        if ok.any():
            a = pd.to_numeric(parts.loc[ok, 0]).astype(int)
            b = pd.to_numeric(parts.loc[ok, 1]).astype(int)
            order = date_order
            if order not in ("dmy", "mdy"):
                day_first = bool((a > 12).any())
                month_first = bool((b > 12).any())
                if day_first and not month_first:
                    order = "dmy"
                elif month_first and not day_first:
                    order = "mdy"
                elif day_first and month_first:
                    order = None
                    _bad(problems, file, column, a.index, text[a.index],
                         "dates mix day-first and month-first orders", "one date order in the column",
                         "Use ISO dates (2026-03-31) or one order and declare date_order in miroir.toml.",
                         code="date_mixed_order")
                else:
                    order = None
                    _bad(problems, file, column, a.index, text[a.index],
                         "ambiguous date: day and month are both <= 12 everywhere in this column",
                         "ISO dates (2026-03-31), or a declared order",
                         "Use ISO dates, or add date_order = \"dmy\" (or \"mdy\") to miroir.toml.",
                         code="date_ambiguous")
            if order:
                year = pd.to_numeric(parts.loc[ok, 2]).astype(int)
                year = year.where(year >= 100, year + 2000)
                day, month = (a, b) if order == "dmy" else (b, a)
                hh = pd.to_numeric(parts.loc[ok, 3], errors="coerce").fillna(0).astype(int)
                mm = pd.to_numeric(parts.loc[ok, 4], errors="coerce").fillna(0).astype(int)
                ss = pd.to_numeric(parts.loc[ok, 5], errors="coerce").fillna(0).astype(int)
                built = pd.to_datetime(
                    pd.DataFrame({"year": year, "month": month, "day": day, "hour": hh, "minute": mm,
                                  "second": ss}), errors="coerce")
                out.loc[built.index] = built
        still = out.isna() & ~empty
        already = {p.row for p in problems if p.file == file and p.column == column and p.code.startswith("date_")}
        bad_idx = [i for i in text[still].index if i not in already]
        if bad_idx:
            _bad(problems, file, column, pd.Index(bad_idx), text[bad_idx], "not a valid date",
                 "ISO 8601 (2026-03-31 or 2026-03-31T16:05:00Z) or an unambiguous day-first date (31/03/2026)",
                 "Fix the date in the source or re-export with ISO dates.", code="date_invalid")
    if not with_time:
        out = out.dt.normalize()
    years = out.dt.year
    odd = years.notna() & ((years < MIN_YEAR) | (years > MAX_YEAR))
    if odd.any():
        _bad(problems, file, column, out[odd].index, text[odd],
             f"date outside {MIN_YEAR}-{MAX_YEAR}; kept as is", "a plausible business date",
             "Check the source: placeholder dates (1900-01-01, 2200-12-31) distort period metrics.",
             severity="warning", code="date_implausible")
    return out


_CURRENCY = re.compile(r"[€$£¥]|\b(?:EUR|USD|GBP|CHF|CAD|AUD|JPY)\b", re.I)


def parse_numbers(s: pd.Series, *, file: str, column: str, decimal_comma: bool,
                  problems: list[Problem]) -> pd.Series:
    text = s.astype(str).str.strip()
    empty = text.eq("")
    t = text.str.replace(_CURRENCY, "", regex=True)
    t = t.str.replace(r"[\s\u00a0\u202f'’%]", "", regex=True)
    both = t.str.contains(",", regex=False) & t.str.contains(".", regex=False)
    # both separators: the last one is the decimal separator
    last_comma = t.str.rfind(",") > t.str.rfind(".")
    t = t.mask(both & last_comma, t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    t = t.mask(both & ~last_comma, t.str.replace(",", "", regex=False))
    only_comma = ~both & t.str.contains(",", regex=False)
    thousands = t.str.fullmatch(r"-?\d{1,3}(,\d{3})+")
    if decimal_comma:
        t = t.mask(only_comma, t.str.replace(",", ".", regex=False))
    else:
        t = t.mask(only_comma & thousands, t.str.replace(",", "", regex=False))
        t = t.mask(only_comma & ~thousands, t.str.replace(",", ".", regex=False))
    # a leading/trailing sign in accounting style "(123)"
    t = t.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    out = pd.to_numeric(t.where(~empty), errors="coerce")
    bad = out.isna() & ~empty
    if bad.any():
        _bad(problems, file, column, out[bad].index, text[bad], "not a number",
             "a number such as 12500, 12 500,50 or 12,500.50", "Fix the cell or remove text around the number.",
             code="number_invalid")
    inf = np.isinf(out.fillna(0).to_numpy())
    if inf.any():
        out[inf] = np.nan
    return out.astype("float64")


def _lookup(vocab: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, spellings in ENUMS[vocab].items():
        for sp in (canonical, *spellings):
            table[fold(sp)] = canonical
    return table


_LOOKUPS = {name: _lookup(name) for name in ENUMS}


def map_enum(s: pd.Series, vocab: str) -> tuple[pd.Series, pd.Series]:
    """Map values onto a vocabulary. Returns (mapped or None, original text)."""
    text = s.astype(str).str.strip()
    table = _LOOKUPS[vocab]
    uniques = {v: table.get(fold(v)) for v in text.unique()}
    mapped = text.map(uniques)
    return mapped, text
