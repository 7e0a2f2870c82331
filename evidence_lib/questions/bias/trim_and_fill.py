"""Trim and fill (Duval & Tweedie 2000, Biometrics 56:455; JASA 95:89), as metafor ``trimfill``.

Side: unless given, the side where studies are missing is the one opposite the sign of the
slope of the meta-regression of y on sei (negative slope: missing on the right), as metafor.
With the effects flipped so that missing studies lie on the left, sorted, the k0 largest are
trimmed, mu re-estimated on the rest, and k0 re-estimated from the signed ranks of |y - mu|
until k0 repeats: L0 = (4 S_r - k(k+1))/(2k - 1) (S_r the sum of positive ranks), R0 = k - 1 -
(the largest rank of a negative deviation); k0 is rounded and truncated at 0. SE(k0),
``k0_se`` (metafor ``se.k0``): for L0 4√Var(S_r)/(2k - 1) (None when that variance formula is
negative, metafor's NaN), for R0 √(2 max(0, k0) + 2); ``k0_pval`` (metafor ``p.k0``, R0 only) =
1 - Σ C(m + 1, m + 1) 0.5^(m + 2) as metafor. The k0 trimmed studies are reflected about the trimmed mean (2 mu - y_i, same v_i)
and the model refitted to the k + k0 studies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from evidence_lib.core.checks import choice
from evidence_lib.core.errors import ConvergenceError
from evidence_lib.core.results import Pooled
from evidence_lib.core.studies import Studies, as_studies, spread_by_keyword
from evidence_lib.frequentist.meta_regression import METHODS, fit_meta_regression
from evidence_lib.frequentist.rma import random_effects
from evidence_lib.questions.bias.result import BiasResult

ESTIMATORS = ("L0", "R0")
SIDES = ("left", "right")
MIN_K = 3
_MAXITER = 100


@dataclass(frozen=True, eq=False, repr=False)
class TrimFillResult(BiasResult, Pooled):
    """The refit after filling (``estimate``, ``se``, ``low``, ``high``, ``stat``, ``pval``,
    ``tau2`` over ``k`` = observed + k0 studies) and ``studies``: the observed and filled
    studies, ``data["filled"]`` flagging the filled ones (labelled "Filled 1", ...)."""

    DISPLAY = ('estimator', 'side', 'k0', 'k', 'ci', 'pval', 'tau2')
    CAPTION = "trim and fill"

    estimator: str
    method: str
    side: str
    k0: int
    k0_se: float | None
    k0_pval: float | None
    k: int
    tau2: float
    studies: Studies


def _side(s: Studies, method: str) -> str:
    slope = fit_meta_regression(s.yi, vi=s.vi, X=np.column_stack([np.ones(len(s)), s.sei]), method=method).estimate[1]
    return "right" if slope < 0 else "left"


def _k0(yi, vi, method, estimator):
    """k0, its SE and the trimmed mean (flipped scale), iterated as metafor."""
    k = len(yi)
    k0, previous = 0, -1
    for _ in range(_MAXITER):
        if k0 == previous:
            return k0, se_k0, beta
        previous = k0
        beta = random_effects(yi[: k - k0], vi=vi[: k - k0], method=method).estimate
        dev = yi - beta
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(dev), kind="stable")] = np.arange(1, k + 1)  # R rank(ties="first")
        signed = np.sign(dev) * ranks
        if estimator == "R0":
            if not np.any(signed < 0):
                raise ValueError("trimfill: no study lies below the trimmed mean (all effects equal?); R0 is undefined")
            k0 = k - np.max(-signed[signed < 0]) - 1
            se_k0 = np.sqrt(2 * max(0, k0) + 2)
        else:
            sr = signed[signed > 0].sum()
            k0 = (4 * sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * k0**3 + 27 * k0**2 + 17 * k0 - 18 * k * k0**2
                      - 18 * k * k0 + 6 * k**2 * k0) / 24
            se_k0 = 4 * np.sqrt(var_sr) / (2 * k - 1) if var_sr >= 0 else None  # metafor: NaN
        k0, se_k0 = max(0, int(np.round(k0))), None if se_k0 is None else max(0.0, float(se_k0))
    raise ConvergenceError(f"trimfill: the trim-and-fill iteration for k0 did not converge in {_MAXITER} rounds")


@spread_by_keyword
def trimfill(studies, *, sei=None, vi=None, estimator: str = "L0", side: str | None = None,
             method: str = "REML", level: float = 0.95) -> TrimFillResult:
    """Trim and fill (module doc); metafor ``trimfill(rma(yi, vi, method=), estimator=, side=)``.

    ``method``: the model fitted at every step ("EE", "DL", "ML", "REML"). Needs k >= 3.
    """
    choice("estimator", estimator, ESTIMATORS)
    choice("method", method, METHODS)
    if side is not None:
        choice("side", side, SIDES)
    s = as_studies(studies, sei=sei, vi=vi)
    if len(s) < MIN_K:
        raise ValueError(f"trimfill needs k >= {MIN_K} studies, got k = {len(s)}")
    s.require_spread_in_sei("trimfill")
    side = side or _side(s, method)
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * s.yi, kind="stable")
    yi, vi = sign * s.yi[order], s.vi[order]
    k0, se_k0, beta = _k0(yi, vi, method, estimator)
    k = len(s)
    frame = s.to_frame()[["label", "yi", "sei"]].assign(filled=False)
    if k0 > 0:
        fill = pd.DataFrame({"label": [f"Filled {i}" for i in range(1, k0 + 1)],
                             "yi": sign * (2 * beta - yi[k - k0:]), "sei": np.sqrt(vi[k - k0:]), "filled": True})
        frame = pd.concat([frame, fill], ignore_index=True)
    data = frame[["filled"]] if s.data is None or k0 == 0 else pd.concat(
        [pd.concat([s.data, pd.DataFrame(index=range(k0))], ignore_index=True), frame[["filled"]]], axis=1)
    out = replace(s, yi=frame["yi"].to_numpy(), sei=frame["sei"].to_numpy(), labels=tuple(frame["label"]),
                  data=data.reset_index(drop=True))
    fit = random_effects(out, method=method, level=level)
    p_k0 = None
    if estimator == "R0":
        m = np.arange(-1, k0)
        p_k0 = float(1 - np.sum(0.5 ** (m + 2)))  # choose(m + 1, m + 1) = 1
    return TrimFillResult(estimator=estimator, method=method, side=side, k0=k0, k0_se=se_k0, k0_pval=p_k0,
                          k=len(out), estimate=fit.estimate, se=fit.se, low=fit.low, high=fit.high,
                          stat=fit.stat, pval=fit.pval, tau2=fit.tau2, level=level, studies=out)
