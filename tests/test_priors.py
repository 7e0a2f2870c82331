"""Prior catalogue: published figures, PyMC builders against the scipy cdfs, bad input."""

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from scipy import integrate, stats

from evidence_lib.bayes import priors
from evidence_lib.app.paths import DATA_DIR

MENTAL_NONPHARMA = ("mental health outcome", "non-pharmacological (any)")
PROPER = {
    "half-normal": priors.half_normal(0.5),
    "half-Cauchy": priors.half_cauchy(25),
    "half-t": priors.half_t(1.0, 3),
    "inverse-gamma tau2": priors.inverse_gamma_tau2(1.0, 0.15),
    "lognormal tau2": priors.lognormal_tau2(-2.12, 1.53),
    "log-t tau2": priors.logt_tau2(-3.44, 2.59),
    "Turner": priors.turner2015("mental health indicators", "non-pharmacological vs. placebo / control"),
    "Rhodes bayesmeta": priors.rhodes2015(*MENTAL_NONPHARMA, reading="bayesmeta"),
    "Rhodes pattern": priors.rhodes2015(*MENTAL_NONPHARMA, reading="pattern"),
}


# ----------------------------------------------------------------- published figures
def test_turner_surgical_check_quantiles():
    # golden_values.md, Turner 2015 check figure: surgical / device related success / failure,
    # pharmacological vs placebo/control: tau quantiles 2.5/50/97.5 %
    prior = priors.turner2015("surgical / device related success / failure", "pharmacological vs placebo/control")
    np.testing.assert_allclose(prior.ppf([0.025, 0.5, 0.975]), [0.06233896, 0.34300852, 1.88734045], rtol=1e-7)


def test_turner_mental_health_rows():
    # golden_values.md, Turner 2015, mental health indicators: log(tau^2) ~ N(m, s^2)
    table = {
        "pharmacological vs. placebo / control": (-2.12, 1.53),
        "pharmacological vs. pharmacological": (-2.35, 1.60),
        "non-pharmacological vs. placebo / control": (-2.34, 1.72),
        "non-pharmacological vs. pharmacological": (-1.09, 1.27),
        "non-pharmacological vs. non-pharmacological": (-1.67, 1.47),
    }
    for comparison, (m, s) in table.items():
        prior = priors.turner2015("mental health indicators", comparison)
        assert (prior.location, prior.scale, prior.df) == (m, s, None)
    # golden_values.md: any outcome, any comparison -2.56 / 1.74
    anyp = priors.turner2015("any", "any")
    assert (anyp.location, anyp.scale) == (-2.56, 1.74)


def test_rhodes_mental_health_rows_and_general_prior():
    # golden_values.md, Rhodes 2015, mental health outcome: log(tau^2) ~ t5(location, scale)
    for comparison, (loc, scale) in {"pharmacological vs. placebo / control": (-2.99, 2.16),
                                     "pharmacological vs. pharmacological": (-3.27, 2.14)}.items():
        prior = priors.rhodes2015("mental health outcome", comparison)
        assert (prior.location, prior.scale, prior.df) == (loc, scale, 5)
    general = priors.rhodes2015("any", "any")  # golden_values.md: any outcome -3.44, 2.59
    assert (general.location, general.scale, general.df) == (-3.44, 2.59, 5)


def test_rhodes_readings_of_the_disputed_cell():
    # golden_values.md: bayesmeta codes -3.85; the table's pattern gives -2.99 + 0.14 = -2.85;
    # prior median tau exp(location / 2): 0.146 vs 0.241
    coded = priors.rhodes2015(*MENTAL_NONPHARMA, reading="bayesmeta")
    pattern = priors.rhodes2015(*MENTAL_NONPHARMA, reading="pattern")
    assert (coded.location, pattern.location) == (-3.85, -2.85)
    assert coded.scale == pattern.scale == 1.93
    assert coded.ppf(0.5) == pytest.approx(0.146, abs=5e-4) and coded.ppf(0.5) == pytest.approx(np.exp(-3.85 / 2))
    assert pattern.ppf(0.5) == pytest.approx(0.241, abs=5e-4)
    assert "pattern" in pattern.name and "DERIVED" in pattern.source


def test_reading_only_matters_for_the_disputed_cell():
    for area in ("other", "respiratory", "cancer"):
        a = priors.rhodes2015("biological marker", "non-pharmacological (any)", area=area, reading="bayesmeta")
        b = priors.rhodes2015("biological marker", "non-pharmacological (any)", area=area, reading="pattern")
        assert (a.location, a.scale) == (b.location, b.scale)
    resp = [priors.rhodes2015(*MENTAL_NONPHARMA, area="respiratory", reading=r).location
            for r in ("bayesmeta", "pattern")]
    assert resp == [-4.76, -4.76]


def test_data_files_copy_the_shared_tables_with_sources(shared):
    for name, keys in (("turner2015", ["outcome", "comparison"]), ("rhodes2015", ["area", "outcome", "comparison"])):
        ours = pd.read_csv(DATA_DIR / "priors" / f"{name}.csv")
        theirs = pd.read_csv(shared / "reference" / f"{name}.csv")
        assert ours["source"].str.len().gt(20).all()
        published = ours[ours.outcome != "any"]
        if "reading" in ours:
            published = published[published.reading == "bayesmeta"]
        pd.testing.assert_frame_equal(published[theirs.columns].reset_index(drop=True), theirs)
        assert ours.duplicated(keys + (["reading"] if "reading" in ours else [])).sum() == 0
    assert len(theirs) == 72 and len(pd.read_csv(shared / "reference" / "turner2015.csv")) == 80


# --------------------------------------------------------------- distribution checks
@pytest.fixture(scope="module")
def pymc_draws():
    """3000 draws of every proper prior from its to_pymc builder (one model, one compile)."""
    with pm.Model():
        tau_vars = [prior.to_pymc(f"tau_{i}") for i, prior in enumerate(PROPER.values())]
        mu_var = priors.normal_mu(0.5, 4.0).to_pymc("mu")
        draws = pm.draw(tau_vars + [mu_var], draws=3000, random_seed=20251121)
    return dict(zip([*PROPER, "mu"], draws))


@pytest.mark.parametrize("name", PROPER)
def test_pymc_draws_follow_the_prior_cdf(pymc_draws, name):
    assert stats.kstest(pymc_draws[name], PROPER[name].cdf).pvalue > 0.01


def test_pymc_normal_mu_draws(pymc_draws):
    assert stats.kstest(pymc_draws["mu"], stats.norm(0.5, 4.0).cdf).pvalue > 0.01


@pytest.mark.parametrize("name", PROPER)
def test_pdf_integrates_to_one_and_matches_cdf(name):
    prior = PROPER[name]
    lo, hi = np.log(prior.ppf([1e-12, 1 - 1e-12]))  # on log tau: the tails span many decades
    mass, _ = integrate.quad(lambda u: prior.pdf(np.exp(u)) * np.exp(u), lo, hi, limit=500,
                             points=np.log(prior.ppf([0.01, 0.5, 0.99])))
    assert mass == pytest.approx(1 - 2e-12, abs=1e-9)
    x = prior.ppf([0.1, 0.4, 0.9])
    for a, b in zip(x[:-1], x[1:]):  # density is the derivative of the cdf
        assert integrate.quad(prior.pdf, a, b)[0] == pytest.approx(prior.cdf(b) - prior.cdf(a), rel=1e-8)


@pytest.mark.parametrize("name", PROPER)
def test_ppf_inverts_cdf(name):
    prior = PROPER[name]
    x = prior.ppf(np.array([1e-9, 0.01, 0.3, 0.5, 0.77, 0.999]))
    np.testing.assert_allclose(prior.ppf(prior.cdf(x)), x, rtol=1e-9)
    assert prior.ppf(0.0) == 0.0 and prior.ppf(1.0) == np.inf and prior.cdf(-1.0) == 0.0


def test_tau2_priors_carry_the_jacobian():
    ig, ln = priors.inverse_gamma_tau2(2.0, 0.3), priors.lognormal_tau2(-1.0, 0.8)
    t = np.array([0.05, 0.4, 2.0])
    np.testing.assert_allclose(ig.pdf(t), stats.invgamma(2.0, scale=0.3).pdf(t**2) * 2 * t, rtol=1e-12)
    np.testing.assert_allclose(ln.pdf(t), stats.lognorm(0.8, scale=np.exp(-1.0)).pdf(t**2) * 2 * t, rtol=1e-12)
    assert ig.logpdf(0.0) == -np.inf and ln.logpdf(0.0) == -np.inf
    assert priors.logt_tau2(-3.0, 2.0).logpdf(0.0) == np.inf  # integrable spike of the log-t at 0


@pytest.mark.parametrize("scale", [1e-6, 0.05, 0.5, 1.0, 3.7, 1e6])
def test_half_normal_is_scipy_stats_bit_for_bit(scale):
    """The half-normal computes norm.logpdf and chi2(1) with scipy.special, as scipy.stats does
    (the command line then never imports scipy.stats): every value equal, not merely close."""
    prior = priors.half_normal(scale)
    tau = np.concatenate([[0.0, 5e-324, 1e-300, 1e-12, np.inf], np.geomspace(1e-9, 1e3, 4001) * scale])
    q = np.concatenate([[0.0, 5e-324, 1e-300, 1e-17, 0.5, 1 - 1e-16, 1.0], np.linspace(0, 1, 4001)])
    half = stats.norm(scale=scale)
    np.testing.assert_array_equal(prior.logpdf(tau), np.log(2.0) + half.logpdf(tau))
    np.testing.assert_array_equal(prior.cdf(tau), stats.chi2(1).cdf((tau / scale) ** 2))
    np.testing.assert_array_equal(prior.ppf(q), scale * np.sqrt(stats.chi2(1).ppf(q)))
    np.testing.assert_array_equal(prior.isf(q), scale * np.sqrt(stats.chi2(1).isf(q)))
    for value in (0.3 * scale, 0.0):  # scalars in, scalars out
        assert np.ndim(prior.logpdf(value)) == 0 and prior.logpdf(value) == np.log(2.0) + half.logpdf(value)
        assert np.ndim(prior.cdf(value)) == 0 and prior.cdf(value) == stats.chi2(1).cdf((value / scale) ** 2)


def test_half_t_small_tau_precision():
    prior = priors.half_t(2.0, 4)
    assert prior.cdf(1e-12) == pytest.approx(2 * 1e-12 * stats.t(4, scale=2.0).pdf(0.0), rel=1e-9)


def test_to_pymc_variable_names():
    with pm.Model() as model:
        priors.lognormal_tau2(-2.0, 1.5).to_pymc("tau")
        priors.inverse_gamma_tau2(1.0, 0.15).to_pymc("t")
        priors.uniform_tau().to_pymc("u")
        priors.flat_mu().to_pymc("mu")
    assert {"log_tau2", "tau", "t2", "t", "u", "mu"} <= set(model.named_vars)
    assert type(model["u"].owner.op).__name__ == "HalfFlatRV" and type(model["mu"].owner.op).__name__ == "FlatRV"


def test_improper_uniform_tau():
    prior = priors.uniform_tau()
    assert not prior.proper and "improper" in prior.name
    np.testing.assert_array_equal(prior.logpdf([0.0, 3.0, -1.0]), [0.0, 0.0, -np.inf])
    with pytest.raises(ValueError, match="improper"):
        prior.cdf(1.0)
    with pytest.raises(ValueError, match="improper"):
        prior.ppf(0.5)


def test_mu_priors_and_normalisation():
    assert isinstance(priors.as_mu_prior(None), priors.FlatMu)
    normal = priors.as_mu_prior((0.0, 4.0))
    assert isinstance(normal, priors.NormalMu) and (normal.mean, normal.sd) == (0.0, 4.0)
    assert priors.as_mu_prior(normal) is normal
    assert normal.logpdf(1.0) == pytest.approx(stats.norm(0, 4).logpdf(1.0))
    assert priors.flat_mu().logpdf(3.0) == 0.0 and not priors.flat_mu().proper


def test_get_prior_registry():
    assert priors.get_prior("half_normal", scale=0.5) == priors.half_normal(0.5)
    assert priors.get_prior("rhodes2015", outcome="any", comparison="any").location == -3.44
    with pytest.raises(ValueError, match="half_cauchy"):
        priors.get_prior("half_normall", scale=0.5)
    with pytest.raises(ValueError, match="bad parameters"):
        priors.get_prior("half_normal", sigma=0.5)


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("build", [
    lambda: priors.half_normal(0.0),
    lambda: priors.half_normal(-1.0),
    lambda: priors.half_cauchy(np.nan),
    lambda: priors.half_t(1.0, 0.0),
    lambda: priors.half_normal([0.5, 1.0]),
    lambda: priors.half_normal("wide"),
    lambda: priors.inverse_gamma_tau2(0.0, 1.0),
    lambda: priors.lognormal_tau2(np.inf, 1.0),
    lambda: priors.logt_tau2(-3.0, -2.0),
    lambda: priors.normal_mu(0.0, 0.0),
    lambda: priors.as_mu_prior("flat"),
    lambda: priors.as_mu_prior((0.0, 1.0, 2.0)),
    lambda: priors.as_tau_prior("half_normal"),
])
def test_bad_parameters_raise(build):
    with pytest.raises(ValueError):
        build()


@pytest.mark.parametrize("call, match", [
    (lambda: priors.turner2015("mental health", "pharmacological vs. placebo / control"), "unknown outcome.*'pain'"),
    (lambda: priors.turner2015("pain", "drug vs drug"), "unknown comparison.*non-pharmacological"),
    (lambda: priors.rhodes2015("mental health outcome", "non-pharmacological (any)", area="dermatology"),
     "unknown area.*respiratory"),
    (lambda: priors.rhodes2015(*MENTAL_NONPHARMA, reading="paper"), "unknown reading"),
])
def test_unknown_table_entries_list_valid_names(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_values_raise():
    prior = priors.half_normal(0.5)
    with pytest.raises(ValueError, match="NaN"):
        prior.logpdf([0.1, np.nan])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        prior.ppf(1.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        priors.lognormal_tau2(-2.0, 1.0).ppf(-0.1)
    with pytest.raises(ValueError, match="numeric"):
        prior.cdf("x")
