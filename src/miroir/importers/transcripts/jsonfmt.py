"""JSON transcripts: utterance lists and Gong-style call transcripts.

Shapes accepted:

* ``{"utterances": [{"speaker", "start", "end", "text"}, ...]}`` (or
  ``"segments"``, as Whisper writes it) or a bare list of such objects. The
  speaker key may also be ``speaker_name``, ``speakerName`` or ``name``; a number is used as its text (``0`` → ``"0"``);
  missing/null → ``Unknown``. ``start``/``end`` are numbers, numeric strings,
  null or missing.
* Gong: ``{"callTranscripts": [{"callId", "transcript": [{"speakerId",
  "topic", "sentences": [{"start", "end", "text"}]}]}], "parties": [...]}``;
  ``parties`` (``speakerId``, ``name``, ``affiliation``) may be at the top
  level or in ``calls[i].parties``. A single call object ``{"callId",
  "transcript": [...]}`` and a bare list of speaker blocks also work. The
  speaker is the party's name, else ``"Speaker <speakerId>"``. A file must
  hold one call.

Seconds or milliseconds (decided once per file):

1. any time value > 86400 → milliseconds (no call lasts a day);
2. else any value with a fractional part → seconds;
3. else (all integers) the typical length — median of the positive
   ``end - start``, or of the positive gaps between consecutive starts when
   no durations exist — decides: > 100 → milliseconds (a median utterance of
   more than 100 s is implausible), < 20 → seconds (one of less than 20 ms is
   impossible);
4. otherwise the format's default: seconds for utterances, milliseconds for
   Gong.

Wrong types raise ParseError naming the JSON path, e.g. ``utterances[3].start``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from statistics import median
from typing import Any

from miroir.errors import ParseError

from .labels import clean_text
from .model import UNKNOWN_SPEAKER, Turn, TurnBuilder, WarningSink, clean_label

_SPEAKER_KEYS = ("speaker", "speaker_name", "speakerName", "name")
_REMEDY = (
    "Fix the JSON so that each utterance has a text string and numeric start/end, "
    'e.g. {"utterances": [{"speaker": "Alice", "start": 0.0, "end": 2.5, "text": "Hello"}]}.'
)


@dataclass
class _Raw:
    speaker: str
    text: str
    start: float | None
    end: float | None


class _Json:
    def __init__(self, filename: str, sink: WarningSink) -> None:
        self.filename = filename
        self.sink = sink

    def fail(self, path: str, message: str) -> ParseError:
        return ParseError(f"{path}: {message}", _REMEDY, file=self.filename)

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, found {_type(value)}")
        return value

    def arr(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, found {_type(value)}")
        return value

    def text(self, item: dict[str, Any], path: str) -> str:
        if "text" not in item:
            raise self.fail(f"{path}.text", "missing")
        value = item["text"]
        if not isinstance(value, str):
            raise self.fail(f"{path}.text", f"expected a string, found {_type(value)}")
        return clean_text(value)

    def time(self, item: dict[str, Any], key: str, path: str) -> float | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(f"{path}.{key}", f"expected a number of seconds or milliseconds, found {_type(value)}")
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                if len(value) > 40:
                    raise ValueError
                number = float(value.strip())
            except ValueError:
                raise self.fail(f"{path}.{key}", f"expected a number, found {value[:40]!r}") from None
        else:
            try:
                number = float(value)
            except OverflowError:
                raise self.fail(f"{path}.{key}", "number too large for a time") from None
        if not math.isfinite(number):
            raise self.fail(f"{path}.{key}", f"expected a finite number, found {value!r}")
        if number < 0:
            self.sink.add(None, f"{path}.{key}: negative time {number} dropped")
            return None
        return number

    def speaker(self, item: dict[str, Any], path: str) -> str:
        for key in _SPEAKER_KEYS:
            if key in item and item[key] is not None:
                value = item[key]
                if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                    raise self.fail(f"{path}.{key}", f"expected a speaker name, found {_type(value)}")
                label = clean_label(str(value))
                return label or UNKNOWN_SPEAKER
        return UNKNOWN_SPEAKER

    # -- utterances -----------------------------------------------------------------
    def utterances(self, items: list[Any], base: str) -> list[_Raw]:
        out = []
        for i, raw in enumerate(items):
            path = f"{base}[{i}]"
            item = self.obj(raw, path)
            out.append(
                _Raw(self.speaker(item, path), self.text(item, path), self.time(item, "start", path),
                     self.time(item, "end", path))
            )
        return out

    # -- Gong -----------------------------------------------------------------------
    def parties(self, doc: dict[str, Any]) -> dict[str, str]:
        names: dict[str, str] = {}
        sources: list[tuple[Any, str]] = []
        if "parties" in doc:
            sources.append((doc["parties"], "parties"))
        if isinstance(doc.get("calls"), list):
            for i, call in enumerate(doc["calls"]):
                if isinstance(call, dict) and "parties" in call:
                    sources.append((call["parties"], f"calls[{i}].parties"))
        for value, base in sources:
            for j, raw in enumerate(self.arr(value, base)):
                party = self.obj(raw, f"{base}[{j}]")
                sid = party.get("speakerId")
                name = party.get("name")
                if sid is None or isinstance(sid, (dict, list, bool)):
                    continue  # a party who never spoke (no speakerId) names nobody
                if name is not None and not isinstance(name, str):
                    raise self.fail(f"{base}[{j}].name", f"expected a string, found {_type(name)}")
                if name and name.strip():
                    names.setdefault(_sid(sid), clean_label(name))
        return names

    def gong_blocks(self, blocks: list[Any], base: str, names: dict[str, str]) -> list[_Raw]:
        out = []
        for i, raw in enumerate(blocks):
            path = f"{base}[{i}]"
            block = self.obj(raw, path)
            sid = block.get("speakerId")
            if sid is None:
                speaker = UNKNOWN_SPEAKER
            elif isinstance(sid, (str, int, float)) and not isinstance(sid, bool):
                key = _sid(sid)
                speaker = names.get(key) or (f"Speaker {clean_label(key)}" if clean_label(key) else UNKNOWN_SPEAKER)
            else:
                raise self.fail(f"{path}.speakerId", f"expected a string or number, found {_type(sid)}")
            if "sentences" not in block:
                raise self.fail(f"{path}.sentences", "missing")
            sentences = self.arr(block["sentences"], f"{path}.sentences")
            texts: list[str] = []
            start = end = None
            for j, rs in enumerate(sentences):
                spath = f"{path}.sentences[{j}]"
                sentence = self.obj(rs, spath)
                text = self.text(sentence, spath)
                s = self.time(sentence, "start", spath)
                e = self.time(sentence, "end", spath)
                if text:
                    texts.append(text)
                if start is None:
                    start = s
                if e is not None:
                    end = e
            out.append(_Raw(speaker, " ".join(texts), start, end))
        return out

    def gong(self, doc: dict[str, Any]) -> list[_Raw]:
        names = self.parties(doc)
        if "callTranscripts" in doc:
            calls = self.arr(doc["callTranscripts"], "callTranscripts")
            if len(calls) > 1:
                raise ParseError(
                    f"the file holds {len(calls)} calls (callTranscripts); miroir reads one call per transcript file",
                    "Split the export into one JSON file per call and list each in conversations.",
                    file=self.filename,
                )
            if not calls:
                return []
            call = self.obj(calls[0], "callTranscripts[0]")
            base = "callTranscripts[0].transcript"
            if "transcript" not in call:
                raise self.fail(base, "missing")
            return self.gong_blocks(self.arr(call["transcript"], base), base, names)
        return self.gong_blocks(self.arr(doc["transcript"], "transcript"), "transcript", names)


def _type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def _sid(value: str | int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_ms(raws: list[_Raw], default_ms: bool) -> bool:
    values = [v for r in raws for v in (r.start, r.end) if v is not None]
    if not values:
        return default_ms
    if max(values) > 86400:
        return True
    if any(not float(v).is_integer() for v in values):
        return False
    spans = [r.end - r.start for r in raws if r.start is not None and r.end is not None and r.end > r.start]
    if not spans:
        starts = [r.start for r in raws if r.start is not None]
        spans = [b - a for a, b in zip(starts, starts[1:], strict=False) if b > a]
    if spans:
        typical = median(spans)
        if typical > 100:
            return True
        if typical < 20:
            return False
    return default_ms


def _iter_turn_inputs(raws: list[_Raw], scale: float) -> Iterator[tuple[str, str, float | None, float | None]]:
    for r in raws:
        yield (r.speaker, r.text, None if r.start is None else r.start / scale,
               None if r.end is None else r.end / scale)


def parse_json(text: str, *, filename: str, sink: WarningSink) -> list[Turn]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"not valid JSON: {exc.msg} (column {exc.colno})",
            "Check that the file is a complete JSON export (not truncated).",
            file=filename,
            line=exc.lineno,
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ParseError(
            f"JSON that cannot be read: {str(exc)[:120]}",
            "Check that the file is a transcript export (too deeply nested or an absurd number).",
            file=filename,
        ) from None
    reader = _Json(filename, sink)
    default_ms = False
    if isinstance(doc, list):
        if doc and isinstance(doc[0], dict) and "sentences" in doc[0]:
            raws = reader.gong_blocks(doc, "", {})
            default_ms = True
        else:
            raws = reader.utterances(doc, "")
    elif isinstance(doc, dict):
        if "utterances" in doc or "segments" in doc:
            key = "utterances" if "utterances" in doc else "segments"
            raws = reader.utterances(reader.arr(doc[key], key), key)
        elif "callTranscripts" in doc or ("transcript" in doc and isinstance(doc["transcript"], list)):
            raws = reader.gong(doc)
            default_ms = True
        else:
            keys = ", ".join(sorted(str(k) for k in doc)[:8])
            raise ParseError(
                f"JSON object without 'utterances' or 'callTranscripts' (keys: {keys or 'none'})",
                'Use {"utterances": [{"speaker", "start", "end", "text"}]} or a Gong callTranscripts export.',
                file=filename,
            )
    else:
        raise ParseError(
            f"JSON top level is {_type(doc)}, expected an object or a list of utterances",
            _REMEDY,
            file=filename,
        )
    scale = 1000.0 if _is_ms(raws, default_ms) else 1.0
    builder = TurnBuilder()
    for speaker, text, start, end in _iter_turn_inputs(raws, scale):
        if start is not None and end is not None and end < start:
            sink.add(None, f"utterance of {speaker!r} ends before it starts: end time dropped")
            end = None
        builder.add(speaker, text, start, end)
    return builder.finish()
