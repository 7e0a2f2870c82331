# %% [markdown]
# # Infant attachment: what two studies can and cannot tell us
#
# **Question.** Barlow et al. 2015 report that parent–infant psychotherapy made secure
# attachment more likely, RR 8.93 from two studies. What can two studies say, and how much
# does the answer depend on the prior for the between-study spread τ?
#
# **Answer.** The direction is well supported: P(benefit) stays above 0.9 under every proper
# τ prior tried. The size is not: the upper end of the 95 % credible interval moves by a
# factor of several between a tight and a vague τ prior. The review's printed τ² = 3.71 does
# not follow from its own CI, k and Chi² (they imply about 1.47).
#
# Barlow et al. 2015 report that infants whose parents received parent–infant psychotherapy
# were more often securely attached after the intervention: RR 8.93, 95 % CI 1.25 to 63.70,
# from **two** studies with high heterogeneity (Chi² 3.71, df 1, I² 73 %). This notebook asks
# what k = 2 can identify, how much the prior on the between-study SD τ decides the answer,
# and whether the heterogeneity the review printed is consistent with its other figures.

# %%
import matplotlib.pyplot as plt

import evidence_lib as el

published = el.load_published()
attachment = published[published["review"].str.startswith("Barlow") & published["comparison"].str.contains("control")
                       & published["outcome"].str.contains("attachment") & published["measure"].eq("RR")
                       & published["ci_low"].notna()]
assert len(attachment) == 12                     # 8 categories (post, follow-up) + 4 change outcomes

# %%
el.reader_table(attachment.assign(q=attachment["q"].astype(float)),
                ["outcome", "timepoint", "estimate_ci", "k", "n", "q", "i2", "tau2_reported",
                 "favours_intervention"], measure="RR", table_id="attachment",
                caption="Barlow 2015, infant attachment, parent–infant psychotherapy vs control (RR)")

# %% [markdown]
# ## 1. The reconstruction and the printed τ²
#
# `from_published` rebuilds the random-effects likelihood from the estimate, the CI, k and Q
# under one stated approximation: both studies share one within-study variance s². Then
# SE² = (s² + τ²)/k and τ̂² = s²(Q − (k − 1))/(k − 1), which gives s² and τ̂². The review
# printed τ² = 3.71 — the same number as its Chi². The figures below show what τ² the
# estimate, CI, k and Q imply.

# %%
secure = attachment.set_index("result_id").loc["barlow2015_ctrl_secure_post"]
summary = el.summary_for_row(secure)
assert abs(summary.i2 - 73) < 0.5                # golden: I^2 73 % printed in Barlow 2015, analysis 1.4
assert abs(summary.tau2 - 1.47) < 0.01   # notebook 01's audit: any variance split gives 1.47 to 1.59
assert summary.tau2 < 1.6 < secure["tau2_reported"]  # the printed 3.71 is not the tau^2 these figures imply
el.sentence(f"{summary.note} Pooled SE (log RR) {summary.se:.3f}; s² {summary.s2:.3f}; Q {summary.q:.2f}; "
            f"I² {summary.i2:.1f} %; implied τ² {summary.tau2:.2f}; printed τ² {secure['tau2_reported']}.")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(f"{summary.se:.4f} {summary.s2:.4f} {summary.q:.2f} {summary.i2:.1f} {summary.tau2:.4f}")

# %% [markdown]
# The implied τ² is 1.47, less than half of 3.71, and the audit in notebook 01 shows that no
# split of the two studies' within-study variances gets beyond 1.59. The printed τ² is most
# likely a slip that repeats the Chi². Either way, with k = 2 the data say little about τ —
# which is the point of the next section.

# %% [markdown]
# ## 2. With two studies, the τ prior decides
#
# Two study estimates give one degree of freedom for heterogeneity. The posterior of τ is
# therefore close to its prior, and because the pooled RR's uncertainty grows with τ, the
# prior on τ also decides how wide the credible interval for the RR is. Four proper priors on
# τ (log-RR scale), from tight to vague:

# %%
tau_priors = {
    "half-normal(0.5)": el.priors.half_normal(0.5),
    "half-normal(1.0)": el.priors.half_normal(1.0),
    "Turner 2015, mental health, non-pharm. vs control": el.priors.turner2015(
        "mental health indicators", "non-pharmacological vs. placebo / control"),
    "half-Cauchy(1.0)": el.priors.half_cauchy(1.0),
}
sets = [el.PriorSet(f"{name} tau, flat mu", p) for name, p in tau_priors.items()]

# %%
by_prior = el.readings_under_priors(secure, sets)
el.reader_table(by_prior, ["post_tau", "cri", "p_benefit", "pred"], measure="RR", index=True,
                table_id="by_prior", caption="Secure attachment after the intervention, RR (higher favours "
                                             "therapy), under four τ priors")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(by_prior[["cri_high", "p_benefit"]].round(3).to_string())

# %%
assert (by_prior["p_benefit"] > 0.9).all()
assert by_prior["cri_high"].iloc[-1] > 3 * by_prior["cri_high"].iloc[0]  # the vaguer prior, the wider

# %%
titles = ["half-normal(0.5)", "half-normal(1.0)", "Turner 2015 (mental health,\nnon-pharmacological vs control)",
          "half-Cauchy(1.0)"]
panels = {title: (el.exact_posterior(summary, tau_prior=prior), prior) for title, prior in zip(titles, tau_priors.values())}
el.plots.tau_posterior_grid(panels, measure="RR", upper=4.0,
                            title="Secure attachment, k = 2: the posterior of τ stays close to its prior")
plt.show()

# %% [markdown]
# An improper uniform prior on τ is no option here: with k = 2 the marginal likelihood of τ
# decays like 1/τ, so the posterior cannot be normalised. The engine refuses rather than
# return a number:

# %%
try:
    el.exact_posterior(summary, tau_prior=el.priors.uniform_tau())
except ValueError as err:
    refused = el.sentence(f"The exact engine refuses the uniform prior here: *{err}*")
else:
    raise AssertionError("an improper posterior must be refused")
refused

# %% [markdown]
# ## 3. All attachment results, both readings
#
# The same reading for every attachment RR the review reports, under the default prior set
# (half-normal(0.5) on τ, flat μ). Where the review reports Q, the reconstruction uses it;
# where it does not, only the pooled estimate can be read and the note says so.

# %%
table = el.readings_table(attachment)
table["label"] = table["outcome"].str.replace("infant attachment category: ", "") + " (" + table["timepoint"] + ")"
el.reader_table(table, ["label", "estimate_ci", "cri", "p_benefit", "readings_disagree"], table_id="all",
                caption="Every attachment RR of Barlow 2015, both readings (half-normal(0.5) τ, flat μ)")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(table[["result_id", "p_benefit"]].round(3).to_string(index=False))

# %% tags=["main-figure"]
for favours, part in table.groupby("favours_intervention", sort=False):
    el.plots.interval_comparison(part, measure="RR", favours=favours,
                                 title=f"Barlow 2015 attachment RRs where {favours} values favour therapy: "
                                       "published 95 % CI vs 95 % CrI")
    plt.show()

# %% [markdown]
# ## 4. The binomial model needs counts we do not have
#
# With event counts per arm, the binomial–normal model (`el.sample_binomial`) would use the
# exact likelihood and need no continuity correction — the right tool for sparse attachment
# categories. The study-level counts behind these RRs are not in the three reviews, and the
# leads we followed give percentages of completers without denominators
# (`data/trials/LEADS_NOT_USED.md`). We do not reconstruct counts from percentages, so this
# model is not fitted here; `tests/test_pymc_models.py` checks it on a zero-event example.
#
# %% tags=["headline"]
el.sentence(f"Secure attachment RR 8.93 (95 % CI 1.25 to 63.70, k = 2): P(benefit) "
            f"{el.tables.fmt_prob(by_prior['p_benefit'].min())} to {el.tables.fmt_prob(by_prior['p_benefit'].max())} "
            f"under four τ priors; upper end of the 95 % CrI {by_prior['cri_high'].min():.0f} to "
            f"{by_prior['cri_high'].max():.0f}; implied τ² {summary.tau2:.2f} against the printed 3.71.")

# %% [markdown]
# ## What to take away
#
# - RR 8.93 from two studies is a signal of benefit whose size is not identified: the CrI's
#   upper end moves by a factor of several with a reasonable change of τ prior.
# - P(benefit) stays high under every proper prior: the direction is better supported than
#   the size.
# - The printed τ² = 3.71 does not follow from the review's own CI, k and Chi²; treat it as
#   a reporting slip until the study data show otherwise.
