"""Figures for readers and a projected classroom: blue for the frequentist reading, orange
for the Bayesian one.

Every function draws inside its own style context (nothing changes matplotlib's global
settings), takes an optional ``ax`` where one panel makes sense, and returns the axes (or
the figure when it draws several panels). Values come on the analysis scale (log for
ratios, as in :class:`evidence_lib.core.studies.Studies`) unless said otherwise; ratio measures
are drawn on a log axis labelled with ratios (0.1, 0.25, 0.5, 1, 2, 4, 10), and the side
that favours the intervention is written under the axis.
"""

from __future__ import annotations

import functools
import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch, Polygon
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator
from scipy import stats

from evidence_lib.core.measures import benefit_sign, from_analysis_scale, is_ratio, null_value
from evidence_lib.core.studies import as_studies, spread_by_keyword
from evidence_lib.figures.tables import fmt, fmt_prob

FREQ = "#1f5fa8"   # frequentist: blue
BAYES = "#c8501e"  # Bayesian: orange-red
PRIOR = "#7a7a7a"  # priors: grey
GREEN, PURPLE = "#2a9d5c", "#8e44ad"
STYLE = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 9.5,
         "figure.dpi": 100, "savefig.dpi": 150, "axes.spines.top": False, "axes.spines.right": False,
         "legend.frameon": False}
RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20, 50, 100, 200, 500)


def styled(fn):
    """Run a drawing function inside the module's style context (``plt.rc_context``)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            return fn(*args, **kwargs)
    return wrapper


def _axes(ax, size):
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def measure_axis(ax, measure, favours=None, *, label=None, intervention="intervention", control="control",
                 compact=False):
    """Label the x axis with the measure, use a log axis with natural ticks for ratios and
    write "favours intervention / favours control" under it on each side of the null."""
    if is_ratio(measure):
        ax.set_xscale("log")
        lo, hi = ax.get_xlim()
        ticks = [t for t in RATIO_TICKS if lo <= t <= hi]
        if len(ticks) > (5 if compact else 9):   # a wide span: decades only
            ticks = [t for t in ticks if t in (0.01, 0.1, 1, 10, 100)]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{t:g}" for t in ticks])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4 if compact else 7))
    ax.axvline(null_value(measure), color="black", lw=0.8, zorder=1)
    sign = benefit_sign(favours)
    if np.isfinite(sign):
        left, right = (intervention, control) if sign < 0 else (control, intervention)
        where = ax.get_xaxis_transform()
        sep = "\n" if compact else " "
        for text, dx, ha in ((f"\u2190 favours{sep}{left}", -4, "right"), (f"favours{sep}{right} \u2192", 4, "left")):
            ax.annotate(text, xy=(null_value(measure), 0), xycoords=where, xytext=(dx, -20),
                        textcoords="offset points", ha=ha, va="top", fontsize=8.5 if compact else 10,
                        color="#333333")
        ax.set_xlabel(label or (measure or "effect"), labelpad=30 if compact else 20)
    else:
        ax.set_xlabel(label or (measure or "effect"))
    return ax


def _ratio_span(lo, hi, measure):
    """Axis limits with a margin: multiplicative for ratios, additive otherwise."""
    if is_ratio(measure):
        lo, hi = min(lo, 0.9), max(hi, 1.1)
        return lo / 1.25, hi * 1.25
    pad = 0.06 * (hi - lo)
    return min(lo, 0) - pad, max(hi, 0) + pad


@styled
@spread_by_keyword
def forest(studies, *, fit=None, post=None, sei=None, vi=None, shrinkage=True, title=None,
           intervention="intervention", control="control", level=0.95, ax=None):
    """Annotated forest plot in the style of metafor ``forest()`` and RevMan.

    One row per study: a square sized by its random-effects weight and its ``level`` CI; with
    ``post`` (an :func:`exact_posterior`) and ``shrinkage``, the study's shrinkage estimate and
    CrI beneath it in orange. Then the random-effects summary diamond (``fit``, a
    :func:`random_effects` result; REML when None), its prediction interval, and with ``post``
    the posterior-median diamond (``level`` CrI) and the predictive interval for a new study. The
    right-hand columns print "estimate [CI]" and the weight; every interval is at ``level``. ``studies`` is a
    :class:`Studies` (its ``measure`` and ``favours`` set the axis and its sides) or ``yi``
    with ``sei``/``vi``.
    """
    from evidence_lib.frequentist.rma import random_effects

    s = as_studies(studies, sei=sei, vi=vi, min_len=2)
    measure = s.measure
    nat = functools.partial(from_analysis_scale, measure=measure)
    fit = fit if fit is not None else random_effects(s, method="REML", level=level)
    if abs(fit.level - level) > 1e-12:
        raise ValueError(f"the fit's intervals are {fit.level:.0%}, the plot's level is {level:.0%}: refit with level=")
    pct = f"{level:.0%}".replace("%", " %")
    z = stats.norm.ppf(0.5 + level / 2)
    lo, hi = s.yi - z * s.sei, s.yi + z * s.sei
    show_shrink = post is not None and shrinkage
    step = 1.6 if show_shrink else 1.0
    k = len(s)
    n_summary = 2 + 2 * (post is not None)
    y_study = np.arange(k)[::-1] * step + 0.9 * n_summary + (1.0 if show_shrink else 0.6)
    rows = []  # (y, label, text, colour)
    if ax is None:
        height = (0.3 if k <= 15 else 0.19) * (y_study[0] + 2) + 1.6
        _, ax = plt.subplots(figsize=(10.5, height), layout="constrained")
    w = np.asarray(fit.weights, float)
    small = k > 15   # many studies: smaller squares and column text
    sizes = (30 + 250 * w / w.max()) * (0.4 if small else 1.0)
    ax.hlines(y_study, nat(lo), nat(hi), color=FREQ, lw=1.3)
    ax.scatter(nat(s.yi), y_study, s=sizes, marker="s", color=FREQ, zorder=3)
    for y, label, est, a, b, wt in zip(y_study, s.labels, s.yi, lo, hi, w):
        rows.append((y, label, f"{fmt(nat(est), measure)} [{fmt(nat(a), measure)}, {fmt(nat(b), measure)}]",
                     f"{wt:.1f} %", FREQ))
    if show_shrink:
        sh = post.shrinkage(level=level)
        ys = y_study - 0.6
        ax.hlines(ys, nat(sh["low"].to_numpy()), nat(sh["high"].to_numpy()), color=BAYES, lw=1.1)
        ax.scatter(nat(sh["median"].to_numpy()), ys, s=22, marker="o", color=BAYES, zorder=3)
        for y, (_, r) in zip(ys, sh.iterrows()):
            rows.append((y, "", f"{fmt(nat(r['median']), measure)} [{fmt(nat(r['low']), measure)}, "
                                f"{fmt(nat(r['high']), measure)}]", "", BAYES))

    def diamond(y, centre, a, b, colour):
        ax.add_patch(Polygon([(nat(a), y), (nat(centre), y + 0.35), (nat(b), y), (nat(centre), y - 0.35)],
                             closed=True, color=colour, zorder=3))

    def bar(y, a, b, colour):
        ax.hlines(y, nat(a), nat(b), color=colour, lw=1.5, linestyles="--")
        ax.vlines([nat(a), nat(b)], y - 0.2, y + 0.2, color=colour, lw=1.5)

    summary_rows = [(f"Random effects ({fit.method}), {pct} CI", fit.estimate, fit.low, fit.high, FREQ, diamond)]
    if fit.pi_low is not None:
        summary_rows.append((f"{pct} prediction interval", None, fit.pi_low, fit.pi_high, FREQ, bar))
    if post is not None:
        m_lo, m_hi = post.interval("mu", level=level, kind="central")
        summary_rows.append((f"Bayesian posterior median, {pct} CrI", post.median("mu"), m_lo, m_hi, BAYES, diamond))
        if not getattr(post, "estimate_only", False):
            t_lo, t_hi = post.interval("theta_new", level=level, kind="central")
            summary_rows.append((f"{pct} predictive interval (new study)", None, t_lo, t_hi, BAYES, bar))
    base = y_study[-1] - (1.4 if show_shrink else 1.0)
    summary_rows = [(base - 0.9 * i, *r) for i, r in enumerate(summary_rows)]
    for y, label, centre, a, b, colour, draw in summary_rows:
        if draw is diamond:
            diamond(y, centre, a, b, colour)
            text = f"{fmt(nat(centre), measure)} [{fmt(nat(a), measure)}, {fmt(nat(b), measure)}]"
        else:
            bar(y, a, b, colour)
            text = f"[{fmt(nat(a), measure)}, {fmt(nat(b), measure)}]"
        rows.append((y, label, text, "100 %" if draw is diamond and colour == FREQ else "", colour))
    every = [nat(v) for v in (lo.min(), hi.max(), *[r[3] for r in summary_rows], *[r[4] for r in summary_rows])]
    if show_shrink:
        every += [nat(sh["low"].min()), nat(sh["high"].max())]
    ax.set_xlim(*_ratio_span(min(every), max(every), measure))
    top = y_study[0] + 1.3
    ax.set_ylim(summary_rows[-1][0] - 0.6, top)
    ax.axhline(y_study[-1] - (1.0 if show_shrink else 0.6), color="#999999", lw=0.6)
    ax.set_yticks([r[0] for r in rows if r[1]], [r[1] for r in rows if r[1]])
    ax.tick_params(axis="y", length=0)
    for label in ax.get_yticklabels():
        label.set_color(next((r[4] for r in rows if r[1] == label.get_text()), "black"))
    ax.spines["left"].set_visible(False)
    where = ax.get_yaxis_transform()

    def column(x_points, y, text, colour="black", ha="left", **kw):
        ax.annotate(text, xy=(1, y), xycoords=where, xytext=(x_points, 0), textcoords="offset points",
                    va="center", ha=ha, color=colour, fontsize=8.5 if small else 10, **kw)

    for y, _, text, weight, colour in rows:
        column(8, y, text, colour)
        column(180, y, weight, colour, ha="right")
    column(8, top - 0.5, f"estimate [{level:.0%} CI]".replace("%", " %"), fontweight="bold")
    column(180, top - 0.5, "weight", ha="right", fontweight="bold")
    measure_axis(ax, measure, s.favours, intervention=intervention, control=control,
                 label=f"{measure or 'effect'}" + (" (log scale)" if is_ratio(measure) else ""))
    if show_shrink:
        ax.legend(handles=[Patch(color=FREQ, label=f"study estimate, {pct} CI (square: weight)"),
                           Patch(color=BAYES, label=f"Bayesian shrinkage estimate, {pct} CrI")],
                  loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, borderaxespad=0.2)
    if title:
        ax.set_title(title, loc="left", pad=24 if show_shrink else 6)
    return ax


def _is(p) -> str:
    """" = 0.91", or " > 0.99" / " < 0.01" at the ends."""
    text = fmt_prob(p)
    return f" {text[0]} {text[1:]}" if text[0] in "<>" else f" = {text}"


@styled
def two_readings(post, *, estimate, ci, measure, favours, mid=None, prior_label=None, title=None, ax=None,
                 compact=False):
    """Both readings of one pooled result on one axis.

    The posterior density of μ (``post``, an :func:`exact_posterior` on the analysis scale)
    with the published ``estimate`` and 95 % ``ci`` (natural scale) drawn above it; the area
    on the side of benefit is shaded and labelled with P(benefit), the area beyond the
    minimal important difference ``mid`` (analysis scale: SMD units or log ratio; default
    0.2 for SMD, log 1.25 for ratios) darker, with P(benefit beyond mid). ``compact`` (for
    small multiples) writes the probabilities in the panel instead of a legend.
    """
    ax = _axes(ax, (7, 3.6))
    mid = mid if mid is not None else (np.log(1.25) if is_ratio(measure) else 0.2)
    sign = benefit_sign(favours)
    lo, hi = post.quantile("mu", 0.001), post.quantile("mu", 0.999)
    x = np.linspace(min(lo, 0), max(hi, 0), 500)
    dens = post.density("mu", x)
    nat = functools.partial(from_analysis_scale, measure=measure)
    ax.plot(nat(x), dens, color=BAYES, lw=2)
    handles = []
    if np.isfinite(sign):
        p_benefit = post.prob("mu", **({"upper": 0} if sign < 0 else {"lower": 0}))
        p_mid = post.prob("mu", **({"upper": -mid} if sign < 0 else {"lower": mid}))
        benefit = sign * x > 0
        beyond = sign * x > mid
        ax.fill_between(nat(x), dens, where=benefit, color=BAYES, alpha=0.18, lw=0)
        ax.fill_between(nat(x), dens, where=beyond, color=BAYES, alpha=0.35, lw=0)
        mid_text = f"{nat(sign * mid):.2f}" if is_ratio(measure) else f"{mid:g} SD"
        handles += [Patch(color=BAYES, alpha=0.25, label=f"P(benefit){_is(p_benefit)}"),
                    Patch(color=BAYES, alpha=0.5, label=f"P(benefit beyond {mid_text}){_is(p_mid)}")]
    top = dens.max()
    y_pub = 1.12 * top
    ax.hlines(y_pub, ci[0], ci[1], color=FREQ, lw=2.2)
    ax.plot([estimate], [y_pub], "s", color=FREQ, ms=7)
    handles.append(plt.Line2D([], [], color=FREQ, marker="s", lw=2.2,
                              label=f"published {fmt(estimate, measure)} [{fmt(ci[0], measure)}, "
                                    f"{fmt(ci[1], measure)}]"))
    handles.insert(0, plt.Line2D([], [], color=BAYES, lw=2, label="posterior of the average effect"))
    ax.set_ylim(0, 1.3 * top)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlim(min(nat(x[0]), ci[0]), max(nat(x[-1]), ci[1]))
    if is_ratio(measure):
        ax.set_xlim(*_ratio_span(*ax.get_xlim(), measure))
    measure_axis(ax, measure, favours, label=measure + (" (log scale)" if is_ratio(measure) else ""),
                 compact=compact)
    if compact:
        title = "\n".join([textwrap.fill(title or "", 46), *(h.get_label() for h in handles[1:])]).strip("\n")
        ax.set_title(title, loc="left", fontsize=9)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
        if title:
            ax.set_title(title, loc="left", fontsize=11)
    if prior_label:
        ax.text(0.0, -0.42, f"prior: {prior_label}", transform=ax.transAxes, fontsize=9, color=PRIOR, va="top")
    return ax


@styled
def two_readings_grid(rows, *, labels, prior_set=None, ncols=3, title=None):
    """Small multiples of :func:`two_readings`, one panel per published result.

    ``rows`` are rows of ``data/published_results.csv`` (with figures and a known direction);
    each is rebuilt with :func:`readings.summary_for_row` and read with the exact engine under
    ``prior_set`` (default: :func:`readings.default_prior_set`). Returns the figure.
    """
    from evidence_lib.published import readings
    from evidence_lib.bayes.exact import exact_posterior

    prior_set = prior_set or readings.default_prior_set()
    n = len(rows)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.0 * nrows + 0.8), layout="constrained",
                             squeeze=False)
    for ax, (_, row), label in zip(axes.flat, rows.iterrows(), labels):
        post = exact_posterior(readings.summary_for_row(row), tau_prior=prior_set.tau, mu_prior=prior_set.mu)
        two_readings(post, estimate=row["estimate_used"], ci=(row["ci_low"], row["ci_high"]), measure=row["measure"],
                     favours=row["favours_intervention"], title=label, ax=ax, compact=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    fig.suptitle((title + "\n" if title else "") + f"orange: posterior of the average effect ({prior_set.label}); "
                 "blue: published estimate and 95 % CI;\nshaded: P(benefit), darker: P(benefit beyond a minimal "
                 "important difference, 0.2 SD or a ratio of 1.25)", fontsize=10)
    return fig


@styled
def posterior_density(post, param="mu", *, prior=None, measure="SMD", favours=None, ax=None,
                      label="posterior", colour=BAYES, upper=None):
    """Posterior density of ``mu`` or ``tau`` with the prior overlaid (when it is proper);
    ``upper`` caps the tau axis (default: the posterior's 99.5 % quantile)."""
    ax = _axes(ax, (7, 4))
    if param == "tau":
        x = np.linspace(0, upper or post.quantile("tau", 0.995), 400)
    else:
        x = np.linspace(post.quantile(param, 0.0005), post.quantile(param, 0.9995), 400)
    if param == "mu":
        nat = functools.partial(from_analysis_scale, measure=measure)
        ax.plot(nat(x), post.density(param, x), color=colour, lw=2, label=label)
        measure_axis(ax, measure, favours, label=measure + (" (log scale)" if is_ratio(measure) else ""))
    else:
        ax.plot(x, post.density(param, x), color=colour, lw=2, label=label)
        if prior is not None and getattr(prior, "proper", True):
            ax.plot(x, prior.pdf(x), color=PRIOR, lw=1.5, ls="--", label=f"prior: {prior.name}")
        ax.set_xlabel(f"between-study SD \u03c4 ({'log ' + measure if is_ratio(measure) else measure} units)")
        ax.set_xlim(0, x[-1])
    ax.set_ylabel("density")
    ax.legend()
    return ax


@styled
def interval_comparison(table, *, label_col="label", ax=None, measure="SMD", favours=None, title=None,
                        numbers=True):
    """Rows of (estimate, CI) next to (median, CrI): one pair of lines per row of ``table``,
    with the numbers printed on the right.

    ``table`` needs columns estimate_used, ci_low, ci_high, post_estimate, cri_low, cri_high
    on the natural scale (ratios as ratios) and ``label_col``, as in ``readings.readings_table``;
    all rows share ``measure`` and ``favours``.
    """
    n = len(table)
    ax = _axes(ax, (11, 0.62 * n + 1.8))
    y = np.arange(n)[::-1].astype(float)
    est, low, high = (table[c].to_numpy(float) for c in ("estimate_used", "ci_low", "ci_high"))
    med, clo, chi = (table[c].to_numpy(float) for c in ("post_estimate", "cri_low", "cri_high"))
    ax.errorbar(est, y + 0.17, xerr=[est - low, high - est], fmt="s", color=FREQ, capsize=2, ms=5,
                label="published estimate, 95 % CI")
    ax.errorbar(med, y - 0.17, xerr=[med - clo, chi - med], fmt="o", color=BAYES, capsize=2, ms=5,
                label="posterior median, 95 % CrI")
    ax.set_yticks(y, [textwrap.fill(str(label), 48) for label in table[label_col]])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_xlim(*_ratio_span(np.nanmin([low, clo]), np.nanmax([high, chi]), measure))
    measure_axis(ax, measure, favours, label=measure + (" (log scale)" if is_ratio(measure) else ""))
    if numbers:
        where = ax.get_yaxis_transform()
        for yi, *vals in zip(y, est, low, high, med, clo, chi):
            ax.text(1.02, yi + 0.17, f"{fmt(vals[0], measure)} [{fmt(vals[1], measure)}, {fmt(vals[2], measure)}]",
                    transform=where, va="center", fontsize=9, color=FREQ)
            ax.text(1.02, yi - 0.17, f"{fmt(vals[3], measure)} [{fmt(vals[4], measure)}, {fmt(vals[5], measure)}]",
                    transform=where, va="center", fontsize=9, color=BAYES)
        ax.text(1.02, n - 0.4, "CI / CrI", transform=where, fontsize=9, fontweight="bold")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, borderaxespad=0.2)
    if title:
        ax.set_title(title, loc="left", pad=22)
    return ax


@styled
def probability_curve(x, curves: dict, *, xlabel, ylabel="P(benefit)", ax=None, title=None):
    """Lines of a probability against a prior setting, one per entry of ``curves``."""
    ax = _axes(ax, (7, 4))
    for (label, y), colour in zip(curves.items(), [BAYES, FREQ, PRIOR, GREEN, PURPLE]):
        ax.plot(x, y, lw=2, label=label, color=colour)
    ax.axhline(0.95, color="black", lw=0.6, ls=":")
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


@styled
def funnel(studies, fit, *, groups=None, level=0.95, ax=None, title=None, intervention="intervention"):
    """Funnel plot: each study's effect against its standard error (inverted axis), the pseudo
    ``level`` limits mu ± z·se around the pooled mean of ``fit``; ``groups`` (one label per
    study) colours the points."""
    from evidence_lib.frequentist.rma import funnel_limits

    s = as_studies(studies)
    ax = _axes(ax, (7.5, 5.2))
    lim = funnel_limits(fit.estimate, s.sei.max() * 1.05, level=level)
    se = lim["se"].to_numpy()
    ax.plot(lim["low"], se, color=PRIOR, ls="--", lw=1, label=f"pseudo {level:.0%} limits".replace("%", " %"))
    ax.plot(lim["high"], se, color=PRIOR, ls="--", lw=1)
    ax.axvline(fit.estimate, color=FREQ, lw=1, label=f"random-effects mean {fmt(fit.estimate)}")
    groups = np.asarray(groups if groups is not None else ["study"] * len(s))
    for name, colour in zip(dict.fromkeys(groups), [FREQ, BAYES, GREEN, PURPLE]):
        mask = groups == name
        ax.scatter(s.yi[mask], s.sei[mask], color=colour, s=25, label=f"{name} (k = {mask.sum()})", zorder=3)
    ax.set_ylim(se[-1], 0)
    ax.set_ylabel("standard error")
    ax.axvline(null_value(s.measure), color="black", lw=0.8)
    measure_axis(ax, s.measure, s.favours, intervention=intervention)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    if title:
        ax.set_title(title)
    return ax


@styled
def harmonised(df, *, label_col="label", colour_col="review", title=None, ax=None):
    """All results on the benefit scale of :func:`readings.harmonise` (right = benefit), one
    line per row coloured by ``colour_col``, hollow squares for derived estimates. SMDs and
    ratios get separate panels (ratios on a log axis); ``ax`` only for a single measure family."""
    ratio = df["measure"].map(is_ratio).astype(bool) if "measure" in df else np.zeros(len(df), bool)
    families = {"SMD": df[~ratio], "ratio": df[ratio]}
    families = {k: v for k, v in families.items() if len(v)}
    if ax is not None and len(families) > 1:
        raise ValueError("harmonised: ax= needs rows of one measure family (SMD or ratios)")
    groups = list(dict.fromkeys(df[colour_col]))
    palette = dict(zip(groups, [FREQ, BAYES, GREEN, PURPLE, PRIOR]))
    if ax is None:
        heights = [len(v) + 2 for v in families.values()]
        fig, axes = plt.subplots(len(families), 1, figsize=(12, 0.3 * sum(heights) + 1.8), layout="constrained",
                                 height_ratios=heights, squeeze=False)
        axes = axes[:, 0]
    else:
        fig, axes = ax.figure, [ax]
    for a, (family, part) in zip(axes, families.items()):
        measure = "RR" if family == "ratio" else "SMD"
        conv = np.exp if family == "ratio" else (lambda v: v)
        y = np.arange(len(part))[::-1]
        for yi, (_, r) in zip(y, part.iterrows()):
            c = palette[r[colour_col]]
            a.plot(conv(np.array([r["benefit_ci_low"], r["benefit_ci_high"]])), [yi, yi], color=c, lw=2)
            a.plot([conv(r["benefit_estimate"])], [yi], "s", color=c, mfc="white" if r.get("estimate_derived") else c)
        a.set_yticks(y, part[label_col])
        a.tick_params(axis="y", length=0)
        lows, highs = conv(part["benefit_ci_low"].to_numpy(float)), conv(part["benefit_ci_high"].to_numpy(float))
        a.set_xlim(*_ratio_span(np.nanmin(lows), np.nanmax(highs), measure))
        label = ("ratio (RR or OR), inverted where lower favours the intervention; log scale" if family == "ratio"
                 else "SMD, sign set so that positive favours the intervention")
        measure_axis(a, measure, "higher", label=label)
    handles = [plt.Line2D([], [], color=palette[g], lw=2, label=g) for g in groups]
    if ax is None:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(groups))
        if title:
            fig.suptitle(title)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if title:
            ax.set_title(title)
    return fig if ax is None else ax


@styled
def tau_spread(mu, taus, *, ax=None, xlim=(-1.4, 1.0), favours="lower"):
    """The distribution of true effects across settings, N(mu, tau²), for each tau in
    ``taus``, with the share of settings on the side of benefit (Phi(-mu/tau) when lower
    favours the intervention) in the legend."""
    ax = _axes(ax, (7.5, 4.6))
    x = np.linspace(*xlim, 400)
    for tau, colour in zip(taus, (FREQ, BAYES, PRIOR, GREEN, PURPLE)):
        share = stats.norm.cdf(0, mu, tau) if favours == "lower" else stats.norm.sf(0, mu, tau)
        ax.plot(x, stats.norm.pdf(x, mu, tau), color=colour, lw=2,
                label=f"τ = {tau}: {share:.0%} of true effects {'below' if favours == 'lower' else 'above'} 0 (benefit)")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(*xlim)
    ax.set_xlabel("true effect of therapy in one setting (SMD; negative = less depression)")
    ax.set_ylabel("density")
    ax.set_title(f"Same average effect μ = {fmt(mu)}, {len(taus)} amounts of heterogeneity τ")
    ax.figure.legend(frameon=False, loc="outside lower center", ncols=1)
    return ax


@styled
def tau_prior_effect(proper, flat, *, prior, tau_max=1.5, mu_xlim=(-2.5, 1.5), favours="lower",
                     labels=("half-normal(0.5)", "uniform")):
    """Two panels: the posterior of tau (left, capped at ``tau_max``, with the share of the
    ``flat`` posterior beyond it) and of mu (right) under a proper tau ``prior`` (orange, the
    prior dashed) and under the flat prior (blue). Returns the figure."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
    posterior_density(proper, "tau", prior=prior, ax=axes[0], upper=tau_max, label=f"posterior, {labels[0]} prior")
    posterior_density(flat, "tau", ax=axes[0], upper=tau_max, label=f"posterior, {labels[1]} prior", colour=FREQ)
    axes[0].set_title("between-study SD τ", loc="left")
    axes[0].annotate(f"{labels[1]}: {flat.prob('tau', lower=tau_max):.0%} of the\nposterior lies beyond τ = {tau_max}",
                     xy=(0.97, 0.55), xycoords="axes fraction", ha="right", fontsize=9, color=FREQ)
    posterior_density(proper, "mu", favours=favours, ax=axes[1], label=f"{labels[0]} prior on τ")
    posterior_density(flat, "mu", favours=favours, ax=axes[1], label=f"{labels[1]} prior on τ", colour=FREQ)
    axes[1].set_title("average effect μ", loc="left")
    axes[1].set_xlim(*mu_xlim)
    return fig


def log_slider(redraw, *, value, low, high, description, step=0.05):
    """In JupyterLab: a slider on a log scale from ``low`` to ``high`` that calls ``redraw(value)``
    (which draws one figure) whenever it moves (ipywidgets ``interact``)."""
    import ipywidgets as widgets

    slider = widgets.FloatLogSlider(value=value, base=10, min=np.log10(low), max=np.log10(high), step=step,
                                    description=description)
    return widgets.interact(redraw, value=slider)


@styled
def tau_posterior_grid(panels: dict, *, measure="SMD", upper=None, threshold=1.0, title=None, ncols=2):
    """One panel per ``{title: (posterior, prior)}``: the posterior of tau (orange) over its
    prior (grey, dashed), with P(tau > ``threshold``) in the corner and one legend below.
    Returns the figure."""
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 3.5 * nrows), layout="constrained", sharex=True,
                             squeeze=False)
    for i, (ax, (name, (post, prior))) in enumerate(zip(axes.flat, panels.items())):
        posterior_density(post, "tau", prior=prior, measure=measure, ax=ax, upper=upper)
        ax.get_legend().remove()
        ax.set_title(name, loc="left", fontsize=11)
        ax.text(0.97, 0.92, f"P(τ > {threshold:g}) = {fmt_prob(post.prob('tau', lower=threshold))}",
                transform=ax.transAxes, ha="right", fontsize=10)
        if i < len(panels) - ncols:
            ax.set_xlabel("")
    fig.legend(handles=[plt.Line2D([], [], color=BAYES, lw=2, label="posterior of τ"),
                        plt.Line2D([], [], color=PRIOR, lw=1.5, ls="--", label="prior of τ")],
               loc="outside lower center", ncols=2, frameon=False)
    if title:
        fig.suptitle(title)
    return fig
