"""Every frequentist small-study method on one study table, one row each, for a reader.

:func:`bias_suite` runs Egger's regression test (metafor ``regtest``, sei predictor, REML),
the rank correlation test, trim and fill (L0, side as metafor chooses it), fail-safe N
(Rosenthal), PET-PEESE and the one-step selection model (Vevea-Hedges 3PSM, step at one-sided
p = .025 on the side of benefit). A method that the data cannot identify (too few studies, an
empty p-value interval, a maximisation that does not converge) gets a row that says why
instead of a number: no silent estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence_lib.core.display import fmt_p
from evidence_lib.core.errors import ConvergenceError
from evidence_lib.core.results import Result
from evidence_lib.core.studies import as_studies, spread_by_keyword
from evidence_lib.frequentist.rma import random_effects
from evidence_lib.questions.bias.failsafe import fsn
from evidence_lib.questions.bias.rank import ranktest
from evidence_lib.questions.bias.regression import pet_peese, regtest
from evidence_lib.questions.bias.selection import selmodel
from evidence_lib.questions.bias.trim_and_fill import trimfill

COLUMNS = ["method", "estimate", "low", "high", "stat_type", "stat", "pval", "note"]


class BiasSuite(Result):
    """The rows of :func:`bias_suite` (``table``) with the studies' measure."""

    DISPLAY = ("method", "ci", "stat_type", "stat", "pval", "note")
    CAPTION = "Small-study effects and selective publication: each method's adjusted estimate or test"

    def __init__(self, table: pd.DataFrame, measure, k: int):
        self.table, self.measure, self.k = table, measure, k

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def _row(method, res=None, *, estimate=None, note="", stat=None, pval=None):
    est = getattr(res, "estimate", None) if estimate is None else estimate
    df = getattr(res, "df_test", None)
    kind = None if res is None else "z" if df is None else f"t({df})"
    return {"method": method, "estimate": est, "low": getattr(res, "low", None), "high": getattr(res, "high", None),
            "stat_type": kind, "stat": stat if stat is not None else getattr(res, "stat", None),
            "pval": pval if pval is not None else getattr(res, "pval", None), "note": note}


@spread_by_keyword
def bias_suite(studies, *, sei=None, vi=None, level: float = 0.95) -> BiasSuite:
    """The methods of the module docstring on ``studies`` (a Studies with ``favours`` set, or
    ``yi`` with ``sei=``/``vi=``); one row per method: ``estimate``, ``low``/``high`` (its
    interval at ``level``), the test's statistic ``stat`` (which one: ``stat_type``, e.g. z, t(df),
    Kendall's τ, LRT χ²(1)), its ``pval`` and a ``note``."""
    s = as_studies(studies, sei=sei, vi=vi)
    if s.favours not in ("lower", "higher"):
        raise ValueError("bias_suite needs the side that favours the intervention (Studies(..., favours=))")
    benefit = "greater" if s.favours == "higher" else "less"
    fit = random_effects(s, level=level)
    rows = [_row("random effects (REML), no adjustment", fit, note=f"tau² {fit.tau2:.3g}, I² {fit.i2:.0f} %")]
    methods = [
        ("Egger regression, limit as SE → 0 (sei, REML)",
         lambda: regtest(s, level=level), lambda r: {"estimate": r.estimate, "note": "estimate: the limit as SE → 0"}),
        ("Begg and Mazumdar rank test", lambda: ranktest(s),
         lambda r: {"estimate": np.nan, "stat_type": "Kendall's τ", "stat": r.kendall_tau}),
        ("trim and fill (L0)", lambda: trimfill(s, level=level),
         lambda r: {"note": f"{r.k0} {'study' if r.k0 == 1 else 'studies'} filled on the {r.side}"}),
        ("fail-safe N (Rosenthal)", lambda: fsn(s),
         lambda r: {"estimate": np.nan, "stat_type": None, "note": f"{r.fsn:,.0f} null studies would make p > {r.alpha:g} (one-sided "
                                                 f"p now {fmt_p(r.pval_one_sided)})"}),
        ("PET-PEESE", lambda: pet_peese(s, level=level),
         lambda r: {"stat_type": None, "stat": np.nan, "pval": np.nan, "note": f"{r.chosen.upper()} chosen (Stanley and Doucouliagos 2014)"}),
        ("selection model, step at p = .025 (3PSM)", lambda: selmodel(s, alternative=benefit, level=level),
         lambda r: {"stat_type": f"LRT χ²({r.lrt_df})", "stat": r.lrt, "pval": r.lrt_pval,
                    "note": f"likelihood ratio test for selection; weight of p > .025 {r.delta[1]:.2f}"}),
    ]
    for name, run, extra in methods:
        try:
            res = run()
        except (ValueError, ConvergenceError) as err:
            why = ("all studies share one standard error (as a published summary's pseudo-studies do)"
                   if "same standard error" in str(err) else str(err))
            rows.append(_row(name, estimate=np.nan, note=f"not identified here: {why}"))
            continue
        rows.append({**_row(name, res), **extra(res)})
    table = pd.DataFrame(rows, columns=COLUMNS)
    return BiasSuite(table, s.measure, len(s))


def adjusted_table(suite: BiasSuite, averages: dict | None = None) -> pd.DataFrame:
    """The estimates of ``suite`` that adjust (or do not adjust) the pooled effect, with the
    Bayesian ``averages`` (label -> :func:`~evidence_lib.questions.bias_averaging.bias_model_average`
    result: its model-averaged median and CrI, the mu = 0 models included) below them: columns
    method, estimate, low, high, reading (frequentist / Bayesian),
    for :func:`evidence_lib.figures.plots.adjusted_estimates`."""
    t = suite.table[np.isfinite(suite.table["estimate"].to_numpy(float))]
    rows = [{**r[["method", "estimate", "low", "high"]].to_dict(), "reading": "frequentist"} for _, r in t.iterrows()]
    rows += [{"method": label, "estimate": a.estimate_averaged, "low": a.low_averaged, "high": a.high_averaged,
              "reading": "Bayesian"}
             for label, a in (averages or {}).items()]
    return pd.DataFrame(rows)
