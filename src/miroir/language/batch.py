"""Annotate many utterances in one call, in parallel across cores.

Records are streamed in chunks; at most ``n_jobs * 4`` chunks are in flight,
so memory stays flat whatever the input size. Small inputs (fewer than
``min_parallel`` records) are annotated in this process.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from itertools import chain, islice
from typing import Any

from .detect import detect_lower
from .engine import Annotation, Span, annotate_joined, join_utterances, normalise
from .learned import load_model, refine
from .lexicon import LANGUAGES, load_lexicon

Record = tuple[str, str | None, str | None, str | None]  # text, lang, role, context
Result = tuple[str, dict[str, list[Span]]]  # lang, spans

DEFAULT_CHUNK = 5000
MIN_PARALLEL = 20000


def _as_record(item: Any) -> Record:
    if type(item) is tuple and len(item) == 4 and type(item[0]) is str:
        return item  # type: ignore[return-value]
    if isinstance(item, str):
        return (item, None, None, None)
    if isinstance(item, Mapping):
        text = item.get("text")
        return (
            text if isinstance(text, str) else "",
            item.get("lang"), item.get("role"), item.get("context"),
        )
    text, lang, role, context = (tuple(item) + (None, None, None))[:4]
    return (text if isinstance(text, str) else "", lang, role, context)


def rule_pass(
    lang: str, texts: list[str], lows: list[str], roles: list[str | None], contexts: list[str | None],
    markers: list[set[str]] | None = None,
) -> list[dict[str, list[Span]]]:
    """The rules' spans for turns of one language (``lows``: their normalised texts), scanned as
    one joined string; ``markers`` (one set per turn), when given, receives the sentence markers."""
    big, bounds = join_utterances(lows)
    cased = "\n".join(texts)  # same length as big: names keep their capitals
    return annotate_joined(big, bounds, load_lexicon(lang), roles, contexts,
                           cased if len(cased) == len(big) else None, markers)


def annotate_records(records: list[Record], default_lang: str | None = None, learned: bool = True) -> list[Result]:
    """Annotate a chunk in this process (also the worker function): records are
    grouped by language and each group is scanned as one joined string; then the
    learned layer (``learned.py``) re-decides its labels, unless ``learned`` is False.

    The cyclic garbage collector is paused while the chunk is annotated: the results are
    plain dicts, lists and tuples without cycles (freed by reference counting), and the
    collector's passes over everything else the process holds cost up to a fifth of the
    time in a large program."""
    if not gc.isenabled():
        return _annotate_records(records, default_lang, learned)
    gc.disable()
    try:
        return _annotate_records(records, default_lang, learned)
    finally:
        gc.enable()


def _annotate_records(records: list[Record], default_lang: str | None, learned: bool) -> list[Result]:
    lows = [normalise(rec[0]) for rec in records]
    langs: list[str] = []
    for (_text, lang, _role, _context), low in zip(records, lows, strict=True):
        if lang not in LANGUAGES:
            lang = default_lang if default_lang in LANGUAGES else detect_lower(low)
        langs.append(lang)  # type: ignore[arg-type]
    out: list[Result] = [("", {})] * len(records)
    for lang in LANGUAGES:
        idx = [i for i, lg in enumerate(langs) if lg == lang]
        if not idx:
            continue
        group_lows = [lows[i] for i in idx]
        roles = [records[i][2] for i in idx]
        contexts = [records[i][3] for i in idx]
        model = load_model(lang) if learned else None
        markers: list[set[str]] | None = None if model is None else [set() for _ in idx]
        results = rule_pass(lang, [records[i][0] for i in idx], group_lows, roles, contexts, markers)
        if model is not None:
            refine(model, group_lows, results, roles, contexts, markers)
        for i, spans in zip(idx, results, strict=True):
            out[i] = (lang, spans)
    return out


_new = object.__new__


def _to_annotation(result: Result) -> Annotation:
    """The frozen :class:`Annotation` of a result, built without the dataclass ``__init__``
    (which sets each field through ``object.__setattr__``: a third of the time per record)."""
    lang, spans = result
    ann = _new(Annotation)
    ann.__dict__.update(lang=lang, labels=tuple(sorted(spans)), spans=spans)
    return ann


def _chunks(records: Iterable[Any], size: int) -> Iterator[list[Record]]:
    it = iter(records)
    while True:
        chunk = [_as_record(x) for x in islice(it, size)]
        if not chunk:
            return
        yield chunk


def _resolve_jobs(n_jobs: int | None) -> int:
    if n_jobs is None or n_jobs <= 0:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    return n_jobs


def iter_annotate_results(
    records: Iterable[Any], n_jobs: int | None = None, chunk_size: int = DEFAULT_CHUNK,
    min_parallel: int = MIN_PARALLEL, learned: bool = True,
) -> Iterator[list[Result]]:
    """Yield results chunk by chunk, in input order (lower-level than
    :func:`iter_annotate`: ``(lang, spans)`` tuples, no Annotation objects)."""
    jobs = _resolve_jobs(n_jobs)
    chunks = _chunks(records, chunk_size)
    # look ahead (small inputs never start a pool), except on one core: one chunk in memory at a time
    window = max(1, -(-min_parallel // chunk_size))
    head = [] if jobs == 1 else list(islice(chunks, window))
    if jobs == 1 or len(head) < window:
        for chunk in chain(head, chunks):
            yield annotate_records(chunk, None, learned)
        return
    for lang in LANGUAGES:  # compile once here: forked workers inherit the lexicons
        load_lexicon(lang)
        if learned:
            load_model(lang)
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    in_flight = jobs * 4
    with mp.get_context(method).Pool(jobs) as pool:
        pending = head
        while pending:
            yield from pool.imap(partial(annotate_records, default_lang=None, learned=learned), pending)
            pending = list(islice(chunks, in_flight))


def iter_annotate(
    records: Iterable[Any], n_jobs: int | None = None, chunk_size: int = DEFAULT_CHUNK,
    min_parallel: int = MIN_PARALLEL, learned: bool = True,
) -> Iterator[Annotation]:
    """Annotate a stream of records, yielding one :class:`Annotation` per record in order.

    A record is a text, a mapping with ``text`` and optional ``lang``, ``role``,
    ``context``, or a tuple ``(text, lang, role, context)``.
    """
    for results in iter_annotate_results(records, n_jobs, chunk_size, min_parallel, learned):
        yield from map(_to_annotation, results)


def annotate_batch(
    records: Iterable[Any], n_jobs: int | None = None, chunk_size: int = DEFAULT_CHUNK,
    min_parallel: int = MIN_PARALLEL, learned: bool = True,
) -> list[Annotation]:
    """Annotate many utterances in one call (parallel across ``n_jobs`` processes,
    all cores by default; single process below ``min_parallel`` records)."""
    return list(iter_annotate(records, n_jobs, chunk_size, min_parallel, learned))
