"""What a reader sees: sentences with true minus signs, numbers at one precision, the figure
and export helpers the notebooks call, and the landing page that opens with the answer."""

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import evidence_lib as el  # noqa: E402
from evidence_lib.app import notebook_runner as nr  # noqa: E402


def test_minus_replaces_hyphens_before_numbers_only():
    assert el.tables.minus("SMD -0.22 (95 % CI -0.46 to 0.02), [-1, 2], x -.5") == \
        "SMD \u22120.22 (95 % CI \u22120.46 to 0.02), [\u22121, 2], x \u2212.5"
    for kept in ("half-normal(0.5)", "k-1", "2015-11", "Knapp-Hartung"):
        assert el.tables.minus(kept) == kept


def test_sentence_is_markdown_with_true_minus():
    shown = el.sentence("SMD -0.22")
    assert shown._repr_markdown_() == "SMD \u22120.22"


def test_small_ratios_read_as_below_one_hundredth():
    assert el.tables.fmt(0.00721, "RR") == "<0.01" and el.tables.fmt(0.0721, "RR") == "0.07"
    assert el.tables.fmt(-0.5) == "\u22120.50"


def test_p_benefit_given_tau_hat_is_one_minus_half_p():
    """With a flat mu prior and tau at the REML estimate, P(benefit | tau) = 1 - p/2 of the z test
    (Barlow 2015 maternal depression: p = 0.072, P = 0.964, notebook 03)."""
    row = el.load_published().set_index("result_id").loc["barlow2015_ctrl_depression_smd_post"]
    summary = el.summary_for_row(row)
    post = el.exact_posterior(summary, tau_prior=el.priors.half_normal(0.5))
    p = el.p_benefit_given_tau(post, np.sqrt(summary.tau2), "lower")
    assert abs(p - (1 - el.read_row(row)["pval"] / 2)) < 1e-6 and abs(p - 0.964) < 1e-3
    assert abs(el.p_benefit_given_tau(post, np.sqrt(summary.tau2), "higher") - (1 - p)) < 1e-12
    with pytest.raises(ValueError, match="favours"):
        el.p_benefit_given_tau(post, 0.1, "unknown")


def _posterior(scale):
    yi, sei = np.array([-0.53, -1.09, -0.03, -0.82]), np.array([0.21, 0.40, 0.31, 0.61])
    return el.exact_posterior(yi, sei=sei, tau_prior=el.priors.half_normal(scale) if scale else el.priors.uniform_tau())


def test_teaching_figures_draw_what_they_are_given():
    ax = el.plots.tau_spread(-0.22, [0.05, 0.2, 0.4])
    assert len(ax.lines) == 4 and "μ = \u22120.22" in ax.get_title()
    fig = el.plots.tau_prior_effect(_posterior(0.5), _posterior(None), prior=el.priors.half_normal(0.5))
    assert len(fig.axes) == 2 and fig.axes[0].get_xlim()[1] == pytest.approx(1.5)
    panels = {name: (_posterior(s), el.priors.half_normal(s)) for name, s in (("a", 0.5), ("b", 1.0), ("c", 2.0))}
    grid = el.plots.tau_posterior_grid(panels, upper=3.0, title="t")
    assert [a.get_title(loc="left") for a in grid.axes[:3]] == ["a", "b", "c"]
    plt.close("all")


def test_export_studies_writes_the_documented_columns(tmp_path):
    from evidence_lib.loaders.metapsy_selection import EXPORT_COLUMNS

    table = pd.DataFrame({c: [1, 2] for c in EXPORT_COLUMNS + ["extra"]})
    path = el.export_studies(table, tmp_path / "out")
    assert path.name == "metapsy_perinatal_studies.csv"
    assert list(pd.read_csv(path).columns) == EXPORT_COLUMNS


def _markdown_cell(text, tag):
    return nbformat.v4.new_code_cell("", metadata={"tags": [tag]}, outputs=[nbformat.v4.new_output(
        "display_data", data={"text/markdown": text, "text/plain": "<Markdown>"})])


def test_cards_read_markdown_headlines_and_the_index_opens_with_the_bottom_line(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\n**Question.** Does it help?"),
        _markdown_cell("SMD **\u22120.22**; P(benefit) 0.91", "headline"),
        _markdown_cell("Not evidence of no effect. The second sentence.", "bottom-line")])
    info = nr.card(nb, "00_x")
    assert info["headline"] == "SMD \u22120.22; P(benefit) 0.91"
    assert info["bottom_line"] == "Not evidence of no effect. The second sentence."
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "00_x.json").write_text(json.dumps(info))
    (tmp_path / "00_x.html").write_text("<html></html>")
    page = nr.write_index(tmp_path, [tmp_path / "00_x.py"]).read_text()
    assert page.index("The bottom line.") < page.index('class="cards"')
    assert '<p class="headline">SMD \u22120.22; P(benefit) 0.91</p>' in page and "<pre" not in page
