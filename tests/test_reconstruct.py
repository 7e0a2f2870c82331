"""Reconstruction of a random-effects likelihood from a published pooled result."""

import numpy as np
import pytest
from scipy import stats

from evidence_lib.bayes import priors
from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.frequentist.rma import random_effects
from evidence_lib.loaders.metapsy import load_metapsy
from evidence_lib.published.reconstruct import from_published

# Barlow et al. 2015 (seeds 002/003; golden_values.md "The borderline case"):
# parent-reported depression SMD -0.22 (-0.46, 0.02), 4 studies, 356 participants.
BARLOW_DEPRESSION = dict(estimate=-0.22, ci_low=-0.46, ci_high=0.02, k=4, n_total=356, measure="SMD")
# Barlow 2015 (seed 002): secure attachment RR 8.93 (1.25, 63.70), 2 studies, Chi² 3.71, I² 73 %;
# insecure-to-secure RR 11.45 (3.11, 42.08), 2 studies, Chi² 1.61, I² 38 %.
BARLOW_SECURE = dict(estimate=8.93, ci_low=1.25, ci_high=63.70, k=2, q=3.71, measure="RR")
BARLOW_TO_SECURE = dict(estimate=11.45, ci_low=3.11, ci_high=42.08, k=2, q=1.61, measure="RR")
PUBLISHED = [BARLOW_DEPRESSION, BARLOW_SECURE, BARLOW_TO_SECURE]
Z = stats.norm.ppf(0.975)


def _close_to_print(value, printed, measure):
    """Agreement to the rounding of a two-decimal print (ratio bounds: 3 significant digits)."""
    if measure == "SMD":
        return abs(value - printed) <= 0.005 + 1e-12
    return abs(value / printed - 1) <= 5e-3


def test_barlow_depression_se_matches_golden():
    # golden_values.md: "Back-calculated SE 0.1225, z -1.80"
    rec = from_published(**BARLOW_DEPRESSION)
    assert rec.se == pytest.approx(0.1225, abs=5e-5)
    assert rec.estimate / rec.se == pytest.approx(-1.80, abs=5e-3)
    assert not rec.estimate_only and len(rec.yi) == 4
    assert "N = 356" in rec.note and "approximation" in rec.note


@pytest.mark.parametrize("published", PUBLISHED, ids=["depression", "secure", "to_secure"])
@pytest.mark.parametrize("method", ["REML", "DL"])
def test_refit_reproduces_published_estimate_and_ci(published, method):
    rec = from_published(**published)
    fit = random_effects(rec.yi, vi=rec.sei**2, method=method)
    back = np.exp if published["measure"] == "RR" else float
    for value, printed in [(fit.estimate, published["estimate"]), (fit.low, published["ci_low"]),
                           (fit.high, published["ci_high"])]:
        assert _close_to_print(back(value), printed, published["measure"])


@pytest.mark.parametrize("published", PUBLISHED, ids=["depression", "secure", "to_secure"])
def test_dl_on_pseudo_studies_returns_input_q_and_tau2(published):
    rec = from_published(**published)
    fit = random_effects(rec.yi, vi=rec.sei**2, method="DL")
    assert fit.q == pytest.approx(rec.q, rel=1e-12)
    assert fit.tau2 == pytest.approx(rec.tau2, rel=1e-12)
    if "q" in published:
        assert rec.q == published["q"]
    rec.check()  # the same identities, as the object checks itself


@pytest.mark.parametrize("published", PUBLISHED, ids=["depression", "secure", "to_secure"])
def test_exact_engine_at_tau_hat_gives_estimate_and_se(published):
    rec = from_published(**published)
    post = exact_posterior(rec, tau_prior=priors.half_normal(0.5))
    mean, sd = post.conditional_mu(np.sqrt(rec.tau2))
    assert mean == pytest.approx(rec.estimate, abs=1e-10)
    assert sd == pytest.approx(rec.se, rel=1e-10)
    back = np.exp if published["measure"] == "RR" else float
    assert _close_to_print(back(mean - Z * sd), published["ci_low"], published["measure"])
    assert _close_to_print(back(mean + Z * sd), published["ci_high"], published["measure"])


def test_secure_attachment_i2_route_agrees_with_q_route():
    # seed 002 prints both Chi² 3.71 and I² 73 % for secure attachment: Q = 1/(1 - 0.73) = 3.70
    by_i2 = from_published(**{**BARLOW_SECURE, "q": None, "i2": 73, "i2_definition": "Q"})  # RevMan
    assert by_i2.q == pytest.approx(1 / 0.27)
    assert by_i2.tau2 == pytest.approx(from_published(**BARLOW_SECURE).tau2, rel=5e-3)
    assert "I² = 73%" in by_i2.note and "RevMan" in by_i2.note


def test_i2_definitions_give_the_same_pseudo_studies_and_say_which():
    # equal within-study variances: the typical variance is s², REML = DL, so metafor's
    # tau²/(tau² + s²) and RevMan's (Q - df)/Q are one number; only the note differs
    args = dict(estimate=0.3, ci_low=0.1, ci_high=0.5, k=6, i2=60)
    revman, metafor = (from_published(**args, i2_definition=d) for d in ("Q", "tau2"))
    np.testing.assert_allclose(revman.yi, metafor.yi, rtol=1e-15)
    assert metafor.tau2 / (metafor.tau2 + metafor.s2) == pytest.approx(0.60, rel=1e-12)
    fit = random_effects(metafor, method="REML")
    assert fit.i2 == pytest.approx(60, rel=1e-6)  # metafor's own I² of the pseudo-studies
    assert "metafor" in metafor.note and "not the review's" in metafor.note
    with pytest.raises(ValueError, match="say which I² the review reported"):
        from_published(**args)


def test_pseudo_studies_have_the_likelihood_of_real_data():
    """Synthetic equal-variance data: the pseudo-studies give the same likelihood for every (mu, tau)."""
    rng = np.random.default_rng(7)
    y, s = rng.normal(0.3, 0.25, size=6), 0.2
    fit = random_effects(y, vi=np.full(6, s**2), method="DL")
    rec = from_published(fit.estimate, fit.low, fit.high, k=6, q=fit.q)
    assert rec.sei == pytest.approx(np.full(6, s))
    assert rec.yi.mean() == pytest.approx(y.mean())
    for mu, tau in [(0.0, 0.0), (0.3, 0.1), (-0.2, 0.5)]:
        sd = np.sqrt(s**2 + tau**2)
        assert stats.norm.logpdf(rec.yi, mu, sd).sum() == pytest.approx(stats.norm.logpdf(y, mu, sd).sum())


def test_k2_pseudo_values_are_estimate_plus_minus_d():
    rec = from_published(**BARLOW_TO_SECURE)
    d = np.sqrt(rec.q * rec.s2 / 2)
    assert rec.yi == pytest.approx([np.log(11.45) - d, np.log(11.45) + d])


def test_n_route_with_narrow_ci_sets_tau2_to_zero():
    # N so small that 4/n_i alone exceeds k·SE²: the published CI takes precedence, tau² = 0
    rec = from_published(0.3, 0.1, 0.5, k=3, n_total=30)
    assert rec.tau2 == 0 and rec.q == 2 and rec.s2 == pytest.approx(3 * rec.se**2)
    assert "tau² = 0" in rec.note


def test_estimate_derived_from_ci_midpoint():
    # Sleed 2023 style: only a CI is printed; the midpoint is taken on the analysis (log) scale
    rec = from_published(None, 0.5, 2.0, k=3, i2=20, measure="OR", i2_definition="tau2")
    assert rec.estimate == pytest.approx(0.0, abs=1e-15) and rec.published_estimate == pytest.approx(1.0)
    assert "derived" in rec.note


@pytest.mark.parametrize("kwargs, why", [
    (dict(k=None), "k not reported"),
    (dict(k=1), "k = 1"),
    (dict(k=3), "no heterogeneity statistic"),
    (dict(k=3, n_total=100, measure="RR", estimate=1.2, ci_low=1.0, ci_high=1.44), "no heterogeneity statistic"),
])
def test_estimate_only_fallback(kwargs, why):
    args = {"estimate": 0.2, "ci_low": 0.1, "ci_high": 0.3, **kwargs}
    rec = from_published(**args)
    assert rec.estimate_only and len(rec.yi) == 1 and rec.tau2 is None
    assert rec.sei[0] == rec.se and why in rec.note
    assert rec.check()["ci_high"] == pytest.approx(args["ci_high"])


@pytest.mark.parametrize("kwargs", [
    dict(ci_low=0.3, ci_high=0.3),
    dict(ci_low=0.5, ci_high=0.1),
    dict(estimate=0.9),
    dict(estimate=float("nan")),
    dict(measure="RR", estimate=1.2, ci_low=0.0, ci_high=2.0),
    dict(measure="OR", estimate=-1.0, ci_low=-2.0, ci_high=2.0),
    dict(k=0),
    dict(k=2.5),
    dict(k=3, i2=100),
    dict(k=3, i2=-1),
    dict(k=3, q=-0.5),
    dict(k=3, n_total=0),
    dict(measure="HR"),
    dict(level=1.0),
])
def test_bad_input_raises(kwargs):
    args = {"estimate": 0.2, "ci_low": 0.1, "ci_high": 0.3, **kwargs}
    with pytest.raises(ValueError):
        from_published(**args)


def test_summary_is_immutable():
    rec = from_published(**BARLOW_DEPRESSION)
    with pytest.raises(ValueError):
        rec.yi[0] = 0.0


@pytest.fixture(scope="module")
def metapsy_post(metapsy_csv):
    """Metapsy perinatal trials, post-treatment, `.g`/`.g_se` present, first row per study (row_id order)."""
    rows = load_metapsy(metapsy_csv).sort_values("row_id")
    rows = rows[(rows["time"] == "post") & rows[".g"].notna() & rows[".g_se"].notna()]
    return rows.groupby("study", sort=False).head(1)


# Pinned from this test's run at commit time (Metapsy commit ceeabb7, rule in metapsy_post):
# posterior median of mu, central 95 % interval, P(mu > 0), median of tau, 95 % interval of theta_new.
PINNED = {
    "full": [0.605388, 0.465325, 0.748416, 1.0, 0.498199, -0.400340, 1.614555],
    "reconstructed": [0.605794, 0.464574, 0.747015, 1.0, 0.520373, -0.440995, 1.652583],
}


def test_metapsy_reconstruction_vs_full_data(metapsy_post):
    """Exact posterior (tau ~ half-normal(0.5), flat mu): full data vs reconstruction from the REML summary."""
    yi, sei = metapsy_post[".g"].to_numpy(), metapsy_post[".g_se"].to_numpy()
    reml = random_effects(yi, vi=sei**2, method="REML")
    assert len(yi) == 62 and reml.q == pytest.approx(451.0034, abs=1e-4)
    rec = from_published(reml.estimate, reml.low, reml.high, k=len(yi), q=reml.q)
    tau_prior = priors.half_normal(0.5)
    results = {}
    for label, post in [("full", exact_posterior(yi, sei=sei, tau_prior=tau_prior)),
                        ("reconstructed", exact_posterior(rec, tau_prior=tau_prior))]:
        got = [post.median("mu"), *post.interval("mu", 0.95, "central"), post.prob("mu", lower=0.0),
               post.median("tau"), *post.interval("theta_new", 0.95, "central")]
        assert got == pytest.approx(PINNED[label], abs=1e-3), label
        results[label] = got
    # the reconstruction moves the mu summary by < 0.002 but tau's median by about 0.022
    assert abs(results["full"][0] - results["reconstructed"][0]) < 2e-3
    assert 0.01 < results["reconstructed"][4] - results["full"][4] < 0.03


def test_summary_level_check_prints_ratios_as_ratios():
    from evidence_lib.published.reconstruct import summary_level_check
    from evidence_lib.core.studies import Studies

    logrr = np.log([1.3, 1.25, 1.6, 1.1, 1.4])
    studies = Studies(logrr, [0.2, 0.15, 0.3, 0.25, 0.1], measure="RR", favours="higher")
    check = summary_level_check(studies, priors.half_normal(0.5))
    table = check.to_frame()
    assert check.published.published_estimate > 1 and abs(check.published.estimate - random_effects(studies).estimate) < 0.01
    assert abs(table.loc["reconstruction", "p_benefit"] - table.loc["full data", "p_benefit"]) < 0.01
    with pytest.raises(ValueError, match="measures"):
        summary_level_check(Studies(logrr, [0.2] * 5, measure="HR"), priors.half_normal(0.5))
