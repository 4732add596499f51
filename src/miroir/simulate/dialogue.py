"""Turn-by-turn composition of customer calls, pipeline reviews and forecast calls.

Each builder returns the turns (speaker, text) of one conversation. What is
said follows the traits of the people in the room: a rep's discovery depth
sets how many decision elements are explored and how open the questions are;
a manager's style sets exploratory vs status questions, clarification of
unsourced claims, pressure, challenges and monologues.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .banks import Composer, _keep_case
from .deals import ELEMENTS
from .world import STAGES, ManagerTraits

STAGES_EARLY = {STAGES['fr'][0], STAGES['fr'][1], STAGES['en'][0], STAGES['en'][1]}


@dataclass(frozen=True)
class Speaker:
    label: str
    internal: bool
    role: str  # rep, manager, director, customer
    first: str = ""


@dataclass
class DealView:
    deal_id: str
    name: str
    account: str
    mention: str  # how people refer to it in meetings (account, or deal name when ambiguous)
    product: str
    amount: float
    stage: str
    owner: Speaker
    contacts: list[tuple[str, str]]  # (name, title) engaged on the customer side
    slots: dict[str, str] = field(default_factory=dict)


Script = list[tuple[Speaker, str]]


def fmt_amount(lang: str, amount: float, rng: np.random.Generator) -> str:
    k = max(1, int(round(amount / 1000)))
    r = rng.random()
    if lang == "fr":
        if r < 0.5:
            return f"{k} k€"
        if r < 0.8:
            return f"{k * 1000:,} euros".replace(",", "\u202f")
        return f"{k} mille euros"
    if r < 0.5:
        return f"${k}k"
    if r < 0.8:
        return f"${k * 1000:,}"
    return f"{k} thousand dollars"


def _deal_ctx(comp: Composer, d: DealView, rng: np.random.Generator) -> dict[str, str]:
    ctx = dict(d.slots)
    ctx.update(account=d.mention, deal=d.name, stage=d.stage, product=d.product,
               amount=fmt_amount(comp.lang, d.amount * float(rng.uniform(0.9, 1.2)), rng),
               rep=d.owner.first)
    if d.contacts:
        ctx["first"] = d.contacts[0][0].split(" ")[0]
        ctx["person"] = d.contacts[0][0]
    return ctx


# --------------------------------------------------------------------------- customer calls
def customer_call(comp: Composer, rng: np.random.Generator, rep: Speaker, customers: list[Speaker],
                  deal: DealView, elements: list[str], *, discovery: float, pressure: int,
                  first_call: bool) -> Script:
    s: Script = []
    ctx = _deal_ctx(comp, deal, rng)
    ctx["first"] = customers[0].first
    ctx["first2"] = customers[1].first if len(customers) > 1 else customers[0].first

    def cust() -> Speaker:
        return customers[int(rng.integers(len(customers)))]

    s.append((rep, comp.say("cc_open", ctx)))
    greet = "cc_greet_two" if len(customers) > 1 and rng.random() < 0.5 else "cc_greet_customer"
    s.append((customers[0], comp.say(greet, ctx)))
    if rng.random() < 0.6:
        a, b = comp.pair("small_talk", ctx)
        first, second = (rep, cust()) if rng.random() < 0.5 else (cust(), rep)
        s.append((first, a))
        s.append((second, b))
    if first_call or rng.random() < 0.5:
        s.append((rep, comp.say("cc_agenda", ctx)))
    low = discovery < 0.35
    if low:  # advocacy first and at length
        s.append((rep, _monologue(comp, "pitch", ctx, 2 + int(rng.integers(2)))))
        s.append((cust(), comp.say("backchannel", ctx, noisy=False)))
    for el in elements:
        open_q = rng.random() < discovery
        s.append((rep, comp.say(f"ask_{'open' if open_q else 'closed'}_{el}", ctx)))
        who = cust()
        if low and rng.random() < 0.5:
            s.append((who, comp.say("backchannel", ctx, noisy=False)))
        else:
            s.append((who, comp.say(f"tell_{el}", ctx)))
            if open_q and rng.random() < 0.5:  # open questions get longer answers
                s[-1] = (who, s[-1][1] + " " + comp.say("elaborate", ctx, noisy=False))
        if rng.random() < 0.8 * discovery and comp.has(f"clarify_{el}"):  # exploring = asking, then checking
            s.append((rep, comp.say(f"clarify_{el}", ctx)))
            s.append((who, comp.say("confirm", ctx)))
        elif rng.random() < 0.4:
            s.append((rep, comp.say("backchannel", ctx, noisy=False)))
    if not elements and not low and rng.random() < 0.5:
        s.append((rep, comp.say("ask_open_pain", ctx)))
        s.append((cust(), comp.say("vague_answer", ctx)))
    n_q = 1 + int(rng.integers(2))
    for _ in range(n_q):
        q, a = comp.pair("customer_question", ctx)
        s.append((cust(), q))
        s.append((rep, a))
    s.append((rep, _monologue(comp, "pitch", ctx, 2 if low else 1)))
    if low:
        s.append((cust(), comp.say("backchannel", ctx, noisy=False)))
        s.append((rep, _monologue(comp, "pitch", ctx, 2)))
    for _ in range(pressure):
        ctx["n"] = str(int(rng.integers(3, 11)))
        s.append((rep, comp.say("pressure_customer", ctx)))
        s.append((cust(), comp.say("pushback" if rng.random() < 0.6 else "vague_answer", ctx)))
    if rng.random() < 0.08:
        s.append((rep if rng.random() < 0.5 else cust(), comp.say("mixed", ctx, noisy=False)))
    s.append((rep, comp.say("next_step_rep", ctx)))
    s.append((cust(), comp.say("next_step_customer", ctx)))
    s.append((rep, comp.say("cc_close", ctx, noisy=False)))
    s.append((customers[0], comp.say("cc_close", ctx, noisy=False)))
    return s


def _monologue(comp: Composer, intent: str, ctx: dict[str, str], k: int) -> str:
    parts: list[str] = []
    while len(parts) < k:
        p = comp.say(intent, ctx, noisy=len(parts) == 0)
        if p not in parts:
            parts.append(p)
    return " ".join(parts)


# --------------------------------------------------------------------------- pipeline reviews
@dataclass
class ReviewItem:
    deal: DealView
    depth: int  # 1..4: how long the deal is discussed (claims and follow-ups)
    sourced: float  # the owner's share of sourced claims


def _claim(comp: Composer, rng: np.random.Generator, ctx: dict[str, str], sourced: bool) -> str:
    el = ELEMENTS[int(rng.integers(len(ELEMENTS)))]
    fact = comp.pick(f"fact_{el}")
    if sourced:
        template = f"{comp.pick('source_intro')} {fact}."
    else:
        template = f"{comp.pick('assume_intro')} {fact}." if rng.random() < 0.6 else f"{fact[:1].upper()}{fact[1:]}."
    return comp.fill(comp.spoken(template), ctx)


def review(comp: Composer, rng: np.random.Generator, manager: Speaker, reps: list[Speaker],
           items: list[ReviewItem], traits: ManagerTraits, pressure_rate: float, pct: int) -> Script:
    s: Script = []
    ctx0 = {"pct": str(pct)}
    s.append((manager, comp.say("rv_open", ctx0)))
    if rng.random() < 0.4 and reps:
        a, b = comp.pair("small_talk", ctx0)
        s.append((reps[int(rng.integers(len(reps)))], a))
        s.append((manager, b))
    if traits.dominance:
        s.append((manager, _monologue(comp, "rv_manager_monologue", ctx0, 2)))
    for it in items:
        d = it.deal
        owner = d.owner
        ctx = _deal_ctx(comp, d, rng)
        ctx["pct"] = str(pct)
        exploratory = rng.random() < (0.05 if traits.dominance else traits.exploratory)
        opener = comp.say("rv_exploratory_q" if exploratory else "rv_status_q", ctx)
        if d.mention not in opener and d.name not in opener:  # every discussion names its deal
            lead = "Sur" if comp.lang == "fr" else "On"
            first = opener.split(" ")[0]
            body = opener if _keep_case(first) else opener[:1].lower() + opener[1:]
            opener = f"{lead} {d.mention}, {body}"
        s.append((manager, opener))
        early = d.stage in STAGES_EARLY
        s.append((owner, comp.say("rv_update_early" if early else "rv_update", ctx)))
        depth = 1 if traits.dominance else it.depth
        for _ in range(depth):
            sourced = rng.random() < it.sourced
            s.append((owner, _claim(comp, rng, ctx, sourced)))
            if not sourced and rng.random() < traits.clarify:
                s.append((manager, comp.say("rv_clarify", ctx)))
                ok = rng.random() < 0.5
                s.append((owner, comp.say("rv_clarify_answer_sourced" if ok else "rv_clarify_answer_unsure", ctx)))
            elif rng.random() < 0.3:
                s.append((manager, comp.say("backchannel", ctx, noisy=False)))
            if not traits.dominance and rng.random() < traits.exploratory * 0.6:
                s.append((manager, comp.say("rv_exploratory_q", ctx)))
                if rng.random() < 0.5:
                    s.append((owner, comp.say("rv_rep_exploratory", ctx)))
                else:
                    s.append((owner, comp.say("rv_calm_answer", ctx)))
                others = [r for r in reps if r != owner]
                if others and rng.random() < 0.3:
                    s.append((others[int(rng.integers(len(others)))], comp.say("rv_rep_exploratory", ctx)))
        if rng.random() < traits.defensive:
            s.append((manager, comp.say("rv_challenge", ctx)))
            s.append((owner, comp.say("rv_defensive", ctx)))
            if rng.random() < 0.7:
                s.append((manager, comp.say("rv_challenge", ctx)))
                s.append((owner, _monologue(comp, "rv_defensive", ctx, 2)))
        elif rng.random() < 0.12:
            s.append((manager, comp.say("rv_challenge", ctx)))
            s.append((owner, comp.say("rv_calm_answer", ctx)))
        for _ in range(int(rng.poisson(pressure_rate))):
            s.append((manager, comp.say("rv_pressure", ctx)))
            if rng.random() < 0.5:
                s.append((owner, comp.say("backchannel", ctx, noisy=False)))
        if traits.dominance and rng.random() < 0.6:
            s.append((manager, _monologue(comp, "rv_manager_monologue", ctx, 1 + int(rng.integers(2)))))
        if rng.random() < 0.7:
            s.append((owner, comp.say("rv_next_step", ctx)))
        s.append((manager, comp.say("rv_manager_summary", ctx, noisy=False)))
    s.append((manager, comp.say("rv_close", ctx0, noisy=False)))
    return s


# --------------------------------------------------------------------------- forecast calls
@dataclass
class ForecastEntry:
    rep: Speaker
    commit: float
    best: float
    big_deal: DealView | None
    sourced: float


def forecast_call(comp: Composer, rng: np.random.Generator, manager: Speaker, director: Speaker | None,
                  entries: list[ForecastEntry], traits: ManagerTraits, pressure_rate: float) -> Script:
    s: Script = []
    s.append((manager, comp.say("fc_open", {})))
    if director is not None:
        s.append((director, comp.say("director_remark", {})))
    for e in entries:
        ctx = {"rep": e.rep.first}
        if e.big_deal is not None:
            ctx.update(_deal_ctx(comp, e.big_deal, rng))
        else:
            ctx["account"] = "le gros dossier" if comp.lang == "fr" else "the big one"
        ctx["amount"] = fmt_amount(comp.lang, e.commit, rng)
        ctx["amount2"] = fmt_amount(comp.lang, e.best, rng)
        s.append((manager, comp.say("fc_ask", ctx)))
        s.append((e.rep, comp.say("fc_numbers", ctx)))
        if e.big_deal is not None:
            if rng.random() < (0.1 if traits.dominance else traits.exploratory + 0.1):
                s.append((manager, comp.say("fc_probe", ctx)))
            s.append((e.rep, _claim(comp, rng, ctx, rng.random() < e.sourced)))
            if rng.random() < traits.clarify * 0.5:
                s.append((manager, comp.say("rv_clarify", ctx)))
                s.append((e.rep, comp.say("rv_clarify_answer_sourced" if rng.random() < 0.5
                                          else "rv_clarify_answer_unsure", ctx)))
        for _ in range(int(rng.poisson(pressure_rate))):
            s.append((manager, comp.say("rv_pressure", ctx)))
        if traits.dominance:
            s.append((manager, _monologue(comp, "rv_manager_monologue", {"pct": str(int(rng.integers(60, 95)))}, 1)))
        s.append((manager, comp.say("rv_manager_summary", ctx, noisy=False)))
    s.append((manager, comp.say("rv_close", {}, noisy=False)))
    return s
