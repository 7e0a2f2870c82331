"""Bayesian random-effects meta-analysis by MCMC (models in PyMC, sampled by nutpie's NUTS).

Normal-normal model (:func:`sample_posterior`): y_i ~ N(theta_i, s_i²), theta_i ~ N(mu, tau²).
Binomial-normal model on 2x2 counts (:func:`sample_binomial`) and normal-normal
meta-regression (:func:`sample_meta_regression`). Every fit needs an explicit integer
``random_seed``, returns the ArviZ DataTree of ``pm.sample`` with ``theta_new ~ N(mu, tau²)``
(the effect in a new study) added to the posterior, and has been checked by
:func:`evidence_lib.bayes.diagnostics.check_diagnostics` (a ``SamplerWarning`` fires on failure;
the outcome is in ``fit.attrs``). Extra keyword arguments go to ``pm.sample``.

The sampler is nutpie's NUTS (Rust; the model compiled with numba), named explicitly so that
a seeded fit does not depend on what PyMC would pick; ``nuts_sampler="pymc"`` selects PyMC's
own NUTS. On eight schools a warm nutpie fit takes a third to a half of the wall time of
PyMC's, with two to three times the ESS per second (``benchmarks/bench_pymc.py``).

``target_accept`` defaults to 0.99, not PyMC's 0.8: with few studies NUTS meets the upper tail
of log tau, where a half-normal prior's curvature grows like exp(2 log tau). For the Barlow
depression reconstruction (k = 4, half-normal(0.5), seeds 0-9), fits with divergences at
target_accept 0.8 / 0.95 / 0.99: nutpie 10 / 1 / 0 of 10, PyMC's NUTS 10 / 2 / 0 of 10.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from evidence_lib.core.checks import as_vector, choice, same_length, whole
from evidence_lib.bayes.diagnostics import check_diagnostics
from evidence_lib.effects.effect_sizes import check_counts
from evidence_lib.bayes.priors import TauPrior, as_mu_prior, as_tau_prior, require_proper_posterior
from evidence_lib.core.studies import as_studies, spread_by_keyword

PARAMETERISATIONS = ("marginal", "noncentred")


def _seed(random_seed) -> int:
    if isinstance(random_seed, bool) or not isinstance(random_seed, (int, np.integer)):
        raise ValueError(f"random_seed must be an integer (fits must be reproducible), got {random_seed!r}")
    return int(random_seed)


def _settings(random_seed, draws, tune, chains, cores, target_accept, progressbar, extra: dict) -> dict:
    """The ``pm.sample`` arguments of the public functions, the seed and the counts checked
    (draws, chains, cores >= 1; tune >= 0; whole numbers)."""
    draws, chains, cores = (whole(name, v) for name, v in (("draws", draws), ("chains", chains), ("cores", cores)))
    tune = whole("tune", tune, minimum=0)
    return dict(random_seed=_seed(random_seed), draws=draws, tune=tune, chains=chains, cores=cores,
                target_accept=target_accept, progressbar=progressbar, **extra)


def _normal_prior(name: str, pair) -> tuple[float, float]:
    """(mean, sd) of a normal prior, sd > 0."""
    pair = as_vector(name, pair)
    if len(pair) != 2 or pair[1] <= 0:
        raise ValueError(f"{name} must be (mean, sd) with sd > 0, got {pair.tolist()}")
    return float(pair[0]), float(pair[1])


def _prior_attrs(tau_prior, mu_prior) -> dict:
    if not isinstance(tau_prior, TauPrior):
        raise ValueError(f"tau_prior must be a TauPrior (evidence_lib.bayes.priors), got {tau_prior!r}")
    return {"tau_prior": tau_prior.name, "mu_prior": as_mu_prior(mu_prior).name}


def _named(model: pm.Model, name: str, var):
    """Expose ``var`` as ``name`` in the trace unless the prior already created it under that name."""
    return var if name in model.named_vars else pm.Deterministic(name, var)


def _mu_tau(model, tau_prior, mu_prior):
    return (_named(model, "mu", as_mu_prior(mu_prior).to_pymc("mu")),
            _named(model, "tau", tau_prior.to_pymc("tau")))


NUTS_SAMPLER = "nutpie"
#: compiled nutpie models, by the inputs their model was built from (see :func:`_compiled_once`)
COMPILE_CACHE_SIZE = 32
_compiled: dict[tuple, object] = {}
_building = threading.local()


def model_key(*parts) -> tuple:
    """A hashable, exact key of a model builder's inputs: arrays by dtype, shape and bytes, priors
    (frozen dataclasses) by their repr, numbers by repr (which round-trips floats exactly)."""
    def freeze(part):
        if isinstance(part, np.ndarray):
            return ("array", part.dtype.str, part.shape, part.tobytes())
        if isinstance(part, (tuple, list)):
            return tuple(freeze(p) for p in part)
        if isinstance(part, dict):
            return tuple(sorted((k, freeze(v)) for k, v in part.items()))
        return repr(part)
    return tuple(freeze(p) for p in parts)


def _compile_cached(model, **kwargs):
    """nutpie.compile_pymc_model, answered from the cache when this thread samples a model built by
    this module (``_building.key`` set); any other caller gets a fresh compile."""
    key = getattr(_building, "key", None)
    if key is None:
        return _compile_cached.original(model, **kwargs)
    full = (key, model_key(kwargs))
    if full not in _compiled:
        if len(_compiled) >= COMPILE_CACHE_SIZE:
            _compiled.pop(next(iter(_compiled)))
        _compiled[full] = _compile_cached.original(model, **kwargs)
    return _compiled[full]


@contextmanager
def _compiled_once(key: tuple):
    """While PyMC samples with nutpie in this block, a model built from the same inputs (``key``) is
    compiled once per process: refits with another seed, draws or chains reuse the compiled logp
    and gradient (compiling takes seconds, sampling a small model a fraction of that). The same
    inputs build the same graph, so the draws of a seed are those of a fresh compile."""
    import nutpie

    if nutpie.compile_pymc_model is not _compile_cached:
        _compile_cached.original = nutpie.compile_pymc_model
        nutpie.compile_pymc_model = _compile_cached
    _building.key = key
    try:
        yield
    finally:
        _building.key = None


@contextmanager
def _quiet(quiet: bool):
    """Without a progress bar, no sampler banner either: PyMC's INFO log lines are held back
    while sampling (warnings still show)."""
    logger = logging.getLogger("pymc")
    level = logger.level
    if quiet:
        logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def _fit(model, settings: dict, attrs: dict, *, key: tuple, hide=()):
    """``pm.sample`` with ``settings`` (the public functions' sampler arguments); ``hide`` is dropped.
    ``key``: the inputs ``model`` was built from (:func:`model_key`), for :func:`_compiled_once`."""
    settings = {"nuts_sampler": NUTS_SAMPLER, **settings}
    with model, _compiled_once(key), _quiet(not settings.get("progressbar")):
        fit = pm.sample(compute_convergence_checks=False, **settings)
    post = fit["posterior"].to_dataset()
    for name in set(hide) & set(post.data_vars):  # not pm.sample's var_names: nutpie ignores it
        post = post.drop_vars([name, *post[name].dims[2:]], errors="ignore")
    fit["posterior"] = post
    stats = fit["sample_stats"].to_dataset()
    if "maxdepth_reached" in stats and "reached_max_treedepth" not in stats:  # nutpie's name -> PyMC's and ArviZ's
        fit["sample_stats"] = stats.assign(reached_max_treedepth=stats["maxdepth_reached"])
    fit.attrs.update(random_seed=settings["random_seed"], nuts_sampler=settings["nuts_sampler"], **attrs)
    return fit


def _add_draws(fit, *, mean=None, y=None, s=None):
    """Add ``theta_new ~ N(mu, tau²)`` and, given ``mean`` (per-study prior mean m_i), the study effects.

    theta_i | mu, tau, y_i ~ N(B_i·m_i + (1 − B_i)·y_i, (1 − B_i)·s_i²) with B_i = s_i²/(s_i² + tau²)
    (normal-normal conjugacy), drawn once per posterior draw.
    """
    # spawn: a stream independent of the one PyMC derives its chain seeds from
    rng = np.random.default_rng(fit.attrs["random_seed"]).spawn(1)[0]
    post = fit["posterior"]
    mu, tau = post["mu"], post["tau"]
    if mean is not None:
        y, s2 = (xr.DataArray(v, dims="study", coords={"study": np.arange(len(v))}) for v in (y, s**2))
        shrink = s2 / (s2 + tau**2)
        noise = xr.DataArray(rng.standard_normal(mu.shape + (len(y),)), dims=("chain", "draw", "study"))
        theta = shrink * mean + (1 - shrink) * y + np.sqrt((1 - shrink) * s2) * noise
        post["theta"] = theta.transpose("chain", "draw", "study")
    post["theta_new"] = mu + tau * rng.standard_normal(mu.shape)
    return fit


def _diagnose(fit):
    """Run :func:`check_diagnostics` (warns on failure) and record its outcome in ``fit.attrs``."""
    result = check_diagnostics(fit)
    fit.attrs.update(divergences=result.divergences, r_hat_max=float(result.table["r_hat"].max()),
                     ess_bulk_min=float(result.table["ess_bulk"].min()),
                     diagnostics_problems="; ".join(result.problems) or "none")
    return fit


@spread_by_keyword
def sample_posterior(studies, *, sei=None, vi=None, tau_prior=None, mu_prior=None, random_seed, draws=1000,
                     tune=1000, chains=4, cores=2, parameterisation="marginal", target_accept=0.99,
                     progressbar=False, **sample_kwargs):
    """Normal-normal random-effects posterior: y_i ~ N(theta_i, s_i²), theta_i ~ N(mu, tau²).

    ``studies``: a :class:`~evidence_lib.core.studies.Studies`, or ``yi`` with ``sei`` or ``vi=``.
    ``parameterisation="marginal"`` samples (mu, tau) from y_i ~ N(mu, s_i² + tau²) and then
    draws ``theta`` from its conditional normal (shrinkage) per posterior draw;
    ``"noncentred"`` samples theta_i = mu + tau·z_i, z_i ~ N(0, 1). ``tau_prior`` is a
    :class:`~evidence_lib.bayes.priors.TauPrior` or None, the improper uniform (as in
    :func:`~evidence_lib.bayes.exact.exact_posterior`, with the same proper-posterior rule);
    ``mu_prior`` None (flat), (mean, sd) or a MuPrior.

    For pseudo-studies (``studies.pseudo``: a reconstruction of a published summary,
    :func:`~evidence_lib.published.reconstruct.from_published`) study effects are not reported, and
    when it is ``estimate_only`` the model is mu with likelihood N(estimate, SE²) and no tau
    (``fit.attrs["estimate_only"] == 1``).
    """
    choice("parameterisation", parameterisation, PARAMETERISATIONS)
    settings = _settings(random_seed, draws, tune, chains, cores, target_accept, progressbar, sample_kwargs)
    tau_prior = as_tau_prior(tau_prior)
    attrs = _prior_attrs(tau_prior, mu_prior)
    studies = as_studies(studies, sei=sei, vi=vi, min_len=2)
    pseudo = studies.pseudo
    y, s = studies.yi, studies.sei
    attrs.update(data_note=studies.note if pseudo else f"{len(y)} studies", estimate_only=int(studies.estimate_only))

    if attrs["estimate_only"]:
        with pm.Model() as model:
            mu = _named(model, "mu", as_mu_prior(mu_prior).to_pymc("mu"))
            pm.Normal("y", mu, s[0], observed=y[0])
        attrs.update(model="pooled estimate only: estimate ~ N(mu, SE^2); no tau, no study effects")
        key = model_key("estimate only", y[0], s[0], as_mu_prior(mu_prior))
        return _diagnose(_fit(model, settings, attrs, key=key))

    require_proper_posterior(tau_prior, as_mu_prior(mu_prior), len(y))
    model = _normal_model(y, s, tau_prior, mu_prior, parameterisation, report_theta=not pseudo)
    attrs.update(model=f"normal-normal random effects ({parameterisation})", parameterisation=parameterisation)
    key = model_key("normal", y, s, tau_prior, as_mu_prior(mu_prior), parameterisation, not pseudo)
    fit = _fit(model, settings, attrs, key=key, hide=("z",) if pseudo else ())
    if parameterisation == "marginal" and not pseudo:
        return _diagnose(_add_draws(fit, mean=fit["posterior"]["mu"], y=y, s=s))
    return _diagnose(_add_draws(fit))


def _normal_model(y, s, tau_prior, mu_prior, parameterisation, *, report_theta=True, x=None, beta_prior=None):
    """PyMC model for y_i ~ N(theta_i, s_i²), theta_i ~ N(mu [+ beta·x_i], tau²)."""
    with pm.Model(coords={"study": np.arange(len(y))}) as model:
        mu, tau = _mu_tau(model, tau_prior, mu_prior)
        mean = mu if x is None else mu + pm.Normal("beta", *beta_prior) * x
        if parameterisation == "marginal":
            pm.Normal("y", mean, pt.sqrt(s**2 + tau**2), observed=y, dims="study")
        else:
            theta = mean + tau * pm.Normal("z", 0, 1, dims="study")
            if report_theta:
                theta = pm.Deterministic("theta", theta, dims="study")
            pm.Normal("y", theta, s, observed=y, dims="study")
    return model


def sample_binomial(e1, n1, e2, n2, tau_prior, mu_prior=None, *, random_seed, scale="logor",
                    baseline_prior=(0.0, 2.5), draws=1000, tune=1000, chains=4, cores=2, target_accept=0.99,
                    progressbar=False, **sample_kwargs):
    """Binomial-normal random-effects model on 2x2 counts, log odds-ratio scale only.

    Treatment arm (e1/n1) and control arm (e2/n2) of study i:
    e2_i ~ Bin(n2_i, p2_i), e1_i ~ Bin(n1_i, p1_i), logit p2_i = alpha_i,
    logit p1_i = alpha_i + theta_i, theta_i = mu + tau·z_i, z_i ~ N(0, 1); the study
    baselines alpha_i ~ N(0, 2.5²) (``baseline_prior`` = (mean, sd); weakly informative: 95 %
    of baseline risks in 0.7 %–99.3 %). Exact binomial likelihood, no continuity correction,
    so zero-event arms need no special handling (Smith, Spiegelhalter & Thomas 1995, Stat Med
    14:2685). ``scale`` must be "logor": a log risk-ratio version needs p1_i = p2_i·exp(theta_i)
    < 1, a constraint tying alpha_i to theta_i that has no clean parameterisation.
    A zero-event arm leaves alpha_i a long one-sided tail (one more reason for
    ``target_accept=0.99``).
    """
    choice("scale", scale, ("logor",))
    settings = _settings(random_seed, draws, tune, chains, cores, target_accept, progressbar, sample_kwargs)
    attrs = _prior_attrs(tau_prior, mu_prior)
    e1, n1, e2, n2 = (v.astype(int) for v in check_counts(e1, n1, e2, n2, min_len=2))
    b_mean, b_sd = _normal_prior("baseline_prior", baseline_prior)
    with pm.Model(coords={"study": np.arange(len(e1))}) as model:
        mu, tau = _mu_tau(model, tau_prior, mu_prior)
        alpha = pm.Normal("alpha", b_mean, b_sd, dims="study")
        theta = pm.Deterministic("theta", mu + tau * pm.Normal("z", 0, 1, dims="study"), dims="study")
        pm.Binomial("e2", n=n2, logit_p=alpha, observed=e2, dims="study")
        pm.Binomial("e1", n=n1, logit_p=alpha + theta, observed=e1, dims="study")
    attrs.update(model="binomial-normal random effects, log odds ratio (treatment e1/n1 vs control e2/n2)",
                 scale=scale, baseline_prior=f"alpha_i ~ N({b_mean:g}, {b_sd:g}^2)",
                 data_note=f"{len(e1)} studies (2x2 counts)", estimate_only=0)
    key = model_key("binomial", e1, n1, e2, n2, tau_prior, as_mu_prior(mu_prior), (b_mean, b_sd))
    return _diagnose(_add_draws(_fit(model, settings, attrs, key=key)))


@spread_by_keyword
def sample_meta_regression(studies, *, sei=None, x=None, tau_prior=None, mu_prior=None, beta_prior=(0.0, 1.0),
                           vi=None, random_seed,
                           draws=1000, tune=1000, chains=4, cores=2, target_accept=0.99, progressbar=False,
                           **sample_kwargs):
    """Random-effects meta-regression, marginal parameterisation.

    y_i ~ N(mu + beta·x_i, s_i² + tau²) with beta ~ N(``beta_prior`` = (mean, sd)) and tau the
    residual heterogeneity; mu is the mean effect at x = 0 (x binary, e.g. dyadic = 1, or
    continuous). ``studies`` and the priors as in :func:`sample_posterior`; ``x`` is required.
    ``theta`` (shrunken study effects) as in :func:`sample_posterior`;
    ``theta_new`` is a new study at x = 0.
    """
    settings = _settings(random_seed, draws, tune, chains, cores, target_accept, progressbar, sample_kwargs)
    tau_prior = as_tau_prior(tau_prior)
    attrs = _prior_attrs(tau_prior, mu_prior)
    studies = as_studies(studies, sei=sei, vi=vi, min_len=3)
    require_proper_posterior(tau_prior, as_mu_prior(mu_prior), len(studies))
    y, s = studies.yi, studies.sei
    if x is None:
        raise ValueError("x (the moderator, one value per study) is required")
    x = as_vector("x", x, min_len=3)
    same_length(yi=y, x=x)
    if np.ptp(x) == 0:
        raise ValueError("x is constant: the slope is not identified")
    beta_prior = _normal_prior("beta_prior", beta_prior)
    model = _normal_model(y, s, tau_prior, mu_prior, "marginal", x=x, beta_prior=beta_prior)
    attrs.update(model="normal-normal meta-regression mu + beta*x (marginal)",
                 beta_prior="beta ~ N({:g}, {:g}^2)".format(*beta_prior), data_note=f"{len(y)} studies",
                 estimate_only=0)
    key = model_key("regression", y, s, x, tau_prior, as_mu_prior(mu_prior), beta_prior)
    fit = _fit(model, settings, attrs, key=key)
    post = fit["posterior"]
    return _diagnose(_add_draws(fit, mean=post["mu"] + post["beta"] * xr.DataArray(x, dims="study"), y=y, s=s))
