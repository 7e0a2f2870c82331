# %% [markdown]
# # Start here
#
# **Question.** When a meta-analysis reports a pooled effect with a 95 % confidence interval
# that crosses zero, is that "no effect"?
#
# **Answer.** Not necessarily. This notebook shows what a meta-analysis pools, what the
# between-study spread τ means, and what three reviews of parent–infant psychotherapy found;
# the next notebooks read each of their results a second time, as a probability that the
# therapy helps.
#
# This project takes three published meta-analyses of parent–infant psychotherapy and
# reads each pooled result twice: once as the review did (an estimate, a 95 % confidence
# interval, a p-value) and once as a Bayesian hierarchical model of the same evidence (a
# posterior distribution, a credible interval, the probability that the therapy helps).
# This notebook assumes basic statistics (means, standard errors, confidence intervals)
# and takes five minutes: what a meta-analysis pools, what τ means, what the reviews
# found, and how to run and change the notebooks.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

import evidence_lib as el
from evidence_lib.figures import palette, plots

published = el.load_published()

# %% [markdown]
# ## 1. What a meta-analysis pools
#
# Each trial reports one **effect estimate** with its **standard error**, for example a
# standardised mean difference (SMD: the difference in group means divided by their pooled
# SD) or a risk ratio. The meta-analysis combines these estimates, never the individual
# participants: it is a weighted average in which precise trials (small SE) count more.
#
# Trials differ in more than sampling error: populations, therapists, doses, measures. The
# **random-effects** model says so explicitly: each trial *i* has its own true effect θᵢ,
# the true effects scatter around an average μ with standard deviation **τ**, and trial *i*
# observes θᵢ with its own sampling error:
#
# yᵢ ~ Normal(θᵢ, SEᵢ²),  θᵢ ~ Normal(μ, τ²).
#
# The "pooled result" a review prints is an estimate of μ, the **average** effect. τ says
# how far the effect in a particular setting may sit from that average.

# %% [markdown]
# ## 2. What τ means, in one picture
#
# Suppose the average effect is μ = −0.22 (an SMD on a depression scale, so negative means
# less depression with therapy). The curves show where the true effects of individual
# trials would lie for three values of τ. With τ = 0.05 almost every setting benefits about
# equally; with τ = 0.4 a sizeable share of settings would see no benefit or harm, although
# the average is the same.

# %%
mu = -0.22
x = np.linspace(-1.4, 1.0, 400)
fig, ax = plots.subplots(figsize=(7.5, 4.6))
for tau, colour in zip([0.05, 0.2, 0.4], palette.CATEGORICAL):
    share = stats.norm.cdf(0, mu, tau)
    ax.plot(x, stats.norm.pdf(x, mu, tau), color=colour, lw=2,
            label=f"τ = {tau}: {share:.0%} of true effects below 0 (benefit)")
ax.axvline(0, color="black", lw=0.8)
ax.set_xlim(-1.4, 1.0)
ax.set_xlabel("true effect of therapy in one setting (SMD; negative = less depression)")
ax.set_ylabel("density")
ax.set_title("Same average effect μ = −0.22, three amounts of heterogeneity τ")
fig.legend(frameon=False, loc="outside lower center", ncols=1)
plt.show()

# %% [markdown]
# Two quantities are easily confused with τ. **I²** is the share of the observed scatter
# that is not sampling error: it is relative to how precise the trials are, so large trials
# can give a high I² with a small τ. And the **confidence interval** for μ says how well the
# *average* is known, not where individual settings lie; that is the job of the
# **prediction interval** (frequentist) or the **predictive interval** (Bayesian).

# %% [markdown]
# ## 3. What the three reviews found
#
# `el.load_published()` returns every pooled result printed in the three reviews, one row
# each, with its source. How many results each review reports, and how many with figures:

# %%
# NBVAL_CHECK_OUTPUT
counts = el.result_counts(published, "review")
counts.rename(columns={"results": "pooled results", "with_figures": "with figures"})

# %% [markdown]
# All three pooled maternal depression. The measures' sign conventions differ, so the
# column `favours_intervention` says which side favours therapy:

# %%
depression = published[published["outcome"].str.contains("depression") & published["ci_low"].notna()
                       & published["comparison"].str.contains("control", na=False)]
depression = depression.assign(label=el.tables.result_label(depression))
el.reader_table(depression, ["label", "estimate_ci", "k", "favours_intervention"], table_id="depression",
                caption="Maternal depression, therapy vs control, as published")

# %%
barlow = depression.set_index("result_id").loc["barlow2015_ctrl_depression_smd_post"]
assert (barlow["estimate_used"], barlow["ci_low"], barlow["ci_high"]) == (-0.22, -0.46, 0.02)
assert set(published["review"]) == {"Barlow 2015", "Huang 2019", "Sleed 2023"}
assert list(depression["measure"]) == ["SMD", "RR", "SMD", "SMD", "RR"]

# %% tags=["headline"]
print(f"{len(counts)} reviews, {counts['results'].sum()} pooled results "
      f"({counts['with_figures'].sum()} with figures); Barlow 2015 maternal depression "
      f"SMD {barlow['estimate_used']:.2f} (95 % CI {barlow['ci_low']:.2f} to {barlow['ci_high']:.2f})".replace("-", "−"))

# %% [markdown]
# Barlow's SMD of −0.22 (95 % CI −0.46 to 0.02) was reported as "no difference" because
# the interval crosses 0. Yet most of the interval lies on the side of benefit. The
# notebooks ask what the same evidence says when read as a posterior distribution, and how
# much that reading depends on the prior.
#
# ## 4. The notebooks, and how to run and change them
#
# | notebook | question |
# |---|---|
# | 01 evidence as published | what each review pooled and how; a consistency audit |
# | 02 reading a pooled result four ways | CI, p-value, credible interval, P(benefit) for one result |
# | 03 maternal depression | the borderline result under five prior sets, checked by MCMC |
# | 04 infant attachment with k = 2 | what two studies can and cannot say about τ |
# | 05 every result both readings | the whole table, where the readings disagree |
# | 06 Metapsy perinatal trials | the same questions from trial-level data |
# | 10–12 exercises | an SMD by hand; changing the τ prior; refitting a published summary |
#
# **Open** them with `bash scripts/lab.sh` (JupyterLab at the repository root). Each notebook is a pair:
# `NN_name.py` (the source, plain text, what git reviews) and `NN_name.ipynb` (the same
# cells with their outputs). Edit either one in JupyterLab; saving updates the other.
#
# **Change** something: edit a cell (for instance the prior scale in notebook 03), run it,
# and see what moves. To refresh the committed outputs after editing a `.py` outside
# JupyterLab, run `.venv/bin/evidence-lib run --update NN` (for example `... run --update 03`);
# it executes the notebook in a fresh kernel and also writes `reports/NN_name.html`.
#
# **Your own data**: `.venv/bin/evidence-lib readings --studies my_trials.csv --favours lower`
# reads a CSV of study effects (columns `study`, `yi`, `sei`), and `--summary my_results.csv`
# reads published pooled results; `evidence-lib readings --help` lists the columns.
#
# **Exercises**: the student versions of notebooks 10–12 are in `exercises/` at the top of
# the repository; the notebooks here hold the worked solutions.
