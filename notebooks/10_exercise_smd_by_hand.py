# %% [markdown]
# # Exercise 10: one trial's standardised mean difference, by hand
#
# **Goal.** Every pooled SMD in the reviews starts from numbers like these: two group
# means, two standard deviations, two sample sizes. Compute the effect size and its
# standard error yourself, then check your answer against the library (`el.smd`, which
# reproduces R metafor's `escalc`).
#
# **The trial.** Cooper et al. 2003 (Br J Psychiatry 182:412–419) randomised women with
# postnatal depression to one of three brief home-based therapies or to routine primary
# care. We take the psychodynamic arm against routine care, Edinburgh Postnatal Depression
# Scale (EPDS; higher = more depressive symptoms) at the end of treatment. The figures are
# those recorded in the Metapsy database of psychotherapy trials for depression (Cuijpers
# et al., Metapsy project, DOI 10.5281/zenodo.7254845; `data.csv`, row id 128).
#
# | arm | n | mean EPDS | SD |
# |---|---|---|---|
# | psychodynamic therapy | 45 | 8.9 | 4.2 |
# | routine care (control) | 50 | 11.3 | 4.8 |

# %%
import numpy as np

import evidence_lib as el

therapy = {"n": 45, "mean": 8.9, "sd": 4.2}
control = {"n": 50, "mean": 11.3, "sd": 4.8}

# %% [markdown]
# ## 1. Pooled standard deviation and Cohen's d
#
# The two groups' SDs are combined into one, each weighted by its degrees of freedom:
# s_p² = ((n₁ − 1)·sd₁² + (n₂ − 1)·sd₂²) / (n₁ + n₂ − 2). Cohen's d is the difference in
# means (therapy minus control) divided by s_p. Store them as `s_pooled` and `d`.

# %% tags=["solution"]
# HINT: `therapy["sd"] ** 2` is the therapy arm's variance; `np.sqrt` takes the square root. Name the results `s_pooled` and `d`.
n1, n2 = therapy["n"], control["n"]
s_pooled = np.sqrt(((n1 - 1) * therapy["sd"] ** 2 + (n2 - 1) * control["sd"] ** 2) / (n1 + n2 - 2))
d = (therapy["mean"] - control["mean"]) / s_pooled
print(f"s_pooled = {s_pooled:.4f}, d = {d:.4f}")

# %%
assert round(s_pooled, 3) == 4.526, "s_pooled: check the weights (n - 1) and the divisor n1 + n2 - 2"
assert round(d, 3) == -0.530, "d: therapy mean minus control mean, over s_pooled"

# %% [markdown]
# ## 2. Hedges' g: the small-sample correction
#
# d overstates the population effect a little in small samples. Multiplying by
# J ≈ 1 − 3 / (4m − 1), with m = n₁ + n₂ − 2, removes most of that bias; the result is
# Hedges' g. Store it as `g`.

# %% tags=["solution"]
# HINT: the m in J is the degrees of freedom of s_pooled (total sample size minus 2); multiply d by J. Name the result `g`.
m = n1 + n2 - 2
g = (1 - 3 / (4 * m - 1)) * d
print(f"J = {1 - 3 / (4 * m - 1):.5f}, g = {g:.4f}")

# %%
assert round(g, 3) == -0.526, "g: multiply d by J = 1 - 3/(4m - 1)"

# %% [markdown]
# ## 3. Its standard error and 95 % confidence interval
#
# The large-sample variance of g is v = 1/n₁ + 1/n₂ + g² / (2(n₁ + n₂)). Its square root is
# the standard error; the 95 % CI is g ± 1.96·SE. Store `se`, `ci_low` and `ci_high`.

# %% tags=["solution"]
# HINT: v = 1/n1 + 1/n2 + g**2 / (2 * (n1 + n2)); se = np.sqrt(v); the CI is g - 1.96 * se to g + 1.96 * se.
se = np.sqrt(1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2)))
ci_low, ci_high = g - 1.96 * se, g + 1.96 * se
print(f"SE = {se:.4f}; 95 % CI {ci_low:.3f} to {ci_high:.3f}")

# %% [markdown]
# ## 4. Check against the library
#
# `el.smd(m1, sd1, n1, m2, sd2, n2)` returns arrays of g and of its variance v, arm 1 being
# the intervention. It uses the exact correction factor (a ratio of gamma functions) where
# you used the approximation, so the two agree to about five decimals, not exactly.

# %%
g_lib, v_lib = el.smd(therapy["mean"], therapy["sd"], therapy["n"], control["mean"], control["sd"], control["n"])
print(f"library: g = {g_lib[0]:.6f}, SE = {np.sqrt(v_lib[0]):.6f}")
print(f"by hand: g = {g:.6f}, SE = {se:.6f}")
assert abs(g - g_lib[0]) < 1e-5, "g differs from el.smd"
assert abs(se - np.sqrt(v_lib[0])) < 1e-5, "SE differs from el.smd"
assert ci_low < 0 and ci_high < 0 and abs(ci_high - ci_low - 2 * 1.96 * se) < 1e-12

# %% [markdown]
# ## 5. Compare with the database, and mind the sign
#
# Metapsy records this comparison as g = 0.526 with SE 0.209 (columns `.g` and `.g_se`
# of row 128). Two things differ from what you computed. Explain both in a sentence each:
# why is Metapsy's g **positive**, and why might its SE differ from yours in the fourth
# decimal?

# %%
metapsy_g, metapsy_se = 0.525975, 0.209051  # Metapsy data.csv, row id 128 (rounded to 6 decimals)
assert abs(-g - metapsy_g) < 1e-4
assert abs(se - metapsy_se) < 1e-3

# %% [markdown] tags=["hint"]
# **Hint:** what does a lower EPDS score mean for the mother? Metapsy's documentation says
# which sign favours psychotherapy. For the SE, look at the last term of the variance: is
# there only one formula for it in the literature?

# %% [markdown] tags=["solution"]
# **Answer.** Lower EPDS means fewer symptoms, so here a *negative* g (therapy minus
# control) favours therapy. Metapsy codes every effect so that a positive g favours
# psychotherapy, i.e. it flips the sign for scales where lower is better; the size is the
# same. The SEs differ slightly because packages use slightly different large-sample
# variance formulas: Metapsy's SE is reproduced exactly when the uncorrected d, not g,
# enters the last term (checked in the next cell). The difference is far smaller than
# the SE itself and changes no conclusion. Whatever the convention, a reader must
# know which direction favours the intervention before reading any pooled result: the
# reviews in this project use both (see `favours_intervention` in
# `data/published_results.csv`).

# %%
n_sum = therapy["n"] + control["n"]
assert abs(np.sqrt(1 / therapy["n"] + 1 / control["n"] + d**2 / (2 * n_sum)) - metapsy_se) < 1e-6
