"""Many fits at once, for simulation studies: exact posteriors of N data sets (rows of a
matrix) in a few array operations (their DerSimonian-Laird fits:
:func:`evidence_lib.frequentist.rma.dl_fits`).

:class:`ExactBatch` is the exact engine (:mod:`evidence_lib.bayes.exact`; the same conditional
normal update ``NormalModel.cond``) with one quadrature rule in u = log tau shared by all N data
sets instead of one adaptive rule each: 10-point Gauss-Legendre on panels of width 1/4 from
tau_lo = 1e-4·min(s_i) up to where every data set's log posterior has dropped 46 below its
maximum, plus the piece below tau_lo, where L(tau) = L(0)(1 + O(tau_lo²/s²)) = L(0) to 1e-8,
given its prior mass. tests/test_many_fits.py checks it against :func:`exact_posterior`
(measured agreement of P(mu < x) and log p(y): < 1e-12).
"""

from __future__ import annotations

import os

import numpy as np
from scipy import special

from evidence_lib.core import checks
from evidence_lib.bayes.exact import GL_W, GL_X, U_CAP, NormalModel
from evidence_lib.core.measures import benefit_sign, check_favours
from evidence_lib.bayes.priors import as_mu_prior, as_tau_prior, require_proper_posterior
from evidence_lib.core.studies import Studies

PANEL = 0.25       # panel width in u = log tau (0.5 is 1e-7 off for a posterior sd of log tau ~0.08)
LOW = 1e-4         # tau_lo = LOW · min(s): below it L(tau) = L(0) to ~1e-8
DROP = 46.0        # log-density drop treated as negligible (as the exact engine)
CHUNK = 250        # data sets per batch at most (memory: CHUNK x nodes x k doubles, see batch_rows)
TEMPORARIES = 5    # (nodes, data sets, k) arrays alive at once in _Model.cond


def needs_tau(studies: Studies, what: str) -> None:
    """ValueError for an estimate-only summary: tau is not identified there."""
    if studies.estimate_only or len(studies) < 2:
        raise ValueError(f"{what} needs k >= 2 studies, or a reconstruction with k and a heterogeneity "
                         f"statistic (tau is not identified from a pooled estimate alone); got {studies!r}")


def progress_bar(iterable, *, total: int, desc: str, progress: bool | None):
    """tqdm over ``iterable`` when ``progress`` (None: on unless the CI variable is set)."""
    if progress is None:
        progress = not os.environ.get("CI")
    if not progress:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc)


def chunks(n: int, *, desc: str, progress: bool | None = None, size: int = CHUNK):
    """Slices of range(n) of length ``size`` (a progress bar over them, see progress_bar)."""
    starts = range(0, n, size)
    return progress_bar((slice(i, min(i + size, n)) for i in starts), total=len(starts), desc=desc,
                        progress=progress)


def batch_rows(sei) -> int:
    """Data sets per :class:`ExactBatch` (at most CHUNK) whose (nodes x data sets x k) temporaries fit in
    a quarter of :data:`~evidence_lib.core.checks.MEMORY_LIMIT`; nodes estimated from the span of
    the quadrature rule (tau_lo to max(s)·e⁴, plus one extension) for the SEs ``sei`` ((k,) or (N, k))."""
    s = np.asarray(sei, float)
    span = np.log(s.max()) + 4 + 8 - np.log(LOW * s.min())
    nodes = len(GL_X) * int(np.ceil(span / PANEL))
    per_row = TEMPORARIES * 8 * nodes * s.shape[-1]
    return int(max(1, min(CHUNK, checks.MEMORY_LIMIT // 4 // per_row)))


def sign_of(favours) -> float:
    """+1 when higher values favour the intervention, -1 when lower do; ValueError when unknown."""
    return benefit_sign(check_favours(favours, allow_none=False))


class ExactBatch:
    """Exact posteriors of the normal-normal model for N data sets (module docstring).

    ``yi``: (N, k); ``sei``: (N, k) or (k,). Attributes: ``tau`` (G,) quadrature nodes
    (tau = 0 first, standing for the piece below tau_lo), ``w`` (G, N) posterior weights,
    ``m``/``v`` (G, N) conditional mean and variance of mu given tau, ``log_ml`` (N,) log
    marginal likelihood (None unless both priors are proper).
    """

    def __init__(self, yi, sei, tau_prior, mu_prior=None):
        tau_prior, mu_prior = as_tau_prior(tau_prior), as_mu_prior(mu_prior)
        y = np.atleast_2d(np.asarray(yi, float))
        s2 = np.broadcast_to(np.asarray(sei, float) ** 2, y.shape)
        require_proper_posterior(tau_prior, mu_prior, y.shape[1])
        model = NormalModel(y, s2, tau_prior, mu_prior)
        tau_lo = LOW * float(np.sqrt(s2.min()))
        start, stop = np.log(tau_lo), np.log(np.sqrt(s2.max())) + 4
        parts = []
        while True:  # extend upwards until every data set's log posterior has dropped by DROP
            left = start + PANEL * np.arange(int(np.ceil((stop - start) / PANEL)))
            u = (left[:, None] + PANEL * (GL_X + 1) / 2).ravel()
            log_l, m, v = model.cond(np.exp(u)[:, None])
            parts.append((u, tau_prior.logpdf(np.exp(u))[:, None] + u[:, None] + log_l, m, v))
            peak = np.max([p[1].max(0) for p in parts], axis=0)
            if (parts[-1][1][-len(GL_X):].max(0) < peak - DROP).all() or stop > U_CAP:
                break
            start, stop = left[-1] + PANEL, stop + 8
        u, g, m, v = (np.concatenate(x) for x in zip(*parts))
        log_w = np.log(np.tile(GL_W * PANEL / 2, len(u) // len(GL_W)))[:, None] + g
        log_l0, m0, v0 = model.cond(0.0)
        with np.errstate(divide="ignore"):
            log_w0 = np.log(model.prior_mass(tau_lo)) + log_l0
        log_w = np.vstack([log_w0, log_w])
        log_z = special.logsumexp(log_w, axis=0)
        self.tau = np.concatenate([[0.0], np.exp(u)])
        self.w = np.exp(log_w - log_z)
        self.m, self.v = np.vstack([m0, m]), np.vstack([v0, v])
        self.log_ml = log_z if (tau_prior.proper and mu_prior.proper) else None

    def cdf(self, x) -> np.ndarray:
        """P(mu <= x_n | y_n) for each data set n (x: scalar or (N,))."""
        return (self.w * special.ndtr((np.asarray(x, float) - self.m) / np.sqrt(self.v))).sum(0)

    def p_benefit(self, favours: str, threshold: float = 0.0) -> np.ndarray:
        """P(mu beyond ``threshold`` on the side that favours the intervention), per data set."""
        sign = sign_of(favours)
        return 1 - self.cdf(threshold) if sign > 0 else self.cdf(-threshold)
