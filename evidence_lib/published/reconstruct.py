"""Rebuild a random-effects likelihood from a published pooled result.

Approximation: all k studies share one within-study variance s². Then the published
pooled SE obeys SE² = (s² + tau_hat²)/k with tau_hat² = max(0, s²(Q − (k−1))/(k−1)),
so s² = k·SE²/max(1, Q/(k−1)). Q comes from, in this order of priority:

1. ``q`` (Cochran's Q) as published;
2. ``i2`` (percent), read by its definition (``i2_definition``): RevMan prints Higgins and
   Thompson's I² = (Q − df)/Q, metafor prints tau²/(tau² + s̃²) with s̃² the "typical"
   within-study variance. The two differ on real data (dat.li2007: metafor's 82.2 % would
   imply Q 118.1 under the first reading; the real Q is 57.7), but under the equal-variance
   model below s̃² = s² and REML = DL, so both give tau_hat²/s² = I²/(100 − I²), i.e. the
   same pseudo-studies with Q = (k−1)/(1 − I²/100). For a metafor I² that Q is the
   pseudo-data's, not the review's Q (which the review's I² does not determine); the note
   says which definition was used;
3. ``n_total`` (SMD only): n_i = n/k, s² = 4/n_i + g²/(2 n_i) (the large-sample variance
   of Hedges' g with equal arms), and Q = (k−1)·k·SE²/s² when that exceeds k−1; otherwise
   tau_hat² = 0, Q = k−1 and s² = k·SE² (the published CI wins over the n-based variance).

Under the equal-variance model the pooled estimate and Q·s² (the sum of squared
deviations) are sufficient for (mu, tau): prod_i N(y_i | mu, s² + tau²) depends on y only
through its mean and sum of squares. So k deterministic pseudo-studies, equally spaced and
symmetric around the estimate with sum of squared deviations Q·s², each with SE s, give
exactly the likelihood of any real data set with those statistics, and the DerSimonian-Laird
(= REML here) refit reproduces the published estimate, CI, Q and tau_hat².

Without k (or with k = 1, or with no usable heterogeneity statistic) only the pooled
estimate is kept: one "study" y = estimate with SE = the pooled SE (``estimate_only``).
Ratio measures (RR, OR) are given on their natural scale and analysed on the log scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import special

from evidence_lib.core import checks
from evidence_lib.core.results import Result
from evidence_lib.core.checks import K_MAX, YI_MAX, scalar, whole
from evidence_lib.effects.effect_sizes import se_from_ci
from evidence_lib.core.errors import ReconstructionError
from evidence_lib.frequentist.rma import i2_from_q, random_effects
from evidence_lib.core.measures import PUBLISHED, check_measure, from_analysis_scale, is_ratio, to_analysis_scale
from evidence_lib.core.studies import Studies


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class PublishedSummary(Studies):
    """A :class:`~evidence_lib.core.studies.Studies` of pseudo-studies (``yi``, ``sei`` on the analysis
    scale) that reproduce a published result.

    ``k`` is the published number of studies (None if not reported); ``estimate`` and ``se``
    the pooled estimate and its SE on the analysis scale (log for ratios), as everywhere in the
    package (:mod:`evidence_lib.core.results`); ``published_estimate``, ``published_ci_low``,
    ``published_ci_high`` the figures as the review printed them, on the natural scale (ratios as
    ratios; the estimate is the CI midpoint on the analysis scale when none was printed);
    ``s2`` the shared within-study variance, ``q``/``i2``/``tau2`` the heterogeneity used (None
    when ``estimate_only``); ``note`` says what was used and assumed. ``pseudo`` is True.
    """

    pseudo: ClassVar[bool] = True

    se: float
    s2: float | None
    q: float | None
    i2: float | None
    tau2: float | None
    k: int | None
    level: float
    estimate: float
    published_estimate: float
    published_ci_low: float
    published_ci_high: float

    def check(self, tol: float = 1e-9) -> dict:
        """Refit the pseudo-studies (DerSimonian-Laird) and assert they return ``estimate``, ``se``, ``q``, ``tau2``.

        Returns the refit's ``estimate, se, q, tau2`` (analysis scale) and its CI on the published
        scale (``ci_low, ci_high``, which match ``published_ci_low``, ``published_ci_high`` up to
        their rounding); raises :class:`~evidence_lib.core.errors.ReconstructionError` when an
        identity is off by more than ``tol``.
        """
        if self.estimate_only:
            out = {"estimate": float(self.yi[0]), "se": float(self.sei[0]), "q": None, "tau2": None}
        else:
            fit = random_effects(self, method="DL")
            out = {"estimate": float(fit.estimate), "se": float(fit.se), "q": float(fit.q), "tau2": float(fit.tau2)}
        for name, value in out.items():
            target = getattr(self, name)
            if value is not None and not np.isclose(value, target, rtol=tol, atol=tol):
                raise ReconstructionError(f"reconstruction gives {name} = {value}, expected {target}")
        z = special.ndtri(0.5 + self.level / 2)  # scipy.stats.norm.ppf
        return {**out, "ci_low": float(from_analysis_scale(out["estimate"] - z * out["se"], self.measure)),
                "ci_high": float(from_analysis_scale(out["estimate"] + z * out["se"], self.measure))}


def _pseudo_values(estimate: float, k: int, ss: float) -> np.ndarray:
    """k equally spaced values, symmetric around ``estimate``, with sum of squared deviations ``ss``."""
    u = np.arange(k) - (k - 1) / 2
    return estimate + u * np.sqrt(ss / np.sum(u**2))


I2_DEFINITIONS = {"Q": "(Q - df)/Q, Higgins and Thompson, as RevMan prints it",
                  "tau2": "tau²/(tau² + s²) with the typical within-study variance, as metafor prints it"}


def i2_definition_for(method: str | None) -> str | None:
    """Which I² a review printed, from the software its ``method`` names (RevMan: "Q",
    metafor: "tau2"); None when the software is not named."""
    text = (method or "").lower()
    return "Q" if "revman" in text else "tau2" if "metafor" in text else None


def from_published(estimate, ci_low, ci_high, *, k=None, q=None, i2=None, n_total=None,
                   measure: str = "SMD", level: float = 0.95, favours=None, label: str = "",
                   i2_definition: str | None = None) -> PublishedSummary:
    """Reconstruct pseudo-studies from a published estimate, CI and k (see module docstring).

    ``estimate=None`` (a review that printed only the CI) takes the CI midpoint on the
    analysis scale. Priority of heterogeneity inputs: ``q``, then ``i2`` (percent), then
    ``n_total``. ``i2_definition`` ("Q" or "tau2", :data:`I2_DEFINITIONS`) is required when
    the I² is used. ``favours`` ("lower"/"higher") and ``label`` travel with the result.
    """
    check_measure(measure, allow_none=False, options=PUBLISHED)
    level = checks.level(level)
    lo, hi = scalar("ci_low", ci_low), scalar("ci_high", ci_high)
    est = scalar("estimate", estimate, allow_none=True)
    for name, value in (("estimate", est), ("ci_low", lo), ("ci_high", hi)):
        if value is not None and abs(value) > YI_MAX:
            raise ValueError(f"{name} must lie within ±{YI_MAX:g} (squares overflow beyond it), got {value:g}")
    if lo >= hi:
        raise ValueError(f"ci_low must be < ci_high, got ({lo}, {hi})")
    if is_ratio(measure):
        bad = [v for v in (lo, hi, est) if v is not None and v <= 0]
        if bad:
            raise ValueError(f"{measure} estimate and CI bounds must be > 0 (natural scale), got {bad}")
    if est is not None and not lo <= est <= hi:
        raise ValueError(f"estimate {est} lies outside its CI ({lo}, {hi})")
    if k is not None:
        k = whole("k", k, maximum=K_MAX)
    q, i2 = (scalar(name, v, allow_none=True) for name, v in (("q", q), ("i2", i2)))
    if n_total is not None:
        n_total = whole("n_total", n_total, minimum=2)
        if k is not None and n_total < 2 * k:
            raise ValueError(f"n_total = {n_total} participants cannot fill k = {k} two-arm studies: "
                             f"n_total must be >= 2k = {2 * k}")
    if q is not None and q < 0:
        raise ValueError(f"q must be >= 0, got {q}")
    if i2 is not None and not 0 <= i2 < 100:
        raise ValueError(f"i2 is a percentage in [0, 100); got {i2}")

    y_lo, y_hi = float(to_analysis_scale(lo, measure)), float(to_analysis_scale(hi, measure))
    se = float(se_from_ci(lo, hi, measure=measure, level=level)[0])
    y = (y_lo + y_hi) / 2 if est is None else float(to_analysis_scale(est, measure))
    scale_note = "log scale" if is_ratio(measure) else "SMD scale"
    notes = [f"pooled SE {se:.4g} back-calculated from the {level:.0%} CI ({scale_note})"]
    if est is None:
        est = float(from_analysis_scale(y, measure))
        notes.append("estimate not published: derived as the CI midpoint on the analysis scale")

    s2 = None
    if k is not None and k >= 2:
        if q is not None:
            notes.append(f"Q = {q:g} as published")
        elif i2 is not None:
            if i2_definition not in I2_DEFINITIONS:
                raise ValueError(f"say which I² the review reported: i2_definition {list(I2_DEFINITIONS)} "
                                 f"({'; '.join(f'{k}: {v}' for k, v in I2_DEFINITIONS.items())}); got {i2_definition!r}")
            q = (k - 1) / (1 - i2 / 100)
            notes.append(f"I² = {i2:g}% read as {I2_DEFINITIONS[i2_definition]}: Q = (k-1)/(1-I²) = {q:.4g}"
                         + (" (the pseudo-studies' Q, not the review's)" if i2_definition == "tau2" else ""))
        elif n_total is not None and measure == "SMD":
            n_i = n_total / k
            s2_n = 4 / n_i + y**2 / (2 * n_i)
            q = max(k - 1, (k - 1) * k * se**2 / s2_n)
            notes.append(f"Q = {q:.4g} from N = {n_total:g}: s² = 4/n_i + g²/(2 n_i) with n_i = N/k"
                         + ("" if q > k - 1 else "; N implies a larger variance than the CI, so tau² = 0"))
        if q is not None:
            s2 = k * se**2 / max(1.0, q / (k - 1))
            tau2 = max(0.0, s2 * (q - (k - 1)) / (k - 1))
            i2 = i2_from_q(q, k - 1)
            yi = _pseudo_values(y, k, q * s2)
            sei = np.full(k, np.sqrt(s2))
            notes.append(f"{k} pseudo-studies sharing one within-study variance s² = {s2:.4g} "
                         f"(approximation); tau_hat² = {tau2:.4g}")
    if s2 is None:
        why = ("k not reported" if k is None else "k = 1" if k == 1
               else "no heterogeneity statistic (Q, I² or, for SMD, N)")
        notes.append(f"{why}: pooled estimate only (one pseudo-study y = estimate, SE = pooled SE, no tau)")
        q = i2 = tau2 = None
        yi, sei = np.array([y]), np.array([se])
    name = label or "published result"
    labels = (name,) if s2 is None else tuple(f"{name}: pseudo-study {i}" for i in range(1, len(yi) + 1))
    return PublishedSummary(yi=yi, sei=sei, labels=labels, measure=measure, favours=favours,
                            note="; ".join(notes), estimate_only=s2 is None, se=se, s2=s2, q=q, i2=i2,
                            tau2=tau2, k=k, level=level, estimate=y, published_estimate=est,
                            published_ci_low=lo, published_ci_high=hi)


@dataclass(frozen=True, eq=False, repr=False)
class SummaryCheck(Result):
    """The exact posterior of a full study set (``full``) beside that of its published-style
    summary (``reconstruction``, the posterior of the pseudo-studies ``published``);
    ``to_frame()`` sets their :func:`~evidence_lib.bayes.summaries.summarise` rows side by side."""

    CAPTION = "Full data against its published-style summary (exact posteriors)"

    full: object
    reconstruction: object
    published: PublishedSummary

    def to_frame(self) -> pd.DataFrame:
        from evidence_lib.bayes.summaries import summarise

        favours = self.published.favours
        return pd.DataFrame({source: summarise(post, favours=favours) for source, post in
                             (("full data", self.full), ("reconstruction", self.reconstruction))}).T


def summary_level_check(studies: Studies, tau_prior, mu_prior=None, digits: int = 2) -> SummaryCheck:
    """Does a published-style summary carry the evidence of the full data?

    The REML (z) pooled estimate and 95 % CI of ``studies`` (on the natural scale, ratios as
    ratios, rounded to ``digits`` as a review would print them), k and Q (rounded likewise) go
    through :func:`from_published`; the exact
    posterior of those pseudo-studies is set beside the exact posterior of the studies
    themselves, under the same priors.
    """
    from evidence_lib.bayes.exact import exact_posterior

    digits = whole("digits", digits, minimum=0, maximum=15)
    measure = studies.measure or "SMD"
    if measure not in PUBLISHED:
        raise ValueError(f"a published-style summary is rebuilt for the measures {list(PUBLISHED)}; got {measure!r}")
    fit = random_effects(studies, method="REML", test="z")
    # printed as a review prints them: on the natural scale (ratios as ratios), rounded
    est, lo, hi = (round(float(from_analysis_scale(x, measure)), digits) for x in (fit.estimate, fit.low, fit.high))
    if not lo < hi or (is_ratio(measure) and lo <= 0):
        raise ValueError(f"rounded to {digits} decimals the CI ({lo}, {hi}) is no interval; use more digits")
    published = from_published(est, lo, hi, k=fit.k, q=round(fit.q, digits), measure=measure, favours=studies.favours)
    return SummaryCheck(exact_posterior(studies, tau_prior=tau_prior, mu_prior=mu_prior),
                        exact_posterior(published, tau_prior=tau_prior, mu_prior=mu_prior), published)
