"""The project's colours: one meaning per colour in every figure.

Blue is the frequentist reading and orange the Bayesian one (Okabe & Ito 2008, "Color
Universal Design": blue #0072B2, vermillion #D55E00). Everything else that is only a
category (reviews, therapy types, prior families, coverage series, designs) takes
:data:`CATEGORICAL`, Paul Tol's colour-blind-safe "muted" scheme without its blue-like
indigo and cyan, so that no category can be read as a reading (Tol 2021, "Colour Schemes",
SRON/EPS/TN/09-002). Priors are grey.
"""

from __future__ import annotations

from cycler import cycler

FREQ = "#0072B2"    # frequentist reading: blue
BAYES = "#D55E00"   # Bayesian reading: orange (vermillion)
PRIOR = "#777777"   # a prior: grey
INK = "#333333"     # annotations
#: categories that are not readings (Tol muted: green, purple, teal, wine, olive, rose, sand)
CATEGORICAL = ("#117733", "#AA4499", "#44AA99", "#882255", "#999933", "#CC6677", "#DDCC77")
#: the default cycle inside the figures' style: categories, never matplotlib's tab10
CYCLE = cycler(color=CATEGORICAL)


def categorical(n: int) -> list[str]:
    """``n`` category colours in order; more than seven categories are refused (use panels)."""
    if n > len(CATEGORICAL):
        raise ValueError(f"{n} categories: the palette has {len(CATEGORICAL)} colours; split the figure into panels")
    return list(CATEGORICAL[:n])
