"""Every input row is either in the store or in the problems table: the counts add up, table by table.

On a simulated organisation with known bad rows added to every table (the numbers expected are
counted by hand below), on the Maven export through its mapping, and for transcripts: every turn
the parser returns is stored.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from miroir.importers.transcripts import parse_transcript
from miroir.privacy import redact_pii
from miroir.store.ingest import ingest_dataset


@dataclass(frozen=True)
class Injected:
    rows: list[list[str]]  # data rows appended to the table's CSV
    rejected: int  # how many of them must be rejected (error problems)
    raw: str = ""  # extra raw text appended as is (a malformed line)
    raw_rows: int = 0  # data rows in ``raw``
    raw_rejected: int = 0


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def _records(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for r in csv.reader(f) if any(r)) - 1


def _row(header: list[str], **values: str) -> list[str]:
    unknown = set(values) - set(header)
    assert not unknown, unknown
    return [values.get(c, "") for c in header]


def _injections(folder: Path) -> dict[str, Injected]:
    h = {t: _header(folder / f"{t}.csv") for t in ("deals", "deal_changes", "forecasts", "quotas", "conversations",
                                                    "intuitions", "people", "org_events")}
    with (folder / "deals.csv").open(encoding="utf-8", newline="") as f:
        rd = csv.reader(f)
        next(rd)
        first_deal = next(rd)
    deal = dict(zip(h["deals"], first_deal, strict=True))
    fresh = {**deal, "deal_id": "D-NEW"}
    (folder / "transcripts" / "empty.vtt").write_bytes(b"")
    long_row = ",".join(first_deal[:1] + ["x"] * (len(h["deals"]) + 1)).replace(first_deal[0], "D-LONG", 1)
    return {
        "deals": Injected([
            _row(h["deals"], **deal),  # duplicate deal_id
            _row(h["deals"], **{**fresh, "deal_id": "D-S", "status": "peut-être"}),  # unknown status
            _row(h["deals"], **{**fresh, "deal_id": "D-C", "created_at": "hier", "status": "won"}),  # bad date
            _row(h["deals"], **{**fresh, "deal_id": "D-A", "amount": "beaucoup"}),  # not a number
            _row(h["deals"], **{**fresh, "deal_id": "D-NEG", "amount": "-500"}),  # warning only: kept
        ], rejected=4, raw=long_row + "\n", raw_rows=1, raw_rejected=1),
        "deal_changes": Injected([
            _row(h["deal_changes"], deal_id="D-99999", changed_at="2024-02-01T10:00:00Z", field="stage",
                 old_value="A", new_value="B"),  # unknown deal
            _row(h["deal_changes"], deal_id=deal["deal_id"], changed_at="pas une date", field="stage",
                 old_value="A", new_value="B"),
            _row(h["deal_changes"], deal_id=deal["deal_id"], changed_at="2024-02-01T10:00:00Z",
                 field="close_date", old_value="2024-03-01", new_value="bientôt"),  # history value not a date
            _row(h["deal_changes"], deal_id=deal["deal_id"], changed_at="2024-02-02T10:00:00Z",
                 field="couleur", old_value="bleu", new_value="vert"),  # unknown field: warning, kept
        ], rejected=3, raw="\n", raw_rows=0),  # a blank line is not a row
        "forecasts": Injected([
            _row(h["forecasts"], owner="X", period="Q5-2024", submitted_at="2024-01-01", category="commit",
                 amount="10"),
            _row(h["forecasts"], owner="X", period="2024-Q1", submitted_at="2024-01-01", category="commit",
                 amount=""),
        ], rejected=2),
        "quotas": Injected([_row(h["quotas"], owner="X", period="un jour", amount="10")], rejected=1),
        "conversations": Injected([
            _row(h["conversations"], conversation_id="C-X1", kind="customer_call",
                 started_at="2024-02-01T10:00:00Z", file="../../etc/passwd"),
            _row(h["conversations"], conversation_id="C-X2", kind="customer_call",
                 started_at="2024-02-01T10:00:00Z", file="transcripts/absent.vtt"),
            _row(h["conversations"], conversation_id="C-X3", kind="customer_call",
                 started_at="2024-02-01T10:00:00Z", file="transcripts/empty.vtt"),  # kept, no utterances
        ], rejected=2),
        "intuitions": Injected([_row(h["intuitions"], deal_id="D-404", recorded_at="2024-02-01", person="X",
                                     call="fragile")], rejected=1),
        "people": Injected([
            _row(h["people"], person_id="P0001", name="Double Personne", role="rep"),  # duplicate id
            _row(h["people"], person_id="P-NEW", name="Zorro Nouveau", role="ninja"),  # role -> other, kept
        ], rejected=1),
        "org_events": Injected([_row(h["org_events"], date="2024-13-45", kind="reorg", description="x")],
                               rejected=1),
    }


def _append(path: Path, inj: Injected) -> None:
    text = path.read_text(encoding="utf-8")
    with path.open("a", encoding="utf-8", newline="") as f:
        if text and not text.endswith("\n"):
            f.write("\n")
        csv.writer(f, lineterminator="\n").writerows(inj.rows)
        f.write(inj.raw)


def _check_store_accounting(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int]]:
    """For every file read: read = stored + rejected, stored = rows in the table, rejected = error rows."""
    out = {}
    for path, table, read, stored, rejected in con.execute(
            "SELECT path, tbl, rows_read, rows_stored, rows_rejected FROM ingest_files").fetchall():
        in_store = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        error_rows = con.execute("SELECT count(DISTINCT row_no) FROM problems WHERE severity = 'error' AND "
                                 "file = ? AND row_no IS NOT NULL", [path]).fetchone()[0]  # type: ignore[index]
        assert read == stored + rejected, (path, read, stored, rejected)
        assert stored == in_store, (path, stored, in_store)
        assert rejected == error_rows, f"{path}: {rejected} rows rejected but {error_rows} listed in problems"
        out[table] = (read, stored, rejected)
    return out


def test_counts_add_up_on_simulated_org_with_bad_rows(sim_fr: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    shutil.copytree(sim_fr, folder, ignore=shutil.ignore_patterns(".miroir"))
    clean = {t: _records(folder / f"{t}.csv") for t in _injections(folder)}
    inj = _injections(folder)
    for table, i in inj.items():
        _append(folder / f"{table}.csv", i)
    db = tmp_path / "s.duckdb"
    ingest_dataset(folder, db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = _check_store_accounting(con)
        assert set(got) == set(inj)
        for table, i in inj.items():
            n_new = len(i.rows) + i.raw_rows
            n_rej = i.rejected + i.raw_rejected
            assert got[table] == (clean[table] + n_new, clean[table] + n_new - n_rej, n_rej), table
    finally:
        con.close()


def test_every_parsed_turn_is_stored(sim_fr: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest_dataset(sim_fr, db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        convs = con.execute("SELECT conversation_id, file FROM conversations ORDER BY 1").fetchall()
        assert len(convs) == _records(sim_fr / "conversations.csv")
        total = 0
        for cid, rel in convs:
            turns = parse_transcript((sim_fr / rel).read_bytes(), filename=rel)
            stored = con.execute("SELECT turn, text FROM utterances WHERE conversation_id = ? ORDER BY turn",
                                 [cid]).fetchall()
            assert [r[0] for r in stored] == list(range(len(turns))), cid
            assert [r[1] for r in stored] == [redact_pii(t.text) for t in turns], cid
            total += len(turns)
        assert total > 0
        assert con.execute("SELECT count(*) FROM utterances").fetchone()[0] == total  # type: ignore[index]
    finally:
        con.close()


@pytest.mark.slow
def test_counts_add_up_on_maven(maven_ds: Path, tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    ingest_dataset(maven_ds, db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = _check_store_accounting(con)
    finally:
        con.close()
    # every data row of the source pipeline file is a deal; every agent and manager a person
    assert got["deals"] == (8800, 8800, 0)
    assert got["people"][0] == _records(maven_ds / "people.csv") and got["people"][2] == 0
