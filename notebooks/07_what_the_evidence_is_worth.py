# %% [markdown]
# # What the borderline evidence is worth
#
# **Question.** Barlow et al. 2015 found maternal depression SMD −0.22 (95 % CI −0.46 to
# 0.02): is there an effect at all, could the review have detected one, and would one more
# trial settle it?
#
# **Answer.** The evidence cannot yet say whether there is an effect (model-averaged Bayes
# factor for an effect about 0.7, close to 1), though given an effect a benefit is probable
# (0.95). The review's design had about a 37 % chance of detecting SMD −0.2, and a
# "significant" estimate would have overstated it by about 60 %. One more trial of 100 per
# arm almost never makes a benefit above 0.2 SD probable (P ≥ 0.9): several trials are needed.
#
# Notebooks 03–06 say how likely a benefit is. A guideline panel, a funder or the next
# trialist asks four further questions, and this notebook answers each for three results:
#
# 1. **Is there an effect at all, and is there heterogeneity at all?** Bayesian model
#    averaging over four models (equal or random effects, with mu fixed at 0 or free), as R's
#    metaBMA and RoBMA do, so that no single model is bet on.
# 2. **Could the review have detected a plausible effect, and how much would a "significant"
#    estimate have been exaggerated?** Design analysis (Gelman & Carlin 2014).
# 3. **Would one more trial settle it?** Preposterior analysis: simulate the next trial from
#    the current posterior predictive and refit.
# 4. **How often are the readings right for evidence like this?** Operating characteristics
#    of the CI, the Knapp–Hartung CI and the credible intervals, by simulation.
#
# The three results:
#
# - **Barlow 2015, maternal depression** (SMD −0.22, 95 % CI −0.46 to 0.02, k = 4, n = 356;
#   lower favours the intervention), reconstructed from the published summary (notebook 03);
# - **the Metapsy dyadic subgroup** (4 real mother–infant trials, Hedges' g, positive favours
#   psychotherapy; notebook 06);
# - **Barlow 2015, secure attachment** (RR 8.93, 95 % CI 1.25 to 63.70, k = 2; higher favours
#   the intervention; notebook 04).
#
# Everything is computed by the library (`evidence_lib.questions.model_averaging`, `design`,
# `preposterior`, `operating`, all on the exact engine); every simulation is seeded and
# reports its Monte Carlo error.

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import evidence_lib as el
from evidence_lib.bayes import priors
from evidence_lib.app.paths import REPO_ROOT
from evidence_lib.figures import palette, plots
from evidence_lib.published.readings import standard_prior_sets, summary_for_row

pd.set_option("display.width", 180)
pd.set_option("display.max_colwidth", 70)
SEED = 20261129
TAU_PRIOR = priors.half_normal(0.5)   # the project's default tau prior (notebook 02)
MU_PRIOR = (0.0, 1.0)                 # proper, needed for Bayes factors: N(0, 1) on the analysis scale

published = el.load_published().set_index("result_id")
depression = summary_for_row(published.loc["barlow2015_ctrl_depression_smd_post"])
secure = summary_for_row(published.loc["barlow2015_ctrl_secure_post"])
metapsy = el.select_perinatal_effects().studies
dyadic = metapsy.subset(metapsy.data["dyadic"].to_numpy())
CASES = {"Barlow depression (SMD)": depression, "Metapsy dyadic (g)": dyadic, "Barlow secure attachment (RR)": secure}

# %%
# NBVAL_CHECK_OUTPUT
for name, s in CASES.items():
    print(f"{name}: k = {len(s)}, measure {s.measure}, favours {s.favours}")
    print("   yi  " + " ".join(f"{v:7.3f}" for v in s.yi))
    print("   sei " + " ".join(f"{v:7.3f}" for v in s.sei))
assert len(dyadic) == 4 and dyadic.favours == "higher" and depression.favours == "lower"

# %% [markdown]
# The two Barlow results are reconstructions: k pseudo-studies sharing one within-study
# variance that reproduce the published estimate, CI and heterogeneity exactly
# (`from_published`). The Metapsy subgroup is four real trials with their own variances.

# %% [markdown]
# ## 1. Is there an effect? Is there heterogeneity? Model averaging
#
# Four models, equal prior probabilities, tau ~ half-normal(0.5) and mu ~ N(0, 1):
# the log marginal likelihood of each (mu integrated in closed form, tau by the exact engine's
# quadrature), the posterior model probabilities, and the two inclusion Bayes factors
# (posterior odds over prior odds of the models with an effect, and of the models with
# heterogeneity). P(benefit) is model-averaged: the models with mu = 0 put their weight on
# "no effect", which is no benefit.

# %%
# NBVAL_CHECK_OUTPUT
averages = {name: el.model_average(s, tau_prior=TAU_PRIOR, mu_prior=MU_PRIOR) for name, s in CASES.items()}
for name, ma in averages.items():
    print(name)
    print(ma.table.round(4).to_string(index=False))
    lo, hi = ma.mu_given_effect.interval(0.95)
    print(f"   BF(effect) {ma.bf_effect:.3f}, BF(heterogeneity) {ma.bf_heterogeneity:.3f}; "
          f"p_benefit_averaged {ma.p_benefit_averaged():.3f} (mu = 0 models included), p_benefit given an effect {ma.p_benefit():.3f}; "
          f"95 % CrI of mu given an effect [{lo:.3f}, {hi:.3f}]\n")

# %%
bd = averages["Barlow depression (SMD)"]
assert abs(bd.bf_effect - 0.6674) < 1e-4 and abs(bd.bf_heterogeneity - 0.8757) < 1e-4
assert abs(bd.p_benefit_averaged() - 0.3819) < 1e-4 and abs(bd.p_benefit() - 0.9541) < 1e-4
assert abs(averages["Metapsy dyadic (g)"].bf_effect - 3.4166) < 1e-4
assert abs(averages["Barlow secure attachment (RR)"].bf_effect - 20.556) < 1e-3

# %% [markdown]
# For Barlow's depression result the data barely discriminate: the Bayes factor for an effect
# is 0.67 (the data are 1.5 times as likely under "no effect" as under "some effect" drawn
# from N(0, 1)), the one for heterogeneity 0.88. So model-averaged P(benefit) is 0.38, while
# *given* that there is an effect it is 0.95. Both are right; they answer different questions.
# A Bayes factor also depends on how wide the effect prior is (Lindley's paradox): a wider
# N(0, sd) spreads the prior over effects the data rule out and so favours the null more.

# %%
# NBVAL_CHECK_OUTPUT
lindley = pd.DataFrame([
    {"mu prior sd": sd, "BF(effect)": m.bf_effect, "p_benefit_averaged": m.p_benefit_averaged(),
     "p_benefit": m.p_benefit()}
    for sd in (0.2, 0.5, 1.0, 2.0)
    for m in [el.model_average(depression, tau_prior=TAU_PRIOR, mu_prior=(0.0, sd))]
]).set_index("mu prior sd")
print(lindley.round(3).to_string())
assert lindley["BF(effect)"].is_monotonic_decreasing

# %% [markdown]
# ### Parity
#
# The log marginal likelihoods are checked three ways (tests/test_model_average.py):
# against independent adaptive quadrature of the multivariate-normal marginal (to 1e-8
# relative), against R bayesmeta 3.4 (`tests/reference/bayesmeta_marginal.R` wrote the JSON
# read here) and against PyMC's sequential Monte Carlo (within its Monte Carlo error). The
# bayesmeta comparison, recomputed now:

# %%
reference = json.loads((REPO_ROOT / "tests" / "reference" / "bayesmeta_marginal.json").read_text())
families = {"half_normal": lambda p: priors.half_normal(p["scale"]),
            "half_cauchy": lambda p: priors.half_cauchy(p["scale"]),
            "lognormal_tau2": lambda p: priors.lognormal_tau2(p["mean"], p["sd"])}
rows = []
for case in reference["cases"]:
    if "error" in case:
        rows.append({"data": case["data"], "prior": case["prior"], "max rel. deviation": np.nan,
                     "note": case["error"]})
        continue
    ours = el.model_average(np.array(case["y"]), sei=np.array(case["sigma"]), mu_prior=tuple(case["mu_prior"]),
                            tau_prior=families[case["tau_prior"]["family"]](case["tau_prior"]))
    theirs = np.array([case["log_ml"][m] for m in ours.table["model"]])
    rows.append({"data": case["data"], "prior": case["prior"],
                 "max rel. deviation": np.max(np.abs(ours.table["log_ml"].to_numpy() / theirs - 1)), "note": ""})
parity = pd.DataFrame(rows)
print(parity.drop(columns="note").to_string(
    index=False, na_rep="bayesmeta failed", formatters={"max rel. deviation": lambda v: f"{v:.1e}"}))
for message in parity.loc[parity["note"] != "", "note"].unique():
    print(f"bayesmeta's error: {message}")
assert parity["max rel. deviation"].max() < 1e-8

# %% [markdown]
# bayesmeta's own `integrate()` fails on the Rhodes et al. log-t prior (its density has an
# integrable spike at tau = 0); the exact engine integrates on log tau, where the spike is a
# heavy but smooth tail, and agrees with the independent quadrature there too.
#
# ## 2. Could the review have detected a plausible effect? Design analysis
#
# For an assumed true effect D the review's estimate is N(D, SE²) with SE from the
# within-study variances and the DerSimonian–Laird tau estimate (what RevMan used). Power,
# the Type S error (a significant estimate with the wrong sign) and the exaggeration ratio
# (Type M: how much a significant estimate overstates |D| on average) then have closed forms
# (`evidence_lib.questions.design` docstring). The Knapp–Hartung test and tau drawn from its posterior
# need simulation: 4,000 seeded simulated reviews per effect, each refitted.

# %%
# NBVAL_CHECK_OUTPUT
effects_smd = [-0.1, -0.2, -0.3, -0.4, -0.5]
design_z = el.design_analysis(depression, true_effects=effects_smd)
print(f"Barlow depression: SE {design_z.se:.4f} at tau_hat {design_z.tau:.4f} ({design_z.method})")
print(design_z.table[["true_effect", "power", "type_s", "exaggeration"]].round(4).to_string(index=False))
at_02 = design_z.table.set_index("true_effect").loc[-0.2]
assert abs(at_02["power"] - 0.3721) < 1e-4 and abs(at_02["exaggeration"] - 1.6224) < 1e-4

# %% tags=["main-figure"]
design_kh = el.design_analysis(depression, true_effects=effects_smd, test="knha", draws=4000, random_seed=SEED)
design_post = el.design_analysis(depression, true_effects=effects_smd, test="z", tau="posterior", tau_prior=TAU_PRIOR,
                                 draws=4000, random_seed=SEED)
design_kh_post = el.design_analysis(depression, true_effects=effects_smd, test="knha", tau="posterior", tau_prior=TAU_PRIOR,
                                    draws=4000, random_seed=SEED)
compare = pd.concat({"z, tau_hat (closed form)": design_z.table.set_index("true_effect"),
                     "Knapp-Hartung, tau_hat": design_kh.table.set_index("true_effect"),
                     "z, tau ~ posterior": design_post.table.set_index("true_effect"),
                     "Knapp-Hartung, tau ~ posterior": design_kh_post.table.set_index("true_effect")}, names=["design"])
print(compare[["power", "power_mcse", "type_s", "exaggeration", "exaggeration_mcse"]].round(3).to_string())
plots.design_curves({"z test, τ at its estimate (closed form)": design_z,
                     "Knapp–Hartung, τ at its estimate": design_kh,
                     "z test, τ drawn from its posterior": design_post,
                     "Knapp–Hartung, τ drawn from its posterior": design_kh_post},
                    title="Barlow depression: what the design could detect")
plt.show()

# %%
kh02 = design_kh.table.set_index("true_effect").loc[-0.2]
assert kh02["power"] < at_02["power"] - 4 * kh02["power_mcse"]  # KH costs power at k = 4

# %% [markdown]
# At a true SMD of −0.2 (a "small" effect, the size the review's own estimate suggests) the
# review's z test had power 0.37: a well-run review of these four trials misses an effect of
# that size about two times in three, and when it does reach significance its estimate
# overstates the effect by 62 % on average (exaggeration 1.62). The Knapp–Hartung test, which
# respects the uncertainty in tau with k = 4, has even less power (about 0.21). Reading
# "no significant difference" as "no effect" is exactly the error this design invites.
#
# The Metapsy dyadic trials and the secure-attachment result, at effects of their own scale:

# %%
# NBVAL_CHECK_OUTPUT
design_dyadic = el.design_analysis(dyadic, true_effects=[0.2, 0.3, 0.5, 0.8])
design_secure = el.design_analysis(secure, true_effects=np.log([1.5, 2.0, 3.0, 5.0]))
print(f"Metapsy dyadic: SE {design_dyadic.se:.4f}, tau_hat {design_dyadic.tau:.4f}")
print(design_dyadic.table[["true_effect", "power", "type_s", "exaggeration"]].round(4).to_string(index=False))
print(f"\nBarlow secure attachment (log RR): SE {design_secure.se:.4f}, tau_hat {design_secure.tau:.4f}")
t = design_secure.table.assign(true_RR=np.exp(design_secure.table["true_effect"]))
print(t[["true_RR", "power", "type_s", "exaggeration"]].round(4).to_string(index=False))
assert design_secure.table["power"].iloc[1] < 0.2  # an RR of 2 would be detected less than 1 time in 5

# %% [markdown]
# The secure-attachment result shows the exaggeration problem at its sharpest: with k = 2 and
# a heterogeneity estimate of tau² = 1.47 on the log scale, even a doubling of the chance of
# secure attachment (RR 2) would reach significance rarely, and when it does the estimate is
# several times too large on the log scale. The published RR of 8.93 is what a significant
# result from this design looks like whatever the true effect; it is not evidence of a large
# effect.
#
# ## 3. Would one more trial settle it? Preposterior analysis
#
# 2,000 simulated next trials from the current posterior predictive (tau, mu from the exact
# posterior; the new trial's true effect theta_new ~ N(mu, tau²); its estimate with the SMD's
# sampling variance for 100 per arm), each added to the review and refitted exactly. The
# decision threshold: P(benefit > 0.2 SD) >= 0.9.

# %%
# NBVAL_CHECK_OUTPUT
nxt = {}
for n_per_arm, n_trials in ((100, 1), (100, 3), (400, 1)):
    nxt[n_per_arm, n_trials] = el.next_trial(depression, n_per_arm=n_per_arm, n_trials=n_trials, tau_prior=TAU_PRIOR, threshold=0.2,
                                             target=0.9, draws=2000, random_seed=SEED, progress=False)
one = nxt[100, 1]
print(f"now: P(benefit) {one.current['p_benefit']:.3f}, P(benefit > 0.2) {one.current['p_benefit_beyond']:.3f}")
summary = pd.concat({f"{n} trial(s) of {m} per arm": r.table for (m, n), r in nxt.items()}, names=["design"])
print(summary.round(4).to_string())
p_cross = one.table.loc["P(benefit beyond the threshold) >= 0.9 after the update"]
assert p_cross["probability"] < 0.01 and nxt[400, 1].table["probability"].iloc[0] < 0.01
big = nxt[400, 1].draws["p_benefit_beyond"]
assert 0.15 < big.min() and big.max() < 0.88
assert nxt[100, 3].table["probability"].iloc[0] > p_cross["probability"]

# %%
fig, ax = plots.subplots(figsize=(8, 3.8))
for ((m, n), r), colour in zip(nxt.items(), palette.CATEGORICAL):
    ax.hist(r.draws["p_benefit_beyond"], bins=40, histtype="step", density=True, lw=1.5, color=colour,
            label=f"{n} trial{'s' if n > 1 else ''} of {m} per arm")
ax.axvline(0.9, color="black", ls=":", lw=1, label="0.9, the bar to clear")
ax.axvline(one.current["p_benefit_beyond"], color=palette.PRIOR, lw=1.5, label="today")
ax.set_xlabel("updated P(benefit > 0.2 SD)")
ax.set_ylabel("density")
ax.set_title("Barlow depression: where the next trial(s) would leave P(benefit > 0.2 SD)", loc="left")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
plt.show()

# %% [markdown]
# One more trial of 100 per arm takes P(benefit > 0.2 SD) to 0.9 in none of the 2,000
# simulations (so the probability is below about 0.2 %): the current P(benefit > 0.2) is about
# 0.55, and with k = 5 the heterogeneity keeps the *mean* effect uncertain however precise one
# new trial is; a single trial of 400 per arm does no better: whatever it finds, P(benefit > 0.2)
# ends between about 0.16 and 0.87 (figure), because one trial is one draw from the
# distribution of effects across settings. Three more trials of 100 per arm
# reach the threshold about one time in eight. One trial would, however, make a "significant"
# z-test CI likely (about 0.65, the frequentist analogue), because adding a trial with the
# currently expected effect to a borderline result usually tips it over 0.
# The two criteria ask very different things; a funder should say in advance which one the
# new trial is meant to meet. (Averaged over the simulations, the updated probabilities equal
# the current ones: a preposterior analysis cannot promise good news, only resolution.)
#
# For the Metapsy dyadic subgroup (real trials, P(benefit) already high) and for the
# secure-attachment RR (where a control risk has to be stated; the reviews do not give one,
# so two assumed values are shown, marked as assumptions):

# %%
# NBVAL_CHECK_OUTPUT
rows = {"Metapsy dyadic, 100 per arm": el.next_trial(dyadic, n_per_arm=100, tau_prior=TAU_PRIOR, threshold=0.2, draws=2000,
                                                     random_seed=SEED, progress=False)}
for p0 in (0.2, 0.4):  # ASSUMED control risks of secure attachment, not data
    rows[f"secure attachment, 100 per arm, assumed control risk {p0}"] = el.next_trial(
        secure, n_per_arm=100, tau_prior=TAU_PRIOR, threshold=np.log(1.25), control_risk=p0, draws=2000, random_seed=SEED,
        progress=False)
for name, r in rows.items():
    print(f"{name}: now P(benefit) {r.current['p_benefit']:.3f}, P(benefit > 0.2) {r.current['p_benefit_beyond']:.3f}")
print(pd.concat({k: r.table for k, r in rows.items()}, names=["case"]).round(3).to_string())

# %% [markdown]
# ## 4. How often are the readings right? Operating characteristics
#
# Reviews like Barlow's depression result: k = 4 studies with the reconstruction's
# within-study SE (0.213), true mean effect mu on a grid from −0.4 to 0, tau drawn from the
# Rhodes et al. 2015 prior for mental-health outcomes of non-pharmacological interventions
# (bayesmeta's reading), 1,000 reviews per grid value. Each review is read as the review did
# (DerSimonian–Laird z CI), with Knapp–Hartung, and by the exact posterior under the five
# standard prior sets (notebook 03).

# %%
rhodes = priors.rhodes2015("mental health outcome", "non-pharmacological (any)")
oc = el.operating_characteristics(depression.sei, [-0.4, -0.3, -0.2, -0.1, 0.0], tau_prior=rhodes,
                                  prior_sets=standard_prior_sets(), reps=1000, random_seed=SEED,
                                  favours="lower", progress=False)

# %%
# NBVAL_CHECK_OUTPUT
cov = oc.coverage_table()
print("coverage of the 95 % intervals, pooled over the grid (MCSE = Monte Carlo SE):")
print(cov.round(4).to_string())
print("\nrate of 'significant' z-test results by true mu:")
print(oc.significant.round(3).to_string(index=False))
near = oc.calibration[oc.calibration["bin"] == "[0.85, 0.95)"].set_index("prior_set")
print("\ncalibration: reviews with P(benefit) in [0.85, 0.95): share whose true mu is a benefit")
print(near[["n", "mean_p_benefit", "share_true_benefit", "mcse"]].round(3).to_string())

# %%
z_cov = cov.loc["z CI (DL)"]
assert z_cov["coverage"] < 0.95 - 3 * z_cov["mcse"]  # the z CI under-covers at k = 4
assert abs(z_cov["coverage"] - 0.92) < 0.01
kh_cov = cov.loc["Knapp-Hartung CI (DL)"]
assert abs(kh_cov["coverage"] - 0.95) < 4 * kh_cov["mcse"]
rhodes_label = standard_prior_sets()[1].label
assert abs(cov.loc[f"CrI: {rhodes_label}", "coverage"] - 0.95) < 4 * cov.loc[f"CrI: {rhodes_label}", "mcse"]
assert oc.significant.set_index("true_mu").loc[-0.2, "significant"] < 0.45
sceptical = oc.coverage[oc.coverage["interval"].str.startswith("CrI: sceptical")].set_index("true_mu")["coverage"]
assert sceptical[-0.4] < 0.88 and sceptical[0.0] > 0.98

# %%
by_mu = oc.coverage.pivot(index="true_mu", columns="interval", values="coverage")
fig, ax = plots.subplots(figsize=(11, 5.2))
for col, colour, marker in zip(by_mu, palette.CATEGORICAL, "osD^v<>"):
    ax.plot(by_mu.index, by_mu[col], marker=marker, ms=5, lw=1.8, color=colour, label=col.replace("CrI: ", "95 % CrI, "))
ax.axhline(0.95, color="black", ls=":", lw=1)
ax.annotate("0.95", xy=(1, 0.95), xycoords=ax.get_yaxis_transform(), xytext=(4, 0), textcoords="offset points",
            va="center", fontsize=9)
ax.set_xlabel("true average effect μ (SMD; negative = benefit)")
ax.set_ylabel("coverage of the 95 % interval")
fig.legend(loc="outside lower center", ncols=2, fontsize=9, frameon=False)
ax.set_title(f"Reviews like Barlow's (k = 4): coverage, {oc.coverage['n'].iloc[0]} reviews per point", loc="left")
plt.show()

# %% [markdown]
# With k = 4 the z CI the review printed covers the true mean about 92 % of the time, not 95 %
# (it ignores the uncertainty in tau); Knapp–Hartung and the posterior under the prior that
# generated the heterogeneity are at 95 % within Monte Carlo error; the flat-prior posterior
# over-covers (its intervals are wide because uniform tau leaves large heterogeneity
# plausible). The sceptical prior's pooled 94.5 % hides a trade: it shrinks towards 0, so it
# over-covers when the true effect is near 0 and under-covers at mu = −0.4 (about 0.82,
# figure). At the effect the review estimated (−0.2), only about a third of such reviews
# would be "significant". Among simulated reviews that report P(benefit) between 0.85 and
# 0.95 (mean 0.91), the share with a true benefit is 0.90 under the half-normal(0.5) prior,
# somewhat lower under the two Rhodes readings (0.86 and 0.88: slightly overconfident), and
# higher under the sceptical and flat priors (0.96 and 0.95: conservative). These
# calibration figures hold for this grid of true effects (each value equally likely) and
# should not be read as universal.
#
# ## The reading a guideline panel would take
#
# - **Maternal depression (Barlow).** Not "no effect": given an effect, a benefit is probable
#   (0.95), but whether there is any effect is unresolved (Bayes factor 0.67, close to 1), and
#   the review could detect a small effect only about a third of the time. One more trial of
#   100 per arm (or even 400) would not make a benefit of at least 0.2 SD probable enough
#   (threshold 0.9); several new trials would be needed, because the open question is the
#   mean over settings, not the effect in one more trial. Recommendation: uncertain evidence;
#   research recommendation rather than a negative recommendation.
# - **Metapsy dyadic subgroup.** Moderate evidence of an effect (Bayes factor 3.4) and a
#   probable benefit given an effect; four small trials with heterogeneity, so the size is
#   uncertain.
# - **Secure attachment (Barlow).** The Bayes factor for an effect is large (about 20), but
#   the design (k = 2, large heterogeneity) makes any significant estimate heavily
#   exaggerated: a benefit is likely, its size (RR 8.93) is not credible.
#
# ## What none of this can say
#
# - Whether the trials were biased: every number here takes the studies' estimates at face
#   value (the review graded this evidence low to very low quality).
# - Whether the reconstruction is right: the Barlow results rest on equal within-study
#   variances, which makes their Bayes factors exact only under that assumption
#   (`model_average` docstring).
# - Anything about effects the priors rule out, or about the control risk for attachment,
#   which no review reports (the values above are assumptions).
# - Whether an effect of 0.2 SD matters to mothers: that threshold is a convention.

# %% tags=["headline"]
print(f"Barlow depression: BF(effect) {bd.bf_effect:.2f}; power for SMD -0.2 {at_02['power']:.2f}, "
      f"exaggeration {at_02['exaggeration']:.2f}; P(one trial of 100/arm makes P(benefit > 0.2) >= 0.9) "
      f"{p_cross['probability']:.3f}")
