"""Meta-regression with fixed moderators at parity with R metafor ``rma.uni(yi, vi, mods=X)``.

Model: y = X beta + u + e, u_i ~ N(0, tau²), e_i ~ N(0, v_i). With W = diag(1/(v + tau²)),
beta = (XᵀWX)⁻¹ XᵀWy and Var(beta) = (XᵀWX)⁻¹ (times s²_w = Σ w e²/(k - p) for Knapp-Hartung,
t(k - p) quantiles). tau² by REML or ML Fisher scoring with P = W - WX(XᵀWX)⁻¹XᵀW (REML
step (yᵀPPy - tr P)/tr(PP), ML step (yᵀPPy - Σw)/Σw²), run until the step is below 1e-13
(relative), or by DerSimonian-Laird for moderators, tau² = max(0, (Q_E - (k - p))/tr P at
tau² = 0) (Viechtbauer 2010, J Stat Softw 36(3)); "EE": tau² = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evidence_lib.core.checks import choice
from evidence_lib.core.errors import ConvergenceError
from evidence_lib.core.results import Result
from evidence_lib.core.studies import spread_by_keyword, variances

METHODS = ("REML", "ML", "DL", "EE")
TESTS = ("z", "knha")
_MAXITER = 10_000


@dataclass(frozen=True, eq=False, repr=False)
class MetaRegression(Result):
    """Coefficients ``estimate`` (metafor's ``b``, one per column of X) with ``se``, test statistics
    ``stat`` and ``pval``, interval ends ``low``/``high`` at ``level``; ``df_test`` is k - p for
    Knapp-Hartung, None for z tests. ``to_frame()``: one row per coefficient (``term`` b0, b1, ...)."""

    DISPLAY = ("term", "ci", "se", "stat", "pval")
    CAPTION = "Meta-regression coefficients"

    method: str
    test: str
    level: float
    k: int
    estimate: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    low: np.ndarray
    high: np.ndarray
    df_test: int | None
    tau2: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"term": [f"b{j}" for j in range(len(self.estimate))], "estimate": self.estimate,
                             "se": self.se, "low": self.low, "high": self.high, "stat": self.stat, "pval": self.pval,
                             "df_test": self.df_test, "tau2": self.tau2, "k": self.k, "level": self.level})


def _projection(vi, X, tau2):
    w = 1 / (vi + tau2)
    xtwx_inv = np.linalg.inv(X.T @ (w[:, None] * X))
    P = np.diag(w) - (w[:, None] * X) @ xtwx_inv @ (X.T * w)
    return w, P, xtwx_inv


def _tau2(yi, vi, X, method: str) -> float:
    k, p = X.shape
    if method == "EE":
        return 0.0
    if method == "DL":
        w, P, _ = _projection(vi, X, 0.0)
        return max(0.0, (yi @ P @ yi - (k - p)) / np.trace(P))
    # Hedges' start (metafor's default for the iterative estimators)
    resid = yi - X @ np.linalg.lstsq(X, yi, rcond=None)[0]
    hat = X @ np.linalg.pinv(X)
    tau2 = max(0.0, (resid @ resid - np.trace((np.eye(k) - hat) * vi)) / (k - p))
    for _ in range(_MAXITER):
        w, P, _ = _projection(vi, X, tau2)
        Py = P @ yi
        if method == "REML":
            adj = (Py @ Py - np.trace(P)) / np.sum(P * P)
        else:
            adj = (Py @ Py - w.sum()) / (w @ w)
        while tau2 + adj < 0:
            adj /= 2
        tau2 += adj
        if abs(adj) <= 1e-13 * max(1.0, tau2):
            return float(tau2)
    raise ConvergenceError(f"meta-regression: Fisher scoring for {method} tau2 did not converge in {_MAXITER} steps")


@spread_by_keyword
def fit_meta_regression(yi, *, sei=None, vi=None, X, method: str = "REML", test: str = "z",
                        level: float = 0.95) -> MetaRegression:
    """Fit y ~ X (X holds the intercept column if wanted) with tau² by ``method``; see the module doc.
    ``yi`` with its spread by keyword: ``vi=`` (variances) or ``sei=`` (standard errors)."""
    choice("method", method, METHODS)
    choice("test", test, TESTS)
    vi = variances(sei=sei, vi=vi)
    yi, X = np.asarray(yi, float), np.asarray(X, float)
    k, p = X.shape
    if k <= p:
        raise ValueError(f"a meta-regression with {p} coefficients needs k >= {p + 1} studies, got k = {k}")
    tau2 = _tau2(yi, vi, X, method)
    w, _, vb = _projection(vi, X, tau2)
    beta = vb @ (X.T @ (w * yi))
    if test == "knha":
        vb = vb * (w @ (yi - X @ beta) ** 2) / (k - p)
        dist, df = stats.t(k - p), k - p
    else:
        dist, df = stats.norm(), None
    se = np.sqrt(np.diag(vb))
    stat = beta / se
    crit = dist.ppf((1 + level) / 2)
    return MetaRegression(method=method, test=test, level=level, k=k, estimate=beta, se=se, stat=stat,
                          pval=2 * dist.sf(np.abs(stat)), low=beta - crit * se, high=beta + crit * se,
                          df_test=df, tau2=float(tau2))
