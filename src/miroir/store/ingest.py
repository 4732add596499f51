"""Ingest a dataset folder into the store, atomically and idempotently.

The whole dataset is written in one transaction: a crash (or kill -9) midway
leaves the store as it was. Re-ingesting an unchanged folder does nothing;
a changed folder replaces the rows of every table (so a changed file's rows
are replaced and nothing is duplicated). Annotations are kept: they are
cached by transcript hash and engine version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ..dataset import Dataset, read_dataset
from ..errors import MiroirError
from .schema import CANONICAL_TABLES, DDL, open_store

Progress = Callable[[str], None]


@dataclass
class IngestReport:
    db_path: Path
    skipped: bool  # True when the folder had not changed since the last ingest
    counts: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    dataset: Dataset | None = None


def folder_fingerprint(folder: Path, keep_pii: bool) -> str:
    """Hash of every file's path, size and modification time (the store folder excluded)."""
    h = hashlib.sha256(f"pii={keep_pii}".encode())
    root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".miroir" and not d.startswith("."))
        for name in sorted(filenames):
            p = Path(dirpath) / name
            try:
                st = p.stat()
            except OSError:
                continue
            h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    cols = _columns(con, table)
    df = frame.copy()
    for c in cols:
        if c not in df.columns:
            df[c] = None
    df = df[cols].reset_index(drop=True)
    con.register("_ingest_df", df)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _ingest_df")
    finally:
        con.unregister("_ingest_df")
    return len(df)


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT value FROM settings WHERE key = 'fingerprint'").fetchone()
    return row[0] if row else None


def ingest_dataset(folder: Path | str, db_path: Path | str, *, keep_pii: bool = False,
                   progress: Progress | None = None, force: bool = False) -> IngestReport:
    folder = Path(folder)
    db_path = Path(db_path)
    if not folder.is_dir():
        raise MiroirError(f"dataset folder not found: {folder}",
                          "Give the path of a folder holding deals.csv, or run `miroir simulate --out DIR`.")
    fp = folder_fingerprint(folder, keep_pii)
    try:
        con = open_store(db_path)
    except duckdb.Error as exc:
        raise MiroirError(f"cannot open the store {db_path}: {exc}",
                          "Another miroir may be using it; or delete the file (`miroir purge DATASET`).") from exc
    try:
        if not force and stored_fingerprint(con) == fp:
            counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                      for t in (*CANONICAL_TABLES, "utterances")}
            n_err, n_warn = con.execute(
                "SELECT count(*) FILTER (WHERE severity='error'), count(*) FILTER (WHERE severity='warning') "
                "FROM problems").fetchone() or (0, 0)
            return IngestReport(db_path, True, counts, int(n_err), int(n_warn))
        ds = read_dataset(folder, progress=progress)
        if not ds.usable:
            first = ds.errors[0].render() if ds.errors else "no usable deal"
            raise MiroirError(f"the dataset cannot be used: {first}",
                              "Run `miroir validate DATASET` to see every problem.")
        utt = ds.utterances
        if not keep_pii and len(utt):
            from ..privacy import redact_pii

            utt = utt.copy()
            utt["text"] = [redact_pii(t) for t in utt["text"].astype(str)]
        if progress:
            progress("write store")
        counts = {}
        con.execute("BEGIN TRANSACTION")
        try:
            for t in (*CANONICAL_TABLES, "utterances", "stages", "ingest_files", "problems"):
                con.execute(f"DELETE FROM {t}")
            for t in CANONICAL_TABLES:
                frame = ds.tables.get(t)
                counts[t] = _insert(con, t, frame) if frame is not None and len(frame) else 0
            counts["utterances"] = _insert(con, "utterances", utt) if len(utt) else 0
            if len(ds.stages):
                _insert(con, "stages", ds.stages)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            files = pd.DataFrame([{**asdict(f), "tbl": f.table, "ingested_at": now} for f in ds.files])
            if len(files):
                _insert(con, "ingest_files", files)
            if ds.problems:
                probs = pd.DataFrame([{
                    "severity": p.severity, "file": p.file, "tbl": p.table, "row_no": p.row, "col": p.column,
                    "message": p.message, "expected": p.expected, "remedy": p.remedy, "value": p.value,
                    "code": p.code} for p in ds.problems])
                _insert(con, "problems", probs)
            config = {"currency": ds.config.currency,
                      "fiscal_year_start_month": ds.config.fiscal_year_start_month,
                      "stages": list(ds.config.stages), "language": ds.config.language,
                      "date_order": ds.config.date_order}
            for key, value in (("fingerprint", fp), ("config", json.dumps(config)),
                               ("dataset_path", str(folder.resolve())), ("keep_pii", str(keep_pii))):
                con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return IngestReport(db_path, False, counts, len(ds.errors), len(ds.warnings), ds)
    finally:
        con.close()


__all__ = ["DDL", "IngestReport", "ingest_dataset"]
