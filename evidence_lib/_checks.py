"""Input checks shared by every engine: bad input raises, it never becomes a number."""

from __future__ import annotations

import numpy as np


def as_vector(name: str, x, *, min_len: int = 1) -> np.ndarray:
    """Return ``x`` as a 1-d float array; raise ValueError on NaN/inf or too few values."""
    try:
        arr = np.atleast_1d(np.asarray(x, dtype=float))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric: {err}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if len(arr) < min_len:
        raise ValueError(f"{name} needs at least {min_len} value(s), got {len(arr)}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name} contains NaN or infinite values at positions {np.flatnonzero(bad).tolist()}")
    return arr


def scalar(name: str, value, *, strictly_positive: bool = False, allow_none: bool = False) -> float | None:
    """One finite number (ValueError otherwise), > 0 if ``strictly_positive``; None passes if ``allow_none``."""
    if value is None and allow_none:
        return None
    arr = as_vector(name, value)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got {arr.size} values")
    if strictly_positive:
        positive(name, arr)
    return float(arr[0])


def same_length(**arrays: np.ndarray) -> int:
    """Raise ValueError unless all arrays have one length; return it."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"mismatched lengths: {lengths}")
    return next(iter(lengths.values()))


def positive(name: str, arr: np.ndarray) -> np.ndarray:
    """Raise ValueError unless every value is > 0."""
    bad = arr <= 0
    if bad.any():
        raise ValueError(f"{name} must be > 0; offending positions {np.flatnonzero(bad).tolist()}")
    return arr


def at_least(name: str, arr: np.ndarray, lower: float) -> np.ndarray:
    """Raise ValueError unless every value is >= lower."""
    bad = arr < lower
    if bad.any():
        raise ValueError(f"{name} must be >= {lower}; offending positions {np.flatnonzero(bad).tolist()}")
    return arr


def choice(name: str, value: str, options) -> str:
    """Raise ValueError unless ``value`` is one of ``options`` (case-sensitive)."""
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of {sorted(options)}")
    return value
