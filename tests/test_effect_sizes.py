"""Effect sizes against R metafor 3.8-1 escalc (tests/reference/metafor_reference.json,
written by tests/reference/metafor_reference.R) and golden_values.md."""

import json
from pathlib import Path

import numpy as np
import pytest

from evidence_lib.effects.effect_sizes import log_or, log_rr, se_from_ci, smd

REF = json.loads((Path(__file__).parent / "reference" / "metafor_reference.json").read_text())
ESC = REF["escalc"]
BIN = ESC["binary"]


def _kept(values):
    return np.array([v for v in values if v is not None], dtype=float)


def test_smd_matches_escalc_normand1999():
    # metafor_reference.json escalc.smd: escalc(measure="SMD") on dat.normand1999
    s = ESC["smd"]
    yi, vi = smd(s["m1i"], s["sd1i"], s["n1i"], s["m2i"], s["sd2i"], s["n2i"])
    np.testing.assert_allclose(yi, s["yi"], rtol=1e-12)
    np.testing.assert_allclose(vi, s["vi"], rtol=1e-12)


def test_smd_sign_follows_intervention_minus_control():
    yi, _ = smd([10.0], [2.0], [20], [12.0], [2.0], [20])
    assert yi[0] < 0


@pytest.mark.parametrize("func, key", [(log_rr, "log_rr"), (log_or, "log_or")])
def test_ratio_measures_match_escalc_with_zero_cells(func, key):
    # metafor_reference.json escalc.log_rr / log_or: escalc(..., drop00=TRUE) on counts with
    # single-zero, double-zero, all-events and one-arm-all-events studies
    res = func(BIN["e1"], BIN["n1"], BIN["e2"], BIN["n2"])
    ref = ESC[key]
    np.testing.assert_array_equal(res.dropped, ref["dropped"])
    np.testing.assert_array_equal(res.kept, [i for i, v in enumerate(ref["yi"]) if v is not None])
    np.testing.assert_allclose(res.yi, _kept(ref["yi"]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.vi, _kept(ref["vi"]), rtol=1e-12)


def test_log_rr_bcg_matches_escalc():
    # metafor_reference.json escalc.bcg: escalc(measure="RR") on dat.bcg counts
    b = ESC["bcg"]
    n1 = np.add(b["tpos"], b["tneg"])
    n2 = np.add(b["cpos"], b["cneg"])
    res = log_rr(b["tpos"], n1, b["cpos"], n2)
    assert res.dropped.size == 0
    np.testing.assert_allclose(res.yi, b["yi"], rtol=1e-12)
    np.testing.assert_allclose(res.vi, b["vi"], rtol=1e-12)


def test_se_from_ci_matches_formula_reference():
    # metafor_reference.json se_from_ci: (high - low) / (2 qnorm((1 + level)/2)) in R
    r = REF["se_from_ci"]
    np.testing.assert_allclose(se_from_ci(r["low"], r["high"]), r["smd_95"], rtol=1e-12)
    np.testing.assert_allclose(se_from_ci(r["low"], r["high"], level=0.9), r["smd_90"], rtol=1e-12)
    np.testing.assert_allclose(se_from_ci(r["low"][1:], r["high"][1:], measure="OR"), r["ratio_95"], rtol=1e-12)


def test_se_from_ci_barlow_borderline():
    # golden_values.md, "The borderline case": SMD -0.22, CI -0.46 to 0.02 -> SE 0.1225
    assert se_from_ci(-0.46, 0.02)[0] == pytest.approx(0.1225, abs=5e-5)


GOOD_SMD = dict(m1=[1.0, 2.0], sd1=[1.0, 1.5], n1=[10, 12], m2=[0.5, 1.0], sd2=[1.2, 1.1], n2=[11, 9])


@pytest.mark.parametrize("field, value, match", [
    ("sd1", [0.0, 1.5], "sd1 must be > 0"),
    ("sd2", [1.2, -1.0], "sd2 must be > 0"),
    ("n1", [1, 12], "n1 must be >= 2"),
    ("m2", [np.nan, 1.0], "m2 contains NaN"),
    ("n2", [11, 9, 8], "mismatched lengths"),
])
def test_smd_rejects_bad_input(field, value, match):
    with pytest.raises(ValueError, match=match):
        smd(**{**GOOD_SMD, field: value})


GOOD_BIN = dict(e1=[3, 5], n1=[20, 30], e2=[4, 6], n2=[21, 28])


@pytest.mark.parametrize("func", [log_rr, log_or])
@pytest.mark.parametrize("field, value, match", [
    ("e1", [21, 5], "e1 must be <= n1"),
    ("e2", [-1, 6], "e2 must be >= 0"),
    ("n2", [0, 28], "n2 must be >= 1"),
    ("e1", [2.5, 5], "e1 must hold whole counts"),
    ("n1", [20, np.nan], "n1 contains NaN"),
    ("e2", [4], "mismatched lengths"),
])
def test_ratio_measures_reject_bad_input(func, field, value, match):
    with pytest.raises(ValueError, match=match):
        func(**{**GOOD_BIN, field: value})


@pytest.mark.parametrize("kwargs, match", [
    (dict(ci_low=[0.3], ci_high=[0.1]), "ci_low must be < ci_high"),
    (dict(ci_low=[0.0], ci_high=[2.0], measure="RR"), "ci_low must be > 0"),
    (dict(ci_low=[0.1], ci_high=[0.3], measure="Cohen"), "unknown measure"),
    (dict(ci_low=[0.1], ci_high=[0.3], level=1.0), "level must lie strictly between 0 and 1"),
    (dict(ci_low=[0.1, 0.2], ci_high=[0.3]), "mismatched lengths"),
    (dict(ci_low=[np.nan], ci_high=[0.3]), "ci_low contains NaN"),
])
def test_se_from_ci_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        se_from_ci(**kwargs)


def test_smd_table_pairs_intervention_with_control_only():
    import evidence_lib as el
    from evidence_lib.effects.effect_sizes import smd_table

    trials = el.load_trials("maternal_depression_continuous")
    es = smd_table(trials)
    assert es.labels == ("Cooper 2003", "Clark 2008", "Goodman 2015", "Puckering 2010")
    assert (es.measure, es.favours) == ("SMD", "lower")  # depression scales: higher is worse
    # Cooper 2003 psychodynamic (45, 8.9, 4.2) vs routine care (50, 11.3, 4.8): data/trials rows
    # from Metapsy row 128; yi must equal smd() of those arms (CBT/counselling arms not paired).
    yi, vi = el.smd(8.9, 4.2, 45, 11.3, 4.8, 50)
    assert es.yi[0] == pytest.approx(yi[0], rel=1e-12) and es.vi[0] == pytest.approx(vi[0], rel=1e-12)
    assert (es.yi < 0).all()  # lower depression in every therapy arm
    assert es.to_frame()[["n1", "n2"]].iloc[0].tolist() == [45, 50]


def test_smd_table_refuses_mixed_scale_directions():
    import evidence_lib as el
    from evidence_lib.effects.effect_sizes import smd_table

    trials = el.load_trials("maternal_depression_continuous")
    flipped = trials.assign(scale_direction=lambda d: d["scale_direction"].where(d["study"] != "Clark 2008",
                                                                                   "higher is better"))
    with pytest.raises(ValueError, match="point different ways"):
        smd_table(flipped)


def test_smd_table_rejects_unpaired_study():
    import pandas as pd

    from evidence_lib.effects.effect_sizes import smd_table

    arms = pd.DataFrame({"study": ["A", "A"], "arm_role": ["intervention", "intervention"],
                         "mean": [1.0, 2.0], "sd": [1.0, 1.0], "n": [10, 10], "instrument": ["x", "x"]})
    with pytest.raises(ValueError, match="one intervention and one control"):
        smd_table(arms)
