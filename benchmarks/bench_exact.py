"""Speed of the exact engine against a plain SciPy quadrature of the same posterior and against
an MCMC fit of the same model (not part of the tests).

Run: .venv/bin/python benchmarks/bench_exact.py [--no-mcmc]

For k = 8 and k = 50 synthetic studies (fixed seed), half-normal(0.5) tau and N(0, 10²) mu:
one exact fit + the 2.5/50/97.5 % quantiles of tau and mu + the 95 % shortest interval of mu,
median wall and CPU time of 200 repetitions (budget 2 ms of CPU, issue 21). Baselines timed in the same run, printed as
ratios: the same nine figures by plain SciPy (:func:`quad_task`: ``integrate.quad`` for every
cdf and density, ``brentq`` quantiles and interval; one run), with the
largest difference between the two sets of figures; and one warm MCMC fit by the library
(``sample_posterior`` defaults: 4 chains x 1000 draws, cores=2, nutpie).
"""

import sys
import time

import numpy as np
from scipy import integrate, optimize, special, stats

from evidence_lib.bayes import priors
from evidence_lib.bayes.exact import exact_posterior

BUDGET_MS = 2.0
REPS = 200
BASELINE_REPS = 1
TAU_SCALE = 0.5
MU_MEAN, MU_SD = 0.0, 10.0
QUANTILES = [0.025, 0.5, 0.975]
LEVEL = 0.95


def synthetic(k: int, seed: int = 20251121):
    """k SMD-like estimates: mu 0.3, tau 0.2, SEs uniform on (0.1, 0.4)."""
    rng = np.random.default_rng(seed)
    sei = rng.uniform(0.1, 0.4, k)
    return rng.normal(0.3, 0.2, k) + rng.normal(0.0, sei), sei


def exact_task(yi, sei, mu_sd=MU_SD) -> np.ndarray:
    """Fit, tau and mu quantiles, 95 % shortest interval of mu (nine figures)."""
    post = exact_posterior(yi, sei=sei, tau_prior=priors.half_normal(TAU_SCALE), mu_prior=(MU_MEAN, mu_sd))
    return np.concatenate([post.quantile("tau", QUANTILES), post.quantile("mu", QUANTILES),
                           post.interval("mu", level=LEVEL, kind="shortest")])


def quad_task(yi, sei, mu_sd=MU_SD) -> np.ndarray:
    """The same nine figures by plain SciPy. Given tau the model is conjugate: mu | tau, y ~
    N(m, v) and p(tau | y) ∝ p(tau) L(tau) (Röver 2020, J Stat Softw 93(6), sec. 2); every cdf
    and density an ``integrate.quad`` over tau, quantiles are ``brentq`` roots, and the shortest
    interval [Q(p), Q(p + level)] has equal density at both ends (``brentq`` in p)."""
    s2, prior = sei**2, stats.halfnorm(scale=TAU_SCALE)

    def cond(tau):
        w = 1 / (s2 + tau**2)
        prec = w.sum() + 1 / mu_sd**2
        m = (w @ yi + MU_MEAN / mu_sd**2) / prec
        log_l = -0.5 * (np.log(s2 + tau**2).sum() + w @ (yi - m) ** 2 + (MU_MEAN - m) ** 2 / mu_sd**2 + np.log(prec))
        return log_l, m, 1 / prec

    log_c = cond(np.sqrt(s2.mean()))[0]

    def density(tau):
        return prior.pdf(tau) * np.exp(cond(tau)[0] - log_c)

    z = integrate.quad(density, 0, np.inf)[0]

    def tau_cdf(x):
        return integrate.quad(density, 0, x)[0] / z

    def mu_cdf(x):
        def f(tau):
            _, m, v = cond(tau)
            return density(tau) * special.ndtr((x - m) / np.sqrt(v))
        return integrate.quad(f, 0, np.inf)[0] / z

    def mu_pdf(x):
        def f(tau):
            _, m, v = cond(tau)
            return density(tau) * stats.norm.pdf(x, m, np.sqrt(v))
        return integrate.quad(f, 0, np.inf)[0] / z

    def tau_ppf(p):
        return optimize.brentq(lambda x: tau_cdf(x) - p, 0.0, 10 * TAU_SCALE, xtol=1e-12)

    def mu_ppf(p):
        lo, hi = yi.min() - 3 * sei.max(), yi.max() + 3 * sei.max()
        return optimize.brentq(lambda x: mu_cdf(x) - p, lo, hi, xtol=1e-12)

    tail = optimize.brentq(lambda p: mu_pdf(mu_ppf(p)) - mu_pdf(mu_ppf(p + LEVEL)), 1e-6, 1 - LEVEL - 1e-6,
                           xtol=1e-12)
    return np.concatenate([[tau_ppf(p) for p in QUANTILES], [mu_ppf(p) for p in QUANTILES],
                           [mu_ppf(tail), mu_ppf(tail + LEVEL)]])


def per_fit_ms(task, reps: int, *args) -> tuple[float, float, np.ndarray]:
    """Median wall and CPU time (ms) of ``task(*args)`` over ``reps`` runs (after a warm-up
    when ``reps`` > 1), and its result. CPU time leaves out waits for a core on a busy machine;
    on an idle one the two agree."""
    out = task(*args) if reps > 1 else None  # warm-up (imports, scipy set-up)
    wall, cpu = [], []
    for _ in range(reps):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = task(*args)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return 1e3 * float(np.median(wall)), 1e3 * float(np.median(cpu)), out


def verdict(cpu_ms: float) -> str:
    return f"{BUDGET_MS:g} ms budget (CPU) {'met' if cpu_ms <= BUDGET_MS else 'NOT met'}"


def time_mcmc(yi, sei):
    """Wall time of the second (warm) library MCMC fit; the first one compiles."""
    import logging

    from evidence_lib.bayes.mcmc import sample_posterior

    logging.getLogger("pymc").setLevel(logging.ERROR)
    kwargs = dict(sei=sei, tau_prior=priors.half_normal(TAU_SCALE), mu_prior=(MU_MEAN, MU_SD))
    sample_posterior(yi, **kwargs, random_seed=1)
    start = time.perf_counter()
    idata = sample_posterior(yi, **kwargs, random_seed=2)
    wall = time.perf_counter() - start
    return wall, float(idata.posterior["mu"].median()), float(idata.posterior["tau"].median())


def main():
    for k in (8, 50):
        yi, sei = synthetic(k)
        exact_ms, exact_cpu, figures = per_fit_ms(exact_task, REPS, yi, sei)
        quad_ms, quad_cpu, reference = per_fit_ms(quad_task, BASELINE_REPS, yi, sei)
        print(f"k = {k:2d}: exact fit + quantiles + 95 % shortest interval {exact_ms:6.2f} ms wall, "
              f"{exact_cpu:.2f} ms CPU (medians of {REPS}; {verdict(exact_cpu)})")
        print(f"        plain SciPy quadrature, same figures: {quad_ms:,.0f} ms wall, {quad_cpu:,.0f} ms CPU "
              f"(one run); ratio {quad_cpu / exact_cpu:,.0f}x (CPU); "
              f"largest difference {np.abs(figures - reference).max():.1e}")
        if "--no-mcmc" in sys.argv:
            continue
        wall, mu_mcmc, tau_mcmc = time_mcmc(yi, sei)
        print(f"        MCMC, warm, 4 x 1000 draws: {wall:6.2f} s wall; ratio {1e3 * wall / exact_ms:,.0f}x (wall)")
        print(f"        medians exact / MCMC: mu {figures[4]:.4f} / {mu_mcmc:.4f}, "
              f"tau {figures[1]:.4f} / {tau_mcmc:.4f}")


if __name__ == "__main__":
    main()
