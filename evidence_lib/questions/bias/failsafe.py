"""Fail-safe N, as metafor ``fsn``.

- Rosenthal (1979, Psychol Bull 86:638), Stouffer's method: z̄ = |Σ z_i|/√k with z_i = y_i/se_i;
  N = max(0, k (z̄/z_α)² - k), z_α the upper ``alpha`` quantile; ``pval_one_sided`` = P(Z > z̄).
- Orwin (1983, J Educ Stat 8:157): N = max(0, k (ȳ - target)/target), ȳ the unweighted mean
  (``weighted=True``: inverse-variance), ``target`` by default ȳ/2 and given the sign of ȳ.
- Rosenberg (2005, Evolution 59:464): N = max(0, k [(Σ w y / z_(α/2))² - Σ w]/Σ w), w = 1/v;
  ``pval`` of the equal-effects z test (two-sided).
N is rounded up to a whole number (to the nearest when within √eps of one), as metafor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evidence_lib.core.checks import choice
from evidence_lib.core.studies import as_studies, spread_by_keyword
from evidence_lib.questions.bias.result import BiasResult

TYPES = ("Rosenthal", "Orwin", "Rosenberg")


@dataclass(frozen=True, eq=False, repr=False)
class FailSafeResult(BiasResult):
    """``fsn``: the fail-safe number; ``estimate`` the mean effect Orwin and Rosenberg use. metafor's
    ``pval`` is two p-values: Rosenberg's two-sided one (of the equal-effects z test) is ``pval``,
    Rosenthal's one-sided one (of the combined, Stouffer z) is ``pval_one_sided``; each is None for
    the other types."""

    DISPLAY = ('type', 'k', 'fsn', 'pval', 'pval_one_sided')
    CAPTION = "fail-safe N"

    type: str
    k: int
    fsn: float
    alpha: float
    pval: float | None
    pval_one_sided: float | None
    estimate: float | None
    target: float | None


@spread_by_keyword
def fsn(studies, *, sei=None, vi=None, type: str = "Rosenthal", alpha: float = 0.05,
        target: float | None = None, weighted: bool = False) -> FailSafeResult:
    """Fail-safe N of ``type`` "Rosenthal", "Orwin" or "Rosenberg" (module doc); needs k >= 1."""
    choice("type", type, TYPES)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    s = as_studies(studies, sei=sei, vi=vi)
    yi, vi_, k = s.yi, s.vi, len(s)
    pval = pval_one_sided = estimate = None
    if type == "Rosenthal":
        z_avg = abs(np.sum(yi / s.sei) / np.sqrt(k))
        pval_one_sided = float(stats.norm.sf(z_avg))
        n = max(0.0, k * (z_avg / stats.norm.isf(alpha)) ** 2 - k)
        target = None
    elif type == "Orwin":
        estimate = float(np.average(yi, weights=1 / vi_) if weighted else yi.mean())
        target = estimate / 2 if target is None else float(target)
        if target == 0:
            n = np.inf
        else:
            target = -target if np.sign(target) != np.sign(estimate) else target
            n = max(0.0, k * (estimate - target) / target)
    else:
        w = 1 / vi_
        estimate = float(w @ yi / w.sum())
        pval = float(2 * stats.norm.sf(abs(estimate * np.sqrt(w.sum()))))
        n = max(0.0, k * ((w @ yi / stats.norm.isf(alpha / 2)) ** 2 - w.sum()) / w.sum())
        target = None
    if np.isfinite(n):
        n = float(np.ceil(n) if abs(n - np.round(n)) >= np.sqrt(np.finfo(float).eps) else np.round(n))
    return FailSafeResult(type=type, k=k, fsn=n, alpha=alpha, pval=pval, pval_one_sided=pval_one_sided,
                          estimate=estimate, target=target)
