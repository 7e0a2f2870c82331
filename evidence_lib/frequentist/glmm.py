"""Frequentist binomial-normal random-effects meta-analysis of 2x2 counts (a logistic GLMM),
as R metafor ``rma.glmm(measure="OR", model="UM.FS")`` defines it.

Model (unconditional model with fixed study effects; Stijnen, Hamza & Özdemir 2010, Stat Med
29:3046; metafor 3.8 ``rma.glmm``, default ``coding=1/2``). Study i has e1_i events of n1_i in
the intervention arm and e2_i of n2_i in the control arm:

    e1_i ~ Bin(n1_i, p1_i),  logit p1_i = alpha_i + mu + b_i/2
    e2_i ~ Bin(n2_i, p2_i),  logit p2_i = alpha_i      - b_i/2,    b_i ~ N(0, tau²)

The study intercepts alpha_i are fixed parameters; the pooled log odds ratio mu enters through
the 0/1 arm dummy and the random effect through the ±1/2 coding (metafor's ``X.fit`` = arm-1
dummy times intercept, ``group12`` in ``(group12 - 1 | study)`` of ``lme4::glmer``). Studies
with no events, or only events, in both arms carry no information on the odds ratio and are
dropped (metafor ``drop00=TRUE``); any other zero cell needs no correction.

The marginal likelihood of study i, L_i = ∫ f_i(tau z) φ(z) dz with f_i the product of the two
binomial probabilities (binomial coefficients included, as metafor's log-likelihoods do), is
computed by adaptive Gauss-Hermite quadrature (Liu & Pierce 1994, Biometrika 81:624): the
nodes are centred at the mode of the integrand in z and scaled by its curvature, as
``glmer(nAGQ=)`` places them. metafor passes ``nAGQ = 7``; the default here is 21 points.
Stated accuracy, on the four reference data sets (tests/test_glmm.py): 21 and 61 points give
mu, se, tau² equal to 5e-14 relative and log-likelihoods equal to 5e-13; 7 points move them
by at most 8e-8 (mu), 7e-7 (se), 1.3e-6 (tau²) relative and 3e-7 in log-likelihood.

(alpha, mu, tau) are estimated jointly by maximum likelihood (Newton trust region, SciPy
``trust-exact``, with the analytic gradient and Hessian of the quadrature). Var(mu) is the mu
element of the inverse observed information in all k + 2 parameters (lme4 ``vcov`` of a GLMM
uses this Hessian too). Wald z test and interval; likelihood-ratio test of tau² = 0 against
the fit with tau fixed at 0 (metafor ``method="EE"``), referred to chi²(1) as metafor
``anova`` does (conservative on the boundary: the 50:50 chi²(0)/chi²(1) mixture halves p).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import minimize
from scipy.special import expit, gammaln, log_expit, logsumexp

from evidence_lib.core import checks
from evidence_lib.core.checks import choice
from evidence_lib.core.results import Pooled
from evidence_lib.effects.effect_sizes import check_counts
from evidence_lib.core.errors import ConvergenceError

FITTED_MEASURES = ("OR",)
MODELS = ("UM.FS",)
N_AGQ = 21
ANALYTIC_AGQ = 5  # from this many nodes on, the analytic posterior-mean derivatives are used
_MODE_TOL = 1e-12
_MODE_MAXITER = 200
_POLISH = 20
_TAU_ZERO = 1e-8


@dataclass(frozen=True, eq=False, repr=False)
class GLMMResult(Pooled):
    """A binomial GLMM fit; ``estimate``, ``low``, ``high`` and ``se`` on the log odds-ratio scale,
    ``stat`` the Wald z (metafor ``zval``).

    ``dropped``: 0-based indices of the input studies left out (no events or only events in
    both arms); ``k`` counts the studies fitted. ``loglik`` and ``loglik_ee`` are the maximised
    log-likelihoods with tau free and tau = 0; ``lrt = 2 (loglik - loglik_ee)``.
    """

    measure: str
    model: str
    k: int
    dropped: np.ndarray
    tau2: float
    loglik: float
    loglik_ee: float
    lrt: float
    lrt_pval: float
    n_agq: int
    alpha: np.ndarray = field(repr=False)

    DISPLAY = ("measure", "model", "k", "ci", "pval", "tau2")
    CAPTION = "Binomial-normal GLMM (log odds ratio; ratios shown as odds ratios)"

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))

    def to_frame(self) -> pd.DataFrame:
        """One row: the scalars above, plus the odds ratio and its interval (``ratio_*``)."""
        row = {name: getattr(self, name) for name in
               ("measure", "model", "k", "estimate", "se", "low", "high", "stat", "pval", "tau2", "tau",
                "loglik", "loglik_ee", "lrt", "lrt_pval", "level", "n_agq")}
        row |= {f"ratio_{name}": float(np.exp(row[name])) for name in ("estimate", "low", "high")}
        row["dropped"] = ";".join(str(i) for i in self.dropped)
        return pd.DataFrame([row])


class _Likelihood:
    """Log-likelihood of the counts, its gradient and Hessian in (alpha_1..alpha_k, mu, tau)."""

    def __init__(self, e1, n1, e2, n2, n_agq: int):
        self.e1, self.n1, self.e2, self.n2 = e1, n1, e2, n2
        self.k = len(e1)
        x, w = np.polynomial.hermite_e.hermegauss(n_agq)
        self.x, self.log_w = x, np.log(w / w.sum()) + x**2 / 2
        self.const = float((gammaln(n1 + 1) - gammaln(e1 + 1) - gammaln(n1 - e1 + 1)
                            + gammaln(n2 + 1) - gammaln(e2 + 1) - gammaln(n2 - e2 + 1)).sum())

    def _log_f(self, a, mu, tau, z):
        """log f_i(tau z) - z²/2 per study (binomial coefficients left out)."""
        eta1, eta2 = a + mu + tau * z / 2, a - tau * z / 2
        return (self.e1 * log_expit(eta1) + (self.n1 - self.e1) * log_expit(-eta1)
                + self.e2 * log_expit(eta2) + (self.n2 - self.e2) * log_expit(-eta2) - z**2 / 2)

    def _mode(self, a, mu, tau):
        """Mode and curvature scale of z -> log f_i(tau z) - z²/2 (strictly concave), by Newton with
        step halving: for a large tau the full logistic Newton step can overshoot and oscillate (the
        mode search for nAGQ = 1, where the optimiser tries tau near 7, did not converge without it)."""
        z = np.zeros(self.k)
        value = self._log_f(a, mu, tau, z)
        for _ in range(_MODE_MAXITER):
            p1, p2 = expit(a + mu + tau * z / 2), expit(a - tau * z / 2)
            grad = tau / 2 * ((self.e1 - self.n1 * p1) - (self.e2 - self.n2 * p2)) - z
            curv = 1 + tau**2 / 4 * (self.n1 * p1 * (1 - p1) + self.n2 * p2 * (1 - p2))
            step = grad / curv
            if np.max(np.abs(step)) < _MODE_TOL:
                return z + step, 1 / np.sqrt(curv)
            new = self._log_f(a, mu, tau, z + step)
            for _ in range(60):  # halve the steps that lower the (concave) objective
                worse = new < value - 1e-13 * (1 + np.abs(value))
                if not worse.any():
                    break
                step = np.where(worse, step / 2, step)
                new = np.where(worse, self._log_f(a, mu, tau, z + step), new)
            z, value = z + step, new
        raise ConvergenceError("adaptive quadrature: the mode search did not converge")

    def _terms(self, a, mu, tau):
        """Nodes z (k, J), linear predictors and log terms of each study's quadrature sum;
        ``mu`` and ``tau`` may be scalars or one value per study."""
        mu, tau = (np.broadcast_to(np.asarray(v, float), (self.k,)) for v in (mu, tau))
        centre, scale = self._mode(a, mu, tau)
        z = centre[:, None] + scale[:, None] * self.x                      # (k, J) nodes
        eta1 = a[:, None] + mu[:, None] + tau[:, None] * z / 2
        eta2 = a[:, None] - tau[:, None] * z / 2
        e1, n1, e2, n2 = (v[:, None] for v in (self.e1, self.n1, self.e2, self.n2))
        log_f = (e1 * log_expit(eta1) + (n1 - e1) * log_expit(-eta1)
                 + e2 * log_expit(eta2) + (n2 - e2) * log_expit(-eta2))
        return z, eta1, eta2, np.log(scale)[:, None] + self.log_w - z**2 / 2 + log_f

    def _numeric_derivatives(self, a, mu, tau):
        """Gradient (k, 3) and Hessian (k, 3, 3) of each study's quadrature log L_i in (alpha_i, mu, tau)
        by central differences: with few nodes (``n_agq < ANALYTIC_AGQ``) the posterior-mean score
        of :meth:`evaluate` is the derivative of the exact integral, not of the quadrature sum that
        is maximised (the node placement moves with the parameters), and the optimiser stalls."""
        theta = np.column_stack([a, np.full(self.k, mu), np.full(self.k, tau)])

        def f(shift):
            t = theta + shift
            return logsumexp(self._terms(t[:, 0], t[:, 1], t[:, 2])[3], axis=1)

        def e(p, h):
            out = np.zeros(3)
            out[p] = h
            return out

        f0, grad, hess = f(0.0), np.empty((self.k, 3)), np.empty((self.k, 3, 3))
        for p in range(3):
            hg, hh = 1e-5 * (1 + abs(theta[:, p])), 1e-3 * (1 + abs(theta[:, p]))
            grad[:, p] = (f(e(p, 1) * hg[:, None]) - f(-e(p, 1) * hg[:, None])) / (2 * hg)
            hess[:, p, p] = (f(e(p, 1) * hh[:, None]) - 2 * f0 + f(-e(p, 1) * hh[:, None])) / hh**2
            for q in range(p):
                hq = 1e-3 * (1 + abs(theta[:, q]))
                d = [f((sp * e(p, 1))[None, :] * hh[:, None] + (sq * e(q, 1))[None, :] * hq[:, None])
                     for sp, sq in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
                hess[:, p, q] = hess[:, q, p] = (d[0] - d[1] - d[2] + d[3]) / (4 * hh * hq)
        return grad, hess

    def evaluate(self, a, mu, tau, derivatives: bool = True):
        """log L and, per study, the gradient (k, 3) and Hessian (k, 3, 3) in (alpha_i, mu, tau)."""
        z, eta1, eta2, terms = self._terms(a, mu, tau)
        log_l = logsumexp(terms, axis=1)
        if not derivatives:
            return float(log_l.sum() + self.const)
        if len(self.x) < ANALYTIC_AGQ:
            return (float(log_l.sum() + self.const), *self._numeric_derivatives(a, mu, tau))
        e1, n1, e2, n2 = (v[:, None] for v in (self.e1, self.n1, self.e2, self.n2))
        post = np.exp(terms - log_l[:, None])                              # node weights, rows sum to 1
        p1, p2 = expit(eta1), expit(eta2)
        r1, r2, h1, h2 = e1 - n1 * p1, e2 - n2 * p2, n1 * p1 * (1 - p1), n2 * p2 * (1 - p2)
        one, zero = np.ones_like(z), np.zeros_like(z)
        d1 = np.stack([one, one, z / 2], axis=-1)                          # d eta1 / d(alpha, mu, tau)
        d2 = np.stack([one, zero, -z / 2], axis=-1)
        g = r1[..., None] * d1 + r2[..., None] * d2                        # (k, J, 3)
        h = (-h1[..., None, None] * d1[..., :, None] * d1[..., None, :]
             - h2[..., None, None] * d2[..., :, None] * d2[..., None, :]
             + g[..., :, None] * g[..., None, :])
        grad = np.einsum("kj,kjp->kp", post, g)
        hess = np.einsum("kj,kjpq->kpq", post, h) - grad[:, :, None] * grad[:, None, :]
        return float(log_l.sum() + self.const), grad, hess

    def assemble(self, grad, hess, free_tau: bool):
        """Gradient and Hessian of log L in (alpha_1..alpha_k, mu[, tau]) from the study pieces."""
        k, m = self.k, 2 if free_tau else 1
        shared = slice(1, 1 + m)
        g = np.concatenate([grad[:, 0], grad[:, shared].sum(axis=0)])
        h = np.zeros((k + m, k + m))
        h[np.arange(k), np.arange(k)] = hess[:, 0, 0]
        h[:k, k:] = hess[:, 0, shared]
        h[k:, :k] = h[:k, k:].T
        h[k:, k:] = hess[:, shared, shared].sum(axis=0)
        return g, h


def _maximise(lik: _Likelihood, start: np.ndarray, free_tau: bool):
    """Maximise log L over (alpha, mu[, tau]) by SciPy's exact trust-region Newton method."""
    k = lik.k
    cache = {}

    def pieces(theta):
        key = theta.tobytes()
        if key not in cache:
            cache.clear()
            tau = theta[k + 1] if free_tau else 0.0
            value, grad, hess = lik.evaluate(theta[:k], theta[k], tau)
            cache[key] = (value, *lik.assemble(grad, hess, free_tau))
        return cache[key]

    fit = minimize(lambda t: -pieces(t)[0], start, jac=lambda t: -pieces(t)[1], hess=lambda t: -pieces(t)[2],
                   method="trust-exact", options={"gtol": 1e-9, "maxiter": 500})
    theta = fit.x
    for _ in range(_POLISH):  # Newton steps where trust-exact stops short (flat log L near a zero cell)
        value, grad, hess = pieces(theta)
        if np.max(np.abs(grad)) < 1e-9 or np.linalg.eigvalsh(hess).max() >= 0:
            break
        theta = theta - np.linalg.solve(hess, grad)
    value, grad, hess = pieces(theta)
    if np.max(np.abs(grad)) > 1e-6:
        raise ConvergenceError(f"binomial GLMM: maximisation did not converge ({fit.message}; gradient "
                           f"{np.max(np.abs(grad)):.2g})")
    return theta, value, hess


def random_effects_binomial(e1, n1, e2, n2, measure: str = "OR", model: str = "UM.FS", *,
                            level: float = 0.95, n_agq: int = N_AGQ) -> GLMMResult:
    """Fit the binomial-normal random-effects model of the module docstring by maximum likelihood.

    ``e1``/``n1``: events and totals in the intervention arms, ``e2``/``n2`` in the control arms
    (whole counts). ``measure`` "OR" and ``model`` "UM.FS" are the only ones implemented;
    ``n_agq`` is the number of adaptive Gauss-Hermite points (metafor's glmer call uses 7).
    Needs at least 2 informative studies.

    Parity (tests/reference/glmm_reference.json, four data sets): metafor 3.8-1
    ``rma.glmm(measure="OR", model="UM.FS")`` with tightened glmer tolerances agrees to
    < 2e-6 relative on mu, se and tau². With glmer's default controls (Nelder-Mead over all
    k + 2 parameters) metafor stops up to 9e-4 (tau²) away on dat.nielweise2007. The
    log-likelihood is the marginal one (R ``integrate()`` at glmer's estimates agrees to
    < 1e-10); metafor's printed ML log-likelihood is not (lme4's deviance of a GLMM is
    conditional on the predicted random effects), so its LRT is not comparable.
    """
    choice("measure", measure, FITTED_MEASURES)
    choice("model", model, MODELS)
    level = checks.level(level)
    if isinstance(n_agq, bool) or not isinstance(n_agq, (int, np.integer)) or n_agq < 1:
        raise ValueError(f"n_agq must be a positive integer, got {n_agq!r}")
    e1, n1, e2, n2 = check_counts(e1, n1, e2, n2)
    uninformative = ((e1 == 0) & (e2 == 0)) | ((e1 == n1) & (e2 == n2))
    kept = ~uninformative
    if kept.sum() < 2:
        raise ValueError(f"random_effects_binomial needs at least 2 studies with events in some arm (and "
                         f"non-events in some arm); {int(kept.sum())} of {len(e1)} are informative")
    e1, n1, e2, n2 = e1[kept], n1[kept], e2[kept], n2[kept]
    separation = {"-inf": ((e1 == 0) | (e2 == n2), "no events with the intervention or only events in control"),
                  "+inf": ((e1 == n1) | (e2 == 0), "only events with the intervention or no events in control")}
    for side, (separated, pattern) in separation.items():
        if separated.all():
            raise ValueError(f"the maximum-likelihood log odds ratio is {side}: every informative study has {pattern} "
                             "(separation); a Bayesian fit (pymc_models.sample_binomial) still works")
    lik = _Likelihood(e1, n1, e2, n2, int(n_agq))
    c1, c2 = lik.e1 + 0.5, lik.e2 + 0.5
    alpha0 = np.log(c2 / (lik.n2 - lik.e2 + 0.5))
    mu0 = float(np.mean(np.log(c1 / (lik.n1 - lik.e1 + 0.5)) - alpha0))
    theta_ee, loglik_ee, _ = _maximise(lik, np.append(alpha0, mu0), free_tau=False)
    theta, loglik, hess = _maximise(lik, np.append(theta_ee, 0.5), free_tau=True)
    tau = abs(theta[-1])  # log L is even in tau
    if loglik < loglik_ee or tau < _TAU_ZERO:  # tau = 0 is the MLE (log L differs by O(tau²) < 1e-16)
        theta, loglik, tau = np.append(theta_ee, 0.0), loglik_ee, 0.0
        hess = lik.assemble(*lik.evaluate(theta[:-2], theta[-2], 0.0)[1:], free_tau=True)[1]
    info = -hess if tau > 0 else -hess[:-1, :-1]  # at tau = 0 the tau row decouples (log L even in tau)
    se = float(np.sqrt(np.linalg.inv(info)[lik.k, lik.k]))
    mu = float(theta[lik.k])
    crit = stats.norm.ppf((1 + level) / 2)
    lrt = max(0.0, 2 * (loglik - loglik_ee))
    return GLMMResult(
        measure=measure, model=model, level=level, k=lik.k, dropped=np.flatnonzero(uninformative),
        estimate=mu, se=se, low=float(mu - crit * se), high=float(mu + crit * se), stat=mu / se,
        pval=float(2 * stats.norm.sf(abs(mu / se))), tau2=float(tau**2), loglik=loglik, loglik_ee=loglik_ee,
        lrt=lrt, lrt_pval=float(stats.chi2.sf(lrt, 1)), n_agq=int(n_agq), alpha=theta[:lik.k].copy())
