"""French/English language detection from function words (fast, no model)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zàâäçéèêëîïôöûùüÿœæ']+")
_ACCENT = re.compile(r"[éèçàêâîôûùœ]")
# the first characters of a turn carry enough signal
_SAMPLE = 400

_FR = frozenset(
    ["le", "la", "les", "un", "une", "des", "du", "de", "et", "est", "pas", "que", "qui", "nous", "vous", "je", "tu", "il", "ils", "elle", "elles", "ce", "cette", "ces", "mais", "ou", "donc", "avec", "pour", "dans", "sur", "chez", "au", "aux", "en", "ne", "plus", "très", "bien", "oui", "non", "c'est", "j'ai", "qu'il", "d'accord", "alors", "voilà", "ça", "sont", "été", "être", "avoir", "fait", "faire", "leur", "leurs", "notre", "votre", "nos", "vos", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "quoi", "comment", "pourquoi", "quand", "sans", "merci", "madame", "monsieur", "jamais", "quelques", "aussi", "encore", "toujours", "rien", "tout", "tous", "toute", "peu", "beaucoup", "trop", "vraiment", "déjà", "après", "avant", "depuis", "pendant", "entre", "chose", "bon", "bonjour", "salut", "y", "ferai", "fais", "suis", "es", "ai", "as", "avons", "avez", "ont", "sommes", "êtes", "vais", "va", "vont", "j'y", "c'était"]
)
_EN = frozenset(
    ["the", "a", "an", "and", "is", "are", "was", "were", "not", "that", "which", "who", "we", "you", "i", "he", "she", "they", "it", "this", "these", "those", "but", "or", "so", "with", "for", "in", "at", "of", "to", "be", "been", "have", "has", "had", "do", "does", "did", "yes", "no", "what", "how", "why", "when", "where", "there", "their", "our", "your", "my", "his", "her", "its", "can", "will", "would", "should", "it's", "i'm", "don't", "we're", "they're", "okay", "ok", "just"]
)


def language_scores(text: str) -> tuple[int, int]:
    """(French evidence, English evidence) of ``text``."""
    return lower_scores(text[:_SAMPLE].lower())


def lower_scores(low: str) -> tuple[int, int]:
    """Scores of an already lower-cased text: distinct function words of each
    language, plus French accented letters (counted in C, no Python loop)."""
    low = low[:_SAMPLE]
    words = _WORD.findall(low)
    return len(_FR.intersection(words)) + len(_ACCENT.findall(low)), len(_EN.intersection(words))


def detect_language(text: str, default: str = "en") -> str:
    """Return ``"fr"`` or ``"en"``; ``default`` when the text gives no signal."""
    return _decide(*language_scores(text), default)


def detect_lower(low: str, default: str = "en") -> str:
    """:func:`detect_language` for an already lower-cased text."""
    return _decide(*lower_scores(low), default)


def _decide(fr: int, en: int, default: str) -> str:
    if fr == en:
        return default
    return "fr" if fr > en else "en"
