"""Frequentist random-effects meta-analysis at parity with R metafor 3.8 ``rma.uni``.

Model: y_i ~ N(mu, v_i + tau²). Weights w_i = 1/(v_i + tau²), mu = Σ w y / Σ w,
Var(mu) = 1/Σ w. Heterogeneity statistics use the equal-effect weights 1/v_i:
Q = Σ (y - mu_EE)² / v_i, typical variance s² = (k-1) Σw / ((Σw)² - Σw²),
I² = 100 tau² / (tau² + s²), H² = tau²/s² + 1 (for EE: I² = 100 (Q - (k-1))/Q truncated
at 0, H² = Q/(k-1)), as metafor reports them (Viechtbauer 2010, J Stat Softw 36(3)).

Every estimate is computed to the estimator's value by default. REML and ML use metafor's
Fisher scoring from the Hedges-Olkin start, on data centred and rescaled to unit spread, until
the step is below 1e-12 there. Paule-Mandel and the Q-profile CI (Viechtbauer 2007, Stat Med
26:37) are roots of the generalised Q, solved by Brent's method to full double precision.
metafor's defaults stop earlier: Fisher scoring at an absolute step of 1e-5 (for effects of
size 0.01, e.g. risk differences, that can be 26 % short of the REML maximum) and the roots
at R ``uniroot``'s eps^(1/4) ≈ 1.2e-4, with Brent steps that differ from SciPy's, so a printed
metafor value can sit up to ~3e-3 relative from the root (dat.hackshaw1998 PM tau²: metafor
0.0128986, root 0.0128767). ``tol=ROOT_TOL_METAFOR`` follows metafor's defaults instead.
Parity is tested against metafor run with tight controls (``threshold`` and ``tol``;
tests/reference/metafor_reference.json).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import special
from scipy.optimize import brentq

from evidence_lib.core import checks
from evidence_lib.core.checks import choice
from evidence_lib.core.errors import ConvergenceError
from evidence_lib.core.results import Pooled
from evidence_lib.core.studies import as_studies, spread_by_keyword, variances

METHODS = ("REML", "ML", "DL", "PM", "EE")
TESTS = ("z", "knha")
PI_TYPES = ("normal", "riley")

_EPS = np.finfo(float).eps
_FS_THRESHOLD = 1e-5  # metafor rma.uni control defaults: threshold, maxiter, tau2.max
_FS_THRESHOLD_EXACT = 1e-12  # on unit-scaled data: Fisher scoring run to the estimator's value
_FS_MAXITER_EXACT = 1000
_FS_MAXITER = 100
_TAU2_MAX = 100.0
ROOT_TOL_METAFOR = _EPS**0.25  # R uniroot's default tol, metafor's default for PM and the Q-profile
_LOCAL_MAX_TOL = _EPS**0.25  # metafor's log-likelihood margin of its local-maximum check


@dataclass(frozen=True, eq=False, repr=False)
class REResult(Pooled):
    """One random-effects fit (vocabulary: :mod:`evidence_lib.core.results`): ``estimate`` is
    metafor's ``b``, ``low``/``high`` its ``ci.lb``/``ci.ub``, ``stat``/``pval`` its
    ``zval``/``pval``; ``weights`` are percent (metafor ``weights()``)."""

    DISPLAY = ("method", "k", "ci", "pval", "pi", "tau2", "i2", "q")

    @property
    def CAPTION(self) -> str:  # noqa: N802 (the Result base's caption, per fit)
        test = "z test" if self.df_test is None else f"Knapp–Hartung t({self.df_test}) test"
        return f"{'Equal-effects' if self.method == 'EE' else 'Random-effects'} model ({self.method}), {test}"

    method: str
    test: str
    pi_type: str
    k: int
    df_test: int | None
    tau2: float
    tau: float
    tau2_se: float | None
    i2: float
    h2: float
    q: float
    q_df: int
    q_pval: float
    pi_low: float | None
    pi_high: float | None
    tau2_ci: tuple[float, float] | None
    i2_ci: tuple[float, float] | None
    weights: np.ndarray

    def __str__(self) -> str:
        pct = f"{100 * self.level:g} %"
        test = "z" if self.df_test is None else f"t({self.df_test})"
        lines = [f"{self.method} model, k = {self.k}, {test} test",
                 f"estimate {self.estimate:.4f} (SE {self.se:.4f}), {pct} CI [{self.low:.4f}, {self.high:.4f}],"
                 f" {test} = {self.stat:.4f}, p = {self.pval:.4g}",
                 f"tau^2 {self.tau2:.4f}, I^2 {self.i2:.2f} %, H^2 {self.h2:.2f},"
                 f" Q({self.q_df}) = {self.q:.4f}, p = {self.q_pval:.4g}"]
        if self.tau2_ci is not None:
            lines.append(f"Q-profile {pct} CI: tau^2 [{self.tau2_ci[0]:.4f}, {self.tau2_ci[1]:.4f}],"
                         f" I^2 [{self.i2_ci[0]:.2f}, {self.i2_ci[1]:.2f}]")
            lines.append(f"{pct} prediction interval ({self.pi_type}) [{self.pi_low:.4f}, {self.pi_high:.4f}]")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One-row table of every scalar; the tau² and I² intervals as ``tau2_low``/``tau2_high``
        and ``i2_low``/``i2_high``."""
        row = {key: value for key, value in asdict(self).items()
               if key not in ("weights", "tau2_ci", "i2_ci")}
        for name in ("tau2", "i2"):
            low, high = getattr(self, f"{name}_ci") or (None, None)
            row[f"{name}_low"], row[f"{name}_high"] = low, high
        return pd.DataFrame([row])


def _sums(w: np.ndarray) -> tuple[float, float, float]:
    """Σw, tr(P) and tr(P²) for P = W - w wᵀ/Σw, the intercept-only projection."""
    s1, s2, s3 = w.sum(), (w**2).sum(), (w**3).sum()
    return s1, s1 - s2 / s1, s2 - 2 * s3 / s1 + s2**2 / s1**2


def _rows(yi, vi) -> tuple[np.ndarray, np.ndarray]:
    """``yi`` as (N, k) rows and ``vi`` broadcast to them ((k,) or (N, k))."""
    y = np.atleast_2d(np.asarray(yi, float))
    return y, np.broadcast_to(np.asarray(vi, float), y.shape)


def dl_tau2(yi, *, vi) -> np.ndarray:
    """The DerSimonian-Laird tau² of each row of ``yi`` ((k,) or (N, k)) with variances ``vi``:
    max(0, (Q - (k-1)) / (Σw - Σw²/Σw)), w = 1/v, Q = Σ w (y - mu_EE)². One value per row; the
    one implementation of the estimator (:func:`random_effects` with ``method="DL"`` and
    :func:`dl_fits` use it)."""
    y, v = _rows(yi, vi)
    w = 1 / v
    sw = w.sum(-1)
    q = (w * (y - ((w * y).sum(-1) / sw)[:, None]) ** 2).sum(-1)
    return np.maximum(0.0, (q - (y.shape[1] - 1)) / (sw - (w**2).sum(-1) / sw))


def _pool(y, v, tau2, test: str, level: float) -> tuple[np.ndarray, np.ndarray, float]:
    """The pooled mean, its SE and the test's two-sided quantile for each row of ``y`` (N, k) with
    variances ``v`` and between-study variances ``tau2`` (N,): mu = Σ w y / Σ w, w = 1/(v + tau²),
    Var(mu) = 1/Σw, times Σ w (y - mu)²/(k-1) for Knapp-Hartung (0 when all y are equal, as metafor)
    with t(k-1) quantiles."""
    k = y.shape[1]
    w = 1 / (v + np.asarray(tau2, float)[:, None])
    sw = w.sum(-1)
    mu = (w * y).sum(-1) / sw
    var = 1 / sw
    half = (1 + level) / 2
    if test == "knha":
        rss = (w * (y - mu[:, None]) ** 2).sum(-1)
        var = var * np.where(rss > _EPS, rss / (k - 1), 0.0)
        crit = special.stdtrit(k - 1, half)  # scipy.stats.t(k-1).ppf, without its overhead
    else:
        crit = special.ndtri(half)
    return mu, np.sqrt(var), float(crit)


def _q(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    """Generalised Q: Σ w (y - mu_w)² with w = 1/(v + tau²)."""
    w = 1 / (vi + tau2)
    return float(w @ (yi - w @ yi / w.sum()) ** 2)


def _widen(yi, vi, target: float, upper: float) -> float:
    """Raise ``upper`` tenfold until Q(upper) <= target, so [0, upper] brackets the root."""
    while _q(yi, vi, upper) > target:
        upper *= 10
    return upper


def _q_root(yi, vi, target: float, upper: float, tol: float | None) -> float:
    """tau² in [0, upper] with Q(tau²) = target by Brent's method: to full precision when
    ``tol`` is None, else stopped at absolute tolerance ``tol`` (as R ``uniroot(tol=)``)."""
    return brentq(lambda t: _q(yi, vi, t) - target, 0.0, upper,
                  xtol=_EPS * 1e-200 if tol is None else tol, rtol=4 * _EPS, maxiter=1000)


def _unit_scale(yi, vi, always: bool) -> float:
    """The power of 2 nearest the spread √max(var(yi), median(vi)), by which
    :func:`_fisher_scoring` divides the data; unless ``always``, 1 for data on an ordinary
    scale (spread between 1e-3 and 1e3)."""
    spread = np.sqrt(max(yi.var(), np.median(vi)))
    return 1.0 if not always and 1e-3 <= spread <= 1e3 else float(2.0 ** np.round(np.log2(spread)))


def _fisher_scoring(yi, vi, reml: bool, exact: bool) -> float:
    """REML/ML tau² by metafor's Fisher scoring (step halving at 0, local-maximum check).

    tau² is location/scale equivariant (y -> (y - a)/c gives tau²/c²), so the data are centred
    and rescaled first (:func:`_unit_scale`). ``exact``: always, and iterate until the step is
    below 1e-12 on that scale, which gives the estimator's value whatever the units (metafor's
    absolute threshold 1e-5 can stop 26 % short of the maximum for risk differences of size
    0.01). Otherwise metafor's algorithm and threshold, rescaling only data far from unit scale
    (with yi ±1e6 the threshold is not reachable).
    """
    c = _unit_scale(yi, vi, always=exact)
    if c != 1.0:
        yi, vi = (yi - yi.mean()) / c, vi / c**2
    k = len(yi)
    tau2 = max(0.0, (((yi - yi.mean()) ** 2).sum() - vi.sum() * (k - 1) / k) / (k - 1))
    for _ in range((_FS_MAXITER_EXACT if exact else _FS_MAXITER) + 1):
        w = 1 / (vi + tau2)
        s1, tr_p, tr_pp = _sums(w)
        ypy = ((w * (yi - w @ yi / s1)) ** 2).sum()  # yᵀP²y
        adj = (ypy - tr_p) / tr_pp if reml else (ypy - s1) / (w**2).sum()
        while tau2 + adj < 0:
            adj /= 2
        tau2 += adj
        if abs(adj) <= (_FS_THRESHOLD_EXACT if exact else _FS_THRESHOLD):
            break
    else:
        raise ConvergenceError(f"Fisher scoring for tau2 did not converge in "
                               f"{_FS_MAXITER_EXACT if exact else _FS_MAXITER} iterations")
    if tau2 > _FS_THRESHOLD and _loglik(yi, vi, 0.0, reml) - _loglik(yi, vi, tau2, reml) > _LOCAL_MAX_TOL:
        warnings.warn("Fisher scoring stopped at a local maximum; tau2 set to 0 (as metafor)", stacklevel=4)
        return 0.0
    return c**2 * tau2


def _loglik(yi, vi, tau2: float, reml: bool) -> float:
    """(Restricted) log-likelihood of tau², up to a constant."""
    w = 1 / (vi + tau2)
    ll = -0.5 * (np.log(vi + tau2).sum() + _q(yi, vi, tau2))
    return ll - 0.5 * np.log(w.sum()) if reml else ll


def _tau2(yi, vi, method: str, tol: float | None) -> tuple[float, float | None]:
    """tau² and its standard error as metafor reports it (None for EE)."""
    k = len(yi)
    if method == "EE":
        return 0.0, None
    if method == "DL":
        _, tr_p, tr_pp = _sums(1 / vi)
        tau2 = float(dl_tau2(yi, vi=vi)[0])
        return tau2, float(np.sqrt(2 * (k - 1) + 4 * tau2 * tr_p + 2 * tau2**2 * tr_pp) / tr_p)
    if method == "PM":
        if _q(yi, vi, 0.0) < k - 1:
            tau2 = 0.0
        else:
            # metafor's search limit: max(100, 10 mad(y)²), R's mad constant 1.4826
            from scipy import stats  # here, not at import: the command line's light path

            upper = max(_TAU2_MAX, 10 * stats.median_abs_deviation(yi, scale=1 / 1.4826) ** 2)
            tau2 = _q_root(yi, vi, k - 1, _widen(yi, vi, k - 1, upper), tol)
        return tau2, float(np.sqrt(2 * k**2 / (k - 1)) / (1 / (vi + tau2)).sum())
    tau2 = _fisher_scoring(yi, vi, reml=method == "REML", exact=tol is None)
    w = 1 / (vi + tau2)
    info = _sums(w)[2] if method == "REML" else (w**2).sum()
    return tau2, float(np.sqrt(2 / info))


def _q_profile(yi, vi, tau2: float, level: float, tol: float | None) -> tuple[float, float]:
    """Q-profile CI for tau²: Q(tau²) equal to the chi²(k-1) quantiles; bounds below 0 -> 0."""
    df = len(yi) - 1
    # scipy.stats.chi2's isf and ppf, without its frozen-distribution overhead
    crit_high, crit_low = special.chdtri(df, (1 - level) / 2), 2 * special.gammaincinv(df / 2, (1 - level) / 2)
    q0 = _q(yi, vi, 0.0)
    if q0 < crit_low:
        return 0.0, 0.0
    upper = _widen(yi, vi, crit_low, max(_TAU2_MAX, 10 * tau2))
    low = 0.0 if q0 < crit_high else _q_root(yi, vi, crit_high, upper, tol)
    return low, _q_root(yi, vi, crit_low, upper, tol)


def _check(studies, sei, vi, method, test, level, pi=PI_TYPES[0]):
    """(yi, vi) of at least two studies, the options checked."""
    studies = as_studies(studies, sei=sei, vi=vi, min_len=2)
    if studies.estimate_only:
        raise ValueError(f"a random-effects fit needs study effects; this summary holds the pooled estimate only "
                         f"({studies.note})")
    choice("method", method, METHODS)
    choice("test", test, TESTS)
    choice("pi", pi, PI_TYPES)
    checks.level(level)
    return studies.yi, studies.vi


def i2_from_q(q: float, df: int) -> float:
    """Higgins & Thompson's I² (percent) from Cochran's Q on ``df`` degrees of freedom:
    max(0, (Q − df)/Q)·100, and 0 when Q = 0."""
    return max(0.0, 100 * (q - df) / q) if q > 0 else 0.0


@spread_by_keyword
def random_effects(studies, *, sei=None, vi=None, method: str = "REML", test: str = "z", level: float = 0.95,
                   pi: str = "normal", tol: float | None = None) -> REResult:
    """Fit the random-effects (or, with ``method="EE"``, equal-effects) model; metafor ``rma``.

    ``studies``: a :class:`~evidence_lib.core.studies.Studies`, or effects ``yi`` with standard
    errors ``sei`` or variances ``vi=`` (keyword).

    ``test="knha"``: Knapp-Hartung, Var(mu) times Σ w (y - mu)²/(k-1) (not truncated at 1)
    and t(k-1) quantiles. Prediction interval mu ± c √(se² + tau²) with c the test's
    quantile (``pi="normal"``, metafor's default) or, with ``pi="riley"``, the t(k-2)
    quantile (df at least 1), as metafor ``predict(..., pi.type="riley")``.
    ``tau2_ci``/``i2_ci``: Q-profile (metafor ``confint``). For EE, as in metafor, there is
    no prediction interval, tau² SE or tau² CI (all None). ``tol``: None computes every
    estimate to full precision; a number is the absolute tolerance of the Paule-Mandel and
    Q-profile roots, and REML/ML then stop at metafor's Fisher-scoring threshold 1e-5
    (:data:`ROOT_TOL_METAFOR` reproduces metafor's defaults; module docstring).
    """
    yi, vi = _check(studies, sei, vi, method, test, level, pi)
    if tol is not None and not checks.scalar("tol", tol) > 0:
        raise ValueError(f"tol must be a positive number or None (full precision), got {tol!r}")
    k = len(yi)
    tau2, tau2_se = _tau2(yi, vi, method, tol)
    if test == "knha" and method == "EE":
        warnings.warn("Knapp and Hartung method is not meant to be used in the context of 'EE' models "
                      "(as metafor warns)", stacklevel=2)
    mu, se, crit = _pool(yi[None], vi[None], [tau2], test, level)
    mu, se = float(mu[0]), float(se[0])
    var_mu = se**2
    w = 1 / (vi + tau2)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = float(np.divide(mu, se))  # inf (nan for mu = 0) when se = 0, as metafor's zval
    half = (1 + level) / 2
    # the test's two-sided p-value, computed as scipy.stats.t(k-1) / norm() do
    pval = 2 * special.stdtr(k - 1, -abs(stat)) if test == "knha" else 2 * special.ndtr(-abs(stat))

    q = _q(yi, vi, 0.0)
    tr_p = _sums(1 / vi)[1]
    s2_typical = (k - 1) / tr_p
    if method == "EE":
        i2, h2 = i2_from_q(q, k - 1), q / (k - 1)
    else:
        i2, h2 = 100 * tau2 / (s2_typical + tau2), tau2 / s2_typical + 1

    pi_low = pi_high = tau2_ci = i2_ci = None
    if method != "EE":
        pi_half = (crit if pi == "normal" else special.stdtrit(max(1, k - 2), half)) * np.sqrt(var_mu + tau2)
        pi_low, pi_high = float(mu - pi_half), float(mu + pi_half)
        tau2_ci = _q_profile(yi, vi, tau2, level, tol)
        i2_ci = tuple(100 * t / (s2_typical + t) for t in tau2_ci)
    return REResult(
        method=method, test=test, level=level, pi_type=pi, k=k, estimate=mu, se=se,
        low=mu - crit * se, high=mu + crit * se, stat=stat,
        pval=float(pval), df_test=k - 1 if test == "knha" else None,
        tau2=tau2, tau=float(np.sqrt(tau2)), tau2_se=tau2_se, i2=float(i2), h2=float(h2),
        q=q, q_df=k - 1, q_pval=float(special.chdtrc(k - 1, q)),
        pi_low=pi_low, pi_high=pi_high,
        tau2_ci=tau2_ci, i2_ci=i2_ci, weights=100 * w / w.sum(),
    )


@spread_by_keyword
def leave_one_out(studies, *, sei=None, vi=None, method: str = "REML", test: str = "z",
                  level: float = 0.95) -> pd.DataFrame:
    """Refit without each study in turn (metafor ``leave1out``); needs k >= 3.

    One row per omitted study (``omitted`` counts from 1, as the rows of a study table): estimate,
    se, stat, pval, low, high, q, q_pval, tau2, i2, h2.
    """
    yi, vi = _check(studies, sei, vi, method, test, level)
    if len(yi) < 3:
        raise ValueError(f"leave_one_out needs k >= 3 studies, got {len(yi)}")
    rows = []
    for i in range(len(yi)):
        keep = np.arange(len(yi)) != i
        fit = random_effects(yi[keep], vi=vi[keep], method=method, test=test, level=level)
        rows.append({"omitted": i + 1, "estimate": fit.estimate, "se": fit.se, "stat": fit.stat, "pval": fit.pval,
                     "low": fit.low, "high": fit.high, "q": fit.q, "q_pval": fit.q_pval,
                     "tau2": fit.tau2, "i2": fit.i2, "h2": fit.h2})
    return pd.DataFrame(rows)


@spread_by_keyword
def dl_fits(yi, *, sei=None, vi=None, test: str = "z", level: float = 0.95) -> dict:
    """DerSimonian-Laird random-effects fits of each row of ``yi`` (N, k) with variances ``vi=`` or
    standard errors ``sei=`` ((k,) or (N, k)), for simulation studies: :func:`random_effects` with ``method="DL"``
    (:func:`dl_tau2`, the same pooling) vectorised over rows; ``test`` "z" or "knha".
    Returns arrays ``estimate, se, low, high, tau2`` (one value per row).
    """
    choice("test", test, TESTS)
    level = checks.level(level)
    y, v = _rows(yi, variances(sei=sei, vi=vi))
    if y.shape[1] < 2:
        raise ValueError(f"a random-effects fit needs k >= 2 studies, got k = {y.shape[1]}")
    tau2 = dl_tau2(y, vi=v)
    mu, se, crit = _pool(y, v, tau2, test, level)
    return {"estimate": mu, "se": se, "low": mu - crit * se, "high": mu + crit * se, "tau2": tau2}


def subgroup_difference(fits: dict) -> dict:
    """Test of subgroup difference with separate tau² per subgroup (Borenstein et al. 2009,
    Introduction to Meta-Analysis, ch. 19): Q_b = Σ w_j (mu_j - mu_w)², w_j = 1/se_j², against
    chi²(J - 1). ``fits`` maps a subgroup name to its :func:`random_effects` fit (z test);
    ``difference`` is the first subgroup's estimate minus the second's; ``q_between``,
    ``q_between_df`` and ``q_between_pval`` the test (named as a fit's ``q``, ``q_df``, ``q_pval``)."""
    if not isinstance(fits, dict):
        raise ValueError(f"fits must map each subgroup name to its random_effects fit, got {type(fits).__name__}")
    if len(fits) < 2:
        raise ValueError(f"a subgroup difference needs at least 2 subgroups, got {len(fits)}")
    for name, fit in fits.items():
        if not (hasattr(fit, "estimate") and hasattr(fit, "se")):
            raise ValueError(f"fits[{name!r}] must be a random_effects fit (with estimate and se), "
                             f"got {type(fit).__name__}")
        checks.scalar(f"fits[{name!r}].estimate", fit.estimate)
        checks.scalar(f"fits[{name!r}].se", fit.se, strictly_positive=True)
        if getattr(fit, "test", "z") != "z":
            raise ValueError(f"fits[{name!r}] uses test={fit.test!r}; the Q_between test needs z-test fits")
    mu = np.array([f.estimate for f in fits.values()])
    w = 1 / np.array([f.se for f in fits.values()]) ** 2
    q = float(w @ (mu - w @ mu / w.sum()) ** 2)
    return {"difference": float(mu[0] - mu[1]), "q_between": q, "q_between_df": len(mu) - 1,
            "q_between_pval": float(special.chdtrc(len(mu) - 1, q))}  # scipy.stats.chi2.sf


def funnel_limits(estimate: float, se_max: float, level: float = 0.95, n: int = 50) -> pd.DataFrame:
    """Pseudo-confidence region of a funnel plot around the pooled ``estimate``: estimate ± z se for
    se in [0, se_max] at ``n`` points."""
    estimate = checks.scalar("estimate", estimate)
    se_max = checks.scalar("se_max", se_max, strictly_positive=True)
    level = checks.level(level)
    n = checks.whole("n", n, minimum=2, maximum=100_000)
    se = np.linspace(0, se_max, n)
    z = special.ndtri(0.5 + level / 2)  # scipy.stats.norm.ppf
    return pd.DataFrame({"se": se, "low": estimate - z * se, "high": estimate + z * se})
