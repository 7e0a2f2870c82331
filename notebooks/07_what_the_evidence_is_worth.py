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
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import evidence_lib as el

SEED = 20261129
TAU_PRIOR = el.priors.half_normal(0.5)   # the project's default tau prior (notebook 02)
MU_PRIOR = (0.0, 1.0)                    # proper, needed for Bayes factors: N(0, 1) on the analysis scale

# %%
published = el.load_published().set_index("result_id")
depression = el.summary_for_row(published.loc["barlow2015_ctrl_depression_smd_post"])
secure = el.summary_for_row(published.loc["barlow2015_ctrl_secure_post"])
metapsy = el.select_perinatal_effects().studies
dyadic = metapsy.subset(metapsy.data["dyadic"].to_numpy())
CASES = {"Barlow depression (SMD)": depression, "Metapsy dyadic (g)": dyadic, "Barlow secure attachment (RR)": secure}

# %% tags=["check"]
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
averages = {name: el.model_average(s, tau_prior=TAU_PRIOR, mu_prior=MU_PRIOR) for name, s in CASES.items()}
el.reader_table(pd.concat({n: ma.to_frame() for n, ma in averages.items()}, names=["case"]).reset_index(),
                ["case", "k", "bf_effect", "bf_heterogeneity", "p_benefit_averaged", "p_benefit"], table_id="averages",
                caption="Model averaging: inclusion Bayes factors (> 1 favours an effect, heterogeneity), P(benefit) "
                        "averaged over all four models and P(benefit) given an effect")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
for name, ma in averages.items():
    print(name)
    print(ma.table.round(4).to_string(index=False))

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
lindley = pd.DataFrame([
    {"mu_prior": f"N(0, {sd}²)", "bf_effect": m.bf_effect, "p_benefit_averaged": m.p_benefit_averaged(),
     "p_benefit": m.p_benefit()}
    for sd in (0.2, 0.5, 1.0, 2.0)
    for m in [el.model_average(depression, tau_prior=TAU_PRIOR, mu_prior=(0.0, sd))]])
assert lindley["bf_effect"].is_monotonic_decreasing
el.reader_table(lindley, list(lindley.columns), table_id="lindley",
                caption="Barlow depression: the Bayes factor for an effect depends on the width of the prior of μ")

# %% [markdown]
# ### Parity
#
# The log marginal likelihoods are checked three ways in the tests (tests/test_model_average.py):
# against independent adaptive quadrature of the multivariate-normal marginal (to 1e-8
# relative), against R bayesmeta 3.4 (`tests/reference/bayesmeta_marginal.R`; agreement to
# better than 1e-8 relative wherever bayesmeta's own integration succeeds) and against PyMC's
# sequential Monte Carlo (within its Monte Carlo error).

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
effects_smd = [-0.1, -0.2, -0.3, -0.4, -0.5]
design_z = el.design_analysis(depression, true_effects=effects_smd)
at_02 = design_z.table.set_index("true_effect").loc[-0.2]
assert abs(at_02["power"] - 0.3721) < 1e-4 and abs(at_02["exaggeration"] - 1.6224) < 1e-4
design_z

# %%
simulated = dict(test="knha", n_sim=4000, random_seed=SEED), dict(test="z", tau_source="posterior", tau_prior=TAU_PRIOR,
                                                                  n_sim=4000, random_seed=SEED)
design_kh, design_post = (el.design_analysis(depression, true_effects=effects_smd, **kw) for kw in simulated)
design_kh_post = el.design_analysis(depression, true_effects=effects_smd, **{**simulated[1], "test": "knha"})
designs = {"z test, τ at its estimate (closed form)": design_z, "Knapp–Hartung, τ at its estimate": design_kh,
           "z test, τ drawn from its posterior": design_post, "Knapp–Hartung, τ drawn from its posterior": design_kh_post}
compare = pd.concat({name: d.table for name, d in designs.items()}, names=["design"]).reset_index()
el.reader_table(compare, ["design", "true_effect", "power", "power_mcse", "type_s", "exaggeration",
                          "exaggeration_mcse"], table_id="designs", caption="Barlow depression: four designs "
                "(simulated: 4,000 seeded reviews per effect; MCSE = Monte Carlo SE)")

# %% tags=["main-figure"]
el.plots.design_curves(designs, title="Barlow depression: what the design could detect")
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
design_dyadic = el.design_analysis(dyadic, true_effects=[0.2, 0.3, 0.5, 0.8])
design_secure = el.design_analysis(secure, true_effects=np.log([1.5, 2.0, 3.0, 5.0]))
assert design_secure.table["power"].iloc[1] < 0.2  # an RR of 2 would be detected less than 1 time in 5
design_dyadic

# %%
el.reader_table(design_secure.table.assign(true_ratio=np.exp(design_secure.table["true_effect"])),
                ["true_ratio", "power", "type_s", "exaggeration"], table_id="design_secure",
                caption=f"Barlow secure attachment (true RR; log scale SE {design_secure.se:.3f}, "
                        f"τ̂ {design_secure.tau:.3f})")

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
nxt = {(m, n): el.next_trial(depression, n_per_arm=m, n_trials=n, tau_prior=TAU_PRIOR, threshold=0.2, target=0.9,
                             n_sim=2000, random_seed=SEED, progress=False) for m, n in ((100, 1), (100, 3), (400, 1))}
one = nxt[100, 1]
p_cross = one.table.loc["P(benefit beyond the threshold) >= 0.9 after the update"]
assert p_cross["probability"] < 0.01 and nxt[400, 1].table["probability"].iloc[0] < 0.01
big = nxt[400, 1].simulations["p_benefit_beyond"]
assert 0.15 < big.min() and big.max() < 0.88
assert nxt[100, 3].table["probability"].iloc[0] > p_cross["probability"]

# %%
el.sentence(f"Now: P(benefit) {one.current['p_benefit']:.2f}, P(benefit > 0.2 SD) {one.current['p_benefit_beyond']:.2f}.")

# %%
outlook = pd.concat({f"{n} {'trial' if n == 1 else 'trials'} of {m} per arm": r.table for (m, n), r in nxt.items()},
                    names=["design"])
el.reader_table(outlook.reset_index(), ["design", "quantity", "probability", "mcse"], table_id="next_trial",
                caption="Barlow depression: what one or more new trials would change (2,000 simulations each)")

# %%
el.plots.next_trial_histograms({f"{n} trial{'s' if n > 1 else ''} of {m} per arm": r for (m, n), r in nxt.items()},
                               current=one.current["p_benefit_beyond"], target=0.9,
                               title="Barlow depression: where the next trial(s) would leave P(benefit > 0.2 SD)")
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
rows = {"Metapsy dyadic, 100 per arm": el.next_trial(dyadic, n_per_arm=100, tau_prior=TAU_PRIOR, threshold=0.2,
                                                     n_sim=2000, random_seed=SEED, progress=False)}
for p0 in (0.2, 0.4):  # ASSUMED control risks of secure attachment, not data
    rows[f"secure attachment, 100 per arm, assumed control risk {p0}"] = el.next_trial(
        secure, n_per_arm=100, tau_prior=TAU_PRIOR, threshold=np.log(1.25), control_risk=p0, n_sim=2000,
        random_seed=SEED, progress=False)
now = pd.DataFrame([{"case": k, **r.current} for k, r in rows.items()])
el.reader_table(now, ["case", "p_benefit", "p_benefit_beyond"], table_id="now",
                caption="Now: P(benefit) and P(benefit beyond the threshold: 0.2 SD; RR 1.25)")

# %%
el.reader_table(pd.concat({k: r.table for k, r in rows.items()}, names=["case"]).reset_index(),
                ["case", "quantity", "probability", "mcse"], table_id="next_trial_others",
                caption="What one new trial of 100 per arm would change (2,000 simulations each)")

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
rhodes = el.priors.rhodes2015("mental health outcome", "non-pharmacological (any)")
oc = el.operating_characteristics(sei=depression.sei, true_mu=[-0.4, -0.3, -0.2, -0.1, 0.0], tau_prior=rhodes,
                                  prior_sets=el.standard_prior_sets(), n_sim=1000, random_seed=SEED,
                                  favours="lower", progress=False)

# %%
cov = oc.coverage_table()
el.reader_table(cov.reset_index(), ["interval", "coverage", "mcse", "n_sim_total"], table_id="coverage",
                caption="Coverage of the 95 % intervals, pooled over the grid of true μ (MCSE = Monte Carlo SE)")

# %%
el.reader_table(oc.significant, ["true_mu", "significant", "mcse"], table_id="significant",
                caption="Share of simulated reviews with a 'significant' z test, by true μ")

# %%
near = oc.calibration[oc.calibration["bin"] == "[0.85, 0.95)"]
el.reader_table(near, ["prior_set", "n_in_bin", "mean_p_benefit", "share_true_benefit", "mcse"], table_id="calibration",
                caption="Calibration: simulated reviews with P(benefit) in [0.85, 0.95), and the share whose true μ "
                        "is a benefit")

# %%
z_cov = cov.loc["z CI (DL)"]
assert z_cov["coverage"] < 0.95 - 3 * z_cov["mcse"]  # the z CI under-covers at k = 4
assert abs(z_cov["coverage"] - 0.92) < 0.01
kh_cov = cov.loc["Knapp-Hartung CI (DL)"]
assert abs(kh_cov["coverage"] - 0.95) < 4 * kh_cov["mcse"]
rhodes_label = el.standard_prior_sets()[1].label
assert abs(cov.loc[f"CrI: {rhodes_label}", "coverage"] - 0.95) < 4 * cov.loc[f"CrI: {rhodes_label}", "mcse"]
assert oc.significant.set_index("true_mu").loc[-0.2, "significant"] < 0.45
sceptical = oc.coverage[oc.coverage["interval"].str.startswith("CrI: sceptical")].set_index("true_mu")["coverage"]
assert sceptical[-0.4] < 0.88 and sceptical[0.0] > 0.98

# %%
el.plots.coverage_by_mu(oc.coverage, title=f"Reviews like Barlow's (k = 4): coverage, {oc.n_sim} "
                                           "reviews per point")
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
el.sentence(f"Barlow depression: Bayes factor for an effect {bd.bf_effect:.2f} (P(benefit) {bd.p_benefit():.2f} given "
            f"an effect, {bd.p_benefit_averaged():.2f} averaged with no effect); power for SMD -0.2 "
            f"{at_02['power']:.2f}, exaggeration {at_02['exaggeration']:.2f}; one trial of 100 per arm makes "
            f"P(benefit > 0.2 SD) ≥ 0.9 in {p_cross['probability']:.1%} of simulations.")
