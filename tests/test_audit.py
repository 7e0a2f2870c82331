"""Audit of the published results: the known inconsistencies are flagged, consistent rows pass."""

import numpy as np
import pandas as pd
import pytest

from evidence_lib.published.audit import CHECKS, COLUMNS, _tau2_range_k2, audit_published, parse_p
from evidence_lib.loaders.packaged import PUBLISHED_PATH, load_published

EXPECTED_FLAGS = {
    ("huang2019_depression_smd_short", "p_value"),        # P=.07 printed, CI implies p ~ 0.0016
    ("barlow2015_ctrl_secure_post", "tau2"),              # tau² 3.71 printed = the Chi²
    ("barlow2015_ctrl_avoidant_fu", "p_value"),           # "0.000" printed, CI implies p ~ 0.007
    ("barlow2015_ctrl_avoidant_fu", "p_notation"),
    ("barlow2015_ctrl_secure_fu", "p_notation"),          # "<0.000"
    ("sleed2023_maternal_depression_post", "p_notation"), # "<0.000"
    ("sleed2023_infant_attachment_post", "p_notation"),   # "<0.00"
}


@pytest.fixture(scope="module")
def audit():
    return audit_published().set_index(["result_id", "check"])


def _audit_with(tmp_path, result_id, changes):
    """Audit findings of one row of a copy of published_results.csv with some cells changed."""
    table = pd.read_csv(PUBLISHED_PATH, dtype=str, keep_default_na=False)
    for col, value in changes.items():
        table.loc[table["result_id"] == result_id, col] = value
    table.to_csv(tmp_path / "published.csv", index=False)
    found = audit_published(load_published(tmp_path / "published.csv"))
    return found[found["result_id"] == result_id].set_index("check")


def test_one_row_per_check_per_result(audit):
    assert list(audit.reset_index().columns) == list(COLUMNS)
    assert len(audit) == 42 * len(CHECKS) and audit.index.is_unique
    assert set(audit["verdict"]) == {"ok", "flag", "not checkable"}


def test_exactly_the_known_flags(audit):
    assert set(audit.index[audit["verdict"] == "flag"]) == EXPECTED_FLAGS


def test_huang_p_is_incompatible_with_its_ci(audit):
    row = audit.loc[("huang2019_depression_smd_short", "p_value")]
    assert row["reported"] == ".07" and float(row["implied"]) == pytest.approx(0.0016, abs=1e-4)


def test_secure_attachment_heterogeneity(audit):
    tau2 = audit.loc[("barlow2015_ctrl_secure_post", "tau2")]
    assert tau2["reported"] == "3.71" and float(tau2["implied"]) == pytest.approx(1.47, abs=0.01)
    assert "between 1.47 and 1.59" in tau2["detail"]
    i2 = audit.loc[("barlow2015_ctrl_secure_post", "i2")]
    assert i2["verdict"] == "ok" and float(i2["implied"]) == pytest.approx(73.0, abs=0.1)
    assert audit.loc[("barlow2015_ctrl_secure_post", "q_p_value"), "verdict"] == "ok"
    assert audit.loc[("barlow2015_ctrl_insecure_to_secure_post", "i2"), "verdict"] == "ok"


def test_barlow_borderline_depression_se(audit):
    # golden_values.md: back-calculated SE 0.1225 for SMD -0.22 (-0.46 to 0.02)
    assert float(audit.loc[("barlow2015_ctrl_depression_smd_post", "se_from_ci"), "implied"]) == pytest.approx(
        0.1225, abs=5e-5)


def test_rows_without_figures_are_not_checkable(audit):
    rows = audit.loc["barlow2015_alt_depression"]
    assert (rows["verdict"] == "not checkable").all()


def test_derived_estimates_skip_symmetry_but_get_a_p(audit):
    assert audit.loc[("sleed2023_prf_post", "ci_symmetry"), "verdict"] == "not checkable"
    assert audit.loc[("sleed2023_prf_post", "p_value"), "verdict"] == "ok"
    assert "CI midpoint" in audit.loc[("sleed2023_prf_post", "p_value"), "detail"]


@pytest.mark.parametrize("text, expected", [
    ("0.03", (0.025, 0.035, False)), (".07", (0.065, 0.075, False)), ("<0.001", (0.0, 0.001, False)),
    ("0.0002", (0.00015, 0.00025, False)), ("0.000", (0.0, 0.0005, True)), ("<0.00", (0.0, 0.005, True)),
])
def test_parse_p(text, expected):
    assert parse_p(text) == pytest.approx(expected)


def test_parse_p_rejects_text():
    assert parse_p("NS") is None and parse_p("p=0.03") is None


def test_tolerance_follows_printed_precision(tmp_path):
    # RR 0.09 (0.01 to 1.56) is asymmetric on the log scale, but "0.01" covers 0.005-0.015
    assert _audit_with(tmp_path, "barlow2015_ctrl_secure_to_insecure_post", {})["verdict"]["ci_symmetry"] == "ok"
    finer = _audit_with(tmp_path, "barlow2015_ctrl_secure_to_insecure_post", {"ci_low": "0.010"})
    assert finer.loc["ci_symmetry", "verdict"] == "flag"


@pytest.mark.parametrize("changes, check, verdict", [
    ({"estimate": "-0.10"}, "ci_symmetry", "flag"),
    ({"p_reported": "0.002"}, "p_value", "ok"),
    ({"p_reported": "0.07"}, "p_value", "flag"),
    ({"p_reported": "n.s."}, "p_notation", "flag"),
])
def test_synthetic_p_and_symmetry(tmp_path, changes, check, verdict):
    rid = "huang2019_depression_smd_short"
    assert _audit_with(tmp_path, rid, changes).loc[check, "verdict"] == verdict


@pytest.mark.parametrize("changes, check, verdict", [
    ({"i2": "50"}, "i2", "flag"),
    ({"q_p_reported": "0.5"}, "q_p_value", "flag"),
    ({"tau2_reported": "1.5"}, "tau2", "ok"),
    ({"tau2_reported": "1.62"}, "tau2", "flag"),
    ({"k": "3"}, "tau2", "not checkable"),
])
def test_synthetic_heterogeneity(tmp_path, changes, check, verdict):
    assert _audit_with(tmp_path, "barlow2015_ctrl_secure_post", changes).loc[check, "verdict"] == verdict


def test_tau2_range_for_two_studies_holds_for_any_variances():
    """DerSimonian-Laird tau² of random two-study sets always lies in the closed-form range."""
    rng = np.random.default_rng(7)
    for _ in range(2000):
        v, y = rng.uniform(0.01, 3, 2), rng.normal(0, 2, 2)
        w = 1 / v
        q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
        tau2 = max(0.0, (q - 1) / (w.sum() - np.sum(w**2) / w.sum()))
        se2 = 1 / np.sum(1 / (v + tau2))
        low, high = _tau2_range_k2(q, se2)
        assert low - 1e-9 <= tau2 <= high + 1e-9


def test_needs_printed_precision_columns():
    bare = load_published().drop(columns=["estimate_decimals"])
    with pytest.raises(ValueError, match="estimate_decimals"):
        audit_published(bare)
