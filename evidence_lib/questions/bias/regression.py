"""Regression tests for funnel asymmetry (metafor ``regtest``) and PET-PEESE.

``regtest``: the effects regressed on a precision measure, y_i = b0 + b1 x_i, with x the
standard error (Egger et al. 1997, BMJ 315:629), the variance, the sample size or its inverse
(Sterne & Egger 2005); the test of b1 = 0 is the test of asymmetry and, for x = sei, vi or 1/ni,
b0 is the limit estimate (the effect of a study with x = 0). ``model="rma"`` fits it as a
meta-regression with the chosen tau² estimator (z or Knapp-Hartung t); ``model="lm"`` as weighted
least squares with weights 1/v_i and a multiplicative residual variance, t(k - 2) (Egger's
original test: its slope test equals the intercept test of OLS y/se on 1/se).

PET and PEESE (Stanley & Doucouliagos 2014, Res Synth Methods 5:60): the ``lm`` fits with
x = sei (PET) and x = vi (PEESE); b0 estimates the effect corrected for small-study effects.
Conditional rule (Stanley & Doucouliagos 2014, section 3; Stanley 2017, Soc Psychol Personal Sci
8:581): report PEESE when PET's test of H0: b0 = 0 against the one-sided alternative in the
direction that favours the intervention rejects at ``alpha`` = 0.05 (t(k - 2)), else PET.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evidence_lib.core.checks import choice
from evidence_lib.core.studies import as_studies, spread_by_keyword
from evidence_lib.frequentist.meta_regression import fit_meta_regression
from evidence_lib.questions.bias.result import BiasResult

PREDICTORS = ("sei", "vi", "ni", "ninv")
MODELS = ("rma", "lm")
MIN_K = 3


@dataclass(frozen=True, eq=False, repr=False)
class RegTestResult(BiasResult):
    """``stat``/``pval``: the test of the predictor's slope (z, or t on ``df_test``); ``estimate``,
    ``se``, ``low``, ``high``: the limit estimate b0 (None for ``predictor="ni"``, as metafor)."""

    DISPLAY = ('model', 'predictor', 'k', 'stat', 'pval', 'estimate', 'se')
    CAPTION = "regression test for funnel asymmetry"

    model: str
    predictor: str
    method: str | None
    test: str
    k: int
    stat: float
    pval: float
    df_test: int | None
    slope: float
    slope_se: float
    estimate: float | None
    se: float | None
    low: float | None
    high: float | None
    tau2: float | None
    level: float


def sample_sizes(studies, ni) -> np.ndarray:
    """``ni`` given, else the Studies' ``data["ni"]`` column; ValueError when neither holds k positive numbers."""
    if ni is None:
        if studies.data is None or "ni" not in studies.data:
            raise ValueError("predictor 'ni'/'ninv' needs sample sizes: pass ni= or a Studies with a data column 'ni'")
        ni = studies.data["ni"]
    ni = np.asarray(ni, float)
    if ni.shape != (len(studies),) or not np.all(np.isfinite(ni) & (ni > 0)):
        raise ValueError(f"ni must hold {len(studies)} positive sample sizes, one per study")
    return ni


def _wls(yi, vi, X, level):
    """Weighted least squares with weights 1/vi and residual variance estimated (R ``lm(weights=)``)."""
    k, p = X.shape
    w = 1 / vi
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = cov @ (X.T @ (w * yi))
    s2 = (w @ (yi - X @ beta) ** 2) / (k - p)
    se = np.sqrt(np.diag(cov) * s2)
    stat = beta / se
    dist = stats.t(k - p)
    crit = dist.ppf((1 + level) / 2)
    return beta, se, stat, 2 * dist.sf(np.abs(stat)), beta - crit * se, beta + crit * se, k - p


@spread_by_keyword
def regtest(studies, *, sei=None, vi=None, ni=None, model: str = "rma", predictor: str = "sei",
            method: str = "REML", test: str = "z", level: float = 0.95) -> RegTestResult:
    """Regression test for funnel asymmetry, metafor ``regtest(rma(yi, vi, method=), model=, predictor=)``.

    ``model``: "rma" (meta-regression with ``method``'s tau², ``test`` "z" or "knha") or "lm"
    (weighted least squares; ``method``/``test`` unused). ``predictor``: "sei", "vi", "ni" or
    "ninv" (sample sizes from ``ni=`` or ``studies.data["ni"]``). Needs k >= 3.
    """
    choice("model", model, MODELS)
    choice("predictor", predictor, PREDICTORS)
    s = as_studies(studies, sei=sei, vi=vi)
    if len(s) < MIN_K:
        raise ValueError(f"regtest needs k >= {MIN_K} studies, got k = {len(s)}")
    if predictor in ("ni", "ninv"):
        n = sample_sizes(s, ni)
        x = n if predictor == "ni" else 1 / n
    else:
        s.require_spread_in_sei("regtest")
        x = s.sei if predictor == "sei" else s.vi
    X = np.column_stack([np.ones(len(s)), x])
    if model == "rma":
        fit = fit_meta_regression(s.yi, vi=s.vi, X=X, method=method, test=test, level=level)
        beta, se, stat, pval, low, high, df = fit.estimate, fit.se, fit.stat, fit.pval, fit.low, fit.high, fit.df_test
        tau2, used_method, used_test = fit.tau2, method, test
    else:
        beta, se, stat, pval, low, high, df = _wls(s.yi, s.vi, X, level)
        tau2, used_method, used_test = None, None, "t"
    limit = predictor != "ni"
    return RegTestResult(
        model=model, predictor=predictor, method=used_method, test=used_test, k=len(s),
        stat=float(stat[1]), pval=float(pval[1]), df_test=df, slope=float(beta[1]), slope_se=float(se[1]),
        estimate=float(beta[0]) if limit else None, se=float(se[0]) if limit else None,
        low=float(low[0]) if limit else None, high=float(high[0]) if limit else None, tau2=tau2, level=level)


@spread_by_keyword
def egger_test(studies, *, sei=None, vi=None) -> dict:
    """Egger's regression test (Egger et al. 1997, BMJ 315:629): OLS of y_i/se_i on 1/se_i, whose
    intercept (``intercept``, its SE ``intercept_se``, its t statistic ``stat`` on ``df_test`` = k - 2 degrees
    of freedom and two-sided ``pval``) measures funnel asymmetry.
    It is the same model as ``regtest(model="lm", predictor="sei")``: the intercept is that fit's
    slope on sei, the ``slope`` its limit estimate (metafor ``regtest(..., model="lm")``)."""
    try:
        r = regtest(studies, sei=sei, vi=vi, model="lm", predictor="sei")
    except ValueError as err:
        raise ValueError(str(err).replace("regtest", "egger_test")) from None
    return {"intercept": r.slope, "intercept_se": r.slope_se, "stat": r.stat, "df_test": r.df_test, "pval": r.pval,
            "slope": r.estimate}


@dataclass(frozen=True, eq=False, repr=False)
class PetPeeseResult(BiasResult):
    """PET and PEESE intercepts (``pet_*``, ``peese_*``; ``pet_pval``, ``peese_pval``: two-sided t
    tests on ``df_test`` degrees of freedom), ``pet_pval_one_sided``: PET's one-sided p-value in the
    direction ``favours`` (the test of the conditional rule; not a ``pval``, which is two-sided);
    ``chosen`` and its ``estimate``/``se``/``low``/``high`` by the conditional rule (module doc)."""

    DISPLAY = ('chosen', 'k', 'ci', 'pet_estimate', 'pet_pval_one_sided', 'peese_estimate')
    CAPTION = "PET-PEESE"

    k: int
    df_test: int
    favours: str
    alpha: float
    pet_estimate: float
    pet_se: float
    pet_stat: float
    pet_pval: float
    pet_low: float
    pet_high: float
    peese_estimate: float
    peese_se: float
    peese_stat: float
    peese_pval: float
    peese_low: float
    peese_high: float
    pet_pval_one_sided: float
    chosen: str
    estimate: float
    se: float
    low: float
    high: float
    level: float


@spread_by_keyword
def pet_peese(studies, *, sei=None, vi=None, favours: str | None = None, alpha: float = 0.05,
              level: float = 0.95) -> PetPeeseResult:
    """PET, PEESE and the conditional PET-PEESE estimate (module doc). ``favours`` ("higher" or
    "lower": the side of 0 that favours the intervention) defaults to the Studies' own; the rule
    needs it. Needs k >= 3."""
    s = as_studies(studies, sei=sei, vi=vi)
    favours = favours if favours is not None else s.favours
    if favours not in ("higher", "lower"):
        raise ValueError("pet_peese needs favours='higher' or 'lower' (the side of 0 favouring the intervention) "
                         "for the one-sided PET test of the conditional rule")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    fits = {}
    for name, predictor in (("pet", "sei"), ("peese", "vi")):
        try:
            fits[name] = regtest(s, model="lm", predictor=predictor, level=level)
        except ValueError as err:
            raise ValueError(str(err).replace("regtest", "pet_peese")) from None
    pet, peese = fits["pet"], fits["peese"]
    t_benefit = pet.estimate / pet.se * (1 if favours == "higher" else -1)
    p_side = float(stats.t.sf(t_benefit, pet.df_test))
    chosen = fits["peese" if p_side < alpha else "pet"]
    out = {f"{n}_{q}": getattr(f, q) for n, f in fits.items() for q in ("estimate", "se", "low", "high")}
    return PetPeeseResult(
        k=len(s), df_test=pet.df_test, favours=favours, alpha=alpha, **out,
        pet_stat=pet.estimate / pet.se, pet_pval=float(2 * stats.t.sf(abs(pet.estimate / pet.se), pet.df_test)),
        peese_stat=peese.estimate / peese.se,
        peese_pval=float(2 * stats.t.sf(abs(peese.estimate / peese.se), peese.df_test)),
        pet_pval_one_sided=p_side, chosen="PEESE" if chosen is peese else "PET",
        estimate=chosen.estimate, se=chosen.se, low=chosen.low, high=chosen.high, level=level)
