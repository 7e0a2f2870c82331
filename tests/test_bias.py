"""Publication-bias methods against R metafor 3.8-1 (tests/reference/bias_reference.json, written
by tests/reference/bias_reference.R) on six metadat data sets used nowhere else in the tests.

Tolerance: every quantity within 1e-6 absolute, or 1e-6 relative where that is larger
(``approx(rel=1e-6, abs=1e-6)``); counts (k0, k, df, fail-safe N) exactly.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evidence_lib.core.errors import ConvergenceError
from evidence_lib.core.studies import Studies
from evidence_lib.questions.bias import selection
from evidence_lib.questions.bias.failsafe import fsn
from evidence_lib.questions.bias.rank import ranktest
from evidence_lib.questions.bias.regression import egger_test, pet_peese, regtest
from evidence_lib.questions.bias.selection import selmodel
from evidence_lib.questions.bias.trim_and_fill import trimfill

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "bias_reference.json").read_text())
TOL = {"rel": 1e-6, "abs": 1e-6}


def studies(name: str) -> Studies:
    d = REF["datasets"][name]
    data = pd.DataFrame({"ni": d["ni"]}) if "ni" in d else None
    return Studies(np.array(d["yi"]), np.sqrt(np.array(d["vi"])), data=data)


def rows(method: str):
    return [r for r in REF["results"] if r["method"] == method]


def row_id(r) -> str:
    keys = ("dataset", "model", "estimator", "predictor", "test", "fit_method", "side_arg", "type",
            "target_arg", "alternative", "steps")
    return "-".join(str(r[k]) for k in keys if r.get(k) is not None)


def check(ours: dict, ref: dict, names) -> None:
    for name in names:
        want = ref[name]
        if want is None:
            assert ours[name] is None, name
        else:
            assert np.ravel(ours[name]).astype(float) == pytest.approx(np.ravel(want).astype(float), **TOL), name


def test_reference_versions():
    assert REF["metafor_version"] == "3.8.1" and REF["r_version"].startswith("R version 4.2.2")
    assert len(REF["datasets"]) >= 5


@pytest.mark.parametrize("ref", rows("regtest"), ids=row_id)
def test_regtest_matches_metafor(ref):
    # regtest(rma(yi, vi, ni=, method=), model=, predictor=, test=)
    test = ref["test"] if ref["model"] == "rma" else "z"
    r = regtest(studies(ref["dataset"]), model=ref["model"], predictor=ref["predictor"], method=ref["estimator"],
                test=test)
    check(vars(r), ref, ("stat", "pval", "estimate", "low", "high", "slope", "slope_se", "tau2"))
    assert r.df_test == ref["df"] or (r.df_test is None and ref["df"] is None)


@pytest.mark.parametrize("ref", rows("PET") + rows("PEESE"), ids=lambda r: f"{r['method']}-{r['dataset']}")
def test_pet_peese_match_lm_and_rma_fe(ref):
    # lm(yi ~ x, weights = 1/vi) intercepts; rma(yi, vi, mods = ~x, method = "FE") gives the same estimate
    r = pet_peese(studies(ref["dataset"]), favours="higher")
    p = ref["method"].lower()
    ours = {q: getattr(r, f"{p}_{q}") for q in ("estimate", "se", "stat", "pval")}
    check(ours, ref, ("estimate", "se", "stat", "pval"))
    assert ours["estimate"] == pytest.approx(ref["fe_estimate"], **TOL)
    assert r.df_test == ref["df"]


def test_pet_peese_conditional_rule():
    # dat.lehmann2018: PET's intercept t > t_0.95(79) in the positive direction -> PEESE
    s = studies("lehmann2018")
    up, down = pet_peese(s, favours="higher"), pet_peese(s, favours="lower")
    assert up.pet_pval_one_sided + down.pet_pval_one_sided == pytest.approx(1.0)
    for r in (up, down):
        assert r.chosen == ("PEESE" if r.pet_pval_one_sided < 0.05 else "PET")
        assert r.estimate == (r.peese_estimate if r.chosen == "PEESE" else r.pet_estimate)
    with pytest.raises(ValueError, match="favours"):
        pet_peese(s)


@pytest.mark.parametrize("ref", rows("ranktest"), ids=row_id)
def test_ranktest_matches_metafor(ref):
    # ranktest(yi, vi): exact Kendall p without ties, normal approximation with them
    r = ranktest(studies(ref["dataset"]))
    check({"tau": r.kendall_tau, "pval": r.pval}, ref, ("tau", "pval"))  # metafor's tau is Kendall's


def test_ranktest_exact_branch():
    # dat.lehmann2018 has no tied variances: the exact permutation p-value (k = 81)
    assert ranktest(studies("lehmann2018")).exact
    assert not ranktest(studies("raudenbush1985")).exact


@pytest.mark.parametrize("ref", rows("trimfill"), ids=row_id)
def test_trimfill_matches_metafor(ref):
    # trimfill(rma(yi, vi, method=), estimator=, side=)
    side = None if ref["side_arg"] == "auto" else ref["side_arg"]
    r = trimfill(studies(ref["dataset"]), estimator=ref["estimator"], method=ref["fit_method"], side=side)
    assert (r.side, r.k0, r.k) == (ref["side"], ref["k0"], ref["k"])
    check({**vars(r), "se_k0": r.k0_se, "p_k0": r.k0_pval}, ref,
          ("se_k0", "p_k0", "estimate", "se", "low", "high", "stat", "pval", "tau2"))
    filled = r.studies.data["filled"].to_numpy()
    assert filled.sum() == r.k0 and not filled[: r.k - r.k0].any()
    if r.k0:
        check({"filled_yi": r.studies.yi[filled], "filled_vi": r.studies.vi[filled]}, ref, ("filled_yi", "filled_vi"))
        assert r.studies.labels[-1] == f"Filled {r.k0}"


@pytest.mark.parametrize("ref", rows("fsn"), ids=row_id)
def test_fsn_matches_metafor(ref):
    # fsn(yi, vi, type=, target=)
    r = fsn(studies(ref["dataset"]), type=ref["type"], target=ref["target_arg"])
    assert r.fsn == ref["fsnum"]
    pval = r.pval_one_sided if r.type == "Rosenthal" else r.pval  # metafor's pval: one-sided for Rosenthal
    assert (r.pval if r.type == "Rosenthal" else r.pval_one_sided) is None
    check({"pval": pval, "meanes": r.estimate, "target": r.target}, ref, ("pval", "meanes", "target"))


SEL = rows("selmodel")
SEL_FIT = [r for r in SEL if "error" not in r and max(r["delta"]) < 99]


@pytest.mark.parametrize("ref", SEL_FIT, ids=row_id)
def test_selmodel_matches_metafor(ref):
    # selmodel(rma(yi, vi, method="ML"), type="stepfun", steps=, alternative=), maximised to the end
    # (bias_reference.R); with tau2 at 0 the reference is the refit with tau2 held at 0
    r = selmodel(studies(ref["dataset"]), steps=np.atleast_1d(ref["steps"]), alternative=ref["alternative"])
    check({**vars(r), "ll": r.loglik, "ll0": r.loglik_no_selection}, ref,
          ("estimate", "se", "low", "high", "stat", "pval", "tau2", "delta", "lrt", "lrt_pval", "ll", "ll0"))
    assert r.lrt_df == ref["lrt_df"]
    assert list(r.k_per_interval) == ref["ptable"]
    if ref.get("tau2_bound"):
        assert r.tau2 == 0 and r.tau2_se is None and ref["tau2_se"] is None
    else:
        assert r.tau2_se == pytest.approx(ref["tau2_se"], **TOL)
    assert r.delta_se[0] is None
    assert np.array(r.delta_se[1:], float) == pytest.approx(np.array(ref["delta_se"][1:], float), **TOL)


@pytest.mark.parametrize("ref", [r for r in SEL if "error" not in r and max(r["delta"]) >= 99], ids=row_id)
def test_selmodel_weight_at_bound_is_flagged(ref):
    # metafor's estimate runs to its limit delta.max = 100 (it warns): not identified; no parity claimed
    with pytest.warns(UserWarning, match="at their bound"):
        r = selmodel(studies(ref["dataset"]), steps=np.atleast_1d(ref["steps"]), alternative=ref["alternative"])
    assert r.delta_at_bound and max(r.delta) == selection.DELTA_MAX
    assert r.loglik >= ref["ll"] - 1e-9  # at least metafor's maximum


@pytest.mark.parametrize("ref", [r for r in SEL if "intervals do not contain" in r.get("error", "")], ids=row_id)
def test_selmodel_empty_interval_is_an_error(ref):
    with pytest.raises(ValueError, match="no observed p-value in the interval"):
        selmodel(studies(ref["dataset"]), steps=np.atleast_1d(ref["steps"]), alternative=ref["alternative"])


def test_selmodel_nonconvergence_raises(monkeypatch):
    monkeypatch.setattr(selection, "_MAXITER", 1)
    with pytest.raises(ConvergenceError, match="did not converge"):
        selmodel(studies("lehmann2018"), steps=(0.025, 0.5))


#: egger_test's keys (the vocabulary) and R's names in the reference
EGGER_NAMES = {"intercept": "intercept", "intercept_se": "se", "stat": "t", "df_test": "df", "pval": "pval"}


def test_egger_test_matches_metafor_perinatal():
    # metapsy_perinatal_reference.json "egger": lm(yi/sei ~ 1/sei) on the committed 68 perinatal comparisons
    ref = json.loads((REF_DIR / "metapsy_perinatal_reference.json").read_text())["egger"]
    d = pd.read_csv(REF_DIR / "metapsy_perinatal_studies.csv")
    eg = egger_test(d["yi"].to_numpy(), vi=d["vi"].to_numpy())
    for ours, name in EGGER_NAMES.items():
        assert eg[ours] == pytest.approx(ref[name], rel=1e-6), name


@pytest.mark.parametrize("call, needs", [
    (lambda s: regtest(s), "regtest needs k >= 3"),
    (lambda s: ranktest(s), "ranktest needs k >= 3"),
    (lambda s: trimfill(s), "trimfill needs k >= 3"),
    (lambda s: pet_peese(s, favours="higher"), "pet_peese needs k >= 3"),
    (lambda s: egger_test(s), "egger_test needs k >= 3"),
    (lambda s: selmodel(s, steps=(0.025, 0.5)), "selmodel with 2 step\\(s\\) and method 'ML' needs k >= 4"),
])
def test_too_few_studies_is_a_clear_error(call, needs):
    with pytest.raises(ValueError, match=needs):
        call(Studies([0.2, 0.4], [0.1, 0.2]))


def test_bad_options_are_errors():
    s = studies("raudenbush1985")
    with pytest.raises(ValueError, match="predictor"):
        regtest(s, predictor="se")
    with pytest.raises(ValueError, match="ni"):
        regtest(studies("baskerville2012"), predictor="ni")
    with pytest.raises(ValueError, match="steps"):
        selmodel(s, steps=(0.0,))
    with pytest.raises(ValueError, match="type"):
        fsn(s, type="REM")


def test_trimfill_r0_undefined_for_equal_effects():
    with pytest.raises(ValueError, match="R0 is undefined"):
        trimfill(Studies([0.2, 0.2, 0.2, 0.2], [0.1, 0.2, 0.3, 0.1]), estimator="R0")


def test_results_make_frames():
    s = studies("bangertdrowns2004")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = selmodel(s, steps=(0.025, 0.5)).to_frame()
    assert {"estimate", "delta_1", "delta_3", "delta_se_3", "lrt"} <= set(frame.columns) and len(frame) == 1
    assert "studies" not in trimfill(s).to_frame().columns
    for r in (regtest(s), regtest(s, predictor="ni"), pet_peese(s, favours="higher"), ranktest(s), trimfill(s), fsn(s),
              selmodel(s)):
        assert "<table" in r._repr_html_()


def test_methods_on_equal_standard_errors_say_they_are_not_identified():
    """A published summary's pseudo-studies share one SE: regression, rank and fill have nothing to use."""
    from evidence_lib.published.reconstruct import from_published
    from evidence_lib.questions.bias.suite import bias_suite

    barlow = from_published(-0.22, -0.46, 0.02, k=4, n_total=356, favours="lower")
    for method in (regtest, ranktest, trimfill, pet_peese):
        with pytest.raises(ValueError, match="not identified: every study has the same standard error"):
            method(barlow)
    table = bias_suite(barlow).to_frame().set_index("method")
    assert table["note"].str.contains("not identified").sum() == 4
    assert table.loc["random effects (REML), no adjustment", "estimate"] == pytest.approx(-0.22, abs=1e-9)
