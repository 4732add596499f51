"""Generic CSV import: arbitrary exports mapped onto the data contract by a mapping.toml.

A mapping names, per source, the target table, the source file, and how each
target column is made: a source column, a ``{template}`` of columns, a
constant, the first non-empty (optionally non-zero) of several columns, or a
value map (e.g. stage names -> status). A source can be joined with another
file (e.g. products.csv for list prices); join keys are matched exactly, then
ignoring case, spaces and punctuation ("GTXPro" matches "GTX Pro") — every
such reconciliation is reported. See examples/maven/mapping.toml.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..dataset.coerce import fold
from ..dataset.spec import SPECS
from ..dataset.tabular import decode_bytes, read_csv_text, read_table_file
from ..errors import MiroirError

_TEMPLATE = re.compile(r"\{([^{}]+)\}")


@dataclass
class SourceReport:
    name: str
    target: str
    file: str
    rows_in: int
    rows_out: int
    mapped: dict[str, str] = field(default_factory=dict)  # target column -> how it was made
    unmapped_source_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class CsvImportReport:
    out: Path
    sources: list[SourceReport] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for s in self.sources:
            out.append(f"{s.name}: {s.file} -> {s.target}: {s.rows_in} rows in, {s.rows_out} rows out")
            for col, how in s.mapped.items():
                out.append(f"    {col:<18} <- {how}")
            if s.unmapped_source_columns:
                out.append(f"    kept as extra columns: {', '.join(s.unmapped_source_columns)}")
            out.extend(f"    note: {n}" for n in s.notes)
        out.extend(f"note: {n}" for n in self.notes)
        return out


def _squash(v: object) -> str:
    return re.sub(r"[^0-9a-z]+", "", fold(str(v)))


def _read(src_dir: Path, rel: str) -> pd.DataFrame:
    path = (src_dir / rel)
    if not path.is_file():
        raise MiroirError(f"source file not found: {path}", "Fix the `file` entry of the mapping.", file=str(path))
    raw = read_table_file(path, rel) if path.suffix.lower() in (".xlsx", ".parquet") else read_csv_text(
        decode_bytes(path.read_bytes())[0], rel)
    errors = [p for p in raw.problems if p.severity == "error"]
    if errors:
        raise MiroirError(errors[0].render(), "Fix the source file and re-run.", file=rel)
    df = raw.frame.copy()
    df.columns = [raw.original_columns.get(c, c) for c in df.columns]
    return df


def _col(df: pd.DataFrame, name: str, where: str) -> pd.Series:
    if name in df.columns:
        return df[name].fillna("").astype(str)
    low = {c.lower(): c for c in df.columns}
    if name.lower() in low:
        return df[low[name.lower()]].fillna("").astype(str)
    raise MiroirError(f"{where}: column '{name}' not found in the source (columns: {', '.join(map(str, df.columns))})",
                      "Fix the column name in mapping.toml.")


def _join(df: pd.DataFrame, src_dir: Path, name: str, spec: dict[str, Any], rep: SourceReport) -> pd.DataFrame:
    other = _read(src_dir, spec["file"])
    on: dict[str, str] = spec["on"]  # local column -> column of the joined file
    left_col, right_col = next(iter(on.items()))
    left = _col(df, left_col, f"join {name}")
    right = _col(other, right_col, f"join {name}")
    exact = dict(zip(right, range(len(right)), strict=False))
    squashed: dict[str, int] = {}
    for i, v in enumerate(right):
        squashed.setdefault(_squash(v), i)
    idx: list[int | None] = []
    reconciled: dict[str, str] = {}
    missing: set[str] = set()
    for v in left:
        if v in exact:
            idx.append(exact[v])
        elif v and _squash(v) in squashed:
            j = squashed[_squash(v)]
            idx.append(j)
            reconciled[v] = str(right.iloc[j])
        else:
            idx.append(None)
            if v:
                missing.add(v)
    for a, b in sorted(reconciled.items()):
        rep.notes.append(f"join {name}: '{a}' matched '{b}' (ignoring case, spaces and punctuation)")
    if missing:
        rep.notes.append(f"join {name}: no match for {', '.join(sorted(missing)[:10])}")
    joined = other.reset_index(drop=True)
    for c in joined.columns:
        vals = [joined.at[j, c] if j is not None else "" for j in idx]
        df[f"{name}.{c}"] = vals
    return df


def _fill_template(rule: str, row: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        return row[m.group(1)]

    return _TEMPLATE.sub(sub, rule).strip(" -")


def _build_column(df: pd.DataFrame, target: str, rule: Any, rep: SourceReport) -> pd.Series:
    where = f"{rep.name}.{target}"
    if isinstance(rule, str):
        if _TEMPLATE.search(rule):
            names = _TEMPLATE.findall(rule)
            parts = {n: _col(df, n, where).tolist() for n in names}
            vals = []
            for i in range(len(df)):
                row = {n: str(parts[n][i]) for n in names}
                vals.append(_fill_template(rule, row))
            rep.mapped[target] = f"template {rule!r}"
            return pd.Series(vals, index=df.index)
        rep.mapped[target] = f"column {rule!r}"
        return _col(df, rule, where)
    if isinstance(rule, dict):
        if "const" in rule:
            rep.mapped[target] = f"constant {rule['const']!r}"
            return pd.Series([str(rule["const"])] * len(df), index=df.index)
        if "first_of" in rule:
            cols = [_col(df, c, where) for c in rule["first_of"]]
            skip_zero = bool(rule.get("skip_zero", False))
            out = pd.Series([""] * len(df), index=df.index)
            for c in reversed(cols):
                ok = c.str.strip().ne("")
                if skip_zero:
                    ok &= pd.to_numeric(c, errors="coerce").fillna(1) != 0
                out = out.where(~ok, c)
            rep.mapped[target] = "first non-empty" + (" non-zero" if skip_zero else "") + f" of {rule['first_of']}"
            return out
        if "column" in rule and "map" in rule:
            src = _col(df, rule["column"], where)
            table = {fold(str(k)): str(v) for k, v in rule["map"].items()}
            mapped = src.map({v: table.get(fold(v)) for v in src.unique()})
            unknown = sorted(set(src[mapped.isna() & src.ne("")]))
            default = rule.get("default")
            if unknown:
                rep.notes.append(f"{target}: values not in the map {unknown[:10]}" +
                                 (f" -> '{default}'" if default is not None else " kept as written"))
            rep.mapped[target] = f"map of column {rule['column']!r}"
            return mapped.fillna(str(default) if default is not None else src)
    raise MiroirError(f"{where}: cannot understand the rule {rule!r}",
                      "Use a column name, a '{template}', {const=...}, {first_of=[...]} or {column=..., map={...}}.")


def import_csv(src_dir: Path, mapping: Path, out: Path) -> CsvImportReport:
    """Map the CSV files of ``src_dir`` onto a dataset folder ``out`` following ``mapping``."""
    src_dir, mapping, out = Path(src_dir), Path(mapping), Path(out)
    if not mapping.is_file():
        raise MiroirError(f"mapping file not found: {mapping}", "Pass --mapping path/to/mapping.toml "
                          "(see examples/maven/mapping.toml).")
    try:
        conf = tomllib.loads(mapping.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise MiroirError(f"mapping is not valid TOML: {exc}", "Fix the syntax.", file=str(mapping)) from exc
    sources = conf.get("sources", {})
    if not isinstance(sources, dict) or not sources:
        raise MiroirError("mapping has no [sources.NAME] section", "See examples/maven/mapping.toml.",
                          file=str(mapping))
    report = CsvImportReport(out)
    frames: dict[str, list[pd.DataFrame]] = {}
    for name, spec in sources.items():
        target = spec.get("target", name)
        if target not in SPECS:
            raise MiroirError(f"[sources.{name}] target '{target}' is not a contract table",
                              f"Use one of {', '.join(SPECS)}.", file=str(mapping))
        df = _read(src_dir, spec["file"])
        rep = SourceReport(name, target, spec["file"], len(df), 0)
        for jname, jspec in spec.get("join", {}).items():
            df = _join(df, src_dir, jname, jspec, rep)
        cols: dict[str, Any] = spec.get("columns", {})
        built = pd.DataFrame(index=df.index)
        for target_col, rule in cols.items():
            built[target_col] = _build_column(df, target_col, rule, rep)
        used = {c for r in cols.values() for c in _source_columns(r)}
        keep_extra = ([c for c in df.columns if c not in used and "." not in str(c)]
                      if spec.get("keep_extra", True) else [])
        rep.unmapped_source_columns = keep_extra
        for c in keep_extra:
            if c.lower() not in built.columns:
                built[c] = df[c]
        if spec.get("unique"):
            before = len(built)
            built = built.drop_duplicates(subset=[c for c in spec["unique"]])
            rep.notes.append(f"{before - len(built)} duplicate rows collapsed on {spec['unique']}")
        missing = [c for c in SPECS[target].required_columns if c not in built.columns]
        if missing:
            raise MiroirError(f"[sources.{name}] does not produce required column(s) {missing} of {target}",
                              "Add them under `columns`.", file=str(mapping))
        rep.rows_out = len(built)
        report.sources.append(rep)
        frames.setdefault(target, []).append(built)
    out.mkdir(parents=True, exist_ok=True)
    for target, parts in frames.items():
        table = pd.concat(parts, ignore_index=True)
        if target == "people":
            table = table.drop_duplicates(subset=["name"], keep="first")
        table.to_csv(out / f"{target}.csv", index=False)
        report.tables[target] = len(table)
    toml = conf.get("dataset", {})
    if toml:
        lines = []
        for k, v in toml.items():
            if isinstance(v, str):
                lines.append(f'{k} = "{v}"')
            elif isinstance(v, list):
                lines.append(f"{k} = [" + ", ".join(f'"{x}"' for x in v) + "]")
            else:
                lines.append(f"{k} = {v}")
        (out / "miroir.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report


def _source_columns(rule: Any) -> list[str]:
    if isinstance(rule, str):
        return _TEMPLATE.findall(rule) or [rule]
    if isinstance(rule, dict):
        if "first_of" in rule:
            return list(rule["first_of"])
        if "column" in rule:
            return [rule["column"]]
    return []
