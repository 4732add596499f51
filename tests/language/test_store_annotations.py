"""annotate_store: utterances -> annotations, cached by (file_sha256, engine version)."""

from __future__ import annotations

import json

import duckdb

from miroir.language import ENGINE_VERSION
from miroir.store.annotations import annotate_store
from miroir.store.schema import memory_store


def _add_conversation(con: duckdb.DuckDBPyConnection, cid: str, kind: str, lang: str | None, sha: str,
                      turns: list[tuple[str, str, str | None]]) -> None:
    con.execute("INSERT INTO conversations (conversation_id, kind, language, file_sha256) VALUES (?, ?, ?, ?)",
                [cid, kind, lang, sha])
    for i, (role, text, ulang) in enumerate(turns):
        con.execute("INSERT INTO utterances (conversation_id, turn, role, text, lang) VALUES (?, ?, ?, ?, ?)",
                    [cid, i, role, text, ulang])


def _store() -> duckdb.DuckDBPyConnection:
    con = memory_store()
    _add_conversation(con, "c1", "pipeline_review", "fr", "h1", [
        ("manager", "Où en est le deal Acme ?", None),
        ("rep", "Le DAF est convaincu, ils vont signer.", None),
        ("rep", "I think they're ready.", "en"),
    ])
    _add_conversation(con, "c2", "customer_call", None, "h2", [
        ("customer", "Le DAF est convaincu, on veut décider d'ici fin mars.", None),
        ("rep", "Bonjour à tous.", None),
    ])
    return con


def test_annotates_every_utterance_with_context() -> None:
    con = _store()
    calls: list[tuple[int, int]] = []
    assert annotate_store(con, progress=lambda d, t: calls.append((d, t)), n_jobs=1) == 5
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)
    rows = {(r[0], r[1]): r for r in con.execute(
        "SELECT conversation_id, turn, labels, spans, engine_version, file_sha256 FROM annotations").fetchall()}
    assert len(rows) == 5
    assert rows[("c1", 0)][2] == ["open_question", "question"]
    assert "assumption" in rows[("c1", 1)][2]           # rep in a review: unsourced claim
    assert "assumption" not in rows[("c2", 0)][2]       # customer about its own organisation
    assert "timeline" in rows[("c2", 0)][2] and "pressure" not in rows[("c2", 0)][2]
    assert rows[("c1", 2)][2] == ["assumption", "hedge"]  # utterance language wins over conversation's
    assert rows[("c2", 1)][2] == [] and rows[("c2", 1)][3] == "{}"
    spans = json.loads(rows[("c1", 0)][3])
    assert spans == {"open_question": [[0, 24]], "question": [[0, 24]]}
    assert {r[4] for r in rows.values()} == {ENGINE_VERSION}
    assert rows[("c1", 0)][5] == "h1"


def test_rerun_only_annotates_new_or_changed_conversations() -> None:
    con = _store()
    assert annotate_store(con, n_jobs=1) == 5
    assert annotate_store(con, n_jobs=1) == 0
    _add_conversation(con, "c3", "forecast_call", "en", "h3", [("manager", "No excuses, it has to land.", None)])
    assert annotate_store(con, n_jobs=1) == 1
    # the file behind c2 changed: its rows are replaced, not duplicated
    con.execute("UPDATE conversations SET file_sha256 = 'h2b' WHERE conversation_id = 'c2'")
    assert annotate_store(con, n_jobs=1) == 2
    assert con.execute("SELECT count(*) FROM annotations").fetchone() == (6,)
    assert con.execute("SELECT count(*) FROM annotations WHERE conversation_id = 'c2' AND file_sha256 = 'h2b'"
                       ).fetchone() == (2,)
    # an older engine version is re-annotated
    con.execute("UPDATE annotations SET engine_version = 'old' WHERE conversation_id = 'c1'")
    assert annotate_store(con, n_jobs=1) == 3
    assert con.execute("SELECT count(*) FROM annotations").fetchone() == (6,)


def test_empty_store() -> None:
    assert annotate_store(memory_store()) == 0
