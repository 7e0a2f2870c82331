# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The evidence as published
#
# Three reviews of parent–infant psychotherapy, what each pooled and how, every pooled
# result they report as one table, a consistency audit of those figures, and one sign
# convention for all of them. Nothing here is re-estimated: this is the evidence as a
# reader of the three documents meets it.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import evidence_lib as el
from evidence_lib import plots, readings

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 70)
published = el.load_published()

# %% [markdown]
# ## 1. Three reviews, two ways of pooling
#
# - **Barlow et al. 2015** (Cochrane CD010534; summarised in seed files 002 and 003): eight
#   RCTs, 846 participants. RevMan 5.2, inverse-variance random effects — RevMan's random
#   effects are DerSimonian–Laird (DL), a moment estimator of τ².
# - **Sleed et al. 2023** (report for the Association of Child Psychotherapists; seeds 000
#   and 001): 77 studies, 5,660 caregivers, pooled with metafor `rma.uni` and REML.
# - **Huang et al. 2019** (J Affect Disord; seed 004): 13 RCTs, 1,141 dyads, mother–infant
#   psychotherapy for postpartum depression; method not stated in the seed.
#
# How many results each contributes, and in which measures:

# %%
# NBVAL_CHECK_OUTPUT
print(el.result_counts(published, ["review", "measure"]).to_string())

# %%
# NBVAL_CHECK_OUTPUT
print(published.groupby("review")["method"].first().to_string())

# %% [markdown]
# DL and REML agree when the studies are homogeneous and can differ when they are not. On the
# four mother–infant therapy trials of maternal depression in `data/trials/` (figures from the
# Metapsy database), both estimators side by side:

# %%
# NBVAL_CHECK_OUTPUT
trials = el.load_trials("maternal_depression_continuous")
es = el.smd_table(trials)
fits = {m: el.random_effects(es, method=m) for m in ("DL", "REML")}
print(pd.DataFrame({m: {"mu": f.mu, "se": f.se, "ci_low": f.ci_low, "ci_high": f.ci_high, "tau2": f.tau2,
                        "i2": f.i2} for m, f in fits.items()}).round(4).to_string())

# %% [markdown]
# ## 2. Every pooled result
#
# One row per result reported in the seed documents (`data/published_results.csv`; the
# columns are described in `data/README.md`). Rows the documents describe only in words keep
# empty numeric cells. Sleed reports CIs without point estimates; the CI midpoint (on the log
# scale for ratios) is used and flagged `estimate_derived`.

# %%
cols = ["result_id", "measure", "estimate", "ci_low", "ci_high", "p_reported", "k", "n", "i2",
        "favours_intervention", "reported_as"]
published[cols]

# %% [markdown]
# ## 3. A consistency audit
#
# Each figure is checked against the others it should agree with, with tolerances set by the
# printed precision: the SE implied by the CI, the p-value that SE implies against the
# printed p, the CI's symmetry on the analysis scale, and reported I²/τ² against Q and the CI.

# %%
audit = el.audit_published()
flags = audit[audit["verdict"] == "flag"]
# NBVAL_CHECK_OUTPUT
print(f"{len(audit)} checks, {len(flags)} flags")
print(flags[["result_id", "check", "reported", "implied", "detail"]].to_string(index=False))

# %%
huang = flags[flags["result_id"].str.contains("huang") & flags["check"].str.contains("p")]
assert len(huang) >= 1, "the Huang P = .07 inconsistency must be flagged"

# %% [markdown]
# The flag that matters most for what follows: Huang et al. print **P = .07** for an SMD of
# −0.25 with 95 % CI −0.40 to −0.09. That CI implies SE ≈ 0.079 and p ≈ 0.002. One of the
# figures is wrong; the CI is internally consistent with the estimate, so the notebooks read
# the CI and report the printed p alongside.

# %% [markdown]
# ## 4. One direction for every result
#
# The reviews disagree on sign. A negative SMD favours therapy for depression in Barlow; the
# Sleed report's depression CI is positive and it says depression improved; for attachment
# categories an RR above 1 favours therapy for "secure" and below 1 for "disorganised".
# `favours_intervention` records the direction for each row, with `direction_basis` saying
# how we know. `readings.harmonise` puts every result on one benefit scale (SMD or log ratio,
# sign set so that positive favours the intervention); rows whose direction the documents do
# not settle are left out and listed, not guessed.

# %%
harmonised = readings.harmonise(published)
h = harmonised.table.assign(label=lambda d: d["review"].str.split().str[0] + ": " + d["outcome"]
                            + " (" + d["timepoint"] + ")")
print("direction not determinable from the sources:", harmonised.unknown_direction)
plots.harmonised(h, title="Every published result on one benefit scale (hollow: estimate derived from the CI)")
plt.show()
