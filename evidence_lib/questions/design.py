"""Design analysis of a meta-analysis (Gelman & Carlin 2014, Perspect Psychol Sci 9:641).

For an assumed true effect D: the power of the review's test, the Type S error (the
probability that a significant estimate has the wrong sign) and the Type M error or
exaggeration ratio (E|estimate| / |D| among significant estimates).

Closed form (``test="z"``, ``tau_source="estimate"``): the estimate is N(D, SE²) with
SE² = 1/Σ 1/(s_i² + tau_hat²), tau_hat the DerSimonian-Laird estimate (RevMan's), and
significance is |estimate| > c·SE with c = Φ⁻¹((1 + level)/2). With λ = D/SE:
power = Φ(-c - λ) + Φ(-c + λ), Type S = Φ(-c - |λ|)/power, and, from the truncated-normal
first moment E[X; X > a] = D(1 - Φ(α)) + SE·φ(α), α = (a - D)/SE,
E[|X|; |X| > c·SE] = D[Φ(-c + λ) - Φ(-c - λ)] + SE[φ(c - λ) + φ(c + λ)],
exaggeration = that / (power·|D|). (Gelman & Carlin's ``retrodesign`` simulates these.)

Otherwise by seeded simulation: each simulated review draws theta_i ~ N(D, tau²) with tau at
its estimate or drawn from its exact posterior (``tau_source="posterior"``), y_i ~ N(theta_i, s_i²),
and refits DerSimonian-Laird with the z or Knapp-Hartung test; Monte Carlo errors are
binomial for power and Type S, SD/√n for the exaggeration ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from evidence_lib.core.results import Result
from evidence_lib.core import checks
from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.frequentist.rma import dl_fits, random_effects
from evidence_lib.core.mcse import binomial_mcse
from evidence_lib.questions.many_fits import needs_tau
from evidence_lib.core.studies import as_studies, spread_by_keyword

TAU_SOURCES = ("estimate", "posterior")


@dataclass(frozen=True, eq=False, repr=False)
class DesignAnalysis(Result):
    """Result of :func:`design_analysis`: ``table`` with one row per true effect (``true_effect``,
    ``power``, ``type_s``, ``exaggeration``, their ``*_mcse`` (0 in closed form) and ``n_significant``),
    the ``se`` and ``tau`` of the design, and how it was computed (``method``). Its figure:
    :func:`evidence_lib.figures.plots.design_curves` (``el.plots.design_curves({label: result})``)."""

    DISPLAY = ("true_effect", "power", "power_mcse", "type_s", "exaggeration", "exaggeration_mcse")

    @property
    def CAPTION(self) -> str:  # noqa: N802 (the Result base's caption, per design)
        return f"Design analysis, {self.method}: SE {self.se:.3f}, τ̂ {self.tau:.3f}"

    table: pd.DataFrame
    test: str
    tau_source: str
    level: float
    se: float
    tau: float
    method: str
    measure: str | None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def closed_form(true_effects, se: float, level: float = 0.95) -> pd.DataFrame:
    """Power, Type S and exaggeration ratio of a z test of an N(D, se²) estimate (module docstring)."""
    d = checks.as_vector("true_effects", true_effects)
    c = stats.norm.ppf((1 + level) / 2)
    lam = d / se
    up, down = special.ndtr(-c + lam), special.ndtr(-c - lam)
    power = up + down
    with np.errstate(divide="ignore", invalid="ignore"):
        type_s = np.where(d != 0, special.ndtr(-c - np.abs(lam)) / power, np.nan)
        abs_mean = d * (up - down) + se * (stats.norm.pdf(c - lam) + stats.norm.pdf(c + lam))
        exaggeration = np.where(d != 0, abs_mean / (power * np.abs(d)), np.nan)
    return pd.DataFrame({"true_effect": d, "power": power, "type_s": type_s, "exaggeration": exaggeration,
                         "power_mcse": 0.0, "type_s_mcse": 0.0, "exaggeration_mcse": 0.0,
                         "n_significant": np.nan})


def _simulate(d, sei, tau, test, level, rng) -> dict:
    """Power, Type S, exaggeration and their Monte Carlo errors for one true effect ``d``."""
    n, k = len(tau), len(sei)
    y = d + tau[:, None] * rng.standard_normal((n, k)) + sei * rng.standard_normal((n, k))
    fit = dl_fits(y, vi=sei**2, test=test, level=level)
    sig = (fit["low"] > 0) | (fit["high"] < 0)
    n_sig = int(sig.sum())
    power = sig.mean()
    out = {"true_effect": d, "power": power, "power_mcse": binomial_mcse(power, n), "n_significant": n_sig}
    if d == 0 or n_sig < 2:
        return {**out, "type_s": np.nan, "type_s_mcse": np.nan, "exaggeration": np.nan, "exaggeration_mcse": np.nan}
    wrong = np.sign(fit["estimate"][sig]) != np.sign(d)
    ratio = np.abs(fit["estimate"][sig]) / abs(d)
    return {**out, "type_s": wrong.mean(), "type_s_mcse": binomial_mcse(wrong.mean(), n_sig),
            "exaggeration": ratio.mean(), "exaggeration_mcse": ratio.std(ddof=1) / np.sqrt(n_sig)}


@spread_by_keyword
def design_analysis(studies, *, true_effects, sei=None, vi=None, test: str = "z", tau_source: str = "estimate",
                    level: float = 0.95, tau_prior=None, mu_prior=None, n_sim: int = 4000,
                    random_seed=None, simulate: bool | None = None) -> DesignAnalysis:
    """Power, Type S and Type M (exaggeration) of the review's test at each true effect.

    ``studies``: a Studies (e.g. a reconstructed published summary); only
    the within-study SEs and the heterogeneity estimate enter. ``true_effects`` on the analysis
    scale (log ratio for RR/OR). ``test``: "z" or "knha" (Knapp-Hartung); ``tau_source``: "estimate"
    (DerSimonian-Laird tau_hat) or "posterior" (drawn from the exact posterior under
    ``tau_prior``/``mu_prior``). Closed form for z with tau at its estimate (unless
    ``simulate=True``), else ``n_sim`` simulated reviews per true effect (``random_seed``
    required).
    """
    studies = as_studies(studies, sei=sei, vi=vi)
    needs_tau(studies, "design analysis")
    checks.choice("test", test, ("z", "knha"))
    checks.choice("tau_source", tau_source, TAU_SOURCES)
    level = checks.level(level)
    effects = checks.as_vector("true_effects", true_effects)
    fit = random_effects(studies, method="DL", test="z", level=level)
    tau_hat, se = fit.tau, fit.se
    closed = test == "z" and tau_source == "estimate" and not simulate
    if closed:
        table = closed_form(effects, se, level)
        method = "z test in closed form, SE at the DerSimonian-Laird τ̂"
    else:
        if random_seed is None:
            raise ValueError("random_seed is required for the simulated design analysis (test='knha' or "
                             "tau_source='posterior')")
        n_sim = checks.whole("n_sim", n_sim)
        checks.memory("the simulated design analysis", (n_sim, len(studies)), copies=8,
                      hint="give fewer simulations (e.g. n_sim=4000)")
        rng = np.random.default_rng(checks.seed(random_seed))
        if tau_source == "posterior":
            if tau_prior is None:
                raise ValueError("tau_source='posterior' needs tau_prior (the prior of the exact posterior)")
            post = exact_posterior(studies, tau_prior=tau_prior, mu_prior=mu_prior)
            taus = post.quantile("tau", rng.uniform(size=n_sim))
        else:
            taus = np.full(n_sim, tau_hat)
        table = pd.DataFrame([_simulate(d, studies.sei, taus, test, level, rng) for d in effects])
        method = (f"{'Knapp-Hartung' if test == 'knha' else 'z'} test, {n_sim:,} simulated reviews per effect "
                  f"(τ {'drawn from its posterior' if tau_source == 'posterior' else 'at its estimate'}), seed {random_seed}")
    cols = ["true_effect", "power", "power_mcse", "type_s", "type_s_mcse", "exaggeration", "exaggeration_mcse",
            "n_significant"]
    return DesignAnalysis(table=table[cols], test=test, tau_source=tau_source, level=level, se=se, tau=tau_hat,
                          method=method, measure=studies.measure)
