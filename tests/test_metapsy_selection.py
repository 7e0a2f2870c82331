"""Perinatal Metapsy selection (evidence_lib.loaders.metapsy_selection) and the methods applied to it
(subgroup fits, Egger's test, aggregation) against metafor.

Run as a script to rewrite the R script's inputs (tests/reference/metapsy_perinatal_*.csv):
    .venv/bin/python tests/test_metapsy_selection.py
"""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from evidence_lib.loaders import metapsy_selection as selection
from evidence_lib.bayes import priors
from evidence_lib.effects.effect_sizes import aggregate_correlated, g_from_events, log_or
from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.frequentist.rma import funnel_limits, random_effects, subgroup_difference
from evidence_lib.questions.bias.regression import egger_test
from evidence_lib.loaders.metapsy import load_metapsy
from evidence_lib.published.reconstruct import summary_level_check
from evidence_lib.bayes.summaries import linear_combinations, summarise

REF_DIR = Path(__file__).parent / "reference"
STUDIES_CSV = REF_DIR / "metapsy_perinatal_studies.csv"
ROWS_CSV = REF_DIR / "metapsy_perinatal_rows.csv"
REFERENCE = REF_DIR / "metapsy_perinatal_reference.json"
ROW_COLUMNS = ["row_id", "label", "yi", "vi"]

# Pinned outputs at Metapsy commit ceeabb7 (also asserted in notebooks/06_metapsy_perinatal.py)
FLOW_ROWS = [95, 95, 95, 92, 92, 68]
K, N_STUDIES, PARTICIPANTS = 68, 62, 9326.5
DYADIC = ["Clark, 2008", "Cooper, 2003 [psychodynamic psychotherapy]", "Goodman, 2015", "Puckering, 2010"]
MU_ALL, MU_DYADIC = 0.6491, 0.5471


def write_reference_inputs() -> None:
    """Write the two CSVs the R script reads (full float precision)."""
    chosen = selection.select_perinatal_effects()
    chosen.to_frame()[selection.EXPORT_COLUMNS].to_csv(STUDIES_CSV, index=False, float_format="%.17g")
    chosen.rows[ROW_COLUMNS].to_csv(ROWS_CSV, index=False, float_format="%.17g")


@pytest.fixture(scope="module")
def db(metapsy_csv):
    return load_metapsy(metapsy_csv)


@pytest.fixture(scope="module")
def selected(db):
    return selection.select_perinatal_effects(db)


@pytest.fixture(scope="module")
def studies(selected):
    return selected.to_frame()


def _subsets(selected):
    dyadic = selected.to_frame()["dyadic"].to_numpy(bool)
    return {"all": selected.studies, "dyadic": selected.studies.subset(dyadic),
            "other": selected.studies.subset(~dyadic)}


@pytest.fixture(scope="module")
def fits(selected):
    return {test: {name: random_effects(s, method="REML", test=test) for name, s in _subsets(selected).items()}
            for test in ("z", "knha")}


@pytest.fixture(scope="module")
def reference():
    return json.loads(REFERENCE.read_text())


def test_flow_counts(selected):
    flow = selected.flow
    assert flow["rows"].tolist() == FLOW_ROWS
    assert flow["studies"].iloc[0] == N_STUDIES and flow["studies"].iloc[-1] == N_STUDIES
    assert flow["comparisons"].tolist() == [K] * len(flow)


def test_k_and_participants(studies):
    assert len(studies) == K and studies["label"].is_unique
    assert studies["study"].nunique() == N_STUDIES
    assert (studies["n_arm1"] + studies["n_arm2"]).sum() == pytest.approx(PARTICIPANTS, abs=1e-9)


def test_every_row_used_once_and_traceable(studies, db):
    ids = [int(i) for r in studies["row_ids"] for i in r.split(";")]
    assert len(ids) == len(set(ids)) == FLOW_ROWS[3]
    by_id = db.set_index("row_id")
    for _, s in studies.iterrows():
        rows = by_id.loc[[int(i) for i in s["row_ids"].split(";")]]
        assert (rows["study"] == s["study"]).all() and (rows["time"] == "post").all()


def test_earliest_post_time_point(studies):
    burns = studies.set_index("label").loc["Burns, 2013"]
    assert burns["row_ids"] == "87;88;89"  # 15 weeks, not the 33-week rows 90-92


def test_shared_control_counted_once(studies, db):
    """Each control arm's participants appear once in the total n."""
    multi = studies[studies["control_split"] > 1]
    assert sorted(multi["study"].unique()) == ["Cooper, 2003", "Milgrom, 2005", "Milgrom, 2011", "Milgrom, 2021"]
    for study, s in studies.groupby("study"):
        rows = db[db["study"] == study]
        control = rows["n_arm2"].max() if rows["n_arm2"].notna().any() else rows["totaln_arm2"].max()
        assert s["n_arm2"].sum() == pytest.approx(control), study
        assert (s["control_split"] == len(s)).all()


def test_split_recomputation_reproduces_database_at_full_n(db):
    rows = db[db["study"].isin(["Cooper, 2003", "Milgrom, 2005", "Milgrom, 2011", "Milgrom, 2021"])]
    redone = selection._split_control(rows.assign(yi=np.nan, vi=np.nan), 1)
    binary = redone["outcome_type"].ne("msd")
    # events: Metapsy's own conversion, exact
    np.testing.assert_allclose(redone.loc[binary, "yi"], redone.loc[binary, ".g"], rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(redone.loc[binary, "vi"]), redone.loc[binary, ".g_se"], rtol=1e-12)
    # means: metafor's exact J vs Metapsy's 1 - 3/(4N - 9); variance formula differs slightly
    np.testing.assert_allclose(redone.loc[~binary, "yi"], redone.loc[~binary, ".g"], atol=2e-5)
    np.testing.assert_allclose(np.sqrt(redone.loc[~binary, "vi"]), redone.loc[~binary, ".g_se"], atol=5e-4)


def test_g_from_events_is_scaled_log_odds_ratio():
    e1, n1, e2, n2 = [17, 22], [31, 38], [5, 5], [18, 18]
    lor = log_or(e1, n1, e2, n2)
    g, v = g_from_events(e1, n1, e2, n2)
    j = 1 - 3 / (4 * (np.array(n1) + n2) - 9)
    np.testing.assert_allclose(g, j * lor.yi * np.sqrt(3) / np.pi, rtol=1e-12)
    np.testing.assert_allclose(v, lor.vi * 3 / np.pi**2, rtol=1e-12)
    with pytest.raises(ValueError):
        g_from_events([0], [10], [3], [10])


def test_aggregate_correlated():
    assert aggregate_correlated([0.4], vi=[0.04], rho=0.5) == pytest.approx((0.4, 0.04))
    y, v = aggregate_correlated([0.2, 0.6], vi=[0.04, 0.01], rho=0.0)
    assert y == pytest.approx((0.2 / 0.04 + 0.6 / 0.01) / (1 / 0.04 + 1 / 0.01)) and v == pytest.approx(0.008)
    y, v = aggregate_correlated([0.3, 0.5], vi=[0.02, 0.02], rho=0.5)
    assert y == pytest.approx(0.4) and v == pytest.approx(0.015)  # (1 + rho) v / 2


def test_aggregation_matches_metafor(studies, reference):
    agg = reference["aggregated"]
    ours = studies.set_index("label").loc[agg["label"]]
    np.testing.assert_allclose(ours["yi"], agg["yi"], rtol=1e-10)
    np.testing.assert_allclose(ours["vi"], agg["vi"], rtol=1e-10)


def test_reference_inputs_are_current(studies, selected):
    committed = pd.read_csv(STUDIES_CSV)
    assert committed["label"].tolist() == studies["label"].tolist()
    assert committed["row_ids"].astype(str).tolist() == studies["row_ids"].tolist()
    assert committed["dyadic"].tolist() == studies["dyadic"].tolist()
    np.testing.assert_allclose(committed[["yi", "vi"]], studies[["yi", "vi"]], rtol=1e-15)
    rows = pd.read_csv(ROWS_CSV)
    np.testing.assert_allclose(rows[["yi", "vi"]], selected.rows[["yi", "vi"]], rtol=1e-15)


@pytest.mark.parametrize("subset", ["all", "dyadic", "other"])
def test_reml_matches_metafor(fits, reference, subset):
    ref = next(f for f in reference["fits"] if f["subset"] == subset)
    z, kh = fits["z"][subset], fits["knha"][subset]
    assert z.k == ref["k"]
    ours = {"mu": "estimate", "ci_low": "low", "ci_high": "high"}  # metafor's names -> the vocabulary
    for name in ("mu", "se", "tau2", "ci_low", "ci_high", "pval", "i2", "q", "pi_low", "pi_high"):
        assert getattr(z, ours.get(name, name)) == pytest.approx(ref[name], rel=1e-8), name
    for name in ("se", "ci_low", "ci_high", "pval", "pi_low", "pi_high"):
        assert getattr(kh, ours.get(name, name)) == pytest.approx(ref["knha"][name], rel=1e-8), name


def test_pinned_pooled_estimates(fits):
    kh = fits["knha"]
    assert kh["all"].estimate == pytest.approx(MU_ALL, abs=1e-4)
    assert kh["dyadic"].estimate == pytest.approx(MU_DYADIC, abs=1e-4)
    assert kh["dyadic"].k == 4 and kh["other"].k == K - 4


def test_egger_matches_metafor(selected, reference):
    eg = egger_test(selected.studies)
    for ours, name in {"intercept": "intercept", "intercept_se": "se", "stat": "t", "df_test": "df", "pval": "pval"}.items():
        assert eg[ours] == pytest.approx(reference["egger"][name], rel=1e-6), name


def test_subgroup_difference():
    fits = {"dyadic": SimpleNamespace(estimate=0.5, se=0.2), "other": SimpleNamespace(estimate=0.7, se=0.1)}
    out = subgroup_difference(fits)
    w = np.array([25, 100])
    mw = (w @ [0.5, 0.7]) / w.sum()
    assert out["q_between"] == pytest.approx(w @ (np.array([0.5, 0.7]) - mw) ** 2)
    assert out["q_between_df"] == 1 and out["difference"] == pytest.approx(-0.2)


def test_funnel_limits():
    lim = funnel_limits(0.5, 0.4, n=5)
    assert lim["se"].iloc[0] == 0 and lim["low"].iloc[0] == lim["high"].iloc[0] == 0.5
    assert lim["high"].iloc[-1] - 0.5 == pytest.approx(1.959964 * 0.4, rel=1e-6)


def test_dyadic_rule(studies, db):
    assert sorted(studies.loc[studies["dyadic"], "label"]) == DYADIC
    assert selection.is_dyadic("Cooper, 2003", "dyn (psychodynamic psychotherapy)")
    assert not selection.is_dyadic("Cooper, 2003", "cbt (cbt)") and not selection.is_dyadic("Clark, 2008", "x")
    assert selection.is_dyadic("Goodman, 2015", np.nan)
    screen = selection.dyadic_screen(db)
    assert screen["reason"].str.len().gt(10).all()
    assert set(screen.loc[~screen["dyadic"], "study"]) == set(selection.NOT_DYADIC)
    with pytest.raises(ValueError, match="without a dyadic decision"):
        extra = db.iloc[:1].assign(study="Newstudy, 2030", full_ref="An infant massage trial")
        selection.dyadic_screen(pd.concat([db, extra]))


def test_linear_combinations():
    rng = np.random.default_rng(1)
    post = {"posterior": {"mu": rng.normal(0.6, 0.05, (2, 500)), "beta": rng.normal(-0.1, 0.2, (2, 500))}}
    table = linear_combinations(post, {"other": 0, "dyadic": 1})
    assert list(table.index) == ["other", "dyadic", "slope beta"]
    assert table.loc["other", "p_positive"] == 1.0
    assert table.loc["slope beta", "estimate"] == pytest.approx(-0.1, abs=0.03)


def test_summarise_from_draws():
    rng = np.random.default_rng(2)
    draws = {"mu": rng.normal(0.5, 0.1, (4, 2000)), "tau": np.abs(rng.normal(0, 0.3, (4, 2000)))}
    draws["theta_new"] = draws["mu"] + rng.normal(0, 0.3, (4, 2000))
    out = summarise({"posterior": draws}, favours="higher")
    assert out["estimate"] == pytest.approx(0.5, abs=0.01)
    assert out["low"] == pytest.approx(0.5 - 1.96 * 0.1, abs=0.01)
    assert out["p_benefit"] == pytest.approx(1.0, abs=1e-3) and out["pred_low"] < out["low"]
    assert summarise({"posterior": draws}, favours="lower")["p_benefit"] == pytest.approx(0.0, abs=1e-3)
    assert summarise({"posterior": draws})["p_benefit"] is None


def test_exact_posteriors_pinned(selected):
    subsets = _subsets(selected)
    rhodes = priors.rhodes2015("mental health outcome", "non-pharmacological (any)", reading="bayesmeta")

    def read(name, prior):
        return summarise(exact_posterior(subsets[name], tau_prior=prior), favours=subsets[name].favours)

    assert read("all", priors.half_normal(0.5))["estimate"] == pytest.approx(0.64883, abs=1e-4)
    dyadic = read("dyadic", priors.half_normal(0.5))
    assert dyadic["estimate"] == pytest.approx(0.53949, abs=1e-4)
    assert dyadic["p_benefit"] == pytest.approx(0.97613, abs=1e-4)
    assert read("dyadic", rhodes)["tau"] == pytest.approx(0.14664, abs=1e-4)


@pytest.mark.parametrize("name", ["all", "dyadic"])
def test_summary_level_check_close_to_full_data(selected, name):
    check = summary_level_check(_subsets(selected)[name], priors.half_normal(0.5))
    table = check.to_frame()
    gap = table.loc["reconstruction"] - table.loc["full data"]
    assert gap[["estimate", "low", "high"]].abs().max() < 0.03 and abs(gap["p_benefit"]) < 0.01
    if name == "dyadic":
        assert table.loc["reconstruction", "estimate"] == pytest.approx(0.55, abs=1e-3)
    assert check.published.k == len(_subsets(selected)[name]) and check.published.favours == "higher"


if __name__ == "__main__":
    write_reference_inputs()
    print(f"wrote {STUDIES_CSV} and {ROWS_CSV}")
