"""The whole diagnosis: ingest -> annotate -> lenses -> synthesis -> findings.json + report.

Each step lives in its own package; this module only wires them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from . import __version__
from .config import DatasetConfig
from .lenses.base import LensContext
from .lenses.runner import RunOutcome, run_lenses
from .models import Finding
from .store.schema import open_store, table_count

Progress = Callable[[str], None]


@dataclass
class DiagnosisResult:
    out_dir: Path
    findings_path: Path
    report_path: Path | None
    doc: dict[str, Any]
    outcome: RunOutcome


def default_db_path(dataset: Path) -> Path:
    return dataset / ".miroir" / "miroir.duckdb"


def _load_settings(con: duckdb.DuckDBPyConnection) -> DatasetConfig:
    rows = dict(con.execute("SELECT key, value FROM settings").fetchall())
    if "config" not in rows:
        return DatasetConfig()
    raw = json.loads(rows["config"])
    raw["stages"] = tuple(raw.get("stages", ()))
    return DatasetConfig(**raw)


def dataset_summary(con: duckdb.DuckDBPyConnection, dataset: Path, db_path: Path | None = None) -> dict[str, Any]:
    row = con.execute(
        "SELECT min(created_at), max(greatest(close_date, created_at)) FROM deals"
    ).fetchone()
    lo, hi = (row or (None, None))
    return {
        "path": str(dataset),
        "deals": table_count(con, "deals"),
        "conversations": table_count(con, "conversations"),
        "period_from": lo.isoformat() if lo else None,
        "period_to": hi.isoformat() if hi else None,
        **({"store": str(db_path)} if db_path is not None else {}),
    }


def build_doc(con: duckdb.DuckDBPyConnection, dataset: Path, outcome: RunOutcome,
              findings: list[Finding], optimizing_for: list[Any], db_path: Path | None = None) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "miroir_version": __version__,
        "dataset": dataset_summary(con, dataset, db_path),
        "lenses_run": outcome.lenses_run,
        "lenses_skipped": [s.to_dict() for s in outcome.lenses_skipped],
        "lenses_failed": outcome.lenses_failed,
        "findings": [f.to_dict() for f in findings],
        "observations": [o.to_dict() for o in outcome.observations],
        "optimizing_for": [o.to_dict() for o in optimizing_for],
        "methods": {name: {"params": _jsonable(r.params), "methods": r.methods}
                    for name, r in outcome.results.items()},
    }


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


def write_metrics(metrics: dict[str, Any], out_dir: Path) -> None:
    mdir = out_dir / "metrics"
    mdir.mkdir(parents=True, exist_ok=True)
    for name, table in metrics.items():
        t = table.copy()
        for col in t.columns:
            if t[col].dtype == object:
                t[col] = t[col].map(lambda v: v if v is None or isinstance(v, str | int | float | bool)
                                    else json.dumps(v, default=str))
        t.to_parquet(mdir / f"{name}.parquet", index=False)
        t.to_csv(mdir / f"{name}.csv", index=False)


def diagnose(
    dataset: Path,
    out_dir: Path,
    *,
    lang: str = "en",
    db: Path | None = None,
    pseudonymise: bool = False,
    xlsx: bool = False,
    keep_pii: bool = False,
    progress: Progress | None = None,
    debug: bool = False,
    params: dict[str, dict[str, Any]] | None = None,
) -> DiagnosisResult:
    from .store.ingest import ingest_dataset

    say = progress or (lambda _msg: None)
    db_path = db or default_db_path(dataset)
    say("ingest")
    ingest_dataset(dataset, db_path, keep_pii=keep_pii, progress=progress)
    con = open_store(db_path)
    try:
        config = _load_settings(con)
        if table_count(con, "utterances"):
            from .store.annotations import annotate_store

            say("annotate")
            annotate_store(con, progress=lambda done, total: say(f"annotate {done:,}/{total:,} utterances"))
        ctx = LensContext(con=con, config=config, params=params or {})
        outcome = run_lenses(ctx, on_lens=lambda n: say(f"lens {n}"), debug=debug)
        from .synthesis import synthesise

        findings, optimizing_for = synthesise(outcome.findings)
        doc = build_doc(con, dataset, outcome, findings, optimizing_for, db_path)
        out_dir.mkdir(parents=True, exist_ok=True)
        metrics = outcome.metrics
        if pseudonymise:
            # one mapping for every output file: findings.json, report, metrics, workbook
            from .report.pseudonymise import apply_to_doc, build_pseudonymiser

            pseudo = build_pseudonymiser(con, doc)
            doc = apply_to_doc(doc, pseudo)
            metrics = {name: pseudo.frame(table) for name, table in metrics.items()}
        findings_path = out_dir / "findings.json"
        findings_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        write_metrics(metrics, out_dir)
        say("report")
        from .report.render import render_report

        report_path = render_report(doc, out_dir, lang=lang, con=con, pseudonymise=pseudonymise)
        if xlsx:
            from .report.export import write_xlsx

            write_xlsx(doc, metrics, out_dir / "miroir.xlsx")
    finally:
        con.close()
    return DiagnosisResult(out_dir, findings_path, report_path, doc, outcome)
