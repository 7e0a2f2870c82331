"""Risk of bias readings of the Metapsy perinatal set: scores per comparison, the low-risk subset."""

import numpy as np
import pytest

from evidence_lib.frequentist.rma import random_effects
from evidence_lib.questions.risk_of_bias import risk_of_bias_readings, rob_scores


@pytest.fixture(scope="module")
def data():
    from evidence_lib.loaders.metapsy import load_metapsy
    from evidence_lib.loaders.metapsy_selection import select_perinatal_effects

    df = load_metapsy()
    return df, select_perinatal_effects(df)


def test_scores_are_the_lowest_of_each_comparisons_rows(data):
    df, sel = data
    rob = rob_scores(sel, df)
    assert len(rob) == len(sel.studies) and np.isin(rob, [0, 1, 2, 3, 4]).all()
    first = sel.studies.data["row_ids"].iloc[2]  # Ammerman 2013: three rows
    assert rob[2] == df.set_index("row_id").loc[[int(i) for i in first.split(";")], "rob"].min()


def test_low_risk_subset(data):
    df, sel = data
    res = risk_of_bias_readings(sel.studies, rob_scores(sel, df), cut=3)
    t = res.to_frame()
    keep = res.rob >= 3
    assert t["k"].tolist() == [68, 68, keep.sum(), keep.sum()]
    fit = random_effects(sel.studies.yi[keep], vi=sel.studies.vi[keep], method="REML")
    assert t.loc[2, "estimate"] == pytest.approx(fit.estimate, rel=1e-12)
    with pytest.raises(ValueError, match="cut must be"):
        risk_of_bias_readings(sel.studies, rob_scores(sel, df), cut=5)
