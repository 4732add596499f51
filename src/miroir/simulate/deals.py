"""The CRM part of the generative model, vectorised with numpy.

Each deal has an owner (with traits), a latent quality, a customer decision
process whose elements calls may or may not explore, stage durations and a
close-date history. Outcomes (won/lost, when, at what discount) follow from
these; the planted mechanisms act on the traits and on the incentive rules
(period ends, quota, accelerator), never on a hard-coded list of outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .timeutil import TODAY_DAY, day_of, quarter_end, quarter_index, quarter_start, snap_back, snap_fwd
from .world import FIRST_CREATED, Org

ELEMENTS = ("pain", "budget", "decision_maker", "decision_process", "decision_criteria", "timeline", "competition")
EL = {e: i for i, e in enumerate(ELEMENTS)}
NA = -(10**6)  # "never reached" marker for stage entry days
STAGE_DUR_MEAN = np.array([12.0, 18.0, 20.0, 16.0])
# plants whose dynamic lives in customer calls, and the share of deals their scope records
CALL_PLANTS = ("pressure_on_customers", "clarification_debt", "low_discovery", "decision_signal_gap",
               "single_threaded_deals")
PLANTED_RECORDING = 0.3
GAMING_QUOTA_FACTOR = 0.6  # quota_timing_gaming: the rep's quota, as a share of the value they usually win
GAMING_WINDOW_DAYS = 75  # ... once reached, the wins due in the quarter's last 75 days are parked (60 days and a
# 0.9 probability planted only ~4 shifted wins per organisation at scale 0.3: found in 16/20 FR seeds)
GAMING_P_SHIFT = 1.0  # ... each with this probability (the customer agrees to sign a few days later)
CONC_WHALE_P_HERO = 0.3  # results_concentration: share of the hero's deals that are whales (6-10x value)
CONC_WHALE_P = 0.07  # ... and of the team-mates' deals
SANDBAG_WINDOW_DAYS = 30  # sandbagging: wins due in the quarter's last month...
SANDBAG_P_SHIFT = 0.8  # ... are held back to the first days of the next quarter with this probability
# recurring_review_deals: share of the planted team's deals that get stuck and keep coming back in review
# (0.25 left the team's other reps at the materiality threshold once its most affected rep is set aside)
RECURRING_SHARE = 0.4
COMP_EVENT_DAY = day_of(__import__("datetime").date(2025, 1, 6))  # the compensation-plan change
# its effect on deals: wins in the quarter's last COMP_EVENT_WINDOW_DAYS get COMP_EVENT_DEEPEN_PTS more discount
# (was 4-7 pts in the last 21 days: at scale 0.3 that touched ~14 wins per half-year window, too faint for the
# org-wide before/after test to see in most seeds)
COMP_EVENT_WINDOW_DAYS = 28
COMP_EVENT_DEEPEN_PTS = (6.0, 10.0)


@dataclass
class DealBook:
    n: int
    owner: np.ndarray  # rep index
    team: np.ndarray  # team index
    created: np.ndarray
    quality: np.ndarray
    list_amount: np.ndarray
    initial_amount: np.ndarray
    entry: np.ndarray  # (n, 4) day each open stage was entered, NA when never
    end: np.ndarray  # day the deal closed (won/lost); may be > TODAY (still open)
    won: np.ndarray  # bool, the eventual outcome (also for deals still open)
    target: np.ndarray  # last expected close date (before a loss)
    push_day: list[np.ndarray]  # per deal: days the close date was changed (pushes)
    push_to: list[np.ndarray]  # per deal: new expected close date at each push
    first_expected: np.ndarray
    pulled_in: np.ndarray  # bool: close date pulled into the period in its last weeks
    pull_day: np.ndarray
    discount: np.ndarray  # final discount (won and some lost deals), 0 when none
    discount_base: np.ndarray
    discount_day: np.ndarray
    deepen_day: np.ndarray  # day the discount was deepened near period end (NA when not)
    commit: np.ndarray  # bool
    commit_day: np.ndarray
    explored: np.ndarray  # (n, 7) bool: elements explored with the customer
    threads: np.ndarray  # customer contacts engaged
    pressured: np.ndarray  # bool: rep uses pressure on this customer
    stalled: np.ndarray  # bool: an abnormally long stage
    recurring: np.ndarray  # bool: stuck deal that keeps coming back in review
    stuck_from: np.ndarray
    stuck_to: np.ndarray
    recorded: np.ndarray  # bool: has customer calls
    account: list[str]
    product: np.ndarray  # index in PRODUCTS
    slot_idx: np.ndarray  # (n, 6) fixed slot choices: title, process_step, criterion, competitor, pain, month
    quota: dict[tuple[int, int], float] = field(default_factory=dict)  # (rep, quarter index) -> quota
    gaming_shifts: int = 0

    @property
    def is_open(self) -> np.ndarray:
        return self.end > TODAY_DAY

    def stage_at(self, i: int, day: int) -> int:
        """Stage index (0..3 open, 4 won, 5 lost) of deal i on a day."""
        if day >= self.end[i]:
            return 4 if self.won[i] else 5
        k = 0
        for s in range(4):
            if self.entry[i, s] != NA and self.entry[i, s] <= day:
                k = s
        return k

    def expected_at(self, i: int, day: int) -> int:
        e = int(self.first_expected[i])
        for d, t in zip(self.push_day[i], self.push_to[i], strict=True):
            if d <= day:
                e = int(t)
        if self.pulled_in[i] and self.pull_day[i] <= day:
            e = int(self.end[i])
        return e


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _accounts(rng: np.random.Generator, names: dict[str, list[str]], lang: str, n: int) -> list[str]:
    pre, suf, last = names["company_prefix"], names["company_suffix"], names["last"]
    seen: set[str] = set()
    out: list[str] = []
    tries = 0
    while len(out) < n and tries < n * 30:
        tries += 1
        r = rng.random()
        if lang == "fr":
            name = f"{pre[rng.integers(len(pre))]} {last[rng.integers(len(last))]}"
            if r < 0.3:
                name += f" {suf[rng.integers(len(suf))]}"
        else:
            if r < 0.45:
                name = f"{pre[rng.integers(len(pre))]} {suf[rng.integers(len(suf))]}"
            elif r < 0.8:
                name = f"{last[rng.integers(len(last))]} {suf[rng.integers(len(suf))]}"
            else:
                name = f"{pre[rng.integers(len(pre))]} {last[rng.integers(len(last))]} {suf[rng.integers(len(suf))]}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    while len(out) < n:  # huge organisations: reuse names (same customer, new deal)
        out.append(out[len(out) % max(1, len(seen))])
    return out


def generate_deals(org: Org, rng: np.random.Generator, scale: float, names: dict[str, list[str]]) -> DealBook:
    n = max(60, int(round(2000 * scale)))
    R = len(org.reps)
    team_of_rep = np.array([org.teams.index(r.team) for r in org.reps])

    def rep_mask(kind: str) -> np.ndarray:
        return np.array([org.rep_has(kind, r) for r in org.reps], dtype=bool)

    # --- owners, dates, value ------------------------------------------------
    w = rng.uniform(0.8, 1.2, R)
    conc = rep_mask("results_concentration")
    hero = np.zeros(R, dtype=bool)
    for t in range(len(org.teams)):
        idx = np.flatnonzero((team_of_rep == t) & conc)
        if idx.size:
            hero[idx[0]] = True
    owner = rng.choice(R, size=n, p=w / w.sum())
    team = team_of_rep[owner]
    first_day = day_of(FIRST_CREATED)
    created = np.sort(rng.integers(first_day, TODAY_DAY - 2, size=n))
    created = snap_fwd(created)
    created = np.minimum(created, TODAY_DAY - 1)
    quality = rng.normal(0, 1, n)
    list_amount = np.round(np.exp(rng.normal(np.log(24000), 0.5, n)), -2)
    in_conc = conc[owner]
    # results_concentration: the team's results hang on its hero, who holds the big accounts (whales,
    # CONC_WHALE_P_HERO of the hero's deals, CONC_WHALE_P of the team-mates'), while the others' deals shrink
    whale = in_conc & (rng.random(n) < np.where(hero[owner], CONC_WHALE_P_HERO, CONC_WHALE_P))
    list_amount = np.where(whale, np.round(list_amount * rng.uniform(6, 10, n), -3), list_amount)
    list_amount = np.where(in_conc & ~whale & ~hero[owner], np.round(list_amount * 0.6, -2), list_amount)
    initial_amount = np.round(list_amount * rng.uniform(0.75, 1.25, n), -2)

    # --- decision process explored with the customer ----------------------
    disc = np.array([r.rep.discovery if r.rep else 0.7 for r in org.reps])[owner]
    dmp = np.array([r.rep.explore_dm_process if r.rep else 0.9 for r in org.reps])[owner]
    base_p = np.array([0.95, 0.85, 0.0, 0.0, 0.8, 0.9, 0.7])
    p = np.clip(base_p[None, :] * (disc[:, None] / 0.72), 0, 0.98)
    p[:, EL["decision_maker"]] = dmp * np.clip(disc / 0.72, 0, 1.05)
    p[:, EL["decision_process"]] = dmp * 0.95 * np.clip(disc / 0.72, 0, 1.05)
    gap = rep_mask("decision_signal_gap")[owner]
    for e in ("decision_maker", "decision_process", "decision_criteria"):
        p[:, EL[e]] = np.where(gap, 0.5, p[:, EL[e]])
    explored = rng.random((n, 7)) < np.clip(p, 0, 1)

    threads_rep = np.array([r.rep.threads if r.rep else 2 for r in org.reps])[owner]
    threads = np.clip(threads_rep + rng.integers(-1, 2, n), 1, 4)
    threads = np.where(threads_rep == 1, 1, np.maximum(threads, 2))
    pressured = rng.random(n) < np.array([r.rep.pressure_customer if r.rep else 0.0 for r in org.reps])[owner]

    # --- fragility drivers (planted: fragile_deal) --------------------------
    fragile_on = rep_mask("fragile_deal")[owner]
    latent = rng.random(n) < 0.35
    stall_p = np.where(fragile_on, np.where(latent, 0.45, 0.05), 0.0)
    stalled = rng.random(n) < stall_p
    stalled |= rep_mask("stalled_deals")[owner] & (rng.random(n) < 0.35)
    extra_push = np.where(fragile_on, np.where(latent, 1 + rng.poisson(1.2, n), rng.poisson(0.05, n)), 0)
    single = fragile_on & latent & (rng.random(n) < 0.6)
    threads = np.where(single, 1, threads)
    debt = fragile_on & latent & (rng.random(n) < 0.6)
    explored[debt, EL["decision_maker"]] = False
    explored[debt, EL["decision_process"]] = False
    pressured |= fragile_on & latent & (rng.random(n) < 0.45)

    # --- outcome ------------------------------------------------------------
    logit = -0.3 + np.where(rep_mask("fragile_deal")[owner], 0.4, 0.9) * quality
    logit = logit + np.where(hero[owner], 1.2, 0.0)
    ex = explored.astype(float)
    logit = logit + np.where(gap, 2.4 * (ex[:, EL["decision_maker"]] - 0.5)
                             + 2.4 * (ex[:, EL["decision_process"]] - 0.5)
                             + 1.2 * (ex[:, EL["decision_criteria"]] - 0.5), 0.0)
    push_rate = np.array([r.rep.push_rate if r.rep else 0.25 for r in org.reps])[owner]
    slip_rep = push_rate > 0.5
    n_push = np.where(rng.random(n) < push_rate, 1 + rng.poisson(np.where(slip_rep, 1.4, 0.1)), 0) + extra_push
    frag_score = (0.9 * np.minimum(n_push, 3) + 1.3 * stalled + 1.0 * (threads == 1) + 1.1 * debt
                  + 0.8 * pressured)
    logit = logit - np.where(fragile_on, 1.3 * (frag_score - 1.2), 0.0)
    won = rng.random(n) < _sigmoid(logit)

    # --- stages and closing -------------------------------------------------
    dur = np.exp(rng.normal(np.log(STAGE_DUR_MEAN)[None, :], 0.45, (n, 4)))
    stall_stage = rng.integers(1, 3, n)
    dur[np.arange(n), stall_stage] += np.where(stalled, rng.uniform(120, 260, n), 0.0)
    rec_team = rep_mask("recurring_review_deals")[owner]
    recurring = rec_team & (rng.random(n) < RECURRING_SHARE) & ~stalled
    stuck_extra = np.where(recurring, rng.uniform(60, 120, n), 0.0)
    dur[:, 2] += stuck_extra
    cu = rep_mask("commit_unreliable")[owner]
    loss_p = np.where(cu[:, None], np.array([0.1, 0.2, 0.35, 0.35])[None, :],
                      np.array([0.25, 0.3, 0.28, 0.17])[None, :])
    u = rng.random(n)[:, None]
    k_loss = (u > np.cumsum(loss_p, axis=1)).sum(axis=1)
    k_loss = np.minimum(k_loss, 3)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(dur, axis=1)], axis=1)
    entry = np.round(created[:, None] + cum[:, :4]).astype(np.int64)
    reached = np.where(won[:, None], True, np.arange(4)[None, :] <= k_loss[:, None])
    entry = np.where(reached, entry, NA)
    end_won = created + np.round(cum[:, 4]).astype(np.int64)
    loss_at = entry[np.arange(n), k_loss] + np.round(dur[np.arange(n), k_loss] * rng.uniform(0.4, 1.2, n))
    end = np.where(won, end_won, loss_at).astype(np.int64)
    end = np.maximum(end, created + 3)
    end = snap_back(end)
    end = np.maximum(end, created + 1)
    stuck_from = np.where(recurring, entry[:, 2], NA)
    stuck_to = np.where(recurring, entry[:, 2] + np.round(dur[:, 2]).astype(np.int64), NA)

    # --- incentive mechanics on won deals ------------------------------------
    qe = quarter_end(end)
    qs = quarter_start(end)
    pulled_in = np.zeros(n, dtype=bool)
    pull_day = np.full(n, NA, dtype=np.int64)
    late = rep_mask("late_period_concentration")[owner] & won & (rng.random(n) < 0.55) & (qe - end > 13)
    new_end = snap_back(qe - rng.integers(0, 12, n))
    end = np.where(late, np.maximum(new_end, end), end)

    pin = rep_mask("period_end_pull_in")[owner] & won & (end - qs < 35) & (rng.random(n) < 0.7)
    prev_qe = qs - 1
    pin &= prev_qe - 5 > created + 10
    new_end = snap_back(prev_qe - rng.integers(0, 8, n))
    pull_day = np.where(pin, snap_back(new_end - rng.integers(1, 8, n)), NA)
    pull_day = np.maximum(pull_day, np.where(pin, created + 1, NA))
    pulled_in = pin
    end = np.where(pin, new_end, end)

    sb = (rep_mask("sandbagging")[owner] & won & (quarter_end(end) - end < SANDBAG_WINDOW_DAYS)
          & (rng.random(n) < SANDBAG_P_SHIFT))
    nxt = snap_fwd(quarter_end(end) + 1 + rng.integers(0, 6, n))
    end = np.where(sb, nxt, end)

    # gaming: a rep whose quota is within easy reach (GAMING_QUOTA_FACTOR of the value they usually win,
    # so they reach it in most quarters) parks, once it is reached, the wins due in the quarter's last
    # GAMING_WINDOW_DAYS in the first days of the next quarter (with probability GAMING_P_SHIFT: the
    # customer agrees to sign a few days later). Parked wins count toward the next quarter's attainment.
    qidx = quarter_index(end)
    quota: dict[tuple[int, int], float] = {}
    gaming_push_from = np.full(n, NA, dtype=np.int64)
    gaming = rep_mask("quota_timing_gaming")
    q_lo, q_hi = int(quarter_index(day_of(FIRST_CREATED)) + 1), int(quarter_index(TODAY_DAY))
    full_q = (qidx >= q_lo) & (qidx < q_hi)
    won_value = list_amount * 0.92
    shifts = 0
    for r in range(R):
        mine = (owner == r) & won & full_q
        mean_q = won_value[mine].sum() / max(1, q_hi - q_lo)
        factor = GAMING_QUOTA_FACTOR if gaming[r] else float(rng.uniform(0.95, 1.08))
        for q in range(q_lo, q_hi + 1):
            quota[(r, q)] = float(max(5000.0, np.round(mean_q * factor, -3)))
        if not gaming[r]:
            continue
        for q in range(q_lo, q_hi):
            idx = np.flatnonzero((owner == r) & won & (quarter_index(end) == q))
            idx = idx[np.argsort(end[idx], kind="stable")]
            cumv = np.cumsum(won_value[idx])
            over = idx[np.flatnonzero(cumv - won_value[idx] >= quota[(r, q)])]
            for i in over:
                old = int(end[i])
                qend = int(quarter_end(old))
                if qend - old >= GAMING_WINDOW_DAYS or rng.random() >= GAMING_P_SHIFT:
                    continue
                gaming_push_from[i] = old
                end[i] = int(snap_fwd(np.array(qend + 1 + rng.integers(0, 8))))
                shifts += 1

    # stage entries must stay before the close (pull-ins skip stages)
    entry = np.where((entry != NA) & (entry >= end[:, None]), NA, entry)
    entry[:, 0] = np.minimum(created, end - 1)

    # --- expected close dates and pushes -------------------------------------
    target = np.where(won, end, end + rng.integers(0, 40, n))
    target = np.where(pin, end + rng.integers(20, 45, n), target)  # was expected next period
    sizes = rng.uniform(14, 42, (n, 6))
    chain_end = np.where(gaming_push_from != NA, gaming_push_from, target)
    limit = np.where(pin, pull_day, end)
    push_day: list[np.ndarray] = []
    push_to: list[np.ndarray] = []
    first_expected = np.zeros(n, dtype=np.int64)
    for i in range(n):
        k = int(min(n_push[i], 6))
        s = sizes[i, :k]
        lo = int(created[i]) + 10
        total = float(s.sum())
        tgt = int(chain_end[i])
        if k and tgt - total < lo:
            s = s * max(0.0, (tgt - lo)) / max(total, 1e-9)
        exp_dates = tgt - np.concatenate([[0.0], np.cumsum(s[::-1])])[::-1]  # e0 < e1 < ... < target
        exp_dates = snap_back(np.round(exp_dates).astype(np.int64))
        days_: list[int] = []
        tos: list[int] = []
        for j in range(k):
            d = int(exp_dates[j]) - int(rng.integers(0, 7))
            d = max(d, int(created[i]) + 1, days_[-1] if days_ else NA)
            if d >= limit[i] or exp_dates[j + 1] <= exp_dates[j]:
                break
            days_.append(d)
            tos.append(int(exp_dates[j + 1]))
        if gaming_push_from[i] != NA:
            old = int(gaming_push_from[i])
            d = int(snap_back(np.array(old - int(rng.integers(0, 5)))))
            d = max(d, int(created[i]) + 1, days_[-1] if days_ else NA)
            days_.append(d)
            tos.append(int(end[i]))
        first_expected[i] = int(exp_dates[0])
        push_day.append(np.array(days_, dtype=np.int64))
        push_to.append(np.array(tos, dtype=np.int64))

    # --- discounts ---------------------------------------------------------
    neg = entry[:, 3] != NA
    offer = won | (neg & (rng.random(n) < 0.5))
    base = np.where(offer, np.clip(np.round(rng.normal(8, 3.5, n) * 2) / 2, 0, 25), 0.0)
    disc_day = np.where(neg, entry[:, 3] + np.round(rng.uniform(0, 0.5, n) * np.maximum(end - entry[:, 3], 1)),
                        end - 1)
    disc_day = np.clip(disc_day, created, np.maximum(end - 1, created)).astype(np.int64)
    near_end = (quarter_end(end) - end) < 21
    deepen = np.zeros(n)
    ped = rep_mask("period_end_discounting")[owner] & won & near_end
    deepen += np.where(ped, rng.uniform(9, 15, n), 0.0)
    if org.has("org_event_effect"):
        comp_end = (quarter_end(end) - end) < COMP_EVENT_WINDOW_DAYS
        deepen += np.where(won & comp_end & (end >= COMP_EVENT_DAY),
                           rng.uniform(*COMP_EVENT_DEEPEN_PTS, n), 0.0)
    deepen = np.round(deepen * 2) / 2
    deepen_day = np.where(deepen > 0, np.maximum(end - rng.integers(0, 4, n), disc_day + 1), NA)
    deepen_day = np.where(deepen_day > end, end, deepen_day)
    discount = np.clip(base + deepen, 0, 45)

    # --- forecast category: commit -----------------------------------------
    p_commit = np.where(won, 0.85, np.where(cu, 0.8, 0.12))
    commit = neg & (rng.random(n) < p_commit)
    commit_day = np.where(commit, entry[:, 3] + np.round(rng.uniform(0, 0.6, n) * np.maximum(end - entry[:, 3], 1)),
                          NA)
    commit_day = np.where(commit, np.minimum(commit_day, end - 1), NA)
    commit &= commit_day > entry[:, 0]

    # --- conversations: which deals have recorded customer calls --------------
    # Recording coverage is uneven, as where a call recorder is adopted rep by rep: most reps record a
    # few deals, while the reps of a scope where a customer-call dynamic is planted record their calls
    # routinely (PLANTED_RECORDING of their deals): a dynamic that lives in customer calls is only there
    # to be found where those calls are recorded (ground_truth.json gives the coverage).
    eligible = (created >= -14) & (created <= TODAY_DAY - 5)
    p_rec = min(0.9, (340 * scale / 2.75) / max(1, eligible.sum()))
    routine = np.zeros(R, dtype=bool)
    for kind in CALL_PLANTS:
        routine |= rep_mask(kind)
    recorded = eligible & (rng.random(n) < np.where(routine[owner], max(p_rec, PLANTED_RECORDING), p_rec))

    acc_pool = _accounts(rng, names, org.lang, max(40, n))
    distinct = len(set(acc_pool))
    if distinct >= n:  # one deal per customer account
        account = [acc_pool[int(j)] for j in rng.permutation(n)]
    else:  # very large organisations: some customers have several deals
        account = [acc_pool[int(j)] for j in rng.integers(0, distinct, n)]
    product = rng.integers(0, 6, n)
    slot_idx = rng.integers(0, 1000, (n, 6))
    return DealBook(n=n, owner=owner, team=team, created=created, quality=quality, list_amount=list_amount,
                    initial_amount=initial_amount, entry=entry, end=end, won=won, target=target,
                    push_day=push_day, push_to=push_to, first_expected=first_expected, pulled_in=pulled_in,
                    pull_day=pull_day, discount=discount, discount_base=base, discount_day=disc_day,
                    deepen_day=deepen_day, commit=commit, commit_day=commit_day, explored=explored,
                    threads=threads, pressured=pressured, stalled=stalled, recurring=recurring,
                    stuck_from=stuck_from, stuck_to=stuck_to, recorded=recorded, account=account,
                    product=product, slot_idx=slot_idx, quota=quota, gaming_shifts=shifts)
