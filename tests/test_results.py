"""Every result class shares one base: to_frame() in the vocabulary, _repr_html_() for Jupyter."""

import importlib
import re
import pkgutil

import numpy as np
import pandas as pd
import pytest

import evidence_lib as el
from evidence_lib.core.results import INTERVAL_PREFIXES, VOCABULARY, Pooled, Result
from evidence_lib.published.readings import PriorSet

YI, SEI = [-0.53, -0.10, 0.05, -0.30, -0.41], [0.2, 0.14, 0.17, 0.22, 0.12]
HN = el.priors.half_normal(0.5)


def _studies():
    return el.Studies(YI, SEI, measure="SMD", favours="lower")


def _results():
    s = _studies()
    counts = dict(e1=[3, 5, 0, 7], n1=[40, 50, 30, 60], e2=[1, 2, 1, 3], n2=[40, 48, 31, 59])
    return {
        "REResult": el.random_effects(s),
        "GLMMResult": el.random_effects_binomial(**counts),
        "ExactPosterior": el.exact_posterior(s, tau_prior=HN),
        "ModelAverage": el.model_average(s, tau_prior=HN, mu_prior=(0, 1)),
        "DesignAnalysis": el.design_analysis(s, true_effects=[-0.2, -0.5]),
        "NextTrial": el.next_trial(s, n_per_arm=50, tau_prior=HN, n_sim=50, random_seed=1, progress=False),
        "SummaryCheck": el.summary_level_check(s, HN),
        "OperatingCharacteristics": el.operating_characteristics(sei=np.array(SEI), true_mu=[0.0], tau_prior=HN, prior_sets=[PriorSet("half-normal(0.5)", HN, None)], n_sim=20,
            random_seed=1, progress=False),
        "RegTestResult": el.regtest(s),
        "PetPeeseResult": el.pet_peese(s),
        "RankTestResult": el.ranktest(s),
        "TrimFillResult": el.trimfill(s),
        "FailSafeResult": el.fsn(s),
        "SelectionResult": el.selmodel(s, alternative="less", method="EE"),
        "BiasSuite": el.bias_suite(s),
        "BiasAverage": el.bias_model_average(s),
        "RiskOfBias": el.risk_of_bias_readings(s, [4, 3, 1, 2, 4]),
        "MetaRegression": el.fit_meta_regression(s.yi, sei=s.sei, X=np.column_stack([np.ones(5), [4, 3, 1, 2, 4]])),
    }


@pytest.fixture(scope="module")
def results():
    return _results()


def _result_classes():
    found = set()
    for info in pkgutil.walk_packages(el.__path__, "evidence_lib."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Result) and obj not in (Result, Pooled) and obj.__module__ == info.name:
                found.add(obj.__name__)
    return found


def test_every_result_class_is_exercised(results):
    # Diagnostics: tests/test_diagnostics.py; BiasResult: the base of the bias results below
    assert _result_classes() - {"Diagnostics", "BiasResult"} == set(results)


RESULTS = ["REResult", "GLMMResult", "ExactPosterior", "ModelAverage", "DesignAnalysis", "NextTrial", "SummaryCheck",
           "OperatingCharacteristics", "RegTestResult", "PetPeeseResult", "RankTestResult", "TrimFillResult",
           "FailSafeResult", "SelectionResult", "BiasSuite", "BiasAverage", "RiskOfBias", "MetaRegression"]


def test_every_result_is_shown():
    assert set(RESULTS) == _result_classes() - {"Diagnostics", "BiasResult"}


@pytest.mark.parametrize("name", RESULTS)
def test_result_shows_itself(results, name):
    """In Jupyter (HTML) and as text (a console, a notebook's text/plain output): the same reader's
    table, never a memory address (which would change a stored output on every run) or NaN."""
    res = results[name]
    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame)
    html = res._repr_html_()
    assert "<table" in html and "0x7f" not in html and "NaN" not in html
    text = repr(res)
    assert text.startswith(type(res).__name__) and not re.search(r"0x[0-9a-f]{6,}", text) and "NaN" not in text
    header = text.splitlines()[1]
    assert all(label in header for label in res.reader().data.columns if label.strip())


def _in_vocabulary(column):
    if column in VOCABULARY:
        return True
    head, _, end = column.rpartition("_")
    return end in ("low", "high", "estimate") and head in (*INTERVAL_PREFIXES, "post")


@pytest.mark.parametrize("name", ["REResult", "GLMMResult", "ExactPosterior", "ModelAverage"])
def test_pooled_results_carry_the_shared_fields(results, name):
    """estimate, an interval at its level and k, named as core.results says."""
    frame = results[name].to_frame()
    assert {"estimate", "level", "k"} <= set(frame.columns), name
    ends = [c for c in frame.columns if c.endswith(("_low", "low")) and _in_vocabulary(c)]
    assert ends, f"{name}: no interval in the vocabulary"
    assert not {"mu", "ci_low", "ci_high", "z", "post_median", "p_implied"} & set(frame.columns), name


@pytest.mark.parametrize("name", ["ModelAverage", "BiasAverage"])
def test_averaged_and_given_an_effect_have_two_names(results, name):
    """A model average reads mu two ways: over all models (the mu = 0 point mass included:
    ``_averaged``) and given an effect; one name each, never one name for both."""
    row = results[name].to_frame().iloc[0]
    assert row["p_benefit_averaged"] < row["p_benefit"]  # the mu = 0 models count as no benefit
    assert row["cri_low_averaged"] <= row["estimate_averaged"] <= row["cri_high_averaged"]
    assert row["cri_low"] <= row["estimate"] <= row["cri_high"]
    assert abs(row["estimate_averaged"]) < abs(row["estimate"])  # pulled towards the point mass at 0


def test_pooled_estimates_share_one_set_of_fields(results):
    """REResult, GLMMResult, SelectionResult and TrimFillResult take their estimate fields from core.results.Pooled."""
    for name in ("REResult", "GLMMResult", "SelectionResult", "TrimFillResult"):
        assert isinstance(results[name], Pooled), name
