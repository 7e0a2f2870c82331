"""One vocabulary of effect measures and the switch between their natural and analysis scales.

Ratio measures (RR, OR, HR) are analysed on the log scale and reported as ratios; linear
measures (SMD, MD, RD) are analysed as they are. ``None`` stands for a measure the user did
not name (treated as linear: values are reported as given).
"""

from __future__ import annotations

import numpy as np

LINEAR = ("SMD", "MD", "RD")
RATIO = ("RR", "OR", "HR")
MEASURES = LINEAR + RATIO
#: the measures of the published results table and of a user's summaries file (ordered:
#: error messages list them in this order)
PUBLISHED = ("SMD", "RR", "OR")
#: the sides of the null that can favour the intervention
FAVOURS = ("lower", "higher")


def check_measure(measure, *, allow_none: bool = True, options=MEASURES) -> str | None:
    """``measure`` if it is one of ``options`` (or None when allowed); ValueError otherwise."""
    if measure is None and allow_none:
        return None
    if measure not in options:
        raise ValueError(f"unknown measure {measure!r}; choose one of {list(options)}")
    return measure


def check_favours(favours, *, allow_none: bool = True) -> str | None:
    """"lower", "higher", or None (direction unknown; "unknown" is read as None)."""
    if favours in (None, "unknown") and allow_none:
        return None
    if favours not in FAVOURS:
        raise ValueError(f"favours must be one of {list(FAVOURS)}, got {favours!r}")
    return favours


def is_ratio(measure) -> bool:
    """True for RR, OR and HR (analysed on the log scale)."""
    return measure in RATIO


def to_analysis_scale(x, measure):
    """Natural scale to analysis scale: log for ratio measures, identity otherwise."""
    return np.log(x) if is_ratio(measure) else x


def from_analysis_scale(x, measure):
    """Analysis scale back to natural scale: exp for ratio measures, identity otherwise."""
    return np.exp(x) if is_ratio(measure) else x


def benefit_sign(favours) -> float:
    """+1 when higher values favour the intervention, -1 when lower do, NaN when unknown."""
    return {"lower": -1.0, "higher": 1.0}.get(favours, np.nan)


#: the smallest effect that matters by default: 0.2 SD ("small" on Cohen's scale) for SMD,
#: a ratio of 1.25 for RR/OR/HR (analysis scale: log 1.25)
SMALL_SMD, SMALL_RATIO = 0.2, 1.25


def default_threshold(measure) -> float:
    """The default clinical threshold on the analysis scale: 0.2 for SMD, log 1.25 for ratios."""
    return float(np.log(SMALL_RATIO)) if is_ratio(measure) else SMALL_SMD


def null_value(measure) -> float:
    """The value of no effect on the natural scale: 1 for ratios, 0 otherwise."""
    return 1.0 if is_ratio(measure) else 0.0
