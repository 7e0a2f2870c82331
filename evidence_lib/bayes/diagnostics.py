"""MCMC convergence diagnostics, all computed by ArviZ.

Thresholds follow Vehtari et al. 2021 (Bayesian Analysis 16:667): rank-normalised split
R-hat <= 1.01 and bulk/tail ESS >= 400 (100 per chain for 4 chains), from ``az.summary``.
The sampler's own checks come from :func:`arviz_stats.diagnose` (CmdStan's diagnose): any
divergent transition, any transition at the maximum tree depth, and E-BFMI below 0.3 in
any chain are failures too (Betancourt 2017, arXiv:1701.02434).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import arviz_stats
import numpy as np
import pandas as pd

from evidence_lib.core.results import Result
from evidence_lib.core.errors import ConvergenceError


class SamplerWarning(UserWarning):
    """An MCMC fit failed a convergence check (R-hat, ESS or divergences)."""


@dataclass(frozen=True, eq=False, repr=False)
class Diagnostics(Result):
    """Per-parameter ``r_hat, ess_bulk, ess_tail, mcse_mean, mcse_sd`` (``table``, from
    ``az.summary``), the number of divergent transitions and the failed checks (``problems``,
    empty when healthy)."""

    CAPTION = "Sampler diagnostics per parameter"

    table: pd.DataFrame
    divergences: int
    problems: list

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_frame(self) -> pd.DataFrame:
        return self.table


def check_diagnostics(idata, var_names=None, *, rhat_max: float = 1.01, ess_min: float = 400,
                      warn: bool = True) -> Diagnostics:
    """Check R-hat, bulk/tail ESS and divergences of a fit (module docstring thresholds).

    With ``warn`` a :class:`SamplerWarning` names the failed checks. R-hat is NaN with a
    single chain, which counts as a failure.
    """
    df = az.summary(idata, var_names=var_names, kind="diagnostics", round_to="none")
    _, sampler = arviz_stats.diagnose(idata, var_names=var_names, show_diagnostics=False, return_diagnostics=True)
    divergences = int(sampler["divergent"]["n_divergent"])
    problems = []
    bad_rhat = df.index[~(df["r_hat"] <= rhat_max)].tolist()
    if bad_rhat:
        problems.append(f"R-hat > {rhat_max} (or not computable with < 2 chains) for {bad_rhat}")
    bad_ess = df.index[~(np.minimum(df["ess_bulk"], df["ess_tail"]) >= ess_min)].tolist()
    if bad_ess:
        problems.append(f"bulk or tail ESS < {ess_min} for {bad_ess}")
    if divergences:
        problems.append(f"{divergences} divergent transition(s)")
    if sampler.get("treedepth", {}).get("n_max"):
        problems.append(f"{sampler['treedepth']['n_max']} transition(s) at the maximum tree depth")
    if sampler.get("bfmi", {}).get("failed_chains"):
        problems.append(f"E-BFMI < {sampler['bfmi']['threshold']} in chain(s) {sampler['bfmi']['failed_chains']}")
    if problems and warn:
        warnings.warn("MCMC diagnostics failed: " + "; ".join(problems), SamplerWarning, stacklevel=2)
    return Diagnostics(df, divergences, problems)


def assert_diagnostics(idata, var_names=None, *, rhat_max: float = 1.01, ess_min: float = 400) -> Diagnostics:
    """As :func:`check_diagnostics`, but raise :class:`~evidence_lib.core.errors.ConvergenceError`
    on any failed check."""
    result = check_diagnostics(idata, var_names, rhat_max=rhat_max, ess_min=ess_min, warn=False)
    if result.problems:
        raise ConvergenceError("MCMC diagnostics failed: " + "; ".join(result.problems))
    return result


def compare_with_exact(fit, post, params=("mu", "tau", "theta_new"), *, mcse_units: float = 4.0) -> pd.DataFrame:
    """MCMC against the exact posterior: posterior medians and P(mu < 0), in MCSE units.

    MCSE of a median: ``az.mcse(method="median")``; of P(mu < 0): sqrt(p(1 - p) / ESS) with
    ArviZ's ESS of the indicator (when every draw is on one side, as if half a draw fell on
    the other). Returns one row per quantity (mcmc, exact, mcse, units); raises
    :class:`~evidence_lib.core.errors.ConvergenceError` when any |units| >= ``mcse_units``.
    """
    rows = []
    for name in params:
        draws = fit.posterior[name]
        rows.append((name + " median", float(draws.median()), post.median(name),
                     float(az.mcse(draws, method="median"))))
    below = (fit.posterior["mu"] < 0).values.astype(float)
    p, n = below.mean(), below.size
    mcse = np.sqrt(p * (1 - p) / az.ess(below, method="mean")) if 0 < p < 1 else np.sqrt(0.5 / n**2)
    rows.append(("P(mu < 0)", p, post.prob("mu", upper=0.0), float(mcse)))
    table = pd.DataFrame(rows, columns=["quantity", "mcmc", "exact", "mcse"]).set_index("quantity")
    table["units"] = (table["mcmc"] - table["exact"]) / table["mcse"]
    bad = table[table["units"].abs() >= mcse_units]
    if len(bad):
        raise ConvergenceError(f"MCMC differs from the exact posterior by >= {mcse_units} MCSE:\n{bad}")
    return table
