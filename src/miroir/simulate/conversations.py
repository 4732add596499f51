"""Schedules the conversations, composes them, and writes transcripts as it goes.

Customer calls on the deals that have recorded calls; a pipeline review per team
every other week; a forecast call per team near each quarter end. Managers'
gut calls on deals (intuitions.csv) are recorded at their reviews.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .banks import Composer, load_bank
from .deals import COMP_EVENT_DAY, ELEMENTS, NA, DealBook
from .dialogue import (
    DealView,
    ForecastEntry,
    ReviewItem,
    Script,
    Speaker,
    customer_call,
    forecast_call,
    review,
)
from .forecasts import Calls
from .history import deal_name
from .timeutil import TODAY_DAY, iso, quarter_end, quarter_index, quarter_start, snap_back, snap_fwd, weekday
from .transcripts import FORMATS, Turn, write
from .world import PRODUCTS, STAGES, START, Org, Person

STAGE_P = np.array([0.1, 0.2, 0.4, 0.7])
# attention_mismatch plant: depth (claims and follow-ups) of the smallest deals a manager's reviews discuss
# (depth 1 for the largest); 3 left the planted manager only ~0.10 above the structural mismatch of a value-led team
INVERSE_DEPTH_SMALL = 4
CALL_FORMATS = {"customer_call": (0.25, 0.1, 0.1, 0.1, 0.15, 0.3),  # gong-heavy, like a call recorder
                "pipeline_review": (0.3, 0.25, 0.15, 0.15, 0.1, 0.05),
                "forecast_call": (0.3, 0.25, 0.15, 0.15, 0.1, 0.05)}


@dataclass
class GutCandidate:
    manager: str
    deal: int
    day: int
    bad: bool


@dataclass
class _Planned:
    day: int
    minute: int
    kind: str
    key: int  # deal index, or team index
    extra: int = 0  # call number for customer calls
    total: int = 1  # number of calls on that deal


class Conversations:
    def __init__(self, org: Org, book: DealBook, ids: list[str], calls: Calls, folder: Path,
                 seed: int, rng: np.random.Generator) -> None:
        self.org, self.book, self.ids, self.calls, self.folder = org, book, ids, calls, folder
        self.seed = seed
        self.rng = rng
        self.comp = Composer(org.lang, rng)
        self.names = load_bank(f"names_{org.lang}")
        self.lang_bank = load_bank(org.lang)
        self.internal = {p.name for p in org.people}
        self._contacts: dict[str, list[tuple[str, str]]] = {}
        self.team_idx = {t: i for i, t in enumerate(org.teams)}
        self.mentions = self._mentions()
        self.gut: list[GutCandidate] = []
        self.discussed: dict[tuple[int, int], int] = {}
        self.n_turns = 0
        order = np.argsort(book.team, kind="stable")
        bounds = np.searchsorted(book.team[order], np.arange(len(org.teams) + 1))
        self.team_deals = [order[bounds[k]:bounds[k + 1]] for k in range(len(org.teams))]
        order = np.argsort(book.owner, kind="stable")
        bounds = np.searchsorted(book.owner[order], np.arange(len(org.reps) + 1))
        self.rep_deals = [order[bounds[k]:bounds[k + 1]] for k in range(len(org.reps))]
        self.rep_index = {r.name: k for k, r in enumerate(org.reps)}

    # ------------------------------------------------------------------ helpers
    def _mentions(self) -> list[str]:
        key = [(int(self.book.team[i]), self.book.account[i]) for i in range(self.book.n)]
        counts: dict[tuple[int, str], int] = {}
        for k in key:
            counts[k] = counts.get(k, 0) + 1
        return [self.book.account[i] if counts[key[i]] == 1 else deal_name(self.book, self.org, i)
                for i in range(self.book.n)]

    def contacts(self, account: str) -> list[tuple[str, str]]:
        if account not in self._contacts:
            r = np.random.default_rng([self.seed, zlib.crc32(account.encode("utf-8"))])
            titles = self.lang_bank["slot:title"]
            out: list[tuple[str, str]] = []
            while len(out) < 4:
                g = "f" if r.random() < 0.5 else "m"
                first = self.names[f"first_{g}"][int(r.integers(len(self.names[f"first_{g}"])))]
                last = self.names["last"][int(r.integers(len(self.names["last"])))]
                name = f"{first} {last}"
                if name in self.internal or any(name == o[0] for o in out):
                    continue
                out.append((name, titles[int(r.integers(len(titles)))]))
            self._contacts[account] = out
        return self._contacts[account]

    def speaker(self, p: Person) -> Speaker:
        label = p.aliases[0] if p.aliases and self.rng.random() < 0.4 else p.name
        return Speaker(label, True, p.role, p.first)

    def view(self, i: int, day: int, owner: Speaker) -> DealView:
        b = self.book
        stage = STAGES[self.org.lang][b.stage_at(i, day)]
        si = b.slot_idx[i]
        bank = self.lang_bank
        slots = {"title": bank["slot:title"][si[0] % len(bank["slot:title"])],
                 "process_step": bank["slot:process_step"][si[1] % len(bank["slot:process_step"])],
                 "criterion": bank["slot:criterion"][si[2] % len(bank["slot:criterion"])],
                 "competitor": bank["slot:competitor"][si[3] % len(bank["slot:competitor"])],
                 "pain": bank["slot:pain"][si[4] % len(bank["slot:pain"])],
                 "month": bank["slot:month"][si[5] % len(bank["slot:month"])],
                 "date": _spoken_date(self.org.lang, min(int(b.expected_at(i, day)), day + 40))}
        contacts = self.contacts(b.account[i])[: int(b.threads[i])]
        product = bank["slot:product"][int(b.product[i]) % len(bank["slot:product"])]
        return DealView(self.ids[i], deal_name(b, self.org, i), b.account[i], self.mentions[i], product,
                        float(b.list_amount[i]), stage, owner, contacts, slots)

    # ------------------------------------------------------------------ schedule
    def schedule(self) -> list[_Planned]:
        b, rng = self.book, self.rng
        plan: list[_Planned] = []
        for i in np.flatnonzero(b.recorded):
            k = int(rng.choice(4, p=[0.1, 0.3, 0.35, 0.25])) + 1
            lo = int(b.created[i]) + 1
            hi = int(min(b.end[i], TODAY_DAY)) - 1
            if hi - lo < 6:
                k = 1
            first = lo + int(rng.integers(0, max(1, min(8, hi - lo))))
            days = [first] + sorted(int(x) for x in rng.integers(first + 3, max(first + 4, hi), k - 1))
            for j, d in enumerate(days):
                d = int(snap_fwd(np.array(d)))
                if d > hi + 1 or d > TODAY_DAY:
                    d = int(snap_back(np.array(min(hi, TODAY_DAY))))
                if d < max(lo, 0):
                    continue
                plan.append(_Planned(d, int(rng.integers(9 * 60, 17 * 60 + 30)), "customer_call", int(i), j,
                                     len(days)))
        first_tue = (1 - int(weekday(np.array(0)))) % 7
        for t in range(len(self.org.teams)):
            d = first_tue + 7 * (t % 2)
            while d <= TODAY_DAY:
                plan.append(_Planned(d, 9 * 60 + 30, "pipeline_review", t))
                d += 14
        q = int(quarter_index(0))
        while True:
            qs = int(quarter_start(np.array(_first_day(q))))
            fc = int(snap_back(np.array(int(quarter_end(np.array(qs))) - 9)))
            if fc > TODAY_DAY:
                break
            for t in range(len(self.org.teams)):
                plan.append(_Planned(fc, 14 * 60 + 30 * (t % 4), "forecast_call", t))
            q += 1
        plan.sort(key=lambda p: (p.day, p.minute, p.kind, p.key, p.extra))
        return plan

    # ------------------------------------------------------------------ build + write
    def run(self) -> int:
        plan = self.schedule()
        width = max(5, len(str(len(plan))))
        with (self.folder / "conversations.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["conversation_id", "kind", "started_at", "file", "deal_ids", "language", "title"])
            for n, p in enumerate(plan, start=1):
                cid = f"C-{n:0{width}d}"
                if p.kind == "customer_call":
                    script, deal_ids, title = self._customer_call(p)
                elif p.kind == "pipeline_review":
                    script, deal_ids, title = self._review(p)
                else:
                    script, deal_ids, title = self._forecast(p)
                fmt = FORMATS[int(self.rng.choice(len(FORMATS), p=CALL_FORMATS[p.kind]))]
                rel = write(self.folder, cid, fmt, self._timed(script))
                lang = self.org.lang if self.rng.random() < 0.7 else ""
                h, m = divmod(p.minute, 60)
                w.writerow([cid, p.kind, f"{iso(p.day)}T{h:02d}:{m:02d}:00Z", rel, ";".join(deal_ids), lang, title])
        return len(plan)

    def _timed(self, script: Script) -> list[Turn]:
        turns: list[Turn] = []
        t = float(self.rng.uniform(1, 8))
        for spk, text in script:
            words = len(text.split())
            dur = words / float(self.rng.uniform(2.3, 3.0)) + 0.4
            turns.append(Turn(spk.label, round(t, 2), round(t + dur, 2), text, spk.internal))
            t += dur + float(self.rng.uniform(0.2, 1.4))
        self.n_turns += len(turns)
        return turns

    def _customer_call(self, p: _Planned) -> tuple[Script, list[str], str]:
        b, rng, i = self.book, self.rng, p.key
        rep_p = self.org.reps[int(b.owner[i])]
        rep = self.speaker(rep_p)
        view = self.view(i, p.day, rep)
        contacts = view.contacts or self.contacts(b.account[i])[:1]
        people = [contacts[p.extra % len(contacts)]]
        if len(contacts) > 1 and rng.random() < 0.5:
            other = contacts[(p.extra + 1) % len(contacts)]
            people.append(other)
        customers = [Speaker(nm, False, "customer", nm.split(" ")[0]) for nm, _ in people]
        explored = [e for j, e in enumerate(ELEMENTS) if b.explored[i, j]]
        # each explored element is first explored in one call (mostly the first), sometimes revisited later
        mine = []
        for e in explored:
            h = _call_of(self.seed, i, e)
            at = 0 if h % 3 != 2 or p.total == 1 else 1 + (h // 3) % (p.total - 1)
            if at == p.extra or (p.extra > at and rng.random() < 0.2):
                mine.append(e)
        disc = rep_p.rep.discovery if rep_p.rep else 0.7
        pressure = 0
        if b.pressured[i]:
            strong = rep_p.rep is not None and rep_p.rep.pressure_customer >= 0.5
            pressure = (2 + int(rng.integers(2))) if strong else int(rng.integers(0, 3))
        script = customer_call(self.comp, rng, rep, customers, view, mine, discovery=disc, pressure=pressure,
                               first_call=p.extra == 0)
        title = (f"Appel {b.account[i]}" if self.org.lang == "fr" else f"Call with {b.account[i]}")
        return script, [self.ids[i]], title

    def _review(self, p: _Planned) -> tuple[Script, list[str], str]:
        b, rng, org = self.book, self.rng, self.org
        team = org.teams[p.key]
        mgr_p = org.managers[team]
        traits = mgr_p.mgr
        assert traits is not None
        d = p.day
        td = self.team_deals[p.key]
        cand = td[(b.created[td] < d) & (b.end[td] > d)]
        stage = ((b.entry[cand, 1:] != NA) & (b.entry[cand, 1:] <= d)).sum(axis=1)
        amount = b.list_amount[cand]
        forced = cand[(b.stuck_from[cand] <= d) & (b.stuck_to[cand] > d) & b.recurring[cand]][:3]
        key_stage = {int(c): int(s) for c, s in zip(cand, stage, strict=True)}
        ok = np.array([self.discussed.get((int(c), key_stage[int(c)]), 0) < 2 for c in cand], dtype=bool)
        if traits.attention == "inverse":
            weights = (1.0 / amount) * (1.2 - STAGE_P[stage])
        else:
            weights = amount * STAGE_P[stage]
        weights = np.where(ok, weights, 0.0)
        weights[np.isin(cand, forced)] = 0.0
        k = int(rng.integers(4, 8)) - len(forced)
        chosen = list(forced)
        if k > 0 and weights.sum() > 0:
            k = min(k, int((weights > 0).sum()))
            chosen += list(rng.choice(cand, size=k, replace=False, p=weights / weights.sum()))
        chosen = sorted(set(int(c) for c in chosen), key=lambda c: -b.list_amount[c])
        reps = [self.speaker(r) for r in org.reps_of(team)]
        rep_by_name = {r.name: s for r, s in zip(org.reps_of(team), reps, strict=True)}
        items = []
        ranks = {c: r for r, c in enumerate(chosen)}  # 0 = largest
        for c in chosen:
            owner_p = org.reps[int(b.owner[c])]
            owner = rep_by_name.get(owner_p.name) or self.speaker(owner_p)
            r = ranks[c] / max(1, len(chosen) - 1)
            if traits.attention == "inverse":  # the smallest deals get the longest discussions
                depth = INVERSE_DEPTH_SMALL if r > 0.6 else (2 if r > 0.3 else 1)
            else:
                depth = 3 if r < 0.3 else (2 if r < 0.65 else 1)
            sourced = owner_p.rep.sourced_claims if owner_p.rep else 0.7
            items.append(ReviewItem(self.view(c, d, owner), depth, sourced))
            self.discussed[(c, key_stage[c])] = self.discussed.get((c, key_stage[c]), 0) + 1
            self.gut.append(GutCandidate(mgr_p.name, c, d, _bad(b, c, d)))
        rate = self._pressure_rate(traits.pressure, traits.pressure_ramp, d)
        mgr = self.speaker(mgr_p)
        script = review(self.comp, rng, mgr, reps, items, traits, rate, int(rng.integers(55, 96)))
        deal_ids = [self.ids[c] for c in chosen] if rng.random() < 0.55 else []
        title = f"Revue de pipe {team}" if org.lang == "fr" else f"{team} pipeline review"
        return script, deal_ids, title

    def _pressure_rate(self, base: float, ramp: bool, day: int) -> float:
        wq = (day - int(quarter_start(np.array(day)))) / 7.0
        f = 0.3 + 1.7 * min(wq, 13) / 13
        rate = base * (f if ramp else 1.0)
        if self.org.has("org_event_effect") and day >= COMP_EVENT_DAY:
            rate += 0.3 * f
        return rate

    def _forecast(self, p: _Planned) -> tuple[Script, list[str], str]:
        b, rng, org = self.book, self.rng, self.org
        team = org.teams[p.key]
        mgr_p = org.managers[team]
        traits = mgr_p.mgr
        assert traits is not None
        q = int(quarter_index(np.array(p.day)))
        qe = int(quarter_end(np.array(p.day)))
        entries: list[ForecastEntry] = []
        deal_ids: list[str] = []
        for r_p in org.reps_of(team):
            r = self.rep_index[r_p.name]
            subs = [s for s in self.calls.get((r, q), []) if s[0] <= p.day]
            if not subs:
                continue
            _, commit, best = subs[-1]
            spk = self.speaker(r_p)
            rd = self.rep_deals[r]
            mine = rd[(b.created[rd] < p.day) & (b.end[rd] > p.day)]
            big = None
            if mine.size:
                exp = np.array([b.expected_at(int(i), p.day) for i in mine])
                near = mine[exp <= qe]
                if near.size:
                    c = int(near[np.argmax(b.list_amount[near])])
                    big = self.view(c, p.day, spk)
                    deal_ids.append(self.ids[c])
            sourced = r_p.rep.sourced_claims if r_p.rep else 0.7
            entries.append(ForecastEntry(spk, commit, best, big, sourced))
        director = self.speaker(org.director) if rng.random() < 0.3 else None
        rate = self._pressure_rate(traits.pressure, traits.pressure_ramp, p.day) * 0.8
        script = forecast_call(self.comp, rng, self.speaker(mgr_p), director, entries, traits, rate)
        title = f"Forecast {team} {_qname(org.lang, q)}"
        return script, deal_ids if rng.random() < 0.5 else [], title


def _qname(lang: str, q: int) -> str:
    return f"T{q % 4 + 1} {1970 + q // 4}" if lang == "fr" else f"Q{q % 4 + 1} {1970 + q // 4}"


def _first_day(q: int) -> int:
    d = np.datetime64(f"{1970 + q // 4}-{3 * (q % 4) + 1:02d}-01", "D")
    return int((d - np.datetime64(START.isoformat(), "D")).astype(np.int64))


def _call_of(seed: int, i: int, element: str) -> int:
    return zlib.crc32(f"{seed}:{i}:{element}".encode())


def _bad(b: DealBook, i: int, day: int) -> bool:
    """Lost, or closed after the end of the quarter it was expected in on that day."""
    if not b.won[i]:
        return True
    return bool(b.end[i] > int(quarter_end(np.array(b.expected_at(i, day)))))


_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def _spoken_date(lang: str, day: int) -> str:
    from .timeutil import date_of

    d = date_of(day)
    if lang == "fr":
        return f"{d.day} {_MONTHS_FR[d.month - 1]}"
    return f"{_MONTHS_EN[d.month - 1]} {d.day}"


__all__ = ["Conversations", "GutCandidate", "PRODUCTS"]
