"""Step-function selection models (Vevea & Hedges 1995, Psychometrika 60:419), as metafor
``selmodel(rma(yi, vi, method="ML"), type="stepfun", steps=, alternative=)``.

One-sided p-values p_i = 1 - Φ(y_i/√v_i) (``alternative="greater"``; "less": Φ(y_i/√v_i)) fall
in the intervals (0, s_1], (s_1, s_2], ..., (s_{N-1}, 1]; a study in interval j is published
with relative probability δ_j, δ_1 = 1. The weighted likelihood of y_i ~ N(mu, v_i + tau²) is

    L_i = δ_{g_i} φ(y_i; mu, v_i + tau²) / A_i,   A_i = Σ_j δ_j P_ij,

P_ij the normal probability of interval j's y-range. It is maximised over mu, tau² >= 0 and
δ_j in [0, 100] (metafor's limits) by projected Newton ascent from the random-effects ML fit
with all δ = 1 (analytic gradient, numerical Hessian), to rounding level; the standard errors
come from the inverse of the numerical Hessian (central differences of the gradient, Richardson
extrapolated) at the maximum on the original scale of (mu, tau², δ_2, ...), as metafor's
numDeriv Hessian. A parameter that ends at its bound (tau² = 0, δ = 100) is held there: the
others' SEs come from their own block of the Hessian and it has none (None). metafor
differentiates across the bound of a function clipped there (tau² < 0 set to 0), so its SEs
in that case depend on numDeriv's step (tau² SE 1.3e-4 for dat.raudenbush1985, one step,
where the log-likelihood still falls with slope -157 at tau² = 0). LRT of δ_2 = ... = 1:
2 (``loglik`` - ``loglik_no_selection``), the latter the ordinary random-effects ML log-likelihood,
on N - 1 df. ``method="EE"`` fixes tau² = 0.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import ndtr

from evidence_lib.core import checks
from evidence_lib.core.checks import choice
from evidence_lib.core.errors import ConvergenceError
from evidence_lib.core.results import Pooled
from evidence_lib.core.studies import as_studies, spread_by_keyword
from evidence_lib.frequentist.rma import random_effects
from evidence_lib.questions.bias.result import BiasResult

ALTERNATIVES = ("greater", "less")
DELTA_MAX = 100.0  # metafor's delta.max for step functions
_MAXITER = 200
_DELTA_MIN = 1e-10  # an interval holding a study makes delta = 0 impossible; keeps log(delta) finite


@dataclass(frozen=True, eq=False, repr=False)
class SelectionResult(BiasResult, Pooled):
    """mu (``estimate``, ``se``, z test, interval at ``level``), ``tau2`` and ``tau2_se``, the
    selection weights ``delta`` (the first fixed at 1, its SE None) with ``delta_se``, the
    likelihood-ratio test of no selection (``lrt``, ``lrt_df``, ``lrt_pval``), the log-likelihoods
    ``loglik`` and ``loglik_no_selection`` (metafor ``ll`` and ``ll0``), ``steps`` (ending at 1) and
    the studies per interval."""

    DISPLAY = ('alternative', 'k', 'ci', 'pval', 'tau2', 'delta_2', 'lrt', 'lrt_pval')
    CAPTION = "step-function selection model"

    alternative: str
    method: str
    k: int
    steps: tuple
    k_per_interval: tuple
    tau2: float
    tau2_se: float | None
    delta: tuple
    delta_se: tuple
    lrt: float
    lrt_df: int
    lrt_pval: float
    loglik: float
    loglik_no_selection: float
    delta_at_bound: bool


def _cutpoints(vi, steps):
    """y-values where the one-sided ("greater") p-value crosses each inner step: z_(1-s) √v."""
    return stats.norm.isf(np.asarray(steps[:-1]))[None, :] * np.sqrt(vi)[:, None]


def _loglik(theta, yi, vi, cuts, group, free_tau2, grad: bool):
    """Selection-model log-likelihood (module doc, "greater" orientation) and its gradient in
    theta = (mu, [tau²], δ_2, ..., δ_N)."""
    mu = theta[0]
    tau2 = theta[1] if free_tau2 else 0.0
    delta = np.concatenate([[1.0], theta[2 if free_tau2 else 1:]])
    s2 = vi + tau2
    s = np.sqrt(s2)
    u = (cuts - mu) / s[:, None]
    G = np.concatenate([np.zeros((len(yi), 1)), ndtr(-u), np.ones((len(yi), 1))], axis=1)
    P = np.diff(G, axis=1)  # P_ij, interval j = [c_j, c_{j-1})
    A = P @ delta
    r = yi - mu
    ll = np.sum(np.log(delta[group]) - 0.5 * np.log(2 * np.pi * s2) - r**2 / (2 * s2) - np.log(A))
    if not grad:
        return ll
    phi = np.exp(-u**2 / 2) / np.sqrt(2 * np.pi)
    ddelta = delta[:-1] - delta[1:]  # A = Σ_j (δ_j - δ_{j+1}) G_j + δ_N
    g_mu = np.sum(r / s2 - (phi / s[:, None]) @ ddelta / A)
    g = [g_mu]
    if free_tau2:
        g.append(np.sum(-0.5 / s2 + r**2 / (2 * s2**2) - (phi * u / (2 * s2[:, None])) @ ddelta / A))
    onehot = np.eye(len(delta))[group]
    g_delta = (onehot / delta).sum(0) - (P / A[:, None]).sum(0)
    return ll, np.concatenate([g, g_delta[1:]])


def _hessian(theta, args, rel=1e-3):
    """Hessian of the log-likelihood: central differences of the analytic gradient with steps h
    and h/2, Richardson extrapolated (error O(h⁴)), h = rel·max(|theta|, 0.01), symmetrised."""
    n = len(theta)
    H = np.empty((n, n))
    for j in range(n):
        h = rel * max(abs(theta[j]), 0.01)
        cols = []
        for step in (h, h / 2):
            e = np.zeros(n)
            e[j] = step
            cols.append((_loglik(theta + e, *args, True)[1] - _loglik(theta - e, *args, True)[1]) / (2 * step))
        H[:, j] = (4 * cols[1] - cols[0]) / 3
    return (H + H.T) / 2


def _maximise(theta, lower, upper, args):
    """Projected Newton ascent with step halving: parameters at a bound whose gradient points
    out of the box are held there; the others take the Newton step of their block of the
    Hessian (a gradient step scaled by its diagonal where that block is not negative definite).
    Stops when the step is below 1e-12 (relative); ConvergenceError after ``_MAXITER`` steps."""
    theta = np.clip(theta, lower, upper)
    ll = _loglik(theta, *args, False)
    for _ in range(_MAXITER):
        g = _loglik(theta, *args, True)[1]
        held = ((theta <= lower) & (g <= 0)) | ((theta >= upper) & (g >= 0))
        free = ~held
        H = _hessian(theta, args)[np.ix_(free, free)]
        try:
            np.linalg.cholesky(-H)
            step = np.linalg.solve(-H, g[free])
        except np.linalg.LinAlgError:
            step = g[free] / np.maximum(np.abs(np.diag(H)), 1e-8)
        t = 1.0
        while t > 1e-12:
            trial = theta.copy()
            trial[free] = np.clip(theta[free] + t * step, lower[free], upper[free])
            ll_trial = _loglik(trial, *args, False)
            if ll_trial >= ll - 1e-13 * abs(ll):
                break
            t /= 2
        else:
            return theta  # no ascent left at rounding level: the maximum
        moved = np.abs(trial - theta)
        theta, ll = trial, ll_trial
        if np.all(moved <= 1e-12 * np.maximum(1.0, np.abs(theta))):
            return theta
    raise ConvergenceError(f"selmodel: the Newton maximisation of the selection-model likelihood did not converge "
                           f"in {_MAXITER} steps (last point {theta})")


@spread_by_keyword
def selmodel(studies, *, sei=None, vi=None, steps=(0.025,), alternative: str = "greater", method: str = "ML",
             level: float = 0.95) -> SelectionResult:
    """Fit a step-function selection model (module doc). ``steps``: the inner cut-points of the
    one-sided p-value in (0, 1); ``method``: "ML" (tau² estimated) or "EE" (tau² = 0).

    Needs k >= 1 + (1 for tau²) + (number of free weights) and at least one study in every
    interval with a free weight (the first may be empty, as in metafor); a maximisation that
    does not converge raises ConvergenceError.
    """
    choice("alternative", alternative, ALTERNATIVES)
    choice("method", method, ("ML", "EE"))
    level = checks.level(level)
    s = as_studies(studies, sei=sei, vi=vi)
    st = np.unique(np.asarray(steps, float))
    if st.size == 0 or np.any((st <= 0) | (st > 1)):
        raise ValueError(f"selmodel: steps must lie in (0, 1], got {steps!r}")
    if st[-1] != 1:
        st = np.append(st, 1.0)
    free_tau2 = method == "ML"
    n_par = 1 + free_tau2 + len(st) - 1
    if len(s) < n_par:
        raise ValueError(f"selmodel with {len(st) - 1} step(s) and method {method!r} needs k >= {n_par} studies, "
                         f"got k = {len(s)}")
    sign = 1.0 if alternative == "greater" else -1.0
    yi, vi_ = sign * s.yi, s.vi
    pvals = stats.norm.sf(yi / np.sqrt(vi_))
    group = np.searchsorted(st, pvals, side="left")  # first j with p <= s_j
    counts = np.bincount(group, minlength=len(st))
    if np.any(counts[1:] == 0):  # as metafor: the first interval (delta 1) may be empty
        empty = [f"({lo:g}, {hi:g}]" for lo, hi, c in zip(st[:-1], st[1:], counts[1:]) if c == 0]
        raise ValueError(f"selmodel: no observed p-value in the interval(s) {', '.join(empty)} "
                         f"(alternative={alternative!r}); choose other steps")
    ml = random_effects(s, method="ML" if free_tau2 else "EE")
    args = (yi, vi_, _cutpoints(vi_, st), group, free_tau2)
    start = np.concatenate([[sign * ml.estimate], [ml.tau2] if free_tau2 else [], np.ones(len(st) - 1)])
    lower = np.array([-np.inf] + [0.0] * free_tau2 + [_DELTA_MIN] * (len(st) - 1))
    upper = np.array([np.inf] * (1 + free_tau2) + [DELTA_MAX] * (len(st) - 1))
    theta = _maximise(start, lower, upper, args)
    grad = _loglik(theta, *args, True)[1]
    interior = (theta > lower + 1e-8) & (theta < upper - 1e-8)
    if np.any(np.abs(grad[interior]) > 1e-6 * max(1.0, abs(_loglik(theta, *args, False)))):
        raise ConvergenceError(f"selmodel: the maximisation stopped with gradient {grad[interior]} "
                               f"in the free parameters")
    ll = _loglik(theta, *args, False)
    delta = np.concatenate([[1.0], theta[1 + free_tau2:]])
    eps4 = np.finfo(float).eps ** 0.25
    at_bound = bool(np.any(delta[1:] <= eps4) or np.any(delta[1:] >= DELTA_MAX - 100 * eps4))
    if at_bound:
        warnings.warn("selmodel: one or more delta estimates are (almost) at their bound 0 or 100; "
                      "the selection weights are not identified by these data", stacklevel=3)
    se_all = np.full(len(theta), np.nan)  # a parameter at its bound is held there: no SE
    try:
        se_all[interior] = np.sqrt(np.diag(np.linalg.inv(-_hessian(theta, args)[np.ix_(interior, interior)])))
    except np.linalg.LinAlgError:
        pass
    if not np.all(np.isfinite(se_all[interior])):
        raise ConvergenceError("selmodel: the Hessian at the maximum is not negative definite; no standard errors")
    se_all = [float(x) if np.isfinite(x) else None for x in se_all]
    mu, se = sign * theta[0], se_all[0]
    crit = stats.norm.ppf((1 + level) / 2)
    lrt = max(0.0, 2 * (ll - ml_loglik(s.yi, vi=s.vi, mu=ml.estimate, tau2=ml.tau2)))
    df = len(st) - 1
    return SelectionResult(
        alternative=alternative, method=method, k=len(s), steps=tuple(float(x) for x in st),
        k_per_interval=tuple(int(c) for c in counts), estimate=float(mu), se=se, low=mu - crit * se,
        high=mu + crit * se, stat=mu / se, pval=float(2 * stats.norm.sf(abs(mu / se))),
        tau2=float(theta[1]) if free_tau2 else 0.0, tau2_se=se_all[1] if free_tau2 else None,
        delta=tuple(float(d) for d in delta), delta_se=(None,) + tuple(se_all[1 + free_tau2:]),
        lrt=lrt, lrt_df=df, lrt_pval=float(stats.chi2.sf(lrt, df)), loglik=float(ll),
        loglik_no_selection=float(ml_loglik(s.yi, vi=s.vi, mu=ml.estimate, tau2=ml.tau2)), delta_at_bound=at_bound, level=level)


def ml_loglik(yi, *, vi, mu: float, tau2: float) -> float:
    """Normal log-likelihood Σ log φ(y_i; mu, v_i + tau²) (metafor ``logLik(rma(method="ML"))``)."""
    return float(np.sum(stats.norm.logpdf(yi, mu, np.sqrt(vi + tau2))))
