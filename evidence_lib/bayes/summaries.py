"""One way to summarise a posterior, and the names every result table uses.

Vocabulary (engines, readings, CLI and notebooks): a point value is ``estimate`` (for a
posterior: the median); an interval's ends are ``low`` and ``high``, prefixed by the
interval's name when one table holds several (``ci_`` confidence, ``cri_`` credible,
``pi_`` prediction, ``pred_`` posterior predictive, ``kh_ci_`` Knapp–Hartung);
``p_benefit`` is always P(effect on the side that favours the intervention), with that
side stated (``favours``: "lower" or "higher"). Values are on the analysis scale (log for
ratio measures) unless a table says otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence_lib.core import checks
from evidence_lib.core.measures import benefit_sign, check_favours

PARAMS = ("mu", "tau", "theta_new")


def _draws(fit, name: str) -> np.ndarray:
    return np.asarray(fit["posterior"][name]).ravel()


def benefit_bounds(favours, threshold: float = 0.0) -> dict | None:
    """Bounds for ``ExactPosterior.prob`` giving P(benefit larger than ``threshold``) on the
    analysis scale: mu < -threshold when lower values favour the intervention, mu > threshold when
    higher values do; None when the direction is unknown."""
    sign = benefit_sign(check_favours(favours))
    return None if np.isnan(sign) else {"upper": -threshold} if sign < 0 else {"lower": threshold}


def summarise(post, *, favours=None, level: float = 0.95, threshold: float | None = None) -> dict:
    """Posterior of the overall effect in the project's vocabulary, from an exact posterior
    (:class:`~evidence_lib.bayes.exact.ExactPosterior`) or an MCMC fit (ArviZ DataTree).

    Keys: ``estimate`` (median of mu), ``low``/``high`` (central ``level`` credible interval),
    ``tau`` (median), ``pred_low``/``pred_high`` (central interval of theta_new, the effect
    in a new study), ``p_benefit`` (None when ``favours`` is None) and, with ``threshold``,
    ``p_benefit_beyond`` = P(benefit larger than ``threshold``). Quantities an estimate-only
    posterior does not have (tau, theta_new) are NaN.
    """
    from evidence_lib.bayes.exact import ExactPosterior

    level = checks.level(level)
    threshold = checks.scalar("threshold", threshold, allow_none=True)
    tails = (0.5 - level / 2, 0.5 + level / 2)
    bounds = benefit_bounds(favours)
    if isinstance(post, ExactPosterior):
        def interval(param):
            return post.interval(param, level=level, kind="central")

        def prob(b):
            return post.prob("mu", **b)

        median = post.median
        has_tau = not post.estimate_only
    else:
        def interval(param):
            return tuple(np.quantile(_draws(post, param), tails))

        def prob(b):
            mu = _draws(post, "mu")
            return float(np.mean((mu > b["lower"]) if "lower" in b else (mu < b["upper"])))

        def median(param):
            return float(np.median(_draws(post, param)))

        has_tau = "tau" in post["posterior"]
    low, high = interval("mu")
    out = {"estimate": float(median("mu")), "low": float(low), "high": float(high),
           "tau": float(median("tau")) if has_tau else np.nan}
    pred = interval("theta_new") if has_tau else (np.nan, np.nan)
    out.update(pred_low=float(pred[0]), pred_high=float(pred[1]),
               p_benefit=None if bounds is None else float(prob(bounds)))
    if threshold is not None:
        out["p_benefit_beyond"] = None if bounds is None else float(prob(benefit_bounds(favours, threshold)))
    return out


def linear_combinations(fit, at: dict, *, level: float = 0.95) -> pd.DataFrame:
    """Posterior of mu + beta·x at each ``{label: x}`` and of the slope beta, from a
    meta-regression fit (:func:`~evidence_lib.bayes.mcmc.sample_meta_regression`): one row
    per quantity with ``estimate`` (median), ``low``/``high`` (central ``level`` interval) and
    ``p_positive`` = P(> 0)."""
    mu, beta = _draws(fit, "mu"), _draws(fit, "beta")
    quantities = {label: mu + beta * x for label, x in at.items()} | {"slope beta": beta}
    tails = (0.5 - level / 2, 0.5 + level / 2)
    rows = [{"quantity": label, "estimate": float(np.median(v)), "low": float(np.quantile(v, tails[0])),
             "high": float(np.quantile(v, tails[1])), "p_positive": float(np.mean(v > 0))}
            for label, v in quantities.items()]
    return pd.DataFrame(rows).set_index("quantity")


def p_benefit_given_tau(post, tau: float, favours: str) -> float:
    """P(benefit | y, tau): the normal posterior of mu given tau (``post.conditional_mu``, mean m,
    SD s) on the side favouring the intervention, Phi(m/s) when higher values favour it and
    Phi(-m/s) when lower do. With a flat mu prior and tau at the REML estimate this is 1 - p/2
    of the one-sided z test: the frequentist reading as a Bayesian one at one value of tau."""
    from scipy import special

    m, s = post.conditional_mu(tau)
    return float(special.ndtr(benefit_sign(check_favours(favours, allow_none=False)) * m / s))  # scipy.stats.norm.cdf
