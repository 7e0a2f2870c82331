"""How numbers and result columns are shown to a reader: the human labels of the vocabulary's
columns, measure-aware numbers and the styled HTML table every result shows in Jupyter.

:func:`reader_table` turns any table of the project (a readings table, published results,
fits) into a pandas ``Styler``: estimates and intervals joined as "0.71 [0.51, 0.98]" on the
row's own scale (ratios as ratios), p-values as "<0.001", probabilities with two decimals,
counts as integers, I² in percent. Columns it does not know are shown as they are. The
Styler's element ids are fixed (``set_uuid``), so the HTML is the same on every run. It is in
the core because every result (:class:`~evidence_lib.core.results.Result`) shows itself with
it; :mod:`evidence_lib.figures.tables` adds sentences and the labels of published results.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from evidence_lib.core.measures import is_ratio

MINUS = "\u2212"


def fmt(x, measure=None) -> str:
    """A number as a reader sees it: two decimals, a true minus sign, ratios as ratios (below
    0.01 as "<0.01", from 100 as whole numbers)."""
    if x is None or not np.isfinite(x):
        return "–"
    if is_ratio(measure) and x >= 100:
        return f"{x:,.0f}"
    if is_ratio(measure) and x < 0.01:
        return "<0.01"
    return minus(f"{x:.2f}")


def minus(text: str) -> str:
    """``text`` with a true minus sign (U+2212) for each hyphen that stands before a number; a
    negative zero ("-0.00", "-0") loses its sign."""
    text = re.sub(r"(?<![\w)\]])-(?=(?:0+\.0+|0+|\.0+)(?![\d.]))", "", text)
    return re.sub(r"(?<![\w)\]])-(?=\.?\d)", MINUS, text)


#: composite columns: (label, centre column or None, low column, high column)
INTERVALS = {
    "estimate_ci": ("estimate [95 % CI]", "estimate_used", "ci_low", "ci_high"),
    "ci": ("estimate [95 % CI]", "estimate", "low", "high"),
    "estimate_interval": ("estimate [95 % CI or CrI]", "estimate", "low", "high"),  # frequentist and Bayesian rows
    "estimate_cri": ("posterior median of μ [95 % CrI]", "estimate", "cri_low", "cri_high"),
    "estimate_cri_averaged": ("μ averaged over models incl. μ = 0: median [95 % CrI]", "estimate_averaged",
                              "cri_low_averaged", "cri_high_averaged"),
    "estimate_cri_given_effect": ("μ given an effect: median [95 % CrI]", "estimate", "cri_low", "cri_high"),
    "kh_ci": ("Knapp–Hartung 95 % CI", None, "kh_ci_low", "kh_ci_high"),
    "pi": ("95 % prediction interval", None, "pi_low", "pi_high"),
    "cri": ("posterior median [95 % CrI]", "post_estimate", "cri_low", "cri_high"),
    "pred": ("95 % predictive interval", None, "pred_low", "pred_high"),
    "posterior": ("posterior median [95 % CrI]", "estimate", "low", "high"),
    "ratio": ("ratio [95 % interval]", "ratio_estimate", "ratio_low", "ratio_high"),
}
#: plain columns: name -> (label, kind)
COLUMNS = {
    "review": ("review", "text"), "comparison": ("comparison", "text"), "outcome": ("outcome", "text"),
    "timepoint": ("time point", "text"), "measure": ("measure", "text"), "method": ("method", "text"),
    "label": ("", "text"), "study": ("study", "text"), "instruments": ("instruments", "text"),
    "k": ("studies (k)", "count"), "studies": ("studies", "count"), "n": ("participants", "count"),
    "participants": ("participants", "count"), "n_arm1": ("n therapy", "count"), "n_arm2": ("n control", "count"),
    "p_reported": ("p as printed", "printed"), "pval": ("p", "p"), "stat": ("statistic", "decimal2"), "stat_type": ("test", "text"),
    "kh_pval": ("Knapp–Hartung p", "p"), "pval_one_sided": ("one-sided p", "p"),
    "pet_pval_one_sided": ("PET one-sided p", "p"), "kendall_tau": ("Kendall's τ", "decimal3"),
    "p_benefit": ("P(benefit)", "prob"), "p_benefit_beyond": ("P(benefit beyond the threshold)", "prob"),
    "p_benefit_averaged": ("P(benefit), averaged over models incl. no effect", "prob"),
    "bf_effect": ("BF (effect)", "bf"), "bf_heterogeneity": ("BF (heterogeneity)", "bf"),
    "bf_bias": ("BF (bias)", "bf"),
    "p_positive": ("P(> 0)", "prob"),
    "i2": ("I²", "percent"), "q": ("Chi² (Q)", "decimal2"), "tau2_reported": ("τ² as printed", "decimal2"), "tau2": ("τ²", "decimal3"), "tau": ("τ", "decimal3"),
    "post_tau": ("posterior median τ", "decimal2"), "recon_tau2": ("τ² implied", "decimal3"),
    "se": ("SE", "decimal3"), "sei": ("SE", "decimal3"), "yi": ("effect", "decimal2"),
    "ci_excludes_null": ("CI excludes no effect", "bool"), "cri_excludes_null": ("CrI excludes no effect", "bool"),
    "readings_disagree": ("readings disagree", "bool"), "estimate_derived": ("estimate = CI midpoint", "bool"),
    "dyadic": ("dyadic", "bool"),
    "favours_intervention": ("favours therapy", "favours"), "reading_note": ("note", "text"),
    "check": ("check", "text"), "reported": ("as printed", "text"), "implied": ("implied", "text"),
    "detail": ("detail", "text"),
    # the decision questions (model averaging, design, preposterior, operating characteristics)
    "case": ("", "text"), "model": ("model", "text"), "effect": ("effect", "bool"),
    "heterogeneity": ("heterogeneity", "bool"), "log_ml": ("log marginal likelihood", "decimal2"),
    "prior_prob": ("prior probability", "decimal2"), "post_prob": ("posterior probability", "decimal3"),
    "mu_prior": ("prior of μ", "text"), "design": ("design", "text"), "true_effect": ("true effect", "decimal2"),
    "true_ratio": ("true ratio", "decimal2"), "power": ("power", "decimal3"), "power_mcse": ("MCSE of power", "decimal3"),
    "type_s": ("Type S error", "decimal3"), "type_s_mcse": ("MCSE of Type S", "decimal3"),
    "exaggeration": ("exaggeration ratio", "decimal2"), "exaggeration_mcse": ("MCSE of exaggeration", "decimal3"),
    "n_significant": ("significant reviews", "count"), "quantity": ("", "text"),
    "probability": ("probability", "decimal3"), "mcse": ("MCSE", "decimal3"), "interval": ("interval", "text"),
    "coverage": ("coverage", "decimal3"), "true_mu": ("true μ", "decimal2"), "significant": ("share significant", "decimal3"),
    "prior_set": ("prior set", "text"), "mean_p_benefit": ("mean P(benefit)", "decimal2"),
    "share_true_benefit": ("share with a true benefit", "decimal2"),
    "bf_null": ("Bayes factor for μ = 0 against μ free (BF₀₁)", "decimal2"), "reading": ("", "text"),
    "tau_upper": ("τ, 97.5 % quantile", "decimal2"), "prior": ("prior", "text"),
    "results": ("pooled results", "count"), "with_figures": ("with figures", "count"),
    "rows": ("rows", "count"), "comparisons": ("comparisons", "count"), "fitted": ("fitted", "count"),
    "events_1": ("events 1", "count"), "n_1": ("n 1", "count"), "events_2": ("events 2", "count"),
    "n_2": ("n 2", "count"), "n_sim": ("simulations", "count"), "n_sim_total": ("simulations (all true μ)", "count"),
    "n_in_bin": ("simulated reviews in the bin", "count"),
}


def fmt_p(p) -> str:
    """A p-value as printed in journals: <0.001, else three decimals below 0.01, two above."""
    if p is None or pd.isna(p):
        return "–"
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


def fmt_p4(p) -> str:
    """A p-value as metafor prints it: four decimals, "<0.0001" below (7e-5 is "<0.0001", not "0.0001")."""
    if p is None or pd.isna(p):
        return "–"
    return "<0.0001" if float(p) < 0.0001 else f"{float(p):.4f}"


def fmt_prob(p) -> str:
    """A probability with two decimals; ">0.99" and "<0.01" rather than a rounded certainty."""
    p = float(p)
    return ">0.99" if p >= 0.995 else "<0.01" if p < 0.005 else f"{p:.2f}"


def _cell(value, kind):
    if kind == "printed":
        return str(value) if isinstance(value, str) and value.strip() else "–"
    if kind == "text":
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    if value is None or pd.isna(value):
        return "–"
    if kind == "count":
        v = float(value)
        return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    if kind == "p":
        return fmt_p(value)
    if kind == "prob":
        return fmt_prob(value)
    if kind == "percent":
        return f"{float(value):.0f} %"
    if kind == "bool":
        return "yes" if bool(value) else "no"
    if kind == "favours":
        return {"lower": "lower values", "higher": "higher values"}.get(value, str(value))
    if kind == "bf":  # a Bayes factor: two decimals, beyond 1,000 (or below 1/1,000) as a bound
        v = float(value)
        return "> 1,000" if v > 1000 else "< 0.001" if v < 0.001 else f"{v:,.2f}"
    digits = {"decimal2": 2, "decimal3": 3}[kind]
    return minus(f"{float(value):.{digits}f}")


def _interval(row, centre, low, high, measure):
    if pd.isna(row.get(low)) or pd.isna(row.get(high)):
        return "–"
    span = f"[{fmt(float(row[low]), measure)}, {fmt(float(row[high]), measure)}]"
    if centre is None:
        return span
    return f"{fmt(float(row[centre]), measure)} {span}" if pd.notna(row.get(centre)) else span


def _label_kind(df: pd.DataFrame, col: str) -> tuple[str, str]:
    """A plain column's label and kind: from :data:`COLUMNS`, else from its dtype."""
    if col in COLUMNS:
        label, kind = COLUMNS[col]
        return label or " ", kind
    numeric = pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
    return col.replace("_", " "), "decimal2" if numeric else "text"


def reader_frame(df: pd.DataFrame, columns: list[str], *, measure=None) -> pd.DataFrame:
    """The formatted strings of :func:`reader_table` (plain DataFrame, e.g. for a text check)."""
    out = {}
    for col in columns:
        if col in INTERVALS:
            label, centre, low, high = INTERVALS[col]
            cells = [_interval(r, centre, low, high, r.get("measure", measure) if measure is None else measure)
                     for _, r in df.iterrows()]
        else:
            label, kind = _label_kind(df, col)
            cells = [_cell(v, kind) for v in df[col]]
        if not label.strip():  # row labels without a heading: each its own (blank) key
            label = " " * (1 + sum(not key.strip() for key in out))
        elif label in out:  # two columns under one heading would show one of them under the other's name
            raise ValueError(f"reader_table: columns {columns!r} give two columns the heading {label!r}")
        out[label] = cells
    return pd.DataFrame(out, index=df.index)


@cache
def _reader_table_class() -> type:
    """ReaderTable, built on first use: pandas' Styler (and jinja2) load when a table is drawn,
    not with this module (the command line's formatters need neither)."""
    from pandas.io.formats.style import Styler

    class ReaderTable(Styler):
        """A Styler whose plain-text form is the table's text, not ``<Styler at 0x7f...>``: a notebook
        stores both forms, and a memory address would change the output on every run."""

        def __repr__(self) -> str:
            return self.data.to_string(index=not all(self.hide_index_))

    ReaderTable.__qualname__ = ReaderTable.__name__
    return ReaderTable


def __getattr__(name: str):
    if name == "ReaderTable":
        return _reader_table_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reader_table(df: pd.DataFrame, columns: list[str], *, measure=None, caption=None, index=False,
                 table_id="t"):
    """A styled HTML table of ``columns`` of ``df`` for readers (see the module doc).

    ``columns`` names plain columns (:data:`COLUMNS`) or composite intervals
    (:data:`INTERVALS`, e.g. ``"estimate_ci"``, ``"cri"``); ratios follow each row's
    ``measure`` column, or ``measure`` for all rows. ``index=True`` keeps the index (its name
    or values as row labels). ``table_id`` fixes the element ids so output is reproducible.
    """
    frame = reader_frame(df, columns, measure=measure)
    if index:
        frame.index = [str(i) for i in df.index]
    styler = _reader_table_class()(frame, uuid=table_id)
    if not index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    # one frame column per requested column, in order (blank headings are " ", "  ", ...)
    text = {shown for shown, c in zip(frame.columns, columns) if c not in INTERVALS and _label_kind(df, c)[1] == "text"}
    numeric = [c for c in frame.columns if c not in text]
    return styler.set_table_styles([
        {"selector": "", "props": "border-collapse: collapse; font-size: 0.92em; margin: 0.4em 0;"},
        {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold; padding: 0.3em 0;"},
        {"selector": "th", "props": "text-align: left; padding: 0.3em 0.7em; border-bottom: 1px solid #444;"},
        {"selector": "td", "props": "padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; vertical-align: top;"},
        {"selector": "tbody tr:nth-child(even)", "props": "background: #f6f6f6;"},
    ]).set_properties(subset=numeric, **{"white-space": "nowrap"}).set_properties(
        subset=[c for c in frame.columns if c in text], **{"text-align": "left"})
