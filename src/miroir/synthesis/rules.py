"""The rule table behind "what the system optimises for".

Each rule names a trade-off the system makes without anyone choosing it, the
finding kinds that show it, and its statement in English and French. The
rules are applied in ``apply_rules``:

1. a rule *matches* the findings whose kind is in ``kinds`` (a kind no rule
   lists falls back to the rules that list its lens in ``lenses``; the kinds
   of ``NO_STATEMENT_KINDS`` match no rule);
2. it *fires* when it matches at least ``min_kinds`` distinct kinds;
3. a rule's weight is the sum, over the distinct kinds it matched, of the best
   rank score of that kind (several mechanisms pointing the same way weigh
   more than many findings of one kind, e.g. one per deal); fired rules are
   ordered by weight (ties: table order) and taken greedily, a rule being kept only if it brings at
   least one finding that no kept rule already covers, up to ``MAX_STATEMENTS``;
4. when at least two thirds of a statement's weight comes from one team, the
   statement says so.

Nothing here writes prose: the words are in the table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..models import Finding, OptimizingFor

MAX_STATEMENTS = 5
TEAM_SHARE = 2 / 3

# kinds that are not a trade-off the system makes, so no statement is drawn from them
# (they stay in their lens section of the report)
NO_STATEMENT_KINDS: dict[str, str] = {
    "org_change_effect": "says what a past change to the system did, not what the system optimises for",
    "intuition_calibration": "describes how well gut calls predict outcomes, not a dynamic of the system",
}


@dataclass(frozen=True)
class Rule:
    name: str
    kinds: tuple[str, ...]
    statement_en: str
    statement_fr: str
    lenses: tuple[str, ...] = ()  # fallback for kinds no rule lists
    min_kinds: int = 1


RULES: tuple[Rule, ...] = (
    Rule(
        "closing_in_period_over_closing_well",
        ("late_period_concentration", "period_end_discounting", "period_end_pull_in",
         "quota_timing_gaming", "pressure_on_customers"),
        "Closing inside the period rather than closing well: deals bunch up at period end, "
        "where they are discounted, pulled in and pushed on customers.",
        "Conclure dans la période plutôt que bien conclure : les affaires s'entassent en fin "
        "de période, où elles sont remisées, avancées et poussées chez les clients.",
        lenses=("incentives",),
    ),
    Rule(
        "managing_the_forecast_over_predicting",
        ("forecast_bias", "commit_unreliable", "sandbagging"),
        "Managing the forecast conversation rather than predicting: calls are systematically "
        "biased and commitments do not hold.",
        "Gérer la conversation de prévision plutôt que prévoir : les annonces sont biaisées de "
        "façon systématique et les engagements ne tiennent pas.",
        lenses=("forecast",),
    ),
    Rule(
        "keeping_deals_alive_over_qualifying",
        ("close_date_slippage", "recurring_review_deals", "stalled_deals", "attention_mismatch",
         "fragile_deal"),
        "Keeping deals alive in the pipeline rather than qualifying them: the same deals slip, "
        "stall and come back review after review.",
        "Garder les affaires en vie dans le pipeline plutôt que les qualifier : les mêmes "
        "affaires glissent, stagnent et reviennent de revue en revue.",
        lenses=("pipeline", "intuition"),
    ),
    Rule(
        "sounding_sure_over_finding_out",
        ("unverified_claims_in_reviews", "clarification_debt", "low_discovery",
         "decision_signal_gap", "single_threaded_deals"),
        "Sounding sure rather than finding out: claims about customers go unchecked, and how "
        "customers decide is rarely explored with them.",
        "Paraître sûr plutôt que chercher à savoir : les affirmations sur les clients ne sont pas "
        "vérifiées, et la façon dont ils décident est rarement explorée avec eux.",
        lenses=("assumptions", "customers"),
    ),
    Rule(
        "control_over_inquiry_in_reviews",
        ("pressure_in_reviews", "defensive_reviews", "manager_dominance"),
        "Control rather than inquiry in reviews: pressure and status questions dominate, and "
        "people justify rather than explore.",
        "Le contrôle plutôt que l'enquête en revue : la pression et les questions de statut "
        "dominent, et l'on se justifie au lieu d'explorer.",
        lenses=("pressure", "meetings"),
    ),
    Rule(
        "heroics_over_a_repeatable_system",
        ("results_concentration",),
        "Relying on a few heroes rather than a repeatable system: results hinge on very few "
        "people or deals, so periods are irregular.",
        "S'en remettre à quelques héros plutôt qu'à un système reproductible : les résultats "
        "dépendent de très peu de personnes ou d'affaires, d'où des périodes irrégulières.",
    ),
)

TEAM_SUFFIX = {"en": " Most visible in team {team}.", "fr": " Surtout visible dans l'équipe {team}."}


def _rule_findings(rule: Rule, findings: list[Finding], known: set[str]) -> list[int]:
    return [i for i, f in enumerate(findings) if f.kind not in NO_STATEMENT_KINDS
            and (f.kind in rule.kinds or (f.kind not in known and f.lens in rule.lenses))]


def rule_weight(idx: list[int], findings: list[Finding], scores: list[float]) -> float:
    best: dict[str, float] = {}
    for i in idx:
        best[findings[i].kind] = max(best.get(findings[i].kind, 0.0), scores[i])
    return sum(best.values())


def _dominant_team(idx: list[int], findings: list[Finding], scores: list[float]) -> str | None:
    total = sum(scores[i] for i in idx)
    if total <= 0:
        return None
    per_team: dict[str, float] = defaultdict(float)
    for i in idx:
        if findings[i].scope.level == "team":
            per_team[findings[i].scope.id] += scores[i]
    if not per_team:
        return None
    team, weight = min(per_team.items(), key=lambda kv: (-kv[1], kv[0]))
    return team if weight / total >= TEAM_SHARE else None


def apply_rules(findings: list[Finding], scores: list[float],
                rules: tuple[Rule, ...] = RULES) -> list[OptimizingFor]:
    """Statements for ``findings`` (already ranked, with ids) and their rank ``scores``."""
    known = {k for r in rules for k in r.kinds}
    fired: list[tuple[float, int, Rule, list[int]]] = []
    for pos, rule in enumerate(rules):
        idx = _rule_findings(rule, findings, known)
        if idx and len({findings[i].kind for i in idx}) >= rule.min_kinds:
            fired.append((rule_weight(idx, findings, scores), pos, rule, idx))
    fired.sort(key=lambda t: (-t[0], t[1]))
    covered: set[int] = set()
    out: list[OptimizingFor] = []
    for _weight, _pos, rule, idx in fired:
        if len(out) >= MAX_STATEMENTS:
            break
        if not set(idx) - covered:
            continue
        covered.update(idx)
        en, fr = rule.statement_en, rule.statement_fr
        team = _dominant_team(idx, findings, scores)
        if team is not None:
            en += TEAM_SUFFIX["en"].format(team=team)
            fr += TEAM_SUFFIX["fr"].format(team=team)
        out.append(OptimizingFor(statement=en, statement_fr=fr, rule=rule.name,
                                 finding_ids=[findings[i].id for i in idx]))
    return out
