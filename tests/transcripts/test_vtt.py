"""WebVTT: Zoom, Teams and Meet shapes, merge, tags, broken timestamps."""

from __future__ import annotations

import pytest

from miroir.errors import ParseError

from .helpers import parse, triples

ZOOM = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Alice Martin: Hello everyone,
thanks for joining.

2
00:00:04.000 --> 00:00:06.500
Alice Martin: Shall we start?

3
00:00:07.000 --> 00:00:09.250
Bob Durand: Sure, go ahead.
"""

TEAMS = """WEBVTT

a1b2c3d4-0001/12-0
00:00:00.500 --> 00:00:02.000
<v Alice Martin>Bonjour à tous.</v>

a1b2c3d4-0001/13-0
00:00:02.000 --> 00:00:03.000
<v Bob Durand>Bonjour Alice.</v>
"""


def test_zoom_prefix_multiline_and_merge() -> None:
    turns, warnings = parse(ZOOM, "z.vtt")
    assert triples(turns) == [
        ("Alice Martin", "Hello everyone, thanks for joining. Shall we start?", 1.0, 6.5),
        ("Bob Durand", "Sure, go ahead.", 7.0, 9.25),
    ]
    assert warnings == []


def test_teams_voice_tags_with_closing_tag() -> None:
    turns, _ = parse(TEAMS, "t.vtt")
    assert triples(turns) == [
        ("Alice Martin", "Bonjour à tous.", 0.5, 2.0),
        ("Bob Durand", "Bonjour Alice.", 2.0, 3.0),
    ]


def test_voice_tag_without_close_class_annotation_and_other_tags() -> None:
    text = """WEBVTT - with header text
Kind: captions

STYLE
::cue { color: yellow }

NOTE a comment
spanning lines

00:01.000 --> 00:02.000 align:start position:10%
<v.loud.first Esme Dubois>It's <i>really</i> <c.yellow>big</c> <00:01.500>&amp; loud

00:02.000 --> 01:00:03.125
<v Esme Dubois><b>Yes</b>.
"""
    turns, warnings = parse(text, "x.vtt")
    assert triples(turns) == [("Esme Dubois", "It's really big & loud Yes.", 1.0, 3603.125)]
    assert warnings == []


def test_two_voices_in_one_cue() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ann>Hi</v> <v Ben>Hello</v>\n"
    turns, _ = parse(text, "x.vtt")
    assert triples(turns) == [("Ann", "Hi", 1.0, 3.0), ("Ben", "Hello", 1.0, 3.0)]


def test_cue_without_speaker_is_unknown() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>Hi</v>\n\n00:00:02.000 --> 00:00:03.000\njust words\n"
    turns, _ = parse(text, "x.vtt")
    assert [t.speaker for t in turns] == ["Ann", "Unknown"]


def test_broken_timestamp_keeps_text_and_warns() -> None:
    text = """WEBVTT

1
00:00:01.000 --> 00:00:02.000
<v Ann>One.

2
00:00:xx.000 --> 00:00:04.000
<v Ben>Two.

3
00:00:05.000 --> 00:00:04.000
<v Cid>Three.
"""
    turns, warnings = parse(text, "b.vtt")
    assert triples(turns) == [("Ann", "One.", 1.0, 2.0), ("Ben", "Two.", None, None), ("Cid", "Three.", 5.0, None)]
    assert [w.line for w in warnings] == [8, 12]
    assert "broken timestamp" in warnings[0].message


def test_block_without_timing_continues_previous_speaker() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>First part\n\nsecond part after a stray blank line\n"
    turns, warnings = parse(text, "b.vtt")
    assert triples(turns) == [("Ann", "First part second part after a stray blank line", 1.0, 2.0)]
    assert warnings and warnings[0].line == 6


def test_cues_glued_without_blank_lines() -> None:
    text = "WEBVTT\n00:00:01.000 --> 00:00:02.000\nAnn: one\n2\n00:00:02.000 --> 00:00:03.000\nBen: two\n"
    turns, _ = parse(text, "g.vtt")
    assert triples(turns) == [("Ann", "one", 1.0, 2.0), ("Ben", "two", 2.0, 3.0)]


def test_crlf_bom_and_no_header_text() -> None:
    data = ("\ufeffWEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\r\n<v Zoé>Ça va ?\r\n").encode()
    turns, _ = parse(data, "c.vtt")
    assert triples(turns) == [("Zoé", "Ça va ?", 1.0, 2.0)]


def test_only_header_raises_no_turns() -> None:
    with pytest.raises(ParseError, match="no speaker turns"):
        parse("WEBVTT\n\nNOTE nothing here\n", "e.vtt")


def test_url_and_note_inside_cue_do_not_create_speakers() -> None:
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\nAnn: see https://example.com/a\n"
            "Note: the price is final\n")
    turns, _ = parse(text, "u.vtt")
    assert triples(turns) == [("Ann", "see https://example.com/a Note: the price is final", 1.0, 5.0)]


def test_missing_header_is_a_warning_not_an_error() -> None:
    turns, warnings = parse("00:00:01.000 --> 00:00:02.000\n<v Ann>hi\n", "h.vtt")
    assert [(t.speaker, t.text) for t in turns] == [("Ann", "hi")]
    assert warnings[0].line == 1 and "WEBVTT" in warnings[0].message


def test_warnings_are_capped_and_counted() -> None:
    body = "".join(f"00:00:{i % 60:02d}.x00 --> 00:00:59.000\n<v S{i % 2}>t{i}\n\n" for i in range(300))
    turns, warnings = parse("WEBVTT\n\n" + body, "many.vtt")
    assert len(turns) == 300 and all(t.start_s is None for t in turns)
    assert len(warnings) == 201 and warnings[-1].message.startswith("100 more warnings")
