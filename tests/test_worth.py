"""Batch exact fits, design analysis, next-trial preposterior analysis and operating
characteristics: parity with the exact engine and metafor-parity code, closed forms against
simulation, Monte Carlo identities, bad input."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evidence_lib.bayes import priors
from evidence_lib.loaders.packaged import load_published
from evidence_lib.questions.design import closed_form, design_analysis
from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.frequentist.rma import dl_fits, random_effects
from evidence_lib.questions.many_fits import ExactBatch
from evidence_lib.questions.operating import operating_characteristics
from evidence_lib.questions.preposterior import next_trial
from evidence_lib.published.readings import PriorSet, summary_for_row
from evidence_lib.core.studies import Studies

RHODES = priors.rhodes2015("mental health outcome", "non-pharmacological (any)")
HN = priors.half_normal(0.5)


@pytest.fixture(scope="module")
def barlow():
    row = load_published().set_index("result_id").loc["barlow2015_ctrl_depression_smd_post"]
    s = summary_for_row(row)
    return Studies(s.yi, s.sei, measure="SMD", favours="lower", note=s.note)


@pytest.mark.parametrize("tau_prior,mu_prior", [(HN, (0, 1)), (RHODES, None), (priors.uniform_tau(), None),
                                                (priors.half_cauchy(0.3), (0.1, 0.5))])
def test_batch_matches_exact_engine(tau_prior, mu_prior):
    rng = np.random.default_rng(3)
    s = np.array([0.1, 0.2, 0.3, 0.25, 0.4])
    y = rng.normal(0.2, 0.3, (40, 5))
    y[0] *= 20  # far-out data: large tau
    y[1] /= 50  # homogeneous data: tau near 0
    batch = ExactBatch(y, s, tau_prior, mu_prior)
    for i in (0, 1, 2, 3):
        post = exact_posterior(y[i], sei=s, tau_prior=tau_prior, mu_prior=mu_prior)
        for x in (-0.2, 0.0, 0.3):
            assert batch.cdf(x)[i] == pytest.approx(post.cdf("mu", x), abs=1e-9)
        assert batch.p_benefit("higher", 0.2)[i] == pytest.approx(post.prob("mu", lower=0.2), abs=1e-9)
        if batch.log_ml is not None:
            assert batch.log_ml[i] == pytest.approx(post.log_marginal_likelihood, rel=1e-9)


@pytest.mark.parametrize("test", ["z", "knha"])
def test_dl_fits_match_random_effects(test):
    rng = np.random.default_rng(4)
    v = np.array([0.02, 0.05, 0.1, 0.04])
    y = rng.normal(0, 0.4, (5, 4))
    fits = dl_fits(y, vi=v, test=test)
    for i in range(5):
        ref = random_effects(y[i], vi=v, method="DL", test=test)
        for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("low", "low"), ("high", "high"), ("tau2", "tau2")):
            assert fits[ours][i] == pytest.approx(getattr(ref, theirs), rel=1e-12, abs=1e-14)


def test_closed_form_matches_direct_simulation():
    se, d = 0.12, np.array([-0.3, -0.1, 0.05])
    table = closed_form(d, se)
    rng = np.random.default_rng(5)
    est = d + se * rng.standard_normal((400_000, 3))
    sig = np.abs(est / se) > stats.norm.ppf(0.975)
    power = sig.mean(0)
    type_s = np.array([(np.sign(est[sig[:, j], j]) != np.sign(d[j])).mean() for j in range(3)])
    exag = np.array([np.abs(est[sig[:, j], j]).mean() / abs(d[j]) for j in range(3)])
    assert (np.abs(table["power"] - power) < 4 * np.sqrt(power * (1 - power) / 400_000)).all()
    np.testing.assert_allclose(table["type_s"], type_s, atol=0.005)
    np.testing.assert_allclose(table["exaggeration"], exag, rtol=0.01)


def test_barlow_design_closed_form(barlow):
    da = design_analysis(barlow, true_effects=[-0.2])
    fit = random_effects(barlow.yi, vi=barlow.vi, method="DL")
    assert da.se == pytest.approx(fit.se, rel=1e-12)
    c = stats.norm.ppf(0.975)
    lam = -0.2 / fit.se
    assert da.table["power"].iloc[0] == pytest.approx(stats.norm.cdf(-c - lam) + stats.norm.cdf(-c + lam), rel=1e-12)
    assert da.table["power"].iloc[0] == pytest.approx(0.3721, abs=1e-4)
    assert da.table["exaggeration"].iloc[0] == pytest.approx(1.6224, abs=1e-4)


def test_simulated_design_reports_monte_carlo_error(barlow):
    a = design_analysis(barlow, true_effects=[-0.2, 0.0], test="knha", n_sim=2000, random_seed=1)
    b = design_analysis(barlow, true_effects=[-0.2, 0.0], test="knha", n_sim=2000, random_seed=1)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table.set_index("true_effect")
    assert t.loc[-0.2, "power_mcse"] == pytest.approx(np.sqrt(t.loc[-0.2, "power"] * (1 - t.loc[-0.2, "power"]) / 2000))
    assert np.isnan(t.loc[0.0, "exaggeration"])  # no Type M at a zero effect
    assert t.loc[0.0, "power"] < 0.1  # Knapp-Hartung keeps its level at k = 4 (about 0.05)
    post = design_analysis(barlow, true_effects=[-0.2], tau_source="posterior", tau_prior=HN, n_sim=2000, random_seed=2)
    assert post.table["power_mcse"].iloc[0] > 0


def test_next_trial_is_a_martingale_and_matches_refits(barlow):
    res = next_trial(barlow, n_per_arm=100, tau_prior=HN, n_sim=1500, random_seed=7, progress=False)
    d = res.simulations
    for col, now in (("p_benefit", "p_benefit"), ("p_benefit_beyond", "p_benefit_beyond")):
        mcse = d[col].std() / np.sqrt(len(d))
        assert abs(d[col].mean() - res.current[now]) < 4 * mcse  # E[updated P] = current P
    for i in range(3):
        y = np.append(barlow.yi, d["y_new_1"].iloc[i])
        s = np.append(barlow.sei, np.sqrt(2 / 100 + d["y_new_1"].iloc[i] ** 2 / 400))
        post = exact_posterior(y, sei=s, tau_prior=HN)
        assert d["p_benefit"].iloc[i] == pytest.approx(post.prob("mu", upper=0), abs=1e-9)
        assert d["p_benefit_beyond"].iloc[i] == pytest.approx(post.prob("mu", upper=-0.2), abs=1e-9)
    row = res.table.loc["P(benefit beyond the threshold) >= 0.9 after the update"]
    assert row["probability"] == pytest.approx(d["crosses"].mean())


def test_next_trial_ratio_needs_control_risk():
    s = Studies([np.log(2.0), np.log(3.0)], [0.5, 0.6], measure="RR", favours="higher")
    with pytest.raises(ValueError, match="control_risk"):
        next_trial(s, n_per_arm=100, tau_prior=HN, random_seed=1)
    res = next_trial(s, n_per_arm=100, tau_prior=HN, control_risk=0.3, threshold=np.log(1.25), n_sim=300, random_seed=1,
                     progress=False)
    assert 0 <= res.table["probability"].min() and res.table["probability"].max() <= 1


@pytest.mark.parametrize("kwargs,message", [
    (dict(n_per_arm=1.5), "n_per_arm"), (dict(n_per_arm=100, n_trials=0), "n_trials"),
    (dict(n_per_arm=100, target=1.2), "target"), (dict(n_per_arm=100, threshold=-0.2), "threshold"),
])
def test_next_trial_bad_input(barlow, kwargs, message):
    with pytest.raises(ValueError, match=message):
        next_trial(barlow, tau_prior=HN, random_seed=1, **kwargs)


def test_operating_characteristics_small_run(barlow):
    sets = [PriorSet("Rhodes, flat mu", RHODES), PriorSet("half-normal, N(0, 1)", HN, (0, 1))]
    oc = operating_characteristics(sei=barlow.sei, true_mu=[-0.2, 0.0], tau_prior=RHODES, prior_sets=sets, n_sim=400,
                                   random_seed=11, progress=False)
    cov = oc.coverage_table()
    # the Rhodes CrI is the posterior of the model that generated the data: nominal within MC error
    rhodes = cov.loc["CrI: Rhodes, flat mu"]
    assert abs(rhodes["coverage"] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / rhodes["n_sim_total"])
    assert len(oc.simulations) == 800 and set(oc.significant["true_mu"]) == {-0.2, 0.0}
    cal = oc.calibration
    assert cal.groupby("prior_set")["n_in_bin"].sum().eq(800).all()
    with pytest.raises(ValueError, match="proper"):
        operating_characteristics(sei=barlow.sei, true_mu=[0.0], tau_prior=priors.uniform_tau(), prior_sets=sets, n_sim=10,
                                  random_seed=1)


def test_cli_worth(tmp_path, capsys):
    from evidence_lib.app.cli import main

    studies = tmp_path / "trials.csv"
    studies.write_text("study,yi,sei,measure\nA,0.53,0.21,SMD\nB,0.10,0.15,SMD\nC,0.35,0.18,SMD\n")
    assert main(["worth", "--studies", str(studies), "--favours", "higher", "--n-sim", "200",
                 "--true-effect", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "bf_effect" in out and "RE, mu free" in out and "exaggeration" in out
    assert "P(benefit beyond the threshold) >= 0.9 after the update" in out
    summary = tmp_path / "results.csv"
    summary.write_text("label,estimate,ci_low,ci_high,k,q,measure,favours_intervention\n"
                       "secure,8.93,1.25,63.70,2,3.71,RR,higher\n")
    assert main(["worth", "--summary", str(summary), "--n-sim", "100"]) == 2  # RR needs --control-risk
    assert "control_risk" in capsys.readouterr().err
    assert main(["worth", "--summary", str(summary), "--n-sim", "100", "--control-risk", "0.3"]) == 0
    assert main(["worth", "--studies", str(studies)]) == 2  # --favours missing
    assert main(["worth", "--studies", str(studies), "--favours", "higher", "--mu-sd", "-1"]) == 2


def test_progress_bar_off_in_ci(monkeypatch):
    from evidence_lib.questions.many_fits import progress_bar

    items = [1, 2]
    monkeypatch.setenv("CI", "true")
    assert progress_bar(items, total=2, desc="x", progress=None) is items
    monkeypatch.delenv("CI")
    bar = progress_bar(items, total=2, desc="x", progress=None)
    assert bar is not items and list(bar) == items
    assert progress_bar(items, total=2, desc="x", progress=False) is items


def test_operating_characteristics_take_the_spread_by_keyword(barlow):
    """issue 18: the spread is sei= or vi=, never positional; both give the same simulation."""
    sets = [PriorSet("half-normal, N(0, 1)", HN, (0, 1))]
    kw = dict(true_mu=[0.0], tau_prior=RHODES, prior_sets=sets, n_sim=20, random_seed=3, progress=False)
    a = operating_characteristics(sei=barlow.sei, **kw)
    b = operating_characteristics(vi=np.asarray(barlow.sei) ** 2, **kw)
    pd.testing.assert_frame_equal(a.coverage, b.coverage)
    with pytest.raises(TypeError):
        operating_characteristics(barlow.sei, [0.0], tau_prior=RHODES, prior_sets=sets, n_sim=20, random_seed=3)
