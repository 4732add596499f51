"""Conversation rows -> transcript files -> utterances (speaker, role, times, text, language)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ParseError, Problem
from ..language import detect_language

if TYPE_CHECKING:
    from collections.abc import Callable

    from .reader import Dataset
    from .tables import TypedTable

MAX_TRANSCRIPT_BYTES = 256 * 1024 * 1024
UTTERANCE_COLUMNS = ["conversation_id", "turn", "speaker", "person_id", "role", "start_s", "end_s", "text", "lang"]


def safe_transcript_path(folder: Path, rel: str) -> tuple[Path | None, str]:
    """Resolve a transcript path inside the dataset folder; (None, why) when it is not allowed."""
    rel = rel.strip().replace("\\", "/")
    if not rel:
        return None, "empty path"
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        return None, "absolute paths are not allowed"
    root = folder.resolve()
    candidate = folder / rel
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):
        return None, "path cannot be resolved"
    if root != resolved and root not in resolved.parents:
        return None, "path leads outside the dataset folder"
    if candidate.is_symlink() or any(p.is_symlink() for p in candidate.parents if root in p.resolve().parents):
        return None, "symbolic links are not followed"
    if not resolved.exists():
        return None, "file not found"
    if not resolved.is_file():
        return None, "not a regular file"
    return resolved, ""


def read_transcripts(ds: Dataset, t: TypedTable, progress: Callable[[str], None] | None = None) -> None:
    from ..importers.transcripts import SpeakerResolver, parse_transcript

    conv = ds.tables["conversations"]
    people = ds.tables.get("people")
    resolver = SpeakerResolver(
        [] if people is None else
        [tuple(None if pd.isna(v) else str(v) for v in rec)  # type: ignore[misc]
         for rec in people[["person_id", "name", "role", "aliases"]].itertuples(index=False, name=None)])
    deal_ids = set(ds.tables["deals"]["deal_id"]) if "deals" in ds.tables and len(ds.tables["deals"]) else set()
    parts: list[pd.DataFrame] = []
    keep = []
    shas: list[str | None] = []
    langs: list[str | None] = []
    total = len(conv)
    for i, (cid, rel, lang, src_row, dids) in enumerate(
            conv[["conversation_id", "file", "language", "src_row", "deal_ids"]].itertuples(index=False)):
        # empty text cells come back as NaN (truthy): treat them as missing
        lang = None if pd.isna(lang) else lang
        dids = None if pd.isna(dids) else dids
        if progress and i % 500 == 0:
            progress(f"transcripts {i}/{total}")
        path, why = safe_transcript_path(ds.folder, str(rel or ""))
        if path is None:
            ds.problems.append(Problem("error", t.file, f"transcript file cannot be read: {why}; conversation not "
                                       "stored", row=int(src_row), column="file", value=str(rel)[:120],
                                       expected="a path relative to the dataset folder, inside it",
                                       remedy="Put transcripts under transcripts/ and give their relative path.",
                                       table="conversations", code="transcript_path"))
            keep.append(False)
            shas.append(None)
            langs.append(None)
            continue
        keep.append(True)
        size = os.path.getsize(path)
        if size > MAX_TRANSCRIPT_BYTES:
            ds.problems.append(Problem("warning", str(rel), f"transcript is {size / 1e6:.0f} MB, above the "
                                       f"{MAX_TRANSCRIPT_BYTES // (1024 * 1024)} MB limit; conversation kept without "
                                       "utterances", remedy="Split the file.", table="utterances",
                                       code="transcript_too_big"))
            shas.append(None)
            langs.append(lang)
            continue
        data = path.read_bytes()
        shas.append(hashlib.sha256(data).hexdigest())
        try:
            turns = parse_transcript(data, filename=str(rel))
        except ParseError as exc:
            ds.problems.append(Problem("warning", str(rel), f"{exc.message}; conversation kept without utterances",
                                       row=exc.line, remedy=exc.remedy or "Check the transcript format "
                                       "(VTT, SRT, TXT 'Name: text', JSON).", table="utterances",
                                       code="transcript_parse"))
            langs.append(lang)
            continue
        if dids and deal_ids:
            unknown = [d for d in str(dids).split(";") if d.strip() and d.strip() not in deal_ids]
            if unknown:
                ds.problems.append(Problem("warning", t.file, f"deal_ids not found in deals: {', '.join(unknown[:5])}; "
                                           "kept", row=int(src_row), column="deal_ids", table="conversations",
                                           code="unknown_deal"))
        if not lang:
            sample = " ".join(tr.text for tr in turns[:80])[:4000]
            lang = detect_language(sample, default=ds.config.language or "en")
        langs.append(lang)
        speakers = [tr.speaker for tr in turns]
        resolved = {sp: resolver.resolve(sp) for sp in set(speakers)}
        n = len(turns)
        parts.append(pd.DataFrame({
            "conversation_id": [cid] * n, "turn": range(n), "speaker": speakers,
            "person_id": [resolved[sp][0] for sp in speakers], "role": [resolved[sp][1] for sp in speakers],
            "start_s": [tr.start_s for tr in turns], "end_s": [tr.end_s for tr in turns],
            "text": [tr.text for tr in turns], "lang": [lang] * n}, columns=UTTERANCE_COLUMNS))
    conv = conv.copy()
    conv["file_sha256"] = shas
    conv["language"] = langs
    ds.tables["conversations"] = conv[pd.Series(keep, index=conv.index)].copy()
    ds.utterances = (pd.concat(parts, ignore_index=True) if parts
                     else pd.DataFrame(columns=UTTERANCE_COLUMNS))
