"""Begg and Mazumdar's rank correlation test for funnel asymmetry (Begg & Mazumdar 1994,
Biometrics 50:1088), as metafor ``ranktest``.

Standardised deviates y*_i = (y_i - mu_EE)/√(v_i - 1/Σw) (w = 1/v, mu_EE the equal-effects
mean) are correlated with v_i by Kendall's tau-b. The p-value (two-sided) is exact, from the
permutation distribution of the number of concordant pairs, when neither variable has ties
(R ``cor.test(method="kendall", exact=TRUE)``); with ties it is the normal approximation with
the tie-corrected variance of S and no continuity correction, as R does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evidence_lib.core.studies import as_studies, spread_by_keyword
from evidence_lib.questions.bias.result import BiasResult

MIN_K = 3


@dataclass(frozen=True, eq=False, repr=False)
class RankTestResult(BiasResult):
    """``kendall_tau``: Kendall's rank correlation (tau-b; metafor's ``tau``, not the between-study
    SD ``tau`` of the vocabulary) and its two-sided ``pval``; ``exact`` says which p-value."""

    DISPLAY = ('k', 'kendall_tau', 'pval')
    CAPTION = "Begg and Mazumdar's rank correlation test"

    k: int
    kendall_tau: float
    pval: float
    exact: bool


def _inversions_cdf(n: int) -> np.ndarray:
    """P(T <= q), q = 0..n(n-1)/2, T the number of inversions of a uniform random permutation
    of n (the Mahonian distribution, built one element at a time)."""
    pmf = np.ones(1)
    for i in range(2, n + 1):
        pmf = np.convolve(pmf, np.full(i, 1 / i))
    return np.cumsum(pmf)


def _tie_sums(x: np.ndarray) -> tuple[float, float, float]:
    _, t = np.unique(x, return_counts=True)
    t = t[t > 1].astype(float)
    return (t * (t - 1)).sum(), (t * (t - 1) * (2 * t + 5)).sum(), (t * (t - 1) * (t - 2)).sum()


@spread_by_keyword
def ranktest(studies, *, sei=None, vi=None) -> RankTestResult:
    """Begg and Mazumdar's test (module doc); metafor ``ranktest(yi, vi)``. Needs k >= 3."""
    s = as_studies(studies, sei=sei, vi=vi)
    n = len(s)
    if n < MIN_K:
        raise ValueError(f"ranktest needs k >= {MIN_K} studies, got k = {n}")
    s.require_spread_in_sei("ranktest")
    w = 1 / s.vi
    ystar = (s.yi - w @ s.yi / w.sum()) / np.sqrt(s.vi - 1 / w.sum())
    x, y = ystar, s.vi
    sign = np.sign(x[:, None] - x[None, :]) * np.sign(y[:, None] - y[None, :])
    S = np.triu(sign, 1).sum()
    t0 = n * (n - 1) / 2
    (tx1, vx, wx), (ty1, vy, wy) = _tie_sums(x), _tie_sums(y)
    tau = S / np.sqrt((t0 - tx1 / 2) * (t0 - ty1 / 2))
    exact = len(np.unique(x)) == n and len(np.unique(y)) == n
    if exact:
        q = round((tau + 1) * n * (n - 1) / 4)  # concordant pairs
        cdf = _inversions_cdf(n)
        p = 1 - cdf[q - 1] if q > n * (n - 1) / 4 else cdf[q]
        pval = min(2 * p, 1.0)
    else:
        var_s = ((n * (n - 1) * (2 * n + 5) - vx - vy) / 18 + tx1 * ty1 / (2 * n * (n - 1))
                 + wx * wy / (9 * n * (n - 1) * (n - 2)))
        z = S / np.sqrt(var_s)
        pval = 2 * min(stats.norm.cdf(z), stats.norm.sf(z))
    return RankTestResult(k=n, kendall_tau=float(tau), pval=float(pval), exact=exact)
