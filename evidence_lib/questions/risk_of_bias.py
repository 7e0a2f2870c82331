"""Risk of bias in the Metapsy perinatal readings (issue 20, part 3).

Metapsy's ``rob`` column scores each trial row from 0 (high risk) to 4 (low risk; the number
of Cochrane risk-of-bias domains at low risk). A comparison takes the **lowest** score of the
database rows it combines (:func:`evidence_lib.loaders.metapsy_selection.select_perinatal_effects`,
``row_ids``), so a comparison counts as low risk only when all its rows do.

Readings (:func:`risk_of_bias_readings`, any studies with one score each; for Metapsy
``risk_of_bias_readings(sel.studies, rob_scores(sel, df))``):

- the trials at low risk (rob >= ``cut``), read both ways: REML random effects (metafor
  ``rma``) and the exact posterior (bayesmeta's model), next to the same readings of all trials;
- a Bayesian meta-regression on rob, y_i ~ N(mu + beta·rob_i, s_i² + tau²), by MCMC
  (:func:`evidence_lib.bayes.mcmc.sample_meta_regression`); beta > 0 means larger effects in
  lower-risk trials. No frequentist meta-regression is offered (the project has no
  metafor-checked ``mods=`` engine yet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evidence_lib.bayes import priors
from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.bayes.summaries import summarise
from evidence_lib.core.results import Result
from evidence_lib.core.studies import Studies
from evidence_lib.frequentist.rma import random_effects

CUT = 3


def rob_scores(selection, df: pd.DataFrame) -> np.ndarray:
    """Lowest ``rob`` of each analysed comparison's database rows (NaN when none is scored)."""
    rob = df.set_index("row_id")["rob"]
    ids = selection.studies.data["row_ids"].astype(str).str.split(";")
    return np.array([rob.reindex([int(i) for i in row]).min() for row in ids], float)


def _subset(studies: Studies, keep: np.ndarray) -> Studies:
    data = studies.data[keep].reset_index(drop=True) if studies.data is not None else None
    return Studies(studies.yi[keep], studies.sei[keep], labels=np.array(studies.labels)[keep], measure=studies.measure,
                   favours=studies.favours, note=studies.note, data=data)


@dataclass(frozen=True, eq=False)
class RiskOfBias(Result):
    """``table``: one row per reading (subset, k, engine, estimate, low, high, p_benefit);
    ``regression``: the MCMC meta-regression summary (None unless asked); ``cut``, ``rob``."""

    table: pd.DataFrame
    regression: pd.DataFrame | None
    cut: int
    rob: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The readings table (one row per subset and reading)."""
        return self.table.copy()

    def _repr_html_(self) -> str:
        extra = "" if self.regression is None else self.regression.to_html()
        return self.table.to_html(index=False) + extra


def risk_of_bias_readings(studies: Studies, rob, *, cut: int = CUT, tau_prior=None, regression: bool = False,
                          random_seed: int = 20261204) -> RiskOfBias:
    """Both readings of all ``studies`` and of those with ``rob`` >= ``cut`` (module docstring;
    ``rob`` one score 0..4 per study, NaN when unscored, e.g. :func:`rob_scores`); ``tau_prior``
    defaults to half-normal(0.5), mu flat; ``regression=True`` adds the MCMC meta-regression on
    rob (beta ~ N(0, 1), about half a minute for k = 68)."""
    rob = np.asarray(rob, float)
    if len(rob) != len(studies):
        raise ValueError(f"rob needs one score per study: {len(rob)} scores for {len(studies)} studies")
    if not 0 <= cut <= 4:
        raise ValueError(f"cut must be a rob score in 0..4, got {cut}")
    tau_prior = priors.half_normal(0.5) if tau_prior is None else tau_prior
    rows = []
    for name, keep in (("all", np.ones(len(rob), bool)), (f"rob >= {cut}", rob >= cut)):
        sub = _subset(studies, keep)
        fit = random_effects(sub, method="REML")
        rows.append({"subset": name, "k": len(sub), "reading": "REML random effects", "estimate": fit.estimate,
                     "low": fit.low, "high": fit.high, "p_benefit": np.nan})
        post = summarise(exact_posterior(sub, tau_prior=tau_prior), favours=sub.favours)
        rows.append({"subset": name, "k": len(sub), "reading": f"exact posterior, tau ~ {tau_prior.name}",
                     "estimate": post["estimate"], "low": post["low"], "high": post["high"],
                     "p_benefit": post["p_benefit"]})
    reg = None
    if regression:
        import arviz as az

        from evidence_lib.bayes.mcmc import sample_meta_regression

        scored = np.isfinite(rob)
        idata = sample_meta_regression(_subset(studies, scored), x=rob[scored], tau_prior=tau_prior,
                                       random_seed=random_seed)
        reg = az.summary(idata, var_names=["mu", "beta", "tau"])
    return RiskOfBias(table=pd.DataFrame(rows), regression=reg, cut=cut, rob=rob)
