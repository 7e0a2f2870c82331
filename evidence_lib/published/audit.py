"""Internal-consistency audit of published pooled results: do the printed figures fit together?

Each check compares a printed figure with what the row's other printed figures imply.
Tolerances follow the printed precision: a printed number stands for the interval of half a
unit in its last printed digit (0.03 means 0.025 to 0.035; 63.70 means 63.695 to 63.705). An
implied quantity is evaluated at every corner of that rounding box (each is monotone in each
input, so the corners bound it) and a check flags only when no value in the box reproduces the
printed figure. Ratio measures are checked on the log scale. Verdicts: "ok", "flag",
"not checkable" (an input is missing).
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from evidence_lib.core import checks
from evidence_lib.loaders.packaged import PRINTED_PRECISION, load_published
from evidence_lib.core.measures import is_ratio, to_analysis_scale
from evidence_lib.effects.effect_sizes import se_from_ci
from evidence_lib.frequentist.rma import i2_from_q
from evidence_lib.published.reconstruct import from_published

COLUMNS = ("result_id", "check", "reported", "implied", "verdict", "detail")
OK, FLAG, NOT_CHECKABLE = "ok", "flag", "not checkable"

_P_TEXT = re.compile(r"\s*(<?)\s*(\d*\.\d+|\d+)\s*")


def _box(value: float, decimals) -> tuple[float, float]:
    """The interval a printed number stands for: +- half a unit in its last printed digit."""
    half = 0.5 * 10.0 ** -int(decimals)
    return value - half, value + half


def _corners(f, *intervals) -> tuple[float, float]:
    values = [f(*corner) for corner in itertools.product(*intervals)]
    return min(values), max(values)


def _overlap(a, b) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _text(row, col) -> str:
    return f"{row[col]:.{int(row[col + '_decimals'])}f}"


def parse_p(text: str) -> tuple[float, float, bool] | None:
    """Interval a printed p-value stands for, and whether it was printed as zero.

    "0.03" -> (0.025, 0.035); "<0.001" -> (0, 0.001); a printed zero ("0.000", "<0.000",
    "<0.00") is impossible and is read as below half a unit (0.0005 for "0.000").
    None when the text is not a p-value.
    """
    match = _P_TEXT.fullmatch(text)
    if match is None:
        return None
    less, digits = match.groups()
    value = float(digits)
    lo, hi = _box(value, len(digits.split(".")[1]) if "." in digits else 0)
    if value == 0:
        return 0.0, hi, True
    return (0.0, value, False) if less else (max(0.0, lo), min(1.0, hi), False)


class _Row:
    """One published row with its analysis scale and rounding boxes."""

    def __init__(self, row):
        self.row = row
        self.id = row["result_id"]
        self.ratio = is_ratio(row["measure"])
        self.scale = "log scale" if self.ratio else "SMD scale"
        self.has_ci = not (pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]))
        self.has_est = not pd.isna(row["estimate"])
        self.crit = norm.ppf(0.5 + row["ci_level"] / 2) if self.has_ci else np.nan
        if self.has_ci:
            self.lo, self.hi = _box(row["ci_low"], row["ci_low_decimals"]), _box(row["ci_high"], row["ci_high_decimals"])
        if self.has_est:
            self.est = _box(row["estimate"], row["estimate_decimals"])

    def g(self, x):
        """To the analysis scale (log for ratios)."""
        return to_analysis_scale(x, self.row["measure"])

    def se(self, low, high) -> float:
        return (self.g(high) - self.g(low)) / (2 * self.crit)

    def finding(self, check, verdict, detail, reported="", implied="") -> dict:
        return dict(result_id=self.id, check=check, reported=reported, implied=implied, verdict=verdict,
                    detail=detail)


def _se_from_ci(r: _Row) -> dict:
    if not r.has_ci:
        return r.finding("se_from_ci", NOT_CHECKABLE, "no CI printed")
    se = se_from_ci(r.row["ci_low"], r.row["ci_high"], measure=r.row["measure"], level=r.row["ci_level"])[0]
    return r.finding("se_from_ci", OK, f"SE = (high - low) / (2 x {r.crit:.3f}) on the {r.scale}",
                     f"{_text(r.row, 'ci_low')} to {_text(r.row, 'ci_high')}", f"{se:.4f}")


def _p_value(r: _Row) -> dict:
    """Two-sided z p-value implied by estimate and SE (CI midpoint when no estimate is printed)."""
    text = r.row["p_reported"]
    reported = parse_p(text) if text else None
    if not text or not r.has_ci or reported is None:
        why = "no p-value printed" if not text else "no CI printed" if not r.has_ci else "p text not understood"
        return r.finding("p_value", NOT_CHECKABLE, why, text)
    if r.has_est:
        def z(e, low, high):
            return r.g(e) / r.se(low, high)
        boxes, signed = (r.est, r.lo, r.hi), _corners(lambda e: r.g(e), r.est)
        z_printed = z(r.row["estimate"], r.row["ci_low"], r.row["ci_high"])
    else:
        def z(low, high):
            return (r.g(low) + r.g(high)) / 2 / r.se(low, high)
        boxes = (r.lo, r.hi)
        signed = _corners(lambda low, high: r.g(low) + r.g(high), r.lo, r.hi)
        z_printed = z(r.row["ci_low"], r.row["ci_high"])
    z_min, z_max = _corners(lambda *a: abs(z(*a)), *boxes)
    if signed[0] <= 0 <= signed[1]:
        z_min = 0.0
    implied = (2 * norm.sf(z_max), 2 * norm.sf(z_min))
    p_printed = 2 * norm.sf(abs(z_printed))
    verdict = OK if _overlap(implied, reported[:2]) else FLAG
    basis = "estimate" if r.has_est else "CI midpoint (no estimate printed)"
    detail = (f"z = {z_printed:.2f} from the {basis} and the CI-based SE; rounding allows p {implied[0]:.3g} to "
              f"{implied[1]:.3g}; printed '{text}' means {reported[0]:g} to {reported[1]:g}")
    return r.finding("p_value", verdict, detail, text, f"{p_printed:.3g}")


def _p_notation(r: _Row) -> dict:
    text = r.row["p_reported"]
    if not text:
        return r.finding("p_notation", NOT_CHECKABLE, "no p-value printed")
    parsed = parse_p(text)
    if parsed is None:
        return r.finding("p_notation", FLAG, "not a p-value notation", text)
    if parsed[2]:
        return r.finding("p_notation", FLAG, f"impossible notation: a p-value is never 0 (or below 0); read as "
                         f"p < {parsed[1]:g} in the other checks", text)
    return r.finding("p_notation", OK, "well-formed", text)


def _ci_symmetry(r: _Row) -> dict:
    """Estimate minus CI midpoint on the analysis scale must be zero within rounding."""
    if not (r.has_ci and r.has_est):
        return r.finding("ci_symmetry", NOT_CHECKABLE, "no CI printed" if not r.has_ci else "no estimate printed")
    asym = _corners(lambda e, low, high: r.g(e) - (r.g(low) + r.g(high)) / 2, r.est, r.lo, r.hi)
    mid = (r.g(r.row["ci_low"]) + r.g(r.row["ci_high"])) / 2
    gap = r.g(r.row["estimate"]) - mid
    verdict = OK if asym[0] <= 0 <= asym[1] else FLAG
    detail = f"estimate - CI midpoint = {gap:+.4f} on the {r.scale}; rounding allows {asym[0]:+.4f} to {asym[1]:+.4f}"
    return r.finding("ci_symmetry", verdict, detail, _text(r.row, "estimate"),
                     f"{np.exp(mid) if r.ratio else mid:.4g}")


def _tau2_range_k2(q: float, se2: float) -> tuple[float, float]:
    """DerSimonian-Laird tau² of two studies with heterogeneity Q and pooled random-effects SE².

    With within-study variances v1, v2 (mean m, spread d = |v1 - v2| / (v1 + v2) in [0, 1)):
    tau² = (Q - 1) m and SE² = m (Q² - d²) / (2 Q), so tau² runs from 2 (Q - 1) SE² / Q
    (equal variances, the approximation used elsewhere) to 2 Q SE² / (Q + 1) as d -> 1.
    """
    if q <= 1:
        return 0.0, 0.0
    return 2 * (q - 1) * se2 / q, 2 * q * se2 / (q + 1)


def _tau2(r: _Row) -> dict:
    """Reported tau² against what Q, k and the CI imply (DerSimonian-Laird, inverse-variance weights).

    The implied value is the equal-within-study-variance approximation (reconstruct.from_published).
    For k = 2 the exact range over all variance splits is known (_tau2_range_k2) and the check
    is decisive; for k > 2 no such bound is used and the row is "not checkable".
    """
    row = r.row
    if pd.isna(row["tau2_reported"]):
        return r.finding("tau2", NOT_CHECKABLE, "no tau² printed")
    reported = _text(row, "tau2_reported")
    if pd.isna(row["k"]) or pd.isna(row["q"]) or not r.has_ci:
        return r.finding("tau2", NOT_CHECKABLE, "needs k, Q and a CI", reported)
    k = checks.whole(f"{row['result_id']}: k", row["k"])
    approx = from_published(row["estimate_used"], row["ci_low"], row["ci_high"], k=k, q=row["q"],
                            measure=row["measure"], level=row["ci_level"]).tau2
    implied = f"{approx:.3g}"
    if k != 2:
        return r.finding("tau2", NOT_CHECKABLE, f"equal-variance approximation {approx:.3g}; no exact bound for "
                         f"k = {k}, so the printed value is not judged", reported, implied)
    q_box = _box(row["q"], row["q_decimals"])
    low = _corners(lambda q, lo, hi: _tau2_range_k2(q, r.se(lo, hi) ** 2)[0], q_box, r.lo, r.hi)[0]
    high = _corners(lambda q, lo, hi: _tau2_range_k2(q, r.se(lo, hi) ** 2)[1], q_box, r.lo, r.hi)[1]
    verdict = OK if _overlap((low, high), _box(row["tau2_reported"], row["tau2_reported_decimals"])) else FLAG
    detail = (f"k = 2, Q = {_text(row, 'q')}, SE from the CI ({r.scale}): any split of the two within-study "
              f"variances gives tau² between {low:.3g} and {high:.3g} (equal variances: {approx:.3g})")
    return r.finding("tau2", verdict, detail, reported, implied)


def _i2(r: _Row) -> dict:
    """I² = max(0, (Q - df) / Q) x 100 against the printed I²."""
    row = r.row
    if pd.isna(row["i2"]) or pd.isna(row["q"]) or pd.isna(row["q_df"]):
        return r.finding("i2", NOT_CHECKABLE, "needs I², Q and its df",
                         "" if pd.isna(row["i2"]) else _text(row, "i2"))
    df = checks.whole(f"{row['result_id']}: q_df", row["q_df"])
    implied = _corners(lambda q: i2_from_q(q, df), _box(row["q"], row["q_decimals"]))
    verdict = OK if _overlap(implied, _box(row["i2"], row["i2_decimals"])) else FLAG
    detail = f"Q = {_text(row, 'q')}, df = {df}: I² between {implied[0]:.1f} and {implied[1]:.1f} % within rounding"
    return r.finding("i2", verdict, detail, _text(row, "i2"), f"{i2_from_q(row['q'], df):.1f}")


def _q_p_value(r: _Row) -> dict:
    """Heterogeneity p-value: chi-square upper tail of Q on its df, against the printed value."""
    row = r.row
    text = row["q_p_reported"]
    reported = parse_p(text) if text else None
    if reported is None or pd.isna(row["q"]) or pd.isna(row["q_df"]):
        return r.finding("q_p_value", NOT_CHECKABLE, "needs Q, its df and a printed p", text)
    df = checks.whole(f"{row['result_id']}: q_df", row["q_df"])
    implied = _corners(lambda q: chi2.sf(q, df), _box(row["q"], row["q_decimals"]))
    verdict = OK if _overlap(implied, reported[:2]) else FLAG
    detail = f"chi-square({df}) tail of Q = {_text(row, 'q')}: {implied[0]:.4f} to {implied[1]:.4f} within rounding"
    return r.finding("q_p_value", verdict, detail, text, f"{chi2.sf(row['q'], df):.4f}")


_RUN = (_se_from_ci, _p_value, _p_notation, _ci_symmetry, _tau2, _i2, _q_p_value)
CHECKS = tuple(check.__name__.removeprefix("_") for check in _RUN)


def audit_published(df: pd.DataFrame | None = None) -> pd.DataFrame:
    """One finding per check per published row (columns :data:`COLUMNS`, checks :data:`CHECKS`).

    ``df`` defaults to :func:`evidence_lib.loaders.packaged.load_published`; it needs the loader's
    ``<col>_decimals`` columns, which carry the printed precision the tolerances use.
    """
    df = load_published() if df is None else df
    missing = [f"{c}_decimals" for c in PRINTED_PRECISION if f"{c}_decimals" not in df.columns]
    if missing:
        raise ValueError(f"audit_published needs the printed-precision columns of load_published; missing {missing}")
    findings = [check(_Row(row)) for _, row in df.iterrows() for check in _RUN]
    return pd.DataFrame(findings, columns=list(COLUMNS))
