"""Gong API responses -> conversations + transcripts.

Reads JSON files from one folder, recognised by shape:

- ``/v2/calls/transcript`` responses: ``{"callTranscripts": [{"callId",
  "transcript": [{"speakerId", "topic", "sentences": [{"start", "end",
  "text"}]}]}]}`` (times in milliseconds);
- ``/v2/calls/extensive`` responses: ``{"calls": [{"metaData": {"id",
  "title", "started", "scope", "language", ...}, "parties": [{"speakerId",
  "name", "emailAddress", "affiliation", "userId", ...}], "context":
  [{"system": "Salesforce", "objects": [{"objectType": "Opportunity",
  "objectId"}]}]}]}``.

Each call with a transcript and metadata becomes ``transcripts/gong-<id>.json``
(the contract's JSON utterances, speakers named from the parties) and a
``conversations`` row. Kind: title rules, then parties (all Internal ->
pipeline_review, else customer_call). Deals come from the CRM context
(Opportunity / Deal objects), checked against ``deals.csv`` when the dataset
already has one. Internal parties missing from ``people.csv`` are added.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import MiroirError, ParseError
from ._common import fold, infer_kind, lang_code, load_kind_rules, load_people, sf_id_key
from .writer import DatasetWriter, ImportReport

SOURCE = "gong"
DEAL_OBJECTS = {"opportunity", "deal"}


@dataclass
class Party:
    speaker_id: str
    name: str
    internal: bool | None
    email: str = ""


@dataclass
class CallMeta:
    call_id: str
    title: str = ""
    started: str = ""
    scope: str = ""
    language: str = ""
    parties: dict[str, Party] = field(default_factory=dict)
    deal_ids: list[str] = field(default_factory=list)
    primary_user: str = ""


def _load(path: Path, report: ImportReport) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        report.problem("error", path.name, f"not valid JSON: {exc}", expected="a Gong API response saved as JSON",
                       remedy="Save the response body of /v2/calls/transcript or /v2/calls/extensive as UTF-8 JSON.",
                       code="bad_json")
    except OSError as exc:
        report.problem("error", path.name, f"cannot read: {exc}", code="unreadable")
    return None


def _s(v: object) -> str:
    return "" if v is None or isinstance(v, dict | list) else str(v).strip()


def _meta(call: dict[str, Any], fname: str, report: ImportReport) -> CallMeta | None:
    md: dict[str, Any] = call["metaData"] if isinstance(call.get("metaData"), dict) else call
    cid = _s(md.get("id") or call.get("id"))
    if not cid:
        report.problem("warning", fname, "call without metaData.id; ignored", code="bad_call")
        return None
    meta = CallMeta(cid, title=_s(md.get("title")), started=_s(md.get("started") or md.get("scheduled")),
                    scope=_s(md.get("scope")), language=lang_code(md.get("language")),
                    primary_user=_s(md.get("primaryUserId")))
    parties: list[Any] = call["parties"] if isinstance(call.get("parties"), list) else []
    for i, p in enumerate(parties):
        if not isinstance(p, dict):
            continue
        sid = _s(p.get("speakerId")) or f"party-{i}"
        aff = _s(p.get("affiliation")).lower()
        internal = True if aff == "internal" else False if aff == "external" else None
        email = _s(p.get("emailAddress"))
        name = _s(p.get("name")) or email
        meta.parties[sid] = Party(sid, name, internal, email)
    ctx: list[Any] = call["context"] if isinstance(call.get("context"), list) else []
    for c in ctx:
        objs: list[Any] = c["objects"] if isinstance(c, dict) and isinstance(c.get("objects"), list) else []
        for o in objs:
            if isinstance(o, dict) and _s(o.get("objectType")).lower() in DEAL_OBJECTS and _s(o.get("objectId")):
                meta.deal_ids.append(_s(o.get("objectId")))
    return meta


def _started(text: str) -> str:
    if not text:
        return ""
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(v: object) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        try:
            v = float(str(v))
        except (TypeError, ValueError):
            return None
    f = float(v)
    return f / 1000.0 if f == f and abs(f) < 1e13 else None


def _utterances(transcript: list[Any], meta: CallMeta, fname: str, report: ImportReport) -> tuple[list[dict[str, Any]], set[str]]:
    utts: list[dict[str, Any]] = []
    unknown: set[str] = set()
    for mono in transcript:
        if not isinstance(mono, dict):
            continue
        sid = _s(mono.get("speakerId"))
        party = meta.parties.get(sid)
        if party is None or not party.name:
            unknown.add(sid or "?")
            speaker = f"Unknown speaker {sid}" if sid else "Unknown"
        else:
            speaker = party.name
        sentences = [x for x in mono.get("sentences", []) if isinstance(x, dict)] if isinstance(
            mono.get("sentences"), list) else []
        text = " ".join(_s(x.get("text")) for x in sentences if _s(x.get("text")))
        if not text:
            continue
        start = _ms(sentences[0].get("start")) if sentences else None
        end = _ms(sentences[-1].get("end")) if sentences else None
        if utts and utts[-1]["speaker"] == speaker:
            utts[-1]["text"] += " " + text
            utts[-1]["end"] = end if end is not None else utts[-1]["end"]
        else:
            utts.append({"speaker": speaker, "start": start, "end": end, "text": text})
    return utts, unknown


def import_gong(src: Path, out: Path, *, rules: Path | None = None) -> ImportReport:
    """Import saved Gong API responses from ``src`` into the dataset folder ``out``."""
    src = Path(src)
    report = ImportReport(source=SOURCE)
    if not src.is_dir():
        raise MiroirError(f"{src} is not a folder", "Give the folder holding the saved Gong API responses (.json).")
    kind_rules, default_kind = load_kind_rules(rules)
    metas: dict[str, CallMeta] = {}
    transcripts: dict[str, tuple[list[Any], str]] = {}
    for path in sorted(src.glob("*.json")):
        doc = _load(path, report)
        if not isinstance(doc, dict):
            if doc is not None:
                report.problem("warning", path.name, "not a Gong response object; ignored", code="bad_shape")
            continue
        calls = doc.get("calls")
        ct = doc.get("callTranscripts")
        if isinstance(calls, list):
            report.inputs[path.name] = len(calls)
            for c in calls:
                if isinstance(c, dict):
                    m = _meta(c, path.name, report)
                    if m:
                        metas[m.call_id] = m
        if isinstance(ct, list):
            report.inputs[path.name] = report.inputs.get(path.name, 0) + len(ct)
            for c in ct:
                if isinstance(c, dict) and _s(c.get("callId")) and isinstance(c.get("transcript"), list):
                    transcripts[_s(c.get("callId"))] = (c["transcript"], path.name)
                else:
                    report.problem("warning", path.name, "callTranscripts entry without callId or transcript list; "
                                   "ignored", code="bad_shape")
        if not isinstance(calls, list) and not isinstance(ct, list):
            report.problem("warning", path.name, "neither 'calls' (/v2/calls/extensive) nor 'callTranscripts' "
                           "(/v2/calls/transcript); ignored", code="bad_shape")
    if not transcripts:
        raise MiroirError(f"no Gong transcripts in {src}",
                          "Save the responses of POST /v2/calls/transcript (and /v2/calls/extensive for names, "
                          "titles and dates) as .json files in this folder.")
    writer = DatasetWriter(out, report)
    deals = writer.existing("deals")
    deal_ids = set(deals["deal_id"]) if deals is not None and "deal_id" in deals.columns else None
    deal_by_key = ({k: v for k, v in zip(sf_id_key(deals["deal_id"]), deals["deal_id"], strict=True)}
                   if deals is not None and deal_ids is not None else {})
    ppl = load_people(Path(out) / "people.csv")
    known = {fold(n) for n in ppl["name"]} | {fold(a) for al in ppl["aliases"] for a in str(al).split(";") if a.strip()}
    new_people: dict[str, dict[str, str]] = {}
    rows = []
    unmatched_deals: set[str] = set()
    for cid, (transcript, fname) in sorted(transcripts.items()):
        meta = metas.get(cid)
        if meta is None:
            report.problem("error", fname, f"call {cid} has a transcript but no metadata (date, parties); excluded",
                           remedy="Also save /v2/calls/extensive for these calls (with parties and context).",
                           code="no_metadata")
            report.exclude("transcripts without call metadata", 1)
            continue
        started = _started(meta.started)
        if not started:
            report.problem("error", fname, f"call {cid}: metaData.started missing or not a date; excluded",
                           value=meta.started, expected="ISO time like 2024-03-01T10:00:00Z", code="no_start")
            report.exclude("calls without a start time", 1)
            continue
        utts, unknown = _utterances(transcript, meta, fname, report)
        if not utts:
            report.problem("error", fname, f"call {cid}: transcript has no sentences; excluded", code="empty_transcript")
            report.exclude("empty transcripts", 1)
            continue
        if unknown:
            report.problem("warning", fname, f"call {cid}: speaker id(s) {', '.join(sorted(unknown))} not among the "
                           "parties; labelled 'Unknown speaker' and treated as the customer side",
                           remedy="Include parties in the /v2/calls/extensive request (contentSelector.exposedFields"
                                  ".parties = true).", code="unknown_speaker")
        speakers = {u["speaker"] for u in utts}
        flags = []
        for p in meta.parties.values():
            if p.name in speakers:
                flags.append(bool(p.internal))
                if p.internal and fold(p.name) not in known:
                    new_people.setdefault(fold(p.name), {"person_id": p.email or p.name, "name": p.name,
                                                         "role": "rep",
                                                         "aliases": p.email})
        if unknown:
            flags.append(False)
        if meta.scope.lower() == "external" and flags and all(flags):
            flags.append(False)
        decision = infer_kind(meta.title, flags, kind_rules, default_kind)
        linked = []
        for d in meta.deal_ids:
            if deal_ids is None or d in deal_ids:
                linked.append(d)
            elif sf_id_key(pd.Series([d])).iloc[0] in deal_by_key:
                linked.append(deal_by_key[sf_id_key(pd.Series([d])).iloc[0]])
            else:
                unmatched_deals.add(d)
        rel = f"transcripts/gong-{re.sub(r'[^A-Za-z0-9_-]', '_', cid)}.json"
        data = json.dumps({"utterances": utts}, ensure_ascii=False, indent=1).encode("utf-8")
        try:
            from .transcripts import parse_transcript

            parse_transcript(data, filename=rel, fmt="json")
        except ParseError as exc:  # pragma: no cover - our own output must parse
            report.problem("error", fname, f"call {cid}: converted transcript unreadable: {exc.message}",
                           code="bad_transcript")
            continue
        writer.write_bytes(rel, data)
        rows.append({"conversation_id": f"gong-{cid}", "kind": decision.kind, "started_at": started, "file": rel,
                     "deal_ids": ";".join(dict.fromkeys(linked)), "language": meta.language, "title": meta.title,
                     "kind_reason": decision.reason})
    if deal_ids is None and any(r["deal_ids"] for r in rows):
        report.note("deal ids from Gong's CRM context kept as they are: no deals.csv in the dataset yet to check them"
                    " (import the CRM first to verify)")
    if unmatched_deals:
        report.problem("warning", "deals.csv", f"{len(unmatched_deals)} deal id(s) from Gong's CRM context are not "
                       "in deals.csv; those links were dropped: " + ", ".join(sorted(unmatched_deals)[:8]),
                       remedy="Import the CRM export that holds these deals into the same dataset folder first.",
                       code="unknown_deal")
    conv = pd.DataFrame(rows, columns=["conversation_id", "kind", "started_at", "file", "deal_ids", "language",
                                       "title", "kind_reason"])
    writer.write_table("conversations", conv, merge_on="conversation_id")
    if new_people:
        add = pd.DataFrame(list(new_people.values()))
        merged = pd.concat([ppl, add], ignore_index=True).fillna("")
        writer.write_table("people", merged)
        report.note(f"{len(add)} internal Gong participant(s) added to people.csv as 'rep': "
                    + ", ".join(add["name"].head(8)) + " — check their roles")
    return writer.finish()
