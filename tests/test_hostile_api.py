"""Issue 22: hostile input to the Python API, the loaders and the CLI. One row per case.

API rows: a call, the exception type it must raise (None: it must work and return a sound
value) and words its message must hold. CLI rows: files to create (a value of FIFO makes a
named pipe, ("link", target) a symbolic link), the arguments ({tmp} is their folder), the
exit code and words in stderr (exit != 0) or stdout (exit 0); every CLI row also checks (the
``cli_case`` fixture, tests/conftest.py) that no traceback reaches stderr, that a refusal prints
one error line and no table, and that every file there before (inputs and earlier outputs) is
byte-identical after and no file was added. The table runs in-process (``cli.main``).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evidence_lib as el
from evidence_lib.app import cli
from evidence_lib.core import files
from evidence_lib.bayes import priors
from evidence_lib.core import checks
from evidence_lib.core.errors import ConvergenceError
from evidence_lib.figures.tables import reader_table
from evidence_lib.frequentist.glmm import random_effects_binomial
from evidence_lib.loaders import metapsy_binary, metapsy_selection
from evidence_lib.loaders.packaged import DATA_DIR, DataValidationError, load_published, load_trials, write_manifest
from evidence_lib.questions.many_fits import CHUNK, batch_rows

YI, SEI = [0.1, 0.3, -0.2, 0.25], [0.1, 0.2, 0.15, 0.12]
HN = priors.half_normal(0.5)


def _studies(**kw):
    return el.Studies(YI, SEI, measure="SMD", favours="lower", **kw)


def _next(**kw):
    args = dict(tau_prior=HN, mu_prior=(0, 1), n_sim=20, random_seed=1, progress=False) | kw
    return el.next_trial(_studies(), n_per_arm=args.pop("n_per_arm", 50), **args)


def _fit(**kw):
    return el.random_effects(YI, sei=SEI, **kw)


def _metapsy_row(**values) -> pd.DataFrame:
    """One Metapsy-shaped row holding every column both selections read."""
    row = {c: np.nan for c in metapsy_binary.COLUMNS + metapsy_selection.COLUMNS} | {
        "study": "Trial, 2000", "condition_arm1": "cbt", "condition_arm2": "cau", "multi_arm1": "",
        "multi_arm2": "", "time": "post", "row_id": 1,
        "outcome_type": "response", "rating": "clinician", "dich_paper": "HAMD < 8", "instrument": "hamd",
        "target_group": "ppd", "time_weeks": 8}
    return pd.DataFrame([row | values])


def _glmm_nagq1():
    """A zero cell and a full arm, nAGQ = 1 (Laplace): metafor 3.8.1 rma.glmm(measure="OR", model="UM.FS",
    nAGQ=1, control=list(glmerCtrl=list(optimizer="bobyqa", optCtrl=list(maxfun=1e5, rhoend=1e-12))))
    with lme4 1.1.31 gives mu -0.6557889385, tau² 6.818368029 (run for issue 22)."""
    fit = random_effects_binomial([0, 1, 10], [10, 10, 10], [5, 3, 6], [10, 10, 10], n_agq=1)
    assert fit.estimate == pytest.approx(-0.6557889385, rel=1e-5) and fit.tau2 == pytest.approx(6.818368029, rel=1e-5)


def _published_copy(tmp_path, edit):
    """A copy of data/ with ``edit(folder)`` applied, and the published table loaded from it."""
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    edit(folder)
    return load_published(folder / "published_results.csv")


def _second_estimate(folder):
    path = folder / "published_results.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",estimate"] + [line + ",1" for line in lines[1:]]) + "\n", encoding="utf-8")
    write_manifest(folder)  # an intended edit, manifest refreshed: the header rule must still refuse it


def _edited_without_manifest(monkeypatch, tmp_path):
    """The packaged table edited and its manifest deleted (the default path, as load_published() reads it)."""
    import shutil

    from evidence_lib.loaders import packaged

    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    (folder / "MANIFEST.json").unlink()
    path = folder / "published_results.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("0.2", "0.3", 1), encoding="utf-8")
    monkeypatch.setattr(packaged, "PUBLISHED_PATH", path)
    return packaged.load_published()


API = [
    # --- types: bool is not a number, text is not a level, complex numbers are refused
    ("level-string", lambda: _fit(level="0.95"), ValueError, ["level must be numeric", "str '0.95'"]),
    ("level-bool", lambda: _fit(level=True), ValueError, ["level must be numeric", "bool True"]),
    ("level-2", lambda: _fit(level=2), ValueError, ["level must lie strictly between 0 and 1"]),
    ("level-nan", lambda: _fit(level=float("nan")), ValueError, ["level must be a finite number"]),
    ("loo-level-string", lambda: el.leave_one_out(YI, sei=SEI, level="0.9"), ValueError, ["level must be numeric"]),
    ("tol-string", lambda: _fit(tol="1e-5"), ValueError, ["tol must be numeric"]),
    ("tol-negative", lambda: _fit(tol=-1.0), ValueError, ["tol must be a positive number"]),
    ("complex-list", lambda: el.Studies([0.1 + 1j, 0.2, 0.3], [0.1] * 3), ValueError, ["complex", "(0.1+1j)"]),
    ("complex-array", lambda: el.Studies(np.array([0.1, 0.2, 0.3], complex), [0.1] * 3), ValueError, ["complex"]),
    ("complex-sei", lambda: el.random_effects(YI, sei=np.array(SEI) + 0j), ValueError, ["sei must be numeric", "complex"]),
    ("exact-level-bool", lambda: el.exact_posterior(YI, sei=SEI, tau_prior=HN).interval("mu", level=True), ValueError,
     ["level must be numeric", "bool"]),
    ("summarise-level-string", lambda: el.summarise(el.exact_posterior(YI, sei=SEI, tau_prior=HN), level="0.95"),
     ValueError, ["level must be numeric"]),
    ("se-from-ci-level-string", lambda: el.se_from_ci([0.1], [0.3], level="0.95"), ValueError,
     ["level must be numeric"]),
    # --- finiteness and ranges that keep the arithmetic exact (dynamic range of the weights 1/vi)
    ("weights-40-orders", lambda: el.random_effects([0.1, 0.5, 0.9], vi=[1e-40, 1.0, 1.0]), ValueError,
     ["span more than 1e+12", "study 1: vi 1e-40", "cannot be summed exactly"]),
    ("weights-13-orders-exact", lambda: el.exact_posterior([0.1, 0.5, 0.9], sei=[1e-7, 1.0, 1.0], tau_prior=HN),
     ValueError, ["span more than 1e+12"]),
    ("weights-named-by-label", lambda: el.Studies([0.1, 0.5], [1e-7, 1.0], labels=("small", "big")), ValueError,
     ["big: vi 1", "small: vi 1e-14"]),
    ("weights-12-orders-accepted", lambda: el.random_effects([0.1, 0.5, 0.9], vi=[1e-6, 1.0, 1e6]).k, None, []),
    ("yi-inf", lambda: el.Studies([0.1, np.inf], [0.1, 0.1]), ValueError, ["NaN or infinite", "[2] (counting from 1)"]),
    ("funnel-estimate-nan", lambda: el.funnel_limits(np.nan, 1), ValueError, ["estimate must be a finite number"]),
    ("funnel-se-negative", lambda: el.funnel_limits(0, -1), ValueError, ["se_max must be > 0"]),
    ("funnel-level-2", lambda: el.funnel_limits(0, 1, level=2), ValueError, ["level must lie strictly between"]),
    ("funnel-n-fraction", lambda: el.funnel_limits(0, 1, n=2.5), ValueError, ["n must be a whole number"]),
    ("funnel-sound", lambda: bool((el.funnel_limits(0.1, 0.5)["high"] >= 0.1).all()), None, []),
    ("mu-sd-1e-300", lambda: el.model_average(YI, sei=SEI, tau_prior=HN, mu_prior=(0, 1e-300)), ValueError,
     ["sd must lie in [1e-06, 1e+06]", "1e-300"]),
    ("mu-sd-1e300", lambda: el.exact_posterior(YI, sei=SEI, tau_prior=HN, mu_prior=(0, 1e300)), ValueError,
     ["sd must lie in [1e-06, 1e+06]"]),
    # --- probabilities that sum to one
    ("prior-probs-nan", lambda: el.model_average(YI, sei=SEI, tau_prior=HN, mu_prior=(0, 1),
                                                 prior_probs=[np.nan, 0.25, 0.25, 0.5]), ValueError,
     ["prior_probs", "NaN or infinite", "[1] (counting from 1)"]),
    ("prior-probs-sum", lambda: el.model_average(YI, sei=SEI, tau_prior=HN, mu_prior=(0, 1),
                                                 prior_probs=[0.2, 0.2, 0.2, 0.2]), ValueError,
     ["4 positive probabilities summing to 1"]),
    ("prior-probs-3", lambda: el.model_average(YI, sei=SEI, tau_prior=HN, mu_prior=(0, 1), prior_probs=[0.5, 0.25, 0.25]),
     ValueError, ["4 positive probabilities"]),
    ("prior-probs-bool", lambda: el.model_average(YI, sei=SEI, tau_prior=HN, mu_prior=(0, 1),
                                                  prior_probs=[True, 0, 0, 0]), ValueError, ["bool True"]),
    # --- whole counts, never coerced
    ("n-trials-True", lambda: _next(n_trials=True), ValueError, ["n_trials must be a whole number", "True"]),
    ("n-sim-10.7", lambda: _next(n_sim=10.7), ValueError, ["n_sim must be a whole number", "10.7"]),
    ("n-per-arm-fraction", lambda: _next(n_per_arm=50.5), ValueError, ["n_per_arm must be a whole number"]),
    ("seed-negative", lambda: _next(random_seed=-1), ValueError, ["random_seed must be a whole number >= 0"]),
    ("seed-bool", lambda: _next(random_seed=True), ValueError, ["random_seed must be a whole number"]),
    ("threshold-True", lambda: _next(threshold=True), ValueError, ["threshold must be numeric"]),
    ("target-text", lambda: _next(target="0.9"), ValueError, ["target must be numeric"]),
    ("design-n-sim-fraction", lambda: el.design_analysis(_studies(), true_effects=[0.2], test="knha", n_sim=10.5, random_seed=1),
     ValueError, ["n_sim must be a whole number", "10.5"]),
    ("design-level-string", lambda: el.design_analysis(_studies(), true_effects=[0.2], level="0.95"), ValueError,
     ["level must be numeric"]),
    ("operating-n-sim-True", lambda: el.operating_characteristics(sei=SEI, true_mu=[0.0], tau_prior=HN, prior_sets=[], n_sim=True,
                                                                 random_seed=1), ValueError, ["n_sim must be a whole"]),
    # a negative standard error is refused by name, not squared into a variance (core.studies.variances)
    ("operating-sei-negative", lambda: el.operating_characteristics(sei=[-0.2, 0.3], true_mu=[0.0], tau_prior=HN,
                                                                   prior_sets=[], n_sim=5, random_seed=1),
     ValueError, ["sei must be > 0", "[1]"]),
    ("aggregate-sei-negative", lambda: el.aggregate_correlated([0.1, 0.2], sei=[0.1, -0.2], rho=0.5), ValueError,
     ["sei must be > 0", "[2]"]),
    ("meta-regression-sei-negative", lambda: el.fit_meta_regression([0.1, 0.2, 0.3], sei=[0.1, -0.2, 0.2],
                                                                   X=[[1], [1], [1]]), ValueError, ["sei must be > 0"]),
    ("from-published-k4-n1", lambda: el.from_published(0.2, 0.1, 0.3, k=4, n_total=1), ValueError,
     ["n_total must be a whole number >= 2"]),
    ("from-published-n-below-2k", lambda: el.from_published(0.2, 0.1, 0.3, k=4, n_total=7), ValueError,
     ["n_total must be >= 2k = 8"]),
    ("from-published-n-fraction", lambda: el.from_published(0.2, 0.1, 0.3, k=4, n_total=12.5), ValueError,
     ["n_total must be a whole number", "12.5"]),
    ("from-published-n-True", lambda: el.from_published(0.2, 0.1, 0.3, k=4, n_total=True), ValueError,
     ["n_total must be a whole number"]),
    ("from-published-n-2k-accepted", lambda: el.from_published(0.2, 0.1, 0.3, k=4, n_total=8).k, None, []),
    ("glmm-events-fraction", lambda: random_effects_binomial([1.5, 2], [10, 10], [2, 3], [10, 10]), ValueError,
     ["whole counts", "[1] (counting from 1)"]),
    ("glmm-events-over-total", lambda: random_effects_binomial([1, 20], [10, 10], [2, 3], [10, 10]), ValueError,
     ["e1 must be <= n1", "[2] (counting from 1)"]),
    ("glmm-n-agq-True", lambda: random_effects_binomial([1, 2], [10, 10], [2, 3], [10, 10], n_agq=True), ValueError,
     ["n_agq must be a positive integer"]),
    ("glmm-level-string", lambda: random_effects_binomial([1, 2], [10, 10], [2, 3], [10, 10], level="0.9"),
     ValueError, ["level must be numeric"]),
    ("glmm-n-agq-1-zero-cell", _glmm_nagq1, None, []),
    # --- a memory estimate before large allocations
    ("next-trial-n-sim-1e8", lambda: _next(n_sim=10**8), ValueError, ["next_trial would need", "GiB", "fewer simulations"]),
    ("design-n-sim-1e9", lambda: el.design_analysis(_studies(), true_effects=[0.2], test="knha", n_sim=10**9, random_seed=1),
     ValueError, ["would need", "GiB", "fewer simulations"]),
    ("operating-n-sim-1e9", lambda: el.operating_characteristics(sei=SEI, true_mu=[0.0, 0.2], tau_prior=HN, prior_sets=[],
                                                                n_sim=10**9, random_seed=1), ValueError,
     ["operating_characteristics would need", "fewer simulations"]),
    ("batch-k-10000-fits", lambda: batch_rows(np.full(10_001, 0.1)) < CHUNK, None, []),
    # --- structure: the wrong kind of argument, an empty selection, a rank-deficient regression
    ("egger-equal-se", lambda: el.egger_test([0.1, 0.2, 0.3, 0.4], sei=[0.1] * 4), ValueError,
     ["not of full rank", "same standard error"]),
    ("subgroup-not-fits", lambda: el.subgroup_difference({"a": 1, "b": 2}), ValueError,
     ["fits['a'] must be a random_effects fit"]),
    ("subgroup-list", lambda: el.subgroup_difference([_fit(), _fit()]), ValueError, ["must map each subgroup"]),
    ("subgroup-knha", lambda: el.subgroup_difference({"a": _fit(), "b": _fit(test="knha")}), ValueError,
     ["test='knha'", "z-test fits"]),
    ("subset-empty", lambda: _studies().subset([]), ValueError, ["holds no study"]),
    ("subset-all-false", lambda: _studies().subset([False] * 4), ValueError, ["holds no study"]),
    ("subset-out-of-range", lambda: _studies().subset([7]), ValueError, ["positions must lie in 0..3"]),
    ("subset-mask-length", lambda: _studies().subset([True, False]), ValueError, ["one True/False per study (4)"]),
    ("subset-strings", lambda: _studies().subset(["a"]), ValueError, ["give a mask or whole positions"]),
    # --- loaders
    ("select-binary-events-over-arm", lambda: metapsy_binary.select_binary(
        _metapsy_row(**{c: v for c, v in zip(metapsy_binary.COUNTS + metapsy_binary.REPORTED,
                                              [10**6, 40, 5, 40] * 2)}), target_group="ppd"),
     ValueError, ["impossible counts", "'row_id': 1", "1000000"]),
    ("select-binary-not-a-table", lambda: metapsy_binary.select_binary([1, 2]), ValueError, ["takes a table"]),
    ("select-perinatal-missing-column", lambda: metapsy_selection.select_perinatal_effects(
        _metapsy_row().drop(columns="n_arm1").assign(**{".g": 0.1, ".g_se": 0.1})), ValueError,
     ["lacks column(s) ['n_arm1']"]),
    ("select-perinatal-rho-2", lambda: metapsy_selection.select_perinatal_effects(
        pd.DataFrame(columns=metapsy_selection.COLUMNS), rho=2), ValueError, ["rho is a correlation"]),
    ("yi-None", lambda: el.random_effects(None, sei=[0.1]), ValueError, ["yi is missing (None)"]),
    ("summarise-threshold-string", lambda: el.summarise(el.exact_posterior(YI, sei=SEI, tau_prior=HN), favours="lower",
                                                        threshold="0.1"), ValueError, ["threshold must be numeric"]),
    ("harmonise-not-a-table", lambda: el.harmonise(None), ValueError, ["harmonise takes a table"]),
    ("harmonise-missing-column", lambda: el.harmonise(pd.DataFrame({"ci_low": [0.1]})), ValueError,
     ["lacks column(s)", "'measure'"]),
    ("readings-prior-set-string", lambda: el.read_row({"measure": "SMD"}, prior_set="half_normal"), ValueError,
     ["prior_set must be a PriorSet"]),
    ("read-studies-exported", lambda: el.read_studies.__module__, None, []),
]

FS_API = [  # calls that need a folder (tmp_path) or monkeypatch
    ("published-second-estimate", lambda mp, tmp: _published_copy(tmp, _second_estimate), DataValidationError,
     ["published_results.csv: header", "['estimate'] appear more than once"]),
    ("published-manifest-corrupt", lambda mp, tmp: _published_copy(tmp, lambda f: (f / "MANIFEST.json").write_text(
        "{broken")), DataValidationError, ["MANIFEST.json: not valid JSON", "line 1"]),
    ("published-manifest-wrong-shape", lambda mp, tmp: _published_copy(tmp, lambda f: (f / "MANIFEST.json").write_text(
        '{"files": [1, 2]}')), DataValidationError, ["MANIFEST.json: expected", "cannot be checked"]),
    ("published-edited-manifest-deleted", lambda mp, tmp: _edited_without_manifest(mp, tmp), DataValidationError,
     ["MANIFEST.json is missing", "cannot be checked"]),
    ("trials-fifo", lambda mp, tmp: (os.mkfifo(tmp / "t.csv"), load_trials("t", tmp)), DataValidationError,
     ["t.csv is not a regular file"]),
]


@pytest.mark.parametrize("call, error, words", [pytest.param(c, e, w, id=i) for i, c, e, w in API])
def test_api_case(call, error, words):
    if error is None:
        result = call()
        assert result is None or result, result  # a sound value, not NaN or an empty answer
        return
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is not ConvergenceError
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("call, error, words", [pytest.param(c, e, w, id=i) for i, c, e, w in FS_API])
def test_api_file_case(monkeypatch, tmp_path, call, error, words):
    with pytest.raises(error) as caught:
        call(monkeypatch, tmp_path)
    for word in words:
        assert word in str(caught.value), str(caught.value)


def test_reader_table_text_has_no_memory_address():
    table = reader_table(pd.DataFrame({"label": ["a"], "k": [3]}), ["label", "k"], table_id="x")
    assert " at 0x" not in repr(table) and "3" in repr(table)


# ----------------------------------------------------------------------------- CLI
STUDIES = "study,yi,sei\nA,-0.30,0.20\nB,-0.10,0.15\nC,-0.50,0.25\n"
SUMMARY_HEAD = "label,estimate,ci_low,ci_high,k,n,measure,favours_intervention\n"
FIFO = ("fifo",)
READ = ["readings", "--studies", "{tmp}/d.csv", "--favours", "lower"]
WORTH = ["worth", "--studies", "{tmp}/w.csv", "--favours", "lower"]
WORTH_FILE = {"w.csv": "study,yi,sei,measure\nA,-0.30,0.20,SMD\nB,-0.10,0.15,SMD\nC,-0.50,0.25,SMD\n"}


def _summary(row: str) -> dict:
    return {"s.csv": SUMMARY_HEAD + row + "\n"}


CLI = [
    # --- loss: an output onto an input or onto another output
    ("plot-onto-input", {"data.png": STUDIES}, ["readings", "--studies", "{tmp}/data.png", "--favours", "lower",
                                                "--plot", "{tmp}/data.png"], 2, ["--plot", "is the input file"]),
    ("out-and-plot-same", {"d.csv": STUDIES, "r.png": b"earlier figure"}, READ + ["--out", "{tmp}/r.png", "--plot",
                                                                                 "{tmp}/r.png"], 2,
     ["--plot", "is also --out", "one would overwrite the other"]),
    ("out-and-plot-same-spelt-apart", {"d.csv": STUDIES}, READ + ["--out", "{tmp}/./r.png", "--plot",
                                                                  "{tmp}/sub/../r.png"], 2, ["is also --out"]),
    ("plot-link-to-input", {"d.csv": STUDIES, "p.png": ("link", "d.csv")}, READ + ["--plot", "{tmp}/p.png"], 2,
     ["--plot", "is the input file"]),
    ("out-link-to-input", {"d.csv": STUDIES, "o.csv": ("link", "d.csv")}, READ + ["--out", "{tmp}/o.csv"], 2,
     ["--out", "is the input file"]),
    ("out-onto-input-other-spelling", {"d.csv": STUDIES}, READ + ["--out", "{tmp}/sub/../d.csv"], 2,
     ["is the input file"]),
    ("out-in-missing-folder", {"d.csv": STUDIES}, READ + ["--out", "{tmp}/nowhere/o.csv"], 2, ["does not exist"]),
    ("plot-in-missing-folder", {"d.csv": STUDIES}, READ + ["--plot", "{tmp}/nowhere/p.png"], 2, ["does not exist"]),
    ("plot-is-a-directory", {"d.csv": STUDIES, "sub.png/x": "x"}, READ + ["--plot", "{tmp}/sub.png"], 2,
     ["is a directory"]),
    # --- hang: only regular files are read
    ("studies-fifo", {"f.csv": FIFO}, ["readings", "--studies", "{tmp}/f.csv", "--favours", "lower"], 2,
     ["f.csv is not a regular file"]),
    ("summary-fifo", {"f.csv": FIFO}, ["readings", "--summary", "{tmp}/f.csv"], 2, ["is not a regular file"]),
    ("worth-fifo", {"f.csv": FIFO}, ["worth", "--studies", "{tmp}/f.csv", "--favours", "lower"], 2,
     ["is not a regular file"]),
    ("studies-device", {}, ["readings", "--studies", "/dev/null", "--favours", "lower"], 2,
     ["/dev/null is not a regular file"]),
    ("studies-directory", {"sub/x": "x"}, ["readings", "--studies", "{tmp}/sub", "--favours", "lower"], 2,
     ["is a directory"]),
    ("worth-n-sim-1e8", WORTH_FILE, WORTH + ["--n-sim", "100000000"], 2, ["--n-sim", "<= 1,000,000"]),
    # --- crash: overflow, tiny and huge prior scales
    ("sei-1e300", {"d.csv": "study,yi,sei\nA,-0.3,1e300\nB,-0.1,0.15\nC,-0.5,0.25\n"}, READ, 2,
     ["d.csv, row 2, column sei", "1e300"]),
    ("sei-1e-300", {"d.csv": "study,yi,sei\nA,-0.3,1e-300\nB,-0.1,0.15\nC,-0.5,0.25\n"}, READ, 2,
     ["d.csv, row 2, column sei"]),
    ("vi-span", {"d.csv": "study,yi,sei\nA,-0.3,1e-20\nB,-0.1,0.15\nC,-0.5,0.25\n"}, READ, 2,
     ["d.csv:", "span more than 1e+12", "A: vi 1e-40"]),
    ("mu-sd-1e-300", WORTH_FILE, WORTH + ["--mu-sd", "1e-300"], 2, ["--mu-sd 1e-300", "sd must lie in"]),
    ("mu-sd-1e300", WORTH_FILE, WORTH + ["--mu-sd", "1e300"], 2, ["--mu-sd 1e+300", "sd must lie in"]),
    ("mu-sd-0", WORTH_FILE, WORTH + ["--mu-sd", "0"], 2, ["--mu-sd 0", "sd must be > 0"]),
    # --- mislead: a summary that cannot be
    ("summary-k4-n1", _summary("x,0.2,0.1,0.3,4,1,SMD,lower"), ["readings", "--summary", "{tmp}/s.csv"], 2,
     ["s.csv, row 2, column n", "n >= 2k = 8"]),
    ("summary-k4-n7", _summary("x,0.2,0.1,0.3,4,7,SMD,lower"), ["readings", "--summary", "{tmp}/s.csv"], 2,
     ["s.csv, row 2, column n", "n >= 2k = 8"]),
    ("summary-n-fraction", _summary("x,0.2,0.1,0.3,4,12.5,SMD,lower"), ["readings", "--summary", "{tmp}/s.csv"], 2,
     ["s.csv, row 2, column n", "whole number", "'12.5'"]),
    ("worth-summary-k4-n1", _summary("x,0.2,0.1,0.3,4,1,SMD,lower"), ["worth", "--summary", "{tmp}/s.csv"], 2,
     ["s.csv, row 2, column n"]),
    ("run-empty-name", {}, ["run", ""], 2, ["empty notebook name ''"]),
    ("run-blank-name", {}, ["run", "00", "  "], 2, ["empty notebook name"]),
    # --- weak: whole-number options name themselves
    ("seed-negative", WORTH_FILE, WORTH + ["--seed", "-1"], 2, ["argument --seed", "whole number >= 0", "'-1'"]),
    ("n-sim-fraction", WORTH_FILE, WORTH + ["--n-sim", "10.7"], 2, ["argument --n-sim", "'10.7'"]),
    ("trials-0", WORTH_FILE, WORTH + ["--trials", "0"], 2, ["argument --trials", "whole number >= 1"]),
    ("n-per-arm-1", WORTH_FILE, WORTH + ["--n-per-arm", "1"], 2, ["argument --n-per-arm", ">= 2"]),
    ("seed-text", WORTH_FILE, WORTH + ["--seed", "abc"], 2, ["argument --seed", "'abc'"]),
    ("complex-in-file", {"d.csv": "study,yi,sei\nA,1+2j,0.2\nB,-0.1,0.15\nC,-0.5,0.25\n"}, READ, 2,
     ["d.csv, row 2, column yi", "'1+2j'"]),
]


@pytest.mark.parametrize("files, argv, code, words", [pytest.param(f, a, c, w, id=i) for i, f, a, c, w in CLI])
def test_cli_case(cli_case, files, argv, code, words):
    cli_case(files, argv, code, words)


def test_out_through_a_symlink_keeps_the_link(tmp_path, cli_case):
    cli_case({"d.csv": STUDIES, "target.csv": "old", "link.csv": ("link", "target.csv")},
             READ + ["--out", "{tmp}/link.csv"], 0, ["through the link to"])
    assert (tmp_path / "link.csv").is_symlink() and (tmp_path / "target.csv").read_text().startswith(",k,")


def test_every_written_file_is_whole_or_untouched(tmp_path):
    """core.files.write_atomic, which every user-visible file goes through: a writer that fails
    half-way leaves the old file and no temporary file; a symbolic link is written through."""
    (tmp_path / "target.csv").write_text("old")
    (tmp_path / "link.csv").symlink_to("target.csv")

    def half(handle):
        handle.write(b"new, half")
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        files.write_atomic(tmp_path / "link.csv", half)
    assert (tmp_path / "target.csv").read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == [
        "link.csv", "target.csv"]
    files.write_atomic(tmp_path / "link.csv", "new")
    assert (tmp_path / "link.csv").is_symlink() and (tmp_path / "target.csv").read_text() == "new"
    with pytest.raises(FileNotFoundError, match="no/such/folder/x.csv"):
        files.write_atomic(tmp_path / "no" / "such" / "folder" / "x.csv", "text")


def test_a_rewritten_file_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path):
    kept = tmp_path / "kept.csv"
    kept.write_text("old")
    kept.chmod(0o640)
    files.write_atomic(kept, "new")
    assert kept.stat().st_mode & 0o777 == 0o640 and kept.read_text() == "new"
    files.write_atomic(tmp_path / "new.csv", "x")
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o666 & ~files.UMASK
    assert files.UMASK == (lambda u: (os.umask(u), u)[1])(os.umask(0))  # /proc/self/status agrees


def test_out_on_a_read_only_file_system_names_the_users_path(tmp_path, capsys, monkeypatch):
    def read_only(dir, prefix, suffix):
        raise OSError(30, "Read-only file system", str(Path(dir) / f"{prefix}bxfs9lec{suffix}"))

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)  # the folder passed os.access, the write fails
    (tmp_path / "d.csv").write_text(STUDIES)
    assert cli.main([a.format(tmp=tmp_path) for a in READ] + ["--out", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'out.csv'}: Read-only file system" in err and ".tmp" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_out_in_an_unwritable_folder_is_refused_before_work(cli_case, monkeypatch):
    monkeypatch.setattr(cli.os, "access", lambda path, mode: False)
    cli_case({"d.csv": STUDIES}, READ + ["--out", "{tmp}/o.csv"], 2, ["is not writable"])


def _console(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "evidence_lib.app.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_closed_pipe_ends_quietly(tmp_path):
    (tmp_path / "d.csv").write_text(STUDIES)
    proc = _console(*[a.format(tmp=tmp_path) for a in READ])
    proc.stdout.close()  # as `| head -1` after its line: the reader is gone before the table is written
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 0 and err == "", err


@pytest.mark.parametrize("delay", [0.5, 1.0])
def test_ctrl_c_early_in_run_is_one_line(delay):
    """Ctrl-C while `run` is still importing (before any notebook: the name matches none, so nothing is
    written if the signal came too late) gives one line and exit 130, not a traceback. (The first
    ~0.1 s are the interpreter's own start-up, before any project code runs: not covered.)"""
    proc = _console("run", "99_no_such_notebook")
    time.sleep(delay)
    if proc.poll() is not None:
        pytest.skip(f"the command ended within {delay} s, before the signal")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and len(err.strip().splitlines()) == 1 and "interrupted" in err, err
