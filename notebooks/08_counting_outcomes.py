# %% [markdown]
# # Counting outcomes: when the normal approximation of a log odds ratio misleads
#
# **Question.** Pooled results are usually computed from log odds ratios treated as normal;
# what do the real counts say, and when does that approximation mislead?
#
# **Answer.** On Metapsy's perinatal response and remission counts (9 comparisons) the exact
# binomial likelihood and the normal approximation agree: an odds ratio of about 3.2 to 3.4,
# every interval from about 1.8 to 6. With two small trials and few events, as behind Barlow
# 2015's attachment results, zero cells are common and the approaches part: the GLMM's
# interval under-covers when the trials differ, the Bayesian interval that averages over τ
# covers best.
#
# Every pooled result in notebooks 03–06 treats a study's effect as a number with a normal
# error. For a count outcome (responders, remitters, securely attached infants) that is an
# approximation: the log odds ratio of a 2x2 table is only roughly normal, its variance
# 1/a + 1/b + 1/c + 1/d is estimated from the same counts, and a zero cell needs an invented
# 0.5. The approximation is good with many events and weak with few, and it is weakest where
# Barlow 2015's attachment results sit: RR 8.93 for secure attachment from k = 2 small trials
# (Barlow et al. 2015, comparison of parent–infant psychotherapy with control).
#
# The argument of this notebook, in four steps:
#
# 1. real counts exist: Metapsy's response and remission tables for perinatal depression;
# 2. on them, the exact binomial likelihood (a frequentist GLMM, checked against R metafor,
#    and the Bayesian binomial-normal model) is set beside the normal approximation (REML
#    and the exact Bayesian engine on escalc log odds ratios);
# 3. with nine comparisons and moderate counts the two agree; a simulation of two-study
#    meta-analyses with few events shows where they part;
# 4. what the secure-attachment result would need to be refitted on its counts.
#
# Odds ratio > 1 = more responders/remitters with psychotherapy = benefit throughout.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import evidence_lib as el

TAU_PRIOR = el.priors.half_normal(0.5)  # the project's default: tau ~ half-normal(0.5), mu flat
SAMPLER = dict(draws=1000, tune=1000, chains=4, cores=1)

# %% [markdown]
# ## 1. Counts from the Metapsy database
#
# The pinned Metapsy database (notebook 06) carries, for binary outcomes, the events and
# totals of both arms. The selection rule is in the `metapsy_binary` module docstring; in
# short: counts the trial reported (metapsyTools also fills counts it imputed from means for
# Milgrom 2021, Ngai 2015 and Saloheimo 2016; those are not data and are left out, as is one
# row whose harmonised and reported totals disagree), psychotherapy against an inactive
# control, post-treatment, one definition per comparison (remission before response, a
# clinician rating before a self-report), and arms shared by several comparisons split in
# whole counts as the Cochrane Handbook (23.3.4) advises, so no participant counts twice.

# %%
db = el.load_metapsy(target_group=None)
perinatal, flow = el.select_binary(db[db["target_group"] == "ppd"].reset_index(drop=True))
everyone, flow_all = el.select_binary(db, target_group=None)
el.reader_table(flow, list(flow.columns), table_id="flow",
                caption=f"Perinatal binary comparisons, step by step (all target groups: {len(everyone)} comparisons "
                        f"from {everyone['trial'].nunique()} studies)")

# %%
assert flow["rows"].tolist() == [95, 15, 12, 12, 12, 12, 9, 9]
assert len(perinatal) == 9 and perinatal["trial"].nunique() == 7
assert len(everyone) == 48 and everyone["trial"].nunique() == 36

# %% [markdown]
# The nine perinatal comparisons, written to `reports/metapsy_perinatal_binary.csv` (study,
# counts, definition, database row id, and the rows of other definitions set aside). Milgrom
# 2005's care-as-usual arm (5 remitters of 18) is shared by three psychotherapy arms and split
# 2/6, 2/6, 1/6.

# %%
el.export_binary(perinatal, el.REPORTS_DIR)
el.reader_table(perinatal.rename(columns={"e1": "events_1", "n1": "n_1", "e2": "events_2", "n2": "n_2"}),
                ["study", "events_1", "n_1", "events_2", "n_2", "outcome_type", "instrument", "rating"],
                table_id="perinatal", caption="The nine perinatal comparisons (arm 1: psychotherapy; arm 2: control)")

# %% [markdown]
# ## 2. The studies and the normal approximation
#
# The forest plot shows each comparison's escalc log odds ratio with its 95 % CI, the REML
# pooled estimate and prediction interval, and the exact posterior under the default priors
# (with shrinkage estimates). This is the normal-approximation view of the counts.

# %% tags=["main-figure"]
lor = el.log_or(perinatal["e1"], perinatal["n1"], perinatal["e2"], perinatal["n2"])
assert len(lor.dropped) == 0
reml = el.random_effects(lor.yi, vi=lor.vi, method="REML")
post = el.exact_posterior(lor.yi, vi=lor.vi, tau_prior=TAU_PRIOR, mu_prior=None)
fig, ax = el.plots.subplots(figsize=(11, 7.5))
el.plots.forest(el.Studies(lor.yi, np.sqrt(lor.vi), labels=perinatal["study"], measure="OR", favours="higher"),
             fit=reml, post=post, ax=ax,
             title="Metapsy perinatal response/remission: odds ratios (escalc, REML, exact posterior)")
plt.show()

# %% [markdown]
# ## 3. The exact likelihood, frequentist: a binomial GLMM at metafor parity
#
# `random_effects_binomial` fits the model of metafor's `rma.glmm(measure="OR",
# model="UM.FS")`: each study's events are binomial, logit p = α_i + μ + b_i/2 in the
# psychotherapy arm and α_i − b_i/2 in the control arm, fixed study intercepts α_i and
# b_i ~ N(0, τ²), by maximum likelihood with the integral over b_i by adaptive Gauss–Hermite
# quadrature (21 points; metafor's lme4 call uses 7, which moves the estimates by < 2e-6
# relative). No continuity correction: a zero cell is just a binomial observation.
#
# Parity with R (metafor 3.8-1, lme4 1.1-31) is checked in the tests (`tests/test_glmm.py`,
# against `tests/reference/glmm_reference.json`, written by `glmm_reference.R`) on four data
# sets: the perinatal set above, the all-groups set, metafor's `dat.nielweise2007` (zero
# cells and one trial without events) and a two-study set with a zero cell; estimates, SEs
# and τ² agree to better than 1e-4 relative. The reference fits use tightened glmer
# tolerances; with glmer's defaults (Nelder–Mead over all k + 2 parameters) metafor itself
# stops up to 1e-3 away.

# %% [markdown]
# ## 4. The exact likelihood, Bayesian: the binomial-normal model
#
# The same counts in PyMC (`sample_binomial`, sampled by nutpie): binomial arms, a normal
# random log odds ratio, weakly informative N(0, 2.5²) priors on the study baselines, and the
# default priors on μ (flat) and τ (half-normal(0.5)) that the exact engine uses on the escalc
# values. (Its random effect sits on the psychotherapy arm, logit p1 = α_i + θ_i, not split
# ±1/2 as in the GLMM; with proper baseline priors the two codings give slightly different τ.)

# %%
fit_mcmc = el.sample_binomial(perinatal["e1"], perinatal["n1"], perinatal["e2"], perinatal["n2"], TAU_PRIOR, None,
                              random_seed=20260815, **SAMPLER)
diag = el.assert_diagnostics(fit_mcmc, ["mu", "tau"])

# %% tags=["check"]
print(diag.to_frame().round(3).to_string())
print(f"divergent transitions: {diag.divergences}")

# %% [markdown]
# ## 5. Side by side: four readings of the same counts
#
# Estimates on the odds-ratio scale with 95 % intervals (CI for the frequentist fits, central
# CrI for the Bayesian ones) and, for the Bayesian ones, P(benefit) = P(μ > 0). A p-value is
# not a probability of benefit, so the frequentist rows leave it empty. The three fast
# approaches are repeated on the 48 comparisons of all target groups.


# %%
side, glmm_peri = el.readings_of_counts(perinatal["e1"], perinatal["n1"], perinatal["e2"], perinatal["n2"],
                                        tau_prior=TAU_PRIOR, mcmc=fit_mcmc)
side_all, glmm_all = el.readings_of_counts(everyone["e1"], everyone["n1"], everyone["e2"], everyone["n2"],
                                           tau_prior=TAU_PRIOR)
el.reader_table(side.reset_index(), ["likelihood", "approach", "ratio", "tau", "p_benefit"], measure="OR",
                table_id="side", caption=f"Perinatal, k = {len(perinatal)}: odds ratio [95 % CI or CrI]")

# %%
el.reader_table(side_all.reset_index(), ["likelihood", "approach", "ratio", "tau", "p_benefit"], measure="OR",
                table_id="side_all", caption=f"All target groups, k = {len(everyone)}: odds ratio [95 % CI or CrI]")

# %%
el.sentence(f"GLMM likelihood-ratio test of τ² = 0: perinatal LRT {glmm_peri.lrt:.2f}, p = "
            f"{el.tables.fmt_p(glmm_peri.lrt_pval)}; all target groups LRT {glmm_all.lrt:.2f}, p "
            f"{el.tables.fmt_p(glmm_all.lrt_pval)}.")

# %%
or_peri = side["ratio_estimate"]
assert abs(glmm_peri.estimate - 1.21765) < 1e-4 and abs(glmm_peri.tau2 - 0.25864) < 1e-4
assert abs(glmm_all.estimate - 1.07708) < 1e-4 and abs(glmm_all.tau2 - 0.57942) < 1e-4
assert or_peri.between(2.8, 3.8).all() and side["p_benefit"].dropna().gt(0.99).all()
assert (side["low"] > 0).all() and (side_all["low"] > 0).all()
assert side_all["ratio_estimate"].between(2.5, 3.3).all()

# %% [markdown]
# On the perinatal counts the four readings agree: an odds ratio of 3.2 to 3.4 for remission
# or response with psychotherapy, every interval from about 1.8 to about 6, and P(benefit)
# above 0.999. The normal approximation does no harm here: the tables are not sparse (the
# smallest cell is 1, in the split Milgrom control arm; no zero cells). On the 48 comparisons
# of all target groups the GLMM's odds ratio (2.94) is 6 % above REML's (2.76): the escalc
# values of the small tables are pulled toward the null, the binomial likelihood is not. The
# likelihood-ratio test finds no evidence of heterogeneity among the nine perinatal
# comparisons (p = 0.13; with nine studies that is weak evidence either way) and strong
# evidence across target groups.
#
# ## 6. Where the approximation parts: two small trials
#
# Barlow 2015's secure-attachment result pools k = 2 trials (n = 168 in all) to RR 8.93,
# 95 % CI 1.25 to 63.70, with I² = 73 %. The simulation below mimics that situation: two
# trials of 40 per arm, a control-arm event risk of 5 %, an odds ratio of 1 (no effect) or 4,
# heterogeneity τ = 0 or 0.8, 200 simulated meta-analyses each (seeded, `n_sim=200`). Three approaches
# that are fast enough for thousands of fits: the GLMM (exact likelihood, Wald interval),
# REML on escalc values (0.5 added to tables with a zero cell, z interval) and the exact
# posterior on the same escalc values (default priors). The binomial-normal MCMC model is
# left out of the simulation (about 10 s per fit). The coverage of an approach is counted over
# the simulated meta-analyses it can fit (`fitted`): with one informative table left (both arms without
# events) the GLMM and REML have nothing to pool, and when neither table has an event with
# the intervention, or each has no event in one arm in the same direction (separation), the
# GLMM's ML estimate is infinite and it refuses; the escalc approaches then still give a
# finite, 0.5-corrected answer.

# %%
scenarios = [dict(true_or=1.0, true_tau=0.0), dict(true_or=4.0, true_tau=0.0), dict(true_or=4.0, true_tau=0.8)]
coverage = pd.concat([el.coverage_simulation(random_seed=20261 + i, tau_prior=TAU_PRIOR, mu_prior=None, k=2, n=40,
                                             control_risk=0.05, n_sim=200, **scenario)
                      .assign(**scenario)
                      for i, scenario in enumerate(scenarios)]).set_index(["true_or", "true_tau", "approach"])
el.reader_table(coverage.reset_index(), ["true_or", "true_tau", "approach", "fitted", "coverage", "mcse",
                                         "median_estimate", "median_width", "zero_cell_share"], table_id="coverage",
                caption="Two trials of 40 per arm, control risk 5 %: 200 simulated meta-analyses per scenario")

# %%
assert (coverage["n_sim"] == 200).all()
assert coverage["zero_cell_share"].between(0.25, 0.4).all()  # a zero cell in a quarter to two fifths
heterogeneous = coverage.xs((4.0, 0.8), level=("true_or", "true_tau"))
assert heterogeneous.loc["GLMM (exact likelihood, ML)", "coverage"] < 0.95
assert (coverage["coverage"] > 0.8).all()

# %% [markdown]
# What the table says (Monte Carlo SE of each coverage in `mcse`, 0.005 to 0.021 with 200
# simulated meta-analyses):
#
# - a zero cell occurs in 27 % to 39 % of such meta-analyses, so the 0.5 correction is
#   routine, not exceptional;
# - without heterogeneity every interval over-covers (0.975 to 0.995): with k = 2, τ² is
#   estimated above 0 in many of them and widens the intervals;
# - with heterogeneity (τ = 0.8) the GLMM's Wald interval under-covers (0.91): two studies
#   cannot pin τ down and the interval treats its estimate as known. REML (0.955) and the
#   posterior (0.97) reach 95 % here. A longer run (same scenarios, `n_sim=2000`,
#   `random_seed=2026 + i`) gave GLMM 0.911 (MC SE 0.006), REML 0.932 (0.006) and posterior
#   0.945 (0.005): REML also falls short, the interval that averages over τ comes closest;
# - with a true log OR of 1.39 (OR 4) and τ = 0, the escalc estimates sit below the GLMM's
#   (median 1.44 REML and 1.42 posterior median against 1.52 here; 1.38 and 1.34 against
#   1.41 in the 2000-simulation run): the 0.5 added to sparse tables pulls them toward the
#   null, the binomial likelihood does not.
#
# No approach rescues two trials: the intervals are 2.5 to 3.4 units of log odds ratio wide
# (an odds-ratio range of 12- to 30-fold).
#
# ## 7. The secure-attachment result, refitted exactly: what it needs
#
# The published summary cannot be refitted with a binomial likelihood: that needs, for each of
# the two trials, the number of securely attached infants and the number assessed in each arm
# (four counts per trial, eight in all), at the post-intervention assessment Barlow pooled.
# The review prints only the pooled RR, its CI, k, n and the heterogeneity statistics; the
# trial-level counts are not in the review or in `data/` (the one lead for Cicchetti
# 2006 gives percentages without denominators, `data/trials/LEADS_NOT_USED.md`).

# %%
secure = el.load_published().set_index("result_id").loc["barlow2015_ctrl_secure_post"]
se_log = el.se_from_ci([secure["ci_low"]], [secure["ci_high"]], measure="RR")[0]
el.sentence(f"Barlow 2015 secure attachment: RR {secure['estimate']:.2f}, 95 % CI {secure['ci_low']:.2f} to "
            f"{secure['ci_high']:.2f}, k = {int(secure['k'])}, n = {int(secure['n'])}, I² = {secure['i2']:.0f} %; the "
            f"implied SE of the pooled log RR is {se_log:.2f} (a CI spanning a factor of "
            f"{secure['ci_high'] / secure['ci_low']:.0f}).")

# %% [markdown]
# A pooled log RR with a standard error of 1.0 from 168 infants means that some arm had very
# few securely attached infants, a handful or fewer; a zero cell is plausible, and RevMan would
# then have added 0.5 to it. Notebook 04 read this summary through the normal approximation:
# posterior median RR 8.93, 95 % CrI 2.4 to 32.8 and P(benefit) 0.998 under the default
# half-normal(0.5) prior on τ, but CrI 0.39 to 206 and P(benefit) 0.95 under a half-Cauchy(1).
# How the reading would likely change on the counts, judging by sections 5 and 6:
#
# - the direction would likely hold (both the published CI and the summary-level posterior sit
#   above 1 under the default prior), so P(benefit) would stay high;
# - the size would not be pinned down: with k = 2 and I² = 73 %, an interval that carries the
#   uncertainty in τ (the binomial-normal posterior) spans more than a tenfold range, and the
#   GLMM's Wald interval would be too narrow (section 6);
# - if a zero cell was corrected, the exact likelihood would move the estimate away from the
#   null, not toward it;
# - the defensible reading is "probably beneficial, size unknown", not "RR 8.9".
#
# These are expectations from the simulation, not results; the refit needs the eight counts.
#
# ## Summary
#
# Real counts from Metapsy (nine perinatal comparisons, 48 across target groups) give an odds
# ratio of about 3 for remission or response with psychotherapy, whichever likelihood is used:
# with moderate counts the normal approximation is adequate. The frequentist binomial GLMM
# reproduces metafor's `rma.glmm` to < 2e-6 relative. With two small trials and few events,
# as in Barlow 2015's attachment results, zero cells are common, the GLMM's Wald interval
# under-covers when the trials differ, and the Bayesian interval that averages over τ covers
# best.

# %% tags=["headline"]
glmm_or = np.exp([glmm_peri.estimate, glmm_peri.low, glmm_peri.high])
el.sentence(f"Perinatal response/remission, k = {len(perinatal)}: GLMM odds ratio {glmm_or[0]:.2f} (95 % CI "
            f"{glmm_or[1]:.2f} to {glmm_or[2]:.2f}); with two small, heterogeneous trials the GLMM's 95 % interval "
            f"covers {heterogeneous.loc['GLMM (exact likelihood, ML)', 'coverage']:.2f} of the time.")
