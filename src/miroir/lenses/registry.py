"""The one place lenses are registered, in the order they run.

Conversation lenses come after the CRM lenses; ``intuition`` runs last since
it reuses their results.
"""

from __future__ import annotations

from .base import Lens

LENSES: list[type[Lens]] = [
]


def all_lenses() -> list[Lens]:
    return [cls() for cls in LENSES]


def lens_names() -> list[str]:
    return [cls.name for cls in LENSES]
