"""Exact Bayesian random-effects meta-analysis by numerical integration (bayesmeta's model, no MCMC).

Model: y_i ~ N(theta_i, s_i²), theta_i ~ N(mu, tau²), independent priors p(tau) and p(mu)
(flat, or N(m0, s0²)). Given tau everything is conjugate (Röver 2020, J Stat Softw 93(6), sec. 2):
with V_j = s_j² + tau² and, for a normal mu prior, one more term (Y, V) = (m0, s0²),

    mu | tau, y ~ N(m, v),   1/v = sum_j 1/V_j,   m = v · sum_j Y_j/V_j,
    log L(tau) = -½ [(n-1) log 2π + sum_j log V_j + sum_j (Y_j - m)²/V_j + log(1/v)]

(n terms; L is p(y | tau) when the mu prior is proper). So p(tau | y) ∝ p(tau) L(tau) is
one-dimensional, and mu, theta_new ~ N(m, v + tau²) and each theta_i are normal mixtures
over p(tau | y).

Two numerical paths give the same exact posterior (neither approximates the mixture; bayesmeta's
DIRECT grid with delta = 0.01 does, so its mu figures can be ~1e-4 off):

- ``method="grid"`` (default, fast): composite 10-point Gauss-Legendre on u = log tau, panels
  halved until halving changes a panel by < 1e-11 of the total, over the range where the log
  posterior (and tau² times it) is within 46 of its maximum; below tau_0 = 1e-8·min(s_i),
  L(tau) = L(0) to double precision, so that piece is L(0)·P(tau < tau_0) from the prior's own
  cdf. The tau cdf integrates each panel's degree-9 interpolant (quantiles: its polynomial
  roots); mixtures are sums over the nodes, their quantiles Newton roots of the cdf (bracketed
  brentq where Newton does not converge).
- ``method="quad"``: adaptive ``scipy.integrate.quad`` on log tau for every cdf, density and
  moment: the reference. tests/test_exact.py checks that the paths agree to 1e-8 (measured:
  < 1e-10).

Shortest intervals assume a unimodal density (as bayesmeta does): they solve
f(a) = f(b) with F(b) - F(a) = level, or start at 0 when the tau density decreases from 0
(normal mixtures: Newton's method on (a, b) with the analytic slope f'; otherwise, or where
Newton does not settle, a bracketed root in a).
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
from numpy.polynomial import legendre
from scipy import special

from evidence_lib.core import checks
from evidence_lib.core.errors import ConvergenceError
from evidence_lib.bayes.priors import as_mu_prior, as_tau_prior, require_proper_posterior
from evidence_lib.core.results import Result
from evidence_lib.core.studies import as_studies, spread_by_keyword

LOG_2PI = float(np.log(2 * np.pi))
PARAMS = ("mu", "tau", "theta_new")
METHODS = ("grid", "quad")
KINDS = ("central", "shortest")
GL_X, GL_W = legendre.leggauss(10)
LEG_INV = np.linalg.inv(legendre.legvander(GL_X, 9))
TAIL = 46.0        # log-density drop treated as negligible (e^-46 ~ 1e-20)
U_CAP = 340.0      # largest log tau scanned (tau² stays finite)
SCAN_STEP = 0.25   # step of the scan that locates the posterior in u = log tau
SPLIT_TOL = 1e-11  # panel refinement tolerance, relative to the total
FAR_U = np.array([200.0, 300.0])  # log tau far beyond any data: where moments are checked to decay


# ------------------------------------------------------------------------------ model
class NormalModel:
    """Data and priors: p(tau) L(tau) and the conditional normal moments given tau."""

    def __init__(self, y, s2, tau_prior, mu_prior):
        self.y, self.s2 = y, s2
        self.tau_prior, self.mu_prior = tau_prior, mu_prior
        if mu_prior.proper:
            self.prior_prec, self.m0, self.prior_logvar = 1 / mu_prior.sd**2, mu_prior.mean, 2 * np.log(mu_prior.sd)
        else:
            self.prior_prec, self.m0, self.prior_logvar = 0.0, 0.0, 0.0
        self.n = np.shape(y)[-1] + mu_prior.proper  # y may be (data sets, k): cond broadcasts
        self.tau0 = 1e-8 * float(np.sqrt(s2.min()))
        self.far_tail = None  # log p(tau) L(tau) tau at u = log tau in FAR_U, once computed

    def cond(self, tau):
        """log L(tau), m(tau), v(tau) for an array of tau (module docstring)."""
        V = np.asarray(tau, float)[..., None] ** 2 + self.s2
        w = 1 / V
        prec = w.sum(-1) + self.prior_prec
        m = ((w * self.y).sum(-1) + self.prior_prec * self.m0) / prec
        resid = (w * (self.y - m[..., None]) ** 2).sum(-1) + self.prior_prec * (self.m0 - m) ** 2
        log_l = -0.5 * ((self.n - 1) * LOG_2PI + np.log(V).sum(-1) + self.prior_logvar + resid + np.log(prec))
        return log_l, m, 1 / prec

    def log_joint(self, tau):
        """log p(tau) + log L(tau) (unnormalised log posterior density on the tau scale)."""
        return self.tau_prior.logpdf(tau) + self.cond(tau)[0]

    def log_joint_u(self, u):
        """The same on u = log tau (with the Jacobian tau)."""
        return self.log_joint(np.exp(u)) + u

    def prior_mass(self, tau):
        """Prior mass below tau (for the improper uniform: tau itself)."""
        return self.tau_prior.cdf(tau) if self.tau_prior.proper else np.asarray(tau, float)

    def moment_exists(self, r: int) -> bool:
        """Whether E[tau^r | y] is finite: tau^r p(tau | y) must decay in the far tail."""
        if self.far_tail is None:
            self.far_tail = self.log_joint_u(FAR_U)
        g = self.far_tail + r * FAR_U
        return bool(g[1] < g[0] - 1)

    def components(self, tau, which):
        """Conditional (mean, sd) given tau of mu, theta_new or study ``which`` (an int)."""
        tau = np.asarray(tau, float)
        _, m, v = self.cond(tau)
        if which == "mu":
            return m, np.sqrt(v)
        if which == "theta_new":
            return m, np.sqrt(v + tau**2)
        shrink = self.s2[which] / (self.s2[which] + tau**2)
        return (1 - shrink) * self.y[which] + shrink * m, np.sqrt(tau**2 * shrink + shrink**2 * v)

    def finite_moments(self, which) -> tuple[bool, bool]:
        """Whether the mixture for ``which`` has a finite mean and variance: its sd grows like tau
        for theta_new and for mu under a flat prior (needing E[tau], E[tau²]); others are bounded."""
        if which == "theta_new" or (which == "mu" and not self.mu_prior.proper):
            return self.moment_exists(1), self.moment_exists(2)
        return True, True


def conditional_likelihood(yi, *, vi, tau, mu_prior):
    """log L(tau), m(tau), v(tau) of the module docstring (mu integrated under ``mu_prior``,
    flat or normal), broadcasting: ``yi`` (..., k) with ``tau`` (...)."""
    model = NormalModel(np.asarray(yi, float), np.asarray(vi, float), as_tau_prior(None), as_mu_prior(mu_prior))
    return model.cond(tau)


# -------------------------------------------------------------------------- marginals
SQRT_2PI = np.sqrt(2 * np.pi)


def normal_pdf(x, mean, sd):
    """The normal density exp(-z²/2)/√(2π)/sd, z = (x - mean)/sd, as scipy.stats.norm.pdf computes it
    (bit for bit) without importing scipy.stats (the command line's fast path)."""
    z = (np.asarray(x, float) - mean) / sd
    return np.exp(-z**2 / 2.0) / SQRT_2PI / sd
class _Marginal:
    """A univariate posterior: subclasses give cdf, pdf, moments and a starting point."""

    lower = -np.inf    # support starts here
    log_scale = False  # quantiles are found on log x
    center = 0.0       # rough location and spread on the root-finding scale
    spread = 1.0

    def cdf1(self, x: float) -> float:
        return float(self.cdf(np.atleast_1d(float(x)))[0])

    def pdf1(self, x: float) -> float:
        return float(self.pdf(np.atleast_1d(float(x)))[0])

    def cdf_pdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """F and f at the points x (a mixture shares the work between them)."""
        return self.cdf(x), self.pdf(x)

    def _cdf_pdf_slope(self, x: np.ndarray):
        """F, f and f' at the points x; None where f' is not available."""
        return None

    def _newton(self, p: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Newton's method for F(x) = p from x, elementwise: at most 10 steps, stopping when a
        step is below 1e-13 spread; NaN where it does not converge (e.g. f = 0)."""
        tol = 1e-13 * self.spread
        x, out, todo = np.array(x, float), np.full(len(p), np.nan), np.arange(len(p))
        for _ in range(10):
            cdf, pdf = self.cdf_pdf(x[todo])
            hit = cdf == p[todo]
            with np.errstate(divide="ignore", invalid="ignore"):
                step = x[todo] - (cdf - p[todo]) / pdf
            done = ~hit & (np.abs(step - x[todo]) <= tol)
            out[todo[hit]], out[todo[done]] = x[todo[hit]], step[done]
            x[todo] = step
            todo = todo[~hit & ~done & (pdf != 0)]
            if not len(todo):
                break
        return out

    def ppfs(self, p: np.ndarray) -> np.ndarray:
        """Quantiles at each of p: off the log scale one Newton run for all from the normal
        approximation center + spread·z_p, then :meth:`ppf` for any not converged."""
        p = np.asarray(p, float)
        out = np.full(len(p), np.nan)
        if not self.log_scale:
            inner = (p > 0) & (p < 1)
            out[inner] = self._newton(p[inner], self.center + self.spread * special.ndtri(p[inner]))
        left = np.isnan(out)
        out[left] = [self.ppf(v) for v in p[left]]
        return out

    def ppf(self, p: float, start: float | None = None) -> float:
        """Quantile: Newton from ``start`` (default, off the log scale: the normal approximation
        center + spread·z_p) when it converges, else bracketed brentq."""
        if p == 0:
            return self.lower
        if p == 1:
            return np.inf
        if start is None and not self.log_scale:
            start = self.center + self.spread * float(special.ndtri(p))
        if start is not None:
            x = float(self._newton(np.array([p]), np.array([start]))[0])
            if not np.isnan(x):
                return x
        to_x = np.exp if self.log_scale else float

        def f(z):
            return self.cdf1(to_x(z)) - p

        step = self.spread / 2
        z0 = self.center + self.spread * float(special.ndtri(p))
        lo, hi = z0 - step, z0 + step
        while f(lo) > 0:
            step *= 2
            lo -= step
        step = self.spread / 2
        while f(hi) < 0:  # the cdf may top out at 1 - 1e-16: then p is 1 to rounding
            step *= 2
            hi += step
            if hi == np.inf:
                return np.inf
        from scipy import optimize

        return float(to_x(optimize.brentq(f, lo, hi, xtol=1e-13 * self.spread)))

    def _shortest_newton(self, level: float) -> tuple[float, float] | None:
        """Shortest interval by Newton's method on (a, b) for F(b) - F(a) = level, f(a) = f(b),
        from the normal approximation (steps capped at one spread, stopping below 1e-12
        spread); None without f', or unless it settles with 0 < F(a) < 1 - level, f rising at a
        and falling at b (then bracketing decides)."""
        z = float(special.ndtri((1 + level) / 2))
        ab = np.array([self.center - z * self.spread, self.center + z * self.spread])
        for _ in range(30):
            values = self._cdf_pdf_slope(ab)
            if values is None:
                return None
            (cdf_a, cdf_b), (pdf_a, pdf_b), (slope_a, slope_b) = values
            r_mass, r_height = cdf_b - cdf_a - level, pdf_a - pdf_b
            step = np.array([slope_b * r_mass + pdf_b * r_height,
                             slope_a * r_mass + pdf_a * r_height]) / (pdf_a * slope_b - pdf_b * slope_a)
            size = np.abs(step).max()
            if not np.isfinite(size):
                return None
            if size <= 1e-12 * self.spread:
                a, b = (float(v) for v in ab + step)
                ok = a < b and 0 < cdf_a < 1 - level and slope_a > 0 > slope_b
                return (a, b) if ok else None
            ab = ab + step * min(1.0, self.spread / size)
        return None

    def interval(self, level: float, kind: str) -> tuple[float, float]:
        """Central interval, or the shortest one: f(a) = f(b) with F(b) - F(a) = level
        (Newton on (a, b) where f' is known, else a bracketed root in a)."""
        if kind == "central":
            return self.ppf((1 - level) / 2), self.ppf((1 + level) / 2)
        found = self._shortest_newton(level)
        if found is not None:
            return found
        last = {}  # previous (a, b, f(b)): seeds Newton for the next b via db/da = f(a)/f(b)

        def upper(a, fa):
            p = min(self.cdf1(a) + level, 1.0)
            seed = last["b"] + (a - last["a"]) * fa / last["fb"] if last.get("fb", 0) > 0 else None
            b = self.ppf(p, seed)
            last.update(a=a, b=b, fb=self.pdf1(b))
            return b

        def gap(a):
            fa = self.pdf1(a)
            upper(a, fa)
            return fa - last["fb"]

        a_hi = self.ppf((1 - level) * (1 - 1e-9))  # keeps F(a_hi) + level clear of 1
        if self.lower == 0:
            a_lo = 0.0
            if gap(0.0) >= 0:
                return 0.0, last["b"]
        else:
            a_lo = self.ppf((1 - level) * 1e-4)
        from scipy import optimize

        a = optimize.brentq(gap, a_lo, a_hi, xtol=1e-12 * (a_hi - a_lo))
        return a, upper(a, self.pdf1(a))

    def mean(self) -> float:
        raise NotImplementedError

    def sd(self) -> float:
        raise NotImplementedError


class _Normal(_Marginal):
    """mu | y when the likelihood is a single pooled estimate (tau fixed at 0)."""

    def __init__(self, mean, sd):
        self._mean, self._sd = float(mean), float(sd)
        self.center, self.spread = self._mean, self._sd

    def cdf(self, x):
        return special.ndtr((np.asarray(x, float) - self._mean) / self._sd)

    def pdf(self, x):
        return normal_pdf(x, self._mean, self._sd)

    def mean(self):
        return self._mean

    def sd(self):
        return self._sd


class _TauMarginal(_Marginal):
    """p(tau | y): positive, root finding on log tau; moments E[tau^r | y] from ``_raw_moment``."""

    lower = 0.0
    log_scale = True
    model: NormalModel

    def _raw_moment(self, r: int) -> float:
        raise NotImplementedError

    def moment(self, r: int) -> float:
        return self._raw_moment(r) if self.model.moment_exists(r) else np.inf

    def mean(self):
        return self.moment(1)

    def sd(self):
        second = self.moment(2)
        return np.inf if np.isinf(second) else float(np.sqrt(max(second - self.moment(1) ** 2, 0.0)))


class _MixtureMarginal(_Marginal):
    """mu | y or theta_new | y = E[N(m(tau), s(tau)²) | y]; moments from ``_expect``."""

    model: NormalModel
    which: str

    def _expect(self, h) -> float:
        """E[h(m(tau), s(tau)) | y]."""
        raise NotImplementedError

    def mean(self):
        return self._expect(lambda m, s: m) if self.model.finite_moments(self.which)[0] else np.nan

    def sd(self):
        if not self.model.finite_moments(self.which)[1]:
            return np.inf
        mean = self.mean()
        return float(np.sqrt(self._expect(lambda m, s: s**2 + (m - mean) ** 2)))


class TauGrid(_TauMarginal):
    """p(tau | y) on adaptive Gauss-Legendre panels in u = log tau plus the piece below tau_0."""

    def __init__(self, model: NormalModel):
        self.model = model
        u, g, h = self._scan()
        self.log_c = g.max()  # densities are stored as exp(g - log_c)
        keep = (g > self.log_c - TAIL) | (h > h.max() - TAIL)
        a, b = max(u[keep][0] - SCAN_STEP, u[0]), u[keep][-1] + SCAN_STEP
        self.left, self.width, self.nodes, self.q = self._panels(a, b)  # q: density at the nodes
        self.a, self.b = a, self.left[-1] + self.width[-1]
        self.wq = self.width[:, None] * GL_W / 2 * self.q
        self.mass0 = model.prior_mass(model.tau0)
        lower = np.exp(model.cond(0.0)[0] - self.log_c) * self.mass0
        totals = self.wq.sum(1)
        self.z = lower + totals.sum()
        self.w_lower = lower / self.z
        self.cum = (lower + np.concatenate([[0.0], np.cumsum(totals)[:-1]])) / self.z
        w = self.wq.ravel() / totals.sum()
        self.center = float(w @ self.nodes.ravel())  # mean and sd of log tau, to start root finding
        self.spread = float(np.sqrt(w @ (self.nodes.ravel() - self.center) ** 2))

    @cached_property
    def icoef(self):
        """Integral from each panel's left edge of its degree-9 interpolant (Legendre coefficients)."""
        return legendre.legint(LEG_INV @ self.q.T, lbnd=-1, axis=0)

    def _q(self, u):
        return np.exp(self.model.log_joint_u(u) - self.log_c)

    def _scan(self):
        """log posterior g on a grid in u from tau_0, extended until g and h = g + r·u are
        negligible, r <= 2 the highest existing moment E[tau^r] (so moments are covered too)."""
        grid = np.arange(np.log(self.model.tau0), U_CAP, SCAN_STEP)
        n = int(np.searchsorted(grid, np.log(self.model.s2.max()) / 2 + 10))
        g = self.model.log_joint_u(np.concatenate([grid[:n], FAR_U]))  # one call: the far tail too
        g, self.model.far_tail = g[:n], g[n:]
        r = next(r for r in (2, 1, 0) if r == 0 or self.model.moment_exists(r))
        while n < len(grid):
            h = g + r * grid[:n]
            if g[-1] < g.max() - TAIL and h[-1] < h.max() - TAIL:
                break
            g = np.concatenate([g, self.model.log_joint_u(grid[n:2 * n])])
            n = len(g)
        if not np.isfinite(g.max()):
            raise ConvergenceError("log posterior of tau is not finite on the scan grid")
        u = grid[:n]
        return u, g, g + r * u

    def _rule(self, left, width):
        """Nodes and density values of 10-point Gauss-Legendre on each panel."""
        nodes = left[:, None] + width[:, None] * (GL_X + 1) / 2
        return nodes, self._q(nodes)

    def _panels(self, a, b):
        """Split panels in halves until the halves' sum matches the whole (SPLIT_TOL)."""
        def halves(left, width):
            return np.concatenate([left, left + width / 2]), np.concatenate([width, width]) / 2

        edges = np.linspace(a, b, int(np.ceil(b - a)) + 1)
        left, width = edges[:-1], np.diff(edges)
        hl, hw = halves(left, width)
        n = len(left)
        nodes, q = self._rule(np.concatenate([left, hl]), np.concatenate([width, hw]))  # one call: both
        whole = width / 2 * (q[:n] @ GL_W)
        nodes, q = nodes[n:], q[n:]
        tol = SPLIT_TOL * whole.sum()
        done = []
        for _ in range(40):
            parts = hw / 2 * (q @ GL_W)
            n = len(left)
            ok = np.abs(parts[:n] + parts[n:] - whole) <= tol
            ok2 = np.concatenate([ok, ok])
            done.append((hl[ok2], hw[ok2], nodes[ok2], q[ok2]))
            left, width, whole = hl[~ok2], hw[~ok2], parts[~ok2]
            if not len(left):
                break
            hl, hw = halves(left, width)
            nodes, q = self._rule(hl, hw)
        else:
            raise ConvergenceError("tau quadrature did not converge")
        left, width, nodes, q = (np.concatenate(x) for x in zip(*done))
        order = np.argsort(left)
        return left[order], width[order], nodes[order], q[order]

    def _locate(self, x):
        """Panel index and coordinate in [-1, 1] of each x with log x in [a, b)."""
        with np.errstate(divide="ignore"):
            u = np.log(np.where(x > 0, x, 1.0))
        inside = (x > 0) & (u >= self.a) & (u < self.b)
        j = np.searchsorted(self.left, u[inside], side="right") - 1
        return u, inside, j, 2 * (u[inside] - self.left[j]) / self.width[j] - 1

    def cdf(self, x):
        """Exact below tau_0 (prior cdf), integral of the panel interpolant inside [a, b]."""
        x = np.asarray(x, float)
        out = np.where(x > self.model.tau0, self.w_lower, 0.0)
        low = (x > 0) & (x <= self.model.tau0)
        if low.any():
            out[low] = self.w_lower * self.model.prior_mass(x[low]) / self.mass0
        u, inside, j, t = self._locate(x)
        out[inside] = self.cum[j] + self.width[j] / 2 * legendre.legval(t, self.icoef[:, j], tensor=False) / self.z
        out[(x > 0) & (u >= self.b)] = 1.0
        return out

    def ppf(self, p: float, start: float | None = None) -> float:
        """Root of the panel interpolant's integral (companion matrix); generic below tau_0."""
        j = int(np.searchsorted(self.cum, p, side="right")) - 1
        if j >= 0 and self.w_lower < p < 1:
            series = self.icoef[:, j].copy()
            series[0] -= (p - self.cum[j]) * self.z * 2 / self.width[j]
            t = legendre.legroots(series)
            t = t.real[(np.abs(t.imag) < 1e-9) & (np.abs(t.real) <= 1 + 1e-9)]
            if len(t):
                return float(np.exp(self.left[j] + self.width[j] * (t.min() + 1) / 2))
        return super().ppf(p, start)

    def pdf(self, x):
        """p(tau) L(tau) / Z."""
        x = np.asarray(x, float)
        out = np.zeros_like(x)
        ok = np.isfinite(x) & (x >= 0)
        out[ok] = np.exp(self.model.log_joint(x[ok]) - self.log_c) / self.z
        return out

    @cached_property
    def node_tau(self):
        return np.exp(self.nodes.ravel())

    @cached_property
    def node_w(self):
        return self.wq.ravel() / self.z

    def _raw_moment(self, r: int) -> float:
        return float(self.node_w @ self.node_tau**r)  # the piece below tau_0 adds < w_lower·tau_0^r

    def mixture(self, which):
        """Normal mixture over the nodes (and tau = 0 for the piece below tau_0)."""
        keep = self.node_w > 0  # every node: far-tail nodes carry the moments of heavy-tailed priors
        tau = np.concatenate([[0.0], self.node_tau[keep]])
        w = np.concatenate([[self.w_lower], self.node_w[keep]])
        return _GridMixture(self.model, which, w, *self.model.components(tau, which))


class _GridMixture(_MixtureMarginal):
    """Finite normal mixture sum_j w_j N(means_j, sds_j²) over the tau nodes."""

    def __init__(self, model, which, w, means, sds):
        self.model, self.which = model, which
        self.w, self.means, self.sds = w, means, sds
        top = np.argmax(w)  # the heaviest component sets the scale (mixture moments may be infinite)
        self.center, self.spread = float(means[top]), float(sds[top])

    def _z(self, x):
        with np.errstate(over="ignore"):  # far out z = ±inf, whose limits are right
            return (np.asarray(x, float)[..., None] - self.means) / self.sds

    def cdf(self, x):
        return special.ndtr(self._z(x)) @ self.w

    def pdf(self, x):
        return (np.exp(-0.5 * self._z(x) ** 2) / self.sds) @ self.w / np.sqrt(2 * np.pi)

    def cdf_pdf(self, x):
        z = self._z(x)
        return special.ndtr(z) @ self.w, (np.exp(-0.5 * z**2) / self.sds) @ self.w / np.sqrt(2 * np.pi)

    def _cdf_pdf_slope(self, x):
        """f' = -sum_j w_j z_j phi(z_j) / sd_j²."""
        z = self._z(x)
        phi = np.exp(-0.5 * z**2) / self.sds / np.sqrt(2 * np.pi)
        return special.ndtr(z) @ self.w, phi @ self.w, -(z * phi / self.sds) @ self.w

    def _expect(self, h):
        return float(self.w @ h(self.means, self.sds))


# ------------------------------------------------------------------ quad (reference)
def _quad(f, lo, hi):
    from scipy import integrate

    return integrate.quad(f, lo, hi, epsabs=0.0, epsrel=1e-12, limit=500)[0]


class _QuadTau(_TauMarginal):
    """p(tau | y) with every integral an adaptive quad on u = log tau, split around the mode."""

    def __init__(self, model: NormalModel):
        self.model = model
        s = np.sqrt(model.s2)
        tau = np.geomspace(model.tau0, 1e6 * s.max(), 600)
        g = model.log_joint(tau) + np.log(tau)
        self.log_c = g[np.isfinite(g)].max()
        self.center = float(np.log(tau[np.argmax(g)]))
        self.z = self._integral(lambda t: 1.0)

    def _density(self, t):
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return float(np.exp(self.model.log_joint(t) - self.log_c))

    def _integral(self, h, upper=np.inf):
        """∫_0^upper h(t) p(t) L(t) / C dt = ∫ h p L t / C du over u = log t < log upper."""
        def f(u):
            with np.errstate(over="ignore"):
                t = np.exp(u)
            d = self._density(t) if 0 < t < np.inf else 0.0
            return h(t) * t * d if d > 0 else 0.0
        end = np.log(upper)
        cuts = [-np.inf, self.center - 5, self.center, self.center + 5, np.inf]
        return sum(_quad(f, lo, min(hi, end)) for lo, hi in zip(cuts[:-1], cuts[1:]) if lo < end)

    def _cdf(self, x):
        return 0.0 if x <= 0 else 1.0 if x == np.inf else self._integral(lambda t: 1.0, x) / self.z

    def _pdf(self, x):
        return 0.0 if x < 0 or x == np.inf else self._density(x) / self.z

    def cdf(self, x):
        return np.vectorize(self._cdf, otypes=[float])(x)

    def pdf(self, x):
        return np.vectorize(self._pdf, otypes=[float])(x)

    def _raw_moment(self, r: int) -> float:
        return self._integral(lambda t: t**r) / self.z

    def mixture(self, which):
        return _QuadMixture(self, which)


class _QuadMixture(_MixtureMarginal):
    """E[N(mean(tau), sd(tau)²) | y] with each value an adaptive quad over tau."""

    def __init__(self, tau_post, which):
        self.tau_post, self.model, self.which = tau_post, tau_post.model, which
        m, s = self.model.components(np.exp(tau_post.center), which)
        self.center, self.spread = float(m), float(s)

    def _expect(self, h):
        comp = self.model.components
        return self.tau_post._integral(lambda t: h(*comp(t, self.which))) / self.tau_post.z

    def cdf(self, x):
        return np.vectorize(lambda v: self._expect(lambda m, s: special.ndtr((v - m) / s)), otypes=[float])(x)

    def pdf(self, x):
        return np.vectorize(lambda v: self._expect(lambda m, s: normal_pdf(v, m, s)), otypes=[float])(x)


# ------------------------------------------------------------------------- public API
class ExactPosterior(Result):
    """Posterior of the normal-normal random-effects model; see :func:`exact_posterior`.

    Parameters for every accessor: "mu" (overall effect), "tau" (between-study SD) and
    "theta_new" (the effect in a new study, the posterior predictive). Attributes: ``k``,
    ``tau_prior``, ``mu_prior``, ``method``, ``estimate_only``, ``note``, ``yi``, ``sei`` and
    ``marginal_likelihood`` / ``log_marginal_likelihood`` (None with
    ``marginal_likelihood_reason`` unless both priors are proper), ``favours`` (the studies'
    side of benefit, None when unknown). ``to_frame()`` is the posterior of mu in the result
    vocabulary (:func:`~evidence_lib.bayes.summaries.summarise`); ``parameters()`` the table
    per parameter.
    """

    DISPLAY = ("k", "estimate_cri", "pred", "tau", "p_benefit")

    @property
    def CAPTION(self) -> str:  # noqa: N802 (the Result base's caption, per posterior)
        return f"Posterior of the overall effect: tau prior {self.tau_prior.name}, mu prior {self.mu_prior.name}"

    def __init__(self, yi, sei, tau_prior, mu_prior, method, estimate_only, k, note, favours=None, measure=None):
        self.favours, self.measure = favours, measure
        self.yi, self.sei = yi, sei
        self.tau_prior, self.mu_prior = tau_prior, mu_prior
        self.method, self.estimate_only, self.k, self.note = method, estimate_only, k, note
        self._model = NormalModel(yi, sei**2, tau_prior, mu_prior)
        if estimate_only:
            log_ml, m, v = self._model.cond(0.0)
            self._marginals = {"mu": _Normal(m, np.sqrt(v))}
            improper = [] if mu_prior.proper else ["mu"]
        else:
            self._tau = (TauGrid if method == "grid" else _QuadTau)(self._model)
            self._marginals = {"tau": self._tau}
            log_ml = self._tau.log_c + np.log(self._tau.z)
            improper = [p for p, prior in (("tau", tau_prior), ("mu", mu_prior)) if not prior.proper]
        # log p(y); with the pooled estimate alone only the mu prior enters
        self.log_marginal_likelihood = None if improper else float(log_ml)
        self.marginal_likelihood = None if improper else float(np.exp(log_ml))
        self.marginal_likelihood_reason = (
            f"undefined: improper {' and '.join(improper)} prior" if improper else None)

    def _marginal(self, param) -> _Marginal:
        checks.choice("param", param, PARAMS)
        if param not in self._marginals:
            self._needs_tau(param)
            self._marginals[param] = self._tau.mixture(param)
        return self._marginals[param]

    # --- distribution functions
    def _evaluate(self, fn: str, param: str, x):
        arr = checks.as_vector("x", x)
        out = np.asarray(getattr(self._marginal(param), fn)(arr), float)
        return out if np.ndim(x) else float(out[0])

    def density(self, param: str, x):
        """Marginal posterior density of ``param`` at x (vectorised)."""
        return self._evaluate("pdf", param, x)

    def cdf(self, param: str, x):
        """Marginal posterior cdf of ``param`` at x (vectorised)."""
        return self._evaluate("cdf", param, x)

    def quantile(self, param: str, p):
        """Posterior quantile(s) of ``param`` for probabilities p in [0, 1]."""
        d = self._marginal(param)
        arr = checks.as_vector("p", p)
        if ((arr < 0) | (arr > 1)).any():
            raise ValueError(f"p must lie in [0, 1], got {arr.tolist()}")
        out = d.ppfs(arr)
        return out if np.ndim(p) else float(out[0])

    def median(self, param: str) -> float:
        return self.quantile(param, 0.5)

    def mean(self, param: str) -> float:
        """Posterior mean (inf for tau, nan for mu/theta_new, when it does not exist)."""
        return float(self._marginal(param).mean())

    def sd(self, param: str) -> float:
        """Posterior SD (inf when the second moment does not exist)."""
        return float(self._marginal(param).sd())

    def interval(self, param: str, level: float = 0.95, kind: str = "central") -> tuple[float, float]:
        """Credible interval: "central" (equal tails) or "shortest" (bayesmeta's default print)."""
        level = checks.level(level)
        checks.choice("kind", kind, KINDS)
        lo, hi = self._marginal(param).interval(level, kind)
        return float(lo), float(hi)

    def prob(self, param: str, lower=None, upper=None) -> float:
        """P(lower < param < upper | y); e.g. ``prob("mu", upper=0)`` is P(mu < 0)."""
        if lower is None and upper is None:
            raise ValueError("prob needs lower and/or upper")
        lo = -np.inf if lower is None else float(checks.as_vector("lower", lower)[0])
        hi = np.inf if upper is None else float(checks.as_vector("upper", upper)[0])
        if lo > hi:
            raise ValueError(f"lower must be <= upper, got {lo} > {hi}")
        d = self._marginal(param)
        return d.cdf1(hi) - d.cdf1(lo)

    # --- conditional and per-study quantities
    def _needs_tau(self, what):
        if self.estimate_only:
            raise ValueError(f"{what} is not available: {self.note}")

    def conditional_mu(self, tau):
        """(mean, sd) of mu given tau: the conjugate update in the module docstring."""
        self._needs_tau("conditional_mu")
        arr = checks.at_least("tau", checks.as_vector("tau", tau), 0.0)
        _, m, v = self._model.cond(arr)
        sd = np.sqrt(v)
        return (m, sd) if np.ndim(tau) else (float(m[0]), float(sd[0]))

    def shrinkage(self, level: float = 0.95) -> pd.DataFrame:
        """Per-study posterior of theta_i | y: mean, sd, median and central interval."""
        self._needs_tau("shrinkage")
        level = checks.level(level)
        rows = []
        for i in range(len(self.yi)):
            d = self._tau.mixture(i)
            lo, hi = d.interval(level, "central")
            rows.append({"y": self.yi[i], "sei": self.sei[i], "mean": d.mean(), "sd": d.sd(),
                         "median": d.ppf(0.5), "low": lo, "high": hi})
        return pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="study"))

    # --- model comparison
    def bayes_factor(self, null: str) -> float:
        """Bayes factor BF01 in favour of the point null ``mu = 0`` or ``tau = 0``.

        "mu": Savage-Dickey ratio p(mu=0 | y) / p(mu=0) = p(y | mu=0) / p(y); "tau":
        p(y | tau=0) / p(y) = L(0) / marginal likelihood. Both need proper priors.
        Lindley's paradox: BF01 for mu = 0 grows without bound as the mu prior widens (its
        density at 0 falls like 1/sd while the posterior density at 0 settles), so a vague mu
        prior favours the null whatever the data; report it with the prior's width.
        """
        checks.choice("null", null, ("mu", "tau"))
        if self.marginal_likelihood is None:
            raise ValueError(f"Bayes factor for {null} = 0 needs proper priors; "
                             f"marginal likelihood {self.marginal_likelihood_reason}")
        if null == "mu":
            return float(self.density("mu", 0.0) / self.mu_prior.pdf(0.0))
        self._needs_tau("bayes_factor('tau')")
        return float(np.exp(self._model.cond(0.0)[0] - self.log_marginal_likelihood))

    def parameters(self, level: float = 0.95) -> pd.DataFrame:
        """Per parameter (mu, tau, theta_new): median, mean, sd, the central interval
        ``cri_low``/``cri_high`` and the shortest ``hdi_low``/``hdi_high``."""
        level = checks.level(level)
        rows = {}
        for param in ("mu",) if self.estimate_only else PARAMS:
            c_lo, c_hi = self.interval(param, level, "central")
            s_lo, s_hi = self.interval(param, level, "shortest")
            rows[param] = {"median": self.median(param), "mean": self.mean(param), "sd": self.sd(param),
                           "cri_low": c_lo, "cri_high": c_hi, "hdi_low": s_lo, "hdi_high": s_hi}
        return pd.DataFrame.from_dict(rows, orient="index")

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """One row: k, ``estimate`` (median of mu), ``cri_low``/``cri_high``, ``tau`` (median),
        ``pred_low``/``pred_high`` and ``p_benefit`` (for the studies' ``favours``)."""
        from evidence_lib.bayes.summaries import summarise

        out = summarise(self, favours=self.favours, level=level)
        out["cri_low"], out["cri_high"] = out.pop("low"), out.pop("high")
        return pd.DataFrame([{"k": self.k, "measure": self.measure, **out, "level": level}])

    def sample(self, n: int, random_seed) -> pd.DataFrame:
        """``n`` exact draws of (tau, mu) (bayesmeta ``rposterior``): tau by inversion of its
        cdf, then mu | tau from the conjugate normal. ``random_seed``: an int or a NumPy Generator
        (its stream continues)."""
        n = checks.whole("n", n, minimum=1)
        rng = np.random.default_rng(random_seed)
        if self.estimate_only:
            d = self._marginal("mu")
            return pd.DataFrame({"tau": np.zeros(n), "mu": d.mean() + d.sd() * rng.standard_normal(n)})
        tau = self.quantile("tau", rng.uniform(size=n))
        m, sd = self.conditional_mu(tau)
        return pd.DataFrame({"tau": tau, "mu": m + sd * rng.standard_normal(n)})


PRIOR_REACH = 1e4  # data may spread this many times the tau prior's 1 - 1e-6 quantile


@lru_cache(maxsize=64)
def _far_quantile(tau_prior) -> float:
    """The tau prior's 1 - 1e-6 quantile, computed once per prior."""
    return float(tau_prior.ppf(1 - 1e-6))


def _check_prior_scale(yi, sei, tau_prior) -> None:
    """Refuse a proper tau prior on another scale than the data (the tau grid cannot hold both):
    all its mass below tau_0 = 1e-8·min(sei), or yi spread beyond PRIOR_REACH times its 1 - 1e-6 quantile."""
    if not tau_prior.proper:
        return
    tau0 = 1e-8 * float(sei.min())
    if 1 - float(tau_prior.cdf(tau0)) < 1e-12:
        raise ValueError(f"the tau prior {tau_prior.name} puts all its mass below 1e-8 times the smallest SE "
                         f"({tau0:g}): on the scale of these standard errors it fixes tau at 0; choose a prior "
                         "on the scale of the data or change the units of yi and sei")
    try:
        reach = PRIOR_REACH * _far_quantile(tau_prior)
    except TypeError:  # an unhashable user-defined prior
        reach = PRIOR_REACH * float(tau_prior.ppf(1 - 1e-6))
    spread = float(np.ptp(yi))
    if spread > reach:
        raise ValueError(f"the study effects spread over {spread:g}, more than {PRIOR_REACH:g} times the "
                         f"1 - 1e-6 quantile of the tau prior {tau_prior.name} ({reach / PRIOR_REACH:g}): prior "
                         "and data are on different scales; change the units of yi and sei or choose a prior "
                         "on their scale")


@spread_by_keyword
def exact_posterior(studies, *, sei=None, vi=None, tau_prior=None, mu_prior=None, method: str = "grid") -> ExactPosterior:
    """Exact posterior of y_i ~ N(theta_i, sei_i²), theta_i ~ N(mu, tau²) (module docstring).

    ``studies``: a :class:`~evidence_lib.core.studies.Studies` (e.g. a reconstructed published
    summary, :func:`evidence_lib.published.reconstruct.from_published`), or effects ``yi`` with standard
    errors ``sei`` or variances ``vi=``. ``tau_prior``: a :class:`~evidence_lib.bayes.priors.TauPrior`
    (None = improper uniform, bayesmeta's default). ``mu_prior``: None (improper flat), a
    (mean, sd) pair or a MuPrior. For an ``estimate_only`` summary the likelihood is the pooled
    estimate alone, N(estimate; mu, SE²), tau is fixed at 0 and tau, theta_new and per-study
    quantities raise.
    """
    checks.choice("method", method, METHODS)
    tau_prior, mu_prior = as_tau_prior(tau_prior), as_mu_prior(mu_prior)
    studies = as_studies(studies, sei=sei, vi=vi)
    estimate_only = bool(studies.estimate_only)
    note = ("likelihood is the pooled estimate alone, N(estimate; mu, SE^2): tau is not identified and is "
            "fixed at 0, so tau, theta_new and per-study quantities are unavailable") if estimate_only else ""
    note = "; ".join(x for x in (note, studies.note) if x)
    k = getattr(studies, "k", None)  # a reconstruction's published k (None when not reported)
    if not estimate_only:
        require_proper_posterior(tau_prior, mu_prior, len(studies))
        _check_prior_scale(studies.yi, studies.sei, tau_prior)
    return ExactPosterior(studies.yi, studies.sei, tau_prior, mu_prior, method, estimate_only,
                          k if k is not None else len(studies), note, studies.favours, studies.measure)
