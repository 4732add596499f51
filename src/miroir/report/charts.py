"""Chart specs for the report.

Interactive charts are Plotly figure dicts (drawn offline by the Plotly
bundle inlined once in the page); symptom sparklines are small inline SVGs so
the first screen shows without any script. Points are capped so that a large
organisation still gives a small file.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .html import esc
from .i18n import Texts

MAX_FOREST_ROWS = 40


@dataclass
class ChartSpec:
    id: str
    title: str
    figure: dict[str, Any]


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _short(s: str, n: int = 48) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def forest_charts(lens: str, findings: list[dict[str, Any]], t: Texts,
                  title_of: dict[str, str]) -> list[ChartSpec]:
    """One forest plot per metric unit: each finding's effect and its 95% interval."""
    by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        e = f.get("effect") or {}
        if _finite(e.get("estimate")) and _finite(e.get("ci_low")) and _finite(e.get("ci_high")):
            by_unit[str((f.get("metric") or {}).get("unit") or "")].append(f)
    out = []
    for k, (unit, fs) in enumerate(sorted(by_unit.items())):
        fs = fs[:MAX_FOREST_ROWS]
        ys = [f"{f['id']} · {_short(title_of.get(f['id'], ''))}" for f in fs]
        est = [float(f["effect"]["estimate"]) for f in fs]
        hi = [float(f["effect"]["ci_high"]) - x for f, x in zip(fs, est, strict=True)]
        lo = [x - float(f["effect"]["ci_low"]) for f, x in zip(fs, est, strict=True)]
        fig = {
            "data": [{
                "type": "scatter", "mode": "markers", "x": est, "y": ys,
                "error_x": {"type": "data", "symmetric": False, "array": hi, "arrayminus": lo,
                            "color": "#1f5fa8", "thickness": 1.5, "width": 4},
                "marker": {"color": "#1f5fa8", "size": 8},
                "hovertemplate": "%{y}<br>%{x}<extra></extra>",
            }],
            "layout": {
                "height": 90 + 28 * len(fs), "margin": {"l": 10, "r": 20, "t": 10, "b": 40},
                "xaxis": {"title": {"text": f"{t('effect')} ({unit})" if unit else t("effect")},
                          "zeroline": True, "zerolinecolor": "#888"},
                "yaxis": {"automargin": True, "autorange": "reversed"},
                "font": {"family": "system-ui, sans-serif", "size": 12},
                "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            },
        }
        out.append(ChartSpec(f"chart-{lens}-{k}", t("effects_chart") + (f" ({unit})" if unit else ""), fig))
    return out


def series_chart(chart_id: str, title: str, series: list[tuple[str, float]], ytitle: str = "",
                 percent: bool = False) -> ChartSpec:
    xs = [p for p, _ in series]
    ys = [v for _, v in series]
    fig = {
        "data": [{"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys,
                  "line": {"color": "#1f5fa8"}}],
        "layout": {"height": 260, "margin": {"l": 50, "r": 20, "t": 10, "b": 50},
                   "yaxis": {"title": {"text": ytitle}, "tickformat": ".0%" if percent else ""},
                   "xaxis": {"type": "category"},
                   "font": {"family": "system-ui, sans-serif", "size": 12},
                   "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)"},
    }
    return ChartSpec(chart_id, title, fig)


def sparkline_svg(series: list[tuple[str, float]], label: str) -> str:
    """A small inline SVG line (no script needed)."""
    vals = [v for _, v in series if _finite(v)]
    if len(vals) < 2:
        return ""
    w, h, pad = 200.0, 38.0, 3.0
    lo, hi = min(vals), max(vals)
    span = hi - lo or 1.0
    pts = []
    for i, v in enumerate(vals):
        x = pad + i * (w - 2 * pad) / (len(vals) - 1)
        y = h - pad - (v - lo) * (h - 2 * pad) / span
        pts.append(f"{x:.1f},{y:.1f}")
    last = pts[-1].split(",")
    return (f'<svg viewBox="0 0 {w:.0f} {h:.0f}" preserveAspectRatio="none" role="img" aria-label="{esc(label)}">'
            f'<polyline fill="none" stroke="#1f5fa8" stroke-width="1.6" points="{" ".join(pts)}"/>'
            f'<circle cx="{last[0]}" cy="{last[1]}" r="2.5" fill="#1f5fa8"/></svg>')
