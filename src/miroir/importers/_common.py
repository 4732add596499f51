"""Helpers shared by the importers: reading export CSVs, parsing dates, numbers
and booleans the way CRM exports write them, mapping forecast categories and
stage statuses, inferring stage order and conversation kinds.

Everything here is vectorised (pandas) and never raises on bad cell content:
bad values come back as missing and the caller reports them.
"""

from __future__ import annotations

import io
import re
import tomllib
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MiroirError, ParseError, Problem

MAX_FILE_BYTES = 4 * 1024**3  # refuse files above 4 GiB with a clear message

# ----------------------------------------------------------------------------------------------
# CSV reading


@dataclass
class CsvRead:
    """A CSV export read as text columns, with what had to be done to read it."""

    frame: pd.DataFrame
    problems: list[Problem]
    encoding: str
    delimiter: str


def _decode(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    # count separators outside double quotes in the header line
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] > 0 else ","


def _rows_longer_than_header(text: str, sep: str) -> list[int]:
    import csv

    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        width = len(next(reader))
    except (StopIteration, csv.Error):
        return []
    out = []
    try:
        for i, rec in enumerate(reader, start=1):
            if len(rec) > width:
                out.append(i)
    except csv.Error:
        pass
    return out


def read_export_csv(path: Path, *, label: str | None = None) -> CsvRead:
    """Read a CSV export as text (no type guessing, nothing turned into NaN).

    UTF-8 (with or without BOM), Windows-1252; comma, semicolon or tab.
    Malformed lines are skipped *and reported*; an unreadable file raises
    :class:`ParseError` with a remedy.
    """
    name = label or path.name
    problems: list[Problem] = []
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc.strerror or exc}", "Check the path and permissions.",
                         file=name) from None
    if size > MAX_FILE_BYTES:
        raise ParseError(f"file is {size / 1024**3:.1f} GiB, above the {MAX_FILE_BYTES // 1024**3} GiB limit",
                         "Split the export (e.g. by year) and import the parts into separate folders.",
                         file=name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc.strerror or exc}", "Check the path and permissions.",
                         file=name) from None
    text, encoding = _decode(raw)
    if "\x00" in text:
        text = text.replace("\x00", "")
        problems.append(Problem("warning", name, "file contains NUL bytes; they were removed",
                                expected="a text CSV", remedy="Check that this is the CSV export and not a binary file.",
                                code="nul_bytes"))
    if not text.strip():
        return CsvRead(pd.DataFrame(), problems, encoding, ",")
    sep = _sniff_delimiter(text)
    bad_lines: list[int] = []
    try:
        source: io.StringIO | io.BytesIO = io.StringIO(text)
        if encoding == "utf-8" and not problems:
            source = io.BytesIO(raw)  # skip re-encoding: the C parser reads the bytes directly
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(source, sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                                engine="c", skip_blank_lines=True, encoding="utf-8-sig", index_col=False)
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            # rows longer than the header: columns stay in place, the extra fields are reported
            long_rows = _rows_longer_than_header(text, sep)
            problems.append(Problem(
                "warning", name, f"{len(long_rows)} row(s) have more fields than the header; the extra fields "
                f"were ignored (rows {', '.join(map(str, long_rows[:10]))}{'...' if len(long_rows) > 10 else ''})",
                expected="the same number of fields as the header on every line",
                remedy="Check for unquoted separators inside values and re-export.", code="long_rows"))
    except (pd.errors.ParserError, ValueError, OverflowError, MemoryError):
        def _bad(fields: list[str]) -> None:
            bad_lines.append(len(fields))
            return None

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", pd.errors.ParserWarning)
                frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                                    engine="python", on_bad_lines=_bad, skip_blank_lines=True, index_col=False)
        except (pd.errors.ParserError, ValueError, OverflowError, MemoryError, Exception) as exc:  # noqa: BLE001
            raise ParseError(f"not a readable CSV: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                             "Re-export the object as CSV (comma or semicolon separated, UTF-8).",
                             file=name) from None
    except pd.errors.EmptyDataError:
        return CsvRead(pd.DataFrame(), problems, encoding, sep)
    if bad_lines:
        problems.append(Problem("error", name, f"{len(bad_lines)} line(s) with the wrong number of fields were skipped",
                                expected="the same number of fields as the header on every line",
                                remedy="Check for unescaped quotes or separators inside values and re-export.",
                                code="bad_lines"))
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    return CsvRead(frame.fillna(""), problems, encoding, sep)


def norm_key(name: str) -> str:
    """Column-name key: case, spaces, underscores, dots and accents ignored."""
    s = unicodedata.normalize("NFKD", str(name))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return re.sub(r"[\s_\.\-]+", "", s).lower()


def find_col(frame: pd.DataFrame, *names: str) -> str | None:
    """The first column of ``frame`` matching one of ``names`` (case/space-insensitive)."""
    keys = {norm_key(c): c for c in frame.columns}
    for n in names:
        hit = keys.get(norm_key(n))
        if hit is not None:
            return str(hit)
    return None


def col_or_empty(frame: pd.DataFrame, *names: str) -> pd.Series:
    c = find_col(frame, *names)
    if c is None:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[c].astype(str).str.strip()


# ----------------------------------------------------------------------------------------------
# values

_DMY = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
_DT = "datetime64[us, UTC]"
_EPOCH = re.compile(r"^\s*\d{10,13}\s*$")


def parse_datetime(values: pd.Series, *, date_order: str | None = None) -> pd.Series:
    """Parse export timestamps to tz-aware UTC; unparseable values become NaT.

    ISO 8601 in every flavour the CRMs write (``2024-03-01T10:00:00.000Z``,
    ``...+0000``, ``2024-03-01 10:00:00``, ``2024-03-01``), epoch seconds or
    milliseconds (HubSpot), and ``31/03/2024`` day-first or month-first dates
    when the file makes the order unambiguous (or ``date_order`` says it).
    """
    s = values.astype(str).str.strip()
    out = pd.to_datetime(s.where(s != "", None), utc=True, format="ISO8601", errors="coerce")
    if out.dtype != _DT:
        out = out.astype(_DT)
    missing = out.isna() & (s != "")
    if not missing.any():
        return out
    rest = s[missing]
    ep = rest.str.match(_EPOCH)
    if ep.any():
        nums = pd.to_numeric(rest[ep], errors="coerce")
        ms = nums >= 1e11
        vals = pd.Series(pd.NaT, index=nums.index, dtype=_DT)
        vals[ms] = pd.to_datetime(nums[ms], unit="ms", utc=True, errors="coerce").astype(_DT)
        vals[~ms] = pd.to_datetime(nums[~ms], unit="s", utc=True, errors="coerce").astype(_DT)
        out[vals.index] = vals
    rest = rest[~ep]
    parts = rest.str.extract(_DMY)
    has = parts[0].notna()
    if has.any():
        a = pd.to_numeric(parts.loc[has, 0])
        b = pd.to_numeric(parts.loc[has, 1])
        order = date_order
        if order is None:
            if (a > 12).any() and not (b > 12).any():
                order = "dmy"
            elif (b > 12).any() and not (a > 12).any():
                order = "mdy"
            elif not ((a > 12).any() or (b > 12).any()):
                order = "dmy" if (a == b).all() else None
        if order in ("dmy", "mdy"):
            p = parts[has]
            day, month = (p[0], p[1]) if order == "dmy" else (p[1], p[0])
            iso = (p[2] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + "T"
                   + p[3].fillna("0").str.zfill(2) + ":" + p[4].fillna("00") + ":" + p[5].fillna("00"))
            vals2 = pd.to_datetime(iso, utc=True, format="%Y-%m-%dT%H:%M:%S", errors="coerce").astype(_DT)
            out[vals2.index] = vals2
    return out


def parse_number(values: pd.Series) -> pd.Series:
    """Numbers as exports write them: ``1234.5``, ``1 234,50``, ``1,234.50``, ``EUR 12,000``."""
    raw = values.astype(str).str.strip()
    fast = pd.to_numeric(raw.where(raw != "", None), errors="coerce").astype("float64")
    slow = fast.isna() & (raw != "")
    if not slow.any():
        return fast.where(np.isfinite(fast))
    s = raw[slow]
    s = s.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    s = s.str.replace(r"^[A-Za-z]{3}(?=[-\d])|[€$£¥%]|[A-Za-z]{3}$", "", regex=True)
    both = s.str.contains(",", regex=False) & s.str.contains(".", regex=False)
    comma_last = s.str.rfind(",") > s.str.rfind(".")
    # 1.234,50 -> 1234.50 ; 1,234.50 -> 1234.50
    s = s.where(~(both & comma_last), s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    s = s.where(~(both & ~comma_last), s.str.replace(",", "", regex=False))
    only_comma = ~both & s.str.contains(",", regex=False)
    thousands = only_comma & s.str.match(r"^-?\d{1,3}(,\d{3})+$")
    s = s.where(~thousands, s.str.replace(",", "", regex=False))
    s = s.where(~(only_comma & ~thousands), s.str.replace(",", ".", regex=False))
    fast[slow] = pd.to_numeric(s.where(s != "", None), errors="coerce").astype("float64")
    return fast.where(np.isfinite(fast))


_TRUE = {"true", "1", "yes", "y", "t", "vrai", "oui", "x", "si", "sí"}
_FALSE = {"false", "0", "no", "n", "f", "faux", "non", ""}


def parse_bool(values: pd.Series) -> pd.Series:
    """Boolean cells: true/false/1/0/yes/no (FR/ES too); anything else is NA."""
    low = values.astype(str).str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[low.isin(_TRUE)] = True
    out[low.isin(_FALSE) & (low != "")] = False
    return out


def fmt_datetime(ts: pd.Series) -> pd.Series:
    """UTC timestamps as ``2024-03-01T10:00:00Z``; missing -> empty string."""
    return _iso(_as_dt(ts), "s", "Z")


def _iso(ts: pd.Series, unit: str, suffix: str) -> pd.Series:
    """Vectorised ISO text (numpy, C speed); NaT -> empty string."""
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = ts.to_numpy(dtype="datetime64[us]")
    text = np.datetime_as_string(arr, unit=unit)  # type: ignore[call-overload]
    if suffix:
        text = np.strings.add(text, suffix)
    text = np.where(np.isnat(arr), "", text)
    return pd.Series(text.astype(object), index=ts.index, dtype=object)


def _as_dt(ts: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(ts):
        return ts
    return pd.to_datetime(ts, utc=True, errors="coerce").astype(_DT)


def fmt_date(ts: pd.Series) -> pd.Series:
    return _iso(_as_dt(ts), "D", "")


def fmt_number(values: pd.Series) -> pd.Series:
    """Plain decimal text (``12500``, ``12500.5``); missing -> empty string."""
    out = pd.Series("", index=values.index, dtype=object)
    ok = values.notna()
    if not ok.any():
        return out
    v = values[ok].astype("float64")
    integral = (v == v.round()) & (v.abs() < 1e15)
    out[v.index[integral.to_numpy()]] = v[integral].astype("int64").astype(str).to_numpy()
    frac = v[~integral]
    if len(frac):
        out[frac.index] = [format(round(float(x), 6), "f").rstrip("0").rstrip(".") for x in frac]
    return out


def row_numbers(mask: pd.Series | np.ndarray, index: pd.Index | None = None) -> list[int]:
    """1-based data-row numbers (header excluded) of the True entries of ``mask``."""
    arr = np.asarray(mask, dtype=bool)
    return [int(i) + 1 for i in np.flatnonzero(arr)]


def rows_text(rows: Sequence[int], limit: int = 5) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    more = len(rows) - limit
    return shown + (f" and {more} more" if more > 0 else "")


# ----------------------------------------------------------------------------------------------
# Salesforce ids


def sf_id_key(values: pd.Series) -> pd.Series:
    """Salesforce ids compared on their case-sensitive 15-character form (18-char ids add a checksum)."""
    s = values.astype(str).str.strip()
    long = s.str.len() == 18
    return s.where(~long, s.str[:15])


# ----------------------------------------------------------------------------------------------
# vocabularies

FORECAST_CATEGORIES: dict[str, str] = {
    # Salesforce API values and labels
    "pipeline": "pipeline", "bestcase": "best_case", "best case": "best_case", "best_case": "best_case",
    "forecast": "commit", "commit": "commit", "commitment": "commit", "closed": "closed", "omitted": "omitted",
    "omit": "omitted", "not forecasted": "omitted", "notforecasted": "omitted", "most likely": "commit",
    # French Salesforce/HubSpot labels
    "meilleur cas": "best_case", "meilleur scénario": "best_case", "prévision": "commit", "prevision": "commit",
    "engagement": "commit", "engagé": "commit", "fermé": "closed", "ferme": "closed", "clôturé": "closed",
    "conclu": "closed", "omis": "omitted", "exclu": "omitted", "pipe": "pipeline",
    # Spanish
    "mejor caso": "best_case", "compromiso": "commit", "previsión": "commit", "prevision ": "commit",
    "cerrado": "closed", "cerrada": "closed", "omitido": "omitted", "omitida": "omitted", "canalización": "pipeline",
    # German
    "bester fall": "best_case", "zusage": "commit", "geschlossen": "closed", "ausgelassen": "omitted",
}


def map_forecast_category(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(contract category or "", mask of non-empty values that could not be mapped)."""
    codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=False)
    table: list[str | None] = []
    for u in uniques:
        key = " ".join(str(u).strip().lower().replace("_", " ").split())
        table.append(FORECAST_CATEGORIES.get(key) or FORECAST_CATEGORIES.get(key.replace(" ", ""))
                     or ("" if key == "" else None))
    arr = np.array(table, dtype=object)[codes] if len(codes) else np.array([], dtype=object)
    mapped = pd.Series(arr, index=values.index, dtype=object)
    unknown = mapped.isna()
    return mapped.fillna("").astype(object), unknown


_WON_WORDS = re.compile(r"\b(won|win|gagn[ée]e?s?|ganad[oa]s?|gewonnen|vint[oa]|ganh[oa]|signed|sign[ée]e?)\b|closedwon",
                        re.I)
_LOST_WORDS = re.compile(r"\b(lost|perdu[e]?s?|perdid[oa]s?|verloren|pers[oa]|abandon\w*|annul\w*|cancel\w*)\b|closedlost",
                         re.I)


def status_from_stage_name(stage: str) -> str | None:
    """'won'/'lost' when a stage name says so in EN/FR/ES/DE/IT/PT, else None (unknown)."""
    if _WON_WORDS.search(stage):
        return "won"
    if _LOST_WORDS.search(stage):
        return "lost"
    return None


def stage_sequences(changes: pd.DataFrame) -> list[list[str]]:
    """Each deal's stage path (new values of ``stage`` changes, in time order); vectorised split."""
    st = changes[changes["field"] == "stage"].sort_values(["deal_id", "ts"], kind="stable")
    if not len(st):
        return []
    keys = st["deal_id"].to_numpy(dtype=object)
    vals = st["new_value"].to_numpy(dtype=object)
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return [list(x) for x in np.split(vals, cuts)]


def infer_stage_order(sequences: Iterable[Sequence[str]], closed: dict[str, str]) -> list[str]:
    """Order stages from the order deals went through them.

    Open stages are ranked by their mean relative position in each deal's
    stage path (first visit); stages in ``closed`` (stage -> 'won'/'lost') come
    last, won before lost. Ties are broken by name for a stable result.
    """
    pos_sum: dict[str, float] = {}
    pos_n: dict[str, int] = {}
    for seq in sequences:
        seen: list[str] = []
        for st in seq:
            if st and st not in seen:
                seen.append(st)
        open_seen = [s for s in seen if s not in closed]
        n = len(open_seen)
        for i, st in enumerate(open_seen):
            pos_sum[st] = pos_sum.get(st, 0.0) + (i / (n - 1) if n > 1 else 0.0)
            pos_n[st] = pos_n.get(st, 0) + 1
        for st in seen:
            if st in closed:
                pos_n.setdefault(st, 0)
    open_stages = sorted((s for s in pos_n if s not in closed), key=lambda s: (pos_sum.get(s, 0) / max(pos_n[s], 1), s))
    won = sorted(s for s, v in closed.items() if v == "won")
    lost = sorted(s for s, v in closed.items() if v == "lost")
    return open_stages + won + lost


def status_changes(changes: pd.DataFrame, stage_status: dict[str, str]) -> pd.DataFrame:
    """Status changes implied by stage changes (open -> won/lost, reopenings, deals created closed)."""
    st = changes[changes["field"] == "stage"]
    if not len(st):
        return changes.iloc[0:0]
    old = st["old_value"].map(stage_status).fillna("")
    new = st["new_value"].map(stage_status).fillna("")
    emit = ((old != "") & (new != "") & (old != new)) | ((st["old_value"] == "") & new.isin(["won", "lost"]))
    out = st[emit].copy()
    out["field"] = "status"
    out["old_value"] = old[emit]
    out["new_value"] = new[emit]
    return out


# ----------------------------------------------------------------------------------------------
# conversation kinds

CONVERSATION_KINDS = ("customer_call", "pipeline_review", "forecast_call", "other")


@dataclass(frozen=True)
class KindRule:
    pattern: re.Pattern[str]
    kind: str


DEFAULT_RULES: tuple[KindRule, ...] = (
    KindRule(re.compile(r"forecast\s*(call|review|meeting)?|pr[ée]vision|point\s+forecast|commit\s+call", re.I),
             "forecast_call"),
    KindRule(re.compile(r"pipe(line)?\s*review|revue\s+(de\s+|du\s+)?pipe(line)?|deal\s+review|revue\s+des?\s+(deals|affaires|opportunit[ée]s)"
                        r"|point\s+pipe|revisi[óo]n\s+(del?\s+)?pipeline", re.I),
             "pipeline_review"),
)


def load_kind_rules(path: Path | None) -> tuple[list[KindRule], str | None]:
    """Rules from a TOML file, then the built-in ones.

    ::

        default_kind = "customer_call"      # optional, for meetings no rule matches
        [[rules]]
        pattern = "Pipeline review|Revue de pipe"   # regular expression, case-insensitive
        kind = "pipeline_review"
    """
    if path is None:
        return list(DEFAULT_RULES), None
    label = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise MiroirError(f"rules file not found: {path}", "Give the path of an existing TOML rules file.",
                          file=label) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ParseError(f"cannot read the rules file: {exc}",
                         'Write it as TOML: [[rules]] pattern = "Revue de pipe" kind = "pipeline_review"',
                         file=label) from None
    rules: list[KindRule] = []
    entries = raw.get("rules", raw.get("rule", []))
    if not isinstance(entries, list):
        raise ParseError("'rules' must be an array of tables", 'Use [[rules]] blocks with pattern and kind.',
                         file=label)
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str):
            raise ParseError(f"rule {i} has no text 'pattern'", 'Each [[rules]] needs pattern = "..." and kind = "..."',
                             file=label)
        kind = entry.get("kind")
        if kind not in CONVERSATION_KINDS:
            raise ParseError(f"rule {i} has kind {kind!r}", f"Use one of {', '.join(CONVERSATION_KINDS)}.", file=label)
        try:
            rx = re.compile(entry["pattern"], re.I)
        except re.error as exc:
            raise ParseError(f"rule {i}: invalid regular expression: {exc}", "Fix the pattern.", file=label) from None
        rules.append(KindRule(rx, str(kind)))
    default = raw.get("default_kind")
    if default is not None and default not in CONVERSATION_KINDS:
        raise ParseError(f"default_kind {default!r} is not a conversation kind",
                         f"Use one of {', '.join(CONVERSATION_KINDS)}.", file=label)
    return rules + list(DEFAULT_RULES), default


@dataclass(frozen=True)
class KindDecision:
    kind: str
    reason: str


def infer_kind(title: str, internal_flags: Sequence[bool], rules: Sequence[KindRule],
               default_kind: str | None = None) -> KindDecision:
    """Title rules first (user rules, then built-in), then participants:
    everyone internal -> pipeline_review, anyone external -> customer_call."""
    for rule in rules:
        if title and rule.pattern.search(title):
            pat = rule.pattern.pattern
            shown = f"/{pat}/" if len(pat) <= 40 else f"a {rule.kind} pattern"
            return KindDecision(rule.kind, f"title matches {shown}")
    if internal_flags and all(internal_flags):
        return KindDecision("pipeline_review", "all participants are internal")
    if internal_flags:
        return KindDecision(default_kind or "customer_call", "at least one external participant")
    return KindDecision(default_kind or "customer_call", "no participants known")


def fold(text: str) -> str:
    """Case- and accent-insensitive comparison key for names."""
    s = unicodedata.normalize("NFKD", str(text))
    return " ".join("".join(ch for ch in s if not unicodedata.combining(ch)).lower().split())


LANG_CODES = {"en": "en", "eng": "en", "english": "en", "fr": "fr", "fre": "fr", "fra": "fr", "french": "fr",
              "français": "fr", "francais": "fr"}


def lang_code(value: object) -> str:
    s = str(value or "").strip().lower()
    return LANG_CODES.get(s, LANG_CODES.get(s.split("-")[0].split("_")[0], ""))


# ----------------------------------------------------------------------------------------------
# people (for conversation importers)


def load_people(path: Path | None) -> pd.DataFrame:
    """A contract ``people`` table as text columns (name, person_id, role, team, manager, aliases);
    empty when ``path`` is None or missing."""
    cols = ["person_id", "name", "role", "team", "manager", "aliases"]
    if path is None or not path.exists():
        return pd.DataFrame(columns=cols)
    got = read_export_csv(path)
    frame = got.frame
    out = pd.DataFrame({c: col_or_empty(frame, c) for c in cols})
    for c in frame.columns:
        if norm_key(c) not in {norm_key(x) for x in cols}:
            out[c] = frame[c].astype(str)
    return out[out["name"] != ""].reset_index(drop=True)


def speaker_resolver(people: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The transcript parsers' SpeakerResolver over a people table (lazy import)."""
    from .transcripts import SpeakerResolver

    return SpeakerResolver(zip(people["person_id"], people["name"], people["role"], people["aliases"], strict=True))
