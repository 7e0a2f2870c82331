"""How often the readings are right: operating characteristics by seeded simulation.

Reviews like a given one (its k within-study SEs) are simulated at each true mean effect mu
on a grid: tau from a stated prior (e.g. the Rhodes/Turner empirical prior for the outcome),
theta_i ~ N(mu, tau²), y_i ~ N(theta_i, s_i²). Each simulated review is read as the
reviews read it (DerSimonian-Laird, 95 % z CI and Knapp-Hartung CI) and as the Bayesian
readings do (exact posterior, :class:`~evidence_lib.questions.many_fits.ExactBatch`, under each prior
set): the central CrI covers mu exactly when the posterior cdf at mu lies in
[(1 - level)/2, (1 + level)/2], and P(benefit) is the cdf at 0 on the side of benefit.

Reported: coverage of each interval and the rate of "significant" results (z CI excluding
0) per true mu, and the calibration of P(benefit): among reviews whose P(benefit) falls in a
bin, the share whose true mu is a benefit. Calibration depends on how the true effects are
spread: here each grid value is equally likely, so read it for that grid only. Monte Carlo
errors are binomial: sqrt(p(1 - p)/n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evidence_lib.core.results import Result
from evidence_lib.core import checks
from evidence_lib.core.mcse import binomial_mcse
from evidence_lib.core.studies import variances
from evidence_lib.frequentist.rma import dl_fits
from evidence_lib.questions.many_fits import ExactBatch, batch_rows, chunks, sign_of
from evidence_lib.bayes.priors import as_tau_prior

BINS = (0.0, 0.5, 0.7, 0.8, 0.85, 0.95, 0.99, 1.0)


@dataclass(frozen=True, eq=False, repr=False)
class OperatingCharacteristics(Result):
    """Result of :func:`operating_characteristics`: ``coverage`` (rows: true mu x interval;
    ``coverage``, ``mcse``, ``n_sim``), ``significant`` (per true mu: rate of z CIs excluding 0 and
    its MCSE), ``calibration`` (per prior set and P(benefit) bin: mean P(benefit), share of true
    benefits, ``n_in_bin`` (the simulated reviews in the bin), MCSE) and ``simulations`` (one row per
    simulated review); ``n_sim`` the simulated reviews per true mu."""

    CAPTION = "Coverage of each interval per true mu"

    coverage: pd.DataFrame
    significant: pd.DataFrame
    calibration: pd.DataFrame
    simulations: pd.DataFrame
    n_sim: int
    level: float

    def to_frame(self) -> pd.DataFrame:
        return self.coverage.copy()

    def coverage_table(self) -> pd.DataFrame:
        """Coverage pooled over the grid of true mu: one row per interval, with MCSE and
        ``n_sim_total``, the simulated reviews over all true mu."""
        g = self.coverage.groupby("interval", sort=False)
        total = g["n_sim"].sum()
        cov = g.apply(lambda d: np.average(d["coverage"], weights=d["n_sim"]), include_groups=False)
        return pd.DataFrame({"coverage": cov, "mcse": binomial_mcse(cov, total), "n_sim_total": total})


def operating_characteristics(*, sei=None, vi=None, true_mu, tau_prior, prior_sets, n_sim: int, random_seed,
                              favours: str = "lower", level: float = 0.95, bins=BINS,
                              progress: bool | None = None) -> OperatingCharacteristics:
    """Simulate ``n_sim`` reviews at each value of ``true_mu`` (analysis scale) with the
    within-study spread of the studies, by keyword (``sei=`` standard errors or ``vi=`` variances),
    and tau drawn from ``tau_prior`` (proper); read each under the z and
    Knapp-Hartung CIs and the exact posterior of every ``prior_sets`` entry (objects with
    ``label``, ``tau``, ``mu``, e.g. :func:`evidence_lib.published.readings.standard_prior_sets`)."""
    sei = np.sqrt(variances(sei=sei, vi=vi))
    if sei.ndim != 1 or len(sei) < 2:
        raise ValueError(f"operating_characteristics simulates reviews of at least 2 studies: give one sei (or vi) "
                         f"per study, got shape {sei.shape}")
    grid = checks.as_vector("true_mu", true_mu)
    tau_prior = as_tau_prior(tau_prior)
    if not tau_prior.proper:
        raise ValueError(f"tau_prior generates the simulated heterogeneity and must be proper, got {tau_prior.name}")
    sign = sign_of(favours)
    n_sim = checks.whole("n_sim", n_sim)
    level = checks.level(level)
    checks.memory("operating_characteristics", (len(grid) * n_sim, len(sei)), copies=8,
                  hint="give fewer simulations (a smaller n_sim) or fewer true_mu values")
    rng = np.random.default_rng(checks.seed(random_seed))
    mu = np.repeat(grid, n_sim)
    n, k = len(mu), len(sei)
    tau = tau_prior.ppf(rng.uniform(size=n))
    y = mu[:, None] + tau[:, None] * rng.standard_normal((n, k)) + sei * rng.standard_normal((n, k))

    lo_p, hi_p = (1 - level) / 2, (1 + level) / 2
    simulations = {"true_mu": mu, "tau": tau}
    intervals = {}
    for test, name in (("z", "z CI (DL)"), ("knha", "Knapp-Hartung CI (DL)")):
        fit = dl_fits(y, vi=sei**2, test=test, level=level)
        intervals[name] = (fit["low"] <= mu) & (mu <= fit["high"])
        if test == "z":
            simulations["significant"] = (fit["low"] > 0) | (fit["high"] < 0)
    p_benefit = {}
    for ps in prior_sets:
        at_mu, at_0 = np.empty(n), np.empty(n)
        for part in chunks(n, desc=ps.label[:30], progress=progress, size=batch_rows(sei)):
            batch = ExactBatch(y[part], sei, ps.tau, ps.mu)
            at_mu[part] = batch.cdf(mu[part])
            at_0[part] = batch.cdf(0.0)
        intervals[f"CrI: {ps.label}"] = (lo_p <= at_mu) & (at_mu <= hi_p)
        p_benefit[ps.label] = 1 - at_0 if sign > 0 else at_0
    simulations = pd.DataFrame(simulations | {f"covered: {k}": v for k, v in intervals.items()}
                           | {f"p_benefit: {k}": v for k, v in p_benefit.items()})

    rows = [{"true_mu": m, "interval": name, "coverage": hit[mu == m].mean(), "n_sim": n_sim}
            for name, hit in intervals.items() for m in grid]
    coverage = pd.DataFrame(rows)
    coverage["mcse"] = binomial_mcse(coverage["coverage"], coverage["n_sim"])
    sig = pd.DataFrame({"true_mu": grid, "significant": [simulations["significant"][mu == m].mean() for m in grid]})
    sig["mcse"] = binomial_mcse(sig["significant"], n_sim)

    truth = sign * mu > 0
    cal = []
    for label, p in p_benefit.items():
        which = np.digitize(p, bins[1:-1])
        for b in range(len(bins) - 1):
            inside = which == b
            m = int(inside.sum())
            share = truth[inside].mean() if m else np.nan
            cal.append({"prior_set": label, "bin": f"[{bins[b]:g}, {bins[b + 1]:g})", "n_in_bin": m,
                        "mean_p_benefit": p[inside].mean() if m else np.nan, "share_true_benefit": share,
                        "mcse": binomial_mcse(share, m) if m else np.nan})
    return OperatingCharacteristics(coverage=coverage, significant=sig, calibration=pd.DataFrame(cal),
                                    simulations=simulations, n_sim=n_sim, level=level)
