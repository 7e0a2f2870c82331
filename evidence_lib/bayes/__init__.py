"""Bayesian engines: priors (shared), the exact posterior (bayesmeta), MCMC (PyMC), diagnostics, summaries."""
