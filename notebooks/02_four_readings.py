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
# # Reading a pooled result four ways
#
# One outcome, four readings: the z-test and its CI; the Knapp–Hartung CI and the
# prediction interval; a Bayesian posterior under a weakly informative prior; and a Bayes
# factor. The data: four randomised trials of mother–infant (dyadic) therapy for postnatal
# depression, maternal depression score after treatment, figures from the open Metapsy
# database (`data/trials/`, each row cited). Arm 1 is the therapy arm, so a **negative** SMD
# means less depression with therapy.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import evidence_lib as el
from evidence_lib import plots, priors

pd.set_option("display.width", 160)
trials = el.load_trials("maternal_depression_continuous")
es = el.smd_table(trials)
# NBVAL_CHECK_OUTPUT
print(es.to_frame().round(4).to_string(index=False))

# %% [markdown]
# ## 1. z-test and 95 % CI (REML τ²)

# %%
# NBVAL_CHECK_OUTPUT
z = el.random_effects(es, method="REML", test="z")
print(z)

# %% [markdown]
# ## 2. Knapp–Hartung CI and prediction interval
#
# The z-test treats τ² as known. Knapp–Hartung rescales the SE by the weighted residual
# variance and uses t with k − 1 = 3 degrees of freedom; the prediction interval adds τ² to
# the uncertainty and describes where the effect of a new, similar trial may fall.

# %%
# NBVAL_CHECK_OUTPUT
kh = el.random_effects(es, method="REML", test="knha")
print(pd.DataFrame({
    "z test": [z.mu, z.ci_low, z.ci_high, z.pval, z.pi_low, z.pi_high],
    "Knapp-Hartung": [kh.mu, kh.ci_low, kh.ci_high, kh.pval, kh.pi_low, kh.pi_high],
}, index=["mu", "ci_low", "ci_high", "p", "pi_low", "pi_high"]).round(4).to_string())

# %% [markdown]
# ## 3. Bayesian posterior, weakly informative τ prior
#
# τ ~ half-normal(0.5), μ flat. The exact engine integrates μ analytically and τ
# numerically.

# %%
# NBVAL_CHECK_OUTPUT
post = el.exact_posterior(es, tau_prior=priors.half_normal(0.5))
print(post.summary(level=0.95).round(4).to_string())
print(f"P(benefit) = P(mu < 0) = {post.prob('mu', upper=0):.4f}")

# %%
plots.forest(es.labels, es.yi, es.vi, z, post, measure=es.measure, favours=es.favours,
             title="Mother-infant therapy vs control: maternal depression after treatment")
plt.show()

# %% [markdown]
# ### The REML answer is a Bayesian answer at one value of τ
#
# Given τ, the posterior of μ under a flat prior is normal with mean Σwᵢyᵢ/Σwᵢ and SD
# (Σwᵢ)^(−1/2), wᵢ = 1/(sᵢ² + τ²): exactly the REML estimate and SE when τ is the REML
# τ̂. The Bayesian reading differs only in averaging over τ instead of fixing it.

# %%
cond_mean, cond_sd = post.conditional_mu(np.sqrt(z.tau2))
print(f"REML: {z.mu:.6f} (SE {z.se:.6f}); posterior of mu given tau = tau_hat: {cond_mean:.6f} (SD {cond_sd:.6f})")
assert abs(cond_mean - z.mu) < 1e-8 and abs(cond_sd - z.se) < 1e-8

# %% [markdown]
# ## 4. Bayes factor for μ = 0
#
# A Bayes factor needs a proper prior on μ, and its value depends on that prior's width:
# the wider the prior, the more it spreads its predictions over implausibly large effects
# and the more the null is favoured (Lindley's paradox). Shown for a range of widths:

# %%
# NBVAL_CHECK_OUTPUT
bf = pd.DataFrame([
    {"mu prior": f"N(0, {sd}^2)",
     "BF01 (mu = 0 vs mu != 0)": el.exact_posterior(es, tau_prior=priors.half_normal(0.5),
                                                    mu_prior=(0.0, sd)).bayes_factor("mu")}
    for sd in (0.2, 0.5, 1.0, 2.0, 10.0)])
print(bf.round(3).to_string(index=False))

# %% [markdown]
# ## 5. What a flat τ prior does with k = 4
#
# An improper uniform prior on τ gives a proper posterior for k ≥ 3, but with four studies
# the likelihood of τ decays slowly, so the posterior keeps a long right tail: large
# heterogeneity stays plausible and μ's credible interval widens.

# %%
# NBVAL_CHECK_OUTPUT
flat = el.exact_posterior(es, tau_prior=priors.uniform_tau())
compare = pd.DataFrame({
    label: {"tau median": p.median("tau"), "tau 97.5 %": p.quantile("tau", 0.975),
            "mu 2.5 %": p.quantile("mu", 0.025), "mu 97.5 %": p.quantile("mu", 0.975),
            "P(benefit)": p.prob("mu", upper=0)}
    for label, p in {"half-normal(0.5)": post, "uniform (improper)": flat}.items()})
print(compare.round(4).to_string())
assert flat.quantile("tau", 0.975) > post.quantile("tau", 0.975)

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
plots.posterior_density(post, "tau", prior=priors.half_normal(0.5), ax=axes[0], label="half-normal(0.5) prior")
plots.posterior_density(flat, "tau", ax=axes[0], label="uniform prior", colour=plots.FREQ)
axes[0].set_title("posterior of tau")
plots.posterior_density(post, "mu", favours="lower", ax=axes[1], label="half-normal(0.5) prior")
plots.posterior_density(flat, "mu", favours="lower", ax=axes[1], label="uniform prior", colour=plots.FREQ)
axes[1].set_title("posterior of mu")
plt.show()
