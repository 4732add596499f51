"""miroir.stats on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from miroir import stats


def test_wilson_8_of_10() -> None:
    iv = stats.wilson_ci(8, 10)
    # p = .8, z = 1.96: centre .71674, half-width .22658
    assert iv.estimate == pytest.approx(0.8)
    assert iv.low == pytest.approx(0.4902, abs=1e-3)
    assert iv.high == pytest.approx(0.9433, abs=1e-3)


def test_clopper_pearson_zero_of_ten() -> None:
    iv = stats.clopper_pearson_ci(0, 10)
    assert iv.low == 0.0
    assert iv.high == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-6)  # 0.3085


def test_newcombe_textbook_example() -> None:
    # Newcombe (1998), example (b): 56/70 vs 48/80 -> 0.2000 (0.0524, 0.3339)
    iv = stats.newcombe_diff_ci(56, 70, 48, 80)
    assert iv.estimate == pytest.approx(0.2)
    assert iv.low == pytest.approx(0.0524, abs=5e-4)
    assert iv.high == pytest.approx(0.3339, abs=5e-4)
    assert iv.p_value is not None and iv.p_value < 0.05


def test_benjamini_hochberg_known_pvalues() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted .005 .01 .03 .04 -> p*m/i = .02 .02 .04 .04 (monotone already)
    rej, adj = stats.benjamini_hochberg(p, 0.05)
    assert adj.tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert rej.all()
    rej, _ = stats.benjamini_hochberg(p, 0.03)
    assert rej.tolist() == [True, False, False, True]
    rej, adj = stats.benjamini_hochberg([0.5, np.nan], 0.05)
    assert not rej.any() and np.isnan(adj[1])


def test_ols_binary_regressor_hc1_by_hand() -> None:
    # a = [1,2,3] (mean 2, var/n 2/3), b = [5,7] (mean 6, var/n 1)
    y = np.array([1, 2, 3, 5, 7], float)
    X = pd.DataFrame({"b": [0, 0, 0, 1, 1]})
    r = stats.ols(y, X)
    assert r.coef.tolist() == pytest.approx([2.0, 4.0])
    hc0 = np.sqrt((2 / 3) / 3 + 1 / 2)
    assert r.se[1] == pytest.approx(np.sqrt(5 / 3) * hc0)  # HC1 = sqrt(n/(n-k)) * HC0
    # every observation its own cluster: CR1 equals HC1
    rc = stats.ols(y, X, cluster=np.arange(5))
    assert rc.se[1] == pytest.approx(r.se[1])


def test_ols_absorbed_fixed_effects_recovers_slope() -> None:
    x = np.array([0, 1, 2, 3, 0, 1, 2, 3], float)
    g = np.array(["a"] * 4 + ["b"] * 4)
    y = np.where(g == "a", 10, 50) + 2 * x
    r = stats.ols(y, pd.DataFrame({"x": x}), absorb=g)
    assert r.names == ["x"]
    assert r.coef[0] == pytest.approx(2.0)


def test_ratio_delta_by_hand() -> None:
    iv = stats.ratio_delta_ci(np.array([1, 0, 1, 0.0]), np.ones(4), null=0.5)
    assert iv.estimate == pytest.approx(0.5)
    se = np.sqrt(1 * 4 / 3) / 4
    assert (iv.high - iv.low) / 2 == pytest.approx(1.959964 * se, rel=1e-5)
    assert iv.p_value == pytest.approx(1.0)


def test_t_interval_and_welch() -> None:
    iv = stats.t_interval(np.array([1.0, 2.0, 3.0]), null=0.0)
    # mean 2, sd 1, se 1/sqrt(3), t(.975, 2) = 4.3027
    assert iv.estimate == pytest.approx(2.0)
    assert iv.high - iv.estimate == pytest.approx(4.302653 / np.sqrt(3), rel=1e-5)
    w = stats.welch_interval(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    assert w.estimate == 0 and w.p_value == pytest.approx(1.0)


def test_bootstrap_is_seeded_and_covers() -> None:
    x = np.arange(1, 101, dtype=float)
    a = stats.bootstrap_mean_ci(x, seed=1, null=0.0)
    b = stats.bootstrap_mean_ci(x, seed=1, null=0.0)
    assert (a.low, a.high) == (b.low, b.high)
    assert a.low < 50.5 < a.high
    assert a.p_value is not None and a.p_value < 0.01
    c = stats.bootstrap_mean_ci(np.full(20, 3.0))
    assert c.low == c.high == 3.0
    r = stats.bootstrap_ratio_ci(np.array([1.0, 0, 1, 0]), np.ones(4))
    assert r.estimate == 0.5 and 0 <= r.low <= r.high <= 1
    d = stats.bootstrap_diff_ci(np.full(10, 5.0), np.full(10, 2.0), stat="median")
    assert d.estimate == 3.0 and d.low == d.high == 3.0


def test_beta_binomial_shrinkage() -> None:
    # identical rates: no between-unit variance -> everyone shrunk to the pooled rate
    s = stats.beta_binomial_shrinkage(np.array([5, 5, 5]), np.array([10, 10, 10]))
    assert s.mean == pytest.approx([0.5, 0.5, 0.5], abs=1e-3)
    # one extreme small unit is pulled toward the pooled rate, a big one much less
    s = stats.beta_binomial_shrinkage(np.array([2, 300, 10, 90]), np.array([2, 1000, 100, 300]))
    assert s.raw[0] == 1.0 and s.mean[0] < 0.9
    assert abs(s.mean[1] - s.raw[1]) < abs(s.mean[0] - s.raw[0])
    assert (s.low <= s.mean).all() and (s.mean <= s.high).all()


def test_confidence_helpers() -> None:
    assert stats.confidence_from_p(0.01) == pytest.approx(0.99)
    assert stats.confidence_from_p(0.01, q_adjusted=0.04) == pytest.approx(0.96)
    assert stats.confidence_from_p(None) == 0.0
    assert stats.confidence_from_p(0.0) == 0.999
    p = stats.p_from_interval(1.96, 0.0, 3.92)
    assert p == pytest.approx(0.05, abs=1e-3)


def test_ols_hc3_by_hand() -> None:
    # binary regressor, leverage 1/n_g: var = sum_a e^2/(1-1/3)^2/3^2 + sum_b e^2/(1-1/2)^2/2^2
    # with sum_a e^2 = 2 (a: -1, 0, 1) and sum_b e^2 = 2 (b: -1, 1) -> 0.5 + 2 = 2.5
    y = np.array([1, 2, 3, 5, 7], float)
    r = stats.ols(y, pd.DataFrame({"b": [0, 0, 0, 1, 1]}), hc="HC3")
    # HC3 residual scaling 1/(1-h)^2: group a h=1/3, group b h=1/2
    assert r.se[1] == pytest.approx(np.sqrt(2.5))


def test_fisher_midp_greater_by_hand() -> None:
    # [[2, 0], [0, 2]]: X ~ hypergeometric(4 units, 2 in column 1, 2 drawn); P(X = 2) = 1 / C(4, 2) = 1/6,
    # nothing above: mid-p = 1/12
    assert stats.fisher_midp_greater(2, 0, 0, 2) == pytest.approx(1 / 12)
    # [[3, 1], [1, 3]]: C(8, 4) = 70 tables; P(X = 3) = C(4,3) C(4,1) / 70 = 16/70, P(X = 4) = 1/70:
    # mid-p = 1/70 + 8/70 = 9/70 (the exact one-sided p would be 17/70)
    assert stats.fisher_midp_greater(3, 1, 1, 3) == pytest.approx(9 / 70)
    # the other direction: P(X > 1) = (36 + 16 + 1)/70, P(X = 1) = 16/70: mid-p = 53/70 + 8/70 = 61/70
    assert stats.fisher_midp_greater(1, 3, 3, 1) == pytest.approx(61 / 70)
    # a degenerate margin tells nothing
    assert stats.fisher_midp_greater(0, 0, 3, 4) == 1.0
