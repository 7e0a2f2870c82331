"""Model averaging: log marginal likelihoods against independent quadrature (1e-8), R bayesmeta
(tests/reference/bayesmeta_marginal.json) and PyMC's SMC; the mixture posterior; bad input."""

import json

import numpy as np
import pytest
from scipy import integrate, special, stats

from evidence_lib.bayes import priors
from evidence_lib.loaders.packaged import load_published
from evidence_lib.questions.model_averaging import MODELS, model_average
from evidence_lib.app.paths import REPO_ROOT
from evidence_lib.published.readings import summary_for_row

REFERENCE = json.loads((REPO_ROOT / "tests" / "reference" / "bayesmeta_marginal.json").read_text())
BARLOW = "barlow2015_ctrl_depression_smd_post"
SECURE = "barlow2015_ctrl_secure_post"
TAU_PRIORS = {"half_normal": lambda p: priors.half_normal(p["scale"]),
              "half_cauchy": lambda p: priors.half_cauchy(p["scale"]),
              "lognormal_tau2": lambda p: priors.lognormal_tau2(p["mean"], p["sd"]),
              "logt_tau2": lambda p: priors.logt_tau2(p["location"], p["scale"], p["df"])}


def _tau_prior(spec):
    return TAU_PRIORS[spec["family"]](spec)


def _summary(result_id):
    return summary_for_row(load_published().set_index("result_id").loc[result_id])


def _quad(f, cuts):
    return sum(integrate.quad(f, a, b, epsabs=0, epsrel=1e-11, limit=200)[0] for a, b in zip(cuts[:-1], cuts[1:]))


def quadrature_log_ml(y, s, tau_prior, mu_mean, mu_sd):
    """The four log marginal likelihoods without the engine's conjugate algebra: y is
    multivariate normal given tau, N(m0·1, diag(s² + tau²) + s0²·11ᵀ) with mu integrated
    (N(0, diag(s² + tau²)) with mu = 0), and tau is integrated by adaptive quadrature on
    u = log tau, the integrand scaled by its maximum on a grid."""
    k = len(y)

    def log_p(tau, free):
        cov = np.diag(s**2 + tau**2) + (mu_sd**2 if free else 0.0) * np.ones((k, k))
        return stats.multivariate_normal.logpdf(y, np.full(k, mu_mean if free else 0.0), cov)

    out = [log_p(0.0, False), log_p(0.0, True)]
    us = np.linspace(-25, 8, 331)
    for free in (False, True):
        def g(u):
            tau = np.exp(u)
            return tau_prior.logpdf(tau) + u + log_p(tau, free)

        values = np.array([g(u) for u in us])
        c, u_hat = values.max(), us[np.argmax(values)]
        cuts = [-200, u_hat - 6, u_hat - 2, u_hat, u_hat + 2, u_hat + 6, 60]  # beyond: < 1e-11 of the mass
        out.append(c + np.log(_quad(lambda u: np.exp(g(u) - c), cuts)))
    return np.array(out)


CASES = [c for c in REFERENCE["cases"] if "error" not in c]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['data']}|{c['prior']}")
def test_log_ml_matches_bayesmeta(case):
    y, s = np.array(case["y"]), np.array(case["sigma"])
    ma = model_average(y, sei=s, tau_prior=_tau_prior(case["tau_prior"]), mu_prior=tuple(case["mu_prior"]))
    ref = np.array([case["log_ml"][m] for m in MODELS])
    np.testing.assert_allclose(ma.table["log_ml"], ref, rtol=1e-8)


RHODES = priors.rhodes2015("mental health outcome", "non-pharmacological (any)")


@pytest.mark.parametrize("data", sorted({c["data"] for c in REFERENCE["cases"]}))
@pytest.mark.parametrize("tau_prior,mu", [(priors.half_normal(0.5), (0, 1)), (RHODES, (0, 0.5))],
                         ids=["half-normal", "Rhodes log-t"])
def test_log_ml_matches_quadrature(data, tau_prior, mu):
    case = next(c for c in CASES if c["data"] == data)
    y, s = np.array(case["y"]), np.array(case["sigma"])
    ma = model_average(y, sei=s, tau_prior=tau_prior, mu_prior=mu)
    np.testing.assert_allclose(ma.table["log_ml"], quadrature_log_ml(y, s, tau_prior, *mu), rtol=1e-8)


def test_reference_data_are_the_current_reconstructions():
    for data, rid in (("barlow_depression", BARLOW), ("barlow_secure_logrr", SECURE)):
        case = next(c for c in CASES if c["data"] == data)
        s = _summary(rid)
        np.testing.assert_allclose(s.yi, case["y"], rtol=1e-13)
        np.testing.assert_allclose(s.sei, case["sigma"], rtol=1e-13)


def test_probabilities_bayes_factors_and_mixture():
    ma = model_average(_summary(BARLOW), tau_prior=priors.half_normal(0.5), mu_prior=(0, 1), favours="lower")
    t = ma.table
    assert t["post_prob"].sum() == pytest.approx(1, abs=1e-14)
    lp = t["log_ml"].to_numpy()
    assert ma.bf_effect == pytest.approx(np.exp(np.logaddexp(lp[1], lp[3]) - np.logaddexp(lp[0], lp[2])), rel=1e-12)
    assert ma.bf_heterogeneity == pytest.approx(np.exp(np.logaddexp(lp[2], lp[3]) - np.logaddexp(lp[0], lp[1])),
                                                rel=1e-12)
    atom = t["post_prob"][0] + t["post_prob"][2]
    mu = ma.mu
    assert mu.cdf(0.0) - mu.cdf(-1e-12) == pytest.approx(atom, abs=1e-9)
    assert ma.p_benefit_averaged() == pytest.approx(float(mu.cdf(-1e-300)), abs=1e-12)
    assert ma.p_benefit_averaged() + atom + mu.p_benefit("higher") == pytest.approx(1, abs=1e-12)
    lo, hi = mu.interval(0.95)
    assert mu.cdf(lo) >= 0.025 - 1e-9 and mu.cdf(hi) >= 0.975 - 1e-9
    # the conditional posterior equals the engine's own when only the RE model carries weight
    given = ma.mu_given_effect
    assert given.atom == 0 and given.w_ee + given.w_re == pytest.approx(1)


def test_unequal_prior_probabilities_shift_posterior_only():
    y, s = np.array([0.3, 0.1, 0.5]), np.array([0.2, 0.15, 0.3])
    kw = dict(tau_prior=priors.half_normal(0.5), mu_prior=(0, 1))
    a = model_average(y, sei=s, **kw)
    b = model_average(y, sei=s, prior_probs=[0.1, 0.2, 0.3, 0.4], **kw)
    np.testing.assert_allclose(a.table["log_ml"], b.table["log_ml"])
    ml = np.exp(a.table["log_ml"].to_numpy())
    expected = (0.2 * ml[1] + 0.4 * ml[3]) / (0.1 * ml[0] + 0.3 * ml[2]) / (0.6 / 0.4)
    assert b.bf_effect == pytest.approx(expected, rel=1e-12)  # inclusion BFs weigh models by their prior
    odds = b.table["post_prob"] / a.table["post_prob"]
    np.testing.assert_allclose(odds / odds[0], np.array([0.1, 0.2, 0.3, 0.4]) / 0.1, rtol=1e-12)


@pytest.mark.parametrize("kwargs,message", [
    (dict(tau_prior=priors.uniform_tau(), mu_prior=(0, 1)), "proper priors"),
    (dict(tau_prior=priors.half_normal(0.5), mu_prior=None), "improper: mu prior"),
    (dict(tau_prior=priors.half_normal(0.5), mu_prior=(0, 1), prior_probs=[0.5, 0.5, 0, 0]), "prior_probs"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        model_average([0.1, 0.2], sei=[0.1, 0.1], **kwargs)


def test_estimate_only_summary_is_refused():
    from evidence_lib.published.reconstruct import from_published

    with pytest.raises(ValueError, match="tau is not identified"):
        model_average(from_published(-0.3, -0.6, 0.0), tau_prior=priors.half_normal(0.5), mu_prior=(0, 1))


def _smc_log_ml(y, s, tau_prior, mu, seed):
    import pymc as pm

    with pm.Model():
        m = pm.Normal("mu", *mu)
        tau = tau_prior.to_pymc("tau")
        pm.Normal("y", m, pm.math.sqrt(tau**2 + s**2), observed=y)
        idata = pm.sample_smc(draws=1000, chains=4, cores=1, random_seed=seed, progressbar=False,
                              compute_convergence_checks=False)
    per_chain = np.array([[float(v) for v in row if np.isfinite(float(v))][-1]
                          for row in idata.sample_stats["log_marginal_likelihood"].values])
    return per_chain


@pytest.mark.parametrize("data", ["barlow_depression", "metapsy_dyadic"])
def test_smc_log_ml_within_monte_carlo_error(data):
    case = next(c for c in CASES if c["data"] == data and c["tau_prior"]["family"] == "half_normal")
    y, s = np.array(case["y"]), np.array(case["sigma"])
    tau_prior = priors.half_normal(0.5)
    exact = model_average(y, sei=s, tau_prior=tau_prior, mu_prior=(0, 1)).table["log_ml"].iloc[3]
    chains = _smc_log_ml(y, s, tau_prior, (0, 1), seed=20261129)
    mcse = max(chains.std(ddof=1), 0.02) / np.sqrt(len(chains))
    assert abs(chains.mean() - exact) < 4 * mcse, (chains, exact)
    assert special.logsumexp(chains) - np.log(len(chains)) == pytest.approx(exact, abs=0.2)
