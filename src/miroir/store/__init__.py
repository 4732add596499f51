"""The embedded store: one DuckDB file per workspace."""

from .schema import CANONICAL_TABLES, create_schema, open_store

__all__ = ["CANONICAL_TABLES", "create_schema", "open_store"]
