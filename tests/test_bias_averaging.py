"""Bias-aware model averaging (RoBMA defaults): the selection likelihood against direct
integration over y, every marginal-likelihood type against scipy cubature at rtol 1e-7, two
models against PyMC SMC (about 90 s), RoBMA's default priors, direction and bad input."""

import warnings

import numpy as np
import pytest
from scipy import integrate, special, stats

from evidence_lib.bayes import priors, selection
from evidence_lib.core.studies import Studies
from evidence_lib.questions import bias_averaging as ba

RNG = np.random.default_rng(7)
S = RNG.uniform(0.1, 0.4, 8)
Y = 0.3 + RNG.normal(0, 0.15, 8) + RNG.normal(0, S)
P = priors.robma_priors()


def test_robma_defaults():
    # RoBMA 3.6.1 R/priors.R set_default_priors (see the module docstring of bias_averaging)
    assert (P.effect.mean, P.effect.sd) == (0, 1)
    assert isinstance(P.heterogeneity, priors.InverseGammaTau)
    assert (P.heterogeneity.shape, P.heterogeneity.scale) == (1, 0.15)
    assert [(w.steps, w.alpha) for w in P.weight_functions] == [((0.05,), (1, 1)), ((0.025, 0.05), (1, 1, 1))]
    assert (P.pet.family, P.pet.scale, P.peese.family, P.peese.scale) == ("cauchy", 1, "cauchy", 5)
    probs = ba.default_bias_probs(P)
    assert probs == {"none": 0.5, "selection p = 0.05": 0.125, "selection p = 0.025, 0.05": 0.125,
                     "PET": 0.125, "PEESE": 0.125}


def test_inverse_gamma_on_tau():
    prior = priors.inverse_gamma_tau(1, 0.15)
    assert integrate.quad(prior.pdf, 0, np.inf)[0] == pytest.approx(1, abs=1e-9)
    z = np.array([-7.0, -1.0, 0.0, 2.0, 7.0])
    np.testing.assert_allclose(prior.cdf(prior.from_normal(z)), stats.norm.cdf(z), rtol=1e-10)


@pytest.mark.parametrize("scale", [1e-6, 0.15, 1e6])
def test_inverse_gamma_on_tau_far_upper_tail(scale):
    """tau = -scale / log Φ(z) as it was wherever that is finite; beyond z = 37.5, where log Φ(z)
    rounds to -0 or the quotient overflows, scale / Φ(-z), with no warning; inf only past the largest double."""
    prior = priors.inverse_gamma_tau(1, scale)
    z = np.concatenate([np.linspace(-40, 40, 8001), [37.5, 37.6772, 38.0, 38.5, 40.0, 1e3, np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tau = prior.from_normal(z)
        with np.errstate(divide="ignore", over="ignore"):
            plain = -scale / special.log_ndtr(z)
    finite = np.isfinite(plain)
    np.testing.assert_array_equal(tau[finite], plain[finite])
    assert (tau[1:8001] >= tau[:8000]).all() and tau[-1] == np.inf
    far = ~finite & (z < 1e3)
    assert far.any()
    log_tau = np.log(scale) - special.log_ndtr(-z[far])  # log of scale / Φ(-z)
    np.testing.assert_allclose(np.log(tau[far]), np.where(log_tau < np.log(np.finfo(float).max), log_tau, np.inf),
                               rtol=1e-14)


def test_cumulative_dirichlet_is_uniform_on_ordered_weights():
    # alpha (1, 1, 1): (omega_1, omega_2) uniform on 1 >= omega_1 >= omega_2 >= 0 (density 2)
    z = np.random.default_rng(1).normal(size=(200_000, 2))
    om = P.weight_functions[1].omega_from_normal(z)
    assert (om[:, 0] == 1).all() and (np.diff(om, axis=1) <= 0).all()
    assert om[:, 1].mean() == pytest.approx(2 / 3, abs=3e-3) and om[:, 2].mean() == pytest.approx(1 / 3, abs=3e-3)
    general = priors.cumulative_dirichlet([0.025, 0.05], alpha=[1, 2, 3]).omega_from_normal(z)
    d = general - np.concatenate([general[:, 1:], np.zeros((len(z), 1))], 1)
    np.testing.assert_allclose(d.mean(0), np.array([1, 2, 3]) / 6, atol=3e-3)


def test_selection_likelihood_against_integration_over_y():
    steps = (0.025, 0.05)
    c = selection.cut_points(steps)
    mu, tau, omega = 0.2, 0.1, np.array([1.0, 0.6, 0.25])
    direct = 0.0
    for y, s in zip(Y, S):
        sd = np.hypot(s, tau)

        def weight(v):
            return omega[0] if v / s >= c[0] else omega[1] if v / s >= c[1] else omega[2]

        norm = sum(integrate.quad(lambda v: weight(v) * stats.norm.pdf(v, mu, sd), a, b, epsabs=0, epsrel=1e-12)[0]
                   for a, b in ((-np.inf, c[1] * s), (c[1] * s, c[0] * s), (c[0] * s, np.inf)))
        direct += stats.norm.logpdf(y, mu, sd) + np.log(weight(y)) - np.log(norm)
    ours = selection.selection_log_lik(Y, sei=S, steps=steps, mu=np.array([mu]), tau=np.array([tau]), omega=omega[None])[0]
    assert ours == pytest.approx(direct, abs=1e-10)


def _cubature(log_f, lo, hi, centre):
    res = integrate.cubature(lambda x: np.exp(log_f(x) - centre), lo, hi, rtol=1e-7, atol=0,
                             max_subdivisions=100_000)
    assert res.status == "converged"
    return float(np.log(res.estimate) + centre)


@pytest.mark.parametrize("wf", [0, 1])
def test_selection_log_ml_against_cubature(wf):
    # mu and the weights (tau = 0): 2-D and 3-D, in (mu, omega) rather than the engine's coordinates
    weights = P.weight_functions[wf]
    ours, _ = ba._selection_model(Y, S, weights, True, False, P)

    def log_f(x):
        mu = x[:, 0]
        if wf == 0:
            om, extra = np.stack([np.ones_like(mu), x[:, 1]], 1), 0.0
        else:  # omega_2 = omega_1 t: density 2 on the ordered triangle, Jacobian omega_1
            om, extra = np.stack([np.ones_like(mu), x[:, 1], x[:, 1] * x[:, 2]], 1), np.log(2 * x[:, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            v = selection.selection_log_lik(Y, sei=S, steps=weights.steps, mu=mu, tau=0 * mu, omega=om) + P.effect.logpdf(mu) + extra
        return np.where(np.isfinite(v), v, -np.inf)

    ref = _cubature(log_f, [-np.inf] + [0] * weights.dim, [np.inf] + [1] * weights.dim, ours)
    assert ours == pytest.approx(ref, abs=1e-8)


@pytest.mark.parametrize("label, het", [("PET", False), ("PEESE", True)])
def test_regression_log_ml_against_cubature(label, het):
    # mu integrated numerically here (the engine integrates it in closed form)
    x, prior_b = (S, P.pet) if label == "PET" else (S**2, P.peese)
    ours, _ = ba._regression_model(Y, S, x, prior_b, True, het, P)

    def log_f(p):
        mu, b = p[:, 0], p[:, 1]
        tau = p[:, 2] if het else 0 * mu
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            v = (selection.normal_log_lik(Y - b[:, None] * x, vi=S**2, mean=mu[:, None], tau=tau) + P.effect.logpdf(mu)
                 + prior_b.logpdf(b) + (P.heterogeneity.logpdf(tau) if het else 0.0))
        return np.where(np.isfinite(v), v, -np.inf)

    ref = _cubature(log_f, [-np.inf, 0] + [0] * het, [np.inf, np.inf] + [np.inf] * het, ours)
    assert ours == pytest.approx(ref, abs=1e-8)


def _smc_log_ml(kind, seed):
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model():
        mu, tau = P.effect.to_pymc("mu"), P.heterogeneity.to_pymc("tau")
        sd = pt.sqrt(S**2 + tau**2)
        if kind == "PET":
            pm.Normal("y", mu + P.pet.to_pymc("b") * S, sd, observed=Y)
        else:
            wf = P.weight_functions[0]
            om = wf.to_pymc("omega")
            c = selection.cut_points(wf.steps)
            shares = om - pt.concatenate([om[1:], pt.zeros(1)])
            upper = 0.5 * pt.erfc(-(mu - c[None, :] * S[:, None]) / (sd[:, None] * np.sqrt(2)))
            area = (upper * shares[None, :-1]).sum(1) + shares[-1]
            log_lik = pm.logp(pm.Normal.dist(mu, sd), Y) + pt.log(om[selection.observed_interval(Y, sei=S, steps=wf.steps)])
            pm.Potential("lik", (log_lik - pt.log(area)).sum())
        idata = pm.sample_smc(draws=2000, chains=4, cores=1, random_seed=seed, progressbar=False,
                              compute_convergence_checks=False)
    return np.array([[float(v) for v in row if np.isfinite(float(v))][-1]
                     for row in idata.sample_stats["log_marginal_likelihood"].values])


@pytest.mark.parametrize("kind", ["selection", "PET"])
def test_log_ml_against_smc(kind):
    # effect and heterogeneity included: 3-D models; 4 SMC chains of 2,000 draws (~45 s each)
    ours = (ba._selection_model(Y, S, P.weight_functions[0], True, True, P) if kind == "selection"
            else ba._regression_model(Y, S, S, P.pet, True, True, P))[0]
    chains = _smc_log_ml(kind, seed=20261204)
    mcse = max(chains.std(ddof=1), 0.02) / np.sqrt(len(chains))
    assert abs(chains.mean() - ours) < 4 * mcse, (chains, ours)


def test_result_and_direction():
    studies = Studies(Y, S, measure="SMD", favours="higher")
    res = ba.bias_model_average(studies)
    flipped = ba.bias_model_average(Studies(-Y, S, measure="SMD", favours="lower"))
    t = res.table
    assert list(res.to_frame().columns) == ["k", "bf_effect", "bf_heterogeneity", "bf_bias", "p_benefit_averaged",
                                            "estimate_averaged", "p_benefit", "estimate", "cri_low_averaged",
                                            "cri_high_averaged", "cri_low", "cri_high", "level"]
    assert len(t) == 20 and t["prior_prob"].sum() == pytest.approx(1) and t["post_prob"].sum() == pytest.approx(1)
    assert list(t.columns) == ["effect", "heterogeneity", "bias", "prior_prob", "log_ml", "post_prob", "estimate"]
    for name in ("bf_effect", "bf_heterogeneity", "bf_bias", "p_benefit", "p_benefit_averaged"):
        assert getattr(flipped, name) == pytest.approx(getattr(res, name), rel=1e-9), name
    assert (flipped.estimate, flipped.low, flipped.high) == pytest.approx((-res.estimate, -res.high, -res.low))
    assert (flipped.estimate_averaged, flipped.low_averaged, flipped.high_averaged) == pytest.approx(
        (-res.estimate_averaged, -res.high_averaged, -res.low_averaged))
    assert res.low <= res.estimate <= res.high and 0 < res.p_benefit_averaged <= res.p_benefit < 1
    assert res.low_averaged <= res.estimate_averaged <= res.high_averaged
    assert "BF (bias)" in res._repr_html_()
    # the no-bias rows are the exact engine's four models
    plain = ba.model_average(Y, sei=S, tau_prior=P.heterogeneity, mu_prior=P.effect)
    np.testing.assert_allclose(t.loc[t["bias"] == "none", "log_ml"], plain.table["log_ml"], rtol=0, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="favours is required"):
        ba.bias_model_average(Studies(Y, S))
    with pytest.raises(ValueError, match="p_bias must give"):
        ba.bias_model_average(Studies(Y, S, favours="higher"), p_bias={"none": 1.0})
    with pytest.raises(ValueError, match="p_effect must lie"):
        ba.bias_model_average(Studies(Y, S, favours="higher"), p_effect=1.0)
    with pytest.raises(ValueError, match="steps must be increasing"):
        priors.cumulative_dirichlet([0.05, 0.025])
