"""deals.csv and deal_changes.csv: the CRM snapshot at TODAY and the full field history.

Written deal by deal in one streaming pass, so memory does not grow with the
number of changes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .deals import NA, DealBook
from .timeutil import TODAY_DAY, iso
from .world import CURRENCY, PRODUCTS, STAGES, Org

DEAL_COLUMNS = ["deal_id", "name", "account", "owner", "team", "amount", "currency", "stage", "forecast_category",
                "created_at", "close_date", "status", "discount_pct", "list_amount"]
CHANGE_COLUMNS = ["deal_id", "changed_at", "field", "old_value", "new_value", "changed_by"]


def num(x: float) -> str:
    """Plain decimal text: 23400 or 23400.5."""
    v = round(float(x), 2)
    return str(int(v)) if v == int(v) else f"{v:.2f}".rstrip("0")


def deal_id(i: int, n: int) -> str:
    return f"D-{i + 1:0{max(5, len(str(n)))}d}"


def deal_name(book: DealBook, org: Org, i: int) -> str:
    return f"{book.account[i]} - {PRODUCTS[org.lang][int(book.product[i])]}"


@dataclass
class _Event:
    day: int
    seq: int
    field: str
    new: str


def _events(book: DealBook, i: int, stages: tuple[str, ...], rng: np.random.Generator) -> list[_Event]:
    ev: list[_Event] = []
    c = int(book.created[i])
    end = int(book.end[i])
    ev.append(_Event(c, 0, "stage", stages[0]))
    ev.append(_Event(c, 1, "amount", num(book.initial_amount[i])))
    ev.append(_Event(c, 2, "close_date", iso(int(book.first_expected[i]))))
    ev.append(_Event(c, 3, "forecast_category", "pipeline"))
    ev.append(_Event(c, 4, "status", "open"))
    for k in (1, 2, 3):
        d = int(book.entry[i, k])
        if d != NA:
            ev.append(_Event(d, 10, "stage", stages[k]))
    # the rep re-estimates the amount while the deal is still being qualified
    until = int(book.entry[i, 2]) if book.entry[i, 2] != NA else end
    k = int(rng.poisson(5.0))
    if k and until - c > 2:
        amount = float(book.initial_amount[i])
        for d in sorted(int(x) for x in rng.integers(c + 1, until, k)):
            amount = round(amount * float(rng.uniform(0.9, 1.12)), -2)
            ev.append(_Event(d, 5, "amount", num(amount)))
    if book.entry[i, 2] != NA:
        d = int(book.entry[i, 2])
        ev.append(_Event(d, 11, "amount", num(book.list_amount[i])))
        ev.append(_Event(d, 12, "forecast_category", "best_case"))
    if book.commit[i]:
        ev.append(_Event(int(book.commit_day[i]), 13, "forecast_category", "commit"))
    for d, t in zip(book.push_day[i], book.push_to[i], strict=True):
        ev.append(_Event(int(d), 14, "close_date", iso(int(t))))
    if book.pulled_in[i]:
        ev.append(_Event(int(book.pull_day[i]), 15, "close_date", iso(end)))
    base = float(book.discount_base[i])
    if base > 0:
        d = int(book.discount_day[i])
        ev.append(_Event(d, 16, "discount_pct", num(base)))
        ev.append(_Event(d, 17, "amount", num(book.list_amount[i] * (1 - base / 100))))
    if book.deepen_day[i] != NA:
        d = int(book.deepen_day[i])
        total = float(book.discount[i])
        ev.append(_Event(d, 18, "discount_pct", num(total)))
        ev.append(_Event(d, 19, "amount", num(book.list_amount[i] * (1 - total / 100))))
    won = bool(book.won[i])
    ev.append(_Event(end, 30, "close_date", iso(end)))  # dropped below when unchanged
    ev.append(_Event(end, 31, "stage", stages[4] if won else stages[5]))
    ev.append(_Event(end, 32, "forecast_category", "closed" if won else "omitted"))
    ev.append(_Event(end, 33, "status", "won" if won else "lost"))
    ev.sort(key=lambda e: (e.day, e.seq))
    return [e for e in ev if e.day <= TODAY_DAY]


def write_deals(book: DealBook, org: Org, folder: Path, rng: np.random.Generator) -> tuple[int, list[str]]:
    """Write deals.csv and deal_changes.csv; returns (number of changes, deal ids)."""
    stages = STAGES[org.lang]
    lo = int(book.created.min())
    days_iso = [iso(d) for d in range(lo, TODAY_DAY + 1)]
    clock = [f"T{m // 60:02d}:{m % 60:02d}:00Z" for m in range(24 * 60)]
    pool = rng.integers(8 * 60, 19 * 60, 1 << 16)
    pos = 0
    currency = CURRENCY[org.lang]
    ids = [deal_id(i, book.n) for i in range(book.n)]
    n_changes = 0
    with (folder / "deals.csv").open("w", newline="", encoding="utf-8") as fd, \
            (folder / "deal_changes.csv").open("w", newline="", encoding="utf-8") as fc:
        wd = csv.writer(fd, lineterminator="\n")
        wc = csv.writer(fc, lineterminator="\n")
        wd.writerow(DEAL_COLUMNS)
        wc.writerow(CHANGE_COLUMNS)
        for i in range(book.n):
            owner = org.reps[int(book.owner[i])]
            state: dict[str, str] = {}
            rows = []
            for day, evs in _by_day(_events(book, i, stages, rng)):
                if pos + len(evs) > len(pool):
                    pool = rng.integers(8 * 60, 19 * 60, 1 << 16)
                    pos = 0
                minutes = sorted(pool[pos:pos + len(evs)].tolist())
                pos += len(evs)
                if day == int(book.created[i]):
                    minutes = [minutes[0]] * len(evs)
                day_text = days_iso[day - lo]
                for e, m in zip(evs, minutes, strict=True):
                    old = state.get(e.field, "")
                    if old == e.new:
                        continue
                    state[e.field] = e.new
                    rows.append((ids[i], day_text + clock[m], e.field, old, e.new, owner.name))
            wc.writerows(rows)
            n_changes += len(rows)
            status = state["status"]
            disc = state.get("discount_pct", "")
            wd.writerow([ids[i], deal_name(book, org, i), book.account[i], owner.name, owner.team,
                         state["amount"], currency, state["stage"], state["forecast_category"],
                         iso(int(book.created[i])), state["close_date"], status, disc,
                         num(book.list_amount[i])])
    return n_changes, ids


def _by_day(events: list[_Event]) -> Iterator[tuple[int, list[_Event]]]:
    i = 0
    while i < len(events):
        j = i
        while j < len(events) and events[j].day == events[i].day:
            j += 1
        yield events[i].day, events[i:j]
        i = j
