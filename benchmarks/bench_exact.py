"""Speed of the exact engine against an MCMC fit of the same model (not part of the tests).

Run: .venv/bin/python benchmarks/bench_exact.py

For k = 8 and k = 50 synthetic studies (fixed seed) it times, median of 50 repetitions, one
exact fit + the 2.5/50/97.5 % quantiles of tau and mu + the 95 % shortest interval of mu
(budget 10 ms), then the wall time of one warm MCMC fit of the same model by the library
(``sample_posterior`` defaults: 4 chains x 1000 draws, cores=2, nutpie), printed as a ratio.
"""

import time

import numpy as np

from evidence_lib.bayes import priors
from evidence_lib.bayes.exact import exact_posterior

BUDGET_MS = 10.0
REPS = 50
TAU_PRIOR = priors.half_normal(0.5)
MU_PRIOR = priors.normal_mu(0.0, 10.0)
QUANTILES = [0.025, 0.5, 0.975]


def synthetic(k: int, seed: int = 20251121):
    """k SMD-like estimates: mu 0.3, tau 0.2, SEs uniform on (0.1, 0.4)."""
    rng = np.random.default_rng(seed)
    sei = rng.uniform(0.1, 0.4, k)
    return rng.normal(0.3, 0.2, k) + rng.normal(0.0, sei), sei


def exact_task(yi, sei):
    post = exact_posterior(yi, sei=sei, tau_prior=TAU_PRIOR, mu_prior=MU_PRIOR)
    post.quantile("tau", QUANTILES)
    post.quantile("mu", QUANTILES)
    post.interval("mu", level=0.95, kind="shortest")
    return post


def time_exact(yi, sei) -> float:
    exact_task(yi, sei)  # warm-up (imports, scipy distribution set-up)
    times = []
    for _ in range(REPS):
        start = time.perf_counter()
        exact_task(yi, sei)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def time_mcmc(yi, sei):
    """Wall time of the second (warm) library MCMC fit; the first one compiles."""
    import logging

    from evidence_lib.bayes.mcmc import sample_posterior

    logging.getLogger("pymc").setLevel(logging.ERROR)
    sample_posterior(yi, sei=sei, tau_prior=TAU_PRIOR, mu_prior=MU_PRIOR, random_seed=1)
    start = time.perf_counter()
    idata = sample_posterior(yi, sei=sei, tau_prior=TAU_PRIOR, mu_prior=MU_PRIOR, random_seed=2)
    wall = time.perf_counter() - start
    return wall, float(idata.posterior["mu"].median()), float(idata.posterior["tau"].median())


def main():
    for k in (8, 50):
        yi, sei = synthetic(k)
        exact_ms = time_exact(yi, sei)
        post = exact_task(yi, sei)
        wall, mu_mcmc, tau_mcmc = time_mcmc(yi, sei)
        verdict = "met" if exact_ms < BUDGET_MS else "NOT met"
        print(f"k = {k:2d}: exact fit + quantiles + 95 % shortest interval {exact_ms:6.2f} ms "
              f"(median of {REPS}; {BUDGET_MS:g} ms budget {verdict})")
        print(f"        MCMC, warm, 4 x 1000 draws: {wall:6.2f} s wall; ratio {1e3 * wall / exact_ms:,.0f}x")
        print(f"        medians exact / MCMC: mu {post.median('mu'):.4f} / {mu_mcmc:.4f}, "
              f"tau {post.median('tau'):.4f} / {tau_mcmc:.4f}")


if __name__ == "__main__":
    main()
