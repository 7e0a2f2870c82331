"""Per-fit time of both engines at k = 9 against baselines timed in the same run (issue 21:
at most 2 ms of CPU each, as ``bench_exact.verdict`` judges; not part of the tests).

Run: .venv/bin/python benchmarks/bench_engines.py

1. REML + its Q-profile tau² interval (``random_effects(method="REML")``), median of 1,000
   fits (wall and CPU time), against a plain SciPy fit of the same quantities (:func:`reml_baseline`: bounded
   ``minimize_scalar`` of the restricted likelihood, ``brentq`` Q-profile roots,
   ``scipy.stats`` quantiles; median of 200) and, when ``Rscript`` with metafor is installed,
   metafor ``rma`` + ``confint`` (median of 200 inside R), with the largest difference.
2. The exact posterior with half-normal(0.5) tau and N(0, 4²) mu: fit + tau and mu quantiles
   + 95 % shortest interval of mu (median of 200), against the plain SciPy quadrature of
   ``bench_exact.quad_task`` (one run).
"""

import shutil
import subprocess

import numpy as np
from bench_exact import exact_task, per_fit_ms, quad_task, synthetic, verdict
from scipy import optimize, stats

from evidence_lib.frequentist.rma import random_effects

K = 9
LEVEL = 0.95


def reml_task(yi, vi) -> np.ndarray:
    fit = random_effects(yi, vi=vi, method="REML", level=LEVEL)
    return np.array([fit.estimate, fit.low, fit.high, fit.tau2, *fit.tau2_ci])


def reml_baseline(yi, vi) -> np.ndarray:
    """The same six figures by plain SciPy: tau² maximises the restricted log-likelihood
    -½ [Σ log(v + tau²) + log Σ w + Σ w (y - mu_w)²] (bounded Brent on [0, 100]); the Q-profile
    interval solves Q(tau²) = chi²(k-1) quantiles (Viechtbauer 2007, Stat Med 26:37)."""
    def q(tau2):
        w = 1 / (vi + tau2)
        return w @ (yi - w @ yi / w.sum()) ** 2

    def neg_restricted_loglik(tau2):
        return 0.5 * (np.log(vi + tau2).sum() + np.log((1 / (vi + tau2)).sum()) + q(tau2))

    tau2 = optimize.minimize_scalar(neg_restricted_loglik, bounds=(0, 100), method="bounded",
                                    options={"xatol": 1e-12}).x
    w = 1 / (vi + tau2)
    mu, se = w @ yi / w.sum(), np.sqrt(1 / w.sum())
    crit = stats.norm.ppf((1 + LEVEL) / 2)
    chi2 = stats.chi2(len(yi) - 1)
    ends = [0.0 if q(0.0) < target else optimize.brentq(lambda t: q(t) - target, 0.0, 100.0, xtol=1e-14)
            for target in (chi2.isf((1 - LEVEL) / 2), chi2.ppf((1 - LEVEL) / 2))]
    return np.array([mu, mu - crit * se, mu + crit * se, tau2, *ends])


METAFOR = """
suppressMessages(library(metafor))
yi <- c({yi}); vi <- c({vi})
fit <- function() confint(rma(yi, vi, method = "REML"))
invisible(fit())
times <- replicate(200, {{start <- Sys.time(); fit(); as.numeric(Sys.time() - start, units = "secs")}})
cat(1e3 * median(times))
"""


def metafor_ms(yi, vi) -> float | None:
    """Median ms of metafor ``confint(rma(yi, vi, method="REML"))`` timed inside R, or None."""
    if shutil.which("Rscript") is None:
        return None
    script = METAFOR.format(yi=", ".join(f"{v!r}" for v in yi.tolist()), vi=", ".join(f"{v!r}" for v in vi.tolist()))
    run = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True)
    return float(run.stdout) if run.returncode == 0 else None


def main():
    yi, sei = synthetic(K)
    vi = sei**2
    ours, ours_cpu, figures = per_fit_ms(reml_task, 1000, yi, vi)
    base, base_cpu, reference = per_fit_ms(reml_baseline, 200, yi, vi)
    print(f"k = {K}: REML + Q-profile interval {ours:.3f} ms wall, {ours_cpu:.3f} ms CPU "
          f"(medians of 1000; {verdict(ours_cpu)})")
    print(f"       plain SciPy, same figures: {base:.3f} ms wall, {base_cpu:.3f} ms CPU; "
          f"ratio {base_cpu / ours_cpu:.1f}x (CPU); largest difference {np.abs(figures - reference).max():.1e}")
    r_ms = metafor_ms(yi, vi)
    if r_ms is not None:
        print(f"       metafor rma + confint (in R): {r_ms:.3f} ms wall; ratio {r_ms / ours:.1f}x (wall)")

    ours, ours_cpu, figures = per_fit_ms(exact_task, 200, yi, sei, 4.0)
    base, base_cpu, reference = per_fit_ms(quad_task, 1, yi, sei, 4.0)
    print(f"k = {K}: exact posterior, half-normal(0.5) / N(0, 4^2), + quantiles + 95 % shortest interval "
          f"{ours:.3f} ms wall, {ours_cpu:.3f} ms CPU (medians of 200; {verdict(ours_cpu)})")
    print(f"       plain SciPy quadrature, same figures: {base:,.0f} ms wall, {base_cpu:,.0f} ms CPU (one run); "
          f"ratio {base_cpu / ours_cpu:,.0f}x (CPU); largest difference {np.abs(figures - reference).max():.1e}")


if __name__ == "__main__":
    main()
