"""The result vocabulary and the base every result class shares.

One name for one quantity in every result, table, CSV column, CLI line and notebook
(written down once here and in the README):

==================== =====================================================================
name                 meaning
==================== =====================================================================
``estimate``         the pooled point value on the analysis scale (log for ratios); for a
                     posterior its median
``se``               its standard error (for a posterior: the posterior SD)
``low``, ``high``    the ends of its interval at ``level`` (a CI for a frequentist fit, a
                     central credible interval for a posterior)
``level``            the interval's probability, e.g. 0.95
``stat``, ``pval``   the test statistic (z, or t with ``df_test`` degrees of freedom) and its
                     two-sided p-value; a one-sided p-value is ``pval_one_sided`` (prefixed
                     by its test where a table holds several: ``pet_pval_one_sided``)
``loglik``           a maximised log-likelihood (of another model: suffixed, ``loglik_ee``)
``tau2``, ``tau``    the between-study variance and SD (for a posterior: medians)
``k``                the number of studies
``p_benefit``        P(effect on the side that favours the intervention | the model); its
                     side is ``favours`` ("lower" or "higher")
``p_benefit_averaged`` the same probability averaged over models, including the point mass of
                     the models with no effect (mu = 0): a different quantity, so a different name
``p_benefit_beyond`` P(benefit larger than ``threshold``), with ``threshold`` on the analysis scale
``bf_<what>``        an inclusion Bayes factor (``bf_effect``, ``bf_heterogeneity``, ``bf_bias``)
``n_sim``            the number of simulated data sets (reviews, trials, meta-analyses) of a
                     simulation; ``draws`` counts MCMC draws only; ``n_sim_total`` pooled over a
                     grid, ``n_in_bin`` the simulated data sets falling in one bin
``stat_type``        which statistic ``stat`` is where a table mixes tests (z, t(df), LRT χ²(df))
==================== =====================================================================

Prefix rule: where one table holds several intervals, ``low``/``high`` take the interval's
name as prefix: ``ci_`` (confidence), ``kh_ci_`` (Knapp-Hartung), ``pi_`` (frequentist
prediction), ``cri_`` (central credible), ``hdi_`` (shortest credible), ``pred_`` (posterior
predictive); an interval of another quantity is prefixed by it (``tau2_low``, ``i2_high``).

Suffix rule: ``_averaged`` marks a quantity averaged over models with and without an effect
(the mu = 0 models' point mass included): ``estimate_averaged``, ``cri_low_averaged``,
``cri_high_averaged``, ``p_benefit_averaged``; without the suffix, a model average reports the
same quantities given an effect.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass

import numpy as np
import pandas as pd

#: the names above (prefixed interval ends follow the prefix rule)
VOCABULARY = {
    "estimate": "pooled point value (analysis scale; posterior median)",
    "se": "standard error (posterior SD)",
    "low": "interval end at level", "high": "interval end at level",
    "level": "interval probability",
    "stat": "test statistic", "pval": "two-sided p-value", "df_test": "degrees of freedom of the t test",
    "pval_one_sided": "one-sided p-value", "loglik": "maximised log-likelihood",
    "tau2": "between-study variance", "tau": "between-study SD",
    "k": "number of studies",
    "p_benefit": "P(benefit | model)",
    "p_benefit_averaged": "P(benefit) averaged over models incl. no effect",
    "p_benefit_beyond": "P(benefit larger than threshold)", "threshold": "clinical threshold (analysis scale)",
    "n_sim": "number of simulated data sets", "draws": "number of MCMC draws",
    "n_sim_total": "simulated data sets over a grid", "n_in_bin": "simulated data sets in one bin",
    "stat_type": "which test statistic stat is",
    "estimate_averaged": "model-averaged median incl. the mu = 0 models",
}
INTERVAL_PREFIXES = ("ci", "kh_ci", "pi", "cri", "hdi", "pred")


class Result:
    """Base of the result classes: ``to_frame()`` gives the result as a table in the
    vocabulary above, ``_repr_html_()`` shows it in Jupyter as a reader's table (human labels,
    ratios as ratios, ``<0.001``). Subclasses set ``DISPLAY`` (the columns a reader sees,
    names known to :mod:`evidence_lib.core.display`) and may override ``to_frame``."""

    DISPLAY: tuple[str, ...] = ()
    CAPTION: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row of the scalar fields (arrays and tables are left to their own accessors)."""
        names = [f.name for f in fields(self)] if is_dataclass(self) else list(vars(self))
        row = {n: getattr(self, n) for n in names if _scalar(getattr(self, n))}
        return pd.DataFrame([row])

    def reader(self):
        """The reader's table of this result (:func:`evidence_lib.core.display.reader_table`): the
        ``DISPLAY`` columns of ``to_frame()`` with human labels, ratios as ratios, ``<0.001``."""
        from evidence_lib.core.display import INTERVALS, reader_table  # pandas' Styler, imported when shown

        frame = self.to_frame()

        def present(c):
            parts = INTERVALS[c][1:] if c in INTERVALS else (c,)
            return all(p is None or p in frame.columns for p in parts)
        columns = [c for c in self.DISPLAY if present(c)]
        return reader_table(frame, columns or list(frame.columns), measure=getattr(self, "measure", None),
                            caption=self.CAPTION or None, table_id=type(self).__name__.lower())

    def _repr_html_(self) -> str:
        return self.reader().to_html()

    def __repr__(self) -> str:
        """The same table as text (a console, a notebook's text/plain output): the class and its
        caption, then the rows; never a memory address, so a stored output is the same on every run."""
        head = type(self).__name__ + (f": {self.CAPTION}" if self.CAPTION else "")
        return f"{head}\n{self.reader()!r}"


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, bool, int, float, np.integer, np.floating))


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Pooled(Result):
    """The fields every pooled estimate shares (vocabulary above): ``estimate``, ``se``, its
    interval ``low``/``high`` at ``level``, and the test of no effect, ``stat`` and ``pval``."""

    estimate: float
    se: float
    low: float
    high: float
    stat: float
    pval: float
    level: float

