"""Lenses: each reads the store and returns metrics, findings and observations."""

from .base import Lens, LensContext, LensResult

__all__ = ["Lens", "LensContext", "LensResult"]
