"""Plain-text transcripts.

Accepted line shapes (the timestamp is optional, ``[mm:ss]`` also works)::

    Name: text
    [00:12:31] Name: text        (00:12:31) Name: text
    00:12:31 Name: text          00:12:31 - Name: text
    Name (00:12:31): text        Name [00:12:31]: text
    Name  00:12:31               (Otter-style header line; the text follows)

A line without a speaker prefix continues the previous turn (a bracketed
timestamp on it is dropped, an unbracketed one is kept as text). Blank lines
are ignored. Consecutive lines of the same speaker form one turn. Text before
the first speaker line is kept as ``Unknown`` (warning). Plain text gives start
times only: ``end_s`` is None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .labels import clean_text, is_speaker_label, split_speaker_prefix
from .model import UNKNOWN_SPEAKER, Turn, TurnBuilder, WarningSink, clean_label
from .timecode import CLOCK, parse_clock

_BRACKET_TS_RE = re.compile(rf"^\s*[\[(]\s*({CLOCK})\s*[\])]\s*(?:[-–—|]\s*)?(.*)$", re.S)
_BARE_TS_RE = re.compile(rf"^\s*({CLOCK})\s+(?:[-–—|]\s*)?(.*)$", re.S)
_NAME_TS_RE = re.compile(rf"^\s*([^:()\[\]]{{1,60}}?)\s*[\[(]\s*({CLOCK})\s*[\])]\s*:(?:\s+(.*)|)$", re.S)
_HEADER_RE = re.compile(rf"^\s*([^:()\[\]]{{1,60}}?)\s+({CLOCK})\s*$")


def _speaker_line(rest: str) -> tuple[str, str, float | None] | None:
    """``(speaker, text, time)`` when ``rest`` starts a new turn."""
    if ":" not in rest:
        return None
    m = _NAME_TS_RE.match(rest)
    if m:
        label = clean_label(m.group(1))
        if is_speaker_label(label):
            return label, (m.group(3) or "").strip(), parse_clock(m.group(2))
    found = split_speaker_prefix(rest)
    if found is not None:
        return found[0], found[1], None
    m = _HEADER_RE.match(rest)
    if m:
        label = clean_label(m.group(1))
        if is_speaker_label(label):
            return label, "", parse_clock(m.group(2))
    return None


def parse_text(lines: Iterable[str], sink: WarningSink) -> list[Turn]:
    builder = TurnBuilder()
    warned_orphan = False
    for lineno, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        ts: float | None = None
        rest = line
        bracketed = _BRACKET_TS_RE.match(line) if line[0] in "[(" else None
        if bracketed:
            ts = parse_clock(bracketed.group(1))
            rest = bracketed.group(2).strip()
        elif line[0].isdigit():
            bare = _BARE_TS_RE.match(line)
            if bare and _speaker_line(bare.group(2)) is not None:
                ts = parse_clock(bare.group(1))
                rest = bare.group(2).strip()
        found = _speaker_line(rest)
        if found is not None:
            speaker, text, ts2 = found
            builder.add(speaker, clean_text(text), ts if ts is not None else ts2, None)
            continue
        text = clean_text(rest)
        if not text:
            continue
        if builder.speaker is None:
            if not warned_orphan:
                sink.add(lineno, f"text before any 'Name:' speaker label: kept as speaker {UNKNOWN_SPEAKER!r}")
                warned_orphan = True
            builder.add(UNKNOWN_SPEAKER, text, ts, None)
        else:
            builder.extend(text)
    return builder.finish()
