"""Priors for the between-study SD tau and the overall effect mu, shared by both Bayesian engines.

Every prior is a frozen dataclass. A :class:`TauPrior` gives ``logpdf``, ``pdf``, ``cdf`` and
``ppf`` on the tau scale (tau >= 0; priors stated on tau² carry the Jacobian 2·tau, priors on
log tau² the Jacobian 2/tau) and ``to_pymc(name)``, which adds the prior to the active
``pm.Model`` and returns the tau variable. A :class:`MuPrior` gives ``logpdf``/``pdf`` and
``to_pymc``. Distributions are scipy.stats ones, imported when a prior first builds its
distribution (scipy.stats takes half a second to import); the half-normal, the default prior of
every reading, calls the special functions that scipy.stats' norm.logpdf and chi2(1) call, in the
same order (bit-identical, tests/test_priors.py), so ``evidence-lib readings`` never imports it.

:class:`CumulativeDirichlet` is the prior on the weights of a selection model and
:func:`robma_priors` RoBMA's default set (effect, heterogeneity, weight functions, PET, PEESE).

Empirical priors come from the published tables kept in ``data/priors`` (see SOURCES.md there):
Turner et al. 2015 (Stat Med 34:984, Table IV; log tau² ~ Normal) and Rhodes et al. 2015
(J Clin Epidemiol 68:52, Table 3 and companions; log tau² ~ Student-t, 5 df).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache, cached_property

import numpy as np
import pandas as pd
from scipy import special

from evidence_lib.core import checks
from evidence_lib.loaders.packaged import check_manifest
from evidence_lib.loaders.location import DATA_DIR

PRIOR_DIR = DATA_DIR / "priors"
LOG2 = float(np.log(2.0))
_LOG_SQRT_2PI = np.log(np.sqrt(2 * np.pi))  # scipy.stats._continuous_distns._norm_pdf_logC


def _values(name: str, x) -> np.ndarray:
    """Array of any shape; ValueError on NaN or non-numeric input."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric: {err}") from None
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    return arr


def _probabilities(q) -> np.ndarray:
    arr = _values("q", q)
    if ((arr < 0) | (arr > 1)).any():
        raise ValueError("q must lie in [0, 1]")
    return arr


#: accepted range of a prior's scale on tau (analysis scale: SMD or log ratio) and of an sd on log tau²;
#: outside it the prior is a point mass or flat to double precision and the exact engine's grid
#: (which starts at 1e-8 times the smallest SE) cannot place it
TAU_SCALE_RANGE = (1e-6, 1e6)
LOG_SCALE_RANGE = (1e-6, 100.0)


def _scale(name: str, value, bounds=TAU_SCALE_RANGE) -> float:
    """A positive number within ``bounds`` (ValueError stating the range otherwise)."""
    value = checks.scalar(name, value, strictly_positive=True)
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{name} must lie in [{bounds[0]:g}, {bounds[1]:g}], got {value:g}: beyond that range "
                         "the prior is a point mass or flat to double precision")
    return value


def _fmt(x: float) -> str:
    return f"{x:g}"


# --------------------------------------------------------------------------- tau priors
@dataclass(frozen=True, kw_only=True)
class TauPrior:
    """Base class of priors on tau >= 0; subclasses define logpdf, cdf, ppf and to_pymc."""

    name: str
    proper: bool = True

    def logpdf(self, tau):
        raise NotImplementedError

    def pdf(self, tau):
        """Density on the tau scale, ``exp(logpdf(tau))``."""
        return np.exp(self.logpdf(tau))

    def cdf(self, tau):
        raise NotImplementedError

    def ppf(self, q):
        raise NotImplementedError

    def isf(self, q):
        """Upper quantile, ``ppf(1 - q)`` (subclasses keep precision for small q)."""
        return self.ppf(1 - _probabilities(q))

    def from_normal(self, z):
        """tau = F⁻¹(Φ(z)): the prior as a transform of z ~ N(0, 1) (for quadrature)."""
        z = _values("z", z)
        return np.where(z < 0, self.ppf(special.ndtr(z)), self.isf(special.ndtr(-z)))[()]

    def to_pymc(self, name: str = "tau"):
        raise NotImplementedError


class _NormalScale:
    """scipy.stats.norm(scale=scale).logpdf, computed as scipy.stats computes it."""

    def __init__(self, scale: float):
        self.scale = scale

    def logpdf(self, x):
        x = x / self.scale
        return -x**2 / 2.0 - _LOG_SQRT_2PI - np.log(self.scale)


class _ChiSquareOne:
    """scipy.stats.chi2(1)'s cdf, ppf and isf on [0, inf], computed as scipy.stats computes them
    (with the same values at 0 and 1)."""

    @staticmethod
    def cdf(x):
        return special.chdtr(1, x)

    @staticmethod
    def ppf(q):
        return 2 * special.gammaincinv(1 / 2, q)

    @staticmethod
    def isf(q):
        return special.chdtri(1, q)


@dataclass(frozen=True, kw_only=True)
class HalfPrior(TauPrior):
    """tau = |X| with X ~ Normal, Cauchy or Student-t(df), centred at 0 with ``scale``.

    Density 2·f_X(tau); cdf and ppf go through (tau/scale)² ~ F(1, df) (chi²(1) for the
    normal, df = 1 for the Cauchy), which keeps full relative precision near tau = 0.
    """

    family: str  # "normal" | "cauchy" | "t"
    scale: float
    df: float | None = None

    @cached_property
    def _base(self):
        if self.family == "normal":
            return _NormalScale(self.scale)
        from scipy import stats  # here, not at import (module docstring)

        if self.family == "t":
            return stats.t(self.df, scale=self.scale)
        return stats.cauchy(scale=self.scale)

    @cached_property
    def _squared(self):
        if self.family == "normal":
            return _ChiSquareOne
        from scipy import stats

        return stats.f(1, 1 if self.family == "cauchy" else self.df)

    def logpdf(self, tau):
        tau = _values("tau", tau)
        return np.where(tau >= 0, LOG2 + self._base.logpdf(tau), -np.inf)[()]

    def cdf(self, tau):
        tau = np.maximum(_values("tau", tau), 0.0)
        return self._squared.cdf((tau / self.scale) ** 2)[()]

    def ppf(self, q):
        return (self.scale * np.sqrt(self._squared.ppf(_probabilities(q))))[()]

    def isf(self, q):
        return (self.scale * np.sqrt(self._squared.isf(_probabilities(q))))[()]

    def to_pymc(self, name: str = "tau"):
        import pymc as pm

        if self.family == "normal":
            return pm.HalfNormal(name, sigma=self.scale)
        if self.family == "cauchy":
            return pm.HalfCauchy(name, beta=self.scale)
        return pm.HalfStudentT(name, nu=self.df, sigma=self.scale)


@dataclass(frozen=True, kw_only=True)
class InverseGammaFamily(TauPrior):
    """Base of the inverse-gamma priors: ``shape``, ``scale`` and the scipy distribution."""

    shape: float
    scale: float

    @cached_property
    def _dist(self):
        from scipy import stats

        return stats.invgamma(self.shape, scale=self.scale)


@dataclass(frozen=True, kw_only=True)
class InverseGammaTau2(InverseGammaFamily):
    """tau² ~ InvGamma(shape, scale): density on tau is invgamma.pdf(tau²)·2·tau."""

    def logpdf(self, tau):
        tau = _values("tau", tau)
        with np.errstate(divide="ignore"):
            out = self._dist.logpdf(tau**2) + LOG2 + np.log(np.abs(tau))
        return np.where(tau > 0, out, -np.inf)[()]

    def cdf(self, tau):
        tau = np.maximum(_values("tau", tau), 0.0)
        return self._dist.cdf(tau**2)[()]

    def ppf(self, q):
        return np.sqrt(self._dist.ppf(_probabilities(q)))[()]

    def to_pymc(self, name: str = "tau"):
        import pymc as pm

        tau2 = pm.InverseGamma(f"{name}2", alpha=self.shape, beta=self.scale)
        return pm.Deterministic(name, pm.math.sqrt(tau2))


@dataclass(frozen=True, kw_only=True)
class InverseGammaTau(InverseGammaFamily):
    """tau ~ InvGamma(shape, scale) on tau itself (RoBMA's and metaBMA's heterogeneity prior):
    density scale^shape / Gamma(shape) · tau^-(shape+1) · exp(-scale / tau)."""

    def logpdf(self, tau):
        tau = _values("tau", tau)
        with np.errstate(divide="ignore"):
            out = self._dist.logpdf(np.where(tau > 0, tau, 1.0))
        return np.where(tau > 0, out, -np.inf)[()]

    def cdf(self, tau):
        return self._dist.cdf(np.maximum(_values("tau", tau), 0.0))[()]

    def ppf(self, q):
        return self._dist.ppf(_probabilities(q))[()]

    def isf(self, q):
        return self._dist.isf(_probabilities(q))[()]

    def from_normal(self, z):
        """As TauPrior; for shape 1, F(tau) = exp(-scale/tau) gives tau = -scale / log Φ(z).

        Far in the upper tail (z above about 37.5) log Φ(z) = -Φ(-z) is -0 or so small that the
        quotient overflows although tau may be finite; there -log Φ(z) = Φ(-z) to double precision
        (from z = 8.3 on), so tau = scale·exp(-log Φ(-z)), inf only where tau passes the largest double."""
        if self.shape != 1:
            return super().from_normal(z)
        z = _values("z", z)
        log_cdf = special.log_ndtr(z)
        direct = -log_cdf > self.scale / np.finfo(float).max  # -scale / log Φ(z) is finite
        with np.errstate(over="ignore"):  # exp: tau beyond the largest double (its rounding, inf)
            return np.where(direct, -self.scale / np.where(direct, log_cdf, -1.0),
                            np.exp(np.log(self.scale) - special.log_ndtr(-z)))[()]

    def to_pymc(self, name: str = "tau"):
        import pymc as pm

        return pm.InverseGamma(name, alpha=self.shape, beta=self.scale)


@dataclass(frozen=True, kw_only=True)
class LogTau2Prior(TauPrior):
    """log tau² ~ Normal(location, scale²) (``df=None``) or Student-t(df, location, scale).

    Density on tau: f(2·log tau)·2/tau. At tau = 0 it is 0 for the normal and +inf for the
    Student-t (an integrable spike: the t tails in log tau² are polynomial).
    """

    location: float
    scale: float
    df: float | None = None
    source: str = ""

    @cached_property
    def _dist(self):
        from scipy import stats

        if self.df is None:
            return stats.norm(self.location, self.scale)
        return stats.t(self.df, self.location, self.scale)

    def logpdf(self, tau):
        tau = _values("tau", tau)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_tau = np.log(np.where(tau > 0, tau, 1.0))
            out = self._dist.logpdf(2 * log_tau) + LOG2 - log_tau
        at_zero = -np.inf if self.df is None else np.inf
        return np.where(tau > 0, out, np.where(tau == 0, at_zero, -np.inf))[()]

    def cdf(self, tau):
        tau = np.maximum(_values("tau", tau), 0.0)
        with np.errstate(divide="ignore"):
            return self._dist.cdf(2 * np.log(tau))[()]

    def ppf(self, q):
        return np.exp(self._dist.ppf(_probabilities(q)) / 2)[()]

    def to_pymc(self, name: str = "tau"):
        import pymc as pm

        if self.df is None:
            log_tau2 = pm.Normal(f"log_{name}2", mu=self.location, sigma=self.scale)
        else:
            log_tau2 = pm.StudentT(f"log_{name}2", nu=self.df, mu=self.location, sigma=self.scale)
        return pm.Deterministic(name, pm.math.exp(log_tau2 / 2))


@dataclass(frozen=True, kw_only=True)
class UniformTau(TauPrior):
    """Improper uniform prior on tau in [0, inf) (bayesmeta's default): logpdf = 0."""

    proper: bool = False

    def logpdf(self, tau):
        tau = _values("tau", tau)
        return np.where(tau >= 0, 0.0, -np.inf)[()]

    def cdf(self, tau):
        raise ValueError(f"{self.name} is improper: it has no cdf")

    def ppf(self, q):
        raise ValueError(f"{self.name} is improper: it has no quantiles")

    def to_pymc(self, name: str = "tau"):
        import pymc as pm

        return pm.HalfFlat(name)


def half_normal(scale) -> HalfPrior:
    """tau ~ half-normal(scale)."""
    scale = _scale("scale", scale)
    return HalfPrior(name=f"half-normal({_fmt(scale)})", family="normal", scale=scale)


def half_cauchy(scale) -> HalfPrior:
    """tau ~ half-Cauchy(scale)."""
    scale = _scale("scale", scale)
    return HalfPrior(name=f"half-Cauchy({_fmt(scale)})", family="cauchy", scale=scale)


def half_t(scale, df) -> HalfPrior:
    """tau ~ half-Student-t(df) with ``scale``."""
    scale = _scale("scale", scale)
    df = checks.scalar("df", df, strictly_positive=True)
    return HalfPrior(name=f"half-t({_fmt(scale)}, df={_fmt(df)})", family="t", scale=scale, df=df)


def uniform_tau() -> UniformTau:
    """Improper uniform prior on tau >= 0."""
    return UniformTau(name="uniform(0, inf) [improper]")


def inverse_gamma_tau2(shape, scale) -> InverseGammaTau2:
    """tau² ~ InvGamma(shape, scale) (the metaBMA/RoBMA default family)."""
    shape = checks.scalar("shape", shape, strictly_positive=True)
    scale = checks.scalar("scale", scale, strictly_positive=True)
    return InverseGammaTau2(name=f"tau^2 ~ inverse-gamma({_fmt(shape)}, {_fmt(scale)})", shape=shape, scale=scale)


def inverse_gamma_tau(shape, scale) -> InverseGammaTau:
    """tau ~ InvGamma(shape, scale) (RoBMA's default is shape 1, scale 0.15: :func:`robma_priors`)."""
    shape = checks.scalar("shape", shape, strictly_positive=True)
    scale = checks.scalar("scale", scale, strictly_positive=True)
    return InverseGammaTau(name=f"tau ~ inverse-gamma({_fmt(shape)}, {_fmt(scale)})", shape=shape, scale=scale)


def lognormal_tau2(mean, sd) -> LogTau2Prior:
    """log tau² ~ Normal(mean, sd²) (Turner et al. 2015 family)."""
    mean, sd = checks.scalar("mean", mean), _scale("sd", sd, LOG_SCALE_RANGE)
    return LogTau2Prior(name=f"log tau^2 ~ N({_fmt(mean)}, {_fmt(sd)}^2)", location=mean, scale=sd)


def logt_tau2(location, scale, df=5) -> LogTau2Prior:
    """log tau² ~ Student-t(df, location, scale) (Rhodes et al. 2015 family, df = 5)."""
    location = checks.scalar("location", location)
    scale = _scale("scale", scale, LOG_SCALE_RANGE)
    df = checks.scalar("df", df, strictly_positive=True)
    return LogTau2Prior(name=f"log tau^2 ~ t{_fmt(df)}({_fmt(location)}, {_fmt(scale)})",
                        location=location, scale=scale, df=df)


# ------------------------------------------------------------------- empirical tables
def _key(text: str) -> str:
    """Case, dots and spaces do not matter: 'vs placebo/control' == 'vs. placebo / control'."""
    return re.sub(r"[\s.]", "", str(text).lower())


@cache
def _table(name: str) -> pd.DataFrame:
    path = PRIOR_DIR / f"{name}.csv"
    check_manifest(path)
    return pd.read_csv(path)


def _pick(table: pd.DataFrame, **wanted: str) -> pd.DataFrame:
    """Rows matching every ``column=value`` (loosely, see _key); ValueError listing valid values."""
    rows = table
    for column, value in wanted.items():
        hit = rows[rows[column].map(_key) == _key(value)]
        if hit.empty:
            valid = sorted(rows[column].unique())
            raise ValueError(f"unknown {column} {value!r}; valid: {valid}")
        rows = hit
    return rows


def turner2015(outcome: str, comparison: str) -> LogTau2Prior:
    """Turner et al. 2015 (Stat Med 34(6):984-998, Table IV) prior: log tau² ~ Normal(mean, sd²).

    For binary outcomes on the log odds-ratio scale. ``outcome="any", comparison="any"``
    gives the marginal prior (-2.56, 1.74). Names as in ``data/priors/turner2015.csv``.
    """
    row = _pick(_table("turner2015"), outcome=outcome, comparison=comparison).iloc[0]
    prior = lognormal_tau2(row.log_tau2_mean, row.log_tau2_sd)
    return replace(prior, name=f"Turner 2015 [{row.outcome}; {row.comparison}]: {prior.name}", source=row.source)


RHODES_READINGS = ("bayesmeta", "pattern")


def rhodes2015(outcome: str, comparison: str, area: str = "other", reading: str = "bayesmeta") -> LogTau2Prior:
    """Rhodes et al. 2015 (J Clin Epidemiol 68(1):52-60) prior: log tau² ~ Student-t(5, location, scale).

    For continuous outcomes on the SMD scale; ``area`` is "other" (Table 3), "respiratory" or
    "cancer" (companion tables). ``outcome="any", comparison="any"`` gives the general prior
    (-3.44, 2.59) whatever ``area``.

    ``reading`` matters for one cell only, other / mental health outcome / non-pharmacological
    (any): "bayesmeta" gives the location -3.85 as coded in R bayesmeta 3.4; "pattern" gives
    -2.85, because every other row of Table 3 and of the respiratory table puts the
    non-pharmacological location 0.14 above pharmacological vs. placebo / control
    (-2.99 + 0.14). R package rnmamod also codes -3.85; the paper itself is not checked
    (``data/priors/SOURCES.md``). Prior median tau = exp(location/2): 0.146 vs 0.241. Both
    readings are rows of ``data/priors/rhodes2015.csv``.
    """
    checks.choice("reading", reading, RHODES_READINGS)
    if _key(outcome) == "any":
        area = "any"
    rows = _pick(_table("rhodes2015"), area=area, outcome=outcome, comparison=comparison)
    chosen = rows[rows.reading == reading]
    row = (chosen if len(chosen) else rows[rows.reading == "bayesmeta"]).iloc[0]
    prior = logt_tau2(row.log_tau2_location, row.log_tau2_scale, row.df)
    label = f"Rhodes 2015 [{row.area}; {row.outcome}; {row.comparison}; {row.reading} reading]"
    return replace(prior, name=f"{label}: {prior.name}", source=row.source)


# --------------------------------------------------------------------------- mu priors
@dataclass(frozen=True, kw_only=True)
class MuPrior:
    """Base class of priors on the overall effect mu."""

    name: str
    proper: bool = True

    def logpdf(self, mu):
        raise NotImplementedError

    def pdf(self, mu):
        return np.exp(self.logpdf(mu))

    def to_pymc(self, name: str = "mu"):
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class NormalMu(MuPrior):
    """mu ~ Normal(mean, sd²)."""

    mean: float
    sd: float

    @cached_property
    def _dist(self):
        from scipy import stats

        return stats.norm(self.mean, self.sd)

    def logpdf(self, mu):
        return self._dist.logpdf(_values("mu", mu))[()]

    def to_pymc(self, name: str = "mu"):
        import pymc as pm

        return pm.Normal(name, mu=self.mean, sigma=self.sd)


@dataclass(frozen=True, kw_only=True)
class FlatMu(MuPrior):
    """Improper flat prior on mu: logpdf = 0."""

    proper: bool = False

    def logpdf(self, mu):
        return np.zeros_like(_values("mu", mu))[()]

    def to_pymc(self, name: str = "mu"):
        import pymc as pm

        return pm.Flat(name)


def normal_mu(mean, sd) -> NormalMu:
    """mu ~ Normal(mean, sd²); |mean| <= YI_MAX and sd in TAU_SCALE_RANGE (the effects' scale)."""
    mean, sd = checks.scalar("mean", mean), _scale("sd", sd)
    if abs(mean) > checks.YI_MAX:
        raise ValueError(f"mean must lie within ±{checks.YI_MAX:g}, got {mean:g}")
    return NormalMu(name=f"N({_fmt(mean)}, {_fmt(sd)}^2)", mean=mean, sd=sd)


def flat_mu() -> FlatMu:
    """Improper flat prior on mu."""
    return FlatMu(name="flat [improper]")


def as_mu_prior(x) -> MuPrior:
    """Normalise an engine's ``mu_prior`` argument: None (flat), a (mean, sd) pair or a MuPrior."""
    if x is None:
        return flat_mu()
    if isinstance(x, MuPrior):
        return x
    if isinstance(x, (tuple, list)) and len(x) == 2:
        return normal_mu(*x)
    raise ValueError(f"mu_prior must be None (flat), a (mean, sd) pair or a MuPrior, got {x!r}")


def require_proper_posterior(tau_prior: TauPrior, mu_prior: MuPrior, k: int) -> None:
    """Raise ValueError when p(tau | y) is improper: with an improper tau prior it decays like
    tau^-(n-1), n = k + (1 if the mu prior is proper), so n >= 3 is needed (Röver 2020, sec. 2.3)."""
    n_terms = k + mu_prior.proper
    if not tau_prior.proper and n_terms < 3:
        raise ValueError(
            f"posterior is improper: with an improper tau prior p(tau | y) decays like tau^-(n-1), "
            f"n = k + (1 if the mu prior is proper) must be >= 3, got n = {n_terms} (k = {k}); "
            "use a proper tau prior")


def as_tau_prior(x) -> TauPrior:
    """Normalise an engine's ``tau_prior`` argument: None (improper uniform) or a TauPrior."""
    if x is None:
        return uniform_tau()
    if isinstance(x, TauPrior):
        return x
    raise ValueError(f"tau_prior must be None (improper uniform) or a TauPrior, got {x!r}")


# ------------------------------------------------------------- publication-bias priors
@dataclass(frozen=True, kw_only=True)
class CumulativeDirichlet:
    """Prior on the weights omega of a one-sided selection model (RoBMA's "cumulative Dirichlet").

    ``steps``: increasing one-sided p-value cut points; interval j = 0 is p < steps[0] (the
    most significant), j = J - 1 is p > steps[-1]. With d ~ Dirichlet(``alpha``) (alpha in the
    same order), omega_j = d_j + ... + d_{J-1}, so omega_0 = 1 >= omega_1 >= ... (BayesTools
    0.2.22 R/JAGS-fit.R ``.JAGS_prior.weightfunction``: omega = cumsum of the Dirichlet on the
    intervals ordered from the least significant; R/priors.R reverses the user's steps/alpha).
    Equivalently (stick breaking) omega_j = r_0 ··· r_{j-1} with independent
    r_l ~ Beta(alpha_{l+1} + ... + alpha_{J-1}, alpha_l); quadrature uses r_l = F_l⁻¹(Φ(z_l)),
    so that z ~ N(0, I) under the prior (:meth:`omega_from_normal`).
    """

    name: str
    steps: tuple
    alpha: tuple

    @property
    def dim(self) -> int:
        """Free coordinates: J - 1."""
        return len(self.steps)

    def omega_from_normal(self, z):
        """The weights (..., J) at standard-normal coordinates z (..., J - 1) (class docstring)."""
        z = np.asarray(z, float)
        a = np.asarray(self.alpha, float)
        rest = np.cumsum(a[::-1])[::-1][1:]  # alpha_{l+1} + ... + alpha_{J-1}
        if (a[:-1] == 1).all():  # Beta(b, 1): r = Φ(z)^(1/b), exact in logs
            r = np.exp(special.log_ndtr(z) / rest)
        else:
            with np.errstate(divide="ignore"):
                low = special.betaincinv(rest, a[:-1], special.ndtr(z))
                high = 1 - special.betaincinv(a[:-1], rest, special.ndtr(-z))  # precise near r = 1
            r = np.where(z < 0, low, high)
        ones = np.ones(z.shape[:-1] + (1,))
        return np.concatenate([ones, np.cumprod(r, axis=-1)], axis=-1)

    def to_pymc(self, name: str = "omega"):
        import pymc as pm

        d = pm.Dirichlet(f"{name}_shares", a=np.asarray(self.alpha, float))
        return pm.Deterministic(name, pm.math.cumsum(d[::-1])[::-1])


def cumulative_dirichlet(steps, alpha=None) -> CumulativeDirichlet:
    """Weights of a one-sided selection model cut at one-sided p-values ``steps`` (increasing,
    in (0, 1)); ``alpha`` (len(steps) + 1 positive values) defaults to all 1 (RoBMA's default)."""
    steps = tuple(float(x) for x in checks.as_vector("steps", steps))
    if any(not 0 < x < 1 for x in steps) or any(b <= a for a, b in zip(steps, steps[1:])):
        raise ValueError(f"steps must be increasing one-sided p-values in (0, 1), got {list(steps)}")
    alpha = (1.0,) * (len(steps) + 1) if alpha is None else tuple(
        float(x) for x in checks.positive("alpha", checks.as_vector("alpha", alpha)))
    if len(alpha) != len(steps) + 1:
        raise ValueError(f"alpha needs len(steps) + 1 = {len(steps) + 1} values, got {len(alpha)}")
    return CumulativeDirichlet(name=f"one-sided weights at p = {', '.join(_fmt(x) for x in steps)} "
                                    f"~ cumulative Dirichlet({', '.join(_fmt(a) for a in alpha)})",
                               steps=steps, alpha=alpha)


@dataclass(frozen=True)
class RobmaPriors:
    """RoBMA's default priors (R package RoBMA 3.6.1, R/priors.R ``set_default_priors``), the
    one-sided weight functions restricted to the one-step and two-step ones:

    - effect mu ~ N(0, 1); heterogeneity tau ~ InvGamma(1, 0.15) (on tau);
    - one-sided weight functions, steps p = .05 with alpha (1, 1) and p = .025, .05 with
      alpha (1, 1, 1) (cumulative Dirichlet);
    - PET coefficient ~ Cauchy(0, 1) truncated to [0, inf); PEESE ~ Cauchy(0, 5) truncated to
      [0, inf) (both half-Cauchy).

    RoBMA states them on Cohen's d; with ``y=`` input (prior_scale "none") they apply to the
    effects as given, which is how they are used here (SMD effects).
    """

    effect: MuPrior
    heterogeneity: TauPrior
    weight_functions: tuple
    pet: TauPrior
    peese: TauPrior


def robma_priors() -> RobmaPriors:
    """RoBMA's default priors (see :class:`RobmaPriors`)."""
    return RobmaPriors(effect=normal_mu(0, 1), heterogeneity=inverse_gamma_tau(1, 0.15),
                       weight_functions=(cumulative_dirichlet([0.05]), cumulative_dirichlet([0.025, 0.05])),
                       pet=half_cauchy(1), peese=half_cauchy(5))


# --------------------------------------------------------------------------- registry
REGISTRY = {
    "half_normal": half_normal,
    "half_cauchy": half_cauchy,
    "half_t": half_t,
    "uniform_tau": uniform_tau,
    "inverse_gamma_tau2": inverse_gamma_tau2,
    "inverse_gamma_tau": inverse_gamma_tau,
    "lognormal_tau2": lognormal_tau2,
    "logt_tau2": logt_tau2,
    "cumulative_dirichlet": cumulative_dirichlet,
    "turner2015": turner2015,
    "rhodes2015": rhodes2015,
    "normal_mu": normal_mu,
    "flat_mu": flat_mu,
}


def get_prior(name: str, **params):
    """Build a prior by registry name, e.g. ``get_prior("half_normal", scale=0.5)``."""
    checks.choice("prior name", name, REGISTRY)
    try:
        return REGISTRY[name](**params)
    except TypeError as err:
        raise ValueError(f"bad parameters for prior {name!r}: {err}") from None
