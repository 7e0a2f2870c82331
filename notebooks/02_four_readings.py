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
import pandas as pd

import evidence_lib as el

trials = el.load_trials("maternal_depression_continuous")
es = el.smd_table(trials)
el.reader_table(es.to_frame().rename(columns={"label": "study", "n1": "n_arm1", "n2": "n_arm2"}),
                ["study", "yi", "sei", "n_arm1", "n_arm2", "instrument"], table_id="trials",
                caption="The four trials: SMD (Hedges' g) with its SE; negative = less depression with therapy")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
es.to_frame().round(4)

# %% [markdown]
# ## 1. z-test and 95 % CI (REML τ²)

# %%
z = el.random_effects(es, method="REML", test="z")
assert abs(z.estimate - -0.5360) < 1e-4 and abs(z.pval - 0.0153) < 1e-4
z

# %% [markdown]
# ## 2. Knapp–Hartung CI and prediction interval
#
# The z-test treats τ² as known. Knapp–Hartung rescales the SE by the weighted residual
# variance and uses t with k − 1 = 3 degrees of freedom; the prediction interval adds τ² to
# the uncertainty and describes where the effect of a new, similar trial may fall.

# %%
kh = el.random_effects(es, method="REML", test="knha")
assert kh.low < z.low and kh.high > 0
both = pd.concat([z.to_frame(), kh.to_frame()], ignore_index=True).assign(reading=["z test", "Knapp–Hartung"])
el.reader_table(both, ["reading", "ci", "pval", "pi"], table_id="tests",
                caption="The same REML fit, two tests: SMD [95 % CI], p and 95 % prediction interval")

# %% [markdown]
# ## 3. Bayesian posterior, weakly informative τ prior
#
# τ ~ half-normal(0.5), μ flat. The exact engine integrates μ analytically and τ
# numerically.

# %%
post = el.exact_posterior(es, tau_prior=el.priors.half_normal(0.5))
assert abs(post.prob("mu", upper=0) - 0.9791) < 1e-4
post

# %% tags=["main-figure"]
el.plots.forest(es, fit=z, post=post, title="Mother–infant therapy vs control: maternal depression after treatment")
plt.show()

# %% [markdown]
# ### The REML answer is a Bayesian answer at one value of τ
#
# Given τ, the posterior of μ under a flat prior is normal with mean Σwᵢyᵢ/Σwᵢ and SD
# (Σwᵢ)^(−1/2), wᵢ = 1/(sᵢ² + τ²): exactly the REML estimate and SE when τ is the REML
# τ̂. The Bayesian reading differs only in averaging over τ instead of fixing it.

# %%
cond_mean, cond_sd = post.conditional_mu(z.tau)
assert abs(cond_mean - z.estimate) < 1e-8 and abs(cond_sd - z.se) < 1e-8
el.sentence(f"REML: SMD {z.estimate:.4f} (SE {z.se:.4f}); posterior of μ given τ = τ̂: mean {cond_mean:.4f} "
            f"(SD {cond_sd:.4f}).")

# %% [markdown]
# ## 4. Bayes factor for μ = 0
#
# A Bayes factor needs a proper prior on μ, and its value depends on that prior's width:
# the wider the prior, the more it spreads its predictions over implausibly large effects
# and the more the null is favoured (Lindley's paradox). Shown for a range of widths:

# %%
bf = pd.DataFrame([{"mu_prior": f"N(0, {sd}²)", "bf_null": el.exact_posterior(
    es, tau_prior=el.priors.half_normal(0.5), mu_prior=(0.0, sd)).bayes_factor("mu")} for sd in (0.2, 0.5, 1.0, 2.0, 10.0)])
assert bf["bf_null"].iloc[-1] > 3 and (bf["bf_null"].iloc[:-1] < 1).all()  # wide enough, the prior favours the null
el.reader_table(bf, ["mu_prior", "bf_null"], table_id="bf",
                caption="The Bayes factor for no effect depends on the width of the prior of μ; a wide one favours the null "
                        "(Lindley's paradox)")

# %% [markdown]
# ## 5. What a flat τ prior does with k = 4
#
# An improper uniform prior on τ gives a proper posterior for k ≥ 3, but with four studies
# the likelihood of τ decays slowly, so the posterior keeps a long right tail: large
# heterogeneity stays plausible and μ's credible interval widens.

# %%
flat = el.exact_posterior(es, tau_prior=el.priors.uniform_tau())
assert flat.quantile("tau", 0.975) > post.quantile("tau", 0.975)
compare = pd.DataFrame([{"prior": label, "post_tau": p.median("tau"), "tau_upper": p.quantile("tau", 0.975),
                         "post_estimate": p.median("mu"), "cri_low": p.quantile("mu", 0.025),
                         "cri_high": p.quantile("mu", 0.975),
                         "p_benefit": p.prob("mu", upper=0)}
                        for label, p in {"half-normal(0.5)": post, "uniform (improper)": flat}.items()])
el.reader_table(compare, ["prior", "post_tau", "tau_upper", "cri", "p_benefit"], table_id="flat",
                caption="Two priors on τ with k = 4")

# %%
# the uniform prior's tail runs on (97.5 % quantile in the table): the τ panel stops at 1.5
el.plots.tau_prior_effect(post, flat, prior=el.priors.half_normal(0.5), tau_max=1.5)
plt.show()

# %% tags=["headline"]
el.sentence(f"REML SMD {z.estimate:.2f} (z-test 95 % CI {z.low:.2f} to {z.high:.2f}; Knapp–Hartung {kh.low:.2f} to "
            f"{kh.high:.2f}); P(benefit) {post.prob('mu', upper=0):.2f} with a half-normal(0.5) prior on τ, "
            f"{flat.prob('mu', upper=0):.2f} with a uniform one.")
