"""A folder of meeting transcripts (Zoom, Microsoft Teams, Google Meet ``.vtt``) -> conversations.

Each ``.vtt`` file becomes a ``conversations`` row and is copied under
``transcripts/``. ``kind`` is decided, in order, by the title rules (a rules
file given with ``--rules``, then built-in patterns such as "Pipeline review",
"Revue de pipe", "Forecast call"), then by the participants: every speaker
internal (found in ``people.csv``) -> ``pipeline_review``; anyone else ->
``customer_call``. The start time comes from the file or folder name (Zoom's
``GMT20240301-100000``, ``2024-03-01 10.00.00 ...``, ``2024-03-01``), else
from the file's modification time (reported).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from ..errors import MiroirError, ParseError
from ._common import infer_kind, load_kind_rules, load_people, speaker_resolver
from .writer import DatasetWriter, ImportReport

SOURCE = "meetings"
MAX_VTT_BYTES = 256 * 1024 * 1024

_ZOOM_TS = re.compile(r"GMT(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})")
_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T_](\d{1,2})[.:h](\d{2})(?:[.:](\d{2}))?)?")
_COMPACT = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?:[-_T](\d{2})(\d{2})(\d{2}))?(?!\d)")
_GENERIC = re.compile(r"^(closed_caption|transcript|audio_transcript|captions?|meeting_saved_closed_caption"
                      r"|gmt\d{8}-\d{6}.*|recording.*)$", re.I)
_NOISE = re.compile(r"\s*(-\s*transcript|\(\s*\d{4}-\d{2}-\d{2}[^)]*\)|\.transcript|_recording)\s*", re.I)


def _started_at(rel: Path, path: Path) -> tuple[dt.datetime | None, str]:
    text = str(rel)
    m = _ZOOM_TS.search(text)
    if m:
        y, mo, d, h, mi, s = (int(x) for x in m.groups())
        return _safe(y, mo, d, h, mi, s), "Zoom file name (GMT)"
    m = _DATE_TIME.search(text)
    if m:
        y, mo, d = (int(x) for x in m.groups()[:3])
        h, mi, s = (int(x) if x else 0 for x in m.groups()[3:])
        got = _safe(y, mo, d, h, mi, s)
        if got:
            return got, "file name"
    m = _COMPACT.search(text)
    if m:
        y, mo, d = (int(x) for x in m.groups()[:3])
        h, mi, s = (int(x) if x else 0 for x in m.groups()[3:])
        got = _safe(y, mo, d, h, mi, s)
        if got:
            return got, "file name"
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).replace(tzinfo=None), "mtime"
    except (OSError, OverflowError, ValueError):
        return None, ""


def _safe(y: int, mo: int, d: int, h: int, mi: int, s: int) -> dt.datetime | None:
    try:
        return dt.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def _title(rel: Path) -> str:
    stem = rel.name
    for suf in (".vtt", ".transcript"):
        if stem.lower().endswith(suf):
            stem = stem[: -len(suf)]
    if _GENERIC.match(stem) and len(rel.parts) > 1:
        stem = rel.parent.name
    title = _NOISE.sub(" ", stem)
    title = _ZOOM_TS.sub(" ", title)
    title = re.sub(r"\d{4}-\d{2}-\d{2}(?:[ T_]\d{1,2}[.:h]\d{2}(?:[.:]\d{2})?)?", " ", title)
    title = re.sub(r"\s+\d{9,11}\s*$", " ", title)  # Zoom meeting id
    title = re.sub(r"[_]+", " ", title)
    return " ".join(title.split()).strip(" -")


def _slug(text: str) -> str:
    s = re.sub(r"[^\w.-]+", "-", text).strip("-.")
    return s[:80] or "meeting"


def import_meetings(src: Path, out: Path, *, rules: Path | None = None, people: Path | None = None) -> ImportReport:
    """Import every ``.vtt`` under ``src`` into the dataset folder ``out``."""
    from .transcripts import UNKNOWN_SPEAKER, parse_transcript

    src = Path(src)
    report = ImportReport(source=SOURCE)
    if not src.is_dir():
        raise MiroirError(f"{src} is not a folder", "Give the folder holding the .vtt transcript files.")
    kind_rules, default_kind = load_kind_rules(rules)
    writer = DatasetWriter(out, report)
    people_path = people if people is not None else (Path(out) / "people.csv")
    if people is not None and not people.exists():
        raise MiroirError(f"people file not found: {people}", "Give a people.csv (name, role, team, aliases).")
    try:
        ppl = load_people(people_path)
    except ParseError as exc:
        raise MiroirError(f"cannot read the people file: {exc.message}", exc.remedy, file=str(people_path)) from None
    if not len(ppl):
        report.note("no people list (--people or people.csv in the dataset): participants cannot be told apart, "
                    "so meetings without a title rule are taken as customer calls")
    resolver = speaker_resolver(ppl)
    root = src.resolve()
    rows = []
    used_ids: set[str] = set()
    files = sorted(p for p in src.rglob("*") if p.suffix.lower() == ".vtt")
    for path in files:
        rel = path.relative_to(src)
        label = str(rel)
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            report.problem("error", label, "link to a file outside the folder; not imported",
                           remedy="Copy the transcript into the folder instead of linking it.", code="outside_link")
            report.exclude("transcripts that are links outside the folder", 1)
            continue
        if not path.is_file():
            continue
        try:
            size = path.stat().st_size
            if size > MAX_VTT_BYTES:
                raise ParseError(f"file is {size // 1024**2} MiB, above the {MAX_VTT_BYTES // 1024**2} MiB limit",
                                 "Split the recording's transcript.", file=label)
            data = path.read_bytes()
            turns = parse_transcript(data, filename=label, fmt="vtt")
        except ParseError as exc:
            report.problem("error", label, exc.message, remedy=exc.remedy, row=exc.line, code="bad_transcript")
            report.exclude("transcripts that could not be parsed", 1)
            continue
        except OSError as exc:
            report.problem("error", label, f"cannot read: {exc.strerror or exc}", code="unreadable")
            report.exclude("transcripts that could not be read", 1)
            continue
        report.inputs[label] = len(turns)
        speakers = sorted({t.speaker for t in turns if t.speaker and t.speaker != UNKNOWN_SPEAKER})
        internal = [resolver.resolve(s)[0] is not None for s in speakers]
        title = _title(rel)
        decision = infer_kind(title, internal, kind_rules, default_kind)
        started, how = _started_at(rel, path)
        if started is None:
            report.problem("error", label, "no start time in the file name and none readable from the file",
                           remedy="Rename the file with its date (e.g. '2024-03-04 Pipeline review.vtt').",
                           code="no_start")
            report.exclude("transcripts without a start time", 1)
            continue
        if how == "mtime":
            report.problem("warning", label, "start time taken from the file's modification time",
                           remedy="Put the meeting date in the file name (e.g. '2024-03-04 10.00 Revue de pipe.vtt')"
                                  " if this is not when it happened.", code="start_from_mtime")
        cid = _slug(str(rel.with_suffix("")).replace("/", "_"))
        base, n = cid, 2
        while cid in used_ids:
            cid, n = f"{base}-{n}", n + 1
        used_ids.add(cid)
        dest = f"transcripts/{cid}.vtt"
        writer.write_bytes(dest, data)
        unknown_speakers = [s for s, i in zip(speakers, internal, strict=True) if not i]
        rows.append({"conversation_id": cid, "kind": decision.kind,
                     "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "file": dest, "deal_ids": "",
                     "language": "", "title": title, "kind_reason": decision.reason,
                     "external_speakers": ";".join(unknown_speakers)})
    if not files:
        raise MiroirError(f"no .vtt files in {src}", "Put the Zoom/Teams/Meet .vtt transcripts in this folder.")
    conv = pd.DataFrame(rows, columns=["conversation_id", "kind", "started_at", "file", "deal_ids", "language",
                                       "title", "kind_reason", "external_speakers"])
    if len(conv):
        counts = conv["kind"].value_counts()
        report.note("kinds: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                    + " (see kind_reason in conversations.csv; override with --rules)")
    writer.write_table("conversations", conv, merge_on="conversation_id")
    return writer.finish()
