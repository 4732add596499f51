"""Annotate utterances: labels of the annotation guide with evidence spans.

Texts are lower-cased (same length, so offsets hold), joined with a newline and
scanned once by the language's compiled cue alternation (see ``lexicon.py``)
and once by a cheap sentence-end regex; everything else is a short loop over
the cue matches. Sentence-level rules (question, open question, hedge and
pressure outside questions, assumption, decision maker, next step) are decided
when a sentence ends; the other labels come straight from their cues.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .detect import detect_language
from .learned import load_model, refine
from .lexicon import EOS, LANGUAGES, Lexicon, load_lexicon

Span = tuple[int, int]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'", "\u00a0": " ", "\u202f": " "})
_WORDCHAR = re.compile(r"\w")
_OPENER_STRIP = " \t\n,;:-–—\"'«»()[]{}"
# max characters between the end of a third-party subject and its predicate
_CLAIM_GAP = 40
# a capitalised first name (or two: "Anne Martin") right before a claim cue,
# optionally with one adverb in between ("Sarah really wants"); matched on the
# original (cased) text, since the cue scan is lower-cased
_NAME_BEFORE = re.compile(
    r"(?:^|(?<=[\s,;:(\"«]))([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ-]+(?: [A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ-]+)?)"
    r" (?:[a-zà-öø-ÿ]+ly |[a-zà-öø-ÿ]+ment |(?:also|still|already|just|never|always|really|aussi|déjà|toujours"
    r"|jamais|bien|vraiment|enfin|sans doute) )?$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Annotation:
    """Labels of one utterance (sorted) and, per label, the evidence spans
    (character offsets ``[start, end)`` into the original text)."""

    lang: str
    labels: tuple[str, ...]
    spans: dict[str, list[Span]] = field(default_factory=dict)

    def evidence(self, text: str, label: str) -> list[str]:
        """The text of each evidence span of ``label``."""
        return [text[s:e] for s, e in self.spans.get(label, [])]


def normalise(text: str) -> str:
    """Lower-case with typographic apostrophes unified; same length as ``text``."""
    low = text.lower()
    if len(low) != len(text):  # rare: a character whose lower case is longer (e.g. 'İ')
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if "’" in low or "‘" in low or "`" in low or "ʼ" in low or "\u00a0" in low or "\u202f" in low:
        low = low.translate(_APOSTROPHES)
    return low


def _sentence_start(low: str, start: int, end: int) -> int:
    while start < end and low[start] in " \t\n\r":
        start += 1
    return start


def _has_wh(low: str, s_start: int, s_end: int, lex: Lexicon) -> bool:
    """Whether the sentence ``low[s_start:s_end]`` holds an open-question word."""
    wh = lex.wh
    for m in wh.regex.finditer(low, s_start, s_end):
        start, end = m.span()
        acts = wh.memo.get(low[start:end])
        if acts is None:
            acts = wh.actions(low, start, end)
        for _direct, _marks, initial, _rule, _off in acts:
            if not initial or _is_initial(low, s_start, start, lex.openers):
                return True
    return False


# the markers without which an assertion (no question mark) gets no sentence-level label
_TRIGGERS = frozenset({"dm_person", "ns_action", "q_form", "q_indirect", "hedge", "pressure", "claim_full",
                       "third_party", "claim"})


def _close_sentence(
    spans: dict[str, list[Span]], low: str, base: int, s_start: int, s_end: int, qmark: bool,
    feats: dict[str, list[Span]], role: str | None, lex: Lexicon, cased: str | None = None,
    context: str | None = None,
) -> None:
    """Decide the sentence-level labels of ``low[s_start:s_end]``; spans are
    stored relative to ``base`` (the utterance start). The lexicon's
    ``[[combine]]`` tables add a label when all their markers are in the
    sentence; its ``[[suppress]]`` tables then drop a label's spans of this
    sentence when one of their markers is in it."""
    if lex.table_markers.isdisjoint(feats):  # most sentences: no marker of a table
        if qmark or not _TRIGGERS.isdisjoint(feats):
            _decide_sentence(spans, low, base, s_start, s_end, qmark, feats, role, lex, cased)
        return
    keys = feats.keys()
    for label, evidence, needed, blocked, any_label, roles, contexts in lex.combines:
        if keys >= needed and keys.isdisjoint(blocked) and (roles is None or role in roles) and (
                contexts is None or context in contexts) and (
                not any_label or _has_label_in(spans, any_label, s_start - base)):
            spans.setdefault(label, []).append(feats[evidence][0])
    _decide_sentence(spans, low, base, s_start, s_end, qmark, feats, role, lex, cased)
    for label, markers in lex.suppresses:
        found = spans.get(label)
        if found is not None and not keys.isdisjoint(markers):
            lo = s_start - base
            kept = [sp for sp in found if sp[0] < lo]
            if kept:
                spans[label] = kept
            else:
                del spans[label]


def _has_label_in(spans: dict[str, list[Span]], labels: frozenset[str], lo: int) -> bool:
    """Whether one of ``labels`` has a span in the current sentence (spans from ``lo`` on)."""
    return any(sp[0] >= lo for label in labels for sp in spans.get(label, ()))


def _decide_sentence(
    spans: dict[str, list[Span]], low: str, base: int, s_start: int, s_end: int, qmark: bool,
    feats: dict[str, list[Span]], role: str | None, lex: Lexicon, cased: str | None = None,
) -> None:
    get = feats.get
    # combinations that hold in questions and assertions alike
    found = get("dm_person")
    if found is not None and "dm_act" in feats:
        spans.setdefault("decision_maker", []).append(found[0])
    found = get("ns_action")
    if found is not None and "ns_time" in feats:
        spans.setdefault("next_step", []).append(found[0])
    if (qmark or "q_form" in feats or "q_indirect" in feats) and "rhetorical" not in feats \
            and _WORDCHAR.search(low, s_start, s_end):
        sent = (_sentence_start(low, s_start, s_end) - base, s_end - base)
        spans.setdefault("question", []).append(sent)
        if ("wh" in feats or _has_wh(low, s_start, s_end, lex)) and \
                lex.options_re.search(low, s_start, s_end) is None:
            spans.setdefault("open_question", []).append(sent)
        return
    # hedges and pressure belong to assertions and orders, not to questions
    # ("What does that cost you, roughly?" is not the speaker's hedge)
    found = get("hedge")
    if found is not None:
        spans.setdefault("hedge", []).extend(found)
    found = get("pressure")
    if found is not None:
        spans.setdefault("pressure", []).extend(found)
    if role == "customer" or "source" in feats:
        return
    found = get("claim_full")
    if found is not None:
        spans.setdefault("assumption", []).extend(found)
        return
    tps = get("third_party")
    claims = get("claim") or ()
    if tps is None:
        tps = []
    # a third party as the subject of a statement (sentence start, after a comma or a
    # conjunction), followed by a predicate: a claim cue close by, or any words
    for ts, te in tps:
        before = low[max(s_start, base + ts - 12):base + ts].rstrip()
        if before and before[-1] not in ",;:—–(" and \
                before.rsplit(None, 1)[-1].rstrip("'").rsplit("'", 1)[-1] not in lex.subject_before:
            continue
        for cs, ce in claims:
            if cs >= ts and cs - te <= _CLAIM_GAP:
                spans.setdefault("assumption", []).append((ts, ce))
                return
        rest = low[base + te:s_end].rstrip(" .!?…,;:")
        if rest.strip() and (not lex.open_claim_needs or not lex.open_claim_needs.isdisjoint(feats)):
            # evidence: from the third-party subject to the end of the sentence
            spans.setdefault("assumption", []).append((ts, te + len(rest)))
            return
    if claims and cased is not None:
        _named_claim(spans, cased, base, s_start, claims, lex)


def _named_claim(
    spans: dict[str, list[Span]], cased: str, base: int, s_start: int, claims: list[Span], lex: Lexicon
) -> None:
    """A named person as the subject of a claim cue ("Sarah wants to sign",
    "Marc est convaincu"): found on the cased text, since names are capitalised."""
    for cs, ce in claims:
        lo = max(s_start, base + cs - 40)
        m = _NAME_BEFORE.search(cased, lo, base + cs)
        if m is None:
            continue
        if m.group(1).split(" ", 1)[0].lower() in lex.not_names:
            continue
        before = cased[max(s_start, m.start(1) - 12):m.start(1)].rstrip().lower()
        if before and before[-1] not in ",;:—–(" and \
                before.rsplit(None, 1)[-1].rstrip("'").rsplit("'", 1)[-1] not in lex.subject_before:
            continue
        spans.setdefault("assumption", []).append((m.start(1) - base, ce))
        return


def _is_initial(low: str, s_start: int, start: int, openers: frozenset[str]) -> bool:
    prefix = low[s_start:start].strip(_OPENER_STRIP)
    return not prefix or all(w.strip(_OPENER_STRIP) in openers for w in prefix.split())


_RUN_CHARS = ".!?…"


def sentence_ends(big: str) -> list[tuple[int, bool]]:
    """Every sentence end of ``big``: (offset after its punctuation, whether that
    punctuation run holds a question mark)."""
    out = []
    for end in [m.end() for m in EOS.finditer(big)]:
        last = big[end - 1]
        if last == "?":
            out.append((end, True))
        elif end < 2 or big[end - 2] not in _RUN_CHARS:
            out.append((end, False))
        else:  # a run such as "?!" or "?..."
            start = end - 1
            while start > 0 and big[start - 1] in _RUN_CHARS:
                start -= 1
            out.append((end, "?" in big[start:end]))
    return out


def _questions_only(
    out: list[dict[str, list[Span]]], big: str, bounds: list[int], eos: list[tuple[int, bool]],
    k: int, upto: int, lex: Lexicon,
) -> int:
    """Sentence ends before ``upto`` in utterances without any act cue: only
    the question mark matters. Returns the next unconsumed sentence end."""
    n_eos = len(eos)
    while k < n_eos and eos[k][0] < upto:
        end, qmark = eos[k]
        if qmark:
            j = bisect_right(bounds, end - 1) - 1
            base = bounds[j]
            prev = eos[k - 1][0] if k and eos[k - 1][0] > base else base
        if qmark and _WORDCHAR.search(big, prev, end):
            sent = (_sentence_start(big, prev, end) - base, end - base)
            out[j].setdefault("question", []).append(sent)
            if _has_wh(big, prev, end, lex) and lex.options_re.search(big, prev, end) is None:
                out[j].setdefault("open_question", []).append(sent)
        k += 1
    return k


def annotate_joined(
    big: str, bounds: list[int], lex: Lexicon, roles: list[str | None], contexts: list[str | None],
    cased: str | None = None, markers: list[set[str]] | None = None,
) -> list[dict[str, list[Span]]]:
    """Annotate many normalised utterances joined by one separator character.

    ``bounds[i]`` is where utterance ``i`` starts in ``big`` and
    ``bounds[i + 1] - 1`` where it ends (``bounds`` has ``n + 1`` items).
    Scanning one long string instead of many short ones saves the per-call
    overhead of the regex engine. Spans are relative to each utterance.
    ``cased``: the original texts joined the same way (same length as ``big``),
    used only to recognise capitalised names as claim subjects.
    ``markers``: when given (one set per utterance), receives the names of the
    sentence markers (``source``, ``third_party``, ``x_...``) seen in each utterance.
    """
    n = len(bounds) - 1
    out: list[dict[str, list[Span]]] = [{} for _ in range(n)]
    eos = sentence_ends(big)
    n_eos = len(eos)
    never = len(big) + 2
    act = lex.act
    memo = act.memo
    simple = act.simple
    openers = lex.openers
    k = 0
    i = -1
    base = s_start = 0
    limit = -1
    next_end = never
    spans: dict[str, list[Span]] = {}
    feats: dict[str, list[Span]] = {}
    role: str | None = None
    context: str | None = None
    seen: set[str] | None = None

    def close(s_end: int, qmark: bool) -> None:
        """Decide the sentence from ``s_start`` to ``s_end`` and start a new one."""
        nonlocal feats
        if seen is not None:
            seen.update(feats)
        _close_sentence(spans, big, base, s_start, s_end, qmark, feats, role, lex, cased, context)
        feats = {}

    def finish() -> None:
        nonlocal k, s_start
        u_end = limit - 1
        while k < n_eos and eos[k][0] <= u_end:
            e_end, qmark = eos[k]
            if feats or qmark:
                close(e_end, qmark)
            s_start = e_end
            k += 1
        if feats:
            tail = big[s_start:u_end].rstrip()
            close(s_start + len(tail), tail.endswith("?"))

    for m in act.regex.finditer(big):
        start, end = m.span()
        if start >= limit:
            if i >= 0:
                finish()
            i = bisect_right(bounds, start) - 1
            base = bounds[i]
            limit = bounds[i + 1]
            if k < n_eos and eos[k][0] < base:
                k = _questions_only(out, big, bounds, eos, k, base, lex)
            spans = out[i]
            feats = {}
            s_start = base
            role = roles[i]
            context = contexts[i]
            seen = None if markers is None else markers[i]
            next_end = eos[k][0] if k < n_eos else never
        while start >= next_end:
            qmark = eos[k][1]
            if feats or qmark:
                close(next_end, qmark)
            s_start = next_end
            k += 1
            next_end = eos[k][0] if k < n_eos else never
        key = big[start:end]
        fast = simple.get(key)
        sp = (start - base, end - base)
        if fast is not None:  # most cues: one unrestricted action on the whole cue
            for f in fast[0]:
                lst = spans.get(f)
                if lst is None:
                    spans[f] = [sp]
                else:
                    lst.append(sp)
            for f in fast[1]:
                lst = feats.get(f)
                if lst is None:
                    feats[f] = [sp]
                else:
                    lst.append(sp)
            continue
        acts = memo.get(key)
        if acts is None:
            acts = act.actions(big, start, end)
        for direct, marks, initial, rule, off in acts:
            if rule is not None and not rule.applies(role, context):
                continue
            if initial and not _is_initial(big, s_start, start, openers):
                continue
            if off is not None:
                sp = (start - base + off[0], start - base + off[1])
            for f in direct:
                lst = spans.get(f)
                if lst is None:
                    spans[f] = [sp]
                else:
                    lst.append(sp)
            for f in marks:
                lst = feats.get(f)
                if lst is None:
                    feats[f] = [sp]
                else:
                    lst.append(sp)
    if i >= 0:
        finish()
    _questions_only(out, big, bounds, eos, k, never, lex)

    return out


def join_utterances(lows: list[str]) -> tuple[str, list[int]]:
    """Join normalised utterances with a newline; the bounds for :func:`annotate_joined`."""
    bounds = [0] * (len(lows) + 1)
    pos = 0
    for idx, low in enumerate(lows):
        bounds[idx] = pos
        pos += len(low) + 1
    bounds[len(lows)] = pos
    return "\n".join(lows), bounds


def annotate_lower(
    text: str, low: str, lex: Lexicon, role: str | None = None, context: str | None = None,
    markers: set[str] | None = None,
) -> dict[str, list[Span]]:
    """Spans per label for ``text`` whose normalised form is ``low`` (``markers``, when given,
    receives the sentence markers seen)."""
    return annotate_joined(low, [0, len(low) + 1], lex, [role], [context], text if len(text) == len(low) else None,
                           None if markers is None else [markers])[0]


def annotate(
    text: str, lang: str | None = None, role: str | None = None, context: str | None = None,
    learned: bool = True,
) -> Annotation:
    """Label one utterance (a speaker turn).

    ``lang``: ``"fr"``/``"en"`` or ``None`` to detect it; ``role``: ``rep``,
    ``manager``, ``customer``, ``other`` or ``None``; ``context``: the
    conversation kind (``customer_call``, ``pipeline_review``,
    ``forecast_call``...) or ``None``; ``learned``: apply the learned layer
    (``learned.py``) after the rules (default), or give the rules' labels alone.
    """
    if lang not in LANGUAGES:
        lang = detect_language(text)
    low = normalise(text)
    model = load_model(lang) if learned else None  # type: ignore[arg-type]
    markers: set[str] = set()
    spans = annotate_lower(text, low, load_lexicon(lang), role, context, markers)  # type: ignore[arg-type]
    if model is not None:
        refine(model, [low], [spans], [role], [context], [markers])
    return Annotation(lang=lang, labels=tuple(sorted(spans)), spans=spans)  # type: ignore[arg-type]
