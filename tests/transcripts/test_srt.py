"""SubRip."""

from __future__ import annotations

from .helpers import parse, triples

SRT = """1
00:00:01,000 --> 00:00:04,000
Alice: Bonjour,
je suis Alice.

2
00:00:04,000 --> 00:00:05,500
Alice: On commence ?

3
00:00:06,000 --> 00:00:08,000
<i>Marc Petit:</i> Oui, allons-y.

4
00:01:00,250 --> 00:01:02,000
{\\an8}sans locuteur
"""


def test_srt_prefix_merge_tags() -> None:
    turns, warnings = parse(SRT, "s.srt")
    assert triples(turns) == [
        ("Alice", "Bonjour, je suis Alice. On commence ?", 1.0, 5.5),
        ("Marc Petit", "Oui, allons-y.", 6.0, 8.0),
        ("Unknown", "sans locuteur", 60.25, 62.0),
    ]
    assert warnings == []


def test_srt_windows_1252_crlf() -> None:
    data = "1\r\n00:00:01,000 --> 00:00:02,000\r\nRené: Café élevé\r\n".encode("cp1252")
    turns, _ = parse(data, "w.srt")
    assert triples(turns) == [("René", "Café élevé", 1.0, 2.0)]


def test_srt_utf16_with_bom() -> None:
    data = "\ufeff1\n00:00:01,000 --> 00:00:02,000\nRené: été\n".encode("utf-16-le")
    turns, _ = parse(data, "w.srt")
    assert triples(turns) == [("René", "été", 1.0, 2.0)]


def test_srt_broken_timing_kept() -> None:
    text = "1\n00:00:01,000 -> 00:00:02,000\nAnn: hi\n\n2\n00:00:03,000 --> 00:00:04,000\nBen: yo\n"
    turns, warnings = parse(text, "b.srt")
    assert triples(turns) == [("Ann", "hi", None, None), ("Ben", "yo", 3.0, 4.0)]
    assert warnings[0].line == 2


def test_srt_sniffed_without_extension() -> None:
    turns, _ = parse("1\n00:00:01,000 --> 00:00:02,000\nAnn: hi\n", "noext")
    assert triples(turns) == [("Ann", "hi", 1.0, 2.0)]
