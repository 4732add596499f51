"""Typed records of a diagnosis: findings, evidence, observations (findings.json).

The JSON shape is the contract of ``shared/findings.md``; ``to_dict`` produces
it, ``from_dict`` reads it back (for ``miroir report``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ScopeLevel = Literal["org", "team", "manager", "rep", "deal"]

# kind -> lens, from shared/findings.md
KIND_LENS: dict[str, str] = {
    "forecast_bias": "forecast",
    "commit_unreliable": "forecast",
    "late_period_concentration": "forecast",
    "results_concentration": "forecast",
    "close_date_slippage": "pipeline",
    "recurring_review_deals": "pipeline",
    "stalled_deals": "pipeline",
    "period_end_discounting": "incentives",
    "period_end_pull_in": "incentives",
    "quota_timing_gaming": "incentives",
    "sandbagging": "incentives",
    "pressure_in_reviews": "pressure",
    "pressure_on_customers": "pressure",
    "unverified_claims_in_reviews": "assumptions",
    "clarification_debt": "assumptions",
    "low_discovery": "assumptions",
    "defensive_reviews": "meetings",
    "manager_dominance": "meetings",
    "attention_mismatch": "meetings",
    "decision_signal_gap": "customers",
    "single_threaded_deals": "customers",
    "fragile_deal": "intuition",
    # added by the intuition lens (issue 8): kinds may be added per shared/findings.md
    "intuition_calibration": "intuition",
    "org_change_effect": "intuition",
}


@dataclass(frozen=True)
class Scope:
    level: ScopeLevel
    id: str

    def key(self) -> str:
        return f"{self.level}:{self.id}"


@dataclass
class Metric:
    name: str
    value: float
    baseline: float | None = None
    unit: str = ""


@dataclass
class Effect:
    estimate: float
    ci_low: float
    ci_high: float
    method: str = ""  # e.g. "bootstrap 2000 resamples", "Wilson", "OLS HC1"


@dataclass
class Evidence:
    """One piece of evidence. ``type`` is ``deal``, ``deal_change`` or ``utterance``
    (or ``conversation``/``metric_row``); the other fields follow the type."""

    type: str
    deal_id: str | None = None
    changed_at: str | None = None
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    conversation_id: str | None = None
    start_s: float | None = None
    speaker_role: str | None = None
    speaker: str | None = None
    quote: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Finding:
    kind: str
    lens: str
    scope: Scope
    title: str
    statement: str
    metric: Metric
    effect: Effect
    n: int
    confidence: float
    evidence: list[Evidence]
    question: str
    id: str = ""
    value_at_stake: float | None = None  # currency amount concerned, used for ranking
    params: dict[str, Any] = field(default_factory=dict)  # thresholds and parameters used

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "lens": self.lens,
            "scope": {"level": self.scope.level, "id": self.scope.id},
            "title": self.title,
            "statement": self.statement,
            "metric": asdict(self.metric),
            "effect": asdict(self.effect),
            "n": int(self.n),
            "confidence": float(self.confidence),
            "evidence": [e.to_dict() for e in self.evidence],
            "question": self.question,
        }
        if self.value_at_stake is not None:
            d["value_at_stake"] = float(self.value_at_stake)
        if self.params:
            d["params"] = self.params
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(
            id=d.get("id", ""),
            kind=d["kind"],
            lens=d["lens"],
            scope=Scope(d["scope"]["level"], str(d["scope"]["id"])),
            title=d.get("title", ""),
            statement=d.get("statement", ""),
            metric=Metric(**d["metric"]),
            effect=Effect(**d["effect"]),
            n=int(d.get("n", 0)),
            confidence=float(d.get("confidence", 0.0)),
            evidence=[Evidence(**e) for e in d.get("evidence", [])],
            question=d.get("question", ""),
            value_at_stake=d.get("value_at_stake"),
            params=d.get("params", {}),
        )


@dataclass
class Observation:
    """A dynamic below its evidence threshold, or a fact worth stating
    (e.g. "not enough data: 12 commits, need 30")."""

    lens: str
    kind: str | None
    scope: Scope | None
    statement: str
    reason: str = ""  # e.g. "below_min_n", "not_significant", "model_not_better"
    n: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"lens": self.lens, "kind": self.kind, "statement": self.statement,
                             "reason": self.reason}
        d["scope"] = None if self.scope is None else {"level": self.scope.level, "id": self.scope.id}
        if self.n is not None:
            d["n"] = int(self.n)
        if self.details:
            d["details"] = self.details
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Observation:
        sc = d.get("scope")
        return cls(lens=d.get("lens", ""), kind=d.get("kind"),
                   scope=None if not sc else Scope(sc["level"], str(sc["id"])),
                   statement=d.get("statement", ""), reason=d.get("reason", ""),
                   n=d.get("n"), details=d.get("details", {}))


@dataclass
class LensSkipped:
    lens: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"lens": self.lens, "reason": self.reason}


@dataclass
class OptimizingFor:
    statement: str
    finding_ids: list[str]
    rule: str = ""  # which synthesis rule produced it
    statement_fr: str = ""  # the same statement in French (``statement`` is English)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"statement": self.statement, "finding_ids": list(self.finding_ids)}
        if self.rule:
            d["rule"] = self.rule
        if self.statement_fr:
            d["statement_fr"] = self.statement_fr
        return d
