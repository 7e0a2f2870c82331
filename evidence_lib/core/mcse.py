"""Monte Carlo standard errors of simulated proportions (coverage, power, crossing rates)."""

from __future__ import annotations

import numpy as np


def binomial_mcse(p, n):
    """Monte Carlo SE of a proportion p estimated from n independent draws: sqrt(p(1 - p)/n)."""
    return np.sqrt(p * (1 - p) / n)
