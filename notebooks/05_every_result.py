# %% [markdown]
# # Every published result, read both ways
#
# **Question.** For every pooled result the three reviews report, do the frequentist reading
# (estimate, 95 % CI, p) and the Bayesian reading (posterior, 95 % CrI, P(benefit)) agree?
#
# **Answer.** Mostly yes: of the 25 results with figures the readings disagree on 5. Where
# they disagree it is always the same pattern: a CI that just touches or crosses "no effect"
# while the posterior puts 90 % or more of its mass on benefit (Barlow 2015's maternal
# depression is the prime case: SMD −0.22, 95 % CI −0.46 to 0.02, P(benefit) 0.91). The Bayesian reading adds what the
# CI does not give: the probability of benefit and the range for a new study.
#
# One table and one figure for every pooled result in `data/published_results.csv`: the
# frequentist CI and verdict next to the Bayesian CrI, P(benefit) and predictive interval,
# all under one declared default prior set: τ ~ half-normal(0.5) on the analysis scale (SMD
# or log ratio), a weakly informative choice (Röver et al. 2021, Res Synth Methods 12:448)
# that puts 95 % of its mass below τ = 0.98, and a flat prior on μ, so the location is read
# from the data alone. Rows where the two readings disagree in
# substance are marked and discussed at the end. The table is written to
# `reports/readings.csv` (columns described in `data/README.md`).

# %%
import matplotlib.pyplot as plt

import evidence_lib as el

prior_set = el.default_prior_set()
table = el.readings_table(prior_set=prior_set)
el.write_atomic(el.REPORTS_DIR / "readings.csv", table.to_csv(index=False), make_folder=True)  # whole or not at all
published = el.load_published()
assert len(table) == len(published)            # every published result has a row

# %%
el.sentence(f"{len(table)} published results; {table['post_estimate'].notna().sum()} with figures to read; "
            f"{int(table['readings_disagree'].sum())} where the readings disagree (prior set: {prior_set.label}).")

# %%
table["label"] = el.tables.result_label(table)
with_figures = table[table["post_estimate"].notna()]
el.reader_table(with_figures, ["label", "measure", "estimate_ci", "pval", "cri", "p_benefit", "pred",
                                   "readings_disagree"], table_id="readings",
                    caption=f"Both readings of every result with figures ({prior_set.label})")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(with_figures[["result_id", "post_estimate", "p_benefit"]].round(3).to_string(index=False))

# %% [markdown]
# Results the reviews describe only in words ("no significant differences") carry no figures
# to read; they are listed so that the table is complete, not silently shortened:

# %%
words_only = table[table["post_estimate"].isna()]
el.reader_table(words_only, ["label", "reading_note"], table_id="words_only",
                    caption="Results reported in words only")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(table[table["post_estimate"].isna()][["result_id", "reading_note"]].to_string(index=False))

# %% [markdown]
# The published 95 % CI (blue) and the 95 % CrI (orange) of every result with figures, one
# panel per measure and direction, so that each axis says which side favours therapy
# ("‹ disagree" marks the rows where the readings disagree). For five of Barlow's SMDs the
# review does not say which direction favours therapy; they are drawn without sides.

# %% tags=["main-figure"]
marked = with_figures.assign(label=with_figures["label"].str.replace(r" \(PIP vs control, ", " (", regex=True)
                             + with_figures["readings_disagree"].map({True: "  ‹ disagree", False: ""}))
for (measure, favours), part in marked.groupby(["measure", "favours_intervention"], sort=False):
    side = {"lower": "lower favours therapy", "higher": "higher favours therapy"}.get(favours, "direction not stated")
    el.plots.interval_comparison(part, measure=measure, favours=favours if favours != "unknown" else None,
                              title=f"{measure}, {side}: published 95 % CI vs 95 % CrI")
    plt.show()

# %% [markdown]
# ## Each result as a probability
#
# The posterior of the average effect for every result with figures, with the published
# estimate and 95 % CI above it; shaded: P(benefit), darker: P(benefit beyond a minimal
# important difference of 0.2 SD or a ratio of 1.25).

# %%
published_rows = published.set_index("result_id").loc[with_figures["result_id"]].reset_index()
short = with_figures["outcome"] + " (" + with_figures["timepoint"].str.split(" (", regex=False).str[0] + ")"
for review, rows in published_rows.groupby("review", sort=False):
    el.plots.two_readings_grid(rows, labels=short[with_figures["review"].to_numpy() == review].tolist(),
                            prior_set=prior_set, title=review)
    plt.show()

# %% [markdown]
# ## Where the readings disagree

# %%
disagree = table[table["readings_disagree"]]
el.reader_table(disagree, ["label", "estimate_ci", "pval", "p_reported", "cri", "p_benefit"],
                    table_id="disagree", caption="Results where the two readings disagree")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(disagree[["result_id", "p_benefit"]].round(4).to_string(index=False))

# %%
barlow_dep = table.set_index("result_id").loc[
    [r for r in table["result_id"] if "barlow" in r and "depression" in r and "smd" in r][0]]
assert bool(barlow_dep["readings_disagree"])     # the borderline case is flagged
sleed_behaviour = table.set_index("result_id").loc["sleed2023_infant_behaviour_post"]
assert bool(sleed_behaviour["readings_disagree"]) and sleed_behaviour["ci_low"] == 0.0
assert 0.90 < barlow_dep["p_benefit"] < 0.93     # notebook 03: 0.913 under the default prior set
secure = table.set_index("result_id").loc["barlow2015_ctrl_secure_post"]
assert secure["k"] == 2 and secure["kh_ci_low"] < 1e-4 and secure["kh_ci_high"] > 1e6  # see below

# %% tags=["headline"]
el.sentence(f"{len(table)} published results, {len(with_figures)} with figures; the readings disagree on "
            f"{len(disagree)}, all borderline CIs with P(benefit) ≥ {el.BORDERLINE_P}; Barlow 2015 maternal "
            f"depression P(benefit) {barlow_dep['p_benefit']:.2f}.")

# %% [markdown]
# Under the default prior set every disagreement is of one kind: a **borderline interval**.
# A CI that just crosses the null (Barlow's maternal depression, as an SMD and as a risk
# ratio, and two attachment-change results; Sleed's infant behaviour, whose CI starts exactly
# at 0.00 and which the report calls significant with p = 0.04) sits on or across the line of
# "no difference", while the posterior
# puts 90 % or more of its mass on benefit (`BORDERLINE_P` in `evidence_lib.published.readings`). Neither reading is
# wrong; they answer different questions. The p-value asks how surprising the data would be
# with no effect; P(benefit) asks how plausible benefit is, given the data and the prior.
#
# The opposite pattern — a CI that excludes the null while the CrI does not — appears with
# few studies and a vague heterogeneity prior: in notebook 04 the secure-attachment RR
# (k = 2) keeps a CrI above 1 under half-normal priors but not under half-Cauchy(1). The
# frequentist random-effects CI treats τ² as known; the Bayesian model carries its
# uncertainty into the pooled effect, and with k = 2 the prior decides how much. The
# Knapp–Hartung interval shows the same thing without a prior: with k = 2 it uses t with one
# degree of freedom (97.5 % quantile 12.71), so for the secure-attachment RR of 8.93 (CI 1.25
# to 63.70) it runs from 0.00003 to about 3 million (`kh_ci_low`, `kh_ci_high` in
# `reports/readings.csv`). The arithmetic is right; two studies cannot tell how much the
# effect varies between studies.
#
# Where the CI and CrI agree, the Bayesian reading adds the probability of a benefit of a
# given size and the predictive interval for a new study, which the published CI does not
# give. Rows with no figures are kept, with "nothing to read", so the table covers every
# result the reviews report.
