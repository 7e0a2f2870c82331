"""Binary response/remission comparisons from Metapsy (evidence_lib.loaders.metapsy_binary)."""

import pandas as pd
import pytest

from evidence_lib.loaders import metapsy_binary
from evidence_lib.loaders.metapsy import load_metapsy
from evidence_lib.loaders.metapsy_binary import select_binary, split_counts

# Pinned outputs at Metapsy commit ceeabb7 (also asserted in notebooks/08_counting_outcomes.py)
PERINATAL_FLOW_ROWS = [95, 15, 12, 12, 12, 12, 9, 9]
PERINATAL_STUDIES = ["Chen, 2000", "Holden, 1989", "Milgrom, 2005", "Spinelli, 2003", "Spinelli, 2013",
                     "Wickberg, 1996", "Wiklund, 2010"]
ALL_K, ALL_STUDIES = 48, 36
IMPUTED = ["Milgrom, 2021", "Ngai, 2015", "Saloheimo, 2016"]  # .event_* filled from means, no reported counts


@pytest.fixture(scope="module")
def db(metapsy_csv):
    return load_metapsy(metapsy_csv, target_group=None)


@pytest.fixture(scope="module")
def perinatal(db):
    return select_binary(db[db["target_group"] == "ppd"].reset_index(drop=True), target_group="ppd")


@pytest.fixture(scope="module")
def everyone(db):
    return select_binary(db, target_group=None)


def test_perinatal_flow(perinatal):
    table, flow = perinatal
    assert flow["rows"].tolist() == PERINATAL_FLOW_ROWS
    assert len(table) == 9 and sorted(table["trial"].unique()) == PERINATAL_STUDIES
    assert table["study"].is_unique


def test_all_groups(everyone):
    table, flow = everyone
    assert len(table) == ALL_K and table["trial"].nunique() == ALL_STUDIES == flow["studies"].iloc[-1]
    assert set(table["target_group"]) == {"ppd", "med", "adul", "old", "oth", "stud"}


def test_imputed_counts_left_out(db, everyone):
    table, _ = everyone
    assert not set(IMPUTED) & set(table["trial"])
    rows = db[db["study"].isin(IMPUTED) & db[".event_arm1"].notna()]
    assert rows["event_arm1"].isna().all() and rows["outcome_type"].isin(["msd", "change"]).all()


def test_conflicting_counts_left_out(db, everyone):
    table, flow = everyone
    kivi = db[db["study"] == "Kivi, 2014"].iloc[0]
    assert (kivi["totaln_arm1"], kivi["totaln_arm2"], kivi[".totaln_arm1"], kivi[".totaln_arm2"]) == (36, 43, 43, 36)
    assert "Kivi, 2014" not in set(table["trial"])
    assert flow["rows"].iloc[2] - flow["rows"].iloc[3] == 1


def test_counts_trace_to_rows(db, everyone):
    table, _ = everyone
    by_id = db.set_index("row_id")
    unsplit = table[(table["split_arm1"] == 1) & (table["split_arm2"] == 1)]
    for _, t in unsplit.iterrows():
        row = by_id.loc[t["row_id"]]
        assert (row["event_arm1"], row["totaln_arm1"], row["event_arm2"], row["totaln_arm2"]) == \
            (t["e1"], t["n1"], t["e2"], t["n2"])
        assert row["study"] == t["trial"] and row["time"] == "post"


def test_one_definition_per_comparison(perinatal):
    table, _ = perinatal
    spinelli = table.set_index("study").loc["Spinelli, 2003"]
    assert spinelli["row_id"] == 733 and spinelli["set_aside"] == "730;731;732"  # remission (CGI) over 3 responses
    assert spinelli["outcome_type"].startswith("remission")


def test_shared_arms_counted_once(db, everyone):
    """Every shared arm's events and participants add back to the database arm."""
    table, _ = everyone
    by_id = db.set_index("row_id")
    for arm, e, n in ((1, "e1", "n1"), (2, "e2", "n2")):
        split = table[table[f"split_arm{arm}"] > 1]
        rows = by_id.loc[split["row_id"]]
        key = [rows["study"].to_numpy(), rows[f"event_arm{arm}"].to_numpy(), rows[f"totaln_arm{arm}"].to_numpy()]
        sums = split.groupby(key)[[e, n]].sum()
        for (study, events, total), (e_sum, n_sum) in sums.iterrows():
            assert (e_sum, n_sum) == (events, total), study
    milgrom = table[table["trial"] == "Milgrom, 2005"].sort_values("row_id")
    assert milgrom[["e2", "n2"]].values.tolist() == [[2, 6], [2, 6], [1, 6]]  # 5/18 split three ways
    araya = table[table["trial"] == "Araya, 2021"]
    assert (araya["split_arm2"] == 1).all()  # two different 'cau' arms (114/440, 70/215)


def test_split_counts():
    assert split_counts(5, 18, 3) == [(2, 6), (2, 6), (1, 6)]
    assert split_counts(12, 23, 2) == [(6, 12), (6, 11)]
    for e, n, m in ((0, 7, 3), (7, 7, 3), (4, 5, 4)):
        parts = split_counts(e, n, m)
        assert sum(p[0] for p in parts) == e and sum(p[1] for p in parts) == n
        assert all(0 <= pe <= pn for pe, pn in parts)


def test_export(perinatal, tmp_path):
    table, _ = perinatal
    path = metapsy_binary.export_binary(table, tmp_path)
    back = pd.read_csv(path, keep_default_na=False)
    assert path.name == "metapsy_perinatal_binary.csv"
    assert back.columns.tolist() == metapsy_binary.EXPORT_COLUMNS
    assert back[["e1", "n1", "e2", "n2"]].values.tolist() == table[["e1", "n1", "e2", "n2"]].values.tolist()
