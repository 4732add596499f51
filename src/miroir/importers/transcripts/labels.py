"""Speaker-label heuristics and cue-text cleaning shared by the text formats.

A ``Name: text`` prefix is taken as a speaker label only when the label looks
like a name: at most 40 characters and 5 words, contains a letter, no sentence
punctuation (``? ! ; " « » …`` and friends; ``.`` only inside short words such
as ``Dr.`` or ``J.``; one comma only for ``Last, First``), is not a common
non-speaker heading (``Note``, ``PS``, ``Action``, ``Remarque``...) and, with
three words or more, has at least half its words capitalised. The colon must
be followed by whitespace or the end of the line, so ``https://x`` is never a
speaker.
"""

from __future__ import annotations

import html
import re

from .model import clean_label

_PREFIX_RE = re.compile(r"^\s*(?:[-–—]\s+)?([^:]{1,80}?)\s*:(?:\s+(.*)|)$", re.S)
_FORBIDDEN = set('?!;"“”«»…=<>{}[]|@#*+~^$%&\\`')
_STOP = {
    "note", "notes", "nb", "n.b.", "ps", "p.s.", "pps", "fyi", "tl;dr", "tldr", "todo", "to do",
    "remarque", "rappel", "attention", "important", "warning", "avertissement", "info", "infos",
    "action", "actions", "action item", "action items", "next steps", "next step", "prochaines étapes",
    "prochaine étape", "update", "edit", "example", "exemple", "ex", "e.g", "i.e", "eg", "ie",
    "objet", "subject", "re", "fw", "fwd", "tr", "résumé", "resume", "summary", "conclusion",
    "agenda", "ordre du jour", "date", "time", "heure", "lieu", "location", "url", "lien", "link",
    "email", "e-mail", "mail", "courriel", "tel", "tél", "phone", "téléphone", "address", "adresse",
    "source", "sources", "ref", "réf", "référence", "reference", "total", "prix", "price", "budget",
    "step", "étape", "point", "sujet", "topic", "titre", "title", "bonus", "caution", "tip", "astuce",
    "disclaimer", "quote", "citation", "result", "résultat", "pros", "cons", "problem", "problème",
    "solution", "goal", "objectif", "risk", "risque", "status", "statut", "décision", "decision",
    "owner", "deadline", "échéance", "question", "questions", "réponse", "answer", "why", "pourquoi",
    "because", "parce que", "so", "donc", "but", "mais", "and", "et", "or", "ou", "bref", "voilà",
    "voici", "here", "there", "well", "ok", "okay", "yes", "no", "oui", "non", "also", "aussi",
    "i mean", "je veux dire", "the thing is", "le truc", "en gros", "basically", "honestly",
    "franchement", "first", "second", "third", "premièrement", "deuxièmement", "d'abord", "ensuite",
    "puis", "enfin", "finally", "reason", "raison", "idea", "idée", "plan", "the plan", "le plan",
    "rule", "règle", "rules", "tl", "hint", "bottom line", "en résumé", "in short",
}
_STOP_FIRST = {"step", "étape", "point", "item", "option", "phase", "page", "section", "chapter",
               "chapitre", "slide", "figure", "table", "tableau", "annexe", "appendix", "article"}


def is_speaker_label(label: str) -> bool:
    """Whether ``label`` (the part before ``:``) looks like a speaker name."""
    if not label or len(label) > 40:
        return False
    if any(ch in _FORBIDDEN for ch in label):
        return False
    words = label.split()
    if not words or len(words) > 5:
        return False
    if not any(ch.isalpha() for ch in label):
        return False
    low = " ".join(words).casefold()
    if low in _STOP or low.rstrip(".") in _STOP:
        return False
    first = words[0].casefold().rstrip(".")
    if first in _STOP_FIRST and len(words) <= 3:
        return False
    if "." in label:
        for w in words:
            if "." in w and len(w.strip("()")) > 5:
                return False
    if "," in label and (label.count(",") > 1 or not all(w[0].isupper() for w in words if w[0].isalpha())):
        return False
    if len(words) >= 3:
        caps = sum(1 for w in words if w[0].isupper() or w[0].isdigit() or w[0] == "(")
        if caps * 2 < len(words):
            return False
    return True


def split_speaker_prefix(line: str) -> tuple[str, str] | None:
    """``(speaker, rest)`` when ``line`` starts with a plausible ``Name:`` prefix."""
    if ":" not in line:
        return None
    m = _PREFIX_RE.match(line)
    if not m:
        return None
    label = clean_label(m.group(1))
    if not is_speaker_label(label):
        return None
    return label, (m.group(2) or "").strip()


# Cue markup: voice spans are handled by the caller; these remove the rest.
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,200}>|</?\d[\d:.,]{0,30}>|\{\\[^{}]{0,100}\}")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def strip_markup(text: str) -> str:
    """Remove cue tags (``<c>``, ``<i>``, ``<b>``, ``</v>``, inline timestamps,
    SRT ``{\\an8}``), decode HTML entities and collapse whitespace."""
    if "<" in text or "{" in text:
        text = _TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return clean_text(text)


def clean_text(text: str) -> str:
    """Collapse whitespace; control characters become spaces."""
    if _CONTROL_RE.search(text):
        text = _CONTROL_RE.sub(" ", text)
    return " ".join(text.split())
