"""Study-level effect sizes computed as R metafor's ``escalc`` computes them.

Arm 1 is the intervention, arm 2 the control throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import gammaln, ndtri

from evidence_lib.core import checks
from evidence_lib.core.checks import as_vector, at_least, positions, positive, same_length
from evidence_lib.core.measures import MEASURES, check_measure, is_ratio
from evidence_lib.core.studies import Studies, spread_by_keyword, variances


@dataclass(frozen=True, eq=False)
class RatioEffects:
    """Log ratio effects of the studies kept, and the 0-based indices of those dropped."""

    yi: np.ndarray
    vi: np.ndarray
    dropped: np.ndarray
    kept: np.ndarray


def smd(m1, sd1, n1, m2, sd2, n2) -> tuple[np.ndarray, np.ndarray]:
    """Hedges' g and its variance, as metafor ``escalc(measure="SMD")`` (vtype "LS").

    g = J(m) (m1 - m2) / s_p with s_p² = ((n1-1) sd1² + (n2-1) sd2²) / m, m = n1 + n2 - 2,
    and the exact correction J(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)) (Hedges 1981);
    v = 1/n1 + 1/n2 + g² / (2 (n1 + n2)).
    statsmodels' ``effectsize_smd`` uses the approximation J ≈ 1 - 3/(4N - 9) and another
    variance, so it does not reproduce metafor and is not used here.
    """
    arrays = {name: as_vector(name, x) for name, x in
              dict(m1=m1, sd1=sd1, n1=n1, m2=m2, sd2=sd2, n2=n2).items()}
    same_length(**arrays)
    for name in ("sd1", "sd2"):
        positive(name, arrays[name])
    for name in ("n1", "n2"):
        at_least(name, arrays[name], 2)
    n1, n2 = arrays["n1"], arrays["n2"]
    m = n1 + n2 - 2
    s_pooled = np.sqrt(((n1 - 1) * arrays["sd1"] ** 2 + (n2 - 1) * arrays["sd2"] ** 2) / m)
    j = np.exp(gammaln(m / 2) - 0.5 * np.log(m / 2) - gammaln((m - 1) / 2))
    yi = j * (arrays["m1"] - arrays["m2"]) / s_pooled
    vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
    return yi, vi


def check_counts(e1, n1, e2, n2, *, min_len: int = 1):
    """2x2 counts as float vectors: whole numbers, events >= 0, totals >= 1, events <= totals."""
    arrays = {name: as_vector(name, x, min_len=min_len) for name, x in dict(e1=e1, n1=n1, e2=e2, n2=n2).items()}
    same_length(**arrays)
    for name, arr in arrays.items():
        off = arr != np.round(arr)
        if off.any():
            raise ValueError(f"{name} must hold whole counts; offending {positions(off)}")
    for arm in ("1", "2"):
        events, total = arrays["e" + arm], arrays["n" + arm]
        at_least("e" + arm, events, 0)
        at_least("n" + arm, total, 1)
        over = events > total
        if over.any():
            raise ValueError(f"e{arm} must be <= n{arm}; offending {positions(over)}")
    return arrays["e1"], arrays["n1"], arrays["e2"], arrays["n2"]


def _log_ratio(measure, e1, n1, e2, n2) -> RatioEffects:
    e1, n1, e2, n2 = check_counts(e1, n1, e2, n2)
    a, b, c, d = e1, n1 - e1, e2, n2 - e2
    double = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    kept = np.flatnonzero(~double)
    cells = np.stack([a, b, c, d])[:, kept]
    cells = cells + 0.5 * (cells == 0).any(axis=0)
    a, b, c, d = cells
    if measure == "RR":
        yi = np.log(a / (a + b)) - np.log(c / (c + d))
        vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    else:
        yi = np.log(a * d / (b * c))
        vi = 1 / a + 1 / b + 1 / c + 1 / d
    return RatioEffects(yi=yi, vi=vi, dropped=np.flatnonzero(double), kept=kept)


def log_rr(e1, n1, e2, n2) -> RatioEffects:
    """Log risk ratio log(p1/p2), variance 1/e1 - 1/n1 + 1/e2 - 1/n2 (events e of totals n).

    Zero cells as metafor ``escalc(measure="RR", add=1/2, to="only0", drop00=TRUE)``: a study
    with a zero cell (no events, or only events, in an arm) gets 0.5 added to all four
    cells; a study with no events in both arms, or only events in both arms, is dropped
    (index in ``dropped``). Computed directly: statsmodels ``effectsize_2proportions``
    (0.15) adds the 0.5 to every study, not only to those with a zero cell.
    """
    return _log_ratio("RR", e1, n1, e2, n2)


def log_or(e1, n1, e2, n2) -> RatioEffects:
    """Log odds ratio, variance 1/a + 1/b + 1/c + 1/d over the four cells of the 2x2 table.

    Zero cells exactly as in :func:`log_rr` (metafor ``escalc(measure="OR", add=1/2,
    to="only0", drop00=TRUE)``): 0.5 added to all cells of a study with a zero cell;
    studies with no events or only events in both arms are dropped.
    """
    return _log_ratio("OR", e1, n1, e2, n2)


def se_from_ci(ci_low, ci_high, *, measure: str = "SMD", level: float = 0.95) -> np.ndarray:
    """Standard error behind a symmetric Wald interval: (high - low) / (2 z_{(1+level)/2}).

    For ratio measures ("RR", "OR", "HR") the bounds are ratios and the SE is on the log
    scale; linear measures are "SMD", "MD", "RD".
    """
    check_measure(measure, allow_none=False, options=MEASURES)
    level = checks.level(level)
    low, high = as_vector("ci_low", ci_low), as_vector("ci_high", ci_high)
    same_length(ci_low=low, ci_high=high)
    if is_ratio(measure):
        low, high = np.log(positive("ci_low", low)), np.log(positive("ci_high", high))
    inverted = low >= high
    if inverted.any():
        raise ValueError(f"ci_low must be < ci_high; offending {positions(inverted)}")
    return (high - low) / (2 * ndtri((1 + level) / 2))  # scipy.stats.norm.ppf


def smd_table(trials) -> Studies:
    """One SMD per study from an arm-level trial table (``load_trials``): the arm with
    ``arm_role == "intervention"`` against the arm with ``arm_role == "control"``.

    Arms in other roles (e.g. "alternative treatment") are not paired. Returns a
    :class:`~evidence_lib.core.studies.Studies` labelled by study, measure "SMD", with ``favours``
    from the instruments' ``scale_direction`` ("higher is worse": lower favours the
    intervention) and ``data`` columns n1, n2, instrument. Raises ValueError when a study does
    not have exactly one intervention and one control arm, when its arms use different
    instruments, or when the studies' scale directions differ.
    """
    rows = []
    for study, arms in trials.groupby("study", sort=False):
        pair = {role: arms[arms["arm_role"] == role] for role in ("intervention", "control")}
        counts = {role: len(a) for role, a in pair.items()}
        if counts != {"intervention": 1, "control": 1}:
            raise ValueError(f"{study}: need one intervention and one control arm, found {counts}")
        t, c = pair["intervention"].iloc[0], pair["control"].iloc[0]
        if t["instrument"] != c["instrument"]:
            raise ValueError(f"{study}: arms use different instruments ({t['instrument']}, {c['instrument']})")
        yi, vi = smd(t["mean"], t["sd"], t["n"], c["mean"], c["sd"], c["n"])
        rows.append({"study": study, "yi": yi[0], "vi": vi[0], "n1": checks.whole(f"{study}: n (intervention)", t["n"]),
                     "n2": checks.whole(f"{study}: n (control)", c["n"]),
                     "instrument": t["instrument"], "scale_direction": t["scale_direction"]})
    table = pd.DataFrame(rows)
    directions = set(table["scale_direction"])
    if len(directions) != 1:
        raise ValueError(f"the studies' scales point different ways ({sorted(directions)}): harmonise them first")
    favours = "lower" if directions == {"higher is worse"} else "higher"
    return Studies.from_frame(table.drop(columns="scale_direction"), vi="vi", label="study", measure="SMD",
                              favours=favours)


@spread_by_keyword
def aggregate_correlated(yi, *, sei=None, vi=None, rho: float) -> tuple[float, float]:
    """Combine effects ``yi`` from one comparison, with their spread by keyword (``vi=`` variances
    or ``sei=`` standard errors), assumed to correlate ``rho`` (compound symmetry, -1 < rho < 1).

    V_ij = rho sqrt(v_i v_j) (V_ii = v_i), w = V^-1 1: y = w'y / 1'w, v = 1 / 1'w; the GLS
    estimate of metafor ``aggregate.escalc(struct="CS")`` (Viechtbauer, metafor manual).
    Returns (y, v).
    """
    yi = as_vector("yi", yi)
    vi = variances(sei=sei, vi=vi)
    same_length(yi=yi, vi=vi)
    rho = checks.scalar("rho", rho)
    if not -1 < rho < 1:
        raise ValueError(f"rho is a correlation: it must lie strictly between -1 and 1, got {rho:g}")
    sd = np.sqrt(vi)
    cov = rho * np.outer(sd, sd)
    np.fill_diagonal(cov, vi)
    w = np.linalg.solve(cov, np.ones_like(yi))
    return float(w @ yi / w.sum()), float(1 / w.sum())


def g_from_events(e1, n1, e2, n2) -> tuple[np.ndarray, np.ndarray]:
    """Hedges' g from a 2x2 table by the logit method, as Metapsy converts binary outcomes.

    d = ln(OR) sqrt(3)/pi (Chinn 2000, Stat Med 19:3127), OR = e1 (n2-e2) / ((n1-e1) e2),
    g = J d with J = 1 - 3/(4 (n1+n2) - 9), v = (3/pi²)(1/e1 + 1/(n1-e1) + 1/e2 + 1/(n2-e2))
    (no J in v; reproduces the database's ``.g``/``.g_se``). Counts may be fractional (split
    control arms), which :func:`evidence_lib.effects.effect_sizes.log_or` rejects; positive g = more
    events (response/remission) with arm 1.
    """
    e1, n1, e2, n2 = (np.asarray(a, float) for a in (e1, n1, e2, n2))
    cells = np.stack([e1, n1 - e1, e2, n2 - e2])
    if (cells <= 0).any():
        raise ValueError("g_from_events needs every 2x2 cell > 0")
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    g = j * np.log(e1 * (n2 - e2) / ((n1 - e1) * e2)) * np.sqrt(3) / np.pi
    return g, 3 / np.pi**2 * (1 / cells).sum(axis=0)
