"""The library's own exceptions. Bad input is a ValueError (its subclasses name what was
wrong); a computation that did not reach its answer is a RuntimeError."""


class ReconstructionError(ValueError):
    """A reconstruction from a published summary does not reproduce the published figures."""


class ConvergenceError(RuntimeError):
    """An iterative fit or a sampler did not converge: Fisher scoring, a root search, or
    MCMC that fails its diagnostics or disagrees with the exact posterior."""
