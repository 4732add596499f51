"""Annotate the ``utterances`` table into ``annotations`` (cached).

A conversation is (re-)annotated only when no annotation row exists for its
``(file_sha256, engine_version)``: a re-run after adding conversations only
annotates the new ones; a lexicon change (new ``ENGINE_VERSION``) re-annotates
everything. Work is done in chunks of conversations (memory flat in store
size), annotated in parallel with the batch API and inserted through Arrow.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import duckdb
import pyarrow as pa

from ..language import ENGINE_VERSION
from ..language.batch import iter_annotate_results

Progress = Callable[[int, int], None]  # (utterances done, utterances to do)

CONVERSATIONS_PER_CHUNK = 2000

_PENDING_SQL = """
    SELECT c.conversation_id, coalesce(c.file_sha256, '') AS sha,
           (SELECT count(*) FROM utterances u WHERE u.conversation_id = c.conversation_id) AS n
    FROM conversations c
    WHERE NOT EXISTS (
        SELECT 1 FROM annotations a
        WHERE a.conversation_id = c.conversation_id
          AND coalesce(a.file_sha256, '') = coalesce(c.file_sha256, '')
          AND a.engine_version = ?)
    ORDER BY c.conversation_id
"""

_CHUNK_SQL = """
    SELECT u.conversation_id, u.turn, u.text,
           CASE WHEN lower(coalesce(u.lang, '')) IN ('fr', 'en') THEN lower(u.lang)
                WHEN lower(coalesce(c.language, '')) IN ('fr', 'en') THEN lower(c.language)
                ELSE NULL END AS lang,
           u.role, c.kind, coalesce(c.file_sha256, '') AS sha
    FROM utterances u JOIN _miroir_pending p ON u.conversation_id = p.conversation_id
    JOIN conversations c ON c.conversation_id = u.conversation_id
    ORDER BY u.conversation_id, u.turn
"""

_SCHEMA = pa.schema([
    ("conversation_id", pa.string()), ("turn", pa.int32()), ("labels", pa.list_(pa.string())),
    ("spans", pa.string()), ("engine_version", pa.string()), ("file_sha256", pa.string()),
])


def spans_json(spans: dict[str, list[tuple[int, int]]]) -> str:
    """Compact JSON text of the spans, labels sorted: ``{"budget": [[3, 9]]}``."""
    if not spans:
        return "{}"
    return json.dumps({k: [list(s) for s in spans[k]] for k in sorted(spans)}, separators=(",", ":"))


def pending_conversations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """``(conversation_id, file_sha256, n_utterances)`` of conversations to annotate."""
    return [(str(r[0]), str(r[1]), int(r[2])) for r in con.execute(_PENDING_SQL, [ENGINE_VERSION]).fetchall()]


def annotate_store(con: duckdb.DuckDBPyConnection, progress: Progress | None = None,
                   n_jobs: int | None = None) -> int:
    """Annotate the utterances of every conversation not yet annotated with this
    engine version; return the number of utterances newly annotated."""
    pending = pending_conversations(con)
    total = sum(n for _, _, n in pending)
    done = 0
    if progress:
        progress(0, total)
    for i in range(0, len(pending), CONVERSATIONS_PER_CHUNK):
        chunk = pending[i:i + CONVERSATIONS_PER_CHUNK]
        ids = pa.table({"conversation_id": pa.array([c for c, _, _ in chunk], pa.string())})
        con.register("_miroir_pending", ids)
        try:
            # stale rows (older engine or file version) of these conversations go first
            con.execute("DELETE FROM annotations WHERE conversation_id IN "
                        "(SELECT conversation_id FROM _miroir_pending)")
            rows = con.sql(_CHUNK_SQL).to_arrow_table()
        finally:
            con.unregister("_miroir_pending")
        if rows.num_rows == 0:
            continue
        cols = {name: rows.column(name).to_pylist() for name in rows.column_names}
        records = list(zip(
            [t or "" for t in cols["text"]], cols["lang"], cols["role"], cols["kind"], strict=True
        ))
        labels: list[list[str]] = []
        spans: list[str] = []
        for results in iter_annotate_results(records, n_jobs=n_jobs):
            for _lang, sp in results:
                labels.append(sorted(sp))
                spans.append(spans_json(sp))
        out = pa.table({
            "conversation_id": rows.column("conversation_id"),
            "turn": rows.column("turn").cast(pa.int32()),
            "labels": pa.array(labels, pa.list_(pa.string())),
            "spans": pa.array(spans, pa.string()),
            "engine_version": pa.array([ENGINE_VERSION] * rows.num_rows, pa.string()),
            "file_sha256": rows.column("sha"),
        }, schema=_SCHEMA)
        con.register("_miroir_ann", out)
        try:
            con.execute("INSERT INTO annotations SELECT conversation_id, turn, labels, spans, engine_version, "
                        "nullif(file_sha256, '') FROM _miroir_ann")
        finally:
            con.unregister("_miroir_ann")
        done += rows.num_rows
        if progress:
            progress(done, total)
    return done
