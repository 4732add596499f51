"""Read a dataset folder into typed tables, utterances and a list of problems.

Nothing here touches the store: ``miroir validate`` uses it to list every
problem in one pass, ``miroir ingest`` writes what it returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import DatasetConfig, load_config
from ..errors import MiroirError, Problem
from . import checks
from .conversations import read_transcripts
from .spec import SPECS, SUFFIXES
from .tables import TypedTable, type_table
from .tabular import read_table_file


@dataclass
class FileInfo:
    path: str
    table: str
    sha256: str
    rows_read: int
    rows_stored: int
    rows_rejected: int


@dataclass
class Dataset:
    folder: Path
    config: DatasetConfig
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    utterances: pd.DataFrame = field(default_factory=pd.DataFrame)
    stages: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[Problem] = field(default_factory=list)
    files: list[FileInfo] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def usable(self) -> bool:
        deals = self.tables.get("deals")
        return deals is not None and len(deals) > 0

    def count(self, table: str) -> int:
        t = self.tables.get(table)
        return 0 if t is None else len(t)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    problems: list[Problem] = []
    found: dict[str, list[Path]] = {}
    root = folder.resolve()
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in SUFFIXES or p.stem.lower() not in SPECS:
            continue
        if p.is_symlink() and root not in p.resolve().parents:
            problems.append(Problem("error", p.name, "the file is a symbolic link to a place outside the dataset "
                                    "folder; not read", remedy="Copy the file into the dataset folder.",
                                    table=p.stem.lower(), code="symlink_outside"))
            continue
        if not p.is_file():
            continue
        stem = p.stem.lower()
        if stem in SPECS:
            found.setdefault(stem, []).append(p)
    chosen: dict[str, Path] = {}
    for name, paths in found.items():
        order = {".parquet": 0, ".xlsx": 1, ".csv": 2, ".tsv": 3, ".txt": 4}
        paths.sort(key=lambda p: order.get(p.suffix.lower(), 9))
        chosen[name] = paths[0]
        if len(paths) > 1:
            problems.append(Problem("warning", paths[1].name, f"several files for table '{name}' "
                                    f"({', '.join(p.name for p in paths)}); only {paths[0].name} is read",
                                    remedy="Keep one file per table.", table=name, code="several_files"))
    return chosen, problems


Progress = Callable[[str], None]


def read_dataset(folder: Path | str, *, progress: Progress | None = None,
                 parse_transcripts: bool = True) -> Dataset:
    """Read and validate a dataset folder. Raises MiroirError only when the folder itself is unusable."""
    folder = Path(folder)
    if not folder.exists():
        raise MiroirError(f"dataset folder not found: {folder}",
                          "Give the path of a folder holding deals.csv (see shared/data-contract.md), "
                          "or create one with `miroir simulate --out DIR`.")
    if not folder.is_dir():
        raise MiroirError(f"not a folder: {folder}", "Give the dataset folder, not a file inside it.")
    config, problems = load_config(folder)
    ds = Dataset(folder=folder, config=config, problems=list(problems))
    files, more = find_table_files(folder)
    ds.problems.extend(more)
    if "deals" not in files:
        ds.problems.append(Problem("error", "deals.csv", "the deals table is missing",
                                   expected="a deals.csv, deals.xlsx or deals.parquet file in the dataset folder",
                                   remedy="Export your opportunities as deals.csv (see shared/data-contract.md) or "
                                          "use `miroir import salesforce|hubspot|csv`.", table="deals",
                                   code="missing_table"))
    typed: dict[str, TypedTable] = {}
    for name, spec in SPECS.items():
        path = files.get(name)
        if path is None:
            continue
        if progress:
            progress(f"read {path.name}")
        raw = read_table_file(path, path.name)
        t = type_table(spec, raw, date_order=config.date_order)
        typed[name] = t
        ds.problems.extend(t.problems)
    ds.tables = {name: t.frame for name, t in typed.items()}
    checks.cross_table(ds, typed)
    if "conversations" in ds.tables and len(ds.tables["conversations"]) and parse_transcripts:
        read_transcripts(ds, typed["conversations"], progress=progress)
    ds.stages = checks.infer_stages(ds)
    # accounting: rows read = stored + rejected, per file
    rejected_by_file: dict[str, set[int]] = {}
    for p in ds.problems:
        if p.severity == "error" and p.row is not None:
            rejected_by_file.setdefault(p.file, set()).add(p.row)
    for name, t in typed.items():
        path = files[name]
        rejected = rejected_by_file.get(t.file, set())
        stored = len(ds.tables.get(name, pd.DataFrame()))
        ds.files.append(FileInfo(path.name, name, sha256_file(path), t.rows_read, stored,
                                 t.rows_read - stored if stored or rejected else t.rows_read))
    return ds
