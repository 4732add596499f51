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

# splits labelled by a reader (an annotator who did not write them), not by their writer: their second
# reader's labels, when there is one, are in blind/; they have no blind2/ file
READER_SPLITS: tuple[str, ...] = ("dev15", "dev16", "dev17", "dev18", "dev19", "dev20", "dev21", "dev22")
# splits written in one language only (English had the lower accuracy: more English turns)
ONE_LANGUAGE: frozenset[tuple[str, str]] = frozenset({("en", "dev19"), ("en", "dev20"), ("en", "dev21"), ("en", "dev22")})
