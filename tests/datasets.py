"""Data sets the tests share, each with its source (tests/reference/golden_values.md)."""

import numpy as np

# Eight schools, the version in R bayesmeta (data(Rubin1981)); golden_values.md "Eight schools"
EIGHT_Y = np.array([28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16])
EIGHT_S = np.array([14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6])

# Crins et al. 2014 log odds ratios as golden_values.md prints them (4 decimals)
CRINS_Y_PRINTED = np.array([-2.3097, -0.4595, -2.3026, -1.7579, -1.2585, -2.4179])
CRINS_V_PRINTED = np.array([0.3594, 0.3096, 0.7750, 0.2078, 0.4122, 2.3373])


def crins_from_counts() -> tuple[np.ndarray, np.ndarray]:
    """Crins et al. 2014 log odds ratios and SEs from the counts in R bayesmeta's
    data(CrinsEtAl2014) (escalc "OR": 0.5 added to every cell of the study with a zero cell);
    bayesmeta's 7-digit figures come from these unrounded values."""
    a = np.array([14, 16, 3, 9, 4, 0.0])
    b = np.array([61, 28, 18, 54, 36, 50.0]) - a
    c = np.array([15, 19, 8, 29, 11, 3.0])
    d = np.array([20, 28, 12, 54, 36, 34.0]) - c
    zero = (np.vstack([a, b, c, d]) == 0).any(0) * 0.5
    a, b, c, d = a + zero, b + zero, c + zero, d + zero
    return np.log(a * d / (b * c)), np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
