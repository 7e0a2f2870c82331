"""Bias-aware Bayesian model averaging: a RoBMA-PSMA-like model space by quadrature (no MCMC).

Models: effect (mu = 0 / mu free) x heterogeneity (tau = 0 / tau > 0) x publication bias
(none; one-sided selection with one step at p = .05 or two steps at p = .025, .05; PET; PEESE),
20 models, likelihoods in :mod:`evidence_lib.bayes.selection` (Bartoš et al. 2023, Res Synth
Methods 14:99, the RoBMA-PSMA ensemble without its two-sided and p = .5 weight functions).

Defaults are RoBMA's, verified in the source of R package RoBMA 3.6.1 (CRAN) and BayesTools
0.2.22: R/priors.R ``set_default_priors`` (mu ~ N(0, 1); tau ~ InvGamma(1, 0.15); one-sided
weight functions steps c(0.05) alpha c(1, 1) and steps c(0.025, 0.05) alpha c(1, 1, 1), each
with prior_weights 1/12 among the 8 bias priors; PET ~ Cauchy(0, 1) and PEESE ~ Cauchy(0, 5),
both truncated to [0, Inf), prior_weights 1/4 each; null priors with prior_weights 1) and
R/check-priors-and-models.R ``.make_models`` (a model's prior weight is the product of its
components' weights), so P(effect) = P(heterogeneity) = P(bias) = 1/2 and, within bias, half
to the weight functions and half to PET-PEESE. Restricted to two weight functions, those
halves are kept: each weight function 1/8, PET 1/8, PEESE 1/8 of the whole (``p_bias``
changes them). See :func:`evidence_lib.bayes.priors.robma_priors`.

Direction: RoBMA selects on the side of positive effects (``effect_direction = "positive"``;
"negative" flips y, R/fit-and-marglik.R ``.fit_data``). Here the effects are oriented by the
studies' ``favours`` (y -> -y when lower favours the intervention), so selection favours results
significant in the benefit direction and PET/PEESE slopes are >= 0 towards benefit in small
studies; mu is reported on the original scale. Priors apply on the scale of the effects as given
(RoBMA with ``y=``, prior_scale "none"; RoBMA fits ``d=`` input on Fisher's z instead, and its
weight-function cut points then use t quantiles).

Marginal likelihoods: no bias, the exact engine (:func:`~evidence_lib.questions.model_averaging.model_average`);
PET/PEESE, mu integrated in closed form given (b, tau) (:func:`evidence_lib.bayes.exact.conditional_likelihood`)
and (log b, log tau) by :class:`~evidence_lib.bayes.box_quadrature.BoxIntegral`; weight functions,
(mu, log tau, log-ratios of the weights) by the same rule (up to 4 dimensions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from evidence_lib.bayes import selection
from evidence_lib.bayes.box_quadrature import BoxIntegral
from evidence_lib.bayes.exact import conditional_likelihood
from evidence_lib.bayes.priors import RobmaPriors, robma_priors
from evidence_lib.core.errors import ConvergenceError
from evidence_lib.core.results import Result
from evidence_lib.core.studies import as_studies, spread_by_keyword
from evidence_lib.frequentist.rma import random_effects
from evidence_lib.questions.many_fits import needs_tau, sign_of
from evidence_lib.questions.model_averaging import PointMassMixture, model_average

NONE, PET, PEESE = "none", "PET", "PEESE"
LEVEL = 0.95
LOG_2PI = float(np.log(2 * np.pi))


def _wf_label(prior) -> str:
    return "selection p = " + ", ".join(f"{x:g}" for x in prior.steps)


def _bias_labels(priors: RobmaPriors) -> list[str]:
    return [NONE] + [_wf_label(w) for w in priors.weight_functions] + [PET, PEESE]


def default_bias_probs(priors: RobmaPriors) -> dict:
    """P(bias model): 1/2 none, 1/4 spread over the weight functions, 1/8 PET, 1/8 PEESE."""
    n = len(priors.weight_functions)
    probs = {NONE: 0.5, PET: 0.125, PEESE: 0.125}
    probs.update({_wf_label(w): 0.25 / n for w in priors.weight_functions})
    return probs


class _NormalMixture:
    """sum_n w_n N(m_n, v_n): the posterior of mu in a PET/PEESE model."""

    def __init__(self, w, m, v):
        keep = w > 0
        self.w, self.m, self.sd = w[keep], m[keep], np.sqrt(v[keep])

    def cdf(self, x):
        x = np.asarray(x, float)
        return special.ndtr((x[..., None] - self.m) / self.sd) @ self.w

    def ppf(self, q: float) -> float:
        lo, hi = float((self.m - 12 * self.sd).min()), float((self.m + 12 * self.sd).max())
        return float(optimize.brentq(lambda x: float(self.cdf(x)) - q, lo, hi, xtol=1e-13))


def _std_normal(z):
    """Σ_j log φ(z_j) over the last axis."""
    return -0.5 * (z**2 + LOG_2PI).sum(-1)


def _regression_model(y, s, x, prior_b, effect, heterogeneity, priors):
    """PET (x = s) or PEESE (x = s²), on coordinates z with b = F_b⁻¹(Φ(z_0)) and
    tau = F_tau⁻¹(Φ(z_1)) (z ~ N(0, I) under the prior): (log ml, posterior of mu or None)."""
    s2 = s**2

    def params(pts):
        b = prior_b.from_normal(pts[:, 0])
        tau = priors.heterogeneity.from_normal(pts[:, 1]) if heterogeneity else np.zeros(len(pts))
        return b, tau

    def log_f(pts):
        b, tau = params(pts)
        resid = y - b[:, None] * x
        with np.errstate(invalid="ignore", over="ignore"):  # far-tail b: resid inf, log f -inf or nan (dropped)
            if effect:
                return _std_normal(pts) + conditional_likelihood(resid, vi=s2, tau=tau, mu_prior=priors.effect)[0]
            return _std_normal(pts) + selection.normal_log_lik(resid, vi=s2, mean=0.0, tau=tau)

    box = BoxIntegral(log_f, [0.0] * (1 + heterogeneity))
    if not effect:
        return box.log_z, None
    b, tau = params(box.x)
    _, m, v = conditional_likelihood(y - b[:, None] * x, vi=s2, tau=tau, mu_prior=priors.effect)
    return box.log_z, _NormalMixture(box.w, m, v)


def _selection_model(y, s, weights, effect, heterogeneity, priors):
    """One-sided selection model on (mu, z_tau, z_omega), tau and the weights as transforms of
    standard normals (:meth:`~evidence_lib.bayes.priors.CumulativeDirichlet.omega_from_normal`):
    (log ml, posterior of mu or None)."""
    lead = int(effect) + int(heterogeneity)

    def log_f(pts):
        mu = pts[:, 0] if effect else np.zeros(len(pts))
        tau = priors.heterogeneity.from_normal(pts[:, lead - 1]) if heterogeneity else np.zeros(len(pts))
        out = _std_normal(pts[:, int(effect):])
        if effect:
            out = out + priors.effect.logpdf(mu)
        omega = weights.omega_from_normal(pts[:, lead:])
        return out + selection.selection_log_lik(y, sei=s, steps=weights.steps, mu=mu, tau=tau, omega=omega)

    w = 1 / s**2
    start = ([float(w @ y / w.sum())] if effect else []) + [0.0] * (int(heterogeneity) + weights.dim)
    box = BoxIntegral(log_f, start)
    return box.log_z, (box.marginal_first() if effect else None)


def _inclusion_bf(log_prior, log_ml, members) -> float:
    post = special.logsumexp(log_prior[members] + log_ml[members]) - special.logsumexp(
        log_prior[~members] + log_ml[~members])
    prior = special.logsumexp(log_prior[members]) - special.logsumexp(log_prior[~members])
    return float(np.exp(post - prior))


@dataclass(frozen=True, eq=False, repr=False)
class BiasAverage(Result):
    """Result of :func:`bias_model_average`. ``bf_effect``, ``bf_heterogeneity``, ``bf_bias``:
    inclusion Bayes factors. Averaged over all models (the mu = 0 models put a point mass at 0):
    ``estimate_averaged``/``low_averaged``/``high_averaged``, the posterior median and central
    interval of mu at ``level``, and ``p_benefit_averaged``, P(mu on the benefit side) with the point
    mass counting as no benefit. Given an effect (mu-free models only, RoBMA's "conditional"
    estimates): ``estimate``/``low``/``high`` and ``p_benefit``. ``table``: one row per model
    (effect, heterogeneity, bias, prior_prob, log_ml, post_prob, estimate = posterior median of mu
    given the model). ``mu`` and ``mu_given_effect``: the mixtures, on the benefit-positive scale
    (multiply by ``sign`` for the original scale). ``to_frame()``: one row (the interval as
    ``cri_low``/``cri_high``, ``cri_low_averaged``/``cri_high_averaged``); ``table``: the models."""

    DISPLAY = ("k", "bf_effect", "bf_heterogeneity", "bf_bias", "p_benefit_averaged", "estimate_cri_averaged",
               "p_benefit", "estimate_cri_given_effect")
    CAPTION = "Model averaging over effect, heterogeneity and publication bias (RoBMA's default priors)"

    table: pd.DataFrame
    bf_effect: float
    bf_heterogeneity: float
    bf_bias: float
    estimate_averaged: float
    low_averaged: float
    high_averaged: float
    p_benefit_averaged: float
    estimate: float
    low: float
    high: float
    p_benefit: float
    level: float
    k: int
    favours: str
    sign: float
    priors: RobmaPriors
    mu: PointMassMixture
    mu_given_effect: PointMassMixture
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row: k, the three inclusion Bayes factors, and mu averaged over all models and given an
        effect: ``estimate_averaged``, ``cri_low_averaged``/``cri_high_averaged``, ``p_benefit_averaged``;
        ``estimate``, ``cri_low``/``cri_high``, ``p_benefit``; at ``level``."""
        cols = ("k", "bf_effect", "bf_heterogeneity", "bf_bias", "p_benefit_averaged", "estimate_averaged",
                "p_benefit", "estimate")
        row = {c: getattr(self, c) for c in cols} | {
            "cri_low_averaged": self.low_averaged, "cri_high_averaged": self.high_averaged,
            "cri_low": self.low, "cri_high": self.high, "level": self.level}
        return pd.DataFrame([row])


def _quantiles(mix: PointMassMixture, sign: float, level: float):
    """Median and central interval of mu = sign · theta from the mixture of theta."""
    lo, hi = mix.interval(level)
    med = mix.quantile(0.5)
    return (sign * med, *sorted((sign * lo, sign * hi)))


@spread_by_keyword
def bias_model_average(studies, *, sei=None, vi=None, priors: RobmaPriors | None = None, p_effect: float = 0.5,
                       p_heterogeneity: float = 0.5, p_bias: dict | None = None, favours: str | None = None,
                       level: float = LEVEL) -> BiasAverage:
    """Average the 20 models of the module docstring with RoBMA's default priors.

    ``studies``: a Studies (or ``yi`` with ``sei=`` or ``vi=``); ``favours`` defaults to the studies'
    and is required. ``priors``: a :class:`~evidence_lib.bayes.priors.RobmaPriors` (default
    :func:`~evidence_lib.bayes.priors.robma_priors`; change one with ``dataclasses.replace``).
    ``p_effect``, ``p_heterogeneity``: prior inclusion probabilities; ``p_bias``: a mapping of
    bias model label ("none", "selection p = 0.05", "selection p = 0.025, 0.05", "PET", "PEESE")
    to prior probability, summing to 1 (default :func:`default_bias_probs`).
    """
    studies = as_studies(studies, sei=sei, vi=vi)
    needs_tau(studies, "bias-aware model averaging")
    favours = favours or studies.favours
    if favours is None:
        raise ValueError("favours is required (\"lower\" or \"higher\"): one-sided selection and PET/PEESE "
                         "need the side that favours the intervention; the studies do not say")
    sign = sign_of(favours)
    priors = priors or robma_priors()
    labels = _bias_labels(priors)
    p_bias = dict(default_bias_probs(priors) if p_bias is None else p_bias)
    if sorted(p_bias) != sorted(labels) or any(v <= 0 for v in p_bias.values()) or \
            abs(sum(p_bias.values()) - 1) > 1e-9:
        raise ValueError(f"p_bias must give a positive probability to each of {labels}, summing to 1; "
                         f"got {p_bias}")
    for name, p in (("p_effect", p_effect), ("p_heterogeneity", p_heterogeneity)):
        if not 0 < p < 1:
            raise ValueError(f"{name} must lie in (0, 1), got {p}")
    y, s = sign * studies.yi, studies.sei
    rows, parts = [], []
    plain = model_average(y, sei=s, tau_prior=priors.heterogeneity, mu_prior=priors.effect)
    for (_, r), (eff, het) in zip(plain.table.iterrows(), [(0, 0), (1, 0), (0, 1), (1, 1)]):
        post = None
        if eff and not het:
            normal = stats.norm(plain.mu.m_ee, plain.mu.sd_ee)
            post = (normal.cdf, normal.ppf)
        elif eff:
            post = (lambda x: plain.mu.post.cdf("mu", x), lambda q: plain.mu.post.quantile("mu", q))
        rows.append((bool(eff), bool(het), NONE, float(r["log_ml"]), post))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # far quadrature nodes: no mass
        for eff in (False, True):
            for het in (False, True):
                for wf in priors.weight_functions:
                    log_ml, post = _selection_model(y, s, wf, eff, het, priors)
                    rows.append((eff, het, _wf_label(wf), log_ml, post and (post.cdf, post.ppf)))
                for label, x, prior_b in ((PET, s, priors.pet), (PEESE, s**2, priors.peese)):
                    log_ml, post = _regression_model(y, s, x, prior_b, eff, het, priors)
                    rows.append((eff, het, label, log_ml, post and (post.cdf, post.ppf)))
    eff = np.array([r[0] for r in rows])
    het = np.array([r[1] for r in rows])
    bias = np.array([r[2] for r in rows])
    log_ml = np.array([r[3] for r in rows])
    if not np.isfinite(log_ml).all():
        bad = [f"{r[2]} (effect {r[0]}, heterogeneity {r[1]})" for r, v in zip(rows, log_ml) if not np.isfinite(v)]
        raise ConvergenceError(f"bias-aware model averaging: the marginal likelihood is not finite for {bad}")
    prior = np.where(eff, p_effect, 1 - p_effect) * np.where(het, p_heterogeneity, 1 - p_heterogeneity) * \
        np.array([p_bias[b] for b in bias])
    log_prior = np.log(prior)
    log_post = log_prior + log_ml
    post_prob = np.exp(log_post - special.logsumexp(log_post))
    atom = float(post_prob[~eff].sum())
    mix = PointMassMixture(atom, [(p, *r[4]) for p, r in zip(post_prob, rows) if r[0]])
    given = PointMassMixture(0.0, [(p / (1 - atom), *r[4]) for p, r in zip(post_prob, rows) if r[0]])
    est = [sign * r[4][1](0.5) if r[0] else 0.0 for r in rows]
    table = pd.DataFrame({"effect": eff, "heterogeneity": het, "bias": bias, "prior_prob": prior,
                          "log_ml": log_ml, "post_prob": post_prob, "estimate": est})
    averaged, conditional = _quantiles(mix, sign, level), _quantiles(given, sign, level)
    return BiasAverage(table=table, bf_effect=_inclusion_bf(log_prior, log_ml, eff),
                       bf_heterogeneity=_inclusion_bf(log_prior, log_ml, het),
                       bf_bias=_inclusion_bf(log_prior, log_ml, bias != NONE),
                       estimate_averaged=averaged[0], low_averaged=averaged[1], high_averaged=averaged[2],
                       p_benefit_averaged=mix.prob(lower=0.0), estimate=conditional[0], low=conditional[1],
                       high=conditional[2], p_benefit=given.prob(lower=0.0), level=level,
                       k=len(studies), favours=favours, sign=sign, priors=priors, mu=mix,
                       mu_given_effect=given, note="; ".join(x for x in (studies.note, _identification(s)) if x))


def _identification(s) -> str:
    """Warning text when PET/PEESE cannot be told from an effect: equal standard errors."""
    if np.ptp(s) > 1e-12 * s.max():
        return ""
    return ("all standard errors are equal: PET/PEESE's b·s (b·s²) is a constant, confounded with mu, so the "
            "PET/PEESE models and bf_bias / bf_effect are driven by the priors (a published summary's pseudo-studies)")


@spread_by_keyword
def selection_profile(studies, *, sei=None, vi=None, favours: str | None = None, weights=None,
                      step: float = 0.05) -> pd.DataFrame:
    """How much the data say about selection: the one-step selection log-likelihood
    (:func:`evidence_lib.bayes.selection.selection_log_lik`, cut at one-sided ``step`` on the side
    of benefit) over the weight ``omega`` of non-significant results, with mu and tau held at
    their REML estimates; ``relative`` is the log-likelihood minus its maximum over the grid. A
    curve within a log unit or two of 0 everywhere: the data leave the weight to its prior.
    ``studies``: a Studies (or ``yi`` with ``sei=`` or ``vi=``); ``favours`` defaults to the
    studies' and is required. Columns ``omega``, ``loglik_at_weight`` (not maximised: mu and tau fixed), ``relative``."""
    s = as_studies(studies, sei=sei, vi=vi)
    sign = sign_of(favours or s.favours)
    omega = np.linspace(0.02, 1.0, 50) if weights is None else np.asarray(weights, float)
    fit = random_effects(s, method="REML")
    n = len(omega)
    ll = selection.selection_log_lik(sign * s.yi, sei=s.sei, steps=[step], mu=np.full(n, sign * fit.estimate),
                                     tau=np.full(n, fit.tau), omega=np.column_stack([np.ones(n), omega]))
    return pd.DataFrame({"omega": omega, "loglik_at_weight": ll, "relative": ll - ll.max()})
