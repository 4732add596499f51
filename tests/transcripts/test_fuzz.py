"""Hypothesis: arbitrary and format-shaped input never crashes a parser, and
well-formed transcripts round-trip through every format."""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miroir.errors import ParseError
from miroir.importers.transcripts import Turn, parse_transcript_ex
from miroir.importers.transcripts.parse import _parse_unguarded

# MIROIR_FUZZ_EXAMPLES=20000 runs a long fuzz session (CI uses the bounded default).
_N = int(os.environ.get("MIROIR_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=_N, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = {None: "noext", "vtt": "f.vtt", "srt": "f.srt", "txt": "f.txt", "json": "f.json"}


def _check(data: bytes, fmt: str | None) -> None:
    """Parse with the unguarded core so that a bug surfaces as its own exception."""
    try:
        turns, warnings = _parse_unguarded(data, filename=NAMES[fmt], fmt=None)
    except ParseError as err:
        assert err.message and err.file == NAMES[fmt]
        return
    assert turns
    for t in turns:
        assert isinstance(t, Turn)
        assert t.speaker and t.speaker == t.speaker.strip()
        assert t.text and t.text == t.text.strip()
        for v in (t.start_s, t.end_s):
            assert v is None or (math.isfinite(v) and v >= 0)
    assert len(warnings) <= 201


@FUZZ
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(sorted(NAMES, key=str)))
def test_arbitrary_bytes(data: bytes, fmt: str | None) -> None:
    _check(data, fmt)


_TS = st.builds(
    lambda h, m, s, ms, sep: f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}",
    st.integers(0, 120), st.integers(0, 70), st.integers(0, 70), st.integers(0, 999), st.sampled_from([".", ","]),
)
_FRAGMENT = st.one_of(
    st.just(""), st.just("WEBVTT"), st.just("NOTE x"), st.just("STYLE"), st.just("-->"),
    st.builds(lambda a, b, s: f"{a} --> {b}{s}", _TS, _TS, st.sampled_from(["", " align:start", "x"])),
    st.builds(lambda a: f"[{a[:8]}]", _TS), st.builds(lambda a: a[3:9], _TS),
    st.sampled_from(["<v Ann>", "<v.loud Bob Li>", "</v>", "<v>", "<c.red>", "</c>", "<i>", "<00:01.000>",
                     "&amp;", "&#xFFFFFFFF;", "{\\an8}", "Ann:", "Bob Li :", "Note:", "https://x",
                     "Zoé (00:01:02):", "Ann  0:03", "- ", "1", "é", "\u00a0", "\t", ":", "<", ">"]),
    st.text(max_size=12),
)
_LINE = st.lists(_FRAGMENT, max_size=5).map(" ".join)
_DOC = st.lists(_LINE, max_size=25).map("\n".join)


@FUZZ
@given(doc=_DOC, fmt=st.sampled_from(["vtt", "srt", "txt", None]),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]), crlf=st.booleans())
def test_format_shaped_text(doc: str, fmt: str | None, enc: str, crlf: bool) -> None:
    if crlf:
        doc = doc.replace("\n", "\r\n")
    _check(doc.encode(enc, errors="replace"), fmt)


_KEYS = st.sampled_from(["utterances", "speaker", "speaker_name", "name", "start", "end", "text", "callTranscripts",
                         "transcript", "speakerId", "sentences", "parties", "calls", "callId", "topic"])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(_KEYS, kids, max_size=5),
    max_leaves=25,
)


@FUZZ
@given(doc=_JSON)
def test_json_shaped(doc: object) -> None:
    _check(json.dumps(doc).encode(), "json")


# ---- round trip -------------------------------------------------------------------------------------
_SPEAKERS = ["Alice", "Bob Durand", "Hélène", "Jean-Pierre Olivier", "Speaker 1", "Zoë O'Neil"]
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèçàABCZ0123456789.,!?'-", min_size=1, max_size=8)
_CUE = st.tuples(st.sampled_from(_SPEAKERS), st.lists(_WORD, min_size=1, max_size=6).map(" ".join),
                 st.integers(0, 5000), st.integers(200, 4000))  # realistic durations (ms)


def _cues(raw: list[tuple[str, str, int, int]]) -> list[tuple[str, str, int, int]]:
    """Absolute increasing times in ms: (speaker, text, start_ms, end_ms)."""
    out, t = [], 0
    for speaker, text, gap, dur in raw:
        start = t + gap
        out.append((speaker, text, start, start + dur))
        t = start + dur
    return out


def _expected(cues: list[tuple[str, str, int, int]]) -> list[tuple[str, str, float, float]]:
    merged: list[list] = []
    for speaker, text, s, e in cues:
        if merged and merged[-1][0] == speaker:
            merged[-1][1] += " " + text
            merged[-1][3] = e / 1000
        else:
            merged.append([speaker, text, s / 1000, e / 1000])
    return [tuple(m) for m in merged]  # type: ignore[misc]


def _clock(ms: int, sep: str) -> str:
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, milli = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{milli:03d}"


def _render(fmt: str, cues: list[tuple[str, str, int, int]]) -> tuple[str, str]:
    if fmt == "vtt":
        body = "".join(f"{i}\n{_clock(s, '.')} --> {_clock(e, '.')}\n<v {sp}>{tx}</v>\n\n"
                       for i, (sp, tx, s, e) in enumerate(cues, 1))
        return "c.vtt", "WEBVTT\n\n" + body
    if fmt == "vttp":
        return "c.vtt", "WEBVTT\n\n" + "".join(f"{_clock(s, '.')} --> {_clock(e, '.')}\n{sp}: {tx}\n\n"
                                               for sp, tx, s, e in cues)
    if fmt == "srt":
        return "c.srt", "".join(f"{i}\n{_clock(s, ',')} --> {_clock(e, ',')}\n{sp}: {tx}\n\n"
                                for i, (sp, tx, s, e) in enumerate(cues, 1))
    if fmt == "json":
        return "c.json", json.dumps({"utterances": [{"speaker": sp, "start": s / 1000 + 0.0005, "end": e / 1000 + 0.0005,
                                                     "text": tx} for sp, tx, s, e in cues]})
    if fmt == "gong":
        return "c.json", json.dumps({
            "callTranscripts": [{"callId": "1", "transcript": [
                {"speakerId": str(_SPEAKERS.index(sp)), "sentences": [{"start": s, "end": e, "text": tx}]}
                for sp, tx, s, e in cues]}],
            "parties": [{"speakerId": str(i), "name": n} for i, n in enumerate(_SPEAKERS)]})
    return "c.txt", "".join(f"[{_clock(s, '.')[:8]}] {sp}: {tx}\n" for sp, tx, s, _e in cues)


@settings(max_examples=max(60, _N // 3), deadline=None)
@given(raw=st.lists(_CUE, min_size=1, max_size=12), fmt=st.sampled_from(["vtt", "vttp", "srt", "json", "gong", "txt"]))
def test_round_trip(raw: list[tuple[str, str, int, int]], fmt: str) -> None:
    cues = _cues(raw)
    name, text = _render(fmt, cues)
    turns, warnings = parse_transcript_ex(text.encode(), filename=name)
    expected = _expected(cues)
    assert [(t.speaker, t.text) for t in turns] == [(e[0], e[1]) for e in expected]
    starts = [t.start_s for t in turns]
    if fmt == "txt":
        assert starts == [float(int(e[2])) for e in expected]
        assert all(t.end_s is None for t in turns)
    elif fmt == "json":
        assert starts == pytest.approx([e[2] + 0.0005 for e in expected])
        assert [t.end_s for t in turns] == pytest.approx([e[3] + 0.0005 for e in expected])
    else:
        assert starts == pytest.approx([e[2] for e in expected])
        assert [t.end_s for t in turns] == pytest.approx([e[3] for e in expected])
    assert warnings == []
