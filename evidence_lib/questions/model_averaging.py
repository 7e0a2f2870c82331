"""Bayesian model averaging over the four normal meta-analysis models (as R metaBMA, RoBMA).

Models (y_i ~ N(theta_i, s_i²)):

===============  ==============================  =============================================
model            effects                         marginal likelihood p(y | M)
===============  ==============================  =============================================
EE, mu = 0       theta_i = 0                     prod N(y_i; 0, s_i²)
EE, mu free      theta_i = mu ~ p(mu)            L(0) of the exact engine (mu integrated)
RE, mu = 0       theta_i ~ N(0, tau²)            ∫ p(tau) prod N(y_i; 0, s_i² + tau²) dtau
RE, mu free      theta_i ~ N(mu, tau²)           ∫ p(tau) L(tau) dtau (the exact engine)
===============  ==============================  =============================================

with L(tau) = ∫ p(mu) prod N(y_i; mu, s_i² + tau²) dmu in closed form (Röver 2020, J Stat
Softw 93(6), sec. 2; :mod:`evidence_lib.bayes.exact`). Both tau integrals use the exact engine's
adaptive Gauss-Legendre rule on log tau. Posterior model probabilities are
p(M | y) ∝ p(M) p(y | M); the inclusion Bayes factor for the effect is the posterior odds of
{mu free} against {mu = 0} divided by their prior odds (Hinne et al. 2020, Adv Methods Pract
Psychol Sci 3:200), likewise for heterogeneity (RE against EE). Both priors must be proper:
with an improper prior p(y | M) carries an arbitrary constant and Bayes factors are arbitrary.
The usual caveat applies (Lindley's paradox): the effect Bayes factor moves towards the null
as the mu prior widens, so it is reported with its prior.

The model-averaged posterior of mu (:class:`MuMixture`) puts p(mu = 0 models | y) on a point
mass at 0, p(EE, mu free | y) on N(m(0), v(0)) and p(RE, mu free | y) on the exact engine's
mu posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from evidence_lib.core.checks import probabilities
from evidence_lib.bayes.exact import TauGrid, NormalModel, exact_posterior
from evidence_lib.questions.many_fits import needs_tau, sign_of
from evidence_lib.bayes.priors import as_mu_prior, as_tau_prior
from evidence_lib.core.results import Result
from evidence_lib.core.studies import as_studies, spread_by_keyword

MODELS = ("EE, mu = 0", "EE, mu free", "RE, mu = 0", "RE, mu free")
EFFECT = np.array([False, True, False, True])
HETEROGENEITY = np.array([False, False, True, True])


class _NullModel(NormalModel):
    """mu fixed at 0: L0(tau) = prod N(y_i; 0, s_i² + tau²) (conditional moments of mu are 0)."""

    def cond(self, tau):
        V = np.asarray(tau, float)[..., None] ** 2 + self.s2
        log_l = -0.5 * (np.log(2 * np.pi * V) + self.y**2 / V).sum(-1)
        return log_l, np.zeros_like(log_l), np.zeros_like(log_l)


def _log_ml_tau(model: NormalModel) -> float:
    """log ∫ p(tau) L(tau) dtau on the exact engine's adaptive grid."""
    grid = TauGrid(model)
    return float(grid.log_c + np.log(grid.z))


class PointMassMixture:
    """Posterior of mu: a point mass ``atom`` at 0 plus continuous ``parts``, each a triple
    (weight, cdf, ppf) of a posterior of mu (weights and atom sum to 1)."""

    def __init__(self, atom, parts):
        self.atom, self.parts = atom, [p for p in parts if p[0] > 0]

    def _continuous(self, x):
        x = np.asarray(x, float)
        if np.isinf(x).any():  # some cdfs take finite x only
            inner = self._continuous(np.where(np.isinf(x), 0.0, x))
            return np.where(np.isinf(x), (x > 0) * sum(w for w, _, _ in self.parts), inner)[()]
        return sum(w * np.asarray(cdf(x), float) for w, cdf, _ in self.parts) + 0.0 * x

    def cdf(self, x):
        """P(mu <= x) (the point mass at 0 counts for x >= 0)."""
        return self._continuous(x) + self.atom * (np.asarray(x, float) >= 0)

    def prob(self, lower=None, upper=None) -> float:
        """P(lower < mu < upper), open at both ends (the point mass at 0 is inside only when
        lower < 0 < upper)."""
        lo = -np.inf if lower is None else float(lower)
        hi = np.inf if upper is None else float(upper)
        inside = self.atom if lo < 0 < hi else 0.0
        return float(self._continuous(hi) - self._continuous(lo) + inside)

    def quantile(self, p: float) -> float:
        """inf{x: P(mu <= x) >= p}: 0 when p falls within the point mass."""
        if not 0 < p < 1:
            raise ValueError(f"p must lie in (0, 1), got {p}")
        below = float(self._continuous(0.0))
        if below < p <= below + self.atom:
            return 0.0
        ends = [0.0] if self.atom > 0 else []
        ends += [ppf(p) for _, _, ppf in self.parts]
        lo, hi = min(ends), max(ends)  # a mixture's quantile lies between its components' quantiles
        if hi - lo < 1e-14:
            return lo
        return float(optimize.brentq(lambda x: float(self.cdf(x)) - p, lo, hi, xtol=1e-12))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Central credible interval (equal tails)."""
        return self.quantile((1 - level) / 2), self.quantile((1 + level) / 2)

    def p_benefit(self, favours: str, threshold: float = 0.0) -> float:
        """P(mu beyond ``threshold`` on the side that favours the intervention) (0 itself is no benefit)."""
        return self.prob(lower=threshold) if sign_of(favours) > 0 else self.prob(upper=-threshold)


class MuMixture(PointMassMixture):
    """Posterior of mu: a point mass ``atom`` at 0, weight ``w_ee`` on N(``m_ee``, ``sd_ee``²)
    and weight ``w_re`` on the random-effects posterior ``post`` (an ExactPosterior)."""

    def __init__(self, atom, w_ee, m_ee, sd_ee, w_re, post):
        self.w_ee, self.m_ee, self.sd_ee, self.w_re, self.post = w_ee, m_ee, sd_ee, w_re, post
        normal = stats.norm(m_ee, sd_ee)
        super().__init__(atom, [(w_ee, normal.cdf, normal.ppf),
                                (w_re, lambda x: post.cdf("mu", x), lambda q: post.quantile("mu", q))])


@dataclass(frozen=True, eq=False, repr=False)
class ModelAverage(Result):
    """Result of :func:`model_average`. ``table``: one row per model (``model``, ``effect``,
    ``heterogeneity``, ``log_ml``, ``prior_prob``, ``post_prob``); ``bf_effect`` and
    ``bf_heterogeneity`` inclusion Bayes factors (> 1 favours an effect / heterogeneity);
    ``mu`` the model-averaged posterior, ``mu_given_effect`` the same over the two mu-free
    models only (RoBMA's "conditional" estimate). Two probabilities of benefit, two names:
    :meth:`p_benefit_averaged` over all four models (the mu = 0 models' point mass counts as
    no benefit) and :meth:`p_benefit` given an effect."""

    DISPLAY = ("k", "bf_effect", "bf_heterogeneity", "p_benefit_averaged", "estimate_cri_averaged", "p_benefit",
               "estimate_cri_given_effect")
    CAPTION = "Model averaging over effect (mu = 0 or free) and heterogeneity (tau = 0 or free)"

    table: pd.DataFrame
    bf_effect: float
    bf_heterogeneity: float
    mu: MuMixture
    mu_given_effect: MuMixture
    favours: str | None
    tau_prior: object
    mu_prior: object
    note: str
    k: int

    def p_benefit_averaged(self, favours: str | None = None, threshold: float = 0.0) -> float:
        """Model-averaged P(benefit beyond ``threshold``), the mu = 0 models included;
        ``favours`` defaults to the studies'."""
        return self.mu.p_benefit(favours or self.favours, threshold)

    def p_benefit(self, favours: str | None = None, threshold: float = 0.0) -> float:
        """P(benefit beyond ``threshold``) given an effect (the two mu-free models)."""
        return self.mu_given_effect.p_benefit(favours or self.favours, threshold)

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """One row: k, the inclusion Bayes factors, and mu over all four models (``_averaged``: the
        mu = 0 models' point mass included) and given an effect: the median ``estimate``, the central
        interval ``cri_low``/``cri_high`` at ``level`` and the probability of benefit."""
        row = {"k": self.k, "bf_effect": self.bf_effect, "bf_heterogeneity": self.bf_heterogeneity}
        for suffix, mix, p in (("_averaged", self.mu, self.p_benefit_averaged), ("", self.mu_given_effect, self.p_benefit)):
            low, high = mix.interval(level)
            row |= {f"p_benefit{suffix}": p() if self.favours else None, f"estimate{suffix}": mix.quantile(0.5),
                    f"cri_low{suffix}": low, f"cri_high{suffix}": high}
        return pd.DataFrame([row | {"level": level}])


def _inclusion_bf(log_prior, log_ml, members) -> float:
    """Posterior odds of ``members`` over the rest divided by their prior odds."""
    post = special.logsumexp(log_prior[members] + log_ml[members]) - special.logsumexp(
        log_prior[~members] + log_ml[~members])
    prior = special.logsumexp(log_prior[members]) - special.logsumexp(log_prior[~members])
    return float(np.exp(post - prior))


@spread_by_keyword
def model_average(studies, *, sei=None, vi=None, tau_prior, mu_prior, prior_probs=None, favours=None) -> ModelAverage:
    """Average the four models of the module docstring.

    ``studies``: a Studies, ``(yi, sei)`` arrays, or a reconstructed published summary
    (:func:`evidence_lib.published.reconstruct.from_published`). ``tau_prior`` and ``mu_prior`` (e.g.
    ``(0, 1)``) must be proper. ``prior_probs``: four prior model probabilities in the order
    of ``MODELS`` (default equal).

    A reconstruction's k pseudo-studies share one variance s², and under that model the
    likelihood depends on the data only through the mean and the sum of squares Q·s², which
    the reconstruction keeps: its Bayes factors equal those of the original studies *only
    if* they had equal within-study variances. With unequal variances the pooled estimate
    and Q no longer determine the likelihood, and the reconstruction's Bayes factors are an
    approximation (the reconstruction's note says so).
    """
    studies = as_studies(studies, sei=sei, vi=vi)
    needs_tau(studies, "model averaging")
    tau_prior, mu_prior = as_tau_prior(tau_prior), as_mu_prior(mu_prior)
    improper = [f"{name} prior {p.name}" for name, p in (("tau", tau_prior), ("mu", mu_prior)) if not p.proper]
    if improper:
        raise ValueError(f"model averaging needs proper priors (a marginal likelihood under an improper "
                         f"prior holds an arbitrary constant, so Bayes factors are arbitrary); improper: "
                         f"{', '.join(improper)}")
    if prior_probs is None:
        prior_probs = np.full(4, 0.25)
    prior_probs = probabilities(f"prior_probs (order {list(MODELS)})", prior_probs, len(MODELS))
    post = exact_posterior(studies, tau_prior=tau_prior, mu_prior=mu_prior)
    null = _NullModel(studies.yi, studies.vi, tau_prior, mu_prior)
    # EE with mu free: p(y | tau = 0) = p(y) BF01(tau = 0); mu | y, tau = 0 is the conjugate normal
    log_l0 = post.log_marginal_likelihood + np.log(post.bayes_factor("tau"))
    m0, sd0 = post.conditional_mu(0.0)
    log_ml = np.array([null.cond(0.0)[0], log_l0, _log_ml_tau(null), post.log_marginal_likelihood], float)
    log_prior = np.log(prior_probs)
    log_post = log_prior + log_ml
    post_prob = np.exp(log_post - special.logsumexp(log_post))
    table = pd.DataFrame({"model": MODELS, "effect": EFFECT, "heterogeneity": HETEROGENEITY,
                          "log_ml": log_ml, "prior_prob": prior_probs, "post_prob": post_prob})
    mu = MuMixture(post_prob[0] + post_prob[2], post_prob[1], float(m0), sd0, post_prob[3], post)
    given = post_prob[1] + post_prob[3]
    mu_given = MuMixture(0.0, post_prob[1] / given, float(m0), sd0, post_prob[3] / given, post)
    return ModelAverage(table=table, bf_effect=_inclusion_bf(log_prior, log_ml, EFFECT),
                        bf_heterogeneity=_inclusion_bf(log_prior, log_ml, HETEROGENEITY), mu=mu,
                        mu_given_effect=mu_given, favours=favours or studies.favours,
                        tau_prior=tau_prior, mu_prior=mu_prior, note=studies.note,
                        k=getattr(studies, "k", None) or len(studies))
