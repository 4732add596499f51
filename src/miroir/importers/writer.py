"""Write a dataset folder (``shared/data-contract.md``) and the import report.

Every importer builds canonical tables as pandas frames of text and hands
them here. Files are written atomically (temp file + rename). Conversation
importers *merge* into an existing folder (rows replaced by key, others kept)
so that ``import salesforce`` then ``import gong`` into the same folder links
calls to deals.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import MiroirError, Problem

# canonical column order per contract table
COLUMNS: dict[str, tuple[str, ...]] = {
    "deals": ("deal_id", "name", "account", "owner", "team", "amount", "currency", "stage", "forecast_category",
              "created_at", "close_date", "status", "discount_pct", "list_amount"),
    "deal_changes": ("deal_id", "changed_at", "field", "old_value", "new_value", "changed_by"),
    "forecasts": ("owner", "period", "submitted_at", "category", "amount"),
    "quotas": ("owner", "period", "amount", "accelerator_at"),
    "people": ("person_id", "name", "role", "team", "manager", "aliases"),
    "conversations": ("conversation_id", "kind", "started_at", "file", "deal_ids", "language", "title"),
}


@dataclass
class ImportReport:
    """What an import mapped, what it could not, and why.

    ``tables``: rows written per canonical table; ``inputs``: rows read per
    input file; ``unmapped_columns``: input file -> columns with no place in
    the contract (kept as extra ``<source>_<column>`` columns where the row
    maps to a deal, otherwise only listed); ``excluded``: reason -> rows left
    out on purpose (each also has a problem with rows and remedy);
    ``problems``: data problems with file/row/column/remedy; ``notes``:
    decisions the importer took (e.g. where the stage order came from).
    """

    source: str
    out: Path | None = None
    tables: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, int] = field(default_factory=dict)
    unmapped_columns: dict[str, list[str]] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    # -- building --------------------------------------------------------------------------
    def problem(self, severity: str, file: str, message: str, **kw: Any) -> None:
        self.problems.append(Problem(severity, file, message, **kw))  # type: ignore[arg-type]

    def exclude(self, reason: str, n: int) -> None:
        if n:
            self.excluded[reason] = self.excluded.get(reason, 0) + int(n)

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- reading ---------------------------------------------------------------------------
    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "out": str(self.out) if self.out else None,
            "tables": dict(self.tables),
            "inputs": dict(self.inputs),
            "unmapped_columns": {k: list(v) for k, v in self.unmapped_columns.items()},
            "excluded": dict(self.excluded),
            "problems": [p.to_dict() for p in self.problems],
            "notes": list(self.notes),
            "files": list(self.files),
        }

    def summary_lines(self) -> list[str]:
        lines = [f"Imported from {self.source} into {self.out}:"]
        for t, n in self.tables.items():
            lines.append(f"  {t}: {n} rows")
        if self.excluded:
            lines.append("Left out on purpose:")
            lines += [f"  {count} {reason}" for reason, count in self.excluded.items()]
        if self.unmapped_columns:
            lines.append("Columns not mapped onto the data contract:")
            for f, cols in self.unmapped_columns.items():
                shown = ", ".join(cols[:12]) + (f" (+{len(cols) - 12} more)" if len(cols) > 12 else "")
                lines.append(f"  {f}: {shown}")
        lines += [f"Note: {note}" for note in self.notes]
        if self.problems:
            lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s):")
            lines += [f"  [{p.severity}] {p.render()}" for p in self.problems]
        return lines


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


def _atomic_write_frame(path: Path, frame: pd.DataFrame) -> None:
    """CSV (UTF-8, comma, quotes only where needed) through pyarrow's writer: ~10x pandas' speed."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    os.close(fd)
    try:
        pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(quoting_style="needed"))
        os.replace(tmp, path)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)


class DatasetWriter:
    """Writes canonical tables into ``out`` and keeps the report's counts."""

    def __init__(self, out: Path, report: ImportReport) -> None:
        self.out = Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise MiroirError(f"--out {self.out} exists and is not a folder",
                              "Give the path of a new or existing dataset folder.")
        self.report = report
        report.out = self.out

    def existing(self, table: str) -> pd.DataFrame | None:
        path = self.out / f"{table}.csv"
        if not path.exists():
            return None
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
            return None

    def write_table(self, table: str, frame: pd.DataFrame, *, merge_on: str | None = None) -> Path:
        cols = list(COLUMNS.get(table, ()))
        frame = frame.copy()
        frame.attrs = {}
        for c in cols:
            if c not in frame.columns:
                frame[c] = ""
        extra = [c for c in frame.columns if c not in cols]
        frame = frame[cols + extra].fillna("")
        path = self.out / f"{table}.csv"
        if merge_on is not None and path.exists():
            old = self.existing(table)
            if old is not None and merge_on in old.columns:
                keep = old[~old[merge_on].isin(set(frame[merge_on]))]
                if len(keep):
                    frame = pd.concat([keep, frame], ignore_index=True).fillna("")
                    self.report.note(f"{table}.csv: kept {len(keep)} existing row(s) not in this import")
        _atomic_write_frame(path, frame)
        self.report.tables[table] = len(frame)
        self.report.files.append(path.name)
        return path

    def write_config(self, values: dict[str, object]) -> Path | None:
        """Add keys to ``miroir.toml``; values already set by the user are kept (and differences noted)."""
        values = {k: v for k, v in values.items() if v not in (None, "", [], ())}
        if not values:
            return None
        path = self.out / "miroir.toml"
        current: dict[str, Any] = {}
        text = ""
        if path.exists():
            text = path.read_text(encoding="utf-8-sig")
            try:
                current = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                self.report.problem("warning", "miroir.toml", "existing miroir.toml is not valid TOML; left as is",
                                    remedy="Fix it, then re-run the import to add the imported settings.")
                return None
        added = []
        for k, v in values.items():
            if k in current:
                if current[k] != (list(v) if isinstance(v, tuple) else v):
                    self.report.note(f"miroir.toml already sets {k}; kept it (import found {_toml_value(v)})")
                continue
            added.append(f"{k} = {_toml_value(v)}")
        if not added:
            return path
        header = "" if text else "# written by miroir import; edit freely\n"
        sep = "" if not text or text.endswith("\n") else "\n"
        _atomic_write_text(path, text + sep + header + "\n".join(added) + "\n")
        self.report.files.append(path.name)
        return path

    def copy_file(self, src: Path, rel: str) -> Path:
        dest = self.out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = src.read_bytes()
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=str(dest.parent))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
        return dest

    def write_bytes(self, rel: str, data: bytes) -> Path:
        dest = self.out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=str(dest.parent))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
        return dest

    def finish(self) -> ImportReport:
        """Write ``import_report.json`` (next to the tables) and return the report."""
        doc: dict[str, Any] = self.report.to_dict()
        doc["generated_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        _atomic_write_text(self.out / "import_report.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return self.report


def report_rows(report: ImportReport, severity: str, file: str, message: str, rows: Sequence[int], *,
                column: str | None = None, expected: str = "", remedy: str = "", value: str | None = None,
                table: str | None = None, code: str = "") -> None:
    """One problem for many rows: first row in ``row``, the list (abridged) in the message."""
    if not rows:
        return
    from ._common import rows_text

    msg = f"{message} ({len(rows)} row(s): {rows_text(list(rows))})" if len(rows) > 1 else message
    report.problem(severity, file, msg, row=int(rows[0]), column=column, expected=expected, remedy=remedy,
                   value=value, table=table, code=code)
