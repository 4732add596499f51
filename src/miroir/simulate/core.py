"""``simulate()``: build the organisation, play it, write the dataset folder and its ground truth."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UsageError
from . import deals as deals_mod
from .banks import load_bank
from .conversations import Conversations, GutCandidate
from .deals import COMP_EVENT_DAY, DealBook, generate_deals
from .forecasts import write_forecasts, write_quotas
from .history import write_deals
from .plants import Plant, parse_plants
from .timeutil import iso
from .world import CURRENCY, STAGES, Org, build_org, resolve_plants

ORG_EVENTS = {
    "fr": [("2024-06-03", "tool", "Déploiement de l'outil d'enregistrement des appels clients"),
           ("2025-01-06", "compensation", "Nouveau plan de rémunération : accélérateur au-delà de 100 % du quota"),
           ("2025-09-01", "process", "Revue de pipeline standardisée toutes les deux semaines")],
    "en": [("2024-06-03", "tool", "Rollout of the customer call recording tool"),
           ("2025-01-06", "compensation", "New comp plan: accelerator above 100% of quota"),
           ("2025-09-01", "process", "Standardised bi-weekly pipeline review")],
}
GUT_PRECISION = 0.75


@dataclass
class SimulationResult:
    dataset: Path
    ground_truth_path: Path
    plants: list[Plant]
    lang: str
    seed: int
    scale: float
    counts: dict[str, int] = field(default_factory=dict)

    def teams(self) -> list[str]:
        return sorted({p.id for p in self.plants if p.level == "team"})


def apply_traits(org: Org) -> None:
    """Switch on the planted mechanisms that live in people's traits."""
    for r in org.reps:
        t = r.rep
        assert t is not None
        if org.rep_has("forecast_bias", r):
            t.forecast_bias = 0.35
        if org.rep_has("sandbagging", r):
            t.forecast_bias = -0.30
        if org.rep_has("pressure_on_customers", r):
            t.pressure_customer = 1.0
        if org.rep_has("single_threaded_deals", r):
            t.threads = 1
        if org.rep_has("clarification_debt", r):
            t.explore_dm_process = 0.0
        if org.rep_has("low_discovery", r):
            t.discovery = 0.12
        if org.rep_has("unverified_claims_in_reviews", r):
            t.sourced_claims = 0.08
        if org.rep_has("close_date_slippage", r):
            t.push_rate = 0.85
    for team, m in org.managers.items():
        mt = m.mgr
        assert mt is not None
        if org.team_has("pressure_in_reviews", team):
            mt.pressure, mt.pressure_ramp = 0.9, True
        if org.team_has("defensive_reviews", team):
            mt.defensive, mt.exploratory = 0.85, 0.1
        if org.team_has("manager_dominance", team):
            mt.dominance = True
        if org.team_has("attention_mismatch", team):
            mt.attention = "inverse"
        if org.team_has("unverified_claims_in_reviews", team):
            mt.clarify = 0.08
        if org.team_has("gut_call_accuracy", team):
            mt.gut_precision = GUT_PRECISION


PLANT_PARAMS: dict[str, dict[str, object]] = {
    "forecast_bias": {"bias": 0.35, "direction": "optimistic", "metric": "(F - A) / A of commit calls"},
    "commit_unreliable": {"p_commit_if_lost": 0.8, "baseline_p_commit_if_lost": 0.12},
    "late_period_concentration": {"share_moved_to_last_2_weeks": 0.55},
    "results_concentration": {"whale_share": {"hero": deals_mod.CONC_WHALE_P_HERO, "team-mates": deals_mod.CONC_WHALE_P},
                              "whale_multiplier": "6-10x", "hero_rep_win_boost_logit": 1.2},
    "close_date_slippage": {"p_push": 0.85, "extra_pushes_poisson": 1.4, "baseline_p_push": 0.25},
    "recurring_review_deals": {"share_stuck": deals_mod.RECURRING_SHARE, "stuck_days": "60-120",
                               "forced_in_reviews": True},
    "stalled_deals": {"share_stalled": 0.35, "extra_stage_days": "120-260"},
    "period_end_discounting": {"extra_discount_pts": "9-15", "window_days": 21},
    "period_end_pull_in": {"p_pull_in": 0.7, "window": "wins due in the first 35 days of a quarter"},
    "quota_timing_gaming": {"quota_factor": deals_mod.GAMING_QUOTA_FACTOR, "window_days": deals_mod.GAMING_WINDOW_DAYS,
                            "p_shift": deals_mod.GAMING_P_SHIFT,
                            "rule": "once quota is reached, wins due in the quarter's last days are parked in the "
                                    "next quarter's first days"},
    "sandbagging": {"bias": -0.30, "window_days": deals_mod.SANDBAG_WINDOW_DAYS, "p_shift": deals_mod.SANDBAG_P_SHIFT,
                    "shift_to": "first 6 days of next quarter"},
    "pressure_in_reviews": {"pressure_turns_per_deal": 0.9, "ramp": "x0.3 at quarter start to x2 at end"},
    "pressure_on_customers": {"pressure_turns_per_call": "2-3", "baseline_p_deal": 0.04},
    "unverified_claims_in_reviews": {"sourced_share": 0.08, "baseline_sourced_share": 0.72, "clarify": 0.08,
                                     "baseline_clarify": 0.65},
    "clarification_debt": {"p_explore_decision_maker_process": 0.0, "baseline": 0.92},
    "low_discovery": {"discovery": 0.12, "baseline": "0.68-0.82"},
    "defensive_reviews": {"p_challenge_justification": 0.85, "exploratory": 0.1, "baseline": 0.05},
    "manager_dominance": {"monologues": True, "status_questions_share": 0.95},
    "attention_mismatch": {"attention": "inverse to value and stage", "depth_smallest_deals": 4,
                           "depth_largest_deals": 1},
    "decision_signal_gap": {"elements": ["decision_maker", "decision_process", "decision_criteria"],
                            "win_logit_per_element": [2.4, 2.4, 1.2]},
    "single_threaded_deals": {"customer_voices_per_deal": 1, "baseline": "2-4"},
    "fragile_deal": {"drivers": ["pushes", "stage age (stall)", "single-threading", "clarification debt",
                                 "pressure on customer"],
                     "loss_logit_weights": [1.17, 1.69, 1.3, 1.43, 1.04], "share_latent_fragile": 0.35},
}


def _write_people(org: Org, folder: Path) -> None:
    with (folder / "people.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["person_id", "name", "role", "team", "manager", "aliases"])
        for p in org.people:
            w.writerow([p.person_id, p.name, p.role, p.team, p.manager, ";".join(p.aliases)])


def _write_events(lang: str, folder: Path) -> None:
    with (folder / "org_events.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date", "kind", "description"])
        w.writerows(ORG_EVENTS[lang])


def _write_intuitions(org: Org, book: DealBook, ids: list[str], cands: list[GutCandidate], folder: Path,
                      rng: np.random.Generator) -> dict[str, dict[str, float]]:
    """Managers' gut calls at their reviews; a planted manager's 'fragile' calls have a set precision."""
    bank = load_bank(org.lang)
    by_mgr: dict[str, list[GutCandidate]] = {}
    for c in cands:
        if rng.random() < 0.3:
            by_mgr.setdefault(c.manager, []).append(c)
    mgr_traits = {m.name: m.mgr for m in org.managers.values()}
    stats: dict[str, dict[str, float]] = {}
    rows = []
    for name, cs in by_mgr.items():
        t = mgr_traits[name]
        precision = t.gut_precision if t is not None else None
        b = float(np.mean([c.bad for c in cs])) if cs else 0.5
        if precision is not None and 0 < b < 1:
            s1 = 0.55
            s2 = min(1.0, s1 * b * (1 - precision) / (precision * (1 - b)))
        else:
            s1 = s2 = 0.3
        n_f = n_fb = 0
        for c in cs:
            p_f = s1 if c.bad else s2
            u = rng.random()
            if u < p_f:
                call = "fragile"
                n_f += 1
                n_fb += int(c.bad)
            else:
                call = "solid" if rng.random() < 0.7 else "unsure"
            note = bank[f"gut_{call}"][int(rng.integers(len(bank[f'gut_{call}'])))]
            rows.append((c.day, ids[c.deal], name, call, note))
        stats[name] = {"base_rate_bad": round(b, 4), "fragile_calls": n_f,
                       "realised_precision": round(n_fb / n_f, 4) if n_f else float("nan"),
                       "planted_precision": precision if precision is not None else float("nan")}
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    with (folder / "intuitions.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["deal_id", "recorded_at", "person", "call", "note"])
        for day, did, name, call, note in rows:
            w.writerow([did, iso(day), name, call, note])
    return stats


def _write_toml(lang: str, folder: Path) -> None:
    stages = ", ".join(f'"{s}"' for s in STAGES[lang])
    (folder / "miroir.toml").write_text(
        f'# Simulated sales organisation (miroir simulate)\ncurrency = "{CURRENCY[lang]}"\n'
        f"fiscal_year_start_month = 1\nstages = [{stages}]\n"
        f'won_stages = ["{STAGES[lang][4]}"]\nlost_stages = ["{STAGES[lang][5]}"]\nlanguage = "{lang}"\n',
        encoding="utf-8")


def simulate(out: Path, *, lang: str = "fr", seed: int = 0, scale: float = 1.0,
             plants: list[str] | None = None, null: bool = False) -> SimulationResult:
    """Write a simulated dataset folder at ``out`` and ``ground_truth.json`` beside it.

    ``plants`` are ``KIND@SCOPE`` strings; None plants the default handful,
    ``[]`` plants nothing. ``null=True`` plants nothing (a healthy organisation).
    """
    if lang not in ("fr", "en"):
        raise UsageError(f"unknown language {lang!r}", "Use --lang fr or --lang en.")
    if not (0.05 <= scale <= 200):
        raise UsageError(f"scale {scale} is out of range", "Use a scale between 0.05 and 200 (1 = 30 reps).")
    specs = parse_plants(plants, null=null)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not (out / "deals.csv").exists():
            raise UsageError(f"{out} exists and is not a simulated dataset; refusing to overwrite it",
                             "Choose an empty or new folder for --out.")
        shutil.rmtree(out)
    (out / "transcripts").mkdir(parents=True, exist_ok=True)

    root = np.random.SeedSequence([seed, 0 if lang == "fr" else 1])
    r_org, r_plant, r_deals, r_hist, r_fc, r_conv, r_gut = (np.random.default_rng(s) for s in root.spawn(7))
    org = build_org(r_org, lang, scale)
    org.plants = resolve_plants(org, specs, r_plant)
    apply_traits(org)
    book = generate_deals(org, r_deals, scale, load_bank(f"names_{lang}"))
    n_changes, ids = write_deals(book, org, out, r_hist)
    calls = write_forecasts(book, org, out, r_fc)
    write_quotas(book, org, out)
    conv = Conversations(org, book, ids, calls, out, seed, r_conv)
    n_conv = conv.run()
    gut = _write_intuitions(org, book, ids, conv.gut, out, r_gut)
    _write_people(org, out)
    _write_events(lang, out)
    _write_toml(lang, out)

    for p in org.plants:
        p.params = dict(PLANT_PARAMS.get(p.kind, {}))
        if p.kind == "gut_call_accuracy":
            p.params.update(gut.get(p.id, {}))
        if p.kind == "org_event_effect":
            p.params.update({"event_date": iso(COMP_EVENT_DAY), "event_kind": "compensation",
                             "effects": {"period_end_discount_pts": (
                                 f"{deals_mod.COMP_EVENT_DEEPEN_PTS[0]:g}-{deals_mod.COMP_EVENT_DEEPEN_PTS[1]:g} in the "
                                 f"last {deals_mod.COMP_EVENT_WINDOW_DAYS} days"),
                                         "review_pressure_turns_per_deal": "+0.3 (rising to period end)"},
                             "placebo_events": [e[0] for e in ORG_EVENTS[lang] if e[1] != "compensation"]})
        if p.kind == "quota_timing_gaming":
            p.params["shifted_wins"] = book.gaming_shifts
    gt_path = out.parent / "ground_truth.json"
    doc = _clean([p.to_dict() for p in org.plants])
    gt_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    counts = {"people": len(org.people), "teams": len(org.teams), "reps": len(org.reps), "deals": book.n,
              "deal_changes": n_changes, "conversations": n_conv, "utterances": conv.n_turns}
    return SimulationResult(out, gt_path, org.plants, lang, seed, scale, counts)


def _clean(o: object) -> object:
    """JSON-safe copy: NaN becomes null."""
    if isinstance(o, float) and o != o:
        return None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    return o
