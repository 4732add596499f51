"""Column specifications of every data-contract table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColType = Literal["text", "number", "date", "datetime"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColType = "text"
    required: bool = False
    enum: str | None = None  # name of a vocabulary in ENUMS
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    required_table: bool = False
    key: tuple[str, ...] = ()  # unique key, duplicates are rejected
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None


# Vocabularies: canonical value -> accepted spellings (compared case/accent/space-insensitively).
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "status": {
        "open": ("open", "opened", "in progress", "ouvert", "ouverte", "en cours", "pipeline", "active"),
        "won": ("won", "closed won", "closedwon", "win", "gagne", "gagnee", "signe", "signee", "ferme gagne"),
        "lost": ("lost", "closed lost", "closedlost", "lose", "perdu", "perdue", "ferme perdu", "abandoned",
                 "abandonne"),
    },
    "forecast_category": {
        "pipeline": ("pipeline", "pipe"),
        "best_case": ("best_case", "best case", "bestcase", "upside"),
        "commit": ("commit", "forecast", "committed"),
        "closed": ("closed", "won", "closed won"),
        "omitted": ("omitted", "omit", "excluded"),
    },
    "forecast_call": {
        "commit": ("commit", "forecast", "committed"),
        "best_case": ("best_case", "best case", "bestcase", "upside"),
        "pipeline": ("pipeline", "pipe"),
    },
    "role": {
        "rep": ("rep", "ae", "account executive", "sales rep", "commercial", "commerciale", "sdr", "bdr",
                "ingenieur commercial", "sales"),
        "manager": ("manager", "sales manager", "team lead", "responsable", "chef des ventes", "rsm"),
        "director": ("director", "directeur", "directrice", "vp", "vp sales", "head of sales", "cro",
                     "directeur commercial", "directrice commerciale"),
        "other": ("other", "autre", "se", "presales", "ops", "revops", "sales ops"),
    },
    "conversation_kind": {
        "customer_call": ("customer_call", "customer call", "call", "appel client", "rdv client", "demo",
                          "discovery"),
        "pipeline_review": ("pipeline_review", "pipeline review", "revue de pipe", "revue pipeline",
                            "deal review", "review"),
        "forecast_call": ("forecast_call", "forecast call", "forecast", "call forecast", "revue forecast"),
        "other": ("other", "autre", "meeting", "internal"),
    },
    "event_kind": {
        "tool": ("tool", "outil"),
        "process": ("process", "processus"),
        "targets": ("targets", "target", "objectifs", "quota", "quotas"),
        "compensation": ("compensation", "comp", "remuneration", "commission", "variable"),
        "organisation": ("organisation", "organization", "org", "reorg"),
        "other": ("other", "autre"),
    },
    "gut_call": {
        "fragile": ("fragile", "at risk", "risky", "a risque"),
        "solid": ("solid", "solide", "safe", "sur"),
        "unsure": ("unsure", "unknown", "incertain", "?", "not sure"),
    },
    "change_field": {
        "stage": ("stage", "stagename", "stage name", "deal stage", "dealstage", "etape", "phase"),
        "amount": ("amount", "montant", "value", "valeur"),
        "close_date": ("close_date", "closedate", "close date", "date de cloture", "closing date"),
        "forecast_category": ("forecast_category", "forecastcategory", "forecastcategoryname",
                              "forecast category", "categorie de prevision"),
        "owner": ("owner", "ownerid", "owner id", "proprietaire", "deal owner", "hubspot_owner_id"),
        "discount_pct": ("discount_pct", "discount", "remise", "discount %"),
        "status": ("status", "statut", "isclosed", "iswon"),
    },
}

TEXT: ColType = "text"
NUM: ColType = "number"
DATE: ColType = "date"
DT: ColType = "datetime"

SPECS: dict[str, TableSpec] = {
    "people": TableSpec(
        "people",
        (
            Column("person_id"),
            Column("name", required=True),
            Column("role", required=True, enum="role"),
            Column("team"),
            Column("manager"),
            Column("aliases"),
        ),
        key=("person_id",),
    ),
    "deals": TableSpec(
        "deals",
        (
            Column("deal_id", required=True),
            Column("name"),
            Column("account"),
            Column("owner", required=True),
            Column("team"),
            Column("amount", NUM, required=True),
            Column("currency"),
            Column("stage", required=True),
            Column("forecast_category", enum="forecast_category"),
            Column("created_at", DATE, required=True),
            Column("close_date", DATE, required=True),
            Column("status", required=True, enum="status"),
            Column("discount_pct", NUM),
            Column("list_amount", NUM),
        ),
        required_table=True,
        key=("deal_id",),
    ),
    "deal_changes": TableSpec(
        "deal_changes",
        (
            Column("deal_id", required=True),
            Column("changed_at", DT, required=True),
            Column("field", required=True, enum="change_field"),
            Column("old_value"),
            Column("new_value", required=True),
            Column("changed_by"),
        ),
    ),
    "forecasts": TableSpec(
        "forecasts",
        (
            Column("owner", required=True),
            Column("period", required=True),
            Column("submitted_at", DATE, required=True),
            Column("category", required=True, enum="forecast_call"),
            Column("amount", NUM, required=True),
        ),
    ),
    "quotas": TableSpec(
        "quotas",
        (
            Column("owner", required=True),
            Column("period", required=True),
            Column("amount", NUM, required=True),
            Column("accelerator_at", NUM),
        ),
        key=("owner", "period"),
    ),
    "conversations": TableSpec(
        "conversations",
        (
            Column("conversation_id", required=True),
            Column("kind", required=True, enum="conversation_kind"),
            Column("started_at", DT, required=True),
            Column("file", required=True),
            Column("deal_ids"),
            Column("language"),
            Column("title"),
        ),
        key=("conversation_id",),
    ),
    "org_events": TableSpec(
        "org_events",
        (
            Column("date", DATE, required=True),
            Column("kind", required=True, enum="event_kind"),
            Column("description", required=True),
        ),
    ),
    "intuitions": TableSpec(
        "intuitions",
        (
            Column("deal_id", required=True),
            Column("recorded_at", DATE, required=True),
            Column("person", required=True),
            Column("call", required=True, enum="gut_call"),
            Column("note"),
        ),
    ),
}

SUFFIXES = (".csv", ".xlsx", ".parquet", ".tsv", ".txt")
