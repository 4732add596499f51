import datetime as dt

import pandas as pd
import pytest

from miroir.calendar import FiscalCalendar


def test_calendar_year_quarters():
    cal = FiscalCalendar(1)
    assert cal.quarter_of(dt.date(2026, 3, 31)) == "2026-Q1"
    assert cal.quarter_of(dt.date(2026, 4, 1)) == "2026-Q2"
    assert cal.period_bounds("2026-Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert cal.period_bounds("2026-03") == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert cal.period_bounds("FY2026") == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_february_fiscal_year_named_by_end_year():
    cal = FiscalCalendar(2)
    # FY2027 runs 2026-02-01 .. 2027-01-31
    assert cal.period_bounds("FY2027") == (dt.date(2026, 2, 1), dt.date(2027, 1, 31))
    assert cal.quarter_of(dt.date(2026, 2, 1)) == "2027-Q1"
    assert cal.quarter_of(dt.date(2027, 1, 31)) == "2027-Q4"
    assert cal.period_bounds("2027-Q1") == (dt.date(2026, 2, 1), dt.date(2026, 4, 30))


@pytest.mark.parametrize("label,expected", [("q1 2026", "2026-Q1"), ("2026Q2", "2026-Q2"), ("FY 2025", "FY2025"),
                                            ("2026-3", "2026-03")])
def test_normalise_period(label, expected):
    assert FiscalCalendar(1).normalise_period(label) == expected


def test_bad_period_raises_value_error():
    with pytest.raises(ValueError):
        FiscalCalendar(1).period_bounds("next quarter")


@pytest.mark.parametrize("start_month", [1, 2, 4, 7, 11])
def test_vectorised_quarters_match_scalar(start_month):
    cal = FiscalCalendar(start_month)
    dates = pd.Series(pd.date_range("2024-01-01", "2026-12-31", freq="11D"))
    vec = cal.quarters(dates)
    starts = cal.quarter_start(dates)
    ends = cal.quarter_end(dates)
    for d, q, s, e in zip(dates, vec, starts, ends, strict=True):
        assert q == cal.quarter_of(d.date())
        assert (s.date(), e.date()) == cal.period_bounds(q)
