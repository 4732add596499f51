"""Language engine: FR/EN utterance labels with evidence spans."""

from .detect import detect_language

__all__ = ["detect_language"]
