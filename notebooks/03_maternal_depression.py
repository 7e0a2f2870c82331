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
# # Maternal depression: the borderline result
#
# Three reviews pooled trials of parent–infant or mother–infant psychotherapy on maternal
# depression. One called its result "no difference", two called theirs significant. This
# notebook reads each result twice — as the review did (estimate, 95 % CI, p) and as a
# Bayesian hierarchical model of the same evidence — and asks what a careful reader may
# conclude.
#
# Everything is computed by `evidence_lib`; the published figures come from
# `data/published_results.csv`, each row with its source in the seed documents.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import evidence_lib as el
from evidence_lib import plots, priors, readings

pd.set_option("display.width", 160)
published = el.load_published()
depression = published[published["outcome"].str.contains("depression")
                       & published["measure"].eq("SMD")
                       & published["ci_low"].notna()]
depression = depression[depression["comparison"].str.contains("control")]
rows = {r["review"].split()[0]: r for _, r in depression.iterrows()}
list(rows)

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
# NBVAL_CHECK_OUTPUT
cols = ["review", "estimate_used", "estimate_derived", "ci_low", "ci_high", "p_reported", "k", "n",
        "i2", "favours_intervention", "method"]
print(depression[cols].to_string(index=False))

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
# NBVAL_CHECK_OUTPUT
freq = readings.readings_table(depression).set_index("review")
print(freq[["se", "z", "p_implied", "p_reported", "ci_excludes_null", "kh_ci_low", "kh_ci_high",
            "pi_low", "pi_high", "recon_tau2"]].round(4).to_string())

# %%
barlow = rows["Barlow"]
b = freq.loc["Barlow 2015"]
assert abs(b["se"] - 0.1225) < 5e-4          # golden_values.md: back-calculated SE 0.1225
assert abs(b["p_implied"] - 0.072) < 1e-3    # golden_values.md: two-sided p about 0.072
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
# NBVAL_CHECK_OUTPUT
summary = readings.summary_for_row(barlow)
exact = el.exact_posterior(summary, tau_prior=priors.half_normal(0.5))
cond_mean, cond_sd = exact.conditional_mu(np.sqrt(summary.tau2))
p_conditional = float(stats.norm.cdf(0, cond_mean, cond_sd))
print(f"tau_hat^2 = {summary.tau2:.4f}; mu | tau_hat ~ N({cond_mean:.4f}, {cond_sd:.4f}^2); "
      f"P(benefit | tau = tau_hat) = {p_conditional:.3f} = 1 - p/2 = {1 - b['p_implied'] / 2:.3f}")
assert abs(p_conditional - 0.964) < 1e-3          # the "posterior probability of benefit near 0.96"

# %% [markdown]
# ### Averaging over τ, under five prior sets
#
# A hierarchical model does not hold τ fixed: with k = 4 the data leave τ uncertain, and
# larger τ means a less certain μ. The prior sets:

# %%
for ps in readings.standard_prior_sets():
    print(f"- {ps.label}")

# %%
# NBVAL_CHECK_OUTPUT
cols = ["post_median", "cri_low", "cri_high", "p_benefit", "p_benefit_gt_0_2", "pred_low", "pred_high", "tau_median"]
barlow_priors = readings.readings_under_priors(barlow)
print("Barlow 2015, PIP vs control, SMD (negative favours PIP)")
print(barlow_priors[cols].round(3).to_string())

# %%
assert barlow_priors["p_benefit"].between(0.85, 0.96).all()
assert (barlow_priors["p_benefit"] < p_conditional).all()   # uncertainty about tau lowers P(benefit)
assert (barlow_priors["cri_high"] > 0).all()                 # every 95 % CrI, like the CI, includes 0
assert (barlow_priors["p_benefit_gt_0_2"] < 0.6).all()

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
# NBVAL_CHECK_OUTPUT
for name in ("Sleed", "Huang"):
    t = readings.readings_under_priors(rows[name], [readings.default_prior_set(),
                                                    readings.standard_prior_sets()[3]])
    print(name, rows[name]["measure"], "favours:", rows[name]["favours_intervention"])
    print(t[["post_median", "cri_low", "cri_high", "p_benefit", "p_benefit_gt_0_2"]].round(4).to_string())

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
fit = el.sample_posterior(summary, tau_prior=priors.half_normal(0.5), mu_prior=None,
                          draws=2500, tune=1000, chains=4, target_accept=0.99, random_seed=20150101)
el.assert_diagnostics(fit, var_names=["mu", "tau"])
print(el.compare_with_exact(fit, exact, params=("mu", "tau")).round(4).to_string())  # asserts < 4 MCSE

# %% [markdown]
# ## 5. Posterior and prior, and how P(benefit) moves with the tau prior

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
plots.posterior_density(exact, "mu", measure="SMD", favours="lower", ax=axes[0],
                        label="posterior of mu (half-normal(0.5) tau)")
axes[0].set_title("Barlow 2015: overall effect mu")
plots.posterior_density(exact, "tau", prior=priors.half_normal(0.5), measure="SMD", ax=axes[1])
axes[1].set_title("Barlow 2015: heterogeneity tau")
plt.show()

# %%
scales = np.geomspace(0.05, 2.0, 25)
curve = readings.p_benefit_by_tau_scale(barlow, scales)
ax = plots.probability_curve(scales, {"Barlow 2015, half-normal tau prior, flat mu": curve},
                             xlabel="scale of the half-normal prior on tau (SMD units)",
                             title="P(PIP reduces depression) as the tau prior widens")
ax.set_xscale("log")
plt.show()
assert curve.min() > 0.85 and curve.max() < 0.99
assert np.all(np.diff(curve) < 0)   # the wider the tau prior, the lower P(benefit)

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
