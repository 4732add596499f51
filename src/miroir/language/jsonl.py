"""Annotate a JSONL file of utterances (the ``miroir annotate`` command).

Input lines: ``{"id", "text", "lang"?, "role"?, "context"?}``; output lines:
``{"id", "lang", "labels": [...], "spans": {"label": [[start, end], ...]}}``.
The input is streamed in chunks; the output is written to a temporary file
and renamed at the end, so a bad line never leaves a half-written output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import ParseError, UsageError
from .batch import Record, iter_annotate_results
from .lexicon import LANGUAGES

ByteProgress = Callable[[int, int], None]  # (bytes read, total bytes)
CHUNK_LINES = 20000


@dataclass
class AnnotateSummary:
    """What ``annotate_file`` did."""

    utterances: int = 0
    words: int = 0
    per_label: dict[str, int] = field(default_factory=dict)
    per_lang: dict[str, int] = field(default_factory=dict)


def _check_lang(value: Any, path: str, line_no: int) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value[:2].lower() in LANGUAGES:
        return value[:2].lower()
    raise ParseError(
        f"field 'lang' is {value!r}; expected 'fr' or 'en' (or no field to detect the language)",
        "Fix or remove the 'lang' field of this line.", file=path, line=line_no,
    )


def parse_line(raw: str, path: str, line_no: int) -> tuple[str, Record]:
    """Validate one input line; ``(id, (text, lang, role, context))``."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"not valid JSON ({exc.msg} at character {exc.pos + 1})",
            'Each line must be one JSON object like {"id": "u1", "text": "..."}.', file=path, line=line_no,
        ) from None
    if not isinstance(obj, dict):
        raise ParseError(f"expected a JSON object, found {type(obj).__name__}",
                         'Each line must be one JSON object like {"id": "u1", "text": "..."}.',
                         file=path, line=line_no)
    if "id" not in obj or obj["id"] is None or isinstance(obj["id"], (dict, list)):
        raise ParseError("missing field 'id' (a string or number)", "Add an 'id' to this line.",
                         file=path, line=line_no)
    text = obj.get("text")
    if not isinstance(text, str):
        raise ParseError(f"field 'text' must be a string, found {type(text).__name__}",
                         "Add the utterance text as a JSON string.", file=path, line=line_no)
    role = obj.get("role")
    context = obj.get("context")
    for name, value in (("role", role), ("context", context)):
        if value is not None and not isinstance(value, str):
            raise ParseError(f"field '{name}' must be a string", f"Fix or remove '{name}'.",
                             file=path, line=line_no)
    return obj["id"], (text, _check_lang(obj.get("lang"), path, line_no), role, context)


def _read(path: Path, default_lang: str | None, on_bytes: Callable[[int], None]) -> Iterator[tuple[Any, Record]]:
    name = str(path)
    with path.open("r", encoding="utf-8", errors="strict") as fh:
        try:
            for line_no, raw in enumerate(fh, start=1):
                on_bytes(len(raw.encode("utf-8")))
                if not raw.strip():
                    continue
                uid, rec = parse_line(raw, name, line_no)
                if rec[1] is None and default_lang:
                    rec = (rec[0], default_lang, rec[2], rec[3])
                yield uid, rec
        except UnicodeDecodeError as exc:
            raise ParseError(f"not UTF-8 text ({exc.reason})", "Save the file as UTF-8.", file=name) from None


def annotate_file(
    input_path: Path, output_path: Path, lang: str | None = None, n_jobs: int | None = None,
    progress: ByteProgress | None = None, learned: bool = True,
) -> AnnotateSummary:
    """Annotate every line of ``input_path`` into ``output_path`` (JSONL); ``learned=False``:
    the hand-written rules alone."""
    if lang is not None and lang not in LANGUAGES:
        raise UsageError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if not input_path.is_file():
        raise UsageError(f"input file not found: {input_path}", "Give the path of a .jsonl file.")
    total = input_path.stat().st_size
    seen = 0

    def on_bytes(n: int) -> None:
        nonlocal seen
        seen += n
        if progress:
            progress(seen, total)

    summary = AnnotateSummary()
    output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_path.with_name(output_path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            stream = _read(input_path, lang, on_bytes)
            while True:
                chunk = list(islice(stream, CHUNK_LINES))
                if not chunk:
                    break
                ids = [uid for uid, _ in chunk]
                records = [rec for _, rec in chunk]
                results = [r for part in iter_annotate_results(records, n_jobs=n_jobs, learned=learned) for r in part]
                for uid, rec, (lg, spans) in zip(ids, records, results, strict=True):
                    labels = sorted(spans)
                    out.write(json.dumps(
                        {"id": uid, "lang": lg, "labels": labels,
                         "spans": {k: [list(s) for s in spans[k]] for k in labels}},
                        ensure_ascii=False, separators=(",", ":"),
                    ) + "\n")
                    summary.utterances += 1
                    summary.words += len(rec[0].split())
                    summary.per_lang[lg] = summary.per_lang.get(lg, 0) + 1
                    for label in labels:
                        summary.per_label[label] = summary.per_label.get(label, 0) + 1
        os.replace(tmp, output_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return summary
