"""Figures and reader tables: the annotated forest plot (library and CLI), the two-readings
figure, the funnel plot, and the formats of tables.reader_table."""

import importlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.axes  # noqa: E402
import matplotlib.colors  # noqa: E402
import matplotlib.figure  # noqa: E402

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
    assert {"A", "B", "C", "D", "Random effects (REML), 95 % CI (z)", "95 % prediction interval",
            "Bayesian posterior median, 95 % CrI", "95 % predictive interval (new study)"} <= set(texts)
    assert "−0.53 [−0.94, −0.12]" in texts                                  # estimate [95 % CI], true minus
    assert f"{fit.weights[0]:.1f} %" in texts and "100 %" in texts          # weight column
    sides = [t.get_text() for t in ax.texts if "favours" in t.get_text()]
    assert sides == ["← favours intervention", "favours control →"]         # lower favours: intervention left
    assert ax.get_xscale() == "linear"
    assert len(ax.patches) == 2                                             # two diamonds
    assert {"Study", "SMD [95 % CI]", "Weight"} <= set(texts)                # RevMan's headers, measure-named
    het, overall = plots.heterogeneity_lines(fit)
    assert het in texts and overall in texts
    assert het == (f"Heterogeneity: Tau² = {fit.tau2:.2f}; Chi² = {fit.q:.2f}, df = 3 (P = {fit.q_pval:.4f}); "
                   f"I² = {fit.i2:.0f} %")
    assert overall == f"Test for overall effect: Z = {abs(fit.stat):.2f} (P = {fit.pval:.4f})"
    assert ax.get_xlabel() == "standardised mean difference (SMD)"
    assert ax.get_title() == ""                                             # no title unless given
    y_rows = [t.get_position()[1] for t in ax.get_yticklabels()][:4]
    assert np.allclose(np.diff(y_rows), -1.0)                               # one row per study


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


def test_forest_names_the_knapp_hartung_interval_and_shrinks_in_the_study_row():
    fit = random_effects(SMD, method="REML", test="knha")
    post = exact_posterior(SMD, tau_prior=priors.half_normal(0.5))
    ax = plots.forest(SMD, fit=fit, post=post, shrinkage=True)
    texts = _texts(ax)
    label = "Random effects (REML), 95 % CI (Knapp–Hartung)"
    assert label in texts and "Random effects (REML), 95 % CI (z)" not in texts
    assert f"{tables.fmt(fit.estimate)} [{tables.fmt(fit.low)}, {tables.fmt(fit.high)}]" in texts
    assert "Test for overall effect: t (df = 3)" in plots.heterogeneity_lines(fit)[1]
    sh = post.shrinkage()
    assert "Shrunken [95 % CrI]" in texts
    assert f"{tables.fmt(sh['median'].iloc[0])} [{tables.fmt(sh['low'].iloc[0])}, {tables.fmt(sh['high'].iloc[0])}]" in texts
    assert len([t for t in ax.get_yticklabels() if t.get_text() in SMD.labels]) == 4   # still one row each


def test_forest_xlim_cuts_long_intervals_with_arrows_and_keeps_the_null():
    ax = plots.forest(SMD, xlim=(-1.0, 0.6))
    assert ax.get_xlim() == pytest.approx((-1.0, 0.6))
    arrows = [line for line in ax.lines if line.get_marker() in ("<", ">")]
    assert [a.get_marker() for a in arrows] == ["<"] and arrows[0].get_xdata()[0] == -1.0   # D: −2.02 < −1
    with pytest.raises(ValueError, match="xlim=.*must contain the null value 0"):
        plots.forest(SMD, xlim=(0.1, 1.0))
    with pytest.raises(ValueError, match="shrinkage=True needs post="):
        plots.forest(SMD, shrinkage=True)


def test_p_values_as_metafor_prints_them_and_no_negative_zero():
    assert tables.fmt_p4(7.05e-5) == "<0.0001" and tables.fmt_p4(0.00031) == "0.0003"
    assert tables.fmt(-0.001) == "0.00" and tables.fmt(-0.004, "SMD") == "0.00" and tables.fmt(-0.01) == "−0.01"
    assert tables.minus("-0.000") == "0.000" and tables.minus("-10.00") == "−10.00"


def _all_text(fig):
    return [t for t in fig.findobj(plt.Text) if t.get_text().strip() and t.get_visible()]


@pytest.mark.parametrize("draw", ["forest", "two_readings", "funnel", "probability_curve"])
def test_figures_are_150_dpi_with_text_of_at_least_9_pt_in_the_palette(draw):
    from evidence_lib.figures import palette

    post = exact_posterior(SMD, tau_prior=priors.half_normal(0.5))
    fit = random_effects(SMD, method="REML")
    ax = {"forest": lambda: plots.forest(SMD, fit=fit, post=post, shrinkage=True),
          "two_readings": lambda: plots.two_readings(post, estimate=-0.3, ci=(-0.6, 0.0), measure="SMD",
                                                     favours="lower", title="t"),
          "funnel": lambda: plots.funnel(SMD, fit, groups=["x", "x", "y", "y"]),
          "probability_curve": lambda: plots.probability_curve([0.1, 0.5, 1], {"a": [0.97, 0.95, 0.9],
                                                                               "b": [0.99, 0.98, 0.96]},
                                                               xlabel="scale")}[draw]()
    fig = ax.figure
    fig.canvas.draw()
    assert fig.dpi == 150
    small = [(t.get_text(), t.get_fontsize()) for t in _all_text(fig) if t.get_fontsize() < plots.MIN_FONT]
    assert small == []
    allowed = {matplotlib.colors.to_hex(c) for c in (palette.FREQ, palette.BAYES, palette.PRIOR, palette.INK,
                                                     *palette.CATEGORICAL, "black", "white", "#999999")}
    used = set()
    for artist in fig.findobj(lambda a: a.get_visible() and not isinstance(a, (plt.Text, matplotlib.figure.Figure,
                                                                           matplotlib.axes.Axes))):
        for get in ("get_color", "get_facecolor", "get_edgecolor", "get_markerfacecolor"):
            if hasattr(artist, get):
                colours = getattr(artist, get)()
                if not (isinstance(colours, str) and colours in ("none", "auto")):
                    used |= {matplotlib.colors.to_hex(c) for c in matplotlib.colors.to_rgba_array(colours) if c[3] > 0}
    assert used <= allowed                                          # no default-cycle colour anywhere


def test_cli_forest_png_is_150_dpi_with_a_title_only_when_given(tmp_path):
    import struct

    path = tmp_path / "trials.csv"
    path.write_text("study,yi,sei,measure\nA,-0.69,0.3,RR\nB,-0.22,0.2,RR\nC,0.18,0.25,RR\n")
    out = tmp_path / "forest.png"
    assert cli.main(["readings", "--studies", str(path), "--favours", "lower", "--plot", str(out)]) == 0
    data = out.read_bytes()
    at = data.index(b"pHYs") + 4
    assert round(struct.unpack(">I", data[at:at + 4])[0] * 0.0254) == 150     # pixels per metre -> dpi
    assert cli.main(["readings", "--studies", str(path), "--favours", "lower", "--plot", str(out),
                     "--title", "My trials", "--shrinkage", "--xlim", "0.2", "3"]) == 0
    assert cli.main(["readings", "--studies", str(path), "--favours", "lower", "--title", "x"]) == cli.USAGE_ERROR


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


def test_contour_funnel_shades_the_significance_regions():
    # metafor funnel(res, level = c(90, 95, 99), shade = , refline = 0): the 90/95/99 % contours
    # around the null, z = 1.645, 1.960, 2.576 times the standard error
    ax = plots.funnel(SMD, contours=(0.90, 0.95, 0.99))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["p < 0.1 (>= 0.05)", "p < 0.05 (>= 0.01)", "p < 0.01"]
    inner = ax.collections[0].get_paths()[0].vertices  # the right-hand p in [.05, .10) band
    se_max = ax.get_ylim()[0]
    assert inner[:, 0].min() == pytest.approx(0.0, abs=1e-12)
    assert np.isclose(inner[:, 0], 1.959964 * se_max, rtol=1e-6).any()
    assert np.isclose(inner[:, 0], 1.644854 * se_max, rtol=1e-6).any()
    with pytest.raises(ValueError, match="contours"):
        plots.funnel(SMD, contours=(95,))


def test_forest_prints_metafor_numbers_for_bcg():
    """Golden: metafor rma(measure="RR", dat.bcg, REML, z) from tests/reference/metafor_reference.json
    (written by tests/reference/metafor_reference.R); pooled 0.49 [0.34, 0.70], PI [0.15, 1.55]."""
    import json
    from pathlib import Path

    ref = json.loads((Path(__file__).parent / "reference" / "metafor_reference.json").read_text())
    data = ref["datasets"]["bcg"]
    mf = next(f for f in ref["fits"] if (f["dataset"], f["method"], f["test"]) == ("bcg", "REML", "z"))
    bcg = Studies(np.array(data["yi"]), np.sqrt(data["vi"]), measure="RR", favours="lower")
    ax = plots.forest(bcg)
    texts = _texts(ax)
    e = np.exp
    assert f"{e(mf['mu']):.2f} [{e(mf['ci_low']):.2f}, {e(mf['ci_high']):.2f}]" == "0.49 [0.34, 0.70]"
    assert "0.49 [0.34, 0.70]" in texts and "[0.15, 1.55]" in texts
    assert f"[{e(mf['pi_low']):.2f}, {e(mf['pi_high']):.2f}]" == "[0.15, 1.55]"
    assert [t for t in texts if t.endswith(" %") and t[0].isdigit() and t != "100 %"] == [f"{w:.1f} %" for w in mf["weights"]]
    assert ("Heterogeneity: Tau² = 0.31; Chi² = 152.23, df = 12 (P < 0.0001); I² = 92 %" in texts
            and f"{mf['tau2']:.2f}, {mf['q']:.2f}, {mf['i2']:.0f}" == "0.31, 152.23, 92" and mf["q_pval"] < 1e-4)
    assert "Test for overall effect: Z = 3.97 (P < 0.0001)" in texts and f"{abs(mf['stat']):.2f}" == "3.97"
    assert mf["pval"] < 1e-4 and "RR [95 % CI]" in texts and ax.get_xlabel() == "risk ratio (RR), log scale"


def test_design_curves_take_category_colours_and_a_figure_legend():
    from evidence_lib.figures import palette
    from evidence_lib.questions.design import design_analysis

    a = design_analysis(SMD, true_effects=[-0.2, -0.4])
    axes = plots.design_curves({"z": a}, title="t")
    axes = plots.design_curves({"again": a}, axes=axes)             # a second call adds the next colour
    colours = [line.get_color() for line in axes[0].lines if not line.get_label().startswith("_")]
    assert colours == list(palette.CATEGORICAL[:2])
    fig = axes[0].figure
    assert len(fig.legends) == 1 and [t.get_text() for t in fig.legends[0].get_texts()] == ["z", "again"]
    assert axes[0].get_legend() is None                             # nothing drawn over the lines


def test_two_readings_reverse_draws_the_other_sign_and_keeps_the_published_numbers():
    post = exact_posterior(SMD, tau_prior=priors.half_normal(0.5))
    ax = plots.two_readings(post, estimate=-0.3, ci=(-0.6, 0.0), measure="SMD", favours="lower", reverse=True,
                            xlim=(-1.0, 1.5))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "published −0.30 [−0.60, 0.00]; sign reversed here" in labels
    sides = [t.get_text() for t in ax.texts if "favours" in t.get_text()]
    assert sides == ["← favours control", "favours intervention →"]
    lo, hi = ax.get_xlim()
    assert lo <= -1.0 and hi >= 1.5 and lo < 0 < hi
    x, y = ax.lines[0].get_data()
    assert x[0] == pytest.approx(lo) and x[-1] == pytest.approx(hi)  # the curve runs to both edges
    assert x[np.argmax(y)] > 0                                        # the posterior of −μ: mass on the right


def test_reader_table_refuses_two_columns_under_one_heading():
    """Notebook 07 once showed the MCSE of the exaggeration ratio under the heading "MCSE" beside
    power (the power MCSE, also labelled "MCSE", was overwritten): each column keeps its own heading."""
    df = pd.DataFrame({"power": [0.2], "power_mcse": [0.006], "exaggeration": [1.6], "exaggeration_mcse": [0.05]})
    frame = tables.reader_frame(df, ["power", "power_mcse", "exaggeration", "exaggeration_mcse"])
    assert list(frame.iloc[0]) == ["0.200", "0.006", "1.60", "0.050"]
    assert len(set(frame.columns)) == 4
    with pytest.raises(ValueError, match="two columns the heading 'MCSE'"):
        tables.reader_frame(pd.DataFrame({"mcse": [0.1]}), ["mcse", "mcse"])
    blank = tables.reader_frame(pd.DataFrame({"case": ["a"], "quantity": ["b"]}), ["case", "quantity"])
    assert list(blank.iloc[0]) == ["a", "b"]  # two row-label columns without headings both stay


def test_interval_and_plain_column_names_do_not_overlap():
    """A name is either a composite interval or a plain column: an interval would hide the column."""
    assert not set(tables.INTERVALS) & set(tables.COLUMNS)
