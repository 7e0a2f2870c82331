"""Figures for a projected classroom: one colour for frequentist, one for Bayesian.

Every function takes an optional matplotlib ``ax`` and returns it; axes are labelled
with the measure and the direction that favours the intervention.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from evidence_lib.measures import is_ratio

FREQ = "#1f5fa8"   # frequentist: blue
BAYES = "#c8501e"  # Bayesian: orange-red
PRIOR = "#7a7a7a"  # priors: grey

plt.rcParams.update({"font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12,
                     "legend.fontsize": 10, "figure.dpi": 110})


def _axes(ax, size):
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _xlabel(measure, favours):
    scale = f"log {measure} (axis labelled as {measure})" if is_ratio(measure) else measure
    side = {"lower": "left", "higher": "right"}.get(favours)
    return f"{scale}; favours intervention to the {side}" if side else scale


def _ratio_ticks(ax, measure):
    if is_ratio(measure):
        ticks = ax.get_xticks()
        ax.set_xticks(ticks, [f"{np.exp(t):.2g}" for t in ticks])


def forest(labels, yi, vi, freq, post, *, measure="SMD", favours=None, title=None, ax=None):
    """Forest plot: each study's estimate and 95 % CI, its Bayesian shrinkage estimate
    and 95 % CrI, then the pooled CI, prediction interval, CrI and predictive interval.

    ``freq`` is a :func:`random_effects` result, ``post`` an :func:`exact_posterior`.
    Values are on the analysis scale (log for ratios); tick labels show ratios.
    """
    yi = np.asarray(yi, float)
    se = np.sqrt(np.asarray(vi, float))
    z = stats.norm.ppf(0.975)
    k = len(yi)
    ax = _axes(ax, (9, 0.45 * (k + 6) + 1.5))
    shrink = post.shrinkage()
    rows = np.arange(k)[::-1] + 5
    ax.errorbar(yi, rows + 0.15, xerr=z * se, fmt="s", color=FREQ, ms=5, capsize=2,
                label="study estimate, 95 % CI")
    ax.errorbar(shrink["mean"], rows - 0.15,
                xerr=[shrink["mean"] - shrink["low"], shrink["high"] - shrink["mean"]],
                fmt="o", color=BAYES, ms=4, capsize=2, label="shrinkage estimate, 95 % CrI")
    mu_lo, mu_hi = post.interval("mu", level=0.95, kind="central")
    th_lo, th_hi = post.interval("theta_new", level=0.95, kind="central")
    pooled = [
        (3.5, freq.mu, (freq.ci_low, freq.ci_high), FREQ, "D", f"{freq.method} mean, 95 % CI"),
        (2.8, freq.mu, (freq.pi_low, freq.pi_high), FREQ, "|", "95 % prediction interval"),
        (1.7, post.median("mu"), (mu_lo, mu_hi), BAYES, "D", "posterior median, 95 % CrI"),
        (1.0, post.median("theta_new"), (th_lo, th_hi), BAYES, "|", "95 % predictive interval (new study)"),
    ]
    for y, centre, (lo, hi), colour, marker, label in pooled:
        ax.plot([lo, hi], [y, y], color=colour, lw=3 if marker == "D" else 1.5,
                ls="-" if marker == "D" else "--")
        ax.plot([centre], [y], marker=marker, color=colour, ms=9)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(list(rows) + [y for y, *_ in pooled],
                  list(labels) + [p[-1] for p in pooled])
    ax.set_xlabel(_xlabel(measure, favours))
    ax.legend(loc="upper right", frameon=False)
    ax.set_title(title or "Studies, pooled result and shrinkage")
    _ratio_ticks(ax, measure)
    return ax


def posterior_density(post, param="mu", *, prior=None, measure="SMD", favours=None, ax=None,
                      label="posterior", colour=BAYES):
    """Posterior density of ``mu`` or ``tau`` with the prior overlaid (when it is proper)."""
    ax = _axes(ax, (7, 4))
    lo, hi = post.quantile(param, 0.0005), post.quantile(param, 0.9995)
    if param == "tau":
        lo = 0.0
    x = np.linspace(lo, hi, 400)
    ax.plot(x, post.density(param, x), color=colour, lw=2, label=label)
    if prior is not None and getattr(prior, "proper", True):
        ax.plot(x, prior.pdf(x), color=PRIOR, lw=1.5, ls="--", label=f"prior: {prior.name}")
    if param == "mu":
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(_xlabel(measure, favours))
        _ratio_ticks(ax, measure)
    else:
        ax.set_xlabel(f"between-study SD tau ({'log ' + measure if is_ratio(measure) else measure} units)")
    ax.set_ylabel("density")
    ax.legend(frameon=False)
    return ax


def interval_comparison(table, *, label_col="label", ax=None, measure="SMD", favours=None, title=None):
    """Rows of (estimate, CI) next to (median, CrI): one pair of lines per row of ``table``.

    ``table`` needs columns estimate_used, ci_low, ci_high, post_median, cri_low, cri_high
    on the natural scale (ratios as ratios) and ``label_col``, as in ``readings.readings_table``.
    """
    ratio = is_ratio(measure)
    f = np.log if ratio else (lambda v: np.asarray(v, float))
    n = len(table)
    ax = _axes(ax, (9, 0.55 * n + 1.5))
    y = np.arange(n)[::-1]
    estimate = table["estimate_used"]
    ax.errorbar(f(estimate), y + 0.15, xerr=[f(estimate) - f(table["ci_low"]), f(table["ci_high"]) - f(estimate)],
                fmt="s", color=FREQ, capsize=2, label="published estimate, 95 % CI")
    ax.errorbar(f(table["post_median"]), y - 0.15,
                xerr=[f(table["post_median"]) - f(table["cri_low"]), f(table["cri_high"]) - f(table["post_median"])],
                fmt="o", color=BAYES, capsize=2, label="posterior median, 95 % CrI")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, table[label_col])
    ax.set_xlabel(_xlabel(measure, favours))
    ax.legend(frameon=False, loc="best")
    if title:
        ax.set_title(title)
    _ratio_ticks(ax, measure)
    return ax


def probability_curve(x, curves: dict, *, xlabel, ylabel="P(benefit)", ax=None, title=None):
    """Lines of a probability against a prior setting, one per entry of ``curves``."""
    ax = _axes(ax, (7, 4))
    for (label, y), colour in zip(curves.items(), [BAYES, FREQ, PRIOR, "#2a9d5c", "#8e44ad"]):
        ax.plot(x, y, lw=2, label=label, color=colour)
    ax.axhline(0.95, color="black", lw=0.6, ls=":")
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return ax


def harmonised(df, *, label_col="label", colour_col="review", ax=None, title=None):
    """All results on the benefit scale of :func:`readings.harmonise` (positive = benefit),
    one line per row, coloured by ``colour_col``."""
    n = len(df)
    ax = _axes(ax, (10, 0.38 * n + 1.5))
    y = np.arange(n)[::-1]
    groups = list(dict.fromkeys(df[colour_col]))
    palette = dict(zip(groups, [FREQ, BAYES, "#2a9d5c", "#8e44ad", PRIOR]))
    for yi, (_, r) in zip(y, df.iterrows()):
        c = palette[r[colour_col]]
        ax.plot([r["benefit_ci_low"], r["benefit_ci_high"]], [yi, yi], color=c, lw=2)
        ax.plot([r["benefit_estimate"]], [yi], "s", color=c, mfc="white" if r.get("estimate_derived") else c)
    for g in groups:
        ax.plot([], [], color=palette[g], lw=2, label=g)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, df[label_col])
    ax.set_xlabel("benefit scale: SMD or log ratio, sign set so that positive favours the intervention")
    ax.legend(frameon=False, loc="lower right")
    if title:
        ax.set_title(title)
    return ax
