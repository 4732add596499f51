"""Load a language's cue lexicon (``data/<lang>.toml``) and compile it.

All cue patterns of a language (interaction cues, markers and the
customer-decision topics) are compiled into one big regular expression built
as a first-character trie, so that Python's regex engine rejects a word with a
few comparisons; the open-question words form a second small one, scanned only
inside question sentences. A match tells which rule(s) it belongs to through
``Layer.actions`` (memoised by cue text); topic cues nested inside a longer cue
("le juridique" is a third party and a decision-process cue) are found once per
distinct cue text.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import MiroirError

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGUAGES: tuple[str, ...] = ("fr", "en")

# bump when the engine's logic (not the lexicon) changes the output
ENGINE_CODE_VERSION = "9"

INTERACTION_LABELS: tuple[str, ...] = (
    "question", "open_question", "hedge", "assumption", "clarification", "pressure",
    "defensive", "exploratory", "next_step",
)
TOPIC_LABELS: tuple[str, ...] = (
    "pain", "budget", "decision_maker", "decision_process", "decision_criteria", "timeline",
    "competition",
)
LABELS: tuple[str, ...] = INTERACTION_LABELS + TOPIC_LABELS
MARKERS: tuple[str, ...] = (
    "q_form", "q_indirect", "wh", "rhetorical", "third_party", "claim", "claim_full", "source",
    "dm_person", "dm_act", "ns_action", "ns_time",
)
# labels set directly by their cue (the others are decided per sentence)
DIRECT_FEATURES = frozenset(
    {"defensive", "exploratory", "clarification", "next_step"} | set(TOPIC_LABELS)
)
_ACT_FEATURES = frozenset(INTERACTION_LABELS) | frozenset(MARKERS)
_TOPIC_FEATURES = frozenset(TOPIC_LABELS)
_RULE_KEYS = frozenset(
    {"feature", "patterns", "comment", "also", "initial", "roles", "not_roles", "contexts", "not_contexts"}
)
# custom sentence markers a lexicon may define for its own [[combine]] / [[suppress]] tables
CUSTOM_MARKER_PREFIX = "x_"
_COMBINE_KEYS = frozenset({"label", "all", "none", "any_label", "roles", "contexts", "comment"})
_SUPPRESS_KEYS = frozenset({"label", "by", "comment"})


def _is_feature(name: object) -> bool:
    return isinstance(name, str) and (
        name in _ACT_FEATURES or name in _TOPIC_FEATURES
        or (name.startswith(CUSTOM_MARKER_PREFIX) and len(name) > len(CUSTOM_MARKER_PREFIX))
    )

# a sentence end: the last of a run of . ! ? …, followed by space/end, not by a closing
# quote (one character: much faster to scan than the run; see engine.sentence_ends)
EOS = re.compile(r"[.!?…](?=\s|$)(?!\s*[»”\"])", re.MULTILINE)


class LexiconError(MiroirError):
    """A lexicon data file is malformed (a packaging or editing mistake)."""


@dataclass(frozen=True)
class Rule:
    """One entry group of a lexicon file."""

    feature: str
    also: tuple[str, ...]
    initial: bool
    roles: frozenset[str] | None
    not_roles: frozenset[str]
    contexts: frozenset[str] | None
    not_contexts: frozenset[str]
    comment: str

    @property
    def features(self) -> tuple[str, ...]:
        return (self.feature, *self.also)

    @property
    def unrestricted(self) -> bool:
        return (self.roles is None and not self.not_roles and self.contexts is None
                and not self.not_contexts)

    def applies(self, role: str | None, context: str | None) -> bool:
        if role is not None:
            if role in self.not_roles:
                return False
            if self.roles is not None and role not in self.roles:
                return False
        elif self.roles is not None:
            return False
        if context is not None:
            if context in self.not_contexts:
                return False
            if self.contexts is not None and context not in self.contexts:
                return False
        elif self.contexts is not None:
            return False
        return True


# (direct features, marker features, sentence-initial only, rule to check role/context or None)
# (direct features, marker features, sentence-initial only, rule to check role/context or None,
#  offsets of the evidence inside the cue or None for the whole cue)
Action = tuple[tuple[str, ...], tuple[str, ...], bool, "Rule | None", "tuple[int, int] | None"]


@dataclass(frozen=True)
class _Entry:
    literal: str
    regex: re.Pattern[str]
    rule: Rule
    # for a pattern that looks outside the cue (lookahead/lookbehind, ^ or $): the same
    # pattern without those assertions. A cue text it fully matches may or may not match
    # the pattern depending on the words around it, so that cue is never memoised by text
    core: re.Pattern[str] | None = None


def strip_assertions(pattern: str) -> str | None:
    """``pattern`` without its lookaround groups and ``^``/``$`` anchors (a more
    permissive pattern), or None when it has none."""
    out: list[str] = []
    i, n, changed, in_class = 0, len(pattern), False, False
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1:i + 2] == "^":  # a negated class, not an anchor
                out.append("^")
                i += 1
            i += 1
            continue
        if c in "^$":
            changed = True
            i += 1
            continue
        if pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            depth, j = 0, i
            while j < n:  # skip to the group's closing parenthesis
                if pattern[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(pattern[j], 0)
                j += 1
                if depth == 0:
                    break
            changed = True
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out) if changed else None


class Layer:
    """A compiled alternation of all cue patterns of a layer.

    ``regex`` finds cues; ``rules_at`` tells which rule(s) a cue belongs to
    (every rule with a pattern matching exactly that text; memoised by text).
    """

    def __init__(self, regex: re.Pattern[str], entries: list[_Entry], inner: Layer | None = None) -> None:
        self.regex = regex
        self._by_first: dict[str, list[_Entry]] = {}
        for entry in entries:  # candidates of a cue: same first character (or a \\d pattern)
            self._by_first.setdefault(entry.literal[:1], []).append(entry)
        # topic cues are also looked for inside a longer cue ("le juridique" is a
        # third party and a decision-process cue): once per distinct cue text
        self.inner = inner
        self.memo: dict[str, tuple[Action, ...]] = {}
        # cue texts whose only action is one unrestricted, non-initial action on the whole
        # cue (most cues): (direct features, marker features) — the engine's fast path
        self.simple: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        # cue texts a contextual pattern may match: (fixed actions, contextual entries to check)
        self._ctx_memo: dict[str, tuple[tuple[Action, ...], tuple[_Entry, ...]]] = {}

    def rules_at(self, low: str, start: int, end: int) -> tuple[Rule, ...]:
        """Every rule with a pattern matching exactly ``low[start:end]``."""
        fixed, contextual = self._candidates(low, start, end)
        done = {id(r) for r in fixed}
        return fixed + tuple(e.rule for e in contextual if id(e.rule) not in done and _matches(e, low, start, end))

    def _candidates(self, low: str, start: int, end: int) -> tuple[tuple[Rule, ...], tuple[_Entry, ...]]:
        """The rules whose plain patterns match the cue text exactly, and the
        contextual patterns that may match it depending on the words around it."""
        text = low[start:end]
        rules: list[Rule] = []
        seen: set[int] = set()
        contextual: list[_Entry] = []
        for entry in self._by_first.get(text[:1], []) + self._by_first.get("", []):
            if id(entry.rule) in seen or not text.startswith(entry.literal):
                continue
            if entry.core is not None:
                if entry.core.fullmatch(text):
                    contextual.append(entry)
                continue
            m = entry.regex.fullmatch(low, start, end) or entry.regex.match(low, start)
            if m is not None and m.end() == end:
                seen.add(id(entry.rule))
                rules.append(entry.rule)
        return tuple(rules), tuple(e for e in contextual if id(e.rule) not in seen)

    def actions(self, low: str, start: int, end: int) -> tuple[Action, ...]:
        """The rules of a cue as compact actions, memoised by the cue text.

        Unrestricted, non-initial rules are merged into one action whose
        feature tuples have no duplicates. A cue that a contextual pattern
        (lookaround, ``^``, ``$``) may match keeps its fixed part memoised and
        has only those patterns checked again at each occurrence.
        """
        text = low[start:end]
        found = self.memo.get(text)
        if found is not None:
            return found
        partial = self._ctx_memo.get(text)
        if partial is None:
            fixed, contextual = self._candidates(low, start, end)
            partial = (self._compact(fixed, text), contextual)
            if len(self.memo) + len(self._ctx_memo) > 100_000:  # numbers, open word endings: bounded memory
                self.memo.clear()
                self._ctx_memo.clear()
                self.simple.clear()
            if not contextual:
                acts = partial[0]
                self.memo[text] = acts
                if len(acts) == 1 and acts[0][2:] == (False, None, None):
                    self.simple[text] = (acts[0][0], acts[0][1])
                return acts
            self._ctx_memo[text] = partial
        base, contextual = partial
        seen: set[int] = set()
        extra: list[Action] = []
        for entry in contextual:
            if id(entry.rule) not in seen and _matches(entry, low, start, end):
                seen.add(id(entry.rule))
                extra.append(_action(entry.rule, entry.rule.initial, None))
        return base + tuple(extra) if extra else base

    def _compact(self, rules: tuple[Rule, ...], text: str) -> tuple[Action, ...]:
        merged_direct: list[str] = []
        merged_marks: list[str] = []
        out: list[Action] = []
        for rule in rules:
            action = _action(rule, rule.initial, None)
            if rule.unrestricted and not rule.initial:
                merged_direct += [f for f in action[0] if f not in merged_direct]
                merged_marks += [f for f in action[1] if f not in merged_marks]
            else:
                out.append(action)
        if merged_direct or merged_marks:
            out.insert(0, (tuple(merged_direct), tuple(merged_marks), False, None, None))
        if self.inner is not None:
            pos = 0
            while (m := self.inner.regex.search(text, pos)) is not None:
                i_start, i_end = m.span()
                if i_start == 0 and i_end == len(text):
                    # the cue is itself a topic cue (its rules are above): shorter topic
                    # cues may still start inside it ("pouvoir sur le budget" -> budget)
                    pos = 1
                    continue
                # topic cues inside a cue are judged on the cue's own text
                out += [_action(rule, False, (i_start, i_end)) for rule in self.inner.rules_at(text, i_start, i_end)]
                pos = max(i_end, i_start + 1)
        return tuple(out)


def _action(rule: Rule, initial: bool, off: tuple[int, int] | None) -> Action:
    """One rule as an action: its label features, its marker features, whether it must start the
    sentence, the rule itself when it is restricted to roles/contexts, the evidence offsets."""
    return (tuple(f for f in rule.features if f in DIRECT_FEATURES),
            tuple(f for f in rule.features if f not in DIRECT_FEATURES),
            initial, None if rule.unrestricted else rule, off)


def _matches(entry: _Entry, low: str, start: int, end: int) -> bool:
    """Whether ``entry`` matches exactly ``low[start:end]`` in its context."""
    m = entry.regex.match(low, start)
    return m is not None and m.end() == end


@dataclass(frozen=True)
class Lexicon:
    lang: str
    act: Layer
    topic: Layer
    wh: Layer  # open-question words: only scanned inside question sentences
    openers: frozenset[str]
    subject_before: frozenset[str]
    options: tuple[str, ...]  # " or " words: a question offering options is closed
    options_re: re.Pattern[str]  # the same words as one regex
    path: Path
    # capitalised words that are not a person's name (sentence-initial pronouns,
    # openers, days, months...): never a named claim subject
    not_names: frozenset[str] = frozenset()
    # [[combine]]: (label, marker whose first cue is the evidence, markers all needed in
    # the sentence, markers that block it)
    # (label, evidence marker, markers needed, blocking markers, labels one of which is needed,
    #  roles or None, contexts or None)
    combines: tuple[tuple[str, str, frozenset[str], frozenset[str], frozenset[str],
                          frozenset[str] | None, frozenset[str] | None], ...] = ()
    # [[suppress]]: (label, markers any of which drops the label's spans in that sentence)
    suppresses: tuple[tuple[str, frozenset[str]], ...] = ()
    # the first marker of each [[combine]]'s 'all' and every [[suppress]] marker: a
    # sentence without any of them skips the tables (so list a combine's rarest marker first)
    table_markers: frozenset[str] = frozenset()
    # [meta] open_claim_needs: when set, a third-party subject followed by a predicate
    # with no claim cue is an assumption only if the sentence has one of these markers
    open_claim_needs: frozenset[str] = frozenset()


def _split_group(pattern: str) -> tuple[list[str], str, bool] | None:
    """For a pattern starting with ``(?:a|b)``: the alternatives, the rest, and
    whether the group is optional (``(?:...)?``)."""
    depth = 0
    alts: list[str] = []
    cur = 3
    i = 3
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                alts.append(pattern[cur:i])
                rest = pattern[i + 1:]
                optional = rest.startswith("?")
                return alts, rest[1:] if optional else rest, optional
            depth -= 1
        elif c == "|" and depth == 0:
            alts.append(pattern[cur:i])
            cur = i + 1
        i += 1
    return None


def expand_leading_groups(pattern: str) -> list[str]:
    """``(?:a|b)c`` -> ``[ac, bc]`` (recursively), so that every pattern starts
    with a literal character (needed for the first-character trie)."""
    if not pattern.startswith("(?:"):
        return [pattern]
    split = _split_group(pattern)
    if split is None:
        return [pattern]
    alts, rest, optional = split
    out: list[str] = []
    for alt in alts:
        out.extend(expand_leading_groups(alt + rest))
    if optional:
        out.extend(expand_leading_groups(rest.lstrip()))
    return out


_META = set("\\.^$*+?{}[]|()")
_QUANT = ("*", "?", "+", "{")


def split_literal(pattern: str) -> tuple[str, str]:
    """Split ``pattern`` into its literal prefix and the regex remainder.

    A character followed by a quantifier stays in the remainder; ``\\x`` with
    a non-alphanumeric ``x`` is the literal ``x``.
    """
    lit: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            ch, width = pattern[i + 1], 2
        elif c in _META:
            break
        else:
            ch, width = c, 1
        if pattern[i + width:i + width + 1] in _QUANT and pattern[i + width:i + width + 1] != "":
            break
        lit.append(ch)
        i += width
    return "".join(lit), pattern[i:]


def _finish(rest: str, prefix_only: bool, pattern: str) -> str:
    if prefix_only:
        return rest + r"\w*"
    # a cue ends at a word end, or right after an elision apostrophe / hyphen
    return rest + r"(?:(?<=['-])|(?!\w))"


class _Node:
    __slots__ = ("children", "leaves")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.leaves: list[tuple[int, str]] = []  # (-len, remainder)


def _emit(node: _Node) -> str:
    """Regex of a trie node (no capturing group: a match object with many
    groups is costly to build). Longer continuations are tried first."""
    alts = [re.escape(ch) + _emit(child) for ch, child in node.children.items()]
    seen: set[str] = set()
    for _neg, rest in sorted(node.leaves):
        if rest not in seen:
            seen.add(rest)
            alts.append(rest)
    if len(alts) == 1 and not node.leaves:
        return alts[0]
    return "(?:" + "|".join(alts) + ")"


def _strs(value: object, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: '{key}' must be a list of strings", "Fix the lexicon file.")
    return list(value)


def _parse_rule(raw: dict[str, object], where: str) -> tuple[Rule, list[str]]:
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise LexiconError(f"{where}: unknown key(s) {sorted(unknown)}", f"Allowed keys: {sorted(_RULE_KEYS)}.")
    feature = raw.get("feature")
    comment = raw.get("comment")
    if not isinstance(feature, str) or not _is_feature(feature):
        raise LexiconError(f"{where}: unknown feature {feature!r}",
                           f"Use one of {sorted(LABELS + MARKERS)} or a custom marker 'x_...'.")
    if not isinstance(comment, str) or not comment.strip():
        raise LexiconError(f"{where}: every rule needs a 'comment' saying what it catches", "Add one.")
    patterns = _strs(raw.get("patterns"), where, "patterns")
    if not patterns:
        raise LexiconError(f"{where}: rule has no patterns", "Add patterns or remove the rule.")
    roles = raw.get("roles")
    contexts = raw.get("contexts")
    rule = Rule(
        feature=feature,
        also=tuple(_strs(raw.get("also"), where, "also")),
        initial=bool(raw.get("initial", False)),
        roles=frozenset(_strs(roles, where, "roles")) if roles is not None else None,
        not_roles=frozenset(_strs(raw.get("not_roles"), where, "not_roles")),
        contexts=frozenset(_strs(contexts, where, "contexts")) if contexts is not None else None,
        not_contexts=frozenset(_strs(raw.get("not_contexts"), where, "not_contexts")),
        comment=comment,
    )
    for extra in rule.also:
        if not _is_feature(extra):
            raise LexiconError(f"{where}: unknown feature {extra!r} in 'also'", "Fix the lexicon file.")
    return rule, patterns


def _compile_layer(entries: list[tuple[Rule, list[str]]], where: str, inner: Layer | None = None) -> Layer:
    # one character trie over the literal prefixes of all patterns
    root = _Node()
    resolved: list[_Entry] = []
    for rule, patterns in entries:
        for pattern in (x for raw in patterns for x in expand_leading_groups(raw)):
            prefix_only = pattern.endswith("~")
            body = pattern[:-1] if prefix_only else pattern
            # '~' inside a pattern is an open word ending too ("roll~ out" = roll, rolls, rolled out)
            body = re.sub(r"(?<!\\)~", r"\\w*", body)
            try:
                compiled = re.compile(body)
            except re.error as exc:
                raise LexiconError(f"{where}: bad pattern {pattern!r}: {exc}", "Fix the regular expression.") from exc
            if compiled.groups:
                raise LexiconError(f"{where}: pattern {pattern!r} has a capturing group", "Use (?:...).")
            lit, rest = split_literal(body)
            if not lit and not body.startswith("\\d"):
                raise LexiconError(
                    f"{where}: pattern {pattern!r} must start with a literal character or \\d",
                    "Write the alternatives as separate patterns.",
                )
            node = root
            for ch in lit:
                node = node.children.setdefault(ch, _Node())
            finished = _finish(rest, prefix_only, body)
            node.leaves.append((-len(body), finished))
            core = strip_assertions(rest)
            resolved.append(_Entry(lit, re.compile(re.escape(lit) + finished, re.MULTILINE), rule,
                                   None if core is None else
                                   re.compile(re.escape(lit) + core + (r"\w*" if prefix_only else ""))))
    # a cheap one-character class before the trie: most word starts fail it at once
    firsts = sorted(root.children)
    digits = any(rest.startswith("\\d") for _neg, rest in root.leaves)
    source = (r"\b(?=[" + "".join(re.escape(c) for c in firsts) + (r"\d" if digits else "") + "])"
              + _emit(root)) if firsts or digits else r"\b" + _emit(root)
    try:
        regex = re.compile(source, re.MULTILINE)  # '$' = end of an utterance in a joined scan
    except re.error as exc:  # pragma: no cover - individual patterns were checked
        raise LexiconError(f"{where}: the lexicon does not compile: {exc}", "Check the last edited patterns.") from exc
    return Layer(regex, resolved, inner)


def lexicon_path(lang: str) -> Path:
    return DATA_DIR / f"{lang}.toml"


def learned_path(lang: str) -> Path:
    """The weights of the learned layer (``learned.py``) of ``lang``."""
    return DATA_DIR / f"learned_{lang}.json"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LexiconError(f"lexicon file missing: {path}", "Reinstall miroir (package data).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{path}: invalid TOML: {exc}", "Fix the lexicon file.") from exc


@cache
def load_lexicon(lang: str) -> Lexicon:
    """Compile the lexicon of ``lang`` (``"fr"`` or ``"en"``); cached per process."""
    if lang not in LANGUAGES:
        raise LexiconError(f"no lexicon for language {lang!r}", f"Use one of {', '.join(LANGUAGES)}.")
    path = lexicon_path(lang)
    data = _read_toml(path)
    act: list[tuple[Rule, list[str]]] = []
    topic: list[tuple[Rule, list[str]]] = []
    wh: list[tuple[Rule, list[str]]] = []
    rules: list[tuple[Rule, list[str], str]] = []
    for i, raw in enumerate(data.get("rule", []), start=1):
        where = f"{path.name} rule #{i}"
        if not isinstance(raw, dict):
            raise LexiconError(f"{where}: not a table", "Use [[rule]] tables.")
        rules.append((*_parse_rule(raw, where), where))
    for rule, patterns, _where in rules:
        if rule.feature == "wh":
            wh.append((rule, patterns))
        else:
            act.append((rule, patterns))
            if rule.feature in _TOPIC_FEATURES or rule.feature.startswith(CUSTOM_MARKER_PREFIX):
                # topic cues and custom markers are also found inside a longer cue
                topic.append((rule, patterns))
    combines: list[tuple[str, str, frozenset[str], frozenset[str], frozenset[str],
                         frozenset[str] | None, frozenset[str] | None]] = []
    for i, raw in enumerate(data.get("combine", []), start=1):
        where = f"{path.name} combine #{i}"
        label, markers = _parse_sentence_table(raw, where, _COMBINE_KEYS, "all")
        none = frozenset(_strs(raw.get("none"), where, "none"))
        any_label = frozenset(_strs(raw.get("any_label"), where, "any_label"))
        if any_label - set(DIRECT_FEATURES):
            raise LexiconError(f"{where}: 'any_label' takes labels found from cues ({sorted(DIRECT_FEATURES)})",
                               f"Remove {sorted(any_label - set(DIRECT_FEATURES))}.")
        roles = raw.get("roles")
        contexts = raw.get("contexts")
        combines.append((label, markers[0], frozenset(markers), none, any_label,
                         None if roles is None else frozenset(_strs(roles, where, "roles")),
                         None if contexts is None else frozenset(_strs(contexts, where, "contexts"))))
    suppresses: list[tuple[str, frozenset[str]]] = []
    for i, raw in enumerate(data.get("suppress", []), start=1):
        label, markers = _parse_sentence_table(raw, f"{path.name} suppress #{i}", _SUPPRESS_KEYS, "by")
        suppresses.append((label, frozenset(markers)))
    meta = data.get("meta", {})
    openers = frozenset(_strs(meta.get("openers"), f"{path.name} [meta]", "openers"))
    options = tuple(f" {w} " for w in _strs(meta.get("options"), f"{path.name} [meta]", "options"))
    topic_layer = _compile_layer(topic, path.name)
    return Lexicon(
        lang=lang,
        act=_compile_layer(act, path.name, inner=topic_layer),
        topic=topic_layer,
        wh=_compile_layer(wh, path.name),
        openers=openers,
        options=options,
        options_re=re.compile("|".join(re.escape(o) for o in options) or r"(?!)"),
        subject_before=frozenset(_strs(meta.get("subject_before"), f"{path.name} [meta]", "subject_before")),
        path=path,
        not_names=frozenset(_strs(meta.get("not_names"), f"{path.name} [meta]", "not_names")) | openers,
        combines=tuple(combines),
        suppresses=tuple(suppresses),
        open_claim_needs=frozenset(_strs(meta.get("open_claim_needs"), f"{path.name} [meta]", "open_claim_needs")),
        table_markers=frozenset(c[1] for c in combines)
        | frozenset(m for _label, by in suppresses for m in by),
    )


def _parse_sentence_table(raw: object, where: str, keys: frozenset[str], key: str) -> tuple[str, tuple[str, ...]]:
    """Check a [[combine]] / [[suppress]] table; its label and its marker list ``key``."""
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: not a table", "Use [[combine]] / [[suppress]] tables.")
    unknown = set(raw) - keys
    if unknown:
        raise LexiconError(f"{where}: unknown key(s) {sorted(unknown)}", f"Allowed keys: {sorted(keys)}.")
    label = raw.get("label")
    if label not in LABELS:
        raise LexiconError(f"{where}: unknown label {label!r}", f"Use one of {sorted(LABELS)}.")
    comment = raw.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        raise LexiconError(f"{where}: every table needs a 'comment' saying what it does", "Add one.")
    markers = _strs(raw.get(key), where, key)
    if not markers:
        raise LexiconError(f"{where}: '{key}' needs at least one marker", "Add markers.")
    for m in markers + _strs(raw.get("none"), where, "none"):
        if not _is_feature(m) or m in DIRECT_FEATURES:
            raise LexiconError(f"{where}: {m!r} is not a sentence marker",
                               "Use a marker (e.g. 'ns_time') or a custom 'x_...' marker.")
    return str(label), tuple(markers)


def _engine_version() -> str:
    h = hashlib.sha256(ENGINE_CODE_VERSION.encode())
    for lang in LANGUAGES:
        h.update(lexicon_path(lang).read_bytes())
        if learned_path(lang).is_file():  # the learned layer, when shipped
            h.update(learned_path(lang).read_bytes())

    return f"{ENGINE_CODE_VERSION}-{h.hexdigest()[:12]}"


ENGINE_VERSION: str = _engine_version()
