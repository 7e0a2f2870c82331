"""∫ f(x) dx for a smooth, unimodal, positive f on R^d (d <= 4) by Gauss-Legendre around its mode.

``log_f`` takes points (N, d) in unconstrained coordinates (Jacobians included) and returns (N,).

1. mode x̂ by BFGS on -log f; Hessian H by central differences (eigenvalues floored, so a flat
   direction gets a wide box); H⁻¹ = L Lᵀ with L lower triangular (Cholesky);
2. x = x̂ + L z: z_1 moves x_1 alone and, for fixed z_1, the other coordinates follow the
   Gaussian conditional, so a sum over the inner nodes at one z_1 is the marginal density of x_1;
3. on each axis of z the box ends where log f has dropped TAIL below the mode (at least
   ±MIN_HALF);
4. a tensor Gauss-Legendre rule with NODES_PER_UNIT nodes per unit of box width on each
   axis (between MIN_NODES and MAX_NODES), summed in chunks: ∫ f = |det L| Σ_n w_n f(x_n).
   TAIL, NODES_PER_UNIT and MAX_NODES depend on d (``RESOLUTION``).

:class:`BoxIntegral` keeps the nodes and their posterior weights; ``marginal_first`` gives the
density of x_1 at its nodes and :class:`LegendreDensity` its cdf from the degree n - 1
Legendre interpolant. Checked against ``scipy.integrate.cubature`` and ``nquad`` in
tests/test_bias_averaging.py.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import legendre
from scipy import optimize, special

from evidence_lib.core.errors import ConvergenceError

#: (TAIL, NODES_PER_UNIT, MAX_NODES) by dimension: generous where nodes are cheap; measured
#: against scipy cubature at rtol 1e-7 (tests/test_bias_averaging.py)
RESOLUTION = {1: (45.0, 5.0, 240), 2: (40.0, 4.0, 160), 3: (30.0, 2.5, 80), 4: (25.0, 1.6, 48)}
MIN_HALF = 4.0
SCAN = np.arange(0.5, 80.01, 0.5)
MIN_NODES = 16
CHUNK = 40_000
STEP = 1e-3  # finite-difference step for the Hessian


def _hessian(fun, x):
    d = len(x)
    e = np.eye(d) * STEP
    pts = [x]
    for i in range(d):
        for j in range(i, d):
            pts += [x + e[i] + e[j], x + e[i] - e[j], x - e[i] + e[j], x - e[i] - e[j]]
    vals = fun(np.array(pts))
    h = np.zeros((d, d))
    k = 1
    for i in range(d):
        for j in range(i, d):
            pp, pm, mp, mm = vals[k:k + 4]
            h[i, j] = h[j, i] = (pp - pm - mp + mm) / (4 * STEP**2)
            k += 4
    return h


class BoxIntegral:
    """The rule of the module docstring. Attributes: ``log_z`` (log of the integral), ``x``
    (N, d) nodes, ``w`` (N,) posterior weights (sum 1), ``mode``, ``chol``, ``shape`` (nodes per axis)."""

    def __init__(self, log_f, start):
        start = np.atleast_1d(np.asarray(start, float))
        self.d = d = len(start)

        def neg(x):
            v = -log_f(np.atleast_2d(x))[0]
            return v if np.isfinite(v) else 1e300

        opt = optimize.minimize(neg, start, method="BFGS", options={"gtol": 1e-8})
        mode = opt.x
        if not np.isfinite(neg(mode)) or neg(mode) >= 1e300:
            raise ConvergenceError("box quadrature: no finite mode of the integrand")
        h = -_hessian(log_f, mode)
        vals, vecs = np.linalg.eigh((h + h.T) / 2)
        cov = vecs @ np.diag(1 / np.maximum(vals, 1e-4)) @ vecs.T
        self.mode, self.chol = mode, np.linalg.cholesky(cov)
        peak = -neg(mode)
        tail, per_unit, max_nodes = RESOLUTION[d]
        axes = []
        for j in range(d):
            ends = []
            for side in (-1.0, 1.0):
                z = np.zeros((len(SCAN), d))
                z[:, j] = side * SCAN
                g = log_f(mode + z @ self.chol.T)
                below = np.nonzero(~(g > peak - tail))[0]
                if not len(below):
                    raise ConvergenceError(f"box quadrature: the integrand does not decay along axis {j}")
                ends.append(side * max(SCAN[below[0]], MIN_HALF))
            n = int(np.clip(np.ceil(per_unit * (ends[1] - ends[0])), MIN_NODES, max_nodes))
            t, w = legendre.leggauss(n)
            axes.append((ends[0] + (ends[1] - ends[0]) * (t + 1) / 2, w * (ends[1] - ends[0]) / 2, ends))
        self.axes = axes
        self.shape = tuple(len(a[0]) for a in axes)
        grids = np.meshgrid(*[a[0] for a in axes], indexing="ij")
        z = np.stack([g.ravel() for g in grids], -1)
        wts = np.ones(len(z))
        for j, g in enumerate(np.meshgrid(*[a[1] for a in axes], indexing="ij")):
            wts = wts * g.ravel()
        x = mode + z @ self.chol.T
        g = np.concatenate([log_f(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)])
        log_w = np.log(wts) + np.where(np.isfinite(g), g, -np.inf)
        log_det = float(np.log(np.diag(self.chol)).sum())
        total = special.logsumexp(log_w)
        self.log_z = float(total + log_det)
        self.x, self.w = x, np.exp(log_w - total)

    def marginal_first(self) -> LegendreDensity:
        """Posterior density of x_1 (the first coordinate) as a Legendre interpolant on its nodes."""
        nodes_z, w_z, (a, b) = self.axes[0]
        mass = self.w.reshape(self.shape).reshape(self.shape[0], -1).sum(1)
        density = mass / w_z  # per unit z_1
        l11 = self.chol[0, 0]
        return LegendreDensity(self.mode[0] + l11 * a, self.mode[0] + l11 * b, density / l11)


class LegendreDensity:
    """A density on [lo, hi] given at the Gauss-Legendre nodes of that interval; cdf and ppf from
    the integral of its interpolating polynomial (0 below lo, 1 above hi)."""

    def __init__(self, lo, hi, values):
        self.lo, self.hi = float(lo), float(hi)
        n = len(values)
        t, _ = legendre.leggauss(n)
        coef = np.linalg.solve(legendre.legvander(t, n - 1), values)
        self.icoef = legendre.legint(coef, lbnd=-1) * (self.hi - self.lo) / 2
        self.total = float(legendre.legval(1.0, self.icoef))

    def cdf(self, x):
        x = np.asarray(x, float)
        t = np.clip(2 * (x - self.lo) / (self.hi - self.lo) - 1, -1, 1)
        return np.clip(legendre.legval(t, self.icoef) / self.total, 0.0, 1.0)

    def ppf(self, q: float) -> float:
        return float(optimize.brentq(lambda x: float(self.cdf(x)) - q, self.lo, self.hi, xtol=1e-13))
