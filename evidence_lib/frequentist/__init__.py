"""Frequentist engines: random effects (metafor rma.uni) and the binomial GLMM (rma.glmm)."""
