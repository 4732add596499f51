"""Transcript files in the formats real tools export (data contract, 'Transcript files')."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("vtt_voice", "vtt_prefix", "srt", "txt", "json", "gong")
EXT = {"vtt_voice": "vtt", "vtt_prefix": "vtt", "srt": "srt", "txt": "txt", "json": "json", "gong": "json"}


@dataclass
class Turn:
    speaker: str  # the label the meeting tool shows
    start: float  # seconds from the start of the call
    end: float
    text: str
    internal: bool = True


def _ts(sec: float, sep: str = ".") -> str:
    ms = int(round(sec * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render(fmt: str, turns: list[Turn], call_id: str) -> str:
    if fmt == "vtt_voice":
        cues = [f"{i}\n{_ts(t.start)} --> {_ts(t.end)}\n<v {t.speaker}>{t.text}</v>" for i, t in enumerate(turns, 1)]
        return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"
    if fmt == "vtt_prefix":
        cues = [f"{_ts(t.start)} --> {_ts(t.end)}\n{t.speaker}: {t.text}" for t in turns]
        return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"
    if fmt == "srt":
        cues = [f"{i}\n{_ts(t.start, ',')} --> {_ts(t.end, ',')}\n{t.speaker}: {t.text}" for i, t in enumerate(turns, 1)]
        return "\n\n".join(cues) + "\n"
    if fmt == "txt":
        lines = []
        for t in turns:
            s = int(t.start)
            lines.append(f"[{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}] {t.speaker}: {t.text}")
        return "\n".join(lines) + "\n"
    if fmt == "json":
        utts = [{"speaker": t.speaker, "start": round(t.start, 2), "end": round(t.end, 2), "text": t.text} for t in turns]
        return json.dumps({"utterances": utts}, ensure_ascii=False) + "\n"
    if fmt == "gong":
        ids: dict[str, str] = {}
        parties = []
        for t in turns:
            if t.speaker not in ids:
                ids[t.speaker] = str(7_000_000_000 + 1000 * len(ids) + sum(map(ord, call_id)) % 997)
                parties.append({"speakerId": ids[t.speaker], "name": t.speaker,
                                "affiliation": "Internal" if t.internal else "External"})
        blocks = []
        for t in turns:  # one monologue block per turn, sentences split on full stops
            sentences = _sentences(t)
            blocks.append({"speakerId": ids[t.speaker], "topic": None, "sentences": sentences})
        doc = {"requestId": f"sim-{call_id}", "callTranscripts": [{"callId": call_id, "transcript": blocks}],
               "parties": parties}
        return json.dumps(doc, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown transcript format {fmt!r}")


def _sentences(t: Turn) -> list[dict[str, object]]:
    parts = [p.strip() for p in _split(t.text) if p.strip()]
    total = sum(len(p) for p in parts) or 1
    out = []
    pos = t.start
    for p in parts:
        dur = (t.end - t.start) * len(p) / total
        out.append({"start": int(round(pos * 1000)), "end": int(round((pos + dur) * 1000)), "text": p})
        pos += dur
    return out


def _split(text: str) -> list[str]:
    out, cur = [], ""
    for i, ch in enumerate(text):
        cur += ch
        if ch in ".?!" and (i + 1 == len(text) or text[i + 1] == " "):
            out.append(cur)
            cur = ""
    if cur.strip():
        out.append(cur)
    return out


def write(folder: Path, call_id: str, fmt: str, turns: list[Turn]) -> str:
    """Write the transcript and return its path relative to the dataset folder."""
    rel = f"transcripts/{call_id}.{EXT[fmt]}"
    (folder / rel).write_text(render(fmt, turns, call_id), encoding="utf-8")
    return rel
