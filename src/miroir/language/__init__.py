"""Language engine: FR/EN utterance labels with evidence spans.

``annotate(text, lang=None, role=None, context=None) -> Annotation`` labels one
turn; ``annotate_batch(records, n_jobs=None)`` labels many, in parallel.
Lexicons are data files (``data/fr.toml``, ``data/en.toml``); ``ENGINE_VERSION``
changes whenever they or the engine logic change.
"""

from .batch import annotate_batch, iter_annotate
from .detect import detect_language
from .engine import Annotation, annotate
from .lexicon import ENGINE_VERSION, LABELS, LexiconError

__all__ = [
    "ENGINE_VERSION",
    "LABELS",
    "Annotation",
    "LexiconError",
    "annotate",
    "annotate_batch",
    "detect_language",
    "iter_annotate",
]
