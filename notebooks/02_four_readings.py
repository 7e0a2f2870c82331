# %% [markdown]
# # Reading a pooled result four ways
#
# **Question.** Four randomised trials of mother–infant therapy for postnatal depression:
# how do a confidence interval, a prediction interval, a posterior distribution and a Bayes
# factor read the same four numbers?
#
# **Answer.** All four say the average effect most likely favours therapy (REML SMD about
# −0.54, posterior probability of benefit about 0.98 under a weakly informative prior), but
# they differ on how sure to be: the Knapp–Hartung CI and the prediction interval include no
# effect, and the Bayes factor depends on the width of its prior more than on the data.
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
from evidence_lib.figures import palette, plots
from evidence_lib.bayes import priors

trials = el.load_trials("maternal_depression_continuous")
es = el.smd_table(trials)
# NBVAL_CHECK_OUTPUT
es.to_frame().round(4)

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
pd.DataFrame({
    "z test": [z.estimate, z.low, z.high, z.pval, z.pi_low, z.pi_high],
    "Knapp–Hartung": [kh.estimate, kh.low, kh.high, kh.pval, kh.pi_low, kh.pi_high],
}, index=["μ", "95 % CI low", "95 % CI high", "p", "95 % PI low", "95 % PI high"]).round(4)

# %% [markdown]
# ## 3. Bayesian posterior, weakly informative τ prior
#
# τ ~ half-normal(0.5), μ flat. The exact engine integrates μ analytically and τ
# numerically.

# %%
# NBVAL_CHECK_OUTPUT
post = el.exact_posterior(es, tau_prior=priors.half_normal(0.5))
print(f"P(benefit) = P(mu < 0) = {post.prob('mu', upper=0):.4f}")
post.parameters(level=0.95).round(4)

# %% tags=["main-figure"]
plots.forest(es, fit=z, post=post, title="Mother–infant therapy vs control: maternal depression after treatment")
plt.show()

# %% [markdown]
# ### The REML answer is a Bayesian answer at one value of τ
#
# Given τ, the posterior of μ under a flat prior is normal with mean Σwᵢyᵢ/Σwᵢ and SD
# (Σwᵢ)^(−1/2), wᵢ = 1/(sᵢ² + τ²): exactly the REML estimate and SE when τ is the REML
# τ̂. The Bayesian reading differs only in averaging over τ instead of fixing it.

# %%
cond_mean, cond_sd = post.conditional_mu(np.sqrt(z.tau2))
print(f"REML: {z.estimate:.6f} (SE {z.se:.6f}); posterior of mu given tau = tau_hat: {cond_mean:.6f} (SD {cond_sd:.6f})")
assert abs(cond_mean - z.estimate) < 1e-8 and abs(cond_sd - z.se) < 1e-8

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
bf.round(3)

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
    label: {"τ median": p.median("tau"), "τ 97.5 %": p.quantile("tau", 0.975),
            "μ 2.5 %": p.quantile("mu", 0.025), "μ 97.5 %": p.quantile("mu", 0.975),
            "P(benefit)": p.prob("mu", upper=0)}
    for label, p in {"half-normal(0.5)": post, "uniform (improper)": flat}.items()})
assert flat.quantile("tau", 0.975) > post.quantile("tau", 0.975)
compare.round(4)

# %%
tau_max = 1.5   # the uniform prior's tail runs on (97.5 % quantile in the table); the comparison is below 1.5
fig, axes = plots.subplots(1, 2, figsize=(12, 4.4))
plots.posterior_density(post, "tau", prior=priors.half_normal(0.5), ax=axes[0], upper=tau_max,
                        label="posterior, half-normal(0.5) prior")
plots.posterior_density(flat, "tau", ax=axes[0], upper=tau_max, label="posterior, uniform prior",
                        colour=palette.CATEGORICAL[1])
axes[0].set_title("between-study SD τ", loc="left")
axes[0].annotate(f"uniform: {flat.prob('tau', lower=tau_max):.0%} of the\nposterior lies beyond τ = {tau_max}",
                 xy=(0.97, 0.55), xycoords="axes fraction", ha="right", fontsize=10, color=palette.CATEGORICAL[1])
span = (-2.5, 1.5)   # both curves to the edges; the uniform prior's tails reach beyond ±6
plots.posterior_density(post, "mu", favours="lower", ax=axes[1], label="half-normal(0.5) prior on τ", span=span)
plots.posterior_density(flat, "mu", favours="lower", ax=axes[1], label="uniform prior on τ", span=span,
                        colour=palette.CATEGORICAL[1])
axes[1].set_title("average effect μ", loc="left")
plt.show()

# %% tags=["headline"]
print(f"REML SMD {z.estimate:.2f} (z-test 95 % CI {z.low:.2f} to {z.high:.2f}; Knapp–Hartung {kh.low:.2f} to "
      f"{kh.high:.2f}); P(benefit) {post.prob('mu', upper=0):.2f} (half-normal(0.5) τ), "
      f"{flat.prob('mu', upper=0):.2f} (uniform τ)".replace("-", "−"))
