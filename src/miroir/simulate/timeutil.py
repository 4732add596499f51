"""Day arithmetic for the simulator: days are ints counted from ``world.START``."""

from __future__ import annotations

import datetime as dt

import numpy as np

from .world import START, TODAY

D0 = np.datetime64(START.isoformat(), "D")
TODAY_DAY = (TODAY - START).days


def day_of(d: dt.date) -> int:
    return (d - START).days


def date_of(day: int) -> dt.date:
    return START + dt.timedelta(days=int(day))


def iso(day: int) -> str:
    return date_of(day).isoformat()


def weekday(days: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday."""
    return (np.asarray(days) + START.weekday()) % 7


def quarter_start(days: np.ndarray | int) -> np.ndarray:
    d = D0 + np.asarray(days).astype("timedelta64[D]")
    m = d.astype("datetime64[M]").astype(np.int64)
    qm = (m - (m % 3)).astype("datetime64[M]").astype("datetime64[D]")
    return (qm - D0).astype(np.int64)


def quarter_end(days: np.ndarray | int) -> np.ndarray:
    d = D0 + np.asarray(days).astype("timedelta64[D]")
    m = d.astype("datetime64[M]").astype(np.int64)
    nq = (m - (m % 3) + 3).astype("datetime64[M]").astype("datetime64[D]")
    return (nq - D0).astype(np.int64) - 1


def quarter_index(days: np.ndarray | int) -> np.ndarray:
    d = D0 + np.asarray(days).astype("timedelta64[D]")
    return d.astype("datetime64[M]").astype(np.int64) // 3


def quarter_label(qidx: int) -> str:
    return f"{1970 + qidx // 4}-Q{qidx % 4 + 1}"


def snap_back(days: np.ndarray) -> np.ndarray:
    """Move weekend days to the Friday before."""
    w = weekday(days)
    return np.asarray(days) - np.where(w == 5, 1, np.where(w == 6, 2, 0))


def snap_fwd(days: np.ndarray) -> np.ndarray:
    """Move weekend days to the Monday after."""
    w = weekday(days)
    return np.asarray(days) + np.where(w == 5, 2, np.where(w == 6, 1, 0))


def stamp(day: int, minute: int) -> str:
    """ISO UTC timestamp for a day and minute of the day."""
    h, m = divmod(int(minute), 60)
    return f"{date_of(day).isoformat()}T{h:02d}:{m:02d}:00Z"
