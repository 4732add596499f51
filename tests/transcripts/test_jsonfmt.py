"""JSON utterances and Gong-style transcripts."""

from __future__ import annotations

import json

import pytest

from miroir.errors import ParseError

from .helpers import parse, triples


def _dump(obj: object) -> str:
    return json.dumps(obj)


def test_utterances_seconds() -> None:
    doc = {"utterances": [
        {"speaker": "Alice", "start": 0.5, "end": 2.25, "text": "Hello"},
        {"speaker": "Alice", "start": "2.5", "end": "4", "text": " there "},
        {"speaker_name": "Bob", "start": 5, "end": 7, "text": "Hi"},
        {"name": 0, "start": None, "text": "numeric speaker"},
        {"text": "no speaker"},
    ]}
    turns, _ = parse(_dump(doc), "u.json")
    assert triples(turns) == [
        ("Alice", "Hello there", 0.5, 4.0),
        ("Bob", "Hi", 5.0, 7.0),
        ("0", "numeric speaker", None, None),
        ("Unknown", "no speaker", None, None),
    ]


def test_bare_list_milliseconds_by_magnitude() -> None:
    doc = [{"speaker": "A", "start": 0, "end": 1500, "text": "x"},
           {"speaker": "B", "start": 90000, "end": 91500, "text": "y"}]
    turns, _ = parse(_dump(doc), "l.json")
    assert triples(turns) == [("A", "x", 0.0, 1.5), ("B", "y", 90.0, 91.5)]


def test_short_call_in_ms_detected_from_durations() -> None:
    doc = [{"speaker": "A", "start": 0, "end": 2400, "text": "x"},
           {"speaker": "B", "start": 2400, "end": 5100, "text": "y"}]
    turns, _ = parse(_dump(doc), "l.json")
    assert [(t.start_s, t.end_s) for t in turns] == [(0.0, 2.4), (2.4, 5.1)]


def test_integer_seconds_stay_seconds() -> None:
    doc = [{"speaker": "A", "start": 0, "end": 4, "text": "x"}, {"speaker": "B", "start": 4, "end": 9, "text": "y"}]
    turns, _ = parse(_dump(doc), "l.json")
    assert [(t.start_s, t.end_s) for t in turns] == [(0.0, 4.0), (4.0, 9.0)]


GONG = {
    "requestId": "r1",
    "callTranscripts": [{
        "callId": "123",
        "transcript": [
            {"speakerId": "111", "topic": "Intro", "sentences": [
                {"start": 460, "end": 1880, "text": "Hi everyone."},
                {"start": 1880, "end": 3200, "text": "Let's begin."}]},
            {"speakerId": "111", "topic": None, "sentences": [{"start": 3300, "end": 4000, "text": "Agenda first."}]},
            {"speakerId": "222", "topic": "Pricing", "sentences": [{"start": 4100, "end": 6500, "text": "Sounds good."}]},
            {"speakerId": 333, "sentences": [{"start": 7000, "end": 8000, "text": "Who am I?"}]},
        ],
    }],
}


def test_gong_with_calls_parties() -> None:
    doc = dict(GONG, calls=[{"metaData": {"id": "123"}, "parties": [
        {"speakerId": "111", "name": "Alice Martin", "affiliation": "Internal"},
        {"speakerId": "222", "name": "Paul Client", "affiliation": "External"},
        {"name": "Silent Guest"},
    ]}])
    turns, _ = parse(_dump(doc), "g.json")
    assert triples(turns) == [
        ("Alice Martin", "Hi everyone. Let's begin. Agenda first.", 0.46, 4.0),
        ("Paul Client", "Sounds good.", 4.1, 6.5),
        ("Speaker 333", "Who am I?", 7.0, 8.0),
    ]


def test_gong_top_level_parties_and_seconds() -> None:
    doc = {"parties": [{"speakerId": "111", "name": "Alice"}],
           "callTranscripts": [{"callId": "1", "transcript": [
               {"speakerId": "111", "sentences": [{"start": 0.5, "end": 1.75, "text": "Hi."}]}]}]}
    turns, _ = parse(_dump(doc), "g.json")
    assert triples(turns) == [("Alice", "Hi.", 0.5, 1.75)]


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"utterances": [{"speaker": "A", "text": "ok"}, {"speaker": "A", "text": "x"},
                         {"speaker": "A", "text": "x"}, {"speaker": "A", "start": {}, "text": "x"}]},
         "utterances[3].start"),
        ({"utterances": [{"speaker": "A", "text": 5}]}, "utterances[0].text"),
        ({"utterances": [{"speaker": "A"}]}, "utterances[0].text"),
        ({"utterances": [{"speaker": ["A"], "text": "x"}]}, "utterances[0].speaker"),
        ({"utterances": [{"speaker": "A", "text": "x", "end": True}]}, "utterances[0].end"),
        ({"utterances": [{"speaker": "A", "text": "x", "end": "soon"}]}, "utterances[0].end"),
        ({"utterances": {"a": 1}}, "utterances"),
        ([1], "[0]"),
        (dict(GONG, callTranscripts=[{"callId": "1", "transcript": [{"speakerId": "1", "sentences": "x"}]}]),
         "callTranscripts[0].transcript[0].sentences"),
        (dict(GONG, callTranscripts=[{"callId": "1", "transcript": [
            {"speakerId": "1", "sentences": [{"start": 1, "text": None}]}]}]),
         "callTranscripts[0].transcript[0].sentences[0].text"),
        (dict(GONG, parties=[{"speakerId": "1", "name": 7}]), "parties[0].name"),
    ],
)
def test_wrong_types_name_the_path(doc: object, path: str) -> None:
    with pytest.raises(ParseError) as err:
        parse(_dump(doc), "bad.json")
    assert err.value.message.startswith(path + ":")


def test_invalid_json_reports_line() -> None:
    with pytest.raises(ParseError, match="not valid JSON") as err:
        parse('{"utterances": [\n{"speaker": "A",\n', "t.json")
    assert err.value.line == 3


def test_deep_nesting_and_huge_numbers_are_parse_errors() -> None:
    with pytest.raises(ParseError):
        parse("[" * 100000 + "]" * 100000, "deep.json")
    with pytest.raises(ParseError):
        parse('[{"speaker": "A", "text": "x", "start": 1' + "0" * 400 + "}]", "big.json")
    with pytest.raises(ParseError):
        parse('[{"speaker": "A", "text": "x", "start": NaN}]', "nan.json")


def test_several_gong_calls_rejected() -> None:
    doc = {"callTranscripts": [GONG["callTranscripts"][0], GONG["callTranscripts"][0]]}  # type: ignore[index]
    with pytest.raises(ParseError, match="2 calls"):
        parse(_dump(doc), "two.json")


def test_unknown_object_shape() -> None:
    with pytest.raises(ParseError, match="without 'utterances'"):
        parse('{"foo": 1}', "x.json")


def test_whisper_segments_without_speakers() -> None:
    doc = {"text": "a b", "segments": [{"start": 0.0, "end": 1.2, "text": " a"}, {"start": 1.2, "end": 2.0, "text": "b"}]}
    turns, _ = parse(_dump(doc), "w.json")
    assert triples(turns) == [("Unknown", "a b", 0.0, 2.0)]


def test_ambiguous_integer_times_use_the_format_default() -> None:
    # median duration 50: could be 50 s or 50 ms -> utterances default to seconds, Gong to milliseconds
    utt = [{"speaker": "A", "start": 0, "end": 50, "text": "x"}, {"speaker": "B", "start": 60, "end": 110, "text": "y"}]
    turns, _ = parse(_dump(utt), "u.json")
    assert [t.end_s for t in turns] == [50.0, 110.0]
    gong = {"callTranscripts": [{"callId": "1", "transcript": [
        {"speakerId": "1", "sentences": [{"start": 0, "end": 50, "text": "x"}]},
        {"speakerId": "2", "sentences": [{"start": 60, "end": 110, "text": "y"}]}]}]}
    turns, _ = parse(_dump(gong), "g.json")
    assert [(t.speaker, t.end_s) for t in turns] == [("Speaker 1", 0.05), ("Speaker 2", 0.11)]


def test_negative_time_dropped_with_warning() -> None:
    turns, warnings = parse('[{"speaker": "A", "text": "x", "start": -1, "end": 2.5}]', "n.json")
    assert triples(turns) == [("A", "x", None, 2.5)]
    assert "[0].start" in warnings[0].message
