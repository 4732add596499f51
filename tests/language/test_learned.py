"""The learned layer (miroir.language.learned): features, decisions, evidence, model files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from miroir.language import LABELS, annotate, annotate_batch, learned
from miroir.language.learned import (
    CONTEXTS,
    ROLES,
    TOKEN_RE,
    LearnedModel,
    Vocabulary,
    _Index,
    decide,
    load_model,
    refine,
    tokenize_joined,
)
from miroir.language.lexicon import LexiconError, learned_path

COL = {label: i for i, label in enumerate(LABELS)}
T = TypeVar("T")
GOLD = Path(__file__).resolve().parents[1] / "gold"
BUILT = learned._fastlayer is not None  # the optional C accelerator (src/miroir/language/_fastlayer.c)
needs_c = pytest.mark.skipif(not BUILT, reason="the C accelerator is not built (no compiler at install)")


@pytest.fixture(params=["c", "numpy"])
def layer_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test through the C accelerator and through the numpy path."""
    if request.param == "c" and not BUILT:
        pytest.skip("the C accelerator is not built")
    monkeypatch.setattr(learned, "USE_FAST", request.param == "c")
    return str(request.param)


def tiny_model(**weights: dict[str, float]) -> LearnedModel:
    """A model over the words 'nightmare', 'budget' and the pair 'no way'; every label decided
    except question; bias -5 (nothing is added without a feature), threshold 0.5,
    removal under 0.2. ``weights``: ``{feature: {label: weight}}`` where a feature is an n-gram,
    ``rule:<label>`` or ``marker:<name>``."""
    vocab = Vocabulary(("budget", "nightmare", "no", "way"), ("budget", "nightmare"), (("no", "way"),))
    w_ngram = np.zeros((len(vocab), len(LABELS)))
    w_rule = np.zeros((len(LABELS), len(LABELS)))
    markers = ("source",)
    w_marker = np.zeros((1, len(LABELS)))
    for feature, per_label in weights.items():
        for label, w in per_label.items():
            if feature.startswith("rule:"):
                w_rule[COL[feature[5:]], COL[label]] = w
            elif feature.startswith("marker:"):
                w_marker[markers.index(feature[7:]), COL[label]] = w
            else:
                w_ngram[vocab.names.index(feature), COL[label]] = w
    return LearnedModel(
        lang="en", vocab=vocab, w_ngram=w_ngram, w_rule=w_rule, markers=markers, w_marker=w_marker,
        w_role=np.zeros((len(ROLES) + 1, len(LABELS))), w_context=np.zeros((len(CONTEXTS) + 1, len(LABELS))),
        bias=np.full(len(LABELS), -5.0), threshold=0.5, remove_below=0.2,
        decided=tuple(label for label in LABELS if label != "question"),
        trained_on=("test",),
    )


def test_ngram_matrix_counts_unigrams_and_bigrams_per_turn() -> None:
    vocab = Vocabulary.fit(["the budget is the budget", "no way", "no way out"], min_count=2)
    assert vocab.unigrams == ("budget", "no", "the", "way")
    assert vocab.bigrams == (("no", "way"), ("the", "budget"))
    m = _Index(vocab).matrix(["the budget is the budget", "no way", "unknown words only", "no  way"]).toarray()
    names = vocab.names
    assert m[0, names.index("budget")] == 2 and m[0, names.index("the budget")] == 2
    assert m[0, names.index("no way")] == 0
    assert m[1, names.index("no way")] == 1 and m[1, names.index("no")] == 1
    assert m[2].sum() == 0
    assert m[3, names.index("no way")] == 1  # tokens, not characters: two spaces are one gap


def test_added_label_has_the_heaviest_word_as_evidence(layer_path: str) -> None:
    model = tiny_model(nightmare={"pain": 8.0}, budget={"pain": 6.0})
    low = "the budget process is a nightmare"
    results: list[dict[str, list[tuple[int, int]]]] = [{}]
    refine(model, [low], results, ["customer"], ["customer_call"], [set()])
    assert results[0] == {"pain": [(low.index("nightmare"), len(low))]}


def test_bigram_evidence_spans_both_words(layer_path: str) -> None:
    model = tiny_model(**{"no way": {"defensive": 9.0}})
    low = "no way, no way it slips"
    results: list[dict[str, list[tuple[int, int]]]] = [{}]
    refine(model, [low], results, ["rep"], ["pipeline_review"], [set()])
    assert results[0] == {"defensive": [(0, 6)]}


def test_on_a_tie_a_word_wins_over_the_pair_it_ends(layer_path: str) -> None:
    model = _vocab_model()
    model.w_ngram[:] = 0.0
    names = model.vocab.names
    model.w_ngram[[names.index("?"), names.index("é ?")], COL["defensive"]] = 9.0
    results: list[dict[str, list[tuple[int, int]]]] = [{}]
    refine(model, ["é ?"], results, ["rep"], ["pipeline_review"], [set()])
    assert results[0] == {"defensive": [(2, 3)]}


def test_rule_label_is_kept_unless_the_model_is_sure_it_is_wrong(layer_path: str) -> None:
    low = "budget"
    kept = [{"budget": [(0, 6)]}]
    refine(tiny_model(**{"rule:budget": {"budget": 4.0}}), [low], kept, [None], [None], [set()])
    assert kept == [{"budget": [(0, 6)]}]  # p = sigmoid(-1) = 0.27 >= 0.2: kept with its rule span
    removed = [{"budget": [(0, 6)]}]
    refine(tiny_model(**{"rule:budget": {"budget": 3.0}}), [low], removed, [None], [None], [set()])
    assert removed == [{}]  # p = sigmoid(-2) = 0.12 < 0.2


def test_label_added_from_a_rule_label_takes_that_rule_span_as_evidence(layer_path: str) -> None:
    model = tiny_model(**{"rule:timeline": {"decision_process": 9.0, "timeline": 9.0}})
    results = [{"timeline": [(3, 9)]}]
    refine(model, ["by friday"], results, [None], [None], [set()])
    assert results == [{"timeline": [(3, 9)], "decision_process": [(3, 9)]}]


def test_label_without_evidence_is_not_added(layer_path: str) -> None:
    model = tiny_model(**{"marker:source": {"budget": 9.0}})
    results: list[dict[str, list[tuple[int, int]]]] = [{}]
    refine(model, ["they told me"], results, [None], [None], [{"source"}])
    assert results == [{}]


def test_a_named_source_blocks_an_added_assumption(layer_path: str) -> None:
    model = tiny_model(nightmare={"assumption": 9.0})
    with_source: list[dict[str, list[tuple[int, int]]]] = [{}]
    refine(model, ["their cfo told me it's a nightmare"], with_source, ["rep"], ["pipeline_review"], [{"source"}])
    assert with_source == [{}]
    without: list[dict[str, list[tuple[int, int]]]] = [{}]
    refine(model, ["it's a nightmare for them"], without, ["rep"], ["pipeline_review"], [set()])
    assert list(without[0]) == ["assumption"]


def test_open_question_is_added_only_inside_a_question_the_rules_found(layer_path: str) -> None:
    model = tiny_model(**{"rule:question": {"open_question": 9.0, "question": 9.0},
                          "nightmare": {"open_question": 9.0}})
    results = [{"question": [(0, 22)]}, {}]
    refine(model, ["why is it a nightmare?", "it's a nightmare."], results, [None, None], [None, None],
           [set(), set()])
    assert results == [{"question": [(0, 22)], "open_question": [(0, 22)]}, {}]
    rules = np.zeros((1, len(LABELS)), dtype=bool)
    proba = np.zeros((1, len(LABELS)))
    proba[0, COL["open_question"]] = 0.99
    assert not decide(rules, proba, np.ones(len(LABELS), dtype=bool), 0.5, 0.2)[0, COL["open_question"]]


def test_decide_keeps_adds_and_removes_by_the_two_thresholds() -> None:
    h, p = COL["hedge"], COL["pain"]
    rules = np.zeros((3, len(LABELS)), dtype=bool)
    rules[0, h] = rules[1, h] = True
    proba = np.zeros((3, len(LABELS)))
    proba[:, h] = [0.15, 0.25, 0.9]
    proba[:, p] = [0.6, 0.45, 0.9]
    blocked = np.zeros((3, len(LABELS)), dtype=bool)
    blocked[2, p] = True
    out = decide(rules, proba, np.ones(len(LABELS), dtype=bool), threshold=0.5, remove_below=0.2, blocked=blocked)
    assert out[:, [h, p]].tolist() == [[False, True], [True, False], [True, False]]
    assert out.sum() == 3


def test_json_round_trip_keeps_the_scores() -> None:
    model = tiny_model(**{"nightmare": {"pain": 1.2345}, "no way": {"defensive": -0.5}, "rule:hedge": {"assumption": 2.0}})
    back = LearnedModel.from_json(model.to_json(), "test")
    lows = ["a nightmare", "no way", "budget"]
    rules = np.zeros((3, len(LABELS)))
    rules[2, COL["hedge"]] = 1
    marks = np.zeros((3, 1))
    roles = np.array([0, 1, 5])
    ctxs = np.array([0, 1, 3])
    cols = [COL[label] for label in model.decided]
    assert np.allclose(model.scores(lows, rules, marks, roles, ctxs)[:, cols],
                       back.scores(lows, rules, marks, roles, ctxs)[:, cols], atol=2e-3)
    assert back.decided == model.decided and back.threshold == 0.5 and back.remove_below == 0.2


def test_malformed_model_file_is_an_actionable_error() -> None:
    doc = json.loads(tiny_model().to_json())
    doc["decided"] = ["hedge", "not_a_label"]
    with pytest.raises(LexiconError) as err:
        LearnedModel.from_json(json.dumps(doc), "learned_en.json")
    assert "learned_en.json" in str(err.value) and "not_a_label" in str(err.value)
    assert "bench/train_learned.py" in err.value.remedy
    with pytest.raises(LexiconError):
        LearnedModel.from_json("{not json", "learned_en.json")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_shipped_models_load_and_never_saw_the_held_out_split(lang: str) -> None:
    assert learned_path(lang).is_file()
    model = load_model(lang)
    assert model is not None and model.lang == lang
    assert "question" not in model.decided
    assert not {"heldout", "dev3"} & set(model.trained_on)
    assert 0.0 < model.remove_below <= model.threshold < 1.0
    assert "source" in model.markers


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_batch_and_single_turn_paths_agree(lang: str) -> None:
    rows = [json.loads(line) for line in (GOLD / f"{lang}_dev.jsonl").read_text(encoding="utf-8").splitlines()[:120]]
    batch = annotate_batch([(r["text"], lang, r["role"], r["context"]) for r in rows], n_jobs=1)
    single = [annotate(r["text"], lang, r["role"], r["context"]) for r in rows]
    assert batch == single
    for row, ann in zip(rows, batch, strict=True):
        for label, spans in ann.spans.items():
            assert spans and all(0 <= s < e <= len(row["text"]) for s, e in spans), (row["text"], label)


def test_learned_false_gives_the_rules_alone() -> None:
    text = "I think they're keen, the CFO loves it and budget is fine."
    rules = annotate(text, "en", "rep", "pipeline_review", learned=False)
    again = annotate_batch([(text, "en", "rep", "pipeline_review")], n_jobs=1, learned=False)[0]
    assert rules == again


_TEXT = st.text(alphabet=st.sampled_from(list("ab é_1?!,.'-\n\x1e«»…–€²ç ") + ["\u2009", "ŝ", "日"]), max_size=40)


@given(_TEXT)
def test_fast_tokenizer_cuts_the_same_tokens_as_the_regex(text: str) -> None:
    assert [t.decode() for t in tokenize_joined(text)] == TOKEN_RE.findall(text)


_PIECES = st.sampled_from([*"ab é_1?!,.'-\n\x1e«»…–€²ç ", "\u2009", "ŝ", "日", "🙂", "budget", " no way "])
_TURNS = st.lists(st.lists(_PIECES, max_size=30).map("".join), max_size=6)


def _vocab_model() -> LearnedModel:
    """tiny_model over a vocabulary with non-ASCII words, "?" and a pair across punctuation."""
    vocab = Vocabulary(("?", "a", "budget", "b", "ça", "é", "no", "way", "日"), ("?", "a", "budget", "ça", "é", "日"),
                       (("no", "way"), ("a", "b"), ("é", "?")))
    rng = np.random.default_rng(7)
    w = rng.normal(size=(len(vocab), len(LABELS)))
    base = tiny_model()
    return LearnedModel(lang="en", vocab=vocab, w_ngram=w, w_rule=base.w_rule, markers=base.markers,
                        w_marker=base.w_marker, w_role=base.w_role, w_context=base.w_context,
                        bias=np.zeros(len(LABELS)), threshold=0.5, remove_below=0.2, decided=base.decided,
                        trained_on=("test",))


def _on_path(use_fast: bool, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` through the C accelerator or the numpy path (inside a hypothesis test, where a
    function-scoped fixture cannot switch it)."""
    learned.USE_FAST = use_fast
    try:
        return fn(*args)
    finally:
        learned.USE_FAST = BUILT


@needs_c
@given(_TURNS)
def test_c_accelerator_scores_the_same_n_grams_as_the_numpy_path(turns: list[str]) -> None:
    model = _vocab_model()
    fast = model.ngram_scores(turns)
    assert fast.shape == (len(turns), len(LABELS))
    np.testing.assert_allclose(fast, model.index.matrix(turns) @ model.w_ngram, atol=1e-9)


@needs_c
@given(st.lists(st.sampled_from(["a", "b", " ", "é", "?", "no", "way", "ça", ",", "日", "\u2009", "—"]),
               max_size=40).map("".join))
def test_c_accelerator_picks_the_same_evidence(text: str) -> None:
    model = _vocab_model()
    for col in range(len(LABELS)):
        fast, slow = (_on_path(use_fast, learned._evidence, model, text, {}, col) for use_fast in (True, False))
        assert fast == slow, (text, LABELS[col])


@needs_c
def test_c_accelerator_rejects_bad_arguments_with_an_error() -> None:
    tables = learned._fast_tables(_vocab_model())
    with pytest.raises(ValueError):
        tables.scores(b"a b", -1)
    with pytest.raises(ValueError):
        tables.best(b"a b", len(LABELS))
    assert tables.scores(b"\xff\xe2\x80", 1) == bytearray(8 * len(LABELS))  # broken UTF-8: no token known
    with pytest.raises(ValueError):
        learned._fastlayer.Index([b"a"], b"", b"", b"", len(LABELS))  # weights missing


@needs_c
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_c_accelerator_gives_the_same_annotations_on_the_gold_turns(lang: str, monkeypatch: pytest.MonkeyPatch
                                                                    ) -> None:
    rows = [json.loads(line) for path in sorted(GOLD.glob(f"{lang}_dev*.jsonl"))[:6]
            for line in path.read_text(encoding="utf-8").splitlines()]
    records = [(r["text"], lang, r.get("role"), r.get("context")) for r in rows]
    fast = annotate_batch(records, n_jobs=1)
    monkeypatch.setattr(learned, "USE_FAST", False)
    assert annotate_batch(records, n_jobs=1) == fast


# turns where a person is named; the labels must not depend on which name
NAMED_TURNS = {
    "fr": [
        ("{name} m'a dit que le client allait signer d'ici la fin du mois.", "rep", "pipeline_review"),
        ("Est-ce que {name} a vérifié le budget avec le DAF ?", "manager", "pipeline_review"),
        ("{name}, tu peux m'expliquer pourquoi ce deal a encore glissé ?", "director", "forecast_call"),
        ("Je pense que {name} est confiant, on peut le mettre en commit.", "rep", "forecast_call"),
        ("Bonjour {name}, merci d'avoir pris le temps aujourd'hui.", "rep", "customer_call"),
        ("Comment {name} va-t-il choisir entre vous et Salesforce ?", "manager", "pipeline_review"),
    ],
    "en": [
        ("{name} told me the customer will sign by the end of the month.", "rep", "pipeline_review"),
        ("Did {name} check the budget with the CFO?", "manager", "pipeline_review"),
        ("{name}, can you walk me through why this deal slipped again?", "director", "forecast_call"),
        ("I think {name} is confident, we can put it in commit.", "rep", "forecast_call"),
        ("Hi {name}, thanks for making the time today.", "rep", "customer_call"),
        ("How will {name} choose between you and the other vendor?", "manager", "pipeline_review"),
    ],
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_labels_do_not_depend_on_the_name_of_a_person(lang: str) -> None:
    """The layer's vocabulary leaves out names (bench/train_learned.py, ``name_tokens``): a rep's or a
    team's name must not move a label, or a lens would compare people instead of dynamics."""
    from miroir.simulate.banks import load_bank

    bank = load_bank(f"names_{lang}")
    names = list(bank["first_f"]) + list(bank["first_m"])
    for template, role, context in NAMED_TURNS[lang]:
        labels = {name: annotate(template.format(name=name), lang, role, context).labels for name in names}
        assert len(set(labels.values())) == 1, (template, labels)
