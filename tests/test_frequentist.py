"""Random-effects engine against R metafor 3.8-1 (tests/reference/metafor_reference.json,
written by tests/reference/metafor_reference.R) and the golden figures of golden_values.md."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

from evidence_lib.effects.effect_sizes import log_rr
from evidence_lib.frequentist.rma import ROOT_TOL_METAFOR, leave_one_out, random_effects

REF = json.loads((Path(__file__).parent / "reference" / "metafor_reference.json").read_text())
DATA = REF["datasets"]
SCALARS = ("mu", "se", "ci_low", "ci_high", "stat", "pval", "df_test", "tau2", "tau2_se",
           "i2", "h2", "q", "q_pval", "pi_low", "pi_high")  # metafor's names in the reference JSON
OURS = {"mu": "estimate", "ci_low": "low", "ci_high": "high"}  # ... and ours (the result vocabulary)


def _fit(cell, **kwargs):
    d = DATA[cell["dataset"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the local-maximum warning; tested separately
        return random_effects(d["yi"], vi=d["vi"], method=cell["method"], test=cell["test"], **kwargs)


def _close(got, want, rtol, label):
    if want is None:
        assert got is None, label
    else:
        # abs 1e-8: at the tau² = 0 boundary (ML, k = 2) both tools creep towards 0 (1e-10 vs 1e-11)
        assert got == pytest.approx(want, rel=rtol, abs=1e-8), label


@pytest.mark.parametrize("cell", REF["fits"], ids=lambda c: f"{c['dataset']}-{c['method']}-{c['test']}")
def test_parity_with_metafor_rma(cell):
    # metafor_reference.json fits: rma(), predict(), predict(pi.type="riley"), confint(), weights()
    fit = _fit(cell)
    riley = _fit(cell, pi="riley")
    rtol = 1e-8  # metafor run with a tight root tolerance: the estimator's value (reference README)
    assert fit.k == cell["k"]
    for name in SCALARS:
        _close(getattr(fit, OURS.get(name, name)), cell[name], rtol, name)
    _close(riley.pi_low, cell["pi_riley_low"], rtol, "pi_riley_low")
    _close(riley.pi_high, cell["pi_riley_high"], rtol, "pi_riley_high")
    for name in ("tau2_ci", "i2_ci"):  # Q-profile bounds are iterative for every method
        if cell[name][0] is None:
            assert getattr(fit, name) is None
        else:
            np.testing.assert_allclose(getattr(fit, name), cell[name], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fit.weights, cell["weights"], rtol=rtol)


@pytest.mark.parametrize("ref", REF["leave1out"], ids=lambda r: f"{r['dataset']}-{r['method']}-{r['test']}")
def test_leave_one_out_matches_metafor(ref):
    # metafor_reference.json leave1out: leave1out(rma(...))
    d = DATA[ref["dataset"]]
    table = leave_one_out(d["yi"], vi=d["vi"], method=ref["method"], test=ref["test"])
    assert list(table["omitted"]) == list(range(1, len(d["yi"]) + 1))
    ours = {"mu": "estimate", "ci_low": "low", "ci_high": "high"}  # metafor's names -> the vocabulary
    for name in ("mu", "se", "stat", "pval", "ci_low", "ci_high", "q", "q_pval", "tau2", "i2", "h2"):
        np.testing.assert_allclose(table[ours.get(name, name)], ref[name], rtol=1e-6, atol=1e-12, err_msg=name)


def test_local_maximum_warns_and_sets_tau2_zero():
    # metafor_reference.json fits local_max/ML: metafor warns "stuck at a local maximum", tau2 0
    d = DATA["local_max"]
    with pytest.warns(UserWarning, match="local maximum"):
        fit = random_effects(d["yi"], vi=d["vi"], method="ML")
    assert fit.tau2 == 0.0


# ---- golden_values.md, section "Frequentist: R metafor, data set dat.bcg" ------------

B = REF["escalc"]["bcg"]
BCG = log_rr(B["tpos"], np.add(B["tpos"], B["tneg"]), B["cpos"], np.add(B["cpos"], B["cneg"]))


def test_golden_bcg_reml_z():
    fit = random_effects(BCG.yi, vi=BCG.vi, method="REML")
    assert fit.q == pytest.approx(152.2330, abs=5e-5)  # golden_values.md, "Q (df 12)"
    assert fit.q_df == 12  # golden_values.md, "Q (df 12)"
    assert fit.tau2 == pytest.approx(0.3132, abs=5e-5)  # golden_values.md, "REML tau^2"
    assert fit.tau2_se == pytest.approx(0.1664, abs=5e-5)  # golden_values.md, "REML tau^2 ... (SE 0.1664)"
    assert fit.i2 == pytest.approx(92.22, abs=5e-3)  # golden_values.md, "REML tau^2 ... I^2 92.22 %"
    assert fit.h2 == pytest.approx(12.86, abs=5e-3)  # golden_values.md, "REML tau^2 ... H^2 12.86"
    assert fit.estimate == pytest.approx(-0.7145, abs=5e-5)  # golden_values.md, "REML mu, z test"
    assert fit.se == pytest.approx(0.1798, abs=5e-5)  # golden_values.md, "REML mu, z test"
    assert fit.low == pytest.approx(-1.0669, abs=5e-5)  # golden_values.md, "REML mu, z test"
    assert fit.high == pytest.approx(-0.3622, abs=5e-5)  # golden_values.md, "REML mu, z test"
    assert fit.pi_low == pytest.approx(-1.87, abs=5e-3)  # golden_values.md, "REML prediction interval (z)"
    assert fit.pi_high == pytest.approx(0.44, abs=5e-3)  # golden_values.md, "REML prediction interval (z)"


def test_golden_bcg_q_profile_at_metafor_tolerance_and_exact():
    # golden_values.md "Q-profile CI" is metafor's output at its default root tolerance eps^0.25
    loose = random_effects(BCG.yi, vi=BCG.vi, method="REML", tol=ROOT_TOL_METAFOR)
    assert loose.tau2_ci == pytest.approx((0.1197, 1.1115), abs=5e-5)  # golden_values.md, "Q-profile CI"
    assert loose.i2_ci == pytest.approx((81.9177, 97.6781), abs=5e-5)  # golden_values.md, "Q-profile CI"
    # the exact roots: Q(tau²) equals the chi²(12) quantiles to double precision
    exact = random_effects(BCG.yi, vi=BCG.vi, method="REML")
    for bound, p in zip(exact.tau2_ci, (0.975, 0.025)):
        w = 1 / (BCG.vi + bound)
        q = float(w @ (BCG.yi - w @ BCG.yi / w.sum()) ** 2)
        assert q == pytest.approx(stats.chi2.ppf(p, 12), rel=1e-12)
    assert exact.i2_ci[0] == pytest.approx(81.9206, abs=5e-5)  # the root metafor's default tol stops short of


def test_pm_tau2_is_the_exact_root_on_normand1999():
    d = DATA["normand"]
    yi, vi = np.asarray(d["yi"]), np.asarray(d["vi"])
    fit = random_effects(yi, vi=vi, method="PM")
    w = 1 / (vi + fit.tau2)
    q = float(w @ (yi - w @ yi / w.sum()) ** 2)
    assert q == pytest.approx(len(yi) - 1, rel=1e-12)  # generalised Q = k - 1 at the PM estimate
    root = optimize.brentq(lambda t: float((1 / (vi + t)) @ (yi - (1 / (vi + t)) @ yi / (1 / (vi + t)).sum()) ** 2)
                           - (len(yi) - 1), 0, 100, xtol=1e-300, rtol=4 * np.finfo(float).eps)
    assert fit.tau2 == pytest.approx(root, rel=1e-8)


def test_tol_must_be_positive():
    with pytest.raises(ValueError, match="tol must be a positive number"):
        random_effects(BCG.yi, vi=BCG.vi, method="PM", tol=0)


def test_golden_bcg_reml_knha():
    fit = random_effects(BCG.yi, vi=BCG.vi, method="REML", test="knha")
    assert fit.se == pytest.approx(0.1808, abs=5e-5)  # golden_values.md, "REML mu, Knapp-Hartung"
    assert fit.df_test == 12  # golden_values.md, "REML mu, Knapp-Hartung" t(12)
    assert fit.stat == pytest.approx(-3.9522, abs=5e-5)  # golden_values.md, "REML mu, Knapp-Hartung"
    assert fit.low == pytest.approx(-1.1084, abs=5e-5)  # golden_values.md, "REML mu, Knapp-Hartung"
    assert fit.high == pytest.approx(-0.3206, abs=5e-5)  # golden_values.md, "REML mu, Knapp-Hartung"


def test_golden_bcg_dl_pm_ee():
    dl = random_effects(BCG.yi, vi=BCG.vi, method="DL")
    assert dl.tau2 == pytest.approx(0.3088, abs=5e-5)  # golden_values.md, "DL"
    assert dl.estimate == pytest.approx(-0.7141, abs=5e-5)  # golden_values.md, "DL"
    assert (dl.low, dl.high) == pytest.approx((-1.0644, -0.3638), abs=5e-5)  # golden_values.md, "DL"
    assert dl.i2 == pytest.approx(92.1173, abs=5e-5)  # golden_values.md, "DL"
    pm = random_effects(BCG.yi, vi=BCG.vi, method="PM")
    assert pm.tau2 == pytest.approx(0.3181, abs=5e-5)  # golden_values.md, "PM"
    ee = random_effects(BCG.yi, vi=BCG.vi, method="EE")
    assert ee.estimate == pytest.approx(-0.4303, abs=5e-5)  # golden_values.md, "equal effects"
    assert (ee.low, ee.high) == pytest.approx((-0.5097, -0.3509), abs=5e-5)  # golden_values.md, "equal effects"


def test_golden_crins_reml():
    # The 7-digit golden figures were computed from unrounded log ORs; golden_values.md prints
    # yi/vi to 4 decimals, which moves tau by 8e-6 and mu by 2e-5 (metafor gives the same
    # 0.4670187 / -1.5915336 / 0.3340895 from the rounded input), so compare at 4 decimals.
    d = DATA["crins"]  # yi/vi as printed in golden_values.md, "Crins et al. 2014"
    fit = random_effects(d["yi"], vi=d["vi"], method="REML")
    assert fit.tau == pytest.approx(0.4670268, abs=5e-5)  # golden_values.md, "REML on the same data: tau"
    assert fit.estimate == pytest.approx(-1.591513, abs=5e-5)  # golden_values.md, "REML on the same data: mu"
    assert fit.se == pytest.approx(0.3340882, abs=5e-5)  # golden_values.md, "REML on the same data: SE"


# ---- behaviour ------------------------------------------------------------------------

def test_k2_and_summary():
    d = DATA["bcg_k2"]
    fit = random_effects(d["yi"], vi=d["vi"], pi="riley")
    table = fit.to_frame()
    assert table.shape[0] == 1
    assert table.loc[0, "estimate"] == fit.estimate
    assert table.loc[0, "tau2_high"] == fit.tau2_ci[1]
    assert fit.weights.sum() == pytest.approx(100)


def test_str_is_readable():
    text = str(random_effects(BCG.yi, vi=BCG.vi, test="knha"))
    assert "REML model, k = 13, t(12) test" in text
    assert "prediction interval" in text
    assert "prediction interval" not in str(random_effects(BCG.yi, vi=BCG.vi, method="EE"))


def test_level_changes_interval_width():
    d = DATA["crins"]
    narrow = random_effects(d["yi"], vi=d["vi"], level=0.8)
    wide = random_effects(d["yi"], vi=d["vi"], level=0.99)
    assert wide.high - wide.low > narrow.high - narrow.low
    assert wide.tau2_ci[1] > narrow.tau2_ci[1]


YI, VI = [0.1, 0.3, -0.2], [0.04, 0.05, 0.06]


@pytest.mark.parametrize("kwargs, match", [
    (dict(yi=[0.1], vi=[0.04]), "needs at least 2 studies"),
    (dict(vi=[0.04, 0.0, 0.06]), "vi must be > 0"),
    (dict(vi=[0.04, -0.05, 0.06]), "vi must be > 0"),
    (dict(yi=[0.1, np.nan, -0.2]), "yi contains NaN"),
    (dict(vi=[0.04, 0.05]), "mismatched lengths"),
    (dict(method="HS"), "unknown method"),
    (dict(test="t"), "unknown test"),
    (dict(pi="student"), "unknown pi"),
    (dict(level=95), "level must lie strictly between 0 and 1"),
    (dict(level=0.0), "level must lie strictly between 0 and 1"),
])
def test_random_effects_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        random_effects(**{"studies": kwargs.pop("yi", YI), "vi": VI, **kwargs})


@pytest.mark.parametrize("kwargs, match", [
    (dict(yi=[0.1, 0.3], vi=[0.04, 0.05]), "leave_one_out needs k >= 3"),
    (dict(vi=[0.04, 0.05, np.inf]), "vi contains NaN or infinite"),
    (dict(method="reml"), "unknown method"),
])
def test_leave_one_out_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        leave_one_out(**{"studies": kwargs.pop("yi", YI), "vi": VI, **kwargs})


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_fisher_scoring_reaches_the_maximum_whatever_the_units(method):
    # risk-difference-sized effects: metafor's absolute step threshold 1e-5 stops 26 % (REML)
    # or 2.7-fold (ML) away from the maximum here; the estimate must not depend on the units
    yi = 0.01 * np.array([0.1, 0.5, -0.2, 0.8, 0.3, 0.05])
    vi = 1e-4 * np.array([0.04, 0.09, 0.05, 0.1, 0.02, 0.06])
    small = random_effects(yi, vi=vi, method=method)
    unit = random_effects(100 * yi, vi=1e4 * vi, method=method)
    assert small.tau2 == pytest.approx(unit.tau2 / 1e4, rel=1e-8)
    reml = method == "REML"

    def loglik(t):
        w = 1 / (vi + t)
        mu = w @ yi / w.sum()
        return -0.5 * (np.log(vi + t).sum() + w @ (yi - mu) ** 2 + (np.log(w.sum()) if reml else 0))

    best = optimize.minimize_scalar(lambda t: -loglik(t), bounds=(0, 1e-4), method="bounded",
                                    options={"xatol": 1e-14})
    assert small.tau2 == pytest.approx(best.x, rel=1e-5)
    metafor_default = random_effects(yi, vi=vi, method=method, tol=ROOT_TOL_METAFOR)
    assert abs(metafor_default.tau2 / small.tau2 - 1) > 0.2  # what metafor's defaults print
