"""The key numbers the notebooks assert, pinned here too (readings of published results).

Figures pinned from the current exact engine (deterministic); published inputs are from
data/published_results.csv (seed 002/003 for Barlow 2015).
"""

import numpy as np
import pytest
from scipy import stats

import evidence_lib as el
from evidence_lib.published import readings


@pytest.fixture(scope="module")
def published():
    return el.load_published().set_index("result_id", drop=False)


def test_barlow_depression_frequentist_reading(published):
    r = readings.read_row(published.loc["barlow2015_ctrl_depression_smd_post"])
    assert r["se"] == pytest.approx(0.1225, abs=5e-5)        # golden_values.md: back-calculated SE 0.1225
    assert r["pval"] == pytest.approx(0.072, abs=1e-3)  # golden_values.md: p about 0.072
    assert not r["ci_excludes_null"]


def test_barlow_depression_p_benefit_at_tau_hat_is_one_minus_half_p(published):
    row = published.loc["barlow2015_ctrl_depression_smd_post"]
    summary = readings.summary_for_row(row)
    post = el.exact_posterior(summary, tau_prior=el.priors.half_normal(0.5))
    mean, sd = post.conditional_mu(np.sqrt(summary.tau2))
    assert mean == pytest.approx(-0.22, abs=1e-10)
    assert sd == pytest.approx(summary.se, rel=1e-10)
    assert stats.norm.cdf(0, mean, sd) == pytest.approx(0.9638, abs=1e-4)


def test_barlow_depression_under_standard_priors(published):
    # pinned from notebook 03 (exact engine)
    table = readings.readings_under_priors(published.loc["barlow2015_ctrl_depression_smd_post"])
    expected = [0.913, 0.947, 0.931, 0.868, 0.874]
    assert table["p_benefit"].to_numpy() == pytest.approx(expected, abs=1e-3)
    assert (table["cri_high"] > 0).all()


def test_readings_table_covers_every_published_result(published):
    table = readings.readings_table()
    assert list(table["result_id"]) == list(published["result_id"])
    assert table["post_estimate"].notna().sum() == published["ci_low"].notna().sum()
    flagged = set(table.loc[table["readings_disagree"], "result_id"])
    assert "barlow2015_ctrl_depression_smd_post" in flagged


def test_huang_reading_uses_the_ci_not_the_printed_p(published):
    r = readings.read_row(published.loc["huang2019_depression_smd_short"])
    assert r["pval"] == pytest.approx(0.00157, abs=2e-5)   # audit: CI implies p ~ 0.0016
    assert r["ci_excludes_null"] and r["cri_excludes_null"]


def test_harmonise_puts_benefit_positive(published):
    harmonised = readings.harmonise(published)
    h = harmonised.table.set_index("result_id")
    assert h.loc["barlow2015_ctrl_depression_smd_post", "benefit_estimate"] == pytest.approx(0.22)
    assert h.loc["barlow2015_ctrl_secure_post", "benefit_estimate"] == pytest.approx(np.log(8.93))
    assert "barlow2015_ctrl_maternal_sensitivity_post" in harmonised.unknown_direction
    assert "barlow2015_ctrl_maternal_sensitivity_post" not in h.index
