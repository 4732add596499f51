"""Fiscal calendar: dates -> periods (quarters, months, fiscal years) and back.

A fiscal year is named after the calendar year in which it *ends* (the
Salesforce default): with ``fiscal_year_start_month = 2``, FY2027 runs from
2026-02-01 to 2027-01-31. With the default start month 1 the fiscal year is
the calendar year. Period labels: ``2026-Q1`` (fiscal quarter), ``2026-03``
(calendar month), ``FY2026``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import MiroirError

_Q = re.compile(r"^\s*(?:FY)?(\d{4})\s*[-_ ]?\s*Q([1-4])\s*$", re.I)
_Q2 = re.compile(r"^\s*Q([1-4])\s*[-_ ]?\s*(?:FY)?(\d{4})\s*$", re.I)
_M = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_FY = re.compile(r"^\s*FY\s*(\d{4})\s*$", re.I)


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


@dataclass(frozen=True)
class FiscalCalendar:
    fiscal_year_start_month: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise MiroirError(
                f"fiscal_year_start_month must be 1..12, got {self.fiscal_year_start_month}",
                "Fix fiscal_year_start_month in miroir.toml.",
                file="miroir.toml",
            )

    # -- fiscal year -------------------------------------------------------
    def fiscal_year_start(self, fy: int) -> dt.date:
        s = self.fiscal_year_start_month
        return dt.date(fy if s == 1 else fy - 1, s, 1)

    def fiscal_year_of(self, d: dt.date) -> int:
        s = self.fiscal_year_start_month
        if s == 1:
            return d.year
        return d.year + 1 if d.month >= s else d.year

    # -- quarters ----------------------------------------------------------
    def quarter_of(self, d: dt.date) -> str:
        fy = self.fiscal_year_of(d)
        start = self.fiscal_year_start(fy)
        months = (d.year - start.year) * 12 + d.month - start.month
        return f"{fy}-Q{months // 3 + 1}"

    def quarter_bounds(self, label: str) -> tuple[dt.date, dt.date]:
        """Inclusive start and end dates of a quarter label."""
        start, end = self.period_bounds(label)
        return start, end

    def period_bounds(self, label: str) -> tuple[dt.date, dt.date]:
        """Inclusive (start, end) of a period label: 2026-Q1, 2026-03 or FY2026."""
        text = str(label).strip()
        m = _Q.match(text) or None
        if m is None:
            m2 = _Q2.match(text)
            if m2:
                fy, q = int(m2.group(2)), int(m2.group(1))
            else:
                fy = q = 0
        else:
            fy, q = int(m.group(1)), int(m.group(2))
        if fy:
            start = _add_months(self.fiscal_year_start(fy), 3 * (q - 1))
            end = _add_months(start, 3) - dt.timedelta(days=1)
            return start, end
        m = _M.match(text)
        if m and 1 <= int(m.group(2)) <= 12:
            start = dt.date(int(m.group(1)), int(m.group(2)), 1)
            return start, _add_months(start, 1) - dt.timedelta(days=1)
        m = _FY.match(text)
        if m:
            start = self.fiscal_year_start(int(m.group(1)))
            return start, _add_months(start, 12) - dt.timedelta(days=1)
        raise ValueError(f"unknown period label {label!r}; expected 2026-Q1, 2026-03 or FY2026")

    def normalise_period(self, label: str) -> str:
        """Canonical spelling of a period label (e.g. 'q1 2026' -> '2026-Q1')."""
        start, end = self.period_bounds(label)
        days = (end - start).days
        if days < 40:
            return f"{start.year}-{start.month:02d}"
        if days < 100:
            return self.quarter_of(start)
        return f"FY{self.fiscal_year_of(start)}"

    def quarters(self, dates: pd.Series) -> pd.Series:
        """Vectorised quarter labels for a Series of dates/timestamps (NaT -> None)."""
        ts = pd.to_datetime(dates)
        s = self.fiscal_year_start_month
        month_index = ts.dt.year * 12 + (ts.dt.month - 1)
        shifted = month_index - (s - 1)
        fy_start_year = shifted // 12
        fy = fy_start_year + (0 if s == 1 else 1)
        q = (shifted % 12) // 3 + 1
        out = fy.astype("Int64").astype(str) + "-Q" + q.astype("Int64").astype(str)
        return out.where(ts.notna(), None)

    def quarter_start(self, dates: pd.Series) -> pd.Series:
        """Vectorised first day of the fiscal quarter containing each date."""
        ts = pd.to_datetime(dates)
        s = self.fiscal_year_start_month
        month_index = ts.dt.year * 12 + (ts.dt.month - 1)
        offset = (month_index - (s - 1)) % 3
        start_index = month_index - offset
        years = (start_index // 12).astype("Int64")
        months = (start_index % 12 + 1).astype("Int64")
        out = pd.to_datetime(
            pd.DataFrame({"year": years, "month": months, "day": 1}), errors="coerce"
        )
        return out.where(ts.notna())

    def quarter_end(self, dates: pd.Series) -> pd.Series:
        """Vectorised last day of the fiscal quarter containing each date."""
        start = self.quarter_start(dates)
        return start + pd.DateOffset(months=3) - pd.Timedelta(days=1)


def business_days_between(start: pd.Series, end: pd.Series) -> np.ndarray:
    """Business days (Mon-Fri) from start (inclusive) to end (exclusive)."""
    s = pd.to_datetime(start).values.astype("datetime64[D]")
    e = pd.to_datetime(end).values.astype("datetime64[D]")
    return np.busday_count(s, e)
