"""Counting outcomes read several ways: the same 2x2 counts through the frequentist engines
(REML on escalc log odds ratios, the binomial GLMM) and the Bayesian ones (the exact posterior on
the same log odds ratios, a binomial-normal MCMC fit), side by side (:func:`readings_of_counts`),
and how often each approach's interval covers the true odds ratio in simulated meta-analyses
of sparse 2x2 tables (:func:`coverage_simulation`). The GLMM itself is
:mod:`evidence_lib.frequentist.glmm`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.bayes.summaries import summarise
from evidence_lib.core import checks
from evidence_lib.core.mcse import binomial_mcse
from evidence_lib.effects.effect_sizes import log_or
from evidence_lib.frequentist.glmm import GLMMResult, random_effects_binomial
from evidence_lib.frequentist.rma import random_effects


def readings_of_counts(e1, n1, e2, n2, *, tau_prior, mu_prior=None, mcmc=None,
                       level: float = 0.95) -> tuple[pd.DataFrame, GLMMResult]:
    """The same 2x2 counts read four ways, one row each (index: likelihood, approach): REML
    and the exact posterior on escalc log odds ratios (normal approximation), the binomial GLMM
    (:func:`~evidence_lib.frequentist.glmm.random_effects_binomial`) and, if given, a binomial-normal MCMC fit ``mcmc``
    (:func:`~evidence_lib.bayes.mcmc.sample_binomial`). Columns ``estimate, low, high`` (log
    OR), ``tau``, ``p_benefit`` (P(OR > 1), Bayesian rows only) and the odds ratios
    ``ratio_estimate, ratio_low, ratio_high`` (as in ``GLMMResult.to_frame()``). Returns the table
    and the GLMM fit."""
    effects = log_or(e1, n1, e2, n2)
    reml = random_effects(effects.yi, vi=effects.vi, method="REML", level=level)
    glmm = random_effects_binomial(e1, n1, e2, n2, level=level)
    rows = [("normal approx.", "REML (escalc log OR)", reml.estimate, reml.low, reml.high, reml.tau, np.nan),
            ("exact likelihood", "GLMM (ML, rma.glmm UM.FS)", glmm.estimate, glmm.low, glmm.high, glmm.tau, np.nan)]
    posteriors = [("normal approx.", "exact posterior (escalc log OR)",
                   exact_posterior(effects.yi, vi=effects.vi, tau_prior=tau_prior, mu_prior=mu_prior))]
    if mcmc is not None:
        posteriors.append(("exact likelihood", "binomial-normal posterior (MCMC)", mcmc))
    for likelihood, approach, post in posteriors:
        b = summarise(post, favours="higher", level=level)
        rows.append((likelihood, approach, b["estimate"], b["low"], b["high"], b["tau"], b["p_benefit"]))
    frame = pd.DataFrame(rows, columns=["likelihood", "approach", "estimate", "low", "high", "tau", "p_benefit"])
    frame = frame.sort_values("likelihood", ascending=False, kind="stable")
    for col in ("estimate", "low", "high"):
        frame[f"ratio_{col}"] = np.exp(frame[col])
    return frame.set_index(["likelihood", "approach"]), glmm


APPROACHES = ("GLMM (exact likelihood, ML)", "REML on escalc log OR", "exact posterior on escalc log OR")


def coverage_simulation(*, random_seed, tau_prior, mu_prior=None, k: int = 2, n: int = 40,
                        control_risk: float = 0.1, true_or: float = 3.0, true_tau: float = 0.0,
                        n_sim: int = 400, level: float = 0.95) -> pd.DataFrame:
    """Coverage of the ``level`` intervals for mu in simulated meta-analyses of 2x2 tables.

    Each of ``n_sim`` simulated meta-analyses draws ``k`` studies with ``n`` per arm from the GLMM
    of :mod:`evidence_lib.frequentist.glmm`: alpha_i = logit(``control_risk``), mu =
    log(``true_or``), b_i ~ N(0, ``true_tau``²). Three approaches are fitted:
    :func:`~evidence_lib.frequentist.glmm.random_effects_binomial` (Wald interval);
    :func:`~evidence_lib.frequentist.rma.random_effects` with REML on the escalc log odds ratios
    (:func:`~evidence_lib.effects.effect_sizes.log_or`: 0.5 added to tables with a zero cell, tables
    with no events or only events in both arms dropped), z interval; and
    :func:`~evidence_lib.bayes.exact.exact_posterior` on the same log odds ratios (central credible
    interval under ``tau_prior``, ``mu_prior``). An approach that cannot be fitted to a simulated
    meta-analysis is counted in ``not_fitted`` and left out of its coverage: the GLMM and REML need 2
    informative tables (the exact posterior 1), and the GLMM a finite ML estimate (no separation, see
    :func:`~evidence_lib.frequentist.glmm.random_effects_binomial`).

    One row per approach: ``n_sim``, fitted, coverage (share of fitted intervals containing
    mu), its Monte Carlo SE ``mcse`` = sqrt(c (1 - c) / fitted), median point estimate (ML estimate,
    REML mean, posterior median) and median interval width (log OR), and ``zero_cell_share``
    (share of simulated meta-analyses with at least one zero cell; the same in each row).
    """
    k = checks.whole("k", k, maximum=checks.K_MAX)
    n = checks.whole("n", n)
    n_sim = checks.whole("n_sim", n_sim)
    level = checks.level(level)
    control_risk = checks.level(control_risk, "control_risk")  # a probability strictly between 0 and 1
    true_or = checks.scalar("true_or", true_or, strictly_positive=True)
    true_tau = checks.scalar("true_tau", true_tau)
    if true_tau < 0:
        raise ValueError(f"true_tau is a standard deviation (>= 0), got {true_tau:g}")
    rng = np.random.default_rng(checks.seed(random_seed))
    mu = float(np.log(true_or))
    alpha = float(np.log(control_risk / (1 - control_risk)))
    sizes = np.full(k, n)
    hits, widths, estimates = ({a: [] for a in APPROACHES} for _ in range(3))
    zero = 0
    for _ in range(n_sim):
        b = rng.normal(0.0, true_tau, k)
        e1 = rng.binomial(sizes, expit(alpha + mu + b / 2))
        e2 = rng.binomial(sizes, expit(alpha - b / 2))
        zero += bool(((e1 == 0) | (e1 == n) | (e2 == 0) | (e2 == n)).any())
        intervals = {}
        try:
            fit = random_effects_binomial(e1, sizes, e2, sizes, level=level)
            intervals[APPROACHES[0]] = (fit.estimate, fit.low, fit.high)
        except ValueError:
            pass
        lor = log_or(e1, sizes, e2, sizes)
        if len(lor.yi) >= 1:
            if len(lor.yi) >= 2:
                reml = random_effects(lor.yi, vi=lor.vi, method="REML", level=level)
                intervals[APPROACHES[1]] = (reml.estimate, reml.low, reml.high)
            post = exact_posterior(lor.yi, sei=np.sqrt(lor.vi), tau_prior=tau_prior, mu_prior=mu_prior)
            intervals[APPROACHES[2]] = (post.median("mu"), *post.interval("mu", level=level, kind="central"))
        for name, (estimate, low, high) in intervals.items():
            estimates[name].append(estimate)
            hits[name].append(low <= mu <= high)
            widths[name].append(high - low)
    rows = []
    for name in APPROACHES:
        fitted = len(hits[name])
        c = float(np.mean(hits[name])) if fitted else np.nan
        rows.append({"approach": name, "n_sim": n_sim, "fitted": fitted, "not_fitted": n_sim - fitted,
                     "coverage": c, "mcse": float(binomial_mcse(c, fitted)) if fitted else np.nan,
                     "median_estimate": float(np.median(estimates[name])) if fitted else np.nan,
                     "median_width": float(np.median(widths[name])) if fitted else np.nan,
                     "zero_cell_share": zero / n_sim})
    return pd.DataFrame(rows)
