"""The lens contract.

A lens declares the tables it needs; when one of them is empty the lens is
listed in ``lenses_skipped`` with the reason. ``run`` computes metric tables
(kept in the store as ``metric_<lens>_<name>`` and written to ``metrics/``),
findings (effect with interval, n, confidence, evidence, question) and
observations (what could not be settled, and what more data would settle it).

Adding a lens = one module defining a ``Lens`` subclass + its tests + one
line in ``registry.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import duckdb
import pandas as pd

from ..calendar import FiscalCalendar
from ..config import DatasetConfig
from ..models import Finding, Observation


@dataclass
class LensContext:
    con: duckdb.DuckDBPyConnection
    config: DatasetConfig = field(default_factory=DatasetConfig)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # lens name -> overrides
    # results of lenses that already ran in this diagnosis (name -> result), so a
    # lens such as `intuition` can reuse what others computed.
    results: dict[str, LensResult] = field(default_factory=dict)

    @property
    def calendar(self) -> FiscalCalendar:
        return self.config.calendar

    def df(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a query on the store and return a DataFrame."""
        return self.con.execute(sql, params or []).df()

    def count(self, table: str) -> int:
        try:
            rows = self.con.execute(f"SELECT count(*) FROM {table}").fetchall()  # fetchall: no open result
        except duckdb.Error:
            return 0
        return int(rows[0][0]) if rows else 0


@dataclass
class LensResult:
    findings: list[Finding] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    metrics: dict[str, pd.DataFrame] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # parameters and thresholds used
    methods: list[str] = field(default_factory=list)  # one sentence per method, for the appendix


class Lens(ABC):
    name: ClassVar[str]
    title: ClassVar[str] = ""
    kinds: ClassVar[tuple[str, ...]] = ()
    # tables that must have at least one row, or the lens is skipped
    requires: ClassVar[tuple[str, ...]] = ()
    default_params: ClassVar[dict[str, Any]] = {}

    def params(self, ctx: LensContext) -> dict[str, Any]:
        p = dict(self.default_params)
        p.update(ctx.params.get(self.name, {}))
        return p

    def skip_reason(self, ctx: LensContext) -> str | None:
        """Why this lens cannot run on this store, or None when it can."""
        missing = [t for t in self.requires if ctx.count(t) == 0]
        if missing:
            return "no data in " + ", ".join(missing)
        return None

    @abstractmethod
    def run(self, ctx: LensContext) -> LensResult:
        """Compute metrics, findings and observations."""
