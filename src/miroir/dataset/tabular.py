"""Read one tabular file (CSV, XLSX, Parquet) into a DataFrame of text cells.

Every cell comes back as a ``str`` ("" when empty) so that type coercion, and
its row-level problems, happen in one place (``coerce.py``). Header names are
normalised (case-insensitive, surrounding spaces and BOM removed).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from ..errors import Problem

csv.field_size_limit(64 * 1024 * 1024)
MAX_HEADER_BYTES = 1024 * 1024


@dataclass
class RawTable:
    file: str  # path relative to the dataset folder, as shown to users
    frame: pd.DataFrame  # all cells str; column names normalised
    original_columns: dict[str, str] = field(default_factory=dict)  # normalised -> as written
    delimiter: str | None = None
    encoding: str | None = None
    decimal_comma: bool = False
    problems: list[Problem] = field(default_factory=list)


def normalise_header(name: object) -> str:
    text = str(name if name is not None else "").replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


CHUNK_ROWS = 50_000  # rows held as Python lists at a time; the rest is kept column-wise, compactly


class _ColumnBuilder:
    """Rows accumulated in chunks and stored column-wise as compact string arrays.

    Holding every cell as a Python ``str`` in a list of lists costs about 60 bytes a cell;
    the string columns cost about the text's size, so memory stays close to the file's size.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.buf: list[list[str]] = []
        self.chunks: list[pd.DataFrame] = []
        self.rows = array("q")

    def add(self, rec: list[str], row: int) -> None:
        self.buf.append(rec)
        self.rows.append(row)
        if len(self.buf) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.buf and self.width:
            cols = dict(enumerate(zip(*self.buf, strict=True)))
            self.chunks.append(pd.DataFrame(cols, columns=range(self.width), dtype="str"))
        self.buf = []

    def frame(self, cols: list[str]) -> pd.DataFrame:
        self.flush()
        if self.chunks:
            frame = pd.concat(self.chunks, ignore_index=True) if len(self.chunks) > 1 else self.chunks[0]
        else:
            frame = pd.DataFrame(index=range(len(self.rows)), columns=range(self.width), dtype=object)
        frame.columns = pd.Index(cols)
        frame.index = pd.Index(np.frombuffer(self.rows, dtype=np.int64) if len(self.rows) else [], dtype="int64",
                               name="_row")
        return frame


def read_csv_text(text: str, file: str) -> RawTable:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        return _binary(file)
    return read_csv_lines(io.StringIO(text), file)


def _binary(file: str) -> RawTable:
    return RawTable(file, pd.DataFrame(), problems=[Problem(
        "error", file, "file contains NUL bytes: it looks binary, not CSV", expected="a text CSV file",
        remedy="Export the table again as CSV (UTF-8).", code="binary")])


def read_csv_lines(stream: TextIO, file: str) -> RawTable:
    """Parse CSV from a text stream whose line endings are already ``\\n`` (read row by row)."""
    problems: list[Problem] = []
    first = stream.readline()
    delim = sniff_delimiter(first.rstrip("\n"))
    reader = csv.reader(itertools.chain([first], stream) if first else stream, delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem("error", file, "file is empty (no header line)", expected="a header line with column names",
                                remedy="Add the header line or remove the file.", code="empty"))
        return RawTable(file, pd.DataFrame(), delimiter=delim, problems=problems)
    except csv.Error as exc:
        problems.append(Problem("error", file, f"cannot read the header: {exc}", code="csv"))
        return RawTable(file, pd.DataFrame(), delimiter=delim, problems=problems)
    cols = [normalise_header(h) for h in header]
    original = {c: str(h).replace("\ufeff", "").strip() for c, h in zip(cols, header, strict=False)}
    width = len(cols)
    rows = _ColumnBuilder(width)
    n = 0
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            n += 1
            problems.append(Problem("error", file, f"row cannot be parsed as CSV: {exc}", row=n,
                                    expected="well-formed CSV (balanced quotes)",
                                    remedy="Fix the quoting of this row in the source file.", code="csv"))
            continue
        n += 1
        if not any(rec):
            continue  # blank line: not data
        if len(rec) != width:
            if len(rec) > width and all(not c.strip() for c in rec[width:]):
                rec = rec[:width]
            elif len(rec) < width:
                problems.append(Problem("warning", file, f"row has {len(rec)} cells for {width} columns; "
                                        "missing cells read as empty", row=n, code="short_row"))
                rec = rec + [""] * (width - len(rec))
            else:
                problems.append(Problem("error", file, f"row has more cells than the header ({len(rec)} > {width})",
                                        row=n, expected=f"{width} cells separated by {delim!r}",
                                        remedy="Quote cells that contain the separator, or fix the header.",
                                        code="long_row"))
                continue
        rows.add(rec, n)
    return RawTable(file, rows.frame(cols), original, delim, None, problems=problems)


def sniff_file_encoding(path: Path) -> tuple[str | None, bool]:
    """(encoding, has NUL) of a text file read in 1 MB blocks: utf-8-sig, utf-8 or cp1252.

    None for UTF-16 (read whole by ``decode_bytes``). Only the decoder's state is kept in memory.
    """
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return None, False
        enc = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
        fh.seek(0)
        decoder: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder(enc)()
        nul = False
        for block in iter(lambda: fh.read(1 << 20), b""):
            nul = nul or b"\x00" in block
            if decoder is not None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:  # not UTF-8: Windows-1252 (a file with a UTF-8 BOM stays UTF-8)
                    decoder, enc = None, ("cp1252" if enc == "utf-8" else enc)
            if nul and decoder is None:
                break
        if decoder is not None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                enc = "cp1252" if enc == "utf-8" else enc
    return enc, nul


XLSX_FULL_LOAD_MAX = 20 * 1024 * 1024  # below this size, merged cells and formulas are inspected


def read_xlsx(path: Path, file: str) -> RawTable:
    from openpyxl import load_workbook

    problems: list[Problem] = []
    small = path.stat().st_size <= XLSX_FULL_LOAD_MAX
    try:
        wb = load_workbook(path, read_only=not small, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on bad files
        problems.append(Problem("error", file, f"cannot open the workbook: {type(exc).__name__}: {exc}",
                                expected="an .xlsx workbook", remedy="Open and re-save it in Excel, or export CSV.",
                                code="xlsx"))
        return RawTable(file, pd.DataFrame(), problems=problems)
    ws = wb.worksheets[0]
    fill: dict[tuple[int, int], object] = {}
    formulas: set[tuple[int, int]] = set()
    if small:
        for rng in list(ws.merged_cells.ranges):
            value = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    fill[(r, c)] = value
            problems.append(Problem("warning", file, f"merged cells {rng.coord}: the value is repeated in each "
                                    "cell of the range", row=max(rng.min_row - 1, 1), code="xlsx_merged",
                                    remedy="Unmerge cells in exports meant for analysis."))
        try:
            wf = load_workbook(path, read_only=True, data_only=False)
            for r_i, rec in enumerate(wf.worksheets[0].iter_rows(values_only=True), start=1):
                for c_i, v in enumerate(rec, start=1):
                    if isinstance(v, str) and v.startswith("="):
                        formulas.add((r_i, c_i))
            wf.close()
        except Exception:  # noqa: BLE001 - inspection only
            formulas = set()
    it = ws.iter_rows(values_only=True)
    try:
        header = next(it)
    except StopIteration:
        problems.append(Problem("error", file, "sheet is empty", code="empty"))
        return RawTable(file, pd.DataFrame(), problems=problems)
    header = tuple(fill.get((1, c), v) for c, v in enumerate(header, start=1))
    cols = [normalise_header(h) for h in header]
    original = {c: str(h) for c, h in zip(cols, header, strict=False)}
    rows, nums = [], []
    for i, rec in enumerate(it, start=1):
        excel_row = i + 1
        values = [fill.get((excel_row, c), v) for c, v in enumerate(rec, start=1)] if fill else list(rec)
        for c, v in enumerate(values, start=1):
            if v is None and (excel_row, c) in formulas:
                problems.append(Problem("warning", file, "formula without a computed value: read as empty",
                                        row=i, column=cols[c - 1] if c <= len(cols) else None, code="xlsx_formula",
                                        remedy="Open the workbook in Excel or LibreOffice and save it, so formula "
                                               "results are stored, or export CSV."))
        cells = ["" if v is None else _cell_text(v) for v in values]
        if all(not c.strip() for c in cells):
            continue
        cells = (cells + [""] * len(cols))[: len(cols)]
        rows.append(cells)
        nums.append(i)
    if len(wb.worksheets) > 1:
        problems.append(Problem("warning", file, f"workbook has {len(wb.worksheets)} sheets; only the first "
                                f"('{ws.title}') was read", code="xlsx_sheets"))
    wb.close()
    frame = pd.DataFrame(rows, columns=range(len(cols)), dtype=object)
    frame.columns = pd.Index(cols)
    frame.index = pd.Index(nums, name="_row")
    return RawTable(file, frame, original, problems=problems)


def _cell_text(v: object) -> str:
    import datetime as dt

    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_parquet(path: Path, file: str) -> RawTable:
    problems: list[Problem] = []
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types on bad files
        problems.append(Problem("error", file, f"cannot read Parquet: {type(exc).__name__}: {exc}",
                                expected="a Parquet file", remedy="Write the file again or export CSV.",
                                code="parquet"))
        return RawTable(file, pd.DataFrame(), problems=problems)
    cols = [normalise_header(c) for c in df.columns]
    original = {c: str(h) for c, h in zip(cols, df.columns, strict=False)}
    out = pd.DataFrame(index=pd.RangeIndex(1, len(df) + 1, name="_row"))
    for c, src in zip(cols, df.columns, strict=False):
        s = df[src]
        if pd.api.types.is_datetime64_any_dtype(s):
            txt = s.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")
        else:
            txt = s.map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else _cell_text(v))
        out[c] = txt.to_numpy(dtype=object)
    return RawTable(file, out, original, problems=problems)


def read_table_file(path: Path, file: str) -> RawTable:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(path, file)
    if suffix == ".parquet":
        return read_parquet(path, file)
    with path.open("rb") as fh:
        head = fh.read(MAX_HEADER_BYTES + 1)
    if b"\n" not in head and b"\r" not in head and len(head) > MAX_HEADER_BYTES:
        return RawTable(file, pd.DataFrame(), problems=[Problem(
            "error", file, f"no line break in the first {MAX_HEADER_BYTES // (1024 * 1024)} MB: this is not a "
            "table with one row per line", expected="a header line, then one row per line",
            remedy="Check the export (a single-line file is usually a JSON dump or a wrong line-ending setting).",
            code="no_lines")])
    enc, nul = sniff_file_encoding(path)
    if enc is None:  # UTF-16: decoded whole
        text, enc = decode_bytes(path.read_bytes())
        raw = read_csv_text(text, file)
    elif nul:
        raw = _binary(file)
    else:
        # universal newlines: \r\n and \r read as \n, as read_csv_text does
        with path.open("r", encoding=enc, errors="replace", newline=None) as stream:
            raw = read_csv_lines(stream, file)
    raw.encoding = enc
    return raw
