"""Binomial GLMM (evidence_lib.frequentist.glmm) against metafor rma.glmm(measure="OR", model="UM.FS").

The reference (tests/reference/glmm_reference.json) is written by glmm_reference.R from
glmm_reference_counts.csv. Run this file as a script to rewrite that CSV from the current
Metapsy selection (needs the Metapsy file):
    .venv/bin/python tests/test_glmm.py
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evidence_lib.questions import counts
from evidence_lib.loaders import metapsy_binary
from evidence_lib.bayes import priors
from evidence_lib.frequentist.glmm import random_effects_binomial

REF_DIR = Path(__file__).parent / "reference"
REFERENCE = json.loads((REF_DIR / "glmm_reference.json").read_text())
COUNTS_CSV = REF_DIR / "glmm_reference_counts.csv"
DATASETS = sorted(REFERENCE["datasets"])
METAPSY_SETS = {"metapsy_perinatal": "ppd", "metapsy_all": None}
# made-up k = 2 counts with a zero cell (tau^2 estimate on the boundary)
ZERO_CELL = pd.DataFrame({"dataset": "two_study_zero_cell", "study": ["A", "B"], "e1": [7, 9], "n1": [20, 25],
                          "e2": [0, 2], "n2": [20, 24]})


def _counts(name):
    data = pd.DataFrame(REFERENCE["datasets"][name]["data"])
    return data["e1"], data["n1"], data["e2"], data["n2"]


def reference_counts() -> pd.DataFrame:
    """The CSV the R script reads: both Metapsy selections and the zero-cell pair."""
    sets = [metapsy_binary.select_binary(target_group=group)[0][["study", "e1", "n1", "e2", "n2"]].assign(dataset=name)
            for name, group in METAPSY_SETS.items()]
    return pd.concat([*sets, ZERO_CELL])[["dataset", "study", "e1", "n1", "e2", "n2"]].reset_index(drop=True)


@pytest.fixture(scope="module")
def fits():
    return {name: random_effects_binomial(*_counts(name)) for name in DATASETS}


def test_reference_covers_the_four_sets():
    assert set(DATASETS) == {"metapsy_perinatal", "metapsy_all", "nielweise2007", "two_study_zero_cell"}
    assert REFERENCE["meta"]["metafor"] == "3.8.1"


@pytest.mark.parametrize("name", DATASETS)
def test_matches_rma_glmm(fits, name):
    """mu, se, tau² to 1e-4 relative of rma.glmm with tightened glmer tolerances (the default
    Nelder-Mead stops up to 3e-3 away on the 49-study set: checked loosely below)."""
    fit, ref = fits[name], REFERENCE["datasets"][name]["tight"]
    assert fit.k == ref["k"]
    assert fit.estimate == pytest.approx(ref["mu"], rel=1e-4)
    assert fit.se == pytest.approx(ref["se"], rel=1e-4)
    assert fit.tau2 == pytest.approx(ref["tau2"], rel=1e-4, abs=1e-10)
    assert (fit.low, fit.high) == pytest.approx((ref["ci_lb"], ref["ci_ub"]), rel=1e-4)
    assert fit.stat == pytest.approx(ref["zval"], rel=1e-4)
    assert fit.pval == pytest.approx(ref["pval"], rel=1e-3, abs=1e-12)
    assert fit.loglik_ee == pytest.approx(ref["ll_ee"], abs=1e-8)
    # marginal log-likelihood by R integrate() at glmer's estimates
    assert fit.loglik == pytest.approx(ref["marginal"]["ll"], abs=1e-5)
    default = REFERENCE["datasets"][name]["default"]
    assert fit.estimate == pytest.approx(default["mu"], rel=5e-3)
    assert fit.tau2 == pytest.approx(default["tau2"], rel=5e-3, abs=1e-10)


@pytest.mark.parametrize("name", DATASETS)
def test_quadrature_accuracy(name):
    """7 points (metafor's nAGQ) and 61 points agree with the default 21 points."""
    ref = random_effects_binomial(*_counts(name))
    for n_agq, tol in ((7, 1e-5), (61, 1e-9)):
        other = random_effects_binomial(*_counts(name), n_agq=n_agq)
        assert other.estimate == pytest.approx(ref.estimate, rel=tol)
        assert other.se == pytest.approx(ref.se, rel=tol)
        assert other.tau2 == pytest.approx(ref.tau2, rel=tol, abs=1e-12)
        assert other.loglik == pytest.approx(ref.loglik, abs=tol)


def test_double_zero_study_dropped(fits):
    fit = fits["nielweise2007"]
    studies = pd.DataFrame(REFERENCE["datasets"]["nielweise2007"]["data"])
    assert fit.dropped.tolist() == studies.index[studies["study"] == "Yucel"].tolist()
    assert fit.k == len(studies) - 1


def test_boundary_and_lrt(fits):
    zero = fits["two_study_zero_cell"]
    assert zero.tau2 < 1e-12 and zero.lrt == pytest.approx(0, abs=1e-8) and zero.lrt_pval > 0.99
    peri = fits["metapsy_perinatal"]
    assert peri.lrt == pytest.approx(2 * (peri.loglik - peri.loglik_ee))
    assert 0 < peri.lrt_pval < 1


def test_arms_swapped_flip_the_sign():
    e1, n1, e2, n2 = _counts("metapsy_perinatal")
    a, b = random_effects_binomial(e1, n1, e2, n2), random_effects_binomial(e2, n2, e1, n1)
    assert b.estimate == pytest.approx(-a.estimate, rel=1e-7)
    assert (b.se, b.tau2) == pytest.approx((a.se, a.tau2), rel=1e-6)


def test_to_frame(fits):
    frame = fits["metapsy_perinatal"].to_frame()
    assert len(frame) == 1
    for col in ("estimate", "low", "high", "se", "stat", "pval", "tau2", "lrt", "lrt_pval", "ratio_estimate"):
        assert col in frame
    assert frame["ratio_estimate"].iloc[0] == pytest.approx(np.exp(fits["metapsy_perinatal"].estimate))


@pytest.mark.parametrize("kwargs, match", [
    (dict(measure="RR"), "measure"),
    (dict(model="UM.RS"), "model"),
    (dict(level=1.2), "level"),
    (dict(n_agq=0), "n_agq"),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        random_effects_binomial([5, 6], [20, 20], [3, 2], [20, 20], **kwargs)


def test_bad_counts():
    with pytest.raises(ValueError, match="whole counts"):
        random_effects_binomial([5.5, 6], [20, 20], [3, 2], [20, 20])
    with pytest.raises(ValueError, match="e2 must be <= n2"):
        random_effects_binomial([5, 6], [20, 20], [30, 2], [20, 20])
    with pytest.raises(ValueError, match="at least 2 studies"):
        random_effects_binomial([5, 0], [20, 20], [3, 0], [20, 20])
    with pytest.raises(ValueError, match="is -inf"):  # separation: no events with the intervention
        random_effects_binomial([0, 0], [10, 10], [5, 3], [10, 10])
    with pytest.raises(ValueError, match=r"is \+inf"):
        random_effects_binomial([10, 4], [10, 10], [5, 0], [10, 10])


def test_zero_and_full_arms_without_separation():
    fit = random_effects_binomial([0, 1, 10], [10, 10, 10], [5, 3, 6], [10, 10, 10])
    assert np.isfinite(fit.estimate) and fit.se < 5 and fit.dropped.size == 0


def test_coverage_simulation_is_seeded():
    kwargs = dict(random_seed=3, tau_prior=priors.half_normal(0.5), n_sim=20, control_risk=0.05, true_or=4)
    a, b = counts.coverage_simulation(**kwargs), counts.coverage_simulation(**kwargs)
    pd.testing.assert_frame_equal(a, b)
    assert a["approach"].tolist() == list(counts.APPROACHES)
    assert ((a["fitted"] + a["not_fitted"]) == 20).all()
    assert a["coverage"].between(0, 1).all() and a["zero_cell_share"].nunique() == 1


def test_reference_counts_are_current(metapsy_csv):
    pd.testing.assert_frame_equal(reference_counts(), pd.read_csv(COUNTS_CSV))


if __name__ == "__main__":
    reference_counts().to_csv(COUNTS_CSV, index=False)


def test_readings_of_counts_sets_the_approaches_side_by_side():
    from evidence_lib.bayes import priors
    from evidence_lib.frequentist.glmm import random_effects_binomial
    from evidence_lib.questions.counts import readings_of_counts

    e1, n1, e2, n2 = [12, 20, 9, 15], [40, 50, 30, 45], [6, 11, 5, 8], [40, 48, 31, 44]
    table, fit = readings_of_counts(e1, n1, e2, n2, tau_prior=priors.half_normal(0.5))
    assert list(table.index.get_level_values("approach")) == [
        "REML (escalc log OR)", "exact posterior (escalc log OR)", "GLMM (ML, rma.glmm UM.FS)"]
    glmm_row = table.xs("GLMM (ML, rma.glmm UM.FS)", level="approach").iloc[0]
    assert glmm_row["estimate"] == random_effects_binomial(e1, n1, e2, n2).estimate == fit.estimate
    np.testing.assert_allclose(table["ratio_estimate"], np.exp(table["estimate"]), rtol=1e-15)
    assert table["p_benefit"].isna().sum() == 2 and 0.5 < table["p_benefit"].dropna().iloc[0] < 1
