"""Format selection, file reading, size limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from miroir.errors import ParseError
from miroir.importers.transcripts import parse_transcript, parse_transcript_file
from miroir.importers.transcripts.detect import sniff


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        ("WEBVTT\n\n", "vtt"),
        ('{"utterances": []}', "json"),
        ('[ {"speaker": "a"}]', "json"),
        ("[00:01] Ann: hi", "txt"),
        ("1\n00:00:01,000 --> 00:00:02,000\n", "srt"),
        ("00:00:01.000 --> 00:00:02.000\nAnn: hi", "vtt"),
        ("Ann: hi", "txt"),
    ],
)
def test_sniff(head: str, fmt: str) -> None:
    assert sniff(head) == fmt


def test_extension_wins_and_explicit_fmt_overrides() -> None:
    data = b"Ann: hello\n"
    assert parse_transcript(data, filename="a.txt")[0].speaker == "Ann"
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_transcript(data, filename="a.json")
    assert parse_transcript(data, filename="a.json", fmt="txt")[0].text == "hello"
    with pytest.raises(ParseError, match="unknown transcript format"):
        parse_transcript(data, filename="a.txt", fmt="docx")


def test_txt_named_file_with_webvtt_header_is_read_as_vtt() -> None:
    turns = parse_transcript(b"WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>hi\n", filename="zoom.txt")
    assert (turns[0].speaker, turns[0].start_s) == ("Ann", 1.0)


def test_file_reading_and_limits(tmp_path: Path) -> None:
    p = tmp_path / "call.srt"
    p.write_bytes(b"1\n00:00:01,000 --> 00:00:02,000\nAnn: hi\n")
    assert parse_transcript_file(p)[0].end_s == 2.0
    with pytest.raises(ParseError, match="larger than"):
        parse_transcript_file(p, max_bytes=10)
    with pytest.raises(ParseError, match="not found"):
        parse_transcript_file(tmp_path / "missing.vtt")
    with pytest.raises(ParseError, match="folder"):
        parse_transcript_file(tmp_path)


def test_display_name_without_extension_uses_real_extension(tmp_path: Path) -> None:
    p = tmp_path / "call.json"
    p.write_text('[{"speaker": "Ann", "text": "hi"}]', encoding="utf-8")
    assert parse_transcript_file(p, filename="conversation c1")[0].speaker == "Ann"
    with pytest.raises(ParseError) as err:
        parse_transcript_file(tmp_path / "nope.json", filename="transcripts/nope.json")
    assert str(err.value).startswith("transcripts/nope.json")


def test_unexpected_failures_become_parse_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import miroir.importers.transcripts.parse as parse_mod

    def boom(*_a: object, **_k: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(parse_mod, "parse_text", boom)
    with pytest.raises(ParseError, match="internal error.*KeyError"):
        parse_transcript(b"Ann: hi", filename="a.txt")

    def oom(*_a: object, **_k: object) -> None:
        raise MemoryError

    monkeypatch.setattr(parse_mod, "parse_text", oom)
    with pytest.raises(ParseError, match="not enough memory"):
        parse_transcript(b"Ann: hi", filename="a.txt")
