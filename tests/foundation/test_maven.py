"""The Maven CRM export through the worked mapping, end to end."""

from __future__ import annotations

from pathlib import Path

import duckdb

from miroir.importers.csv_mapping import import_csv
from miroir.store.ingest import ingest_dataset

REPO = Path(__file__).resolve().parents[2]


def test_maven_mapping_end_to_end(external_dir: Path, tmp_path: Path):
    out = tmp_path / "maven"
    rep = import_csv(external_dir / "maven-crm-sales-opportunities", REPO / "examples/maven/mapping.toml", out)
    notes = " ".join(n for s in rep.sources for n in s.notes)
    assert "'GTXPro' matched 'GTX Pro'" in notes
    assert rep.tables == {"deals": 8800, "people": 41}
    r = ingest_dataset(out, tmp_path / "m.duckdb")
    assert r.counts["deals"] == 8800 and r.errors == 0
    con = duckdb.connect(str(tmp_path / "m.duckdb"), read_only=True)
    counts = dict(con.execute("SELECT status, count(*) FROM deals GROUP BY 1").fetchall())
    assert counts == {"won": 4238, "lost": 2473, "open": 2089}
    # open deals keep an empty close date (reported), never an invented one
    assert con.execute("SELECT count(*) FROM deals WHERE status='open' AND close_date IS NULL").fetchone()[0] == 2089
    n_warn = con.execute("SELECT count(*) FROM problems WHERE code='open_without_date' AND col='close_date'").fetchone()[0]
    assert n_warn == 2089
    # every deal row is accounted for
    read, stored, rejected = con.execute(
        "SELECT rows_read, rows_stored, rows_rejected FROM ingest_files WHERE tbl='deals'").fetchone()
    assert (read, stored, rejected) == (8800, 8800, 0)
    # open and lost deals valued at the product list price (GTXPro included)
    assert con.execute("SELECT count(*) FROM deals WHERE amount IS NULL OR amount = 0").fetchone()[0] == 0
    con.close()
