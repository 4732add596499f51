"""What can be planted, where, and how ``KIND@SCOPE`` strings are read.

A plant names a dynamic (a finding kind of ``shared/findings.md``, or one of
the two extra mechanisms issue 8 needs) and the scope where the simulator
switches it on. The scope id may be left out (``sandbagging@rep``) or given by
position (``rep:#3``): the simulator then picks the person or team itself and
``ground_truth.json`` records the name it chose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..models import KIND_LENS

# kind -> scope levels it can be planted at
PLANT_LEVELS: dict[str, tuple[str, ...]] = {
    "forecast_bias": ("rep", "team"),
    "commit_unreliable": ("team", "org"),
    "late_period_concentration": ("org", "team"),
    "results_concentration": ("team", "org"),
    "close_date_slippage": ("team", "rep"),
    "recurring_review_deals": ("team", "manager"),
    "stalled_deals": ("team",),
    "period_end_discounting": ("team", "rep", "org"),
    "period_end_pull_in": ("team", "rep", "org"),
    "quota_timing_gaming": ("rep",),
    "sandbagging": ("rep", "team"),
    "pressure_in_reviews": ("manager", "team"),
    "pressure_on_customers": ("rep", "team"),
    "unverified_claims_in_reviews": ("team", "manager"),
    "clarification_debt": ("team", "rep"),
    "low_discovery": ("rep", "team"),
    "defensive_reviews": ("manager", "team"),
    "manager_dominance": ("manager", "team"),
    "attention_mismatch": ("manager", "team"),
    "decision_signal_gap": ("org", "team"),
    "single_threaded_deals": ("rep", "team"),
    "fragile_deal": ("org",),
    # mechanisms that are not finding kinds (issue 8)
    "org_event_effect": ("org",),
    "gut_call_accuracy": ("manager",),
}
EXTRA_KINDS = ("org_event_effect", "gut_call_accuracy")
# finding kinds whose dynamic is planted by another name: the mechanism behind it
PLANT_ALIASES: dict[str, str] = {
    "org_change_effect": "org_event_effect",
    "intuition_calibration": "gut_call_accuracy",
}
FINDING_KINDS: tuple[str, ...] = tuple(KIND_LENS)
assert set(FINDING_KINDS) <= set(PLANT_LEVELS) | set(PLANT_ALIASES), "every finding kind must be plantable"

# the realistic handful planted when neither --plant nor --null is given
DEFAULT_PLANTS: tuple[str, ...] = (
    "period_end_discounting@team:#2",
    "sandbagging@rep",
    "defensive_reviews@manager:#3",
    "recurring_review_deals@team:#1",
    "single_threaded_deals@rep",
    "clarification_debt@team:#4",
    "fragile_deal@org",
    "org_event_effect@org",
    "gut_call_accuracy@manager:#2",
)


@dataclass
class PlantSpec:
    """A parsed ``KIND@SCOPE`` before the organisation exists."""

    kind: str
    level: str
    ref: str | None  # a name, "#n" (1-based position) or None (simulator picks)
    text: str
    wrap: bool = False  # "#n" counts modulo the number of candidates (default plants at small scales)

    def __str__(self) -> str:
        return self.text


@dataclass
class Plant:
    """A plant resolved to a concrete scope id, with the parameters used."""

    kind: str
    level: str
    id: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "scope": {"level": self.level, "id": self.id}, "params": self.params}


def _valid_list() -> str:
    return "; ".join(f"{k}@{'|'.join(v)}" for k, v in PLANT_LEVELS.items())


def parse_plant(text: str) -> PlantSpec:
    """Read ``KIND@SCOPE`` (``SCOPE`` = ``org``, ``team[:id]``, ``manager[:id]``, ``rep[:id]``)."""
    raw = text.strip()
    kind, sep, scope = raw.partition("@")
    kind = PLANT_ALIASES.get(kind.strip(), kind.strip())
    if kind not in PLANT_LEVELS:
        raise UsageError(
            f"unknown plant kind {kind!r} in {raw!r}",
            "Valid kinds and scope levels: " + _valid_list(),
        )
    if not sep or not scope.strip():
        level, ref = PLANT_LEVELS[kind][0], None
    else:
        level, _, ident = scope.strip().partition(":")
        level = level.strip().lower()
        ref = ident.strip() or None
    if level not in PLANT_LEVELS[kind]:
        raise UsageError(
            f"{kind} cannot be planted at scope level {level!r} (in {raw!r})",
            f"Use one of: {', '.join(f'{kind}@{lv}' for lv in PLANT_LEVELS[kind])}"
            " (add ':<name>' or ':#<n>' to choose who; leave it out to let the simulator pick).",
        )
    if level == "org" and ref not in (None, "org"):
        raise UsageError(f"scope 'org' takes no id (in {raw!r})", f"Write {kind}@org.")
    return PlantSpec(kind, level, None if level == "org" else ref, raw)


def parse_plants(texts: list[str] | None, *, null: bool) -> list[PlantSpec]:
    if null:
        if texts:
            raise UsageError("--null plants nothing; it cannot be combined with --plant",
                             "Drop --null to plant, or drop the --plant options.")
        return []
    if texts is None:
        specs = [parse_plant(t) for t in DEFAULT_PLANTS]
        for s in specs:
            s.wrap = True
        return specs
    return [parse_plant(t) for t in texts]
