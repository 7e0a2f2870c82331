"""Figures for readers and a projected classroom: blue for the frequentist reading, orange
for the Bayesian one, other categories from :mod:`evidence_lib.figures.palette`.

Every function draws inside its own style context (nothing changes matplotlib's global
settings), takes an optional ``ax`` where one panel makes sense, and returns the axes (or
the figure when it draws several panels). Values come on the analysis scale (log for
ratios, as in :class:`evidence_lib.core.studies.Studies`) unless said otherwise; ratio measures
are drawn on a log axis labelled with ratios (0.1, 0.25, 0.5, 1, 2, 4, 10), the null line is
always inside the axis with room on both sides, and the side that favours the intervention
is written under the axis, within its width. Text is at least 9 pt; figures are 150 dpi on
screen and on disk (:func:`subplots`, :func:`save`).
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch, Polygon
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator
from scipy import stats

from evidence_lib.core.files import write_atomic
from evidence_lib.core.measures import (benefit_sign, default_threshold, from_analysis_scale, is_ratio, null_value,
                                        to_analysis_scale)
from evidence_lib.core.studies import as_studies, spread_by_keyword
from evidence_lib.figures.palette import BAYES, CYCLE, FREQ, INK, PRIOR, categorical
from evidence_lib.core.display import fmt, fmt_p4, fmt_prob

DPI = 150
MIN_FONT = 9.0
STYLE = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10,
         "xtick.labelsize": 10, "ytick.labelsize": 10, "figure.titlesize": 12,
         "figure.dpi": DPI, "savefig.dpi": DPI, "savefig.bbox": "tight", "axes.prop_cycle": CYCLE,
         "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False}
RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20, 50, 100, 200, 500)
MEASURE_NAMES = {"SMD": "standardised mean difference (SMD)", "MD": "mean difference (MD)",
                 "RD": "risk difference (RD)", "RR": "risk ratio (RR)", "OR": "odds ratio (OR)",
                 "HR": "hazard ratio (HR)"}


def styled(fn):
    """Run a drawing function inside the module's style context (``plt.rc_context``)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            return fn(*args, **kwargs)
    return wrapper


@styled
def subplots(*args, **kwargs):
    """``plt.subplots`` in the figures' style (150 dpi, constrained layout, the palette's cycle),
    for figures a notebook draws itself."""
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(*args, **kwargs)


@styled
def save(fig, path) -> None:
    """Save at 150 dpi with the tight bounding box (nothing clipped), the format by extension (.png,
    .svg, .pdf), written whole (:func:`~evidence_lib.core.files.write_atomic`: through a symbolic link)."""
    path = Path(path)
    write_atomic(path, lambda handle: fig.savefig(handle, dpi=DPI, bbox_inches="tight",
                                                  format=path.suffix.lower()[1:] or None))


def _axes(ax, size):
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def axis_label(measure) -> str:
    """The x label a measure gets: its name, and "log scale" for ratios."""
    if measure is None:
        return "effect as given (no measure stated)"
    return MEASURE_NAMES.get(measure, measure) + (", log scale" if is_ratio(measure) else "")


def _room_for_sides(ax, measure, favours, intervention, control, compact=False):
    """Widen the x limits so that the null sits at least the width of a side label (at least
    4 % of the width) from each edge of the axes: the null line is always visible and the
    side labels of :func:`measure_axis` stay under the axis, not beside it."""
    longest = max(len(intervention), len(control)) + (2 if compact else 10)
    points = 0.55 * (9 if compact else 10) * longest + 6 if np.isfinite(benefit_sign(favours)) else 0
    fig = ax.figure
    width = ax.get_position().width * fig.get_figwidth() * 72
    frac = min(0.45, max(0.04, points / max(width, 1.0)))
    scale = np.log if is_ratio(measure) else (lambda v: v)
    unscale = np.exp if is_ratio(measure) else (lambda v: v)
    lo, hi = (scale(v) for v in ax.get_xlim())
    null = scale(null_value(measure))
    if (null - lo) < frac * (hi - lo):
        ax.set_xlim(left=unscale((null - frac * hi) / (1 - frac)))
    if (hi - null) < frac * (hi - lo):
        ax.set_xlim(right=unscale((null - frac * lo) / (1 - frac)))


def measure_axis(ax, measure, favours=None, *, label=None, intervention="intervention", control="control",
                 compact=False):
    """Label the x axis with the measure, use a log axis with natural ticks for ratios, draw
    the null line and write "favours intervention / favours control" under the axis on each
    side of the null, with room for both labels inside the axis width."""
    sign = benefit_sign(favours)
    size = 9 if compact else 10
    _room_for_sides(ax, measure, favours, intervention, control, compact)
    if is_ratio(measure):
        ax.set_xscale("log")
        lo, hi = ax.get_xlim()
        ticks = [t for t in RATIO_TICKS if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        if len(ticks) > (5 if compact else 9):   # a wide span: decades only
            ticks = [t for t in ticks if t in (0.01, 0.1, 1, 10, 100)]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{t:g}" for t in ticks])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4 if compact else 7))
    ax.axvline(null_value(measure), color="black", lw=0.8, zorder=1)
    if np.isfinite(sign):
        left, right = (intervention, control) if sign < 0 else (control, intervention)
        where = ax.get_xaxis_transform()
        sep = "\n" if compact else " "
        for text, dx, ha in ((f"\u2190 favours{sep}{left}", -4, "right"), (f"favours{sep}{right} \u2192", 4, "left")):
            ax.annotate(text, xy=(null_value(measure), 0), xycoords=where, xytext=(dx, -20),
                        textcoords="offset points", ha=ha, va="top", fontsize=size, color=INK)
        ax.set_xlabel(label or axis_label(measure), labelpad=32 if compact else 20)
    else:
        ax.set_xlabel(label or axis_label(measure))
    return ax


def _ratio_span(lo, hi, measure):
    """Axis limits with a margin: multiplicative for ratios, additive otherwise."""
    if is_ratio(measure):
        lo, hi = min(lo, 0.9), max(hi, 1.1)
        return lo / 1.25, hi * 1.25
    pad = 0.06 * (hi - lo)
    return min(lo, 0) - pad, max(hi, 0) + pad


def _text_width(ax, strings, **props) -> float:
    """Width in points of the widest of ``strings`` drawn with ``props`` on ``ax``'s figure."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    widest = 0.0
    for text in strings:
        t = fig.text(0, 0, text, **props)
        widest = max(widest, t.get_window_extent(renderer).width * 72 / fig.dpi)
        t.remove()
    return widest


def _interval_line(ax, y, a, b, xlim, colour, **kw):
    """A horizontal interval [a, b] (natural scale) at height ``y``, cut at ``xlim`` with an
    arrow head where it runs beyond the axis (as metafor ``forest()`` does)."""
    lo, hi = xlim
    ax.hlines(y, max(a, lo), min(b, hi), color=colour, **kw)
    for end, limit, marker in ((a, lo, "<"), (b, hi, ">")):
        if (end < limit) if marker == "<" else (end > limit):
            ax.plot([limit], [y], marker=marker, color=colour, ms=5, clip_on=False, zorder=4)


def heterogeneity_lines(fit) -> tuple[str, str]:
    """RevMan's two lines under a forest plot, from a :func:`random_effects` fit: heterogeneity
    (τ², Q = Chi², df, its p, I²) and the test for the overall effect (|z| or |t| with df, p)."""
    tau2 = "<0.01" if 0 < fit.tau2 < 0.005 else f"{fit.tau2:.2f}"
    het = (f"Heterogeneity: Tau\u00b2 = {tau2}; Chi\u00b2 = {fit.q:.2f}, df = {fit.q_df} "
           f"(P {_p_is(fit.q_pval)}); I\u00b2 = {fit.i2:.0f} %")
    stat = "Z" if fit.df_test is None else f"t (df = {fit.df_test})"
    return het, f"Test for overall effect: {stat} = {abs(fit.stat):.2f} (P {_p_is(fit.pval)})"


def _p_is(p) -> str:
    """ "= 0.0003" or "< 0.0001" (metafor's four decimals)."""
    text = fmt_p4(p)
    return f"< {text[1:]}" if text.startswith("<") else f"= {text}"


def ci_name(fit) -> str:
    """What kind of CI a fit's interval is: "z" (Wald) or "Knapp–Hartung" (t, df = k − 1)."""
    return "z" if fit.test == "z" else "Knapp\u2013Hartung"


@styled
@spread_by_keyword
def forest(studies, *, fit=None, post=None, sei=None, vi=None, shrinkage=False, title=None, xlim=None,
           xlabel=None, intervention="intervention", control="control", level=0.95, ax=None):
    """Annotated forest plot in the style of metafor ``forest()`` and RevMan.

    Columns: "Study", the plot, "<measure> [CI]" and "Weight" (random-effects weights, %).
    One row per study: a square sized by its weight and its ``level`` CI; with ``post`` (an
    :func:`exact_posterior`) and ``shrinkage``, the study's Bayesian shrinkage estimate and CrI
    in orange in the same row, with its own column. Then the random-effects diamond (``fit``, a
    :func:`random_effects` result; REML with z CI when None; the label says which CI, z or
    Knapp–Hartung), its prediction interval, and with ``post`` the posterior-median diamond
    (``level`` CrI) and the predictive interval for a new study; under them RevMan's
    heterogeneity and overall-effect lines (:func:`heterogeneity_lines`). ``xlim`` (natural
    scale, must contain the null) cuts longer intervals with arrows. ``studies`` is a
    :class:`Studies` (its ``measure`` and ``favours`` set the axis and its sides) or ``yi`` with
    ``sei``/``vi``.
    """
    from evidence_lib.frequentist.rma import random_effects

    s = as_studies(studies, sei=sei, vi=vi, min_len=2)
    measure = s.measure
    nat = functools.partial(from_analysis_scale, measure=measure)
    fit = fit if fit is not None else random_effects(s, method="REML", level=level)
    if abs(fit.level - level) > 1e-12:
        raise ValueError(f"the fit's intervals are {fit.level:.0%}, the plot's level is {level:.0%}: refit with level=")
    if shrinkage and post is None:
        raise ValueError("forest: shrinkage=True needs post= (an exact_posterior) for the shrinkage estimates")
    pct = f"{level:.0%}".replace("%", " %")
    z = stats.norm.ppf(0.5 + level / 2)
    lo, hi = nat(s.yi - z * s.sei), nat(s.yi + z * s.sei)
    est = nat(s.yi)
    k = len(s)
    small = k > 15   # many studies: smaller squares and rows
    size = 9 if small else 10

    def interval(c, a, b):
        return f"{fmt(c, measure)} [{fmt(a, measure)}, {fmt(b, measure)}]" if c is not None else \
            f"[{fmt(a, measure)}, {fmt(b, measure)}]"

    pooled = [(f"Random effects ({fit.method}), {pct} CI ({ci_name(fit)})", fit.estimate, fit.low, fit.high,
                FREQ, "diamond", "100 %")]
    if fit.pi_low is not None:
        pooled.append((f"{pct} prediction interval", None, fit.pi_low, fit.pi_high, FREQ, "bar", ""))
    if post is not None:
        m_lo, m_hi = post.interval("mu", level=level, kind="central")
        pooled.append((f"Bayesian posterior median, {pct} CrI", post.median("mu"), m_lo, m_hi, BAYES, "diamond", ""))
        if not getattr(post, "estimate_only", False):
            t_lo, t_hi = post.interval("theta_new", level=level, kind="central")
            pooled.append((f"{pct} predictive interval (new study)", None, t_lo, t_hi, BAYES, "bar", ""))
    pooled = [(label, *(None if v is None else nat(v) for v in (c, a, b)), colour, kind, wt)
              for label, c, a, b, colour, kind, wt in pooled]
    y_head = 0.0
    y_study = -1.0 - np.arange(k)
    y_sep = y_study[-1] - 0.6
    y_sum = y_sep - 0.7 - 1.0 * np.arange(len(pooled))
    y_het = y_sum[-1] - 1.1
    if ax is None:
        rows = k + len(pooled) + 4.5
        _, ax = plt.subplots(figsize=(11, (0.22 if small else 0.3) * rows + 1.2), layout="constrained")

    every = [*lo, *hi, *(v for r in pooled for v in r[1:4] if v is not None)]
    if shrinkage:
        sh = post.shrinkage(level=level)
        sh_med, sh_lo, sh_hi = (nat(sh[c].to_numpy()) for c in ("median", "low", "high"))
        every += [*sh_lo, *sh_hi]
    null = null_value(measure)
    if xlim is None:
        xlim = _ratio_span(min(every), max(every), measure)
    elif not (xlim[0] < null < xlim[1]) or (is_ratio(measure) and xlim[0] <= 0):
        raise ValueError(f"forest: xlim={tuple(xlim)} must contain the null value {null:g}"
                         f"{' (' + measure + ', ratios above 0)' if is_ratio(measure) else ''} so that its line is "
                         "visible")
    ax.set_xlim(*xlim)
    _room_for_sides(ax, measure, s.favours, intervention, control)
    xlim = ax.get_xlim()
    w = np.asarray(fit.weights, float)
    sizes = (30 + 250 * w / w.max()) * (0.5 if small else 1.0)
    dy = 0.17 if shrinkage else 0.0
    for y, a, b in zip(y_study + dy, lo, hi):
        _interval_line(ax, y, a, b, xlim, FREQ, lw=1.3)
    inside = (est >= xlim[0]) & (est <= xlim[1])
    ax.scatter(est[inside], (y_study + dy)[inside], s=sizes[inside], marker="s", color=FREQ, zorder=3)
    if shrinkage:
        for y, a, b in zip(y_study - dy, sh_lo, sh_hi):
            _interval_line(ax, y, a, b, xlim, BAYES, lw=1.1)
        ax.scatter(sh_med, y_study - dy, s=20, marker="o", color=BAYES, zorder=3)
    for y, (label, c, a, b, colour, kind, _) in zip(y_sum, pooled):
        if kind == "diamond":
            ax.add_patch(Polygon([(a, y), (c, y + 0.35), (b, y), (c, y - 0.35)], closed=True, color=colour,
                                 zorder=3))
        else:
            _interval_line(ax, y, a, b, xlim, colour, lw=1.5, linestyles="--")
            ax.vlines([v for v in (a, b) if xlim[0] <= v <= xlim[1]], y - 0.2, y + 0.2, color=colour, lw=1.5)
    ax.axhline(y_sep, color="#999999", lw=0.6)
    ax.set_ylim(y_het - 1.6, y_head + 0.7)

    labels = [*s.labels, *(r[0] for r in pooled)]
    ax.set_yticks([*y_study, *y_sum], labels)
    ax.tick_params(axis="y", length=0)
    for tick, colour in zip(ax.get_yticklabels(), ["black"] * k + [r[4] for r in pooled]):
        tick.set_color(colour)
    ax.spines["left"].set_visible(False)
    pad = _text_width(ax, labels, fontsize=plt.rcParams["ytick.labelsize"]) + 6
    ax.tick_params(axis="y", pad=pad)
    for tick in ax.get_yticklabels():
        tick.set_horizontalalignment("left")
    where = ax.get_yaxis_transform()

    def column(x_points, y, text, colour="black", ha="left", x=1, **kw):
        ax.annotate(text, xy=(x, y), xycoords=where, xytext=(x_points, 0), textcoords="offset points",
                    va="center", ha=ha, color=colour, fontsize=size, annotation_clip=False, **kw)

    head = f"{measure or 'Estimate'} [{pct} CI]"
    est_text = [interval(c, a, b) for c, a, b in zip(est, lo, hi)]
    sum_text = [interval(c, a, b) for _, c, a, b, *_ in pooled]
    x_est = 10
    bold = {"fontsize": size, "fontweight": "bold"}
    x_weight = x_est + max(_text_width(ax, [*est_text, *sum_text], fontsize=size), _text_width(ax, [head], **bold)) + 16
    if shrinkage:
        sh_head = f"Shrunken [{pct} CrI]"
        sh_text = [interval(c, a, b) for c, a, b in zip(sh_med, sh_lo, sh_hi)]
        x_sh = x_weight
        x_weight += max(_text_width(ax, sh_text, fontsize=size), _text_width(ax, [sh_head], **bold)) + 16
        column(x_sh, y_head, sh_head, BAYES, fontweight="bold")
        for y, text in zip(y_study, sh_text):
            column(x_sh, y, text, BAYES)
    x_weight += _text_width(ax, ["Weight"], **bold)
    column(-pad, y_head, "Study", x=0, fontweight="bold")
    column(x_est, y_head, head, fontweight="bold")
    column(x_weight, y_head, "Weight", ha="right", fontweight="bold")
    for y, text, wt in zip(y_study, est_text, w):
        column(x_est, y, text)
        column(x_weight, y, f"{wt:.1f} %", ha="right")
    for y, text, (_, _, _, _, colour, _, wt) in zip(y_sum, sum_text, pooled):
        column(x_est, y, text, colour)
        column(x_weight, y, wt, colour, ha="right")
    for i, line in enumerate(heterogeneity_lines(fit)):
        column(-pad, y_het - 0.8 * i, line, x=0)
    measure_axis(ax, measure, s.favours, intervention=intervention, control=control, label=xlabel)
    if shrinkage:
        ax.legend(handles=[Patch(color=FREQ, label=f"study estimate, {pct} CI (square: weight)"),
                           Patch(color=BAYES, label=f"Bayesian shrinkage estimate, {pct} CrI")],
                  loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, borderaxespad=0.2)
    if title:
        ax.set_title(title, loc="left", pad=24 if shrinkage else 6)
    return ax


def _is(p) -> str:
    """" = 0.91", or " > 0.99" / " < 0.01" at the ends."""
    text = fmt_prob(p)
    return f" {text[0]} {text[1:]}" if text[0] in "<>" else f" = {text}"


def _flip(x, measure):
    """The other sign convention: 1/x for ratios, −x otherwise (natural scale)."""
    return 1 / np.asarray(x, float) if is_ratio(measure) else -np.asarray(x, float)


def _readings_span(post, ci, measure, reverse=False):
    """Natural-scale x range of :func:`two_readings`: the posterior's 0.1-99.9 % range, the
    published CI and the null, on the drawn sign convention."""
    lo, hi = post.quantile("mu", 0.001), post.quantile("mu", 0.999)
    lo, hi = (-hi, -lo) if reverse else (lo, hi)
    ci = sorted(_flip(ci, measure)) if reverse else ci
    nat = functools.partial(from_analysis_scale, measure=measure)
    span = (min(nat(min(lo, 0)), ci[0]), max(nat(max(hi, 0)), ci[1]))
    return _ratio_span(*span, measure) if is_ratio(measure) else span


@styled
def two_readings(post, *, estimate, ci, measure, favours, threshold=None, prior_label=None, title=None, ax=None,
                 compact=False, reverse=False, xlim=None):
    """Both readings of one pooled result on one axis.

    The posterior density of μ (``post``, an :func:`exact_posterior` on the analysis scale)
    with the published ``estimate`` and 95 % ``ci`` (natural scale) drawn above it; the area
    on the side of benefit is shaded and labelled with P(benefit), the area beyond the
    clinical ``threshold`` (analysis scale: SMD units or log ratio; default
    :func:`~evidence_lib.core.measures.default_threshold`) darker, with P(benefit beyond it). ``compact`` (for
    small multiples) writes the probabilities in the panel instead of a legend. ``reverse``
    draws the other sign convention (−x, or 1/x for ratios; the printed numbers stay as
    published) so that panels of one figure share one; ``xlim`` (natural scale) shares an axis.
    """
    ax = _axes(ax, (7, 3.6))
    threshold = default_threshold(measure) if threshold is None else threshold
    sign = benefit_sign(favours)
    drawn = -1.0 if reverse else 1.0          # drawn x = drawn * mu (analysis scale)
    nat = functools.partial(from_analysis_scale, measure=measure)
    shown_favours = {"lower": "higher", "higher": "lower"}.get(favours, favours) if reverse else favours
    ax.set_xlim(*(xlim if xlim is not None else _readings_span(post, ci, measure, reverse)))
    _room_for_sides(ax, measure, shown_favours, "intervention", "control", compact)
    x = np.linspace(*to_analysis_scale(np.array(ax.get_xlim()), measure), 500)
    dens = post.density("mu", drawn * x)
    ax.plot(nat(x), dens, color=BAYES, lw=2)
    handles = []
    if np.isfinite(sign):
        p_benefit = post.prob("mu", **({"upper": 0} if sign < 0 else {"lower": 0}))
        p_beyond = post.prob("mu", **({"upper": -threshold} if sign < 0 else {"lower": threshold}))
        benefit = sign * drawn * x > 0
        beyond = sign * drawn * x > threshold
        ax.fill_between(nat(x), dens, where=benefit, color=BAYES, alpha=0.18, lw=0)
        ax.fill_between(nat(x), dens, where=beyond, color=BAYES, alpha=0.35, lw=0)
        threshold_text = f"{nat(sign * threshold):.2f}" if is_ratio(measure) else f"{threshold:g} SD"
        handles += [Patch(color=BAYES, alpha=0.25, label=f"P(benefit){_is(p_benefit)}"),
                    Patch(color=BAYES, alpha=0.5, label=f"P(benefit beyond {threshold_text}){_is(p_beyond)}")]
    top = dens.max()
    y_pub = 1.12 * top
    shown = (_flip(estimate, measure), *sorted(_flip(ci, measure))) if reverse else (estimate, *ci)
    ax.hlines(y_pub, shown[1], shown[2], color=FREQ, lw=2.2)
    ax.plot([shown[0]], [y_pub], "s", color=FREQ, ms=7)
    handles.append(plt.Line2D([], [], color=FREQ, marker="s", lw=2.2,
                              label=f"published {fmt(estimate, measure)} [{fmt(ci[0], measure)}, "
                                    f"{fmt(ci[1], measure)}]" + ("; sign reversed here" if reverse else "")))
    handles.insert(0, plt.Line2D([], [], color=BAYES, lw=2, label="posterior of the average effect"))
    ax.set_ylim(0, 1.3 * top)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    measure_axis(ax, measure, shown_favours, label=axis_label(measure) + (", sign reversed" if reverse else ""),
                 compact=compact)
    if compact:
        title = "\n".join([textwrap.fill(title or "", 46), *(h.get_label() for h in handles[1:])]).strip("\n")
        ax.set_title(title, loc="left", fontsize=9)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=10)
        if title:
            ax.set_title(title, loc="left", fontsize=11)
    if prior_label:
        ax.text(0.0, -0.42, f"prior: {prior_label}", transform=ax.transAxes, fontsize=9, color=PRIOR, va="top")
    return ax


@styled
def two_readings_grid(rows, *, labels, prior_set=None, ncols=3, title=None):
    """Small multiples of :func:`two_readings`, one panel per published result, on one sign
    convention and one x axis per measure family (SMDs, ratios).

    ``rows`` are rows of ``data/published_results.csv`` (with figures and a known direction);
    each is rebuilt with :func:`readings.summary_for_row` and read with the exact engine under
    ``prior_set`` (default: :func:`readings.default_prior_set`). Panels whose direction differs
    from the most common one are drawn reversed (and say so), so that benefit lies on the same
    side in every panel. Returns the figure.
    """
    from evidence_lib.published import readings
    from evidence_lib.bayes.exact import exact_posterior

    prior_set = prior_set or readings.default_prior_set()
    n = len(rows)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.3 * nrows + 0.9), layout="constrained",
                             squeeze=False)
    fig.get_layout_engine().set(w_pad=0.12, h_pad=0.2, wspace=0.06, hspace=0.08)
    directions = [f for f in rows["favours_intervention"] if f in ("lower", "higher")]
    common = max(("lower", "higher"), key=directions.count) if directions else None
    panels = []
    for (_, row), label in zip(rows.iterrows(), labels):
        post = exact_posterior(readings.summary_for_row(row), tau_prior=prior_set.tau, mu_prior=prior_set.mu)
        reverse = row["favours_intervention"] in ("lower", "higher") and row["favours_intervention"] != common
        ci = (row["ci_low"], row["ci_high"])
        panels.append((row, label, post, reverse, _readings_span(post, ci, row["measure"], reverse)))
    family_span = {}
    for row, *_, span in panels:
        family = is_ratio(row["measure"])
        lo, hi = family_span.get(family, span)
        family_span[family] = (min(lo, span[0]), max(hi, span[1]))
    for ax, (row, label, post, reverse, _) in zip(axes.flat, panels):
        two_readings(post, estimate=row["estimate_used"], ci=(row["ci_low"], row["ci_high"]), measure=row["measure"],
                     favours=row["favours_intervention"], title=label, ax=ax, compact=True, reverse=reverse,
                     xlim=family_span[is_ratio(row["measure"])])
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    side = f"\nevery panel drawn so that {common} values favour the intervention" if common else ""
    fig.suptitle((title + "\n" if title else "") + f"orange: posterior of the average effect ({prior_set.label}); "
                 "blue: published estimate and 95 % CI;\nshaded: P(benefit), darker: P(benefit beyond a "
                 f"minimal important difference, 0.2 SD or a ratio of 1.25){side}", fontsize=10)
    return fig


@styled
def posterior_density(post, param="mu", *, prior=None, measure="SMD", favours=None, ax=None,
                      label="posterior", colour=BAYES, upper=None, span=None):
    """Posterior density of ``mu`` or ``tau`` with the prior overlaid (when it is proper);
    ``upper`` caps the tau axis (default: the posterior's 99.5 % quantile); ``span``
    (analysis scale) sets the mu range, so that several posteriors on one axis all run to its edges."""
    ax = _axes(ax, (7, 4))
    if param == "tau":
        x = np.linspace(0, upper or post.quantile("tau", 0.995), 400)
    if param == "mu":
        ax.set_xlim(*from_analysis_scale(np.array(span or (post.quantile("mu", 0.0005), post.quantile("mu", 0.9995))),
                                         measure))
        _room_for_sides(ax, measure, favours, "intervention", "control")
        x = np.linspace(*to_analysis_scale(np.array(ax.get_xlim()), measure), 400)
        ax.plot(from_analysis_scale(x, measure), post.density(param, x), color=colour, lw=2, label=label)
        measure_axis(ax, measure, favours)
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
    measure_axis(ax, measure, favours)
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
def probability_curve(x, curves: dict, *, xlabel, ylabel="P(benefit)", ax=None, title=None, threshold=0.95,
                      logx=False):
    """Lines of a probability against a prior setting, one per entry of ``curves`` (the first
    orange, the others category colours), with the ``threshold`` line labelled; the y axis
    runs from just below the lowest value (or the threshold) to 1, so the curve is not flattened.
    ``logx``: a log x axis labelled with plain numbers (0.1, 1), not powers of ten."""
    ax = _axes(ax, (7, 4))
    if logx:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    lowest = threshold
    for (label, y), colour in zip(curves.items(), [BAYES, *categorical(len(curves) - 1)]):
        ax.plot(x, y, lw=2, label=label, color=colour)
        lowest = min(lowest, float(np.nanmin(y)))
    ax.axhline(threshold, color=INK, lw=0.8, ls=":")
    ax.annotate(f"{threshold:g}", xy=(1, threshold), xycoords=ax.get_yaxis_transform(), xytext=(4, 0),
                textcoords="offset points", va="center", fontsize=9, color=INK, annotation_clip=False)
    ax.set_ylim(max(0.0, lowest - 0.15 * (1 - lowest)), 1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    if title:
        ax.set_title(title, loc="left")
    return ax


@styled
def design_curves(designs: dict, *, axes=None, title=None):
    """Power (left) and exaggeration ratio (Type M, right) against |true effect|, one line per
    design analysis (``designs``: label -> :func:`design_analysis` result) in category colours,
    with ±2 MCSE bands when simulated and the legend under the panels. With ``axes`` (from an
    earlier call) the lines are added in the next colours. Returns the two axes."""
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    fig = axes[0].figure
    start = len(axes[0].get_legend_handles_labels()[0])
    colours = categorical(start + len(designs))[start:]
    for (label, d), colour, marker in zip(designs.items(), colours, "osD^v<>"[start:]):
        t = d.table.sort_values("true_effect", key=np.abs)
        x = np.abs(t["true_effect"])
        for ax, col, ylabel in zip(axes, ("power", "exaggeration"), ("power", "exaggeration ratio (Type M)")):
            ax.plot(x, t[col], marker=marker, ms=4, label=label, color=colour)
            if (t[f"{col}_mcse"] > 0).any():
                ax.fill_between(x, t[col] - 2 * t[f"{col}_mcse"], t[col] + 2 * t[f"{col}_mcse"], color=colour,
                                alpha=0.2, lw=0)
            ax.set_xlabel(f"|true effect| ({d.measure or 'analysis scale'})")
            ax.set_ylabel(ylabel)
    if start == 0:
        axes[0].axhline(0.8, color=INK, lw=0.8, ls=":")
        axes[1].axhline(1.0, color=INK, lw=0.8, ls=":")
    for legend in fig.legends:
        legend.remove()
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 2))
    if title:
        fig.suptitle(title)
    return axes


@styled
def adjusted_estimates(table, *, measure="SMD", favours=None, ax=None, title=None):
    """A forest of adjusted estimates: one row per method (``table`` columns ``method``,
    ``estimate``, ``low``, ``high`` and ``reading``, "frequentist" or "Bayesian"), frequentist
    squares in blue, Bayesian circles in orange; rows without an estimate are left out."""
    rows = table[np.isfinite(table["estimate"].to_numpy(float))].reset_index(drop=True)
    ax = _axes(ax, (9, 0.5 * len(rows) + 1.6))
    y = np.arange(len(rows))[::-1].astype(float)
    for yi, (_, r) in zip(y, rows.iterrows()):
        bayes = r["reading"] == "Bayesian"
        lo, hi = (r["low"], r["high"]) if np.isfinite(r["low"]) else (r["estimate"], r["estimate"])
        ax.errorbar(r["estimate"], yi, xerr=[[r["estimate"] - lo], [hi - r["estimate"]]], fmt="o" if bayes else "s",
                    color=BAYES if bayes else FREQ, capsize=2, ms=5)
    ax.set_yticks(y, [textwrap.fill(str(m), 44) for m in rows["method"]])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlim(*_ratio_span(np.nanmin(rows["low"].fillna(rows["estimate"])),
                             np.nanmax(rows["high"].fillna(rows["estimate"])), measure))
    measure_axis(ax, measure, favours)
    if title:
        ax.set_title(title, loc="left")
    return ax


@styled
def funnel(studies, fit=None, *, groups=None, level=0.95, contours=None, ax=None, title=None,
           intervention="intervention"):
    """Funnel plot: each study's effect against its standard error (inverted axis); ``groups``
    (one label per study) colours the points. With ``fit``: its pooled mean and the pseudo
    ``level`` limits mu ± z·se. ``contours`` (e.g. (0.90, 0.95, 0.99)): contour-enhanced funnel
    (Peters et al. 2008, J Clin Epidemiol 61:991) as metafor ``funnel(..., level=c(90, 95, 99),
    shade=, refline=0)``: the regions around the null where a study's two-sided p-value lies
    between 1 - level and the next level are shaded, darker for smaller p."""
    from evidence_lib.frequentist.rma import funnel_limits

    s = as_studies(studies)
    ax = _axes(ax, (7.5, 5.2))
    se_max = s.sei.max() * 1.05
    null = null_value(s.measure)
    if contours is not None:
        levels = sorted(float(x) for x in contours)
        if not levels or any(not 0 < x < 1 for x in levels):
            raise ValueError(f"funnel: contours must be levels strictly between 0 and 1, got {contours!r}")
        se = np.linspace(0, se_max, 100)
        z = stats.norm.ppf(0.5 + np.array(levels) / 2)
        span = max(np.abs(s.yi - null).max(), z[-1] * se_max) * 1.15
        shades = np.linspace(0.88, 0.55, len(levels))
        bounds = list(z)
        for i, lvl in enumerate(levels):
            inner = bounds[i] * se
            outer = np.full_like(se, span) if i == len(levels) - 1 else np.minimum(bounds[i + 1] * se, span)
            label = f"p < {1 - lvl:.2g}" + ("" if i == len(levels) - 1 else f" (>= {1 - levels[i + 1]:.2g})")
            colour = str(shades[i])
            ax.fill_betweenx(se, null + inner, null + outer, color=colour, lw=0, label=label)
            ax.fill_betweenx(se, null - outer, null - inner, color=colour, lw=0)
        ax.set_xlim(null - span, null + span)
    if fit is not None:
        lim = funnel_limits(fit.estimate, se_max, level=level)
        ax.plot(lim["low"], lim["se"], color=PRIOR, ls="--", lw=1,
                label=f"pseudo {level:.0%} limits".replace("%", " %"))
        ax.plot(lim["high"], lim["se"], color=PRIOR, ls="--", lw=1)
        ax.axvline(fit.estimate, color=FREQ, lw=1, label=f"random-effects mean {fmt(fit.estimate)}")
    groups = np.asarray(groups if groups is not None else ["study"] * len(s))
    names = list(dict.fromkeys(groups))
    for name, colour in zip(names, categorical(len(names))):
        mask = groups == name
        ax.scatter(s.yi[mask], s.sei[mask], color=colour, s=25, label=f"{name} (k = {mask.sum()})", zorder=3)
    ax.set_ylim(se_max, 0)
    ax.set_ylabel("standard error")
    ax.axvline(null, color="black", lw=0.8)
    measure_axis(ax, s.measure, s.favours, intervention=intervention)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
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
    palette = dict(zip(groups, categorical(len(groups))))
    if ax is None:
        heights = [len(v) + 2 for v in families.values()]
        fig, axes = plt.subplots(len(families), 1, figsize=(12, 0.3 * sum(heights) + 1.8), layout="constrained",
                                 height_ratios=heights, squeeze=False)
        fig.get_layout_engine().set(hspace=0.12)   # a panel's x label is not read as the next panel's heading
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
    for tau, colour in zip(taus, categorical(len(taus))):
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
    other = categorical(2)[1]   # a prior family is a category, not a reading
    posterior_density(proper, "tau", prior=prior, ax=axes[0], upper=tau_max, label=f"posterior, {labels[0]} prior")
    posterior_density(flat, "tau", ax=axes[0], upper=tau_max, label=f"posterior, {labels[1]} prior", colour=other)
    axes[0].set_title("between-study SD τ", loc="left")
    axes[0].annotate(f"{labels[1]}: {flat.prob('tau', lower=tau_max):.0%} of the\nposterior lies beyond τ = {tau_max}",
                     xy=(0.97, 0.55), xycoords="axes fraction", ha="right", fontsize=10, color=other)
    # both curves to the edges of the mu panel (a flat prior's tails reach far beyond it)
    posterior_density(proper, "mu", favours=favours, ax=axes[1], label=f"{labels[0]} prior on τ", span=mu_xlim)
    posterior_density(flat, "mu", favours=favours, ax=axes[1], label=f"{labels[1]} prior on τ", span=mu_xlim,
                      colour=other)
    axes[1].set_title("average effect μ", loc="left")
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


@styled
def next_trial_histograms(results: dict, *, current, target=0.9, quantity="p_benefit_beyond",
                          xlabel="updated P(benefit > 0.2 SD)", title=None, ax=None):
    """Where new trials would leave a probability: one step histogram of ``quantity`` over the
    simulations of each ``{label: NextTrial}``, the ``target`` to clear (dotted) and its
    ``current`` value (grey)."""
    ax = _axes(ax, (8, 3.8))
    for (label, r), colour in zip(results.items(), categorical(len(results))):
        ax.hist(r.simulations[quantity], bins=40, histtype="step", density=True, lw=1.5, color=colour, label=label)
    ax.axvline(target, color="black", ls=":", lw=1, label=f"{target:g}, the bar to clear")
    ax.axvline(current, color=PRIOR, lw=1.5, label="today")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if title:
        ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


@styled
def coverage_by_mu(coverage, *, level=0.95, xlabel="true average effect μ (SMD; negative = benefit)", title=None):
    """Coverage of each interval (``coverage`` table: ``true_mu``, ``interval``, ``coverage``, as
    ``OperatingCharacteristics.coverage``) against the true mu, with the nominal ``level``."""
    by_mu = coverage.pivot(index="true_mu", columns="interval", values="coverage")
    fig, ax = plt.subplots(figsize=(11, 5.2), layout="constrained")
    for col, colour, marker in zip(by_mu, categorical(by_mu.shape[1]), "osD^v<>"):
        ax.plot(by_mu.index, by_mu[col], marker=marker, ms=5, lw=1.8, color=colour,
                label=col.replace("CrI: ", f"{level:.0%} CrI, ".replace("%", " %")))
    ax.axhline(level, color="black", ls=":", lw=1)
    ax.annotate(f"{level:g}", xy=(1, level), xycoords=ax.get_yaxis_transform(), xytext=(4, 0),
                textcoords="offset points", va="center", fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"coverage of the {level:.0%} interval".replace("%", " %"))
    fig.legend(loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    if title:
        ax.set_title(title, loc="left")
    return fig
