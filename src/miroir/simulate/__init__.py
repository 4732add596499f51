"""A simulated sales organisation with planted dynamics: the demo and the ground truth.

``simulate(out, lang=..., seed=..., scale=..., plants=[...], null=...)`` writes
a dataset folder per ``shared/data-contract.md`` and ``ground_truth.json``
beside it (never read by the diagnosis).
"""

from .core import SimulationResult, simulate
from .plants import DEFAULT_PLANTS, EXTRA_KINDS, FINDING_KINDS, PLANT_LEVELS, Plant, parse_plant

__all__ = ["DEFAULT_PLANTS", "EXTRA_KINDS", "FINDING_KINDS", "PLANT_LEVELS", "Plant", "SimulationResult",
           "parse_plant", "simulate"]
