"""Engine mechanics: spans, context rules, batch = single, lexicon compiler."""

from __future__ import annotations

import dataclasses
import gc

import pytest

from miroir.language import ENGINE_VERSION, LABELS, Annotation, annotate, annotate_batch, detect_language
from miroir.language.batch import annotate_records
from miroir.language.lexicon import LexiconError, Rule, _compile_layer, expand_leading_groups, split_literal


def test_annotation_is_frozen_with_sorted_labels_and_spans() -> None:
    text = "Je pense que le budget est validé. Qui signe ?"
    ann = annotate(text, "fr", "rep", "customer_call")
    assert isinstance(ann, Annotation)
    assert ann.labels == tuple(sorted(ann.labels))
    assert set(ann.labels) == set(ann.spans)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ann.lang = "en"  # type: ignore[misc]
    # spans are offsets into the original text (case kept)
    assert ann.evidence(text, "hedge") == ["Je pense que"]
    assert ann.evidence(text, "question") == ["Qui signe ?"]
    assert ann.evidence(text, "budget") == ["budget"]


def test_spans_survive_typographic_apostrophes_and_case() -> None:
    text = "BON, J’AI L’IMPRESSION QU’ILS HÉSITENT."
    ann = annotate(text, "fr", "rep", "pipeline_review")
    assert "hedge" in ann.labels
    assert ann.evidence(text, "hedge") == ["J’AI L’IMPRESSION"]


def test_labels_are_the_sixteen_of_the_guide() -> None:
    assert len(LABELS) == 16
    texts = ["Qui signe ?", "I think they will sign, trust me.", "", "   ", "ok", "?!", "..."]
    for t in texts:
        assert set(annotate(t).labels) <= set(LABELS)


def test_empty_and_label_free_turns() -> None:
    assert annotate("", "fr").labels == ()
    assert annotate("Bonjour à tous, merci d'être là.", "fr", "rep").labels == ()
    assert annotate("Good morning everyone.", "en", "rep").labels == ()


def test_question_without_mark_from_interrogative_form() -> None:
    assert "question" in annotate("Est-ce que vous avez un budget pour ça", "fr").labels
    assert "question" in annotate("So do you have a budget for this", "en").labels
    # not at the start of the sentence: not a question form
    assert "question" not in annotate("I know what do you mean", "en").labels


def test_customer_about_own_organisation_is_not_assumption() -> None:
    rep = annotate("Le DAF est convaincu.", "fr", "rep", "pipeline_review")
    cust = annotate("Le DAF est convaincu.", "fr", "customer", "customer_call")
    assert "assumption" in rep.labels and "assumption" not in cust.labels


def test_reported_speech_with_source_is_not_assumption_but_hedge_stays() -> None:
    ann = annotate("Je pense qu'ils m'ont dit qu'ils signent.", "fr", "rep", "pipeline_review")
    assert "assumption" not in ann.labels
    assert "hedge" in ann.labels


def test_negated_hedge_bears_assumption() -> None:
    ann = annotate("je ne pense pas qu'ils signent", "fr", "rep", "pipeline_review")
    assert {"hedge", "assumption"} <= set(ann.labels)
    ann = annotate("I don't think they'll sign before year end.", "en", "rep", "pipeline_review")
    assert {"hedge", "assumption"} <= set(ann.labels)


def test_detect_language() -> None:
    assert detect_language("Je pense que c'est une bonne idée") == "fr"
    assert detect_language("I think this is a good idea") == "en"
    assert detect_language("12345", default="fr") == "fr"
    assert annotate("Qui signe chez vous ?").lang == "fr"


def test_batch_equals_single_in_process_and_in_parallel() -> None:
    texts = [
        ("Qui signe chez vous ?", "fr", "rep", "customer_call"),
        ("I think they're ready.", None, "rep", "pipeline_review"),
        ("Le budget est validé ?", None, "customer", None),
        {"text": "Trust me, it will close.", "role": "rep"},
        "On perd deux jours par mois.",
        ("", None, None, None),
    ] * 50
    single = [annotate(*((t["text"], None, t.get("role"), None) if isinstance(t, dict) else
                         (t,) if isinstance(t, str) else t)) for t in texts]
    assert annotate_batch(texts, n_jobs=1) == single
    assert annotate_batch(texts, n_jobs=2, chunk_size=40, min_parallel=0) == single


def test_joined_scan_keeps_utterances_apart() -> None:
    # a cue must not span two utterances, and a '?' closes only its own utterance
    out = annotate_records([("je pense", "fr", None, None), ("que oui ?", "fr", None, None),
                            ("Budget", "en", None, None), ("is fine", "en", None, None)], learned=False)
    assert out[0][1] == {"hedge": [(0, 8)]}
    assert out[1][1] == {"question": [(0, 9)]}
    assert "budget" in out[2][1] and out[3][1] == {}


def test_engine_version_depends_on_lexicon_files() -> None:
    assert ENGINE_VERSION.count("-") == 1 and len(ENGINE_VERSION.split("-")[1]) == 12


def _rule(feature: str = "hedge") -> Rule:
    return Rule(feature, (), False, None, frozenset(), None, frozenset(), "test")


def test_compiler_trie_matches_longest_and_resolves_rules() -> None:
    layer = _compile_layer([(_rule("hedge"), ["je pense", "je (?:ne )?crois~"]),
                            (_rule("pressure"), ["je pense que ça signe"])], "test")
    low = "alors je pense que ça signe. je ne crois pas"
    found = [(m.group(), [r.feature for r in layer.rules_at(low, *m.span())]) for m in layer.regex.finditer(low)]
    assert found == [("je pense que ça signe", ["pressure"]), ("je ne crois", ["hedge"])]


def test_compiler_helpers() -> None:
    assert expand_leading_groups("(?:a|b)c") == ["ac", "bc"]
    assert expand_leading_groups("(?:x )?y") == ["x y", "y"]
    assert split_literal("je (?:ne )?pense") == ("je ", "(?:ne )?pense")
    assert split_literal("ils?") == ("il", "s?")
    assert split_literal("n\\+1") == ("n+1", "")


@pytest.mark.parametrize("patterns,match", [(["(a"], "bad pattern"), (["?x"], "bad pattern"), (["\\w+x"], "literal"),
                                            (["a(b)"], "capturing")])
def test_compiler_rejects_bad_patterns(patterns: list[str], match: str) -> None:
    with pytest.raises(LexiconError, match=match):
        _compile_layer([(_rule(), patterns)], "test.toml")


def test_stray_question_mark_is_not_a_sentence() -> None:
    text = "? Uh can you change any of those at all ?"
    assert annotate(text, "en").evidence(text, "question") == ["Uh can you change any of those at all ?"]
    assert "question" not in annotate("?", "en").labels


# --------------------------------------------------------------------------- lexicon compilation
def _layers(rules: list[dict[str, object]], topic_rules: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    from miroir.language.lexicon import _compile_layer, _parse_rule

    topic = [_parse_rule({"comment": "t", **r}, "test") for r in topic_rules]
    act = [_parse_rule({"comment": "a", **r}, "test") for r in rules] + topic
    inner = _compile_layer(topic, "test")
    return _compile_layer(act, "test", inner=inner)


def _features(layer, low: str) -> list[set[str]]:  # type: ignore[no-untyped-def]
    """Features of each cue found in ``low``, through the memo as the engine reads them."""
    out = []
    for m in layer.regex.finditer(low):
        acts = layer.memo.get(m.group()) or layer.actions(low, *m.span())
        out.append({f for direct, marks, *_ in acts for f in direct + marks})
    return out


def test_topic_cue_inside_a_cue_that_is_itself_a_topic_cue() -> None:
    # "pouvoir sur le budget" is a decision-maker topic cue; "budget" inside it is still budget
    layer = _layers([], [{"feature": "decision_maker", "patterns": ["pouvoir sur le budget"]},
                         {"feature": "budget", "patterns": ["budget"]}])
    assert _features(layer, "il a le pouvoir sur le budget") == [{"decision_maker", "budget"}]


def test_cue_with_lookahead_is_decided_at_each_occurrence() -> None:
    layer = _layers([{"feature": "pressure", "patterns": ["vendredi(?= dernier délai)"]}],
                    [{"feature": "timeline", "patterns": ["vendredi"]}])
    first = _features(layer, "vendredi on se voit")  # the guarded cue does not apply here ...
    second = _features(layer, "vendredi dernier délai")  # ... but applies here: not memoised from the first
    assert first == [{"timeline"}]
    assert second == [{"timeline", "pressure"}]


def test_tilde_inside_a_pattern_is_an_open_word_ending() -> None:
    layer = _layers([], [{"feature": "timeline", "patterns": ["roll~ out"]}])
    assert _features(layer, "we rolled out in may, rolls out") == [{"timeline"}, {"timeline"}]


def test_contextual_pattern_does_not_stop_memoising_other_cues() -> None:
    # "issue~(?= log)" may only match cue texts like "issue", "issues": other cues starting
    # with "i" stay memoised by their text (the memo is what makes the scan fast)
    layer = _layers([{"feature": "pain", "patterns": ["issue~(?! log)"]}],
                    [{"feature": "budget", "patterns": ["invoice"]}])
    assert _features(layer, "the invoice issue") == [{"budget"}, {"pain"}]
    assert _features(layer, "the issue log") == []  # the scan itself applies the lookahead
    assert "invoice" in layer.memo
    assert "issue" not in layer.memo  # decided at each occurrence


def test_batch_annotation_leaves_the_garbage_collector_as_it_found_it() -> None:
    records = [("I think the CFO signs off by Friday?", "en", "rep", "pipeline_review")] * 3
    was = gc.isenabled()
    try:
        gc.enable()
        first = annotate_records(records)
        assert gc.isenabled()
        gc.disable()
        assert annotate_records(records) == first
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
