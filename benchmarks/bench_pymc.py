"""Speed of one normal-normal fit: eight schools, 4 chains x 1000 draws (+1000 tuning), by sampler.

For each parameterisation and sampler variant, a fresh Python process times the first fit
(cold: interpreter start, imports, graph compilation, sampling) and a second fit of the same
data in the same process (warm), and reports bulk ESS per second of the warm fit for mu and
tau. Target: a warm fit under 2 s. Run: ``.venv/bin/python benchmarks/bench_pymc.py``
(``--variants default`` for the default settings only). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

T_START = time.perf_counter()

TARGET_WARM_S = 2.0
BASELINE = "pymc"  # PyMC's own NUTS; each row's warm time is also printed as a ratio to it
VARIANTS = {  # extra keyword arguments for sample_posterior
    "default": {},  # nutpie's NUTS (the library's default), cores=2
    "pymc": {"nuts_sampler": "pymc"},  # PyMC's NUTS, cores=2
    "pymc-1core": {"nuts_sampler": "pymc", "cores": 1},
    "pymc-numba": {"nuts_sampler": "pymc", "compile_kwargs": {"mode": "NUMBA"}},
    "pymc-ta.95": {"nuts_sampler": "pymc", "target_accept": 0.95},  # about half the leapfrog steps of 0.99
}
PARAMETERISATIONS = ("marginal", "noncentred")


def child(parameterisation: str, variant: str) -> dict:
    """Cold and warm fits in this process; the cold time counts from interpreter start-up."""
    import logging
    import warnings

    import arviz as az
    import numpy as np

    from evidence_lib.bayes import priors
    from evidence_lib.bayes.mcmc import sample_posterior

    logging.getLogger("pymc").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    y = np.array([28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16])  # golden_values.md, bayesmeta version
    s = np.array([14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6])
    args = dict(tau_prior=priors.half_cauchy(25), mu_prior=(0, 50), parameterisation=parameterisation,
                **VARIANTS[variant])
    sample_posterior(y, sei=s, random_seed=1, **args)
    cold = time.perf_counter() - T_START
    t0 = time.perf_counter()
    fit = sample_posterior(y, sei=s, random_seed=2, **args)
    warm = time.perf_counter() - t0
    ess = az.ess(fit, var_names=["mu", "tau"], method="bulk")
    return {"cold_s": cold, "warm_s": warm, "sampling_s": fit["posterior"].attrs["sampling_time"],
            "ess_mu_per_s": float(ess["mu"]) / warm, "ess_tau_per_s": float(ess["tau"]) / warm,
            "divergences": fit.attrs["divergences"]}


def main(variants) -> None:
    variants = [BASELINE] + [v for v in variants if v != BASELINE]
    print(f"{'parameterisation':<12} {'variant':<11} {'cold s':>7} {'warm s':>7} {'NUTS s':>7} "
          f"{'x ' + BASELINE:>7} {'ESS/s mu':>9} {'ESS/s tau':>9} {'div':>4}  warm < {TARGET_WARM_S:g} s")
    for parameterisation in PARAMETERISATIONS:
        baseline = None
        for variant in variants:
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--child", parameterisation, variant],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            baseline = baseline or r["warm_s"]
            print(f"{parameterisation:<12} {variant:<11} {r['cold_s']:7.2f} {r['warm_s']:7.2f} {r['sampling_s']:7.2f} "
                  f"{r['warm_s'] / baseline:7.2f} {r['ess_mu_per_s']:9.0f} {r['ess_tau_per_s']:9.0f} "
                  f"{r['divergences']:4d}  {'met' if r['warm_s'] < TARGET_WARM_S else 'NOT met'}  "
                  f"(process {time.perf_counter() - t0:.1f} s)", flush=True)
    print(f"cold: fresh process incl. imports and compilation; warm: second fit in the same process; "
          f"NUTS s: the sampler's own time in the warm fit; x {BASELINE}: warm time / warm time of PyMC's "
          f"NUTS in this run. Timings depend on the machine's load.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("PARAMETERISATION", "VARIANT"), help=argparse.SUPPRESS)
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    opts = parser.parse_args()
    if opts.child:
        print(json.dumps(child(*opts.child)))
    else:
        main(opts.variants)
