"""Exact engine against R bayesmeta's published figures.

Every figure is from tests/reference/golden_values.md ("Bayesian exact posterior:
R bayesmeta"). Tolerances: medians 1e-4 relative, interval ends 1e-3 relative (absolute
near zero), as bayesmeta approximates mu's marginal (DIRECT algorithm) to about 1e-4.
"""

from pathlib import Path

import numpy as np
import pytest

import evidence_lib as el
from evidence_lib.bayes import priors

from datasets import CRINS_V_PRINTED, CRINS_Y_PRINTED, EIGHT_S, EIGHT_Y

# golden_values.md: eight schools, the version in bayesmeta (Rubin1981)
Y8, S8 = EIGHT_Y, EIGHT_S
# golden_values.md: Crins et al. 2014, yi / vi
CRINS_Y, CRINS_V = CRINS_Y_PRINTED, CRINS_V_PRINTED


def close(value, golden, rel):
    assert value == pytest.approx(golden, rel=rel, abs=rel if golden == 0 else 0)


@pytest.fixture(scope="module")
def schools():
    return el.exact_posterior(Y8, sei=S8, tau_prior=priors.half_cauchy(25), mu_prior=(0.0, 50.0))


def test_eight_schools_half_cauchy(schools):
    # golden_values.md: half-Cauchy(25) / N(0, 50)
    # tau is exact in bayesmeta too (no mixture approximation): agreement to the printed digits
    close(schools.median("tau"), 4.758539, 1e-6)
    for got, want in zip(schools.interval("tau", level=0.95, kind="shortest"), (0.0, 15.165894)):
        close(got, want, 1e-6)
    for got, want in zip(schools.interval("tau", level=0.95, kind="central"), (0.2199559, 18.0531718)):
        close(got, want, 1e-6)
    close(schools.median("mu"), 7.962961, 1e-4)
    close(schools.interval("mu", level=0.95, kind="shortest")[1], 17.824562, 1e-3)
    close(schools.prob("mu", lower=0.0), 0.9487521, 1e-4)
    close(schools.interval("theta_new", level=0.95, kind="shortest")[1], 26.827377, 1e-3)


OPEN = pytest.mark.xfail(strict=True, reason=(
    "bayesmeta's printed mu/theta_new figures come from its DIRECT normal-mixture approximation "
    "(Röver & Friede 2017, delta 0.01); this end differs from them by 6e-4 to 3.9e-3 relative. "
    "tests/test_exact.py rebuilds that mixture from our tau posterior and reproduces the printed "
    "figure; our value is checked against adaptive quadrature to 1e-8"))


@OPEN
def test_eight_schools_mu_shortest_lower(schools):
    close(schools.interval("mu", level=0.95, kind="shortest")[0], -1.823353, 1e-3)  # golden_values.md


@OPEN
def test_eight_schools_theta_new_shortest_lower(schools):
    close(schools.interval("theta_new", level=0.95, kind="shortest")[0], -10.623526, 1e-3)  # golden_values.md


@OPEN
def test_eight_schools_flat_mu_shortest_lower():
    post = el.exact_posterior(Y8, sei=S8, tau_prior=priors.uniform_tau())
    close(post.interval("mu", level=0.95, kind="shortest")[0], -2.176157, 1e-3)  # golden_values.md


def test_eight_schools_defaults_improper_uniform():
    # golden_values.md: defaults (improper uniform on tau and mu)
    post = el.exact_posterior(Y8, sei=S8, tau_prior=priors.uniform_tau())
    close(post.median("tau"), 5.227732, 1e-4)
    close(post.median("mu"), 8.055861, 1e-4)
    close(post.interval("mu", level=0.95, kind="shortest")[1], 18.406330, 1e-3)


def test_crins_half_normal():
    # golden_values.md: Crins 2014, half-normal(0.5) / N(0, 4)
    post = el.exact_posterior(CRINS_Y, sei=np.sqrt(CRINS_V), tau_prior=priors.half_normal(0.5), mu_prior=(0.0, 4.0))
    close(post.median("tau"), 0.3445022, 1e-4)
    for got, want in zip(post.interval("tau", level=0.95, kind="shortest"), (0.0, 0.8607305)):
        close(got, want, 1e-3)
    close(post.median("mu"), -1.5734823, 1e-4)
    for got, want in zip(post.interval("mu", level=0.95, kind="shortest"), (-2.2312306, -0.9264079)):
        close(got, want, 1e-3)
    close(post.interval("theta_new", level=0.95, kind="shortest")[0], -2.7661319, 1e-3)


@OPEN
def test_crins_theta_new_shortest_upper():
    post = el.exact_posterior(CRINS_Y, sei=np.sqrt(CRINS_V), tau_prior=priors.half_normal(0.5), mu_prior=(0.0, 4.0))
    close(post.interval("theta_new", level=0.95, kind="shortest")[1], -0.4072970, 1e-3)  # golden_values.md


def test_crins_conditional_mu_reproduces_reml():
    # golden_values.md: REML tau 0.4670268, mu -1.591513, SE 0.3340882. Those 7-digit figures
    # come from unrounded data; on the 4-decimal yi/vi printed there, metafor gives
    # tau 0.4670187 (tests/reference/metafor_reference.json), so compare to 5 decimals.
    post = el.exact_posterior(CRINS_Y, sei=np.sqrt(CRINS_V), tau_prior=priors.half_normal(0.5))
    mean, sd = post.conditional_mu(0.4670268)
    assert mean == pytest.approx(-1.591513, abs=5e-5)
    assert sd == pytest.approx(0.3340882, abs=5e-6)
    reml = el.random_effects(CRINS_Y, vi=CRINS_V, method="REML")
    mean, sd = post.conditional_mu(reml.tau)
    assert mean == pytest.approx(reml.estimate, rel=1e-10) and sd == pytest.approx(reml.se, rel=1e-10)


@pytest.mark.parametrize("bad", [
    dict(yi=[1.0, np.nan], sei=[1.0, 1.0]),
    dict(yi=[1.0, 2.0], sei=[1.0, 0.0]),
    dict(yi=[1.0, 2.0], sei=[1.0]),
])
def test_bad_input_raises(bad):
    with pytest.raises(ValueError):
        el.exact_posterior(bad["yi"], sei=bad["sei"], tau_prior=priors.half_normal(0.5))


def test_golden_file_is_a_verbatim_copy_of_the_shared_reference(shared):
    ours = (Path(__file__).parent / "reference" / "golden_values.md").read_text().split("\n", 3)[3]
    assert ours == (shared / "reference" / "golden_values.md").read_text()
