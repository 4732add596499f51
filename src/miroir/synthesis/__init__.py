"""Synthesis: rank the findings and say what the system optimises for.

``synthesise`` is deterministic: the same findings give the same ids, order
and statements. Statements come from the rule table in ``rules.py`` (no
generated prose).
"""

from __future__ import annotations

from dataclasses import replace

from ..models import Finding, OptimizingFor
from .rank import RankScore, rank_order, score_findings
from .rules import RULES, Rule, apply_rules

__all__ = ["RULES", "RankScore", "Rule", "apply_rules", "synthesise"]


def synthesise(findings: list[Finding]) -> tuple[list[Finding], list[OptimizingFor]]:
    """Rank ``findings`` (ids ``f-0001``... in rank order) and derive 0-5 statements.

    The input findings are not modified; the returned ones carry their rank
    factors in ``params["rank"]``.
    """
    scores = score_findings(findings)
    order = rank_order(findings, scores)
    ranked: list[Finding] = []
    ranked_scores: list[RankScore] = []
    for pos, i in enumerate(order, start=1):
        f = findings[i]
        params = dict(f.params)
        params["rank"] = scores[i].to_dict()
        ranked.append(replace(f, id=f"f-{pos:04d}", params=params))
        ranked_scores.append(scores[i])
    return ranked, apply_rules(ranked, [s.score for s in ranked_scores])
