"""Shared statistics toolkit for the lenses.

Everything here is plain numpy/scipy, vectorised, deterministic (seeded) and
documented with the method name a report can print (``Interval.method``).

Contents
--------
- :func:`bootstrap_ci` - percentile bootstrap of any vectorised statistic.
- :func:`bootstrap_mean_ci`, :func:`bootstrap_ratio_ci`, :func:`bootstrap_diff_ci` -
  the common cases (mean, ratio of sums, difference of means/medians).
- :func:`ratio_delta_ci`, :func:`ratio_diff_delta` - ratio of sums with a delta-method
  interval (fast tests over many scopes).
- :func:`wilson_ci`, :func:`clopper_pearson_ci` - intervals for a proportion.
- :func:`newcombe_diff_ci` - difference of two independent proportions (Newcombe
  hybrid score, method 10) with a two-proportion z-test p-value.
- :func:`fisher_midp_greater` - one-sided Fisher exact test of a 2x2 table, mid-p.
- :func:`t_interval` - mean with a Student-t interval and p-value against a null.
- :func:`benjamini_hochberg` - false-discovery-rate control.
- :func:`beta_binomial_shrinkage` - empirical-Bayes shrinkage of rates.
- :func:`ols` - least squares with HC1 or cluster-robust (CR1) standard errors and
  optional absorbed one-way fixed effects (within transformation).
- :func:`confidence_from_p`, :func:`p_from_interval` - turn a test into the
  ``confidence`` a finding carries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided interval.

    ``p_value`` is the two-sided p-value against ``null`` when the method gives one.
    """

    estimate: float
    low: float
    high: float
    method: str
    n: int = 0
    p_value: float | None = None
    null: float = 0.0

    def excludes(self, value: float) -> bool:
        return bool(self.low > value or self.high < value)


# --------------------------------------------------------------------------- bootstrap

_MAX_CELLS = 4_000_000  # resample matrix cells per chunk (memory-flat)


def _resample_stats(
    arrays: Sequence[np.ndarray],
    stat: Callable[..., np.ndarray],
    n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    n = len(arrays[0])
    chunk = max(1, _MAX_CELLS // max(n, 1))
    out = np.empty(n_boot)
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        idx = rng.integers(0, n, size=(b, n))
        out[done:done + b] = stat(*(a[idx] for a in arrays))
        done += b
    return out


def bootstrap_ci(
    arrays: np.ndarray | Sequence[np.ndarray],
    stat: Callable[..., np.ndarray],
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    null: float | None = None,
    method_name: str = "statistic",
) -> Interval:
    """Percentile bootstrap interval of ``stat``.

    ``arrays`` is one array or a sequence of equal-length arrays resampled
    together (rows). ``stat`` must be vectorised: it receives arrays of shape
    ``(b, n)`` and returns ``b`` values (use ``axis=-1``); it is also called
    once with the original 1-d arrays for the point estimate. When ``null``
    is given, the two-sided bootstrap p-value ``2 * min(P(T* <= null), P(T* >= null))``
    is returned (a percentile-inversion p-value). Resampling is chunked so
    memory stays flat for large n.
    """
    arrs = [np.asarray(arrays, dtype=float)] if isinstance(arrays, np.ndarray) else [
        np.asarray(a, dtype=float) for a in arrays]
    n = len(arrs[0])
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), "bootstrap (no data)", 0)
    est = float(stat(*arrs))
    rng = np.random.default_rng(seed)
    boots = _resample_stats(arrs, stat, n_boot, rng)
    boots = boots[np.isfinite(boots)]
    a = (1 - level) / 2
    if len(boots) == 0:
        return Interval(est, float("nan"), float("nan"), "bootstrap (degenerate)", n)
    lo, hi = np.quantile(boots, [a, 1 - a])
    p = None
    if null is not None:
        p = float(min(1.0, 2 * min(np.mean(boots <= null), np.mean(boots >= null))))
        p = max(p, 1.0 / (len(boots) + 1))
    return Interval(est, float(lo), float(hi),
                    f"percentile bootstrap of the {method_name}, {n_boot} resamples, seed {seed}",
                    n, p, null if null is not None else 0.0)


def _mean(x: np.ndarray) -> np.ndarray:
    return np.mean(x, axis=-1)


def _median(x: np.ndarray) -> np.ndarray:
    return np.median(x, axis=-1)


def bootstrap_mean_ci(x: np.ndarray, *, n_boot: int = 2000, seed: int = 0,
                      null: float | None = None) -> Interval:
    """Percentile bootstrap interval of a mean."""
    return bootstrap_ci(np.asarray(x, float), _mean, n_boot=n_boot, seed=seed, null=null,
                        method_name="mean")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    d = np.sum(den, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(num, axis=-1) / d


def bootstrap_ratio_ci(num: np.ndarray, den: np.ndarray, *, n_boot: int = 2000, seed: int = 0,
                       null: float | None = None) -> Interval:
    """Percentile bootstrap of a ratio of sums ``sum(num)/sum(den)`` resampling rows
    (e.g. value-weighted rates, the share of won value in the last days)."""
    return bootstrap_ci([np.asarray(num, float), np.asarray(den, float)], _ratio,
                        n_boot=n_boot, seed=seed, null=null, method_name="ratio of sums")


def bootstrap_diff_ci(a: np.ndarray, b: np.ndarray, *, stat: str = "mean", n_boot: int = 2000,
                      seed: int = 0) -> Interval:
    """Percentile bootstrap of ``stat(a) - stat(b)`` for two independent samples
    (``stat`` = ``"mean"`` or ``"median"``), resampling each group separately.
    The p-value is against a zero difference."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    if len(a) == 0 or len(b) == 0:
        return Interval(float("nan"), float("nan"), float("nan"), "bootstrap (no data)", len(a) + len(b))
    f = _mean if stat == "mean" else _median
    rng = np.random.default_rng(seed)
    ba = _resample_stats([a], f, n_boot, rng)
    bb = _resample_stats([b], f, n_boot, rng)
    d = ba - bb
    est = float(f(a) - f(b))
    lo, hi = np.quantile(d, [0.025, 0.975])
    p = float(min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0))))
    p = max(p, 1.0 / (n_boot + 1))
    return Interval(est, float(lo), float(hi),
                    f"percentile bootstrap of the difference of {stat}s, {n_boot} resamples, seed {seed}",
                    len(a) + len(b), p, 0.0)


def ratio_delta_ci(num: np.ndarray, den: np.ndarray, *, null: float = 1.0, level: float = 0.95) -> Interval:
    """Ratio of sums ``sum(num)/sum(den)`` over independent rows with a delta-method
    (linearisation) interval and a two-sided z-test against ``null``. Fast; use
    :func:`bootstrap_ratio_ci` for the interval a finding reports when n is small."""
    x = np.asarray(num, float)
    y = np.asarray(den, float)
    n = len(x)
    sy = y.sum()
    if n < 2 or sy == 0:
        return Interval(float("nan"), float("nan"), float("nan"), "delta method (n<2)", n, None, null)
    r = float(x.sum() / sy)
    se = float(np.sqrt(np.sum((x - r * y) ** 2) * n / (n - 1)) / abs(sy))
    z = sps.norm.ppf(1 - (1 - level) / 2)
    p = float(2 * sps.norm.sf(abs(r - null) / se)) if se > 0 else (1.0 if r == null else 0.0)
    return Interval(r, r - z * se, r + z * se, "ratio of sums, delta-method interval", n, p, null)


def ratio_diff_delta(num_a: np.ndarray, den_a: np.ndarray, num_b: np.ndarray, den_b: np.ndarray,
                     level: float = 0.95) -> Interval:
    """Difference of two independent ratios of sums (delta method, z-test against 0)."""
    a = ratio_delta_ci(num_a, den_a, level=level)
    b = ratio_delta_ci(num_b, den_b, level=level)
    if not (np.isfinite(a.estimate) and np.isfinite(b.estimate)):
        return Interval(float("nan"), float("nan"), float("nan"), "delta method (no data)", a.n + b.n)
    z = sps.norm.ppf(1 - (1 - level) / 2)
    se = float(np.hypot((a.high - a.low) / (2 * z), (b.high - b.low) / (2 * z)))
    d = a.estimate - b.estimate
    p = float(2 * sps.norm.sf(abs(d) / se)) if se > 0 else (1.0 if d == 0 else 0.0)
    return Interval(d, d - z * se, d + z * se, "difference of ratios, delta method", a.n + b.n, p, 0.0)


# --------------------------------------------------------------------------- proportions

def wilson_ci(k: float, n: float, level: float = 0.95) -> Interval:
    """Wilson score interval for a proportion ``k/n``."""
    if n <= 0:
        return Interval(float("nan"), 0.0, 1.0, "Wilson score", 0)
    z = Z95 if level == 0.95 else float(sps.norm.ppf(1 - (1 - level) / 2))
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return Interval(float(p), float(max(0.0, centre - half)), float(min(1.0, centre + half)),
                    "Wilson score", int(n))


def clopper_pearson_ci(k: int, n: int, level: float = 0.95) -> Interval:
    """Exact (Clopper-Pearson) interval for a proportion ``k/n``."""
    if n <= 0:
        return Interval(float("nan"), 0.0, 1.0, "Clopper-Pearson exact", 0)
    a = 1 - level
    lo = 0.0 if k == 0 else float(sps.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(sps.beta.ppf(1 - a / 2, k + 1, n - k))
    return Interval(k / n, lo, hi, "Clopper-Pearson exact", int(n))


def binomial_test(k: int, n: int, p0: float, alternative: str = "two-sided") -> float:
    """Exact binomial test p-value of ``k`` successes in ``n`` against ``p0``."""
    if n <= 0:
        return 1.0
    return float(sps.binomtest(int(k), int(n), p0, alternative=alternative).pvalue)


def newcombe_diff_ci(k1: float, n1: float, k2: float, n2: float, level: float = 0.95) -> Interval:
    """Difference ``k1/n1 - k2/n2`` of two independent proportions with the
    Newcombe hybrid-score interval (method 10, from two Wilson intervals); the
    p-value is the pooled two-proportion z-test."""
    if n1 <= 0 or n2 <= 0:
        return Interval(float("nan"), -1.0, 1.0, "Newcombe hybrid score", int(max(n1, 0) + max(n2, 0)))
    p1, p2 = k1 / n1, k2 / n2
    w1, w2 = wilson_ci(k1, n1, level), wilson_ci(k2, n2, level)
    d = p1 - p2
    lo = d - np.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    hi = d + np.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    pool = (k1 + k2) / (n1 + n2)
    se = np.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
    pv = 1.0 if se == 0 else float(2 * sps.norm.sf(abs(d) / se))
    return Interval(float(d), float(lo), float(hi), "Newcombe hybrid score; pooled z-test",
                    int(n1 + n2), pv, 0.0)


def fisher_midp_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided (greater) Fisher exact test of the 2x2 table ``[[a, b], [c, d]]``
    with Lancaster's mid-p: ``P(X > a) + P(X = a) / 2`` for ``X`` hypergeometric
    given the margins. Tests whether row 1 puts more of its units in column 1
    than row 2 does; the mid-p removes most of the conservatism of the exact
    test with small counts (its size stays close to the nominal level)."""
    a, b, c, d = (int(v) for v in (a, b, c, d))
    total, col1, row1 = a + b + c + d, a + c, a + b
    if row1 == 0 or col1 == 0 or row1 == total or col1 == total:
        return 1.0
    return float(min(1.0, sps.hypergeom.sf(a, total, col1, row1)
                     + 0.5 * sps.hypergeom.pmf(a, total, col1, row1)))


# --------------------------------------------------------------------------- means

def t_interval(x: np.ndarray, null: float = 0.0, level: float = 0.95) -> Interval:
    """Mean of ``x`` with a Student-t interval and two-sided one-sample t-test
    against ``null``."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        m = float(x.mean()) if n else float("nan")
        return Interval(m, float("nan"), float("nan"), "Student t (n<2)", n, None, null)
    m = float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(n))
    tq = sps.t.ppf(1 - (1 - level) / 2, n - 1)
    if se == 0:
        p = 1.0 if m == null else 0.0
    else:
        p = float(2 * sps.t.sf(abs(m - null) / se, n - 1))
    return Interval(m, m - tq * se, m + tq * se, "Student t", n, p, null)


def welch_interval(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> Interval:
    """Difference of means ``mean(a) - mean(b)`` with the Welch interval and test."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return Interval(float("nan"), float("nan"), float("nan"), "Welch t (n<2)", len(a) + len(b))
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    d = float(a.mean() - b.mean())
    se = float(np.sqrt(va + vb))
    if se == 0:
        return Interval(d, d, d, "Welch t", len(a) + len(b), 1.0 if d == 0 else 0.0)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    tq = sps.t.ppf(1 - (1 - level) / 2, df)
    p = float(2 * sps.t.sf(abs(d) / se, df))
    return Interval(d, d - tq * se, d + tq * se, "Welch t", len(a) + len(b), p, 0.0)


# --------------------------------------------------------------------------- multiple testing

def benjamini_hochberg(pvalues: Sequence[float] | np.ndarray, q: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg step-up procedure.

    Returns ``(reject, adjusted)``: a boolean mask of the hypotheses rejected at
    false-discovery rate ``q`` and the BH-adjusted p-values (q-values), in the
    input order. NaN p-values are never rejected and get adjusted value NaN.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return np.zeros(p.shape, bool), out
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.minimum(adj, 1.0)
    adj_in = np.empty(m)
    adj_in[order] = adj
    out[ok] = adj_in
    reject = np.zeros(p.shape, bool)
    reject[ok] = adj_in <= q
    return reject, out


# --------------------------------------------------------------------------- shrinkage

@dataclass(frozen=True)
class Shrunk:
    """Empirical-Bayes beta-binomial posterior per unit."""

    prior_alpha: float
    prior_beta: float
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    raw: np.ndarray = field(repr=False)


def beta_binomial_shrinkage(k: np.ndarray, n: np.ndarray, level: float = 0.95) -> Shrunk:
    """Shrink per-unit rates ``k/n`` toward the pooled rate.

    The beta prior is fitted by the method of moments on the observed rates
    (weighted by n, correcting the variance for binomial noise); each unit's
    posterior is Beta(alpha + k, beta + n - k), summarised by its mean and
    equal-tailed interval. When the rates vary no more than binomial noise
    explains, the prior is very concentrated (strong shrinkage).
    """
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    ok = n > 0
    raw = np.where(ok, k / np.where(ok, n, 1), np.nan)
    if ok.sum() == 0:
        nanv = np.full(k.shape, np.nan)
        return Shrunk(1.0, 1.0, nanv, nanv, nanv, raw)
    pooled = k[ok].sum() / n[ok].sum()
    pooled = min(max(pooled, 1e-6), 1 - 1e-6)
    w = n[ok]
    var_obs = float(np.sum(w * (raw[ok] - pooled) ** 2) / w.sum())
    noise = float(np.mean(pooled * (1 - pooled) / w))
    between = var_obs - noise
    max_var = pooled * (1 - pooled)
    if between <= 1e-9:
        strength = 1e6
    else:
        strength = max(max_var / min(between, max_var * 0.999) - 1, 1e-3)
    a0, b0 = pooled * strength, (1 - pooled) * strength
    a = a0 + k
    b = b0 + np.maximum(n - k, 0)
    alpha = (1 - level) / 2
    return Shrunk(float(a0), float(b0), a / (a + b), sps.beta.ppf(alpha, a, b),
                  sps.beta.ppf(1 - alpha, a, b), raw)


# --------------------------------------------------------------------------- regression

@dataclass(frozen=True)
class OLSResult:
    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    n: int
    df_resid: int
    cov_type: str
    n_clusters: int | None = None

    def _idx(self, name: str) -> int:
        return self.names.index(name)

    def p_value(self, name: str, df: int | None = None) -> float:
        i = self._idx(name)
        if not np.isfinite(self.se[i]) or self.se[i] == 0:
            return float("nan")
        t = self.coef[i] / self.se[i]
        return float(2 * sps.t.sf(abs(t), max(df if df is not None else self.df_resid, 1)))

    def interval(self, name: str, level: float = 0.95, df: int | None = None) -> Interval:
        """Coefficient with a t interval; ``df`` overrides the residual degrees of
        freedom (e.g. a conservative min(n1, n2) - 1 for a rare binary regressor)."""
        d = max(df if df is not None else self.df_resid, 1)
        i = self._idx(name)
        tq = sps.t.ppf(1 - (1 - level) / 2, d)
        c, s = float(self.coef[i]), float(self.se[i])
        extra = f", {d} df" if df is not None else ""
        return Interval(c, c - tq * s, c + tq * s, f"OLS, {self.cov_type} standard errors{extra}", self.n,
                        self.p_value(name, d), 0.0)


def _demean(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    codes, _ = pd.factorize(groups)
    counts = np.bincount(codes).astype(float)
    if values.ndim == 1:
        return values - (np.bincount(codes, weights=values) / counts)[codes]
    out = np.empty_like(values)
    for j in range(values.shape[1]):
        out[:, j] = values[:, j] - (np.bincount(codes, weights=values[:, j]) / counts)[codes]
    return out


def ols(
    y: np.ndarray,
    X: pd.DataFrame,
    *,
    cluster: np.ndarray | None = None,
    absorb: np.ndarray | None = None,
    add_const: bool = True,
    hc: str = "HC1",
) -> OLSResult:
    """Ordinary least squares of ``y`` on the columns of ``X``.

    - ``absorb``: group labels of a one-way fixed effect (e.g. the rep), removed
      by the within transformation (no dummy matrix; the constant is dropped).
    - ``cluster``: cluster labels for cluster-robust (CR1, Stata small-sample
      corrected) standard errors; otherwise heteroskedasticity-robust ``hc``:
      ``"HC1"`` (n/(n-k) scaling) or ``"HC3"`` (squared residuals inflated by
      1/(1-h)^2, leverage h including the absorbed group means; preferred for
      small samples and rare binary regressors, where HC1 is anti-conservative).
    Degrees of freedom for the t quantiles: clusters - 1 with clustering, else
    n - k - (number of absorbed groups).
    """
    yv = np.asarray(y, float)
    Xv = X.to_numpy(dtype=float)
    names = list(X.columns)
    n_abs = 0
    if absorb is not None:
        yv = _demean(yv, np.asarray(absorb))
        Xv = _demean(Xv, np.asarray(absorb))
        n_abs = len(pd.unique(np.asarray(absorb)))
    elif add_const:
        Xv = np.column_stack([np.ones(len(yv)), Xv])
        names = ["const", *names]
    n, k = Xv.shape
    xtx_inv = np.linalg.pinv(Xv.T @ Xv)
    beta = xtx_inv @ Xv.T @ yv
    resid = yv - Xv @ beta
    dof = max(n - k - n_abs, 1)
    if cluster is not None:
        codes, uniq = pd.factorize(np.asarray(cluster))
        g = len(uniq)
        scores = Xv * resid[:, None]
        summed = np.zeros((g, k))
        np.add.at(summed, codes, scores)
        meat = summed.T @ summed
        corr = (g / max(g - 1, 1)) * ((n - 1) / max(n - k - n_abs, 1))
        cov = corr * xtx_inv @ meat @ xtx_inv
        return OLSResult(names, beta, np.sqrt(np.maximum(np.diag(cov), 0)), n, max(g - 1, 1),
                         "cluster-robust (CR1)", g)
    if hc == "HC3":
        h = np.einsum("ij,jk,ik->i", Xv, xtx_inv, Xv)
        if absorb is not None:
            codes, _ = pd.factorize(np.asarray(absorb))
            h = h + 1.0 / np.bincount(codes)[codes]
        u2 = resid ** 2 / np.maximum(1 - h, 1e-8) ** 2
        meat = (Xv * u2[:, None]).T @ Xv
        cov = xtx_inv @ meat @ xtx_inv
        return OLSResult(names, beta, np.sqrt(np.maximum(np.diag(cov), 0)), n, dof, "HC3")
    meat = (Xv * (resid ** 2)[:, None]).T @ Xv
    cov = (n / dof) * xtx_inv @ meat @ xtx_inv
    return OLSResult(names, beta, np.sqrt(np.maximum(np.diag(cov), 0)), n, dof, "HC1")


# --------------------------------------------------------------------------- confidence

def p_from_interval(estimate: float, low: float, high: float, null: float = 0.0,
                    level: float = 0.95) -> float:
    """Approximate two-sided p-value from a symmetric-ish interval, assuming
    normality: se = (high - low) / (2 z)."""
    z = sps.norm.ppf(1 - (1 - level) / 2)
    se = (high - low) / (2 * z)
    if not np.isfinite(se) or se <= 0:
        return float("nan")
    return float(2 * sps.norm.sf(abs(estimate - null) / se))


def confidence_from_p(p: float | None, q_adjusted: float | None = None) -> float:
    """The ``confidence`` of a finding: ``1 - p`` using the multiplicity-adjusted
    p-value (BH q-value) when one exists, clipped to [0, 0.999]."""
    v = q_adjusted if q_adjusted is not None and np.isfinite(q_adjusted) else p
    if v is None or not np.isfinite(v):
        return 0.0
    return float(min(max(1.0 - v, 0.0), 0.999))
