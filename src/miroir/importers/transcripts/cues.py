"""Cue-based formats (WebVTT and SubRip) share this engine.

A file is a sequence of blocks separated by blank lines. A cue block is an
optional identifier line, a timing line ``start --> end [settings]`` and one
or more payload lines. Payload lines are joined with a space. The speaker is a
``<v Name>`` voice span (also ``<v.class Name>``, with or without ``</v>``,
several per cue allowed) or a ``Name:`` prefix at the start of a payload
line; otherwise the cue continues the previous cue's speaker when it has no
timing line at all, else it is ``Unknown``.

Damaged input is kept, never dropped: a cue whose timing line does not parse
keeps its text without times (warning); a block without a timing line is kept
as text of the previous speaker (warning); a cue whose end is before its
start keeps its start only (warning); cues glued together without a blank
line are split at the next valid timing line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .labels import split_speaker_prefix, strip_markup
from .model import UNKNOWN_SPEAKER, TurnBuilder, WarningSink, clean_label
from .timecode import TIMING_RE, TIMINGISH_RE, parse_timing

_VOICE_RE = re.compile(r"<v(?:\.[^\s<>]{0,100})?(?:[ \t]+([^<>]{0,200}))?>")
_SKIP_BLOCKS = ("NOTE", "STYLE", "REGION")


def iter_blocks(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """``(line number of the first line, lines)`` for each non-blank block."""
    block: list[str] = []
    first = 0
    for lineno, line in enumerate(lines, start=1):
        if line.strip():
            if not block:
                first = lineno
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _split_glued(first: int, block: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Split a block at every valid timing line after its first two lines."""
    start = 0
    for i in range(2, len(block)):
        if "-->" in block[i] and TIMING_RE.match(block[i]):
            cut = i - 1 if i - 1 > start + 1 and block[i - 1].strip().isdigit() else i
            if cut > start:
                yield first + start, block[start:cut]
                start = cut
    yield first + start, block[start:]


class CueParser:
    """Turns cue blocks into merged turns."""

    def __init__(self, sink: WarningSink, fmt_name: str) -> None:
        self.sink = sink
        self.fmt_name = fmt_name
        self.builder = TurnBuilder()
        self._last_speaker: str | None = None

    def feed_block(self, first: int, block: list[str]) -> None:
        for sub_first, sub in _split_glued(first, block) if len(block) > 2 else ((first, block),):
            self._cue(sub_first, sub)

    def _cue(self, first: int, block: list[str]) -> None:
        idx = None
        for i in range(min(2, len(block))):
            if "-->" in block[i]:
                idx = i
                break
        if idx is None:
            for i in range(min(2, len(block))):
                if TIMINGISH_RE.match(block[i]):
                    idx = i
                    break
        start: float | None = None
        end: float | None = None
        timed = idx is not None
        if idx is None:
            payload_at = 1 if len(block) >= 2 and block[0].strip().isdigit() else 0
            self.sink.add(first, "text without a timing line: kept, without times, as the previous speaker's")
        else:
            payload_at = idx + 1
            times = parse_timing(block[idx])
            if times is None:
                self.sink.add(first + idx, f"broken timestamp {block[idx].strip()[:60]!r}: cue text kept without times")
            else:
                start, end = times
                if end < start:
                    self.sink.add(first + idx, "cue ends before it starts: end time dropped")
                    end = None
        self._payload(block[payload_at:], start, end, timed)

    def _payload(self, lines: list[str], start: float | None, end: float | None, timed: bool) -> None:
        # parts: [speaker or None, from_voice, [texts]]
        parts: list[tuple[str | None, bool, list[str]]] = []
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            if "<v" in line and _VOICE_RE.search(line):
                pos = 0
                for m in _VOICE_RE.finditer(line):
                    before = line[pos : m.start()]
                    if before.strip():
                        self._add_plain(parts, before, allow_prefix=pos == 0)
                    voice = clean_label(strip_markup(m.group(1) or ""))
                    parts.append((voice or None, bool(voice), []))
                    pos = m.end()
                rest = line[pos:]
                if rest.strip():
                    if parts and not parts[-1][1] and parts[-1][0] is None and not parts[-1][2]:
                        # empty <v> tag: let a Name: prefix name the speaker
                        parts.pop()
                        self._add_plain(parts, rest, allow_prefix=True)
                    else:
                        parts[-1][2].append(rest)
            else:
                cont = bool(parts) and parts[-1][1]
                self._add_plain(parts, line, allow_prefix=not cont)
        for speaker, _voice, texts in parts:
            text = strip_markup(" ".join(texts))
            if not text:
                continue
            if speaker is None:
                speaker = self._last_speaker if (not timed and self._last_speaker) else UNKNOWN_SPEAKER
            self.builder.add(speaker, text, start, end)
            self._last_speaker = speaker

    @staticmethod
    def _add_plain(parts: list[tuple[str | None, bool, list[str]]], text: str, *, allow_prefix: bool) -> None:
        if allow_prefix:
            plain = strip_markup(text) if ("<" in text or "&" in text) else text
            found = split_speaker_prefix(plain)
            if found is not None:
                parts.append((found[0], False, [found[1]]))
                return
        if parts:
            parts[-1][2].append(text)
        else:
            parts.append((None, False, [text]))


def parse_cues(lines: Iterable[str], sink: WarningSink, *, fmt_name: str, skip_header: bool) -> TurnBuilder:
    """Parse cue blocks; with ``skip_header`` the first block may be a WEBVTT header."""
    parser = CueParser(sink, fmt_name)
    first_block = True
    for first, block in iter_blocks(lines):
        if first_block:
            first_block = False
            if skip_header and not block[0].lstrip("\ufeff").startswith("WEBVTT"):
                sink.add(first, "no 'WEBVTT' header line: read as WebVTT anyway")
            elif skip_header:
                # Header text; a cue glued to the header without a blank line is kept.
                for i in range(1, len(block)):
                    if "-->" in block[i]:
                        cut = i - 1 if i >= 2 else i
                        parser.feed_block(first + cut, block[cut:])
                        break
                continue
        head = block[0].lstrip()
        if skip_header and head.startswith(_SKIP_BLOCKS) and "-->" not in head:
            word = head.split(None, 1)[0] if head.split() else head
            if word in _SKIP_BLOCKS:
                continue
        parser.feed_block(first, block)
    return parser.builder
