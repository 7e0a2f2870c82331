# %% [markdown]
# # Maternal depression: the borderline result
#
# **Question.** Barlow et al. 2015 (Cochrane review, analysis 1.1) found an SMD of −0.22
# (95 % CI −0.46 to 0.02) for maternal depression and called it "no difference"; Sleed et al.
# 2023 and Huang et al. 2019 called theirs significant. What may a careful reader conclude?
#
# **Answer.** Read as a Bayesian hierarchical model, Barlow's evidence gives a probability
# that therapy reduces depression of 0.87 to 0.95 depending on the prior (0.96 if the
# heterogeneity is held at its estimate): benefit is likely, but a benefit larger than 0.2 SD
# is about a coin toss. The three reviews' intervals overlap heavily; "significant" and "not
# significant" mark where the interval ends fall, not different findings.
#
# Everything is computed by `evidence_lib`; the published figures come from
# `data/published_results.csv`, each row citing its source.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import evidence_lib as el

# %%
published = el.load_published()
depression = published[published["outcome"].str.contains("depression") & published["measure"].eq("SMD")
                       & published["ci_low"].notna() & published["comparison"].str.contains("control", na=False)]
rows = {r["review"].split()[0]: r for _, r in depression.iterrows()}
assert list(rows) == ["Barlow", "Sleed", "Huang"]

# %% [markdown]
# ## 1. The three results as published
#
# Sign conventions differ. Barlow and Huang report SMDs where a **negative** value means
# less depression in the therapy group; the Sleed report gives only a confidence interval
# (0.13 to 0.45) and states that depression improved, so there a **positive** value favours
# therapy. The column `favours_intervention` records this; every probability below is the
# probability of benefit in that direction. Sleed gives no point estimate: its estimate is
# the CI midpoint, marked as derived.

# %%
el.reader_table(depression, ["review", "estimate_ci", "estimate_derived", "p_reported", "k", "n", "i2",
                             "favours_intervention"], caption="Maternal depression, therapy vs control, SMD",
                table_id="published")

# %% [markdown]
# ## 2. The frequentist reading
#
# From the CI we recover the standard error, SE = (high − low) / (2 × 1.96), the z statistic
# and the two-sided p-value the CI implies. For Huang the printed P = .07 cannot come from
# that CI: −0.25 with CI −0.40 to −0.09 implies p ≈ 0.002 (notebook 01's audit flags it).
#
# Where the review reports k and enough to recover heterogeneity, the result is refitted from
# its summary (`from_published`: k pseudo-studies with one shared within-study variance that
# reproduce the estimate, its SE and Q exactly), which gives the Knapp–Hartung CI and the
# 95 % prediction interval for the effect in a new study. Barlow reports k = 4 and n = 356
# but no heterogeneity for this outcome, so the within-study variance comes from n.
# Sleed and Huang report no k for this analysis: only the pooled estimate can be read.

# %%
freq = el.readings_table(depression).set_index("review")
el.reader_table(freq, ["se", "pval", "p_reported", "ci_excludes_null", "kh_ci", "pi", "recon_tau2"],
                measure="SMD", index=True, caption="The frequentist reading (– : not recoverable from the summary)",
                table_id="frequentist")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(freq[["se", "pval"]].round(4).to_string())

# %%
barlow = rows["Barlow"]
b = freq.loc["Barlow 2015"]
assert abs(b["se"] - 0.1225) < 5e-4          # golden_values.md: back-calculated SE 0.1225
assert abs(b["pval"] - 0.072) < 1e-3    # golden_values.md: two-sided p about 0.072
assert not b["ci_excludes_null"]

# %% [markdown]
# ## 3. The Bayesian reading
#
# The hierarchical model is y_i ~ N(θ_i, s_i²), θ_i ~ N(μ, τ²). The exact engine integrates
# μ analytically and τ numerically (as R bayesmeta does), so these tables carry no Monte
# Carlo error.
#
# ### Holding τ at its estimate
#
# The published CI treats the heterogeneity estimate as known. The Bayesian posterior of μ
# *given* τ = τ̂ under a flat prior on μ is then N(−0.22, 0.1225²), and P(benefit) is simply
# 1 − p/2:

# %%
summary = el.summary_for_row(barlow)
exact = el.exact_posterior(summary, tau_prior=el.priors.half_normal(0.5))
cond_mean, cond_sd = exact.conditional_mu(np.sqrt(summary.tau2))
p_conditional = el.p_benefit_given_tau(exact, np.sqrt(summary.tau2), "lower")
assert abs(p_conditional - 0.964) < 1e-3          # the "posterior probability of benefit near 0.96"
assert abs(p_conditional - (1 - b["pval"] / 2)) < 1e-6
el.sentence(f"τ̂² = {summary.tau2:.4f}; μ given τ̂ is N({cond_mean:.3f}, {cond_sd:.3f}²); P(benefit | τ = τ̂) = "
            f"{p_conditional:.3f} = 1 − p/2.")

# %% [markdown]
# ### Averaging over τ, under five prior sets
#
# A hierarchical model does not hold τ fixed: with k = 4 the data leave τ uncertain, and
# larger τ means a less certain μ. The prior sets:

# %%
el.sentence("\n".join(f"{i}. {ps.label}" for i, ps in enumerate(el.standard_prior_sets(), 1)))

# %%
barlow_priors = el.readings_under_priors(barlow)
el.reader_table(barlow_priors, ["cri", "p_benefit", "p_benefit_beyond", "pred", "post_tau"], measure="SMD",
                index=True, caption="Barlow 2015, parent–infant psychotherapy vs control, SMD (negative favours "
                                    "therapy), under five prior sets", table_id="barlow_priors")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(barlow_priors[["p_benefit", "p_benefit_beyond"]].round(3).to_string())

# %%
assert barlow_priors["p_benefit"].between(0.85, 0.96).all()
assert (barlow_priors["p_benefit"] < p_conditional).all()   # uncertainty about tau lowers P(benefit)
assert (barlow_priors["cri_high"] > 0).all()                 # every 95 % CrI, like the CI, includes 0
assert (barlow_priors["p_benefit_beyond"] < 0.6).all()

# %% [markdown]
# Read across the rows: P(benefit) is between about 0.87 and 0.95 — high, but lower than the
# 0.96 obtained by holding τ at its estimate. The empirical Rhodes prior, which expects little
# heterogeneity for mental-health outcomes, gives the highest value; the flat prior, which
# leaves large τ plausible with only four studies, the lowest. The sceptical prior pulls the
# median towards zero. Under every prior the chance that the benefit exceeds 0.2 SD is near
# one half.

# %% [markdown]
# Sleed and Huang report no k for this analysis, so there is no heterogeneity to model: the
# Bayesian reading treats the pooled estimate as the likelihood for μ. The tau prior plays no
# part; only the μ prior matters (flat versus sceptical).

# %%
others = {name: el.readings_under_priors(rows[name], [el.default_prior_set(), el.standard_prior_sets()[3]])
          for name in ("Sleed", "Huang")}
both = pd.concat(others, names=["review", "prior set"]).reset_index()
both["row"] = both["review"] + ", " + both["prior set"]
el.reader_table(both.set_index("row"), ["cri", "p_benefit", "p_benefit_beyond"], measure="SMD", index=True,
                caption="Sleed 2023 (higher favours therapy) and Huang 2019 (lower favours therapy)",
                table_id="sleed_huang")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print(both.set_index("row")[["p_benefit", "p_benefit_beyond"]].round(4).to_string())

# %% [markdown]
# ## 4. Check the exact engine with MCMC
#
# The same model in PyMC (study effects integrated out, four chains, fixed seed). Its
# posterior median and P(benefit) must agree with the exact engine within Monte Carlo error,
# and the sampler diagnostics must be clean. With k = 4 the posterior of τ piles up near zero,
# where NUTS needs small steps: `target_accept=0.99`, the library's default, written out here
# (at 0.95, 1 of 10 seeds gave divergent transitions for this model; at PyMC's 0.8, all 10).
# 2,500 draws per chain, not the default 1,000: with about 1,000 effective draws, R-hat
# passes 1.01 by chance alone in about 1 run in 25 (4 of 102 seeded runs of this model).

# %%
fit = el.sample_posterior(summary, tau_prior=el.priors.half_normal(0.5), mu_prior=None,
                          draws=2500, tune=1000, chains=4, target_accept=0.99, random_seed=20150101)
el.assert_diagnostics(fit, var_names=["mu", "tau"])
check = el.compare_with_exact(fit, exact, params=("mu", "tau"))  # asserts |MCMC - exact| < 4 MCSE

# %% tags=["check"]
check.rename(columns={"mcmc": "MCMC", "exact": "exact engine", "mcse": "Monte Carlo SE",
                      "units": "(MCMC − exact) / MCSE"}).round(4)

# %%
el.sentence(f"MCMC agrees with the exact engine: the largest difference is {check['units'].abs().max():.1f} Monte "
            f"Carlo standard errors (the check fails beyond 4; the full report lists each quantity).")

# %% [markdown]
# ## 5. The two readings side by side, and how P(benefit) moves with the τ prior
#
# For each review: the posterior of the average effect (orange; half-normal(0.5) prior on τ,
# flat prior on μ) with the published estimate and 95 % CI above it (blue). The shaded area is
# P(benefit); the darker part, P(benefit larger than 0.2 SD), a small effect.

# %% tags=["main-figure"]
el.plots.two_readings_grid(depression, labels=[r if pd.isna(k) else f"{r} (k = {k})"
                                               for r, k in zip(depression["review"], depression["k"])],
                           title="Maternal depression, therapy vs control")
plt.show()

# %% [markdown]
# Barlow's heterogeneity prior, posterior of τ against its prior:

# %%
fig, ax = el.plots.subplots(figsize=(7, 3.6))
el.plots.posterior_density(exact, "tau", prior=el.priors.half_normal(0.5), measure="SMD", ax=ax,
                           label="posterior of τ")
ax.set_title("Barlow 2015: heterogeneity τ, posterior (orange) and half-normal(0.5) prior (grey)", fontsize=11)
plt.show()

# %% [markdown]
# The same reading of Barlow's result as the half-normal prior on τ widens (static small
# multiples; P(benefit) for a continuous range of scales follows):

# %%
fig, axes = el.plots.subplots(1, 4, figsize=(12.5, 3.6))
for ax, scale in zip(axes, (0.1, 0.25, 0.5, 1.0)):   # one x axis for all four, each curve to its edges
    el.plots.two_readings(el.exact_posterior(summary, tau_prior=el.priors.half_normal(scale)), estimate=-0.22,
                          ci=(-0.46, 0.02), measure="SMD", favours="lower", ax=ax, compact=True, xlim=(-1.4, 1.0),
                          title=f"τ ~ half-normal({scale:g}), flat μ")
plt.show()

# %% [markdown]
# In JupyterLab the slider below redraws the same figure for any scale of the half-normal
# prior on τ, from the exact engine (the HTML reports show the static panels above instead).

# %% tags=["interactive"]
def redraw(value=0.5):
    el.plots.two_readings(el.exact_posterior(summary, tau_prior=el.priors.half_normal(value)), estimate=-0.22,
                          ci=(-0.46, 0.02), measure="SMD", favours="lower", title="Barlow 2015: maternal depression",
                          prior_label=f"half-normal({value:.2g}) on τ, flat μ")
    plt.show()


el.plots.log_slider(redraw, value=0.5, low=0.05, high=2.0, description="τ scale");

# %%
scales = np.geomspace(0.05, 2.0, 25)
curve = el.p_benefit_by_tau_scale(barlow, scales)
ax = el.plots.probability_curve(scales, {"Barlow 2015 (half-normal prior on τ, flat prior on μ)": curve},
                                xlabel="scale of the half-normal prior on the between-study SD τ (SMD units)",
                                title="Probability that the therapy reduces depression,\nas the prior on "
                                      "heterogeneity widens", logx=True)
plt.show()
assert curve.min() > 0.85 and curve.max() < 0.99
assert np.all(np.diff(curve) < 0)   # the wider the tau prior, the lower P(benefit)

# %% tags=["headline"]
el.sentence(f"Barlow 2015: SMD −0.22 (95 % CI −0.46 to 0.02, p = {b['pval']:.2f}); "
            f"P(benefit) {barlow_priors['p_benefit'].min():.2f} to {barlow_priors['p_benefit'].max():.2f} under five "
            f"prior sets ({p_conditional:.2f} with τ held at its estimate); P(benefit > 0.2 SD) "
            f"{barlow_priors['p_benefit_beyond'].min():.2f} to {barlow_priors['p_benefit_beyond'].max():.2f}.")

# %% [markdown]
# ## 6. What a careful reader may and may not conclude
#
# - The Barlow result is not "no effect". Its CI runs from a moderate benefit (−0.46) to a
#   negligible harm (+0.02); the data are compatible with both.
# - "A posterior probability of benefit near 0.96" is true only if τ is held at its
#   estimate, which is what the published CI does. Once the hierarchical model carries the
#   uncertainty about τ that four studies leave, P(benefit) is 0.87 to 0.95 depending on the
#   prior: benefit is more likely than not, by a wide margin, but not "nearly certain". The
#   probability that the benefit exceeds 0.2 SD — a small effect — is close to a coin toss
#   under every prior.
# - "Significant" (Sleed, Huang) and "not significant" (Barlow) describe which side of an
#   arbitrary line the interval ends fall on, not different findings: the three intervals
#   overlap heavily.
# - P(benefit) is a statement about the average effect μ across trials like these, not the
#   probability that therapy helps a given mother; the predictive interval for a new study
#   is wider still and includes harm.
# - Sleed and Huang report no k for these analyses, so their heterogeneity cannot be
#   modelled from the summaries; their Bayesian readings are of the pooled estimate alone.
# - Huang's printed P = .07 is inconsistent with its own CI; a reader should not lean on it.
