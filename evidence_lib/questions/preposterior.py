"""What one more trial would change: preposterior analysis with the exact engine.

Each of ``n_sim`` simulations takes (tau, mu) from the current exact posterior (tau by its
quantile function at a uniform draw, mu | tau ~ N(m(tau), v(tau))), the new trials' true
effects theta_new ~ N(mu, tau²), and their estimates:

- SMD: y ~ N(theta, v(theta)) with v = 2/n + theta²/(4n) for n per arm (the large-sample
  variance of Hedges' g with equal arms), recorded with v(y) as a review would;
- RR, OR: events drawn per arm, control ~ Bin(n, p0) with the control risk p0 the user
  states, intervention ~ Bin(n, p1), p1 = p0·RR (capped at 1) or odds0·OR; the log ratio and
  its variance as metafor ``escalc`` (:mod:`evidence_lib.effects.effect_sizes`); a trial with no
  events (or only events) in both arms carries no information (its SE is set to 1e6).

The review with the new trials added is refitted exactly (:class:`~evidence_lib.questions.many_fits.
ExactBatch`), giving the updated P(benefit) and P(benefit beyond the threshold), and with DerSimonian-Laird
(z and Knapp-Hartung) for the frequentist analogue: the probability that the updated 95 % CI
excludes the null on the side of benefit. The probability that the updated evidence crosses
the stated target, P(benefit beyond the threshold) >= ``target``, is the share of simulations that do,
with its binomial Monte Carlo error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evidence_lib.core.results import Result
from evidence_lib.core import checks
from evidence_lib.effects.effect_sizes import log_or, log_rr
from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.core.mcse import binomial_mcse
from evidence_lib.frequentist.rma import dl_fits
from evidence_lib.questions.many_fits import ExactBatch, batch_rows, chunks, needs_tau, sign_of
from evidence_lib.core.studies import as_studies, spread_by_keyword
from evidence_lib.bayes.summaries import benefit_bounds

NO_INFORMATION_SE = 1e6


@dataclass(frozen=True, eq=False, repr=False)
class NextTrial(Result):
    """Result of :func:`next_trial`: ``simulations`` (one row per simulation: the new trials' true
    effects and estimates, updated ``p_benefit`` and ``p_benefit_beyond``, ``crosses``,
    ``ci_excludes_null`` (z) and ``kh_ci_excludes_null`` (Knapp-Hartung)), ``current`` (P(benefit), P(benefit beyond
    the threshold) now) and ``table`` (the probabilities with Monte Carlo errors)."""

    CAPTION = "What the next trial would change (probabilities with Monte Carlo errors)"

    simulations: pd.DataFrame
    current: dict
    table: pd.DataFrame
    n_sim: int
    n_per_arm: int
    n_trials: int
    threshold: float
    target: float

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def _new_estimates(theta, n, measure, control_risk, rng):
    """Estimates and SEs of new trials with true effects ``theta`` (module docstring)."""
    if measure == "SMD":
        y = theta + np.sqrt(2 / n + theta**2 / (4 * n)) * rng.standard_normal(theta.shape)
        return y, np.sqrt(2 / n + y**2 / (4 * n))
    p0 = control_risk
    if measure == "RR":
        p1 = np.minimum(p0 * np.exp(theta), 1.0)
    else:
        odds = p0 / (1 - p0) * np.exp(theta)
        p1 = odds / (1 + odds)
    e1, e0 = rng.binomial(n, p1), rng.binomial(n, np.full(theta.shape, p0))
    fit = (log_rr if measure == "RR" else log_or)(e1.ravel(), np.full(e1.size, n), e0.ravel(), np.full(e0.size, n))
    y, se = np.zeros(e1.size), np.full(e1.size, NO_INFORMATION_SE)
    y[fit.kept], se[fit.kept] = fit.yi, np.sqrt(fit.vi)
    return y.reshape(theta.shape), se.reshape(theta.shape)


def _binomial_row(name, hits) -> dict:
    p = float(np.mean(hits))
    return {"quantity": name, "probability": p, "mcse": float(binomial_mcse(p, len(hits)))}


@spread_by_keyword
def next_trial(studies, *, n_per_arm, n_trials: int = 1, sei=None, vi=None, tau_prior, mu_prior=None, favours=None,
               threshold: float = 0.2, target: float = 0.9, control_risk=None, n_sim: int = 2000,
               random_seed, level: float = 0.95, progress: bool | None = None) -> NextTrial:
    """Preposterior analysis of ``n_trials`` new two-arm trials of ``n_per_arm`` per arm.

    ``studies``: a Studies, a reconstructed published summary (its pseudo-studies stand for
    the review); ``measure`` SMD, RR or OR (from the studies). ``favours``: the side of the
    null favouring the intervention (default: the studies'). ``threshold``: the smallest effect
    that matters, on the analysis scale, as a magnitude (0.2 SD for SMD; e.g. log(1.25) for
    a ratio). ``control_risk``: the control arm's event risk, required for RR and OR.
    ``progress``: a tqdm bar over batches (None: on unless the CI variable is set).
    """
    studies = as_studies(studies, sei=sei, vi=vi)
    needs_tau(studies, "next_trial")
    favours = favours or studies.favours
    sign = sign_of(favours)
    measure = studies.measure
    checks.choice("measure", measure, ("SMD", "RR", "OR"))
    n = checks.whole("n_per_arm", n_per_arm, minimum=2, maximum=10**9)
    n_trials = checks.whole("n_trials", n_trials, maximum=1000)
    threshold = checks.scalar("threshold", threshold)
    if threshold < 0:
        raise ValueError(f"threshold is a magnitude on the analysis scale (>= 0), got {threshold}")
    target = checks.scalar("target", target)
    if not 0 < target < 1:
        raise ValueError(f"target must lie in (0, 1), got {target}")
    if measure in ("RR", "OR"):
        p0 = checks.scalar("control_risk", control_risk, allow_none=True)
        if p0 is None or not 0 < p0 < 1:
            raise ValueError(f"{measure} needs control_risk, the control arm's event risk in (0, 1), "
                             f"got {control_risk}")
    n_sim = checks.whole("n_sim", n_sim)
    checks.level(level)
    checks.memory("next_trial", (n_sim, len(studies) + n_trials), copies=8,
                  hint="give fewer simulations (e.g. n_sim=2000) or fewer new trials")

    post = exact_posterior(studies, tau_prior=tau_prior, mu_prior=mu_prior)
    rng = np.random.default_rng(checks.seed(random_seed))
    drawn = post.sample(n_sim, rng)
    tau, mu = drawn["tau"].to_numpy(), drawn["mu"].to_numpy()
    theta = mu[:, None] + tau[:, None] * rng.standard_normal((n_sim, n_trials))
    y_new, se_new = _new_estimates(theta, n, measure, control_risk, rng)
    y_all = np.hstack([np.broadcast_to(studies.yi, (n_sim, len(studies))), y_new])
    se_all = np.hstack([np.broadcast_to(studies.sei, (n_sim, len(studies))), se_new])

    p_benefit, p_beyond = np.empty(n_sim), np.empty(n_sim)
    for part in chunks(n_sim, desc="next trial", progress=progress, size=batch_rows(se_all)):
        batch = ExactBatch(y_all[part], se_all[part], post.tau_prior, post.mu_prior)
        p_benefit[part] = batch.p_benefit(favours)
        p_beyond[part] = batch.p_benefit(favours, threshold)
    significant = {}
    for test in ("z", "knha"):
        fit = dl_fits(y_all, vi=se_all**2, test=test, level=level)
        significant[test] = (fit["low"] > 0) if sign > 0 else (fit["high"] < 0)

    current = {"p_benefit": post.prob("mu", **benefit_bounds(favours)),
               "p_benefit_beyond": post.prob("mu", **benefit_bounds(favours, threshold))}
    crosses = p_beyond >= target
    table = pd.DataFrame({f"theta_new_{j + 1}": theta[:, j] for j in range(n_trials)}
                         | {f"y_new_{j + 1}": y_new[:, j] for j in range(n_trials)}
                         | {"p_benefit": p_benefit, "p_benefit_beyond": p_beyond, "crosses": crosses,
                            "ci_excludes_null": significant["z"], "kh_ci_excludes_null": significant["knha"]})
    probabilities = pd.DataFrame([
        _binomial_row(f"P(benefit beyond the threshold) >= {target:g} after the update", crosses),
        _binomial_row("updated P(benefit) >= 0.95", p_benefit >= 0.95),
        _binomial_row("updated z CI excludes the null (benefit side)", significant["z"]),
        _binomial_row("updated Knapp-Hartung CI excludes the null (benefit side)", significant["knha"]),
    ]).set_index("quantity")
    return NextTrial(simulations=table, current=current, table=probabilities, n_sim=n_sim, n_per_arm=n,
                     n_trials=n_trials, threshold=threshold, target=target)
