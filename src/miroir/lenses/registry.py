"""The one place lenses are registered, in the order they run.

Conversation lenses come after the CRM lenses; ``intuition`` runs last since
it reuses their results.
"""

from __future__ import annotations

from .assumptions import AssumptionsLens
from .base import Lens
from .customers import CustomersLens
from .forecast import ForecastLens
from .incentives import IncentivesLens
from .intuition import IntuitionLens
from .meetings import MeetingsLens
from .pipeline import PipelineLens
from .pressure import PressureLens

LENSES: list[type[Lens]] = [
    ForecastLens,
    PipelineLens,
    IncentivesLens,
    PressureLens,
    AssumptionsLens,
    MeetingsLens,
    CustomersLens,
    IntuitionLens,
]


def all_lenses() -> list[Lens]:
    return [cls() for cls in LENSES]


def lens_names() -> list[str]:
    return [cls.name for cls in LENSES]
