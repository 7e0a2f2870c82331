# %% [markdown]
# # The evidence as published
#
# **Question.** What did the three reviews pool, how, and are their printed figures
# consistent with each other?
#
# **Answer.** Barlow et al. 2015 pooled with DerSimonian–Laird random effects, Sleed et al.
# 2023 with REML; Huang et al. 2019 do not say. Most printed figures agree with each other;
# the audit flags a handful, among them Huang's P = .07, which its own confidence interval
# contradicts (p ≈ 0.002).
#
# Three reviews of parent–infant psychotherapy, what each pooled and how, every pooled
# result they report as one table, a consistency audit of those figures, and one sign
# convention for all of them. Nothing here is re-estimated: this is the evidence as a
# reader of the three documents meets it.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import evidence_lib as el

published = el.load_published()

# %% [markdown]
# ## 1. Three reviews, two ways of pooling
#
# - **Barlow et al. 2015** (Cochrane Database Syst Rev, CD010534; methods and analyses 1–2):
#   eight RCTs, 846 participants. RevMan 5.2, inverse-variance random effects — RevMan's
#   random effects are DerSimonian–Laird (DL), a moment estimator of τ².
# - **Sleed et al. 2023** (report for the Association of Child Psychotherapists; methods
#   and results): 77 studies, 5,660 caregivers, pooled with metafor `rma.uni` and REML.
# - **Huang et al. 2019** (J Affect Disord; methods and results): 13 RCTs, 1,141 dyads,
#   mother–infant psychotherapy for postpartum depression; the pooling method is not stated.
#
# How many results each contributes, and in which measures:

# %%
counts = el.result_counts(published, ["review", "measure"]).reset_index()
el.reader_table(counts.assign(measure=counts["measure"].replace("", "(no figures)")),
                ["review", "measure", "results", "with_figures"], table_id="counts",
                caption="Pooled results per review and measure")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
counts

# %%
el.reader_table(published.groupby("review")[["method"]].first().reset_index(), ["review", "method"],
                table_id="methods", caption="How each review pooled, as it says")

# %% [markdown]
# DL and REML agree when the studies are homogeneous and can differ when they are not. On the
# four mother–infant therapy trials of maternal depression in `data/trials/` (figures from the
# Metapsy database), both estimators side by side:

# %%
trials = el.load_trials("maternal_depression_continuous")
es = el.smd_table(trials)
fits = {m: el.random_effects(es, method=m) for m in ("DL", "REML")}
both = pd.concat({m: f.to_frame() for m, f in fits.items()}).droplevel(1)
el.reader_table(both, ["ci", "se", "tau2", "i2"], measure="SMD", index=True, table_id="dl_reml",
                caption="Four mother–infant therapy trials, maternal depression (SMD): DL and REML")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(both[["estimate", "tau2"]].round(4).to_string())

# %% [markdown]
# ## 2. Every pooled result
#
# One row per result reported in the three reviews (`data/published_results.csv`; the
# columns are described in `data/README.md`). Rows the reviews describe only in words show
# "–". Sleed reports CIs without point estimates; the CI midpoint (on the log scale for
# ratios) is used and flagged "estimate = CI midpoint".

# %%
shown = published.assign(label=el.tables.result_label(published))
el.reader_table(shown, ["label", "measure", "estimate_ci", "estimate_derived", "p_reported", "k", "n", "i2",
                        "favours_intervention"], table_id="published",
                caption="Every pooled result of the three reviews")

# %% [markdown]
# ## 3. A consistency audit
#
# Each figure is checked against the others it should agree with, with tolerances set by the
# printed precision: the SE implied by the CI, the p-value that SE implies against the
# printed p, the CI's symmetry on the analysis scale, and reported I²/τ² against Q and the CI.

# %%
audit = el.audit_published()
flags = audit[audit["verdict"] == "flag"]
el.sentence(f"{len(audit)} checks, {len(flags)} flags.")

# %%
flagged = flags.merge(published[["result_id", "review", "comparison", "outcome", "timepoint"]], on="result_id")
flagged = flagged.assign(label=el.tables.result_label(flagged))
el.reader_table(flagged, ["label", "check", "reported", "implied", "detail"], table_id="flags",
                caption="Figures that do not agree with each other")

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
harmonised = el.harmonise(published)
h = harmonised.table.assign(label=lambda d: d["review"].str.split().str[0] + ": " + d["outcome"]
                            + " (" + d["timepoint"].str.split(" (", regex=False).str[0] + ")")
unknown = published.set_index("result_id").loc[harmonised.unknown_direction]
el.sentence("Direction not determinable from the sources: "
            + ("; ".join(el.tables.result_label(unknown)) if len(unknown) else "none") + ".")

# %% tags=["main-figure"]
el.plots.harmonised(h, title="Every published result with figures, right = favours the therapy "
                             "(hollow square: estimate derived from the CI)")
plt.show()

# %% tags=["headline"]
el.sentence(f"{len(published)} pooled results ({published['ci_low'].notna().sum()} with figures); "
            f"consistency audit: {len(audit)} checks, {len(flags)} flags, among them Huang 2019's P = .07.")
