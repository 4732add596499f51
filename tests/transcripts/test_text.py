"""Plain text."""

from __future__ import annotations

import pytest

from miroir.errors import ParseError

from .helpers import parse, triples


def test_plain_name_prefix_and_continuation() -> None:
    text = """Alice: Hello.
We have a lot to cover.
Note: the slides are at https://x.example/deck

Bob : D'accord, on y va.
Bob: Second line by Bob.
"""
    turns, warnings = parse(text, "p.txt")
    assert triples(turns) == [
        ("Alice", "Hello. We have a lot to cover. Note: the slides are at https://x.example/deck", None, None),
        ("Bob", "D'accord, on y va. Second line by Bob.", None, None),
    ]
    assert warnings == []


def test_timestamp_shapes() -> None:
    text = """[00:00:05] Alice: one
[01:10] Bob: two
Claire (00:12:31): three
00:13:00 Dan Smith: four
00:13:30 - Eve: five
(00:14:00) Alice: six
"""
    turns, _ = parse(text, "t.txt")
    assert triples(turns) == [
        ("Alice", "one", 5.0, None),
        ("Bob", "two", 70.0, None),
        ("Claire", "three", 751.0, None),
        ("Dan Smith", "four", 780.0, None),
        ("Eve", "five", 810.0, None),
        ("Alice", "six", 840.0, None),
    ]


def test_otter_style_header_lines() -> None:
    text = "Alice Martin  0:03\nHello there.\nMore.\n\nBob  1:15\nHi.\n"
    turns, _ = parse(text, "o.txt")
    assert triples(turns) == [("Alice Martin", "Hello there. More.", 3.0, None), ("Bob", "Hi.", 75.0, None)]


def test_sentence_with_colon_is_not_a_speaker() -> None:
    text = "Alice: intro\nThe thing we need is: a budget\nwhat do you think: really?\n10:30 we meet again\n"
    turns, _ = parse(text, "s.txt")
    assert triples(turns) == [
        ("Alice", "intro The thing we need is: a budget what do you think: really? 10:30 we meet again", None, None)
    ]


def test_text_before_first_speaker_is_kept_as_unknown() -> None:
    turns, warnings = parse("Meeting transcript\nAlice: hi\n", "u.txt")
    assert triples(turns) == [("Unknown", "Meeting transcript", None, None), ("Alice", "hi", None, None)]
    assert warnings[0].line == 1


def test_windows_1252_and_mixed_line_endings() -> None:
    data = "Hélène: première ligne\r\nsuite\rJosé: réponse\n".encode("cp1252")
    turns, _ = parse(data, "w.txt")
    assert triples(turns) == [("Hélène", "première ligne suite", None, None), ("José", "réponse", None, None)]


def test_utf8_bom_and_french_nbsp_colon() -> None:
    data = "\ufeffMarie\u00a0: Bonjour\u202f!\n".encode()
    turns, _ = parse(data, "f.txt")
    assert triples(turns) == [("Marie", "Bonjour !", None, None)]


def test_blank_file_raises() -> None:
    with pytest.raises(ParseError, match="no speaker turns") as err:
        parse("\n\n  \n", "empty.txt")
    assert err.value.file == "empty.txt"


def test_binary_file_raises() -> None:
    with pytest.raises(ParseError, match="NUL"):
        parse(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "img.txt")


def test_mostly_utf8_with_one_bad_byte_stays_utf8_with_warning() -> None:
    data = "Zoé: déjà vu, été, ça\n".encode() * 5 + b"Bob: caf\xe9\n"
    turns, warnings = parse(data, "m.txt")
    assert turns[0].text.startswith("déjà vu")
    assert turns[-1] == turns[-1].__class__("Bob", "caf\ufffd", None, None)
    assert warnings and warnings[0].line == 6
