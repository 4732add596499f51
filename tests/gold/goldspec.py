"""The gold files' vocabulary: labels, roles, contexts and line keys (shared by the format tests)."""

from __future__ import annotations

LABELS: tuple[str, ...] = (
    "question",
    "open_question",
    "hedge",
    "assumption",
    "clarification",
    "pressure",
    "defensive",
    "exploratory",
    "next_step",
    "pain",
    "budget",
    "decision_maker",
    "decision_process",
    "decision_criteria",
    "timeline",
    "competition",
)
ROLES = frozenset({"rep", "manager", "customer", "director", "other"})
CONTEXTS = frozenset({"customer_call", "pipeline_review", "forecast_call"})
LANGS: tuple[str, ...] = ("en", "fr")
REQUIRED_KEYS = frozenset({"id", "text", "lang", "role", "context", "labels"})
OPTIONAL_KEYS = frozenset({"rationale"})
