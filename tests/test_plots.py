"""Figures and reader tables: the annotated forest plot (library and CLI), the two-readings
figure, the funnel plot, and the formats of tables.reader_table."""

import importlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from evidence_lib.app import cli
from evidence_lib.figures import plots
from evidence_lib.bayes import priors
from evidence_lib.figures import tables  # noqa: E402
from evidence_lib.bayes.exact import exact_posterior  # noqa: E402
from evidence_lib.frequentist.rma import random_effects  # noqa: E402
from evidence_lib.core.studies import Studies  # noqa: E402

SMD = Studies([-0.53, -0.10, 0.05, -0.82], [0.21, 0.15, 0.18, 0.61], labels=["A", "B", "C", "D"],
              measure="SMD", favours="lower")
RR = Studies(np.log([0.5, 0.8, 1.2, 0.3]), [0.3, 0.2, 0.25, 0.5], labels=["A", "B", "C", "D"],
             measure="RR", favours="lower")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts] + [t.get_text() for t in ax.get_yticklabels()]


def test_import_and_drawing_leave_global_style_alone():
    before = dict(plt.rcParams)
    importlib.reload(plots)
    plots.forest(SMD)
    assert dict(plt.rcParams) == before


def test_forest_smd_rows_columns_and_sides():
    fit = random_effects(SMD.yi, vi=SMD.vi, method="REML")
    post = exact_posterior(SMD.yi, sei=SMD.sei, tau_prior=priors.half_normal(0.5))
    ax = plots.forest(SMD, fit=fit, post=post)
    texts = _texts(ax)
    assert {"A", "B", "C", "D", "Random effects (REML), 95 % CI", "95 % prediction interval",
            "Bayesian posterior median, 95 % CrI", "95 % predictive interval (new study)"} <= set(texts)
    assert "−0.53 [−0.94, −0.12]" in texts                                  # estimate [95 % CI], true minus
    assert f"{fit.weights[0]:.1f} %" in texts and "100 %" in texts          # weight column
    sides = [t.get_text() for t in ax.texts if "favours" in t.get_text()]
    assert sides == ["← favours intervention", "favours control →"]         # lower favours: intervention left
    assert ax.get_xscale() == "linear"
    assert len(ax.patches) == 2                                             # two diamonds


def test_forest_rr_log_axis_natural_ticks_and_higher_favours():
    studies = Studies(RR.yi, RR.sei, labels=RR.labels, measure="RR", favours="higher")
    ax = plots.forest(studies)
    assert ax.get_xscale() == "log"
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks and set(ticks) <= {f"{t:g}" for t in plots.RATIO_TICKS} and "1" in ticks
    assert "0.50 [0.28, 0.90]" in _texts(ax)                                 # ratios, not log ratios
    sides = [t.get_text() for t in ax.texts if "favours" in t.get_text()]
    assert sides == ["← favours control", "favours intervention →"]


@pytest.mark.parametrize("csv, measure", [("study,yi,sei\nA,-0.53,0.21\nB,-0.10,0.15\nC,0.05,0.18\n", "SMD"),
                                          ("study,yi,sei,measure\nA,-0.69,0.3,RR\nB,-0.22,0.2,RR\nC,0.18,0.25,RR\n",
                                           "RR")])
@pytest.mark.parametrize("ext, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_cli_readings_plot_writes_the_forest_plot(tmp_path, capsys, csv, measure, ext, magic):
    path = tmp_path / "trials.csv"
    path.write_text(csv)
    out = tmp_path / f"forest{ext}"
    assert cli.main(["readings", "--studies", str(path), "--favours", "lower", "--plot", str(out)]) == 0
    assert out.read_bytes().startswith(magic)
    assert f"wrote {out}" in capsys.readouterr().out


def test_cli_plot_needs_studies_and_a_known_extension(tmp_path, capsys):
    assert cli.main(["readings", "--plot", str(tmp_path / "f.png")]) == cli.USAGE_ERROR
    assert "--plot draws the forest plot of --studies" in capsys.readouterr().err
    path = tmp_path / "t.csv"
    path.write_text("study,yi,sei\nA,-0.5,0.2\nB,0.1,0.2\n")
    assert cli.main(["readings", "--studies", str(path), "--favours", "lower", "--plot",
                     str(tmp_path / "f.jpg")]) == cli.USAGE_ERROR
    assert "must end in .png, .svg or .pdf" in capsys.readouterr().err


def test_two_readings_labels_probabilities_and_published_interval():
    post = exact_posterior(SMD.yi, sei=SMD.sei, tau_prior=priors.half_normal(0.5))
    ax = plots.two_readings(post, estimate=-0.3, ci=(-0.6, 0.0), measure="SMD", favours="lower",
                            prior_label="half-normal(0.5) on τ, flat μ")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"P(benefit) = {tables.fmt_prob(post.prob('mu', upper=0))}" in labels
    assert f"P(benefit beyond 0.2 SD) = {tables.fmt_prob(post.prob('mu', upper=-0.2))}" in labels
    assert "published −0.30 [−0.60, 0.00]" in labels
    assert any("prior: half-normal(0.5)" in t.get_text() for t in ax.texts)


def test_funnel_groups_and_limits():
    fit = random_effects(SMD.yi, vi=SMD.vi, method="REML")
    ax = plots.funnel(SMD, fit, groups=["x", "x", "y", "y"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "x (k = 2)" in labels and "y (k = 2)" in labels
    assert ax.get_ylim()[0] > ax.get_ylim()[1]          # standard error grows downwards


def test_reader_table_formats():
    df = pd.DataFrame({"review": ["A", "B"], "measure": ["RR", "SMD"], "k": [2.0, 4.0], "n": [9326.5, 356.0],
                       "estimate_used": [8.93, -0.22], "ci_low": [1.25, -0.46], "ci_high": [63.7, 0.02],
                       "pval": [0.0289, 0.00004], "p_benefit": [0.97, 0.9991], "i2": [73.0, np.nan],
                       "readings_disagree": [False, True]})
    frame = tables.reader_frame(df, ["review", "k", "n", "estimate_ci", "pval", "p_benefit", "i2",
                                     "readings_disagree"])
    assert frame.to_dict("list") == {
        "review": ["A", "B"], "studies (k)": ["2", "4"], "participants": ["9,326.5", "356"],
        "estimate [95 % CI]": ["8.93 [1.25, 63.70]", "−0.22 [−0.46, 0.02]"],
        "p": ["0.03", "<0.001"], "P(benefit)": ["0.97", ">0.99"], "I²": ["73 %", "–"],
        "readings disagree": ["no", "yes"]}
    html = tables.reader_table(df, ["review", "estimate_ci"], table_id="x").to_html()
    assert html == tables.reader_table(df, ["review", "estimate_ci"], table_id="x").to_html()
    assert "<table" in html and "T_x" in html


def test_forest_refuses_a_fit_at_another_level():
    import evidence_lib as el

    studies = el.Studies([0.3, 0.1, 0.5], [0.2, 0.15, 0.25], measure="SMD", favours="higher")
    fit80 = el.random_effects(studies, level=0.8)
    with pytest.raises(ValueError, match="level"):
        plots.forest(studies, fit=el.random_effects(studies), level=0.8)
    plt.close(plots.forest(studies, fit=fit80, level=0.8).figure)
