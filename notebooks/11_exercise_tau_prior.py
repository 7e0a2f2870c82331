# %% [markdown]
# # Exercise 11: how the prior on tau moves P(benefit)
#
# **Goal.** The Bayesian reading of a pooled result needs a prior for the between-study
# standard deviation τ. Change that prior for the borderline result of the project, Barlow
# 2015's maternal depression (SMD −0.22, 95 % CI −0.46 to 0.02, four trials, 356
# participants), and explain why the probability that the therapy helps goes up or down.
#
# Tools: `readings.read_row(row, prior_set)` gives both readings of one published row;
# `readings.PriorSet(label, tau_prior)` declares a prior set (μ stays flat);
# `priors.half_normal(scale)` is a half-normal prior on τ. Notebook 03 tells the full story;
# here you change one thing at a time.

# %%
import matplotlib.pyplot as plt
import numpy as np

import evidence_lib as el
from evidence_lib.figures import plots
from evidence_lib.bayes import priors
from evidence_lib.published import readings

published = el.load_published()
barlow = published[published["result_id"] == "barlow2015_ctrl_depression_smd_post"].iloc[0]
default = readings.read_row(barlow)
print(f"prior: {default['prior_set']}")
print(f"frequentist: p = {default['pval']:.3f} (two-sided, from the CI)")
print(f"Bayesian: P(benefit) = {default['p_benefit']:.3f}, 95 % CrI {default['cri_low']:.2f} to "
      f"{default['cri_high']:.2f}, posterior median tau {default['post_tau']:.3f}")

# %% [markdown]
# ## 1. A wider and a narrower prior on τ
#
# The default prior is half-normal with scale 0.5 (95 % of its mass below τ ≈ 1). Read the
# same row under a half-normal prior with scale **1.0** (more room for heterogeneity) and
# one with scale **0.1** (trials assumed nearly alike). Keep the two results of `read_row`
# as `wide` and `narrow`.

# %% tags=["solution"]
# HINT: build each prior set with readings.PriorSet("a label", priors.half_normal(scale)) and pass it as the second argument of readings.read_row.
wide = readings.read_row(barlow, readings.PriorSet("half-normal(1.0) tau, flat mu", priors.half_normal(1.0)))
narrow = readings.read_row(barlow, readings.PriorSet("half-normal(0.1) tau, flat mu", priors.half_normal(0.1)))
for name, r in [("narrow", narrow), ("default", default), ("wide", wide)]:
    print(f"{name:8s} P(benefit) {r['p_benefit']:.3f}  CrI {r['cri_low']:.2f} to {r['cri_high']:.2f}  "
          f"median tau {r['post_tau']:.3f}")

# %%
assert narrow["p_benefit"] > default["p_benefit"] > wide["p_benefit"]
assert narrow["post_tau"] < default["post_tau"] < wide["post_tau"]
width = {name: r["cri_high"] - r["cri_low"] for name, r in [("narrow", narrow), ("default", default), ("wide", wide)]}
assert width["narrow"] < width["default"] < width["wide"]

# %% [markdown]
# ## 2. The whole curve
#
# `readings.p_benefit_by_tau_scale(row, scales)` returns P(benefit) for a half-normal τ prior
# at each scale. Compute it for 30 scales from 0.01 to 2 (evenly spaced on a log axis) as
# `scales` and `curve`, and draw it with `plots.probability_curve`.

# %% tags=["solution"]
# HINT: np.geomspace(0.01, 2, 30) gives the scales; plots.probability_curve(scales, {"label": curve}, xlabel="...") draws; logx=True gives a log axis.
scales = np.geomspace(0.01, 2, 30)
curve = readings.p_benefit_by_tau_scale(barlow, scales)
ax = plots.probability_curve(scales, {"Barlow 2015 depression (half-normal prior on τ)": curve},
                             xlabel="scale of the half-normal prior on the between-study SD τ (SMD units)",
                             title="Probability that the therapy reduces depression", logx=True)
plt.show()

# %%
assert len(curve) == len(scales) == 30 and np.all(np.diff(curve) < 0)  # wider prior, lower P(benefit)

# %% [markdown]
# ## 3. The limit of a very narrow prior
#
# As the scale shrinks to 0, τ is forced to 0: every trial is assumed to estimate one common
# effect (the "equal-effects" or "fixed-effect" model). The frequentist equal-effects fit of
# the same reconstructed trials gives a one-sided p-value; with a flat prior on μ,
# P(benefit) at τ = 0 is 1 minus that one-sided p. Check that the left end of your curve
# approaches it.

# %%
summary = readings.summary_for_row(barlow)
equal_effects = el.random_effects(summary.yi, vi=summary.sei**2, method="EE")
limit = 1 - equal_effects.pval / 2
print(f"equal effects: SE {equal_effects.se:.4f} (random effects: {summary.se:.4f}); "
      f"P(benefit) at tau = 0: {limit:.4f}; curve at scale 0.01: {curve[0]:.4f}")
assert abs(curve[0] - limit) < 0.002

# %% [markdown] tags=["hint"]
# **Hint:** in a random-effects model the uncertainty about the average effect μ has two
# sources, the sampling error within trials and the spread τ between trials. What does a
# prior that allows larger τ do to the second source, and so to the width of the posterior
# of μ? Which side of 0 is most of that posterior on, and what happens to the tail on the
# other side when the posterior widens? Then say which prior you would defend for four
# trials of one kind of therapy, and why.

# %% [markdown] tags=["solution"]
# **Answer.** The posterior of μ stays centred near −0.22 whatever the τ prior; what
# changes is its width. A prior that allows larger τ lets the model attribute more of the
# scatter between trials to real differences between them, so the average effect is known
# less precisely: the credible interval widens, more of the posterior spills over 0 into
# harm, and P(benefit) falls. A narrow prior forces τ towards 0, treats the four trials as
# estimates of one common effect, narrows the posterior and raises P(benefit) towards the
# equal-effects value of section 3, which is higher than 1 − p/2 from the published
# random-effects CI precisely because it ignores the spread between trials. With four
# trials the data cannot pin τ down, so the prior matters, but over the whole curve
# P(benefit) stays high: the evidence leans towards benefit under every prior tried.
#
# A defensible choice is a weakly informative prior such as half-normal(0.5), or an
# empirical one (Rhodes et al. 2015 for mental-health outcomes, notebook 03), declared
# before looking at the result and shown with this sensitivity curve beside it. Remember
# what P(benefit) is *not*: the probability that therapy helps a given mother. It is about
# the average effect μ across trials like these, and it says nothing about whether the
# benefit is large enough to matter.
