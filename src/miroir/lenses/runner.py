"""Run every registered lens on a store; a crash in one lens never loses the others."""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..models import Finding, LensSkipped, Observation
from .base import Lens, LensContext, LensResult
from .registry import all_lenses


@dataclass
class RunOutcome:
    lenses_run: list[str] = field(default_factory=list)
    lenses_skipped: list[LensSkipped] = field(default_factory=list)
    lenses_failed: list[dict[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    metrics: dict[str, pd.DataFrame] = field(default_factory=dict)  # "<lens>_<name>" -> table
    results: dict[str, LensResult] = field(default_factory=dict)


_SAFE = re.compile(r"[^a-z0-9_]+")


def metric_table_name(lens: str, name: str) -> str:
    return "metric_" + _SAFE.sub("_", f"{lens}_{name}".lower())


def run_lenses(
    ctx: LensContext,
    lenses: list[Lens] | None = None,
    *,
    on_lens: Callable[[str], None] | None = None,
    store_metrics: bool = True,
    debug: bool = False,
) -> RunOutcome:
    out = RunOutcome()
    for lens in lenses if lenses is not None else all_lenses():
        if on_lens:
            on_lens(lens.name)
        reason = lens.skip_reason(ctx)
        if reason:
            out.lenses_skipped.append(LensSkipped(lens.name, reason))
            continue
        try:
            res = lens.run(ctx)
            tables = {}
            for name, table in res.metrics.items():
                if table is None or table.shape[1] == 0:
                    continue  # nothing to store (e.g. a part of the lens that had no data)
                key = metric_table_name(lens.name, name)
                tables[key] = table
                if store_metrics:
                    ctx.con.register("_metric_tmp", table)
                    try:
                        ctx.con.execute(f"CREATE OR REPLACE TABLE {key} AS SELECT * FROM _metric_tmp")
                    finally:
                        ctx.con.unregister("_metric_tmp")
        except Exception as exc:  # noqa: BLE001 - one lens failing must not lose the others
            if debug:
                raise
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            out.lenses_failed.append({"lens": lens.name, "error": detail})
            out.lenses_skipped.append(LensSkipped(lens.name, f"failed: {detail}"))
            continue
        ctx.results[lens.name] = res
        out.results[lens.name] = res
        out.lenses_run.append(lens.name)
        out.findings.extend(res.findings)
        out.observations.extend(res.observations)
        out.metrics.update(tables)
    return out
