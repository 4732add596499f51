"""``miroir report OUT_DIR``: re-render report.html (and exports) from findings.json, without recomputing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ..errors import MiroirError, UsageError
from .common import console, out


def _load_doc(out_dir: Path) -> dict[str, Any]:
    path = out_dir / "findings.json"
    if not path.is_file():
        raise MiroirError(f"no findings.json in {out_dir}",
                          "Run `miroir diagnose DATASET --out OUT_DIR` first, then `miroir report OUT_DIR`.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MiroirError(f"findings.json is not valid JSON: {exc}",
                          "Re-run `miroir diagnose` to write it again.", file=str(path)) from exc
    if not isinstance(doc, dict) or doc.get("schema_version") != 1 or not isinstance(doc.get("findings"), list):
        raise MiroirError("findings.json is not a miroir diagnosis (schema_version 1 with findings)",
                          "Point `miroir report` at the folder written by `miroir diagnose`.", file=str(path))
    return doc


def store_path(doc: dict[str, Any]) -> Path | None:
    """Where the store of this diagnosis is: dataset.store, else DATASET/.miroir/miroir.duckdb."""
    ds = doc.get("dataset") or {}
    if ds.get("store"):
        return Path(str(ds["store"]))
    if ds.get("path"):
        return Path(str(ds["path"])) / ".miroir" / "miroir.duckdb"
    return None


def _metrics_from_files(out_dir: Path) -> dict[str, Any]:
    import pandas as pd

    mdir = out_dir / "metrics"
    return {p.stem: pd.read_parquet(p) for p in sorted(mdir.glob("*.parquet"))} if mdir.is_dir() else {}


def _metrics_from_store(con: Any) -> dict[str, Any]:
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'metric_%' ORDER BY 1").fetchall()]
    return {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names}


def rerender(out_dir: Path, *, lang: str = "en", pseudonymise: bool = False, xlsx: bool = False) -> list[Path]:
    """Re-render the report (and the xlsx) in ``out_dir``; returns the files written.

    With ``pseudonymise`` findings.json and the metric files are rewritten
    pseudonymised too, so that nothing in ``out_dir`` keeps a real name.
    """
    import duckdb

    from ..report.export import write_xlsx
    from ..report.pseudonymise import build_pseudonymiser
    from ..report.render import render_report

    if lang not in ("en", "fr"):
        raise UsageError(f"unknown report language {lang!r}", "Use --lang fr or --lang en.")
    doc = _load_doc(out_dir)
    con = None
    db = store_path(doc)
    if db is not None and db.is_file():
        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.Error as exc:
            console.print(f"[yellow]Warning:[/] cannot open the store {db} ({exc}); rendering from findings.json "
                          "only (no symptoms, no data-quality warnings).", soft_wrap=True)
    else:
        console.print("[yellow]Warning:[/] the store of this diagnosis was not found"
                      + (f" at {db}" if db else "") + "; rendering from findings.json only.", soft_wrap=True)
    written: list[Path] = []
    try:
        metrics = _metrics_from_store(con) if con is not None else _metrics_from_files(out_dir)
        if pseudonymise or doc.get("pseudonymised"):
            p = build_pseudonymiser(con, doc)
            if not doc.get("pseudonymised"):
                from ..report.pseudonymise import apply_to_doc

                doc = apply_to_doc(doc, p)
                fpath = out_dir / "findings.json"
                tmp = fpath.with_suffix(".json.tmp")
                tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
                tmp.replace(fpath)
                written.append(fpath)
            metrics = {k: p.frame(v) for k, v in metrics.items()}
            written.extend(_rewrite_metric_files(out_dir, metrics))
        written.append(render_report(doc, out_dir, lang=lang, con=con, pseudonymise=bool(doc.get("pseudonymised"))))
        if xlsx:
            written.append(write_xlsx(doc, metrics, out_dir / "miroir.xlsx"))
    finally:
        if con is not None:
            con.close()
    return written


def _rewrite_metric_files(out_dir: Path, metrics: dict[str, Any]) -> list[Path]:
    mdir = out_dir / "metrics"
    if not mdir.is_dir():
        return []
    written = []
    for name, df in metrics.items():
        for ext in ("parquet", "csv"):
            path = mdir / f"{name}.{ext}"
            if path.exists():
                tmp = path.with_name(path.name + ".tmp")
                if ext == "parquet":
                    df.to_parquet(tmp, index=False)
                else:
                    df.to_csv(tmp, index=False)
                tmp.replace(path)
                written.append(path)
    return written


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        out_dir: Path = typer.Argument(..., help="Folder written by `miroir diagnose` (holds findings.json)."),
        lang: str = typer.Option("en", "--lang", help="Report language: fr or en."),
        pseudonymise: bool = typer.Option(
            False, "--pseudonymise",
            help="Replace people and accounts by stable pseudonyms (Rep 07, Account 013) in the report, and "
                 "rewrite findings.json and the metric files the same way."),
        xlsx: bool = typer.Option(False, "--xlsx", help="Also write miroir.xlsx (findings + metric tables)."),
    ) -> None:
        """Re-render report.html from findings.json and the store, without recomputing anything."""
        for path in rerender(out_dir, lang=lang, pseudonymise=pseudonymise, xlsx=xlsx):
            out.print(f"wrote {path}", soft_wrap=True, highlight=False)
