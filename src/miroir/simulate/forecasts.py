"""forecasts.csv (weekly calls per rep and quarter) and quotas.csv.

A rep's call at week w of a quarter is what will close for them in that
quarter, seen through their forecasting bias and an uncertainty that shrinks
as the quarter advances: F = A * (1 + bias) * exp(N(0, sigma_w)).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .deals import DealBook
from .history import num
from .timeutil import D0, TODAY_DAY, iso, quarter_end, quarter_index, quarter_label, weekday
from .world import Org


def won_by_rep_quarter(book: DealBook) -> dict[tuple[int, int], float]:
    """Won value per (rep, quarter index), including deals that will still close this quarter."""
    out: dict[tuple[int, int], float] = {}
    q = quarter_index(book.end)
    amount = book.list_amount * (1 - book.discount / 100)
    for r, qq, a, w in zip(book.owner, q, amount, book.won, strict=True):
        if w:
            key = (int(r), int(qq))
            out[key] = out.get(key, 0.0) + float(a)
    return out


Calls = dict[tuple[int, int], list[tuple[int, float, float]]]


def write_forecasts(book: DealBook, org: Org, folder: Path, rng: np.random.Generator) -> Calls:
    """Write forecasts.csv; returns (day, commit, best_case) submissions per (rep, quarter index)."""
    won = won_by_rep_quarter(book)
    q_lo = int(quarter_index(0))
    q_hi = int(quarter_index(TODAY_DAY))
    last: Calls = {}
    rows: list[list[str]] = []
    with (folder / "forecasts.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["owner", "period", "submitted_at", "category", "amount"])
        for r, rep in enumerate(org.reps):
            bias = rep.rep.forecast_bias if rep.rep else 0.0
            for q in range(q_lo, q_hi + 1):
                qs = _first_day_of_quarter(q)
                qe = int(quarter_end(np.array(qs)))
                actual = won.get((r, q), 0.0)
                base = max(actual, 3000.0)
                for week in range(13):
                    day = qs + ((0 - _wd(qs)) % 7) + 7 * week
                    if day > min(qe, TODAY_DAY):
                        break
                    if rng.random() < 0.1:
                        continue
                    sigma = 0.25 * (1 - week / 13) + 0.04
                    commit = base * (1 + bias) * float(np.exp(rng.normal(0, sigma)))
                    best = commit * float(rng.uniform(1.15, 1.4))
                    pipe = best * float(rng.uniform(1.5, 2.2))
                    period = quarter_label(q)
                    for cat, val in (("commit", commit), ("best_case", best), ("pipeline", pipe)):
                        rows.append([rep.name, period, iso(day), cat, num(round(val, -2))])
                    last.setdefault((r, q), []).append((day, round(commit, -2), round(best, -2)))
            w.writerows(rows)
            rows.clear()
    return last


def _wd(day: int) -> int:
    return int(weekday(np.array(day)))


def _first_day_of_quarter(q: int) -> int:
    d = np.datetime64(f"{1970 + q // 4}-{3 * (q % 4) + 1:02d}-01", "D")
    return int((d - D0).astype(np.int64))


def write_quotas(book: DealBook, org: Org, folder: Path) -> None:
    with (folder / "quotas.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["owner", "period", "amount", "accelerator_at"])
        for (r, q), amount in sorted(book.quota.items()):
            w.writerow([org.reps[r].name, quarter_label(q), num(amount), "1.0"])
