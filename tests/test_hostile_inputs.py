"""Issue 13: hostile input to the CLI, the loaders and the API. One row per case.

CLI rows: files to create, the arguments ({tmp} is the folder holding them), the exit code and
words expected in stderr (exit 2) or stdout (exit 0). Every CLI row also checks that no
traceback reaches stderr and that a failing run creates or changes no file. API rows: a call,
the exception (None: it must work) and words expected in the message.
"""

import hashlib
import json
import math
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from evidence_lib.core import checks as _checks
from evidence_lib.loaders import packaged as data
from evidence_lib.loaders import metapsy
from evidence_lib.bayes import priors
from evidence_lib.app.cli import main
from evidence_lib.loaders.packaged import PUBLISHED_PATH, DataValidationError, load_published, load_trials
from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.frequentist.rma import random_effects
from evidence_lib.published.reconstruct import from_published
from evidence_lib.loaders.user_input import InputError, read_studies

SUMMARY_HEAD = "label,estimate,ci_low,ci_high,k,q,measure,favours_intervention\n"
STUDIES = "study,yi,sei\nA,-0.30,0.20\nB,-0.10,0.15\nC,-0.50,0.25\n"


def _summary(row: str, head: str = SUMMARY_HEAD) -> dict:
    return {"s.csv": head + row + "\n"}


SUMMARY = ["readings", "--summary", "{tmp}/s.csv"]
STUDY_RUN = ["readings", "--studies", "{tmp}/d.csv", "--favours", "lower"]

CLI_CASES = [
    # --- crashes with a traceback before issue 13
    pytest.param(_summary("x,0.1,0.0,0.2,4,0,SMD,higher"), SUMMARY, 0, ["Q = 0 as published"], id="published-Q-of-0"),
    pytest.param({"d.csv": "study,yi,sei\na,1e300,1\nb,-1e300,1\nc,1e300,1\n"}, STUDY_RUN, 2,
                 ["d.csv, row 2, column yi", "1e+100"], id="effects-1e300"),
    pytest.param({"d.csv": STUDIES}, STUDY_RUN + ["--prior", "half_normal", "--prior-scale", "1e-300"], 2,
                 ["--prior half_normal", "scale must lie in [1e-06, 1e+06]", "1e-300"], id="prior-scale-1e-300"),
    pytest.param({"d.csv": STUDIES}, STUDY_RUN + ["--out", "/nonexistent_dir/x.csv"], 2,
                 ["--out /nonexistent_dir/x.csv", "does not exist"], id="out-in-missing-folder"),
    pytest.param({"d.csv": STUDIES}, STUDY_RUN + ["--out", "{tmp}"], 2, ["is a directory"], id="out-is-a-directory"),
    pytest.param(_summary("x,0.1,0.0,0.2,100000000,3,SMD,higher"), SUMMARY, 2,
                 ["s.csv, row 2, column k", "k <= 10,000", "100000000"], id="summary-k-1e8"),
    # --- silent or misleading before issue 13
    pytest.param({"d.csv": STUDIES}, STUDY_RUN + ["--out", "{tmp}/d.csv"], 2,
                 ["is the input file", "would be overwritten"], id="out-equals-input"),
    pytest.param({"d.csv": "study,yi,sei\na,1_0,1\nb,-1,1\nc,1,1\n"}, STUDY_RUN, 2,
                 ["d.csv, row 2, column yi", "'1_0'"], id="underscore-number-in-file"),
    pytest.param({"d.csv": STUDIES}, STUDY_RUN + ["--prior", "half_normal", "--prior-scale", "1_0"], 2,
                 ["--prior-scale", "'1_0'"], id="underscore-number-option"),
    pytest.param({"d.csv": STUDIES}, STUDY_RUN + ["--prior", "half_t", "--prior-param", "df=1_0",
                                                  "--prior-scale", "0.5"], 2,
                 ["df must be numeric", "'1_0'"], id="underscore-number-prior-param"),
    pytest.param({"d.csv": STUDIES}, STUDY_RUN + ["--prior", "half_normal", "--prior-param", "scale=0.5",
                                                  "--prior-scale", "2"], 2,
                 ["--prior-scale 2 and --prior-param scale=0.5 conflict"], id="prior-scale-given-twice"),
    pytest.param({"d.csv": STUDIES}, STUDY_RUN + ["--prior", "half_t", "--prior-param", "df=3",
                                                  "--prior-param", "df=4", "--prior-scale", "0.5"], 2,
                 ["--prior-param df is given twice"], id="prior-param-given-twice"),
    pytest.param(_summary("x,0.1,0.0,0.2,4,0.75,Q,SMD,higher\ny,0.2,0.0,0.4,4,0.5,Q,SMD,higher",
                          SUMMARY_HEAD.replace(",q,", ",i2,i2_definition,")), SUMMARY, 0,
                 ["warning: s.csv, column i2: every value is below 1", "write 75"], id="i2-as-a-fraction-warns"),
    pytest.param(_summary("x,0.1,0.0,0.2,4,100,SMD,higher", SUMMARY_HEAD.replace(",q,", ",i2,")), SUMMARY, 2,
                 ["s.csv, row 2, column i2", "percent in [0, 100)"], id="i2-100"),
    pytest.param(_summary("x,0.1,0.0,0.2,4,,SMD,higher"), SUMMARY, 2,
                 ["s.csv, row 2, column q", "k = 4 but no heterogeneity figure", "n (total participants)"],
                 id="k-without-Q-I2-or-n"),
    pytest.param(_summary("x,1.5,1.1,2.0,4,,150,RR,higher", SUMMARY_HEAD.replace(",q,", ",q,n,")), SUMMARY, 2,
                 ["row 2, column q", "n does not give the variance of an RR"], id="k-RR-with-n-only"),
    pytest.param(_summary("x,0.1,-0.1,0.3,4,,356,SMD,higher", SUMMARY_HEAD.replace(",q,", ",q,n,")), SUMMARY, 0,
                 ["from N = 356"], id="k-SMD-with-n-uses-n"),
    pytest.param(_summary("x,0.1,-0.1,0.3,,,SMD,higher"), SUMMARY, 0,
                 ["k not reported: pooled estimate only"], id="no-k-estimate-only-said"),
    pytest.param({"d.csv": "study,yi,sei\nb\xfcr,0.1,1\nb,-0.2,1\n".encode("latin-1")}, STUDY_RUN, 2,
                 ["d.csv, line 2: byte 0xfc is not UTF-8", "Latin-1", "CSV UTF-8"], id="latin-1-file"),
    pytest.param({"d.csv": STUDIES.encode("utf-16")}, STUDY_RUN, 2, ["d.csv is UTF-16", "CSV UTF-8"],
                 id="utf-16-file"),
    pytest.param({"d.csv": b"PK\x03\x04\x14\x00\x06\x00"}, STUDY_RUN, 2, ["d.csv is a spreadsheet workbook"],
                 id="xlsx-renamed-csv"),
    pytest.param({"d.csv": b"study,yi,sei\x00\x01"}, STUDY_RUN, 2, ["d.csv holds NUL bytes"], id="binary-file"),
    pytest.param({}, ["readings", "--studies", "{tmp}", "--favours", "lower"], 2, ["is a directory, not a file"],
                 id="input-is-a-directory"),
    pytest.param({"d.csv": "study,yi,sei\na,0.1,1\n"}, STUDY_RUN, 2,
                 ["d.csv: a random-effects analysis needs at least 2 studies", "got 1 (row 2)"], id="k-1"),
    pytest.param({"d.csv": "study,yi,sei\na,0.1,1e-200\nb,-1,1\nc,1,1\n"}, STUDY_RUN, 2,
                 ["d.csv, row 2, column sei", "[1e-50, 1e+50]", "'1e-200'"], id="tiny-se"),
    pytest.param({"d.csv": "study,yi,vi\na,0.1,0.04\nb,-1,1e-310\nc,1,1\n"}, STUDY_RUN, 2,
                 ["d.csv, row 3, column vi", "[1e-100, 1e+100]", "'1e-310'"], id="denormal-variance"),
    pytest.param(_summary("x,1e300,-1e300,1.5e300,4,3,SMD,higher"), SUMMARY, 2,
                 ["s.csv, row 2, column estimate", "1e+100"], id="summary-estimate-1e300"),
    pytest.param(_summary("x,1e90,-1e90,1.5e90,4,3,SMD,higher"), SUMMARY, 2,
                 ["s.csv, row 2: vi (sei²) must lie in [1e-100, 1e+100]"], id="summary-ci-1e90"),
    pytest.param({"d.csv": "study,yi,sei\na,1e8,0.2\nb,-1e8,0.2\nc,0,0.2\n"}, STUDY_RUN, 2,
                 ["d.csv: the study effects spread over 2e+08", "tau prior half-normal(0.5)", "different scales"],
                 id="effects-far-beyond-the-prior"),
    pytest.param({"d.csv": "study,yi,sei\na,0.1,1e20\nb,-0.1,1e20\nc,0,1e20\n"}, STUDY_RUN, 2,
                 ["d.csv: the tau prior half-normal(0.5) puts all its mass below", "fixes tau at 0"],
                 id="se-far-beyond-the-prior"),
    pytest.param({"d.csv": "study,yi,sei\n=1+2,0.1,0.2\n@SUM(A1),0.2,0.3\nok,0.3,0.2\n"}, STUDY_RUN, 0, [],
                 id="formula-labels-in-studies"),
    pytest.param(_summary('"=HYPERLINK(""http://x"")",0.1,0.0,0.2,4,3,SMD,higher\n+cmd,0.1,0.0,0.2,,,SMD,higher'),
                 SUMMARY + ["--out", "{tmp}/out.csv"], 0, ["wrote", "2 text cell(s) starting with = + - or @",
                                                             "CSV injection"], id="formula-labels-guarded"),
]


def _make(tmp_path, files):
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


@pytest.mark.parametrize("files, argv, code, words", CLI_CASES)
def test_cli_case(cli_case, files, argv, code, words):
    cli_case(files, argv, code, words)


def test_formula_labels_are_written_as_text(tmp_path, capsys):
    _make(tmp_path, _summary("=1+2,0.1,0.0,0.2,,,SMD,higher\n-x,0.1,0.0,0.2,,,SMD,higher"))
    assert main(["readings", "--summary", str(tmp_path / "s.csv"), "--out", str(tmp_path / "o.csv")]) == 0
    text = (tmp_path / "o.csv").read_text()
    assert "\n'=1+2," in text and "\n'-x," in text
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # the temporary file was renamed


def test_out_equal_to_the_default_input_is_refused(tmp_path, capsys, monkeypatch):
    copy = tmp_path / "published_results.csv"
    shutil.copy(PUBLISHED_PATH, copy)
    monkeypatch.setattr(data, "PUBLISHED_PATH", copy)
    before = copy.read_bytes()
    assert main(["readings", "--out", str(copy)]) == 2
    assert "is the input file" in capsys.readouterr().err and copy.read_bytes() == before


def test_unreadable_file(tmp_path, capsys, monkeypatch):
    """Root reads any file, so the PermissionError is simulated."""
    _make(tmp_path, {"d.csv": STUDIES})

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert main(["readings", "--studies", str(tmp_path / "d.csv"), "--favours", "lower"]) == 2
    assert "d.csv: permission denied" in capsys.readouterr().err


def test_write_failure_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    _make(tmp_path, {"d.csv": STUDIES})
    monkeypatch.setattr("pandas.DataFrame.to_csv", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left")))
    assert main(["readings", "--studies", str(tmp_path / "d.csv"), "--favours", "lower",
                 "--out", str(tmp_path / "o.csv")]) == 2
    assert "No space left" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


@pytest.mark.parametrize("argv, words", [
    (["readings", "--summary", "{tmp}/s.csv"], ["s.csv, row 2, column k"]),
    (["readings", "--out", "/nonexistent_dir/x.csv"], ["does not exist"]),
])
def test_no_traceback_through_the_console_script(tmp_path, argv, words):
    _make(tmp_path, _summary("x,0.1,0.0,0.2,100000000,3,SMD,higher"))
    run = subprocess.run([sys.executable, "-m", "evidence_lib.app.cli", *[a.format(tmp=tmp_path) for a in argv]],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
    for word in words:
        assert word in run.stderr


# ----------------------------------------------------------------------------- API
def _kh_identical():
    fit = random_effects([0.2] * 3, vi=[0.04] * 3, test="knha")
    assert fit.se == 0 and fit.low == fit.high == pytest.approx(0.2) and fit.pval == 0  # metafor: s2w = 0


def _reml_equivariant(scale):
    """(y + 7)·c, v·c² give tau²·c², mu and CIs ·c (REML, ML, PM and the Q-profile CI)."""
    y, v = np.array([0.3, -0.2, 0.5, 0.1, -0.4]), np.array([0.04, 0.05, 0.03, 0.06, 0.05])
    for method in ("REML", "ML", "PM"):
        base = random_effects(y, vi=v, method=method)
        big = random_effects(y * scale + 7 * scale, vi=v * scale**2, method=method)
        # equal up to metafor's stopping rule (|step| <= 1e-5 on tau² = 0.096, so ~1e-4 relative)
        assert math.isclose(big.tau2, base.tau2 * scale**2, rel_tol=1e-4)
        assert math.isclose(big.estimate, (base.estimate + 7) * scale, rel_tol=1e-6)
        assert math.isclose(big.low, (base.low + 7) * scale, rel_tol=1e-4)
        assert np.allclose(np.array(big.tau2_ci), np.array(base.tau2_ci) * scale**2, rtol=1e-6)


def _ee_knha():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        random_effects([0.1, 0.3, 0.2], vi=[0.04] * 3, method="EE", test="knha")
    assert any("not meant to be used in the context of 'EE' models" in str(w.message) for w in caught)


def _sample(yi, sei, tau_prior, **kw):
    from evidence_lib.bayes.mcmc import sample_posterior

    return sample_posterior(yi, sei=sei, tau_prior=tau_prior, random_seed=1, **kw)


API_CASES = [
    pytest.param(_kh_identical, None, [], id="knha-identical-studies"),
    pytest.param(lambda: _reml_equivariant(1e6), None, [], id="reml-yi-1e6"),
    pytest.param(lambda: _reml_equivariant(1e-6), None, [], id="reml-yi-1e-6"),
    pytest.param(lambda: random_effects([1e300, -1e300, 1e300], vi=[1.0] * 3), ValueError,
                 ["yi must lie within ±1e+100", "study 1 (1e+300)"], id="reml-yi-1e300"),
    pytest.param(_ee_knha, None, [], id="ee-knha-warns"),
    pytest.param(lambda: random_effects([0.1, True, 0.3], vi=[0.04] * 3), ValueError,
                 ["yi must be numeric", "bool True"], id="api-True"),
    pytest.param(lambda: random_effects(["0.1", "0.2"], vi=[0.04] * 2), ValueError,
                 ["yi must be numeric", "str '0.1'"], id="api-string-number"),
    pytest.param(lambda: from_published(0.1, 0.0, 0.2, k=True, q=3), ValueError,
                 ["k must be a whole number", "got True"], id="api-k-True"),
    pytest.param(lambda: from_published("0.1", 0.0, 0.2), ValueError, ["estimate must be numeric"],
                 id="api-estimate-string"),
    pytest.param(lambda: from_published(0.1, 0.0, 0.2, k=10**8, q=3), ValueError, ["<= 10,000"], id="api-k-1e8"),
    pytest.param(lambda: from_published(1e300, -1e300, 1.5e300, k=4, q=3), ValueError,
                 ["estimate must lie within ±1e+100"], id="api-summary-1e300"),
    pytest.param(lambda: priors.half_normal(1e-300), ValueError, ["scale must lie in [1e-06, 1e+06]"],
                 id="api-prior-scale-1e-300"),
    pytest.param(lambda: exact_posterior([1e150, -1e150, 0.0], sei=[1.0] * 3, tau_prior=priors.half_normal(0.5)),
                 ValueError, ["yi must lie within ±1e+100"], id="exact-yi-1e150"),
    pytest.param(lambda: exact_posterior([0.1, 0.2, 0.3], sei=[1e-300, 1.0, 1.0], tau_prior=priors.half_normal(0.5)),
                 ValueError, ["vi (sei²) must lie in [1e-100, 1e+100]", "study 1"], id="exact-sei-1e-300"),
    pytest.param(lambda: _sample([0.1, 0.3], [0.1, 0.1], priors.uniform_tau()), ValueError,
                 ["posterior is improper", "k = 2"], id="mcmc-uniform-tau-k2"),
    pytest.param(lambda: _sample([0.1, 0.2, 0.3], [0.1] * 3, priors.half_normal(0.5), chains=0), ValueError,
                 ["chains must be a whole number >= 1, got 0"], id="mcmc-chains-0"),
    pytest.param(lambda: _sample([0.1, 0.2, 0.3], [0.1] * 3, priors.half_normal(0.5), draws=0), ValueError,
                 ["draws must be a whole number >= 1, got 0"], id="mcmc-draws-0"),
    pytest.param(lambda: random_effects([0.1, 0.2, 0.3], vi=[0.04, -0.01, 0.04]), ValueError,
                 ["position(s) [2] (counting from 1)"], id="api-positions-1-based"),
]


@pytest.mark.parametrize("call, error, words", API_CASES)
def test_api_case(call, error, words):
    if error is None:
        call()
        return
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value), str(caught.value)


# -------------------------------------------------------------------------- loaders
TRIAL_HEAD = ("study,arm,arm_role,n,mean,sd,instrument,scale_direction,timepoint,citation,source,verification,notes\n")
TRIAL_ROW = "Trial 2000,A,intervention,{n},{mean},{sd},EPDS,higher is worse,post,cit,src,secondary source,\n"
BINARY_HEAD = "study,arm,arm_role,events,total,event_definition,timepoint,citation,source,verification,notes\n"
BINARY_ROW = "Trial 2000,A,intervention,{events},{total},relapse,post,cit,src,secondary source,\n"


def _published_cut(folder):
    shutil.copytree(PUBLISHED_PATH.parent, folder / "data")
    lines = PUBLISHED_PATH.read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "data" / "published_results.csv").write_text("".join(lines[:21]), encoding="utf-8")
    return folder / "data" / "published_results.csv"


def _header_only(folder):
    path = folder / "p.csv"
    path.write_text(PUBLISHED_PATH.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return path


def _latin1(folder):
    path = folder / "p.csv"
    path.write_bytes(PUBLISHED_PATH.read_text(encoding="utf-8").replace("Barlow", "B\u00e4rlow").encode("latin-1",
                                                                                                       "replace"))
    return path


def _trial(folder, head, row):
    (folder / "t").mkdir()
    (folder / "t" / "x.csv").write_text(head + row, encoding="utf-8")
    return folder / "t"


LOADER_CASES = [
    pytest.param(lambda d: load_published(_published_cut(d)),
                 ["published_results.csv: 20 data row(s)", "expects 42 row(s)", "truncated or was edited"],
                 id="published-cut-at-a-line"),
    pytest.param(lambda d: load_published(_header_only(d)), ["p.csv: header but no data rows"], id="header-only"),
    pytest.param(lambda d: load_published(_latin1(d)), ["p.csv, line", "is not UTF-8"], id="published-latin-1"),
    pytest.param(lambda d: load_published(d), ["is a directory"], id="published-directory"),
] + [
    pytest.param(lambda d, c=col, v=values: load_trials("x", _trial(d, TRIAL_HEAD, TRIAL_ROW.format(**v))),
                 [f"x.csv: row 2 (Trial 2000 / A), column '{col}': must not be empty"], id=f"trial-blank-{col}")
    for col, values in (("n", dict(n="", mean="10", sd="2")), ("mean", dict(n="20", mean="", sd="2")),
                        ("sd", dict(n="20", mean="10", sd="")))
] + [
    pytest.param(lambda d, c=col, v=values: load_trials("x", _trial(d, BINARY_HEAD, BINARY_ROW.format(**v))),
                 [f"x.csv: row 2 (Trial 2000 / A), column '{col}': must not be empty"], id=f"trial-blank-{col}")
    for col, values in (("events", dict(events="", total="20")), ("total", dict(events="3", total="")))
]


@pytest.mark.parametrize("call, words", LOADER_CASES)
def test_loader_case(tmp_path, call, words):
    with pytest.raises(DataValidationError) as caught:
        call(tmp_path)
    for word in words:
        assert word in str(caught.value), str(caught.value)


@pytest.mark.parametrize("cell", ["1_0", " ", "nan", "inf", "1,000", "1 000", "1,5", "−0.5", "0x10", "1e400"])
def test_one_rule_for_every_number_in_a_file(tmp_path, cell):
    """issue 18: the packaged loaders and a user's file refuse the same cells, naming file, row, column."""
    quoted = f'"{cell}"' if "," in cell else cell
    with pytest.raises(DataValidationError, match=f"x.csv: row 2 \\(Trial 2000 / A\\), column 'mean': expected a number, got {cell!r}"):
        load_trials("x", _trial(tmp_path, TRIAL_HEAD, TRIAL_ROW.format(n="20", mean=quoted, sd="2")))
    (tmp_path / "d.csv").write_text(f"study,yi,sei\nA,{quoted},0.2\nB,-0.1,0.15\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"d.csv, row 2, column yi: expected a number, got {cell!r}"):
        read_studies(tmp_path / "d.csv", "lower")


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/ standing in for the package's data folder."""
    folder = tmp_path / "data"
    shutil.copytree(data.DATA_DIR, folder, ignore=shutil.ignore_patterns("metapsy"))
    monkeypatch.setattr(data, "DATA_DIR", folder)
    return folder


def test_restore_hint_names_the_git_command(data_copy, monkeypatch, capsys):
    """The loader says where a damaged packaged file comes from; the command line, run from this git
    checkout, adds the git command (only the application knows about a checkout)."""
    copy = data_copy / "published_results.csv"
    assert data._restore_hint(copy) == ("; restore data/published_results.csv from the project repository, "
                                        "or reinstall evidence_lib")
    copy.write_text(copy.read_text(encoding="utf-8")[:2000], encoding="utf-8")
    monkeypatch.setattr(data, "PUBLISHED_PATH", copy)
    with pytest.raises(DataValidationError) as caught:
        load_published()
    assert caught.value.packaged == "published_results.csv" and "git" not in str(caught.value)
    assert main(["readings"]) == 2
    assert "(in this checkout: git checkout -- data/published_results.csv)" in capsys.readouterr().err


def _broken_manifest(folder, how):
    manifest = folder / data.MANIFEST_NAME
    if how == "missing":
        manifest.unlink()
    elif how == "not JSON":
        manifest.write_text(manifest.read_text(encoding="utf-8")[:200], encoding="utf-8")
    elif how == "no files":
        manifest.write_text('{"about": "x"}', encoding="utf-8")
    else:  # the file is not listed
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        del doc["files"]["published_results.csv"]
        manifest.write_text(json.dumps(doc), encoding="utf-8")
    return manifest


@pytest.mark.parametrize("how, words", [("missing", ["MANIFEST.json is missing", "published_results.csv"]),
                                        ("not JSON", ["MANIFEST.json: not valid JSON"]),
                                        ("no files", ["MANIFEST.json: expected {\"files\""]),
                                        ("unlisted", ["published_results.csv: not listed in", "MANIFEST.json"])])
def test_a_broken_manifest_is_an_error_naming_it(data_copy, how, words):
    _broken_manifest(data_copy, how)
    with pytest.raises(DataValidationError) as caught:
        load_published(data_copy / "published_results.csv")
    for word in words:
        assert word in str(caught.value), str(caught.value)


def test_manifest_is_current():
    """data/MANIFEST.json lists every CSV under data/ as it is; after an intended edit run data.write_manifest()."""
    listed = json.loads((data.DATA_DIR / data.MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
    assert listed == data.manifest_entries()


# ------------------------------------------------------------------------- Metapsy
@pytest.fixture
def fake_pin(monkeypatch, tmp_path):
    """A pinned 'database' of b'good': no shipped or shared copy, an isolated cache."""
    monkeypatch.delenv(metapsy.ENV_VAR, raising=False)
    monkeypatch.setattr(metapsy, "PACKAGED", tmp_path / "not-shipped" / "data.csv")
    monkeypatch.setenv("EVIDENCE_LIB_SHARED", str(tmp_path / "no-shared"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(metapsy, "SHA256", hashlib.sha256(b"good").hexdigest())
    cached = tmp_path / "cache" / "evidence_lib" / metapsy.CACHE_NAME
    cached.parent.mkdir(parents=True)
    return cached


def test_failed_download_names_the_address_not_a_temp_file(fake_pin, monkeypatch):
    monkeypatch.setattr(metapsy, "_download", lambda url, dest: dest.write_bytes(b"truncated"))
    with pytest.raises(metapsy.ChecksumError) as caught:
        metapsy.locate()
    message = str(caught.value)
    assert f"the download from {metapsy.URL}" in message and "nothing was saved" in message
    assert "tmp" not in message.replace(str(fake_pin.parent), "")


def test_corrupted_cache_is_fetched_again(fake_pin, monkeypatch):
    fake_pin.write_bytes(b"bad")
    monkeypatch.setattr(metapsy, "_download", lambda url, dest: dest.write_bytes(b"good"))
    assert metapsy.locate() == fake_pin and fake_pin.read_bytes() == b"good"


def test_corrupted_cache_offline_says_to_delete_it(fake_pin, monkeypatch):
    fake_pin.write_bytes(b"bad")

    def offline(url, dest):
        raise OSError("network unreachable")

    monkeypatch.setattr(metapsy, "_download", offline)
    with pytest.raises(metapsy.ChecksumError) as caught:
        metapsy.locate()
    assert f"delete the cached copy ({fake_pin})" in str(caught.value)


def test_range_constants_are_what_the_messages_say():
    assert _checks.YI_MAX == 1e100 and _checks.VI_RANGE == (1e-100, 1e100) and _checks.K_MAX == 10_000
