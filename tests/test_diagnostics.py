"""Convergence checks: healthy draws pass, each kind of failure warns (and asserts)."""

import warnings

import arviz as az
import numpy as np
import pymc as pm
import pytest

from evidence_lib.bayes.diagnostics import SamplerWarning, assert_diagnostics, check_diagnostics
from evidence_lib.core.errors import ConvergenceError

from datasets import EIGHT_S, EIGHT_Y

COLUMNS = ["ess_bulk", "ess_tail", "r_hat", "mcse_mean", "mcse_sd"]


def _tree(draws, diverging=None):
    """Synthetic DataTree: posterior ``draws`` (chain, draw[, k]) and a diverging flag."""
    chains, n = draws.shape[:2]
    div = np.zeros((chains, n), bool) if diverging is None else diverging
    return az.from_dict({"posterior": {"mu": draws}, "sample_stats": {"diverging": div}})


@pytest.fixture
def iid():
    return np.random.default_rng(1).standard_normal((4, 1000))


def test_healthy_draws_pass(iid):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SamplerWarning)
        result = check_diagnostics(_tree(iid))
    df = result.to_frame()
    assert list(df.columns) == COLUMNS and list(df.index) == ["mu"]
    assert result.divergences == 0 and result.problems == [] and result.ok
    assert df.loc["mu", "r_hat"] < 1.01 and df.loc["mu", "ess_bulk"] > 3000
    assert_diagnostics(_tree(iid))


def test_chains_stuck_apart_fail_rhat(iid):
    shifted = iid + np.array([0.0, 0.0, 0.0, 1.0])[:, None]
    with pytest.warns(SamplerWarning, match=r"R-hat > 1.01 .*\['mu'\]"):
        check_diagnostics(_tree(shifted))
    with pytest.raises(ConvergenceError, match="R-hat"):
        assert_diagnostics(_tree(shifted))


def test_single_chain_cannot_pass(iid):
    with pytest.warns(SamplerWarning, match="< 2 chains"):
        check_diagnostics(_tree(iid[:1]))


def test_few_draws_fail_ess(iid):
    with pytest.warns(SamplerWarning, match=r"ESS < 400 for \['mu'\]"):
        result = check_diagnostics(_tree(iid[:, :50]))
    assert result.table.loc["mu", "ess_bulk"] < 400
    check_diagnostics(_tree(iid[:, :50]), ess_min=100, rhat_max=1.1)  # looser thresholds pass


def test_divergences_counted_and_warned(iid):
    div = np.zeros(iid.shape, bool)
    div[2, [5, 50, 500]] = True
    with pytest.warns(SamplerWarning, match="3 divergent"):
        result = check_diagnostics(_tree(iid, div))
    assert result.divergences == 3


def test_warn_false_is_silent(iid):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check_diagnostics(_tree(iid[:1]), warn=False)
    assert result.problems and not result.ok


def test_var_names_and_vector_parameters():
    rng = np.random.default_rng(2)
    tree = az.from_dict({"posterior": {"mu": rng.standard_normal((4, 500)), "theta": rng.standard_normal((4, 500, 3))},
                         "sample_stats": {"diverging": np.zeros((4, 500), bool)}})
    assert list(check_diagnostics(tree).table.index) == ["mu", "theta[0]", "theta[1]", "theta[2]"]
    assert list(check_diagnostics(tree, ["theta"]).table.index) == ["theta[0]", "theta[1]", "theta[2]"]


def test_centred_eight_schools_diverges():
    """A real funnel: centred eight schools (bayesmeta version, golden_values.md) with target_accept 0.6."""
    y, s = EIGHT_Y, EIGHT_S
    with pm.Model():
        mu = pm.Normal("mu", 0, 50)
        tau = pm.HalfCauchy("tau", 25)
        theta = pm.Normal("theta", mu, tau, shape=8)
        pm.Normal("y", theta, s, observed=y)
        fit = pm.sample(300, tune=300, chains=2, cores=1, random_seed=11, target_accept=0.6,
                        nuts_sampler="nutpie", progressbar=False, compute_convergence_checks=False)
    with pytest.warns(SamplerWarning, match="divergent"):
        result = check_diagnostics(fit, ["mu", "tau"])
    assert result.divergences > 0


def test_tree_depth_and_energy_failures_are_named(iid):
    """arviz_stats.diagnose's sampler checks: a saturated tree depth and a low E-BFMI fail."""
    rng = np.random.default_rng(2)
    depth = np.zeros((4, 1000), bool)
    depth[0, :5] = True
    energy = np.cumsum(rng.standard_normal((4, 1000)) * 0.05, axis=1)  # a random walk: E-BFMI far below 0.3
    tree = az.from_dict({"posterior": {"mu": iid}, "sample_stats": {
        "diverging": np.zeros((4, 1000), bool), "reached_max_treedepth": depth, "energy": energy}})
    result = check_diagnostics(tree, warn=False)
    assert any("5 transition(s) at the maximum tree depth" in p for p in result.problems)
    assert any(p.startswith("E-BFMI < 0.3") for p in result.problems)
