"""Gut calls (``intuitions`` table) against what happened and against the signals.

For each person: how often the deals they called ``fragile`` were then lost or
slipped, with a Wilson interval, vs their ``solid`` calls and vs the base rate;
the difference fragile - solid with a Newcombe interval (BH over people);
which signals their calls track (correlation of "called fragile" with each
standardised signal at the time of the call, Fisher-z interval) and where they
part from the data (signals the model weighs that the calls ignore, and the
deals where the person and the model disagreed: who was right).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..stats import Interval, benjamini_hochberg, newcombe_diff_ci, wilson_ci
from .base import LensContext

CALLS = ("fragile", "solid", "unsure")
_FR = {"fragile": "fragile", "fragil": "fragile", "solid": "solid", "solide": "solid", "unsure": "unsure",
       "incertain": "unsure", "not sure": "unsure", "?": "unsure"}


def load_gut_calls(ctx: LensContext) -> pd.DataFrame:
    """Gut calls with a normalised ``call`` and the instant they stand for (end of the
    day they were recorded: ``at``)."""
    if ctx.count("intuitions") == 0:
        return pd.DataFrame(columns=["deal_id", "recorded_at", "person", "call", "at"])
    g = ctx.df("""SELECT deal_id, CAST(recorded_at AS TIMESTAMP) AS recorded_at, person,
                         lower(trim(call)) AS call FROM intuitions
                  WHERE deal_id IS NOT NULL AND recorded_at IS NOT NULL AND person IS NOT NULL""")
    g["call"] = g["call"].map(lambda c: _FR.get(str(c), "unsure"))
    g["at"] = pd.to_datetime(g["recorded_at"]) + pd.Timedelta(days=1)
    return g.reset_index(drop=True)


@dataclass
class Tracked:
    signal: str
    r: float
    low: float
    high: float
    n: int
    coef: float  # the model's coefficient (0 when the data do not support it)


@dataclass
class Calibration:
    person: str
    role: str
    n_fragile: int
    bad_fragile: int
    n_solid: int
    bad_solid: int
    n_unsure: int
    base_rate: float  # bad rate of all the person's labelled calls
    precision: Interval  # P(bad | fragile), Wilson
    solid_rate: Interval  # P(bad | solid), Wilson
    diff: Interval  # fragile - solid, Newcombe
    q: float = float("nan")
    tracks: list[Tracked] = field(default_factory=list)
    model_auc: float = float("nan")  # the model's risk on the same calls
    call_auc: float = float("nan")  # the person's calls (fragile=1, unsure=0.5, solid=0)
    disagree_n: int = 0
    disagree_person_right: int = 0

    def row(self) -> dict[str, object]:
        return {"person": self.person, "role": self.role, "n_fragile": self.n_fragile,
                "bad_when_fragile": self.precision.estimate, "bad_when_fragile_low": self.precision.low,
                "bad_when_fragile_high": self.precision.high, "n_solid": self.n_solid,
                "bad_when_solid": self.solid_rate.estimate, "bad_when_solid_low": self.solid_rate.low,
                "bad_when_solid_high": self.solid_rate.high, "n_unsure": self.n_unsure, "base_rate": self.base_rate,
                "diff": self.diff.estimate, "diff_low": self.diff.low, "diff_high": self.diff.high,
                "p": self.diff.p_value, "q_bh": self.q, "call_auc": self.call_auc, "model_auc": self.model_auc,
                "disagreements": self.disagree_n, "person_right_when_disagreeing": self.disagree_person_right}


def _fisher(r: float, n: int) -> tuple[float, float]:
    if n < 4 or not np.isfinite(r):
        return (float("nan"), float("nan"))
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    h = 1.959963984540054 / np.sqrt(n - 3)
    return (float(np.tanh(z - h)), float(np.tanh(z + h)))


def calibrate(calls: pd.DataFrame, people_roles: dict[str, str], signals: list[str],
              coef: dict[str, float], min_calls: int = 10) -> list[Calibration]:
    """``calls``: one row per gut call with ``bad`` (NaN when not yet known), the
    signals at the time of the call and ``risk`` (the model's, NaN without model)."""
    lab = calls[calls["bad"].notna()]
    out: list[Calibration] = []
    for person, g in lab.groupby("person", sort=True):
        fr = g[g["call"] == "fragile"]
        so = g[g["call"] == "solid"]
        if len(fr) + len(so) < min_calls:
            continue
        kf, nf = float(fr["bad"].sum()), len(fr)
        ks, ns = float(so["bad"].sum()), len(so)
        c = Calibration(str(person), people_roles.get(str(person), "manager"), nf, int(kf), ns, int(ks),
                        int((g["call"] == "unsure").sum()), float(g["bad"].mean()), wilson_ci(kf, nf),
                        wilson_ci(ks, ns), newcombe_diff_ci(kf, nf, ks, ns))
        fs = g[g["call"].isin(["fragile", "solid"])]
        x = (fs["call"] == "fragile").to_numpy(dtype=float)
        for s in signals:
            v = fs[s].to_numpy(dtype=float)
            ok = np.isfinite(v)
            if ok.sum() < 8 or np.ptp(v[ok]) == 0 or np.ptp(x[ok]) == 0:
                continue
            r = float(np.corrcoef(x[ok], v[ok])[0, 1])
            lo, hi = _fisher(r, int(ok.sum()))
            c.tracks.append(Tracked(s, r, lo, hi, int(ok.sum()), float(coef.get(s, 0.0))))
        y = g["bad"].to_numpy(dtype=float)
        score = g["call"].map({"fragile": 1.0, "unsure": 0.5, "solid": 0.0}).to_numpy(dtype=float)
        if 0 < y.sum() < len(y):
            c.call_auc = _auc(score, y)
            if "risk" in g and g["risk"].notna().all():
                risk = g["risk"].to_numpy(dtype=float)
                c.model_auc = _auc(risk, y)
                med = float(np.median(lab["risk"])) if lab["risk"].notna().any() else 0.5
                model_fragile = risk > med
                dis = ((score == 1.0) & ~model_fragile) | ((score == 0.0) & model_fragile)
                c.disagree_n = int(dis.sum())
                c.disagree_person_right = int(np.sum(dis & ((score == 1.0) == (y == 1.0))))
        out.append(c)
    _, q = benjamini_hochberg([c.diff.p_value if c.diff.p_value is not None else np.nan for c in out])
    for c, qq in zip(out, q, strict=True):
        c.q = float(qq)
    return out


def _auc(score: np.ndarray, y: np.ndarray) -> float:
    r = sps.rankdata(score)
    n1 = float(y.sum())
    n0 = float(len(y) - n1)
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
