"""Likelihoods of the publication-bias models of RoBMA (Bartoš et al. 2023, Res Synth Methods 14:99;
Maier, Bartoš & Wagenmakers 2023, Psychol Methods 28:107), vectorised over N parameter points.

Effects y_i (oriented so that positive favours the intervention) with standard errors s_i,
marginal variance V_i = s_i² + tau² (study effects integrated out):

- one-sided selection on p-values: cut points c_j = Φ⁻¹(1 - step_j) (one-sided p = step_j; a
  larger z is more significant), interval 0 is y_i/s_i >= c_0 (p < step_0). With weights
  omega (omega_0 = 1) and shares d_j = omega_j - omega_{j+1} (omega_J = 0),

      p(y_i) = φ(y_i; mu, V_i) omega_{j(i)} / A_i,   A_i = Σ_j omega_j P(interval j)
                                                        = Σ_j d_j P(Y_i/s_i >= c_j),

  with c_{J-1} = -inf (RoBMA src/source/tools.cc ``log_std_constant_onesided``; a y exactly at
  a cut point falls in the more significant interval, as there);
- PET: y_i ~ N(mu + b s_i, V_i); PEESE: y_i ~ N(mu + b s_i², V_i) (b >= 0: small studies show
  larger benefit), RoBMA R/fit-and-marglik.R ``.generate_model_syntax``.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

LOG_2PI = float(np.log(2 * np.pi))


def cut_points(steps) -> np.ndarray:
    """z cut points c_j = Φ⁻¹(1 - step_j), decreasing for increasing one-sided p steps."""
    return stats.norm.isf(np.asarray(steps, float))


def observed_interval(y, *, sei, steps) -> np.ndarray:
    """Interval index j(i) of each observed effect (0 = most significant)."""
    c = cut_points(steps)
    return (np.asarray(y, float)[:, None] / np.asarray(sei, float)[:, None] < c).sum(1)


def normal_log_lik(y, *, vi, mean, tau):
    """Σ_i log φ(y_i; mean_(n,i), v_i + tau_n²) for N points: ``mean`` (N, k) or (N, 1), ``tau`` (N,)."""
    V = vi + np.asarray(tau, float)[:, None] ** 2
    return -0.5 * (LOG_2PI + np.log(V) + (y - mean) ** 2 / V).sum(1)


def selection_log_lik(y, *, sei, steps, mu, tau, omega):
    """Σ_i log p(y_i) of the one-sided selection model (module docstring) at N points:
    ``mu``, ``tau`` (N,), ``omega`` (N, J). The normal cdfs are computed once per run of equal
    consecutive (mu, tau) pairs (a tensor quadrature grid repeats them across the weight axes)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        out = _selection_log_lik(np.asarray(y, float), np.asarray(sei, float), steps, np.asarray(mu, float),
                                 np.asarray(tau, float), np.asarray(omega, float))
    # tau overflowing at the quadrature's far nodes: density and normaliser both vanish there (no mass)
    return np.where(np.isnan(out), -np.inf, out)


def _selection_log_lik(y, s, steps, mu, tau, omega):
    new = np.concatenate([[True], (mu[1:] != mu[:-1]) | (tau[1:] != tau[:-1])])
    run = np.cumsum(new) - 1
    mu_u, tau_u = mu[new], tau[new]
    sd = np.sqrt(s**2 + tau_u[:, None] ** 2)                                      # (U, k)
    upper = special.ndtr((mu_u[:, None, None] - cut_points(steps) * s[:, None]) / sd[:, :, None])  # (U, k, J-1)
    z = (y - mu_u[:, None]) / sd
    log_phi = (-0.5 * (LOG_2PI + z**2) - np.log(sd)).sum(1)                      # (U,)
    shares = omega - np.concatenate([omega[:, 1:], np.zeros((len(omega), 1))], 1)
    area = np.repeat(shares[:, -1:], len(y), axis=1)                              # c_{J-1} = -inf
    for j in range(omega.shape[1] - 1):
        area += upper[run, :, j] * shares[:, j:j + 1]
    counts = np.bincount(observed_interval(y, sei=s, steps=steps), minlength=omega.shape[1])
    # xlogy: an empty interval adds 0, even where its weight is 0
    return log_phi[run] + special.xlogy(counts, omega).sum(1) - np.log(area).sum(1)
