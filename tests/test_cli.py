"""The evidence-lib command line: readings from published results and from users' CSVs, exercises."""

import pandas as pd
import pytest

from evidence_lib.app import exercises
from evidence_lib.app.cli import main

STUDIES = "study,yi,sei\nA,-0.30,0.20\nB,-0.10,0.15\nC,-0.50,0.25\nD,0.05,0.18\n"
SUMMARIES = ("label,estimate,ci_low,ci_high,k,q,n,measure,favours_intervention\n"
             "secure attachment,8.93,1.25,63.70,2,3.71,,RR,higher\n"
             "depression,-0.22,-0.46,0.02,4,,356,SMD,lower\n")


def _write(tmp_path, text, name="studies.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _fails(capsys, argv, *fragments):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


# ----------------------------------------------------------------------- readings
def test_readings_of_the_published_results(capsys, tmp_path):
    out_csv = tmp_path / "readings.csv"
    assert main(["readings", "--out", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "half-normal(0.5) tau, flat mu" in out
    assert "barlow2015_ctrl_depression_smd_post" in out and "published without figures" in out
    saved = pd.read_csv(out_csv)
    assert {"result_id", "pval", "p_benefit", "readings_disagree"} <= set(saved.columns)
    barlow = saved.set_index("result_id").loc["barlow2015_ctrl_depression_smd_post"]
    assert abs(barlow["pval"] - 0.072) < 1e-3


def test_readings_of_study_effects(capsys, tmp_path):
    path = _write(tmp_path, STUDIES)
    out_csv = tmp_path / "out.csv"
    assert main(["readings", "--studies", str(path), "--favours", "lower", "--out", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "p_benefit" in out and "post_estimate" in out
    row = pd.read_csv(out_csv).iloc[0]
    assert row["k"] == 4 and row["ci_low"] < row["estimate"] < row["ci_high"]
    assert 0.5 < row["p_benefit"] < 1 and row["cri_low"] < row["post_estimate"] < row["cri_high"]


def test_study_variances_and_ratio_measure(capsys, tmp_path):
    path = _write(tmp_path, "study,yi,vi,measure\nA,-0.4,0.04,RR\nB,-0.2,0.09,rr\nC,0.1,0.0625,RR\n")
    out_csv = tmp_path / "out.csv"
    assert main(["readings", "--studies", str(path), "--favours", "lower", "--out", str(out_csv)]) == 0
    row = pd.read_csv(out_csv).iloc[0]
    assert row["measure"] == "RR" and 0 < row["ci_low"] < row["estimate"] < row["ci_high"]  # back on the ratio scale


def test_readings_of_published_summaries(capsys, tmp_path):
    path = _write(tmp_path, SUMMARIES, "summaries.csv")
    out_csv = tmp_path / "out.csv"
    assert main(["readings", "--summary", str(path), "--out", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "secure attachment" in out and "Q = 3.71 as published" in out
    saved = pd.read_csv(out_csv).set_index("label")
    assert abs(saved.loc["depression", "pval"] - 0.072) < 1e-3
    assert saved.loc["secure attachment", "p_benefit"] > 0.9


def test_summary_without_estimate_uses_the_ci_midpoint(capsys, tmp_path):
    path = _write(tmp_path, "label,estimate,ci_low,ci_high,measure,favours_intervention\nx,,0.13,0.45,SMD,higher\n")
    out_csv = tmp_path / "out.csv"
    assert main(["readings", "--summary", str(path), "--out", str(out_csv)]) == 0
    assert abs(pd.read_csv(out_csv)["estimate_used"].iloc[0] - 0.29) < 1e-12


def test_prior_from_the_registry(capsys, tmp_path):
    path = _write(tmp_path, STUDIES)
    assert main(["readings", "--studies", str(path), "--favours", "lower",
                 "--prior", "half_cauchy", "--prior-scale", "0.3"]) == 0
    assert "half-Cauchy(0.3) tau, flat mu" in capsys.readouterr().out
    assert main(["readings", "--studies", str(path), "--favours", "lower",
                 "--prior", "half_t", "--prior-scale", "0.5", "--prior-param", "df=3"]) == 0


@pytest.mark.parametrize("argv, fragments", [
    (["--prior", "half_normall"], ["unknown prior name 'half_normall'", "half_normal", "uniform_tau"]),
    (["--prior", "half_normal"], ["bad parameters for prior 'half_normal'"]),
    (["--prior", "half_normal", "--prior-scale", "-1"], ["scale must be > 0"]),
    (["--prior", "normal_mu", "--prior-param", "mean=0", "--prior-param", "sd=1"], ["prior on mu, not on tau"]),
    (["--prior-scale", "0.5"], ["need --prior NAME"]),
])
def test_bad_prior_is_a_clear_error(capsys, tmp_path, argv, fragments):
    path = _write(tmp_path, STUDIES)
    _fails(capsys, ["readings", "--studies", str(path), "--favours", "lower", *argv], *fragments)


def test_studies_need_a_direction(capsys, tmp_path):
    path = _write(tmp_path, STUDIES)
    _fails(capsys, ["readings", "--studies", str(path)], "--studies needs --favours lower|higher")


# --------------------------------------------------------------- malformed CSVs
@pytest.mark.parametrize("text, fragments", [
    ("", ["studies.csv is empty", "study, yi"]),
    ("study,yi,sei\n", ["studies.csv has a header but no data rows"]),
    ("study,yi,sei\nA,-0.3,0.2\nB,0.1,0.2\nC,0.2,abc\n", ["studies.csv, row 4, column sei: expected a positive number, got 'abc'"]),
    ("study,yi,sei\nA,-0.3,0.2\nB,0.1,-0.2\n", ["row 3, column sei: expected a positive number, got '-0.2'"]),
    ("study,yi,sei\nA,-0.3,0.2\nB,,0.2\n", ["row 3, column yi: expected a number, got ''"]),
    ("study,yi,sei\nA,nan,0.2\nB,0.1,0.2\n", ["row 2, column yi: expected a number, got 'nan'"]),
    ("study,yi,vi\nA,-0.3,0\nB,0.1,0.04\n", ["row 2, column vi: expected a positive number, got '0'"]),
    ("study,yi\nA,-0.3\nB,0.1\n", ["expected exactly one of the columns sei", "vi"]),
    ("study,yi,sei,vi\nA,-0.3,0.2,0.04\nB,0.1,0.2,0.04\n", ["expected exactly one of the columns sei"]),
    ("study,sei\nA,0.2\nB,0.2\n", ["header: missing column(s) yi"]),
    ("study,yi,sei,sei\nA,-0.3,0.2,0.2\nB,0.1,0.2,0.2\n", ["column 'sei' appears twice (columns 3 and 4)"]),
    ("study,yi,se\nA,-0.3,0.2\nB,0.1,0.2\n", ["unknown column 'se'", "accepted columns: study, yi, sei, vi, measure"]),
    ("study;yi;sei\nA;-0,3;0,2\n", ["uses ';'"]),
    ("study,yi,sei\nA,-0.3,0.2\nB,0.1\n", ["row 3: expected 3 fields as in the header, got 2"]),
    ("study,yi,sei\nA,-0.3,0.2\nA,0.1,0.2\n", ["row 3, column study: expected a unique study, but 'A' is also in row 2"]),
    ("study,yi,sei,measure\nA,-0.3,0.2,SMD\nB,0.1,0.2,MD\n", ["row 3, column measure: expected the same measure in every row"]),
    ("study,yi,sei,measure\nA,-0.3,0.2,SMD\nB,0.1,0.2,XY\n", ["row 3, column measure: expected one of SMD, MD, RD, RR, OR, HR, got 'XY'"]),
    ("study,yi,sei,measure\nA,-0.3,0.2,SMD\nB,0.1,0.2,OR\n", ["row 3, column measure: expected the same measure in every row"]),
    ("study,yi,sei\nA,-0.3,0.2\n", ["studies.csv: a random-effects analysis needs at least 2 studies", "row 2"]),
])
def test_malformed_studies_csv(capsys, tmp_path, text, fragments):
    path = _write(tmp_path, text)
    _fails(capsys, ["readings", "--studies", str(path), "--favours", "lower"], *fragments)


@pytest.mark.parametrize("text, fragments", [
    (SUMMARIES.replace("63.70", "high"), ["summaries.csv, row 2, column ci_high: expected a number, got 'high'"]),
    (SUMMARIES.replace(",2,3.71", ",2.5,3.71"), ["row 2, column k: expected a whole number >= 1 (or leave it blank), got '2.5'"]),
    (SUMMARIES.replace("RR,higher", "RR,up"), ["row 2, column favours_intervention: expected one of lower, higher, got 'up'"]),
    (SUMMARIES.replace("-0.46,0.02", "0.02,-0.46"), ["summaries.csv, row 3: ci_low must be < ci_high"]),
    (SUMMARIES.replace("8.93,1.25", "0.5,1.25"), ["summaries.csv, row 2: estimate 0.5 lies outside its CI"]),
    (SUMMARIES.replace("label,", "name,"), ["unknown column 'name'"]),
    (SUMMARIES.replace(",measure,favours_intervention", ",measure,measure").replace(",RR,higher", ",RR,RR")
     .replace(",SMD,lower", ",SMD,SMD"), ["column 'measure' appears twice"]),
])
def test_malformed_summaries_csv(capsys, tmp_path, text, fragments):
    path = _write(tmp_path, text, "summaries.csv")
    _fails(capsys, ["readings", "--summary", str(path)], *fragments)


def test_missing_file(capsys, tmp_path):
    _fails(capsys, ["readings", "--summary", str(tmp_path / "nope.csv")], "nope.csv: no such file")


def test_spreadsheet_bom_and_case_are_accepted(capsys, tmp_path):
    path = _write(tmp_path, "\ufeffStudy, YI ,SEI\nA,-0.3,0.2\nB,0.1,0.2\n")
    assert main(["readings", "--studies", str(path), "--favours", "higher"]) == 0


# ---------------------------------------------------------------------- exercises
def test_help_names_every_command_and_each_command_describes_itself(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    description = capsys.readouterr().out.split("positional arguments")[0]
    commands = ["run", "exercises", "readings", "worth"]
    assert all(f" {name} (" in " ".join(description.split()) for name in commands), description
    for name in commands:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        usage, _, rest = capsys.readouterr().out.partition("\n\n")
        assert usage.startswith(f"usage: evidence-lib {name}")
        assert not rest.startswith(("positional arguments", "options")), f"`evidence-lib {name} --help` has no description"


def test_exercises_check_passes_on_the_repository(capsys):
    assert main(["exercises", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_exercises_check_lists_stale_files(capsys, tmp_path, monkeypatch):
    notebooks, out = tmp_path / "notebooks", tmp_path / "exercises"
    notebooks.mkdir()
    (notebooks / "90_exercise_toy.py").write_text('# %% tags=["solution"]\n# HINT: any.\nx = 1\n')
    monkeypatch.setattr(exercises, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setattr(exercises, "EXERCISE_DIR", out)
    monkeypatch.setattr("evidence_lib.app.paths.REPO_ROOT", tmp_path)
    assert main(["exercises", "--check"]) == 1
    assert "stale: exercises/90_exercise_toy.ipynb" in capsys.readouterr().out
    assert main(["exercises"]) == 0
    assert "wrote exercises/90_exercise_toy.ipynb" in capsys.readouterr().out
    assert main(["exercises", "--check"]) == 0


# ------------------------------------------------------------------ light imports
HEAVY = ("pymc", "pytensor", "arviz", "nutpie", "matplotlib", "nbconvert", "nbclient", "jupytext", "statsmodels")


def _modules_after(code: str) -> set[str]:
    import subprocess
    import sys

    # the listing on a line of its own, at top level: after a `with redirect_stdout(...)` block, not in it
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                          capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())  # every module loaded, packages and submodules
    assert "evidence_lib.app.cli" in loaded, done.stdout[-500:]  # the listing is there
    return loaded


def test_help_imports_nothing_heavy():
    """`evidence-lib --help` loads neither the engines' stack nor the notebook machinery."""
    loaded = _modules_after("from evidence_lib.app.cli import build_parser; build_parser().format_help()")
    assert not loaded & {*HEAVY, "pandas", "scipy", "numpy"}, loaded & {*HEAVY, "pandas", "scipy", "numpy"}


#: what `readings --studies` (default prior) needs none of: scipy.stats (half a second of imports; the
#: engines and the half-normal use scipy.special), scipy.integrate (the quad reference path), pandas'
#: Styler and its jinja2 (reader tables only)
NOT_ON_THE_READINGS_PATH = ("scipy.stats", "scipy.integrate", "pandas.io.formats.style", "jinja2")


def test_readings_of_a_studies_file_imports_no_sampler_or_plotting(tmp_path):
    path = _write(tmp_path, STUDIES)
    loaded = _modules_after("import contextlib, io; from evidence_lib.app.cli import main\n"
                            f"with contextlib.redirect_stdout(io.StringIO()): main(['readings', '--studies', {str(path)!r}, "
                            "'--favours', 'lower'])")
    assert not loaded & {*HEAVY, *NOT_ON_THE_READINGS_PATH}, loaded & {*HEAVY, *NOT_ON_THE_READINGS_PATH}


@pytest.mark.parametrize("args", [[], ["--summary", "SUMMARY"]])
def test_readings_of_published_and_estimate_only_summaries_stay_on_the_fast_path(tmp_path, args):
    """The published results and a summary with k blank (the estimate alone) read without scipy.stats."""
    summary = tmp_path / "s.csv"
    summary.write_text("label,estimate,ci_low,ci_high,measure,favours_intervention,k\nX,-0.22,-0.46,0.02,SMD,lower,\n")
    argv = ["readings", *[str(summary) if a == "SUMMARY" else a for a in args]]
    loaded = _modules_after("import contextlib, io; from evidence_lib.app.cli import main\n"
                            f"with contextlib.redirect_stdout(io.StringIO()): main({argv!r})")
    assert not loaded & {*HEAVY, *NOT_ON_THE_READINGS_PATH}, loaded & {*HEAVY, *NOT_ON_THE_READINGS_PATH}


def test_bias_command_prints_every_method_and_draws_the_funnel(tmp_path, capsys):
    studies = tmp_path / "s.csv"
    studies.write_text("study,yi,sei,measure\nA,-0.53,0.2,SMD\nB,-0.10,0.14,SMD\nC,0.05,0.17,SMD\nD,-0.30,0.22,SMD\n"
                       "E,-0.41,0.12,SMD\nF,-0.7,0.3,SMD\nG,-0.2,0.1,SMD\nH,0.1,0.15,SMD\nI,-0.9,0.35,SMD\n")
    before = studies.read_bytes()
    assert main(["bias", "--studies", str(studies), "--favours", "lower", "--no-bayes",
                 "--plot", str(tmp_path / "f.png")]) == 0
    out = capsys.readouterr().out
    for method in ("Egger regression", "rank test", "trim and fill", "fail-safe N", "PET-PEESE", "3PSM"):
        assert method in out
    assert (tmp_path / "f.png").stat().st_size > 1000 and studies.read_bytes() == before
    as_png = tmp_path / "data.png"  # the issue-22 case: the input named like a figure
    as_png.write_bytes(before)
    assert main(["bias", "--studies", str(as_png), "--favours", "lower", "--plot", str(as_png)]) == 2
    assert as_png.read_bytes() == before and "it would be overwritten" in capsys.readouterr().err
