"""Speed of the issue-14 simulations (not part of the tests).

Run: .venv/bin/python benchmarks/bench_worth.py

1. ``next_trial``: 2,000 simulated updates of a review of k = 4 and k = 10 synthetic studies
   (fixed seed), one new trial of 100 per arm, half-normal(0.5) tau, flat mu. Budget 30 s
   each. Baseline in the same run: refitting each updated review one by one with
   ``exact_posterior`` + ``prob`` (timed on 100 updates and scaled to 2,000), printed as a
   ratio, with the largest difference in the updated P(benefit) between the two paths.
2. ``operating_characteristics``: the notebook-07 run (5 true effects x 1,000 reviews x 5
   prior sets = 25,000 exact fits) and a 4x larger one.
3. ``design_analysis``: Knapp-Hartung with tau from its posterior, 5 effects x 4,000 reviews.
"""

import os
import time

import numpy as np

os.environ.setdefault("CI", "1")  # no progress bars in the timings

from evidence_lib.bayes import priors  # noqa: E402
from evidence_lib.questions.design import design_analysis  # noqa: E402
from evidence_lib.bayes.exact import exact_posterior  # noqa: E402
from evidence_lib.questions.operating import operating_characteristics  # noqa: E402
from evidence_lib.questions.preposterior import next_trial  # noqa: E402
from evidence_lib.published.readings import standard_prior_sets  # noqa: E402
from evidence_lib.core.studies import Studies  # noqa: E402

BUDGET_S = 30.0
N_SIM = 2000
BASELINE_N = 100
TAU_PRIOR = priors.half_normal(0.5)


def synthetic(k: int, seed: int = 20261129) -> Studies:
    """k SMD estimates: mu -0.2, tau 0.15, SEs uniform on (0.15, 0.3); lower favours."""
    rng = np.random.default_rng(seed)
    sei = rng.uniform(0.15, 0.3, k)
    return Studies(rng.normal(-0.2, 0.15, k) + rng.normal(0.0, sei), sei, measure="SMD", favours="lower")


def bench_next_trial(k: int) -> None:
    studies = synthetic(k)
    next_trial(studies, n_per_arm=100, tau_prior=TAU_PRIOR, n_sim=50, random_seed=1)  # warm-up
    start = time.perf_counter()
    res = next_trial(studies, n_per_arm=100, tau_prior=TAU_PRIOR, n_sim=N_SIM, random_seed=2)
    wall = time.perf_counter() - start
    d = res.simulations.head(BASELINE_N)
    start = time.perf_counter()
    refit = []
    for y in d["y_new_1"]:
        post = exact_posterior(np.append(studies.yi, y), sei=np.append(studies.sei, np.sqrt(2 / 100 + y**2 / 400)),
                               tau_prior=TAU_PRIOR)
        refit.append(post.prob("mu", upper=0.0))
    baseline = (time.perf_counter() - start) * N_SIM / BASELINE_N
    diff = np.max(np.abs(np.array(refit) - d["p_benefit"].to_numpy()))
    verdict = "within" if wall < BUDGET_S else "OVER"
    print(f"next_trial k = {k:2d}: {N_SIM} updates in {wall:5.2f} s ({verdict} the {BUDGET_S:.0f} s budget); "
          f"one-by-one exact refits {baseline:6.1f} s (scaled from {BASELINE_N}), ratio {baseline / wall:5.1f}x; "
          f"max |dP(benefit)| {diff:.1e}")


def bench_operating(n_sim: int) -> None:
    sei = np.full(4, 0.2126)
    rhodes = priors.rhodes2015("mental health outcome", "non-pharmacological (any)")
    start = time.perf_counter()
    operating_characteristics(sei=sei, true_mu=[-0.4, -0.3, -0.2, -0.1, 0.0], tau_prior=rhodes, prior_sets=standard_prior_sets(),
                              n_sim=n_sim, random_seed=1)
    wall = time.perf_counter() - start
    fits = 5 * n_sim * len(standard_prior_sets())
    print(f"operating_characteristics: {fits} exact fits in {wall:5.2f} s ({1e6 * wall / fits:5.0f} us per fit)")


def bench_design() -> None:
    studies = synthetic(4)
    start = time.perf_counter()
    design_analysis(studies, true_effects=[-0.1, -0.2, -0.3, -0.4, -0.5], test="knha", tau_source="posterior", tau_prior=TAU_PRIOR,
                    n_sim=4000, random_seed=1)
    print(f"design_analysis (KH, tau ~ posterior, 5 x 4000 reviews): {time.perf_counter() - start:5.2f} s")


if __name__ == "__main__":
    for k in (4, 10):
        bench_next_trial(k)
    for n_sim in (1000, 4000):
        bench_operating(n_sim)
    bench_design()
