"""Published results and trial files: content, traceability to the seeds, and every validation rule."""

import csv
import re

import numpy as np
import pandas as pd
import pytest

from evidence_lib.loaders.packaged import (PUBLISHED_PATH, TRIALS_DIR, DataValidationError, load_published, load_trials,
                               trial_outcomes)
from evidence_lib.loaders.metapsy import load_metapsy

SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


def _rows(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def _write(path, fields, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _published_with(tmp_path, result_id, changes):
    """A copy of published_results.csv with cells of one row changed."""
    fields, rows = _rows(PUBLISHED_PATH)
    row = next(r for r in rows if r["result_id"] == result_id)
    row.update(changes)
    return _write(tmp_path / "published_results.csv", fields, rows)


@pytest.fixture(scope="module")
def published():
    return load_published()


# ---------------------------------------------------------------- content of published_results.csv

def test_rows_per_review_and_nothing_dropped(published):
    assert len(published) == len(_rows(PUBLISHED_PATH)[1]) == 42
    assert published["review"].value_counts().to_dict() == {"Barlow 2015": 31, "Sleed 2023": 6, "Huang 2019": 5}
    barlow = published[published["review"] == "Barlow 2015"]
    assert (barlow["comparison"].str.startswith("PIP vs control")).sum() == 19  # "19 meta-analyses" (002)
    assert published["result_id"].is_unique


def test_dtypes(published):
    assert published["estimate"].dtype == float and published["k"].dtype == "Int64"
    assert published["estimate_derived"].dtype == bool and published["measure_stated"].dtype == bool


def test_key_figures_as_printed(published):
    row = published.set_index("result_id").loc
    dep = row["barlow2015_ctrl_depression_smd_post"]
    assert (dep["estimate"], dep["ci_low"], dep["ci_high"], dep["k"], dep["n"]) == (-0.22, -0.46, 0.02, 4, 356)
    assert dep["favours_intervention"] == "lower"
    secure = row["barlow2015_ctrl_secure_post"]
    assert (secure["estimate"], secure["ci_high"], secure["ci_high_decimals"]) == (8.93, 63.70, 2)
    assert (secure["q"], secure["q_df"], secure["tau2_reported"], secure["i2"]) == (3.71, 1, 3.71, 73)
    assert "FLAG" in secure["notes"] and "tau²" in secure["notes"]
    assert row["barlow2015_ctrl_secure_fu"]["p_reported"] == "<0.000"
    assert row["barlow2015_ctrl_avoidant_fu"]["p_reported"] == "0.000"
    assert row["barlow2015_ctrl_maternal_sensitivity_post"]["favours_intervention"] == "unknown"
    huang = row["huang2019_depression_smd_short"]
    assert (huang["p_reported"], huang["measure"]) == (".07", "SMD") and pd.isna(huang["k"])


def test_sleed_estimates_are_derived_midpoints(published):
    sleed = published[(published["review"] == "Sleed 2023") & published["ci_low"].notna()]
    assert len(sleed) == 4 and sleed["estimate"].isna().all() and sleed["estimate_derived"].all()
    assert not sleed["measure_stated"].any() and sleed["k"].isna().all() and sleed["n"].isna().all()
    np.testing.assert_allclose(sleed["estimate_used"], (sleed["ci_low"] + sleed["ci_high"]) / 2)
    assert dict(zip(sleed["outcome"], sleed["favours_intervention"])) == {
        "parental reflective functioning": "lower", "maternal depression": "higher",
        "infant behaviour": "higher", "infant attachment": "lower"}


def test_reported_estimates_are_used_unchanged(published):
    given = published[published["estimate"].notna()]
    assert not given["estimate_derived"].any()
    np.testing.assert_array_equal(given["estimate_used"], given["estimate"])
    none = published[published["ci_low"].isna()]
    assert none["estimate_used"].isna().all() and not none["estimate_derived"].any()


def test_ratio_midpoint_is_geometric(tmp_path):
    path = _published_with(tmp_path, "barlow2015_ctrl_secure_post", {"estimate": "", "reported_as": "CI only"})
    row = load_published(path).set_index("result_id").loc["barlow2015_ctrl_secure_post"]
    assert row["estimate_derived"] and row["estimate_used"] == pytest.approx(np.sqrt(1.25 * 63.70))


def test_every_printed_figure_is_in_the_cited_seed(published, shared):
    """Traceability: the seed files named in `source` contain each printed number and p text."""
    for _, row in published.iterrows():
        files = SEED_FILE.findall(row["source"])
        assert files, row["result_id"]
        text = " ".join((shared / "seeds" / f).read_text() for f in files)
        for col in ("estimate", "ci_low", "ci_high", "i2", "tau2_reported", "q"):
            if not np.isnan(row[col]):
                printed = f"{row[col]:.{row[f'{col}_decimals']}f}"
                assert printed in text, (row["result_id"], col, printed)
        for col in ("p_reported", "q_p_reported"):
            assert row[col] in text, (row["result_id"], col)
        if not pd.isna(row["n"]):  # k is printed in words ("Two studies"), n as digits
            assert str(row["n"]) in text, (row["result_id"], "n")


def test_rows_without_figures_have_no_direction(published):
    none = published[published["reported_as"].str.contains("no figures")]
    assert len(none) == 17
    assert (none["favours_intervention"] == "unknown").all() and (none["measure"] == "").all()


# ---------------------------------------------------------------- validation rules: published

@pytest.mark.parametrize("result_id, changes, column, rule", [
    ("barlow2015_ctrl_depression_smd_post", {"estimate": "-0.22a"}, "estimate", "expected a number, got"),
    ("barlow2015_ctrl_depression_smd_post", {"estimate": "−0.22"}, "estimate", "expected a number, got"),
    ("barlow2015_ctrl_depression_smd_post", {"k": "4.5"}, "k", "expected a whole number, got"),
    ("barlow2015_ctrl_depression_smd_post", {"estimate": "0.05"}, "estimate", "must contain the estimate"),
    ("barlow2015_ctrl_depression_smd_post", {"ci_low": "0.02"}, "ci_low", "ci_low must be < ci_high"),
    ("barlow2015_ctrl_depression_smd_post", {"ci_high": ""}, "ci_high", "a CI needs both bounds"),
    ("barlow2015_ctrl_depression_smd_post", {"ci_level": ""}, "ci_level", "level strictly between 0 and 1"),
    ("barlow2015_ctrl_depression_rr_post", {"estimate": "0", "ci_low": "-0.1"}, "estimate", "RR values must be > 0"),
    ("barlow2015_ctrl_depression_rr_post", {"ci_low": "0"}, "ci_low", "RR values must be > 0"),
    ("barlow2015_ctrl_depression_smd_post", {"n": "1"}, "n", "n must be >= 2"),
    ("barlow2015_ctrl_depression_smd_post", {"k": "0"}, "k", "k must be >= 1"),
    ("barlow2015_ctrl_secure_post", {"i2": "101"}, "i2", "must lie in [0, 100]"),
    ("barlow2015_ctrl_secure_post", {"i2": "-1"}, "i2", "must lie in [0, 100]"),
    ("barlow2015_ctrl_secure_post", {"q_df": "0"}, "q_df", "q_df must be >= 1"),
    ("barlow2015_ctrl_secure_post", {"q": "-3.71"}, "q", "q must be >= 0"),
    ("barlow2015_ctrl_secure_post", {"tau2_reported": "-1"}, "tau2_reported", "must be >= 0"),
    ("barlow2015_ctrl_depression_smd_post", {"favours_intervention": "PIP"}, "favours_intervention",
     "must be one of ['lower', 'higher', 'unknown']"),
    ("barlow2015_ctrl_depression_smd_post", {"source": " "}, "source", "must not be empty"),
    ("barlow2015_ctrl_depression_smd_post", {"measure": "MD"}, "measure", "must be one of"),
    ("barlow2015_ctrl_depression_smd_post", {"measure": ""}, "measure", "a row with figures needs a measure"),
    ("barlow2015_ctrl_depression_smd_post", {"measure_stated": "true"}, "measure_stated", "must be one of"),
    ("barlow2015_ctrl_depression_smd_post", {"reported_as": "CI only"}, "reported_as", "requires estimate empty"),
    ("barlow2015_alt_depression", {"estimate": "0.1"}, "reported_as", "requires estimate empty"),
    ("barlow2015_alt_depression", {"reported_as": "n.s."}, "reported_as", "must be one of"),
    ("barlow2015_alt_depression", {"result_id": "barlow2015_ctrl_secure_post"}, "result_id", "must be unique"),
])
def test_published_rules(tmp_path, result_id, changes, column, rule):
    path = _published_with(tmp_path, result_id, changes)
    key = changes.get("result_id", result_id)
    with pytest.raises(DataValidationError) as err:
        load_published(path)
    message = str(err.value)
    line = next((ln for ln in message.splitlines() if f"column '{column}'" in ln and rule in ln), None)
    assert line is not None, message
    assert line.startswith("published_results.csv: row ") and f"({key})" in line


def test_row_number_is_the_spreadsheet_row(tmp_path):
    path = _published_with(tmp_path, "barlow2015_ctrl_depression_rr_post", {"n": "0"})
    with pytest.raises(DataValidationError, match=r"row 3 \(barlow2015_ctrl_depression_rr_post\), column 'n'"):
        load_published(path)


def test_all_problems_reported_together(tmp_path):
    path = _published_with(tmp_path, "barlow2015_ctrl_secure_post", {"i2": "x", "favours_intervention": "up"})
    with pytest.raises(DataValidationError, match=r"^2 problem\(s\)"):
        load_published(path)


def test_missing_required_column(tmp_path):
    fields, rows = _rows(PUBLISHED_PATH)
    fields.remove("source")
    path = _write(tmp_path / "bad.csv", fields, [{f: r[f] for f in fields} for r in rows])
    with pytest.raises(DataValidationError, match=r"bad\.csv: header: missing required column\(s\) \['source'\]"):
        load_published(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_published(tmp_path / "absent.csv")


# ---------------------------------------------------------------- trials

def _trials_with(tmp_path, outcome, index, **changes):
    fields, rows = _rows(TRIALS_DIR / f"{outcome}.csv")
    rows[index].update(changes)
    folder = tmp_path / "trials"
    folder.mkdir(exist_ok=True)
    _write(folder / f"{outcome}.csv", fields, rows)
    return folder


DEPRESSION = "maternal_depression_continuous"


def test_trial_outcomes_and_rows():
    assert trial_outcomes() == ["child_involvement_continuous", DEPRESSION, "maternal_sensitivity_continuous"]
    depression = load_trials(DEPRESSION)
    assert len(depression) == 10 and depression["n"].dtype == "Int64"
    assert set(depression["study"]) == {"Cooper 2003", "Clark 2008", "Goodman 2015", "Puckering 2010"}
    for outcome in trial_outcomes():
        table = load_trials(outcome)
        assert (table["citation"] != "").all() and (table["verification"] != "").all()


def test_metapsy_rows_match_the_database(metapsy_csv):
    database = load_metapsy(metapsy_csv, target_group=None).set_index("row_id")
    depression = load_trials(DEPRESSION)
    checked = 0
    for _, row in depression.iterrows():
        ref = database.loc[int(row["metapsy_row_id"])]
        arm = int(row["metapsy_arm"])
        assert (ref[f"mean_arm{arm}"], ref[f"sd_arm{arm}"], ref[f"n_arm{arm}"]) == (row["mean"], row["sd"], row["n"])
        assert f"row {row['metapsy_row_id']}" in row["verification"] and ref["target_group"] == "ppd"
        assert row["study"].replace(" ", ", ") == ref["study"]
        checked += 1
    assert checked == 10


def test_secondary_rows_reproduce_the_printed_d():
    for outcome, d in (("maternal_sensitivity_continuous", 0.46), ("child_involvement_continuous", 0.18)):
        t, c = (r for _, r in load_trials(outcome).iterrows())
        pooled = np.sqrt(((t["n"] - 1) * t["sd"] ** 2 + (c["n"] - 1) * c["sd"] ** 2) / (t["n"] + c["n"] - 2))
        assert round((t["mean"] - c["mean"]) / pooled, 2) == d
        assert t["verification"].startswith("secondary source")


def test_unknown_outcome_lists_available():
    with pytest.raises(ValueError, match=r"unknown outcome 'anxiety'.*maternal_depression_continuous"):
        load_trials("anxiety")


@pytest.mark.parametrize("changes, column, rule", [
    ({"n": "1"}, "n", "n must be >= 2"),
    ({"n": "ten"}, "n", "expected a whole number, got"),
    ({"sd": "0"}, "sd", "sd must be > 0"),
    ({"mean": "8,9"}, "mean", "expected a number, got"),
    ({"citation": ""}, "citation", "must not be empty"),
    ({"source": ""}, "source", "must not be empty"),
    ({"verification": "looks fine"}, "verification", "must start with one of"),
    ({"arm_role": "treatment"}, "arm_role", "must be one of"),
    ({"scale_direction": "up"}, "scale_direction", "must be one of"),
    ({"metapsy_row_id": ""}, "metapsy_row_id", "needs metapsy_row_id and metapsy_arm"),
    ({"arm": "routine primary care"}, "arm", "must be unique"),
])
def test_trial_rules(tmp_path, changes, column, rule):
    folder = _trials_with(tmp_path, DEPRESSION, 0, **changes)
    with pytest.raises(DataValidationError) as err:
        load_trials(DEPRESSION, folder)
    line = next((ln for ln in str(err.value).splitlines() if f"column '{column}'" in ln and rule in ln), None)
    assert line is not None, str(err.value)
    assert line.startswith(f"{DEPRESSION}.csv: row ") and "Cooper 2003" in line


def _dichotomous(tmp_path, events, total):
    fields = ["study", "arm", "arm_role", "events", "total", "event_definition", "timepoint", "citation",
              "source", "verification", "notes"]
    row = dict(study="Trial 2000", arm="A", arm_role="intervention", events=events, total=total,
               event_definition="secure attachment", timepoint="post", citation="A paper",
               source="test fixture", verification="secondary source, test", notes="")
    folder = tmp_path / "dich"
    folder.mkdir()
    _write(folder / "attachment_secure.csv", fields, [row])
    return folder


def test_dichotomous_file_loads(tmp_path):
    table = load_trials("attachment_secure", _dichotomous(tmp_path, "3", "10"))
    assert (table["events"].iloc[0], table["total"].iloc[0]) == (3, 10)


@pytest.mark.parametrize("events, total, column, rule", [
    ("11", "10", "events", "events must be <= total"),
    ("-1", "10", "events", "events must be >= 0"),
    ("1", "1", "total", "total must be >= 2"),
])
def test_dichotomous_rules(tmp_path, events, total, column, rule):
    with pytest.raises(DataValidationError, match=rf"row 2 \(Trial 2000 / A\), column '{column}': {rule}"):
        load_trials("attachment_secure", _dichotomous(tmp_path, events, total))


def test_trial_file_needs_one_schema(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "x.csv").write_text("study,arm,arm_role,timepoint,citation,source,verification,notes\n")
    with pytest.raises(DataValidationError, match="x.csv: header: needs either continuous.*not neither"):
        load_trials("x", folder)
    fields, rows = _rows(TRIALS_DIR / f"{DEPRESSION}.csv")
    fields.remove("sd")
    _write(folder / "y.csv", fields, [{f: r[f] for f in fields} for r in rows])
    with pytest.raises(DataValidationError, match=r"y.csv: header: missing required column\(s\) \['sd'\]"):
        load_trials("y", folder)
