"""Ranking of findings: size x confidence x value at stake.

Every factor is in [0, 1] and kept on the finding (``params["rank"]``) so a
reader can see why a finding comes first:

- **size**: the effect relative to the metric's own scale,
  ``min(1, |effect.estimate| / max(|metric.value|, |metric.baseline|))``;
  0.5 (neutral) when the metric has no usable scale.
- **confidence**: the finding's own confidence (clipped to [0, 1]).
- **value weight**: ``0.25 + 0.75 * log1p(value) / log1p(max value)`` over the
  findings of this diagnosis that state a value at stake; 0.5 (neutral) for a
  finding without one. The log keeps one huge deal from drowning the rest.

Ties are broken by kind, scope and title so the order is reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..models import Finding

NEUTRAL = 0.5


@dataclass(frozen=True)
class RankScore:
    size: float
    confidence: float
    value_weight: float

    @property
    def score(self) -> float:
        return self.size * self.confidence * self.value_weight

    def to_dict(self) -> dict[str, float]:
        return {"score": round(self.score, 6), "size": round(self.size, 6),
                "confidence": round(self.confidence, 6), "value_weight": round(self.value_weight, 6)}


def _finite(x: float | None) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def effect_size(f: Finding) -> float:
    est = f.effect.estimate
    if not _finite(est):
        return 0.0
    scale = max((abs(float(v)) for v in (f.metric.value, f.metric.baseline)
                 if v is not None and _finite(v)), default=0.0)
    if scale <= 1e-12:
        return NEUTRAL if abs(est) > 0 else 0.0
    return min(1.0, abs(est) / scale)


def value_weight(value: float | None, max_value: float) -> float:
    if not _finite(value) or max_value <= 0:
        return NEUTRAL
    assert value is not None
    return 0.25 + 0.75 * math.log1p(max(0.0, value)) / math.log1p(max_value)


def score_findings(findings: list[Finding]) -> list[RankScore]:
    values = [f.value_at_stake for f in findings if _finite(f.value_at_stake)]
    vmax = max((max(0.0, v) for v in values if v is not None), default=0.0)
    out = []
    for f in findings:
        conf = min(1.0, max(0.0, f.confidence)) if _finite(f.confidence) else 0.0
        out.append(RankScore(effect_size(f), conf, value_weight(f.value_at_stake, vmax)))
    return out


def rank_order(findings: list[Finding], scores: list[RankScore]) -> list[int]:
    """Indices of ``findings`` from the most to the least important."""
    return sorted(range(len(findings)), key=lambda i: (
        -scores[i].score, findings[i].kind, findings[i].scope.level, findings[i].scope.id,
        findings[i].title, i))
