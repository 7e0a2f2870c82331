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
  lower-risk trials; and the same regression by REML (metafor ``rma(yi, vi, mods = ~ rob)``,
  :func:`evidence_lib.frequentist.meta_regression.fit_meta_regression`), always.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evidence_lib.bayes import priors
from evidence_lib.bayes.exact import exact_posterior
from evidence_lib.bayes.summaries import summarise
from evidence_lib.core import checks
from evidence_lib.core.results import Result
from evidence_lib.core.studies import Studies
from evidence_lib.frequentist.meta_regression import fit_meta_regression
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


@dataclass(frozen=True, eq=False, repr=False)
class RiskOfBias(Result):
    """``table``: one row per reading (subset, k, engine, estimate, low, high, p_benefit);
    ``slope``: the change in effect per rob point, one row per engine (REML always, MCMC when
    asked: estimate, low, high, pval); ``regression``: the MCMC meta-regression summary (None
    unless asked); ``cut``, ``rob``."""

    DISPLAY = ("subset", "k", "reading", "estimate_interval", "p_benefit")
    CAPTION = "All trials and the trials at low risk of bias, read both ways"

    table: pd.DataFrame
    slope: pd.DataFrame
    regression: pd.DataFrame | None
    cut: int
    rob: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The readings table (one row per subset and reading)."""
        return self.table.copy()


def risk_of_bias_readings(studies: Studies, rob, *, cut: int = CUT, tau_prior=None, regression: bool = False,
                          random_seed: int = 20261204) -> RiskOfBias:
    """Both readings of all ``studies`` and of those with ``rob`` >= ``cut`` (module docstring;
    ``rob`` one score 0..4 per study, NaN when unscored, e.g. :func:`rob_scores`); ``tau_prior``
    defaults to half-normal(0.5), mu flat; ``regression=True`` adds the MCMC meta-regression on
    rob (beta ~ N(0, 1), about half a minute for k = 68)."""
    rob = np.asarray(rob, float)
    if len(rob) != len(studies):
        raise ValueError(f"rob needs one score per study: {len(rob)} scores for {len(studies)} studies")
    cut = checks.whole("cut", cut, minimum=0, maximum=4)  # a rob score
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
    scored = np.isfinite(rob)
    sub = _subset(studies, scored)
    reml = fit_meta_regression(sub.yi, vi=sub.vi, X=np.column_stack([np.ones(scored.sum()), rob[scored]]))
    slope = [{"reading": "REML meta-regression (z test)", "estimate": reml.estimate[1], "low": reml.low[1],
              "high": reml.high[1], "pval": reml.pval[1]}]
    reg = None
    if regression:
        import arviz as az

        from evidence_lib.bayes.mcmc import sample_meta_regression

        idata = sample_meta_regression(sub, x=rob[scored], tau_prior=tau_prior, random_seed=random_seed)
        reg = az.summary(idata, var_names=["mu", "beta", "tau"])
        beta = np.asarray(idata["posterior"]["beta"]).ravel()
        slope.append({"reading": f"MCMC meta-regression, tau ~ {tau_prior.name}", "estimate": float(np.median(beta)),
                      "low": float(np.quantile(beta, 0.025)), "high": float(np.quantile(beta, 0.975)),
                      "pval": np.nan})
    return RiskOfBias(table=pd.DataFrame(rows), slope=pd.DataFrame(slope), regression=reg, cut=cut, rob=rob)
