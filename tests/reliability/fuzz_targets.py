"""Hypothesis strategies and targets for every importer, parser and the dataset reader.

A target takes one drawn input, writes it into a fresh folder and runs the code under test. The
only allowed failures are the project's own errors (``MiroirError`` and its subclass ``ParseError``);
anything else is a crash. Used by ``tests/reliability/test_fuzz_importers.py`` (bounded, in CI) and
by ``bench/fuzz_long.py`` (long runs).

Inputs are built from the real shapes (headers of real exports, the importers' test fixtures,
mutated JSON trees) so that fuzzing reaches past the first "column missing" check.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from miroir.errors import MiroirError

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "importers" / "fixtures"
MAVEN = (REPO / ".." / "shared" / "data" / "external" / "maven-crm-sales-opportunities").resolve()
MAVEN_MAPPING = REPO / "examples" / "maven" / "mapping.toml"

# cells that exercise the type parsers: dates in many shapes, numbers, ids, vocabularies, junk
CELLS = [
    "", " ", "2024-03-29", "2024-03-29T10:00:00.000Z", "29/03/2024", "03/29/2024", "2024-02-30", "1900-01-01",
    "2200-12-31", "1711705200000", "1711705200", "0", "-1", "1e308", "1e400", "NaN", "inf", "12,5", "1.234,56",
    "1 000,50 €", "(300)", "$1,200.00", "true", "false", "TRUE", "yes", "Closed Won", "Closed Lost", "Négociation",
    "Conclue gagnée", "Commit", "BestCase", "Omitted", "Pipeline", "006000000000001AAA", "005000000000001AAA",
    "006000000000001", "1001", "Alice Martin", "<script>alert(1)</script>", "=HYPERLINK(\"x\")", '"', "a,b", "a;b",
    "\u0000", "\ufeff", "é", "ß", "Ω", "\U0001f600", "Amount", "StageName", "CloseDate", "created", "ownerAssignment",
    "GTXPro", "GTX Pro", "Won", "Lost", "Engaging", "Prospecting",
]
cell = st.one_of(st.sampled_from(CELLS), st.text(max_size=20))


def _csv(header: list[str], rows: list[list[str]], sep: str = ",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


@st.composite
def table_text(draw: st.DrawFn, header: list[str], max_rows: int = 6) -> str:
    """CSV text under a real header (possibly damaged), rows of fuzzed cells; sometimes arbitrary text."""
    mode = draw(st.sampled_from(["rows", "rows", "rows", "dropcol", "text"]))
    if mode == "text":
        return draw(st.text(max_size=300))
    cols = list(header)
    if mode == "dropcol" and len(cols) > 1:
        cols.pop(draw(st.integers(0, len(cols) - 1)))
    rows = draw(st.lists(st.lists(cell, min_size=max(0, len(cols) - 2), max_size=len(cols) + 1),
                         max_size=max_rows))
    return _csv(cols, rows, draw(st.sampled_from([",", ",", ";"])))


json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15, 10**15) | st.floats(allow_nan=False) | st.sampled_from(CELLS)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated_json(draw: st.DrawFn, doc: Any, max_mutations: int = 3) -> Any:
    """``doc`` with a few subtrees replaced by arbitrary JSON, deleted, or with a wrong type."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, max_mutations))):
        parent: Any = None
        key: Any = None
        node = doc
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            key = draw(st.sampled_from(keys))
            parent, node = node, node[key]
        if parent is None:
            if draw(st.integers(0, 9)) == 0:
                doc = draw(json_value)
            continue
        action = draw(st.sampled_from(["replace", "replace", "delete", "stringify"]))
        if action == "delete":
            del parent[key]
        elif action == "stringify":
            parent[key] = json.dumps(node)
        else:
            parent[key] = draw(json_value)
    return doc


# ------------------------------------------------------------------------------------------------
# targets


@dataclass(frozen=True)
class Target:
    name: str
    strategy: st.SearchStrategy[Any]
    run: Callable[[Any, Path], object]  # (drawn input, scratch folder) -> anything; may raise MiroirError


def _write(folder: Path, files: dict[str, str | bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")


# Salesforce: Opportunity + history + users, each a real header with fuzzed rows (or junk)
SF = FIXTURES / "salesforce"
_SF_FILES = ("Opportunity.csv", "OpportunityFieldHistory.csv", "OpportunityHistory.csv", "User.csv")


@st.composite
def salesforce_input(draw: st.DrawFn) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for name in _SF_FILES:
        choice = draw(st.sampled_from(["fixture", "fuzz", "fuzz", "absent"] if name != "Opportunity.csv"
                                      else ["fixture", "fuzz", "fuzz"]))
        if choice == "fixture":
            files[name] = (SF / name).read_bytes()
        elif choice == "fuzz":
            files[name] = draw(table_text(_header(SF / name)))
    return files


def run_salesforce(files: dict[str, str | bytes], tmp: Path) -> object:
    from miroir.importers.salesforce import import_salesforce

    _write(tmp / "src", files)
    return import_salesforce(tmp / "src", tmp / "out")


# HubSpot: deals export CSV + JSON API responses (owners, pipelines, history v1/v3), mutated
HS = FIXTURES / "hubspot"
_HS_CSV = "hubspot-crm-exports-all-deals-2024-03-01.csv"
_HS_JSON = ("owners.json", "pipelines.json", "deals_history_v1.json", "deals_history_v3.json")


@st.composite
def hubspot_input(draw: st.DrawFn) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    files[_HS_CSV] = draw(st.one_of(st.just((HS / _HS_CSV).read_text(encoding="utf-8")),
                                    table_text(_header(HS / _HS_CSV))))
    for name in _HS_JSON:
        choice = draw(st.sampled_from(["fixture", "mutate", "mutate", "junk", "absent"]))
        doc = json.loads((HS / name).read_text(encoding="utf-8"))
        if choice == "fixture":
            files[name] = json.dumps(doc)
        elif choice == "mutate":
            files[name] = json.dumps(draw(mutated_json(doc)))
        elif choice == "junk":
            files[name] = draw(st.binary(max_size=80))
    return files


def run_hubspot(files: dict[str, str | bytes], tmp: Path) -> object:
    from miroir.importers.hubspot import import_hubspot

    _write(tmp / "src", files)
    return import_hubspot(tmp / "src", tmp / "out")


# Gong: saved /v2/calls/transcript and /v2/calls/extensive responses, mutated
GONG = FIXTURES / "gong"


@st.composite
def gong_input(draw: st.DrawFn) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for name in ("calls_transcript.json", "calls_extensive.json"):
        doc = json.loads((GONG / name).read_text(encoding="utf-8"))
        choice = draw(st.sampled_from(["fixture", "mutate", "mutate", "mutate", "junk"]))
        if choice == "fixture":
            files[name] = json.dumps(doc)
        elif choice == "mutate":
            files[name] = json.dumps(draw(mutated_json(doc, 4)))
        else:
            files[name] = draw(st.binary(max_size=80))
    return files


def run_gong(files: dict[str, str | bytes], tmp: Path) -> object:
    from miroir.importers.gong import import_gong

    _write(tmp / "src", files)
    return import_gong(tmp / "src", tmp / "out")


# meetings: .vtt files (fixture lines shuffled and damaged, or arbitrary) + a people list
MEET = FIXTURES / "meetings"
_VTT_LINES = [
    "WEBVTT", "", "1", "00:00:01.000 --> 00:00:04.000", "00:01.000 --> 00:04.000", "00:00:xx --> yy",
    "99:99:99.999 --> 00:00:00.000", "<v Alice Martin>Bonjour à tous.", "<v Diane Dupont>On commence.",
    "Alice Martin: le budget est validé", "NOTE a note", "STYLE", "<c.yellow>text</c>", "-->", "<v >", "<v",
]


@st.composite
def vtt_text(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=200))
    lines = draw(st.lists(st.one_of(st.sampled_from(_VTT_LINES), st.text(max_size=30)), max_size=25))
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return "\n".join(lines).encode(enc, errors="replace")


@st.composite
def meetings_input(draw: st.DrawFn) -> dict[str, str | bytes]:
    names = draw(st.lists(st.sampled_from(["2024-03-06 Point hebdo.vtt", "GMT20240305-140000_Recording.vtt",
                                           "zoom/2024-03-04 10.00.00 Pipeline review 845/closed_caption.vtt",
                                           "x.vtt", "2024-13-45 99h99 bad.vtt"]),
                          min_size=1, max_size=3, unique=True))
    files: dict[str, str | bytes] = {n: draw(vtt_text()) for n in names}
    files["people.csv"] = draw(st.one_of(st.just((MEET / "people.csv").read_text(encoding="utf-8")),
                                         table_text(_header(MEET / "people.csv"))))
    return files


def run_meetings(files: dict[str, str | bytes], tmp: Path) -> object:
    from miroir.importers.meetings import import_meetings

    people = files.get("people.csv")
    vtts = {k: v for k, v in files.items() if k != "people.csv"}
    _write(tmp / "src", vtts)
    if people is not None:
        _write(tmp, {"people.csv": people})
    return import_meetings(tmp / "src", tmp / "out", people=tmp / "people.csv" if people is not None else None)


# CSV mapping: the Maven mapping over fuzzed versions of the three source files
_MAVEN_FILES = ("sales_pipeline.csv", "products.csv", "sales_teams.csv")


@st.composite
def csv_mapping_input(draw: st.DrawFn) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for name in _MAVEN_FILES:
        header = _header(MAVEN / name)
        files[name] = draw(table_text(header, max_rows=8))
    return files


def run_csv_mapping(files: dict[str, str | bytes], tmp: Path) -> object:
    from miroir.importers.csv_mapping import import_csv

    _write(tmp / "src", files)
    return import_csv(tmp / "src", MAVEN_MAPPING, tmp / "out")


# transcript parsers: arbitrary bytes under every file name the dispatcher knows
@st.composite
def transcript_input(draw: st.DrawFn) -> tuple[bytes, str]:
    name = draw(st.sampled_from(["t.vtt", "t.srt", "t.txt", "t.json", "t"]))
    data = draw(st.one_of(st.binary(max_size=300), vtt_text(),
                          st.builds(lambda d: json.dumps(d).encode(), json_value)))
    return data, name


def run_transcript(inp: tuple[bytes, str], tmp: Path) -> object:
    from miroir.importers.transcripts import parse_transcript

    data, name = inp
    return parse_transcript(data, filename=name)


# the dataset reader: a folder with every contract table fuzzed under its real columns
@st.composite
def dataset_input(draw: st.DrawFn) -> dict[str, str | bytes]:
    from miroir.dataset.spec import SPECS

    files: dict[str, str | bytes] = {}
    for name in draw(st.lists(st.sampled_from(sorted(SPECS)), min_size=1, max_size=4, unique=True)) + ["deals"]:
        cols = [c.name for c in SPECS[name].columns]
        files[f"{name}.csv"] = draw(table_text(cols))
    if "conversations.csv" in files:
        files["transcripts/a.vtt"] = draw(vtt_text())
    return files


def run_dataset(files: dict[str, str | bytes], tmp: Path) -> object:
    from miroir.dataset import read_dataset

    _write(tmp / "ds", files)
    ds = read_dataset(tmp / "ds")
    for f in ds.files:
        assert f.rows_read == f.rows_stored + f.rows_rejected, f
    for p in ds.problems:
        assert p.render()
    return ds


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("salesforce", salesforce_input(), run_salesforce),
    Target("hubspot", hubspot_input(), run_hubspot),
    Target("gong", gong_input(), run_gong),
    Target("meetings", meetings_input(), run_meetings),
    Target("csv_mapping", csv_mapping_input(), run_csv_mapping),
    Target("transcripts", transcript_input(), run_transcript),
    Target("dataset", dataset_input(), run_dataset),
)}


def run_target(target: Target, value: Any) -> str:
    """Run one input in a fresh folder; 'ok' or 'refused' (MiroirError); anything else propagates."""
    tmp = Path(tempfile.mkdtemp(prefix=f"fuzz-{target.name}-"))
    try:
        target.run(value, tmp)
        return "ok"
    except MiroirError as exc:
        assert str(exc), "a MiroirError without a message"
        return "refused"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
