# %% [markdown]
# # Exercise 12: refit a published summary and read it under a prior
#
# **Goal.** A review often prints only the pooled result: an estimate, its 95 % CI, the
# number of studies and a heterogeneity statistic. From those alone you can rebuild a
# likelihood that reproduces the published result exactly, refit it, and give it a
# Bayesian reading. You will do it for the most striking result in Barlow 2015: secure
# infant attachment after parent–infant psychotherapy versus control.
#
# | figure | value |
# |---|---|
# | risk ratio (RR) of secure attachment, PIP vs control | 8.93 |
# | 95 % CI | 1.25 to 63.70 |
# | studies (k) | 2 |
# | heterogeneity: Chi² (Cochran's Q), df 1 | 3.71 |
#
# (Row `barlow2015_ctrl_secure_post` of `data/published_results.csv`, with its source.)
# An RR above 1 favours the therapy. Ratios are analysed on the log scale.
#
# Tools: `el.from_published(estimate, ci_low, ci_high, k=..., q=..., measure=...)` builds k
# pseudo-studies that reproduce the estimate, its standard error and Q (read its `note`);
# `el.random_effects(yi, vi=vi, method=...)` (or `el.random_effects(summary, method=...)`) fits them; `el.exact_posterior(summary,
# tau_prior=...)` gives the Bayesian posterior.

# %%
import numpy as np
import pandas as pd

import evidence_lib as el

published = el.load_published()
secure = published[published["result_id"] == "barlow2015_ctrl_secure_post"].iloc[0]

# %% [markdown]
# ## 1. Rebuild the likelihood from the summary
#
# Call `from_published` with the four figures above and the measure `"RR"`; keep the
# result as `summary` and print its `note`, `yi` and `sei`. What did the reconstruction
# have to assume?

# %% tags=["solution"]
# HINT: k and q are keyword arguments; measure="RR" tells the function the bounds are ratios.
summary = el.from_published(8.93, 1.25, 63.70, k=2, q=3.71, measure="RR")
el.sentence(f"{summary.note} Log RR of the pseudo-studies: {', '.join(f'{v:.4f}' for v in summary.yi)}; "
            f"SE: {', '.join(f'{v:.4f}' for v in summary.sei)}.")

# %%
assert summary.k == 2 and summary.measure == "RR" and not summary.estimate_only
assert np.isclose(np.exp(summary.estimate), 8.93) and summary.published_estimate == 8.93

# %% [markdown]
# ## 2. Check that the refit reproduces the published result
#
# RevMan's random-effects estimator is DerSimonian–Laird (`method="DL"`). Fit the
# pseudo-studies (variances are `summary.sei**2`), back-transform the 95 % CI to the RR
# scale and keep it as `refit_ci` (a pair); keep the fit's Q as `refit_q`. They should
# match the published 1.25 to 63.70 up to the rounding of the printed figures, and Q = 3.71.

# %% tags=["solution"]
# HINT: the fit has attributes low, high and q; np.exp turns log RR back into RR.
fit = el.random_effects(summary.yi, vi=summary.sei**2, method="DL")
refit_ci = (float(np.exp(fit.low)), float(np.exp(fit.high)))
refit_q = fit.q
el.sentence(f"Refit: RR {np.exp(fit.estimate):.2f}, 95 % CI {refit_ci[0]:.2f} to {refit_ci[1]:.2f}, "
            f"Q = {refit_q:.2f}, I² = {fit.i2:.0f} %, τ² = {fit.tau2:.3f}.")

# %%
assert abs(refit_ci[0] - 1.25) < 0.005 and abs(refit_ci[1] - 63.70) < 0.05  # printed to 2 decimals
assert abs(refit_q - 3.71) < 1e-9
library_check = summary.check()  # the library's own identity checks agree
assert np.allclose(refit_ci, (library_check["ci_low"], library_check["ci_high"]))

# %% [markdown]
# ## 3. Read it under a prior
#
# Compute the exact posterior with a half-normal(0.5) prior on τ (the project's default;
# μ flat). Keep `p_benefit` = P(RR > 1) = P(μ > 0 on the log scale), and the 95 % central
# credible interval and 95 % predictive interval for a new study on the RR scale as
# `cri` and `pred` (pairs).

# %% tags=["solution"]
# HINT: post.prob("mu", lower=0) is P(mu > 0); post.interval(param, 0.95, "central") with param "mu" or "theta_new"; exponentiate.
post = el.exact_posterior(summary, tau_prior=el.priors.half_normal(0.5))
p_benefit = post.prob("mu", lower=0)
cri = tuple(np.exp(post.interval("mu", 0.95, "central")))
pred = tuple(np.exp(post.interval("theta_new", 0.95, "central")))
el.sentence(f"P(RR > 1) = {p_benefit:.4f}; posterior median RR {np.exp(post.median('mu')):.2f}, "
            f"95 % CrI {cri[0]:.2f} to {cri[1]:.2f}; new study 95 % {pred[0]:.2f} to {pred[1]:.2f}.")

# %% [markdown]
# The project's readings table computes the same thing for this row; your numbers must agree.

# %%
reading = el.read_row(secure)
assert np.isclose(p_benefit, reading["p_benefit"])
assert np.allclose(cri, (reading["cri_low"], reading["cri_high"]))
assert np.allclose(pred, (reading["pred_low"], reading["pred_high"]))
el.reader_table(pd.DataFrame([reading]), ["pval", "kh_pval", "p_benefit", "cri"], measure="RR", table_id="reading",
                caption="The library's reading of the published row")

# %% [markdown]
# ## 4. With two studies, the τ prior decides the width
#
# Repeat section 3 with a half-normal(1.0) prior on τ (keep `p_benefit_wide` and
# `cri_wide`), then try the improper uniform prior `el.priors.uniform_tau()`. What happens,
# and why?

# %% tags=["solution"]
# HINT: same calls with another tau_prior; wrap the uniform attempt in try/except ValueError and keep the message.
post_wide = el.exact_posterior(summary, tau_prior=el.priors.half_normal(1.0))
p_benefit_wide = post_wide.prob("mu", lower=0)
cri_wide = tuple(np.exp(post_wide.interval("mu", 0.95, "central")))
try:
    el.exact_posterior(summary, tau_prior=el.priors.uniform_tau())
except ValueError as err:
    refused = str(err)
el.sentence(f"Half-normal(1.0): P(RR > 1) = {p_benefit_wide:.4f}, 95 % CrI {cri_wide[0]:.2f} to {cri_wide[1]:.2f}. "
            f"Uniform prior on τ: *{refused}*")

# %%
assert p_benefit_wide < p_benefit and cri_wide[0] < cri[0] and cri_wide[1] > cri[1]
try:
    el.exact_posterior(summary, tau_prior=el.priors.uniform_tau())
    raise AssertionError("a flat tau prior with k = 2 should be refused")
except ValueError as err:
    assert "improper" in str(err)

# %% [markdown] tags=["hint"]
# **Hint:** compare three things: the published CI, the Knapp–Hartung p-value (`kh_pval`)
# printed above, and your two credible intervals. How much can two studies say about the
# spread between studies, and who supplies that information when the data cannot? Would
# you quote "RR 8.93" in an abstract?

# %% [markdown] tags=["solution"]
# **Answer.** The reconstruction reproduces the published CI and Q, so the Bayesian
# reading starts from exactly the evidence the review pooled (assuming, as it must, that
# the two studies had equal within-study variances). Under either proper prior P(RR > 1)
# is high: the direction of the effect is well supported. Its size is not. With k = 2 the
# data say almost nothing about τ, so the prior supplies most of that information: the
# credible interval runs from a modest to an enormous effect and moves a lot when the
# prior widens, and a flat prior on τ does not even give a proper posterior. The
# half-normal(0.5) interval is even *narrower* than the published CI: that prior finds a
# τ as large as the DerSimonian–Laird estimate (about 1.2 on the log scale) implausible,
# and that belief, not the data, is what narrows it. The
# Knapp–Hartung test, which allows for the uncertainty in τ, is far from significant, and
# the prediction interval for a new study is very wide. "RR 8.93" should not be quoted
# as the size of the effect; "probably beneficial, size very uncertain, two small
# studies" is a fair summary, and the review itself graded this evidence very low.
