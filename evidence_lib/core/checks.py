"""Input checks shared by every engine: bad input raises, it never becomes a number.

Numbers are numbers: a bool (``True``) or a string (``"0.1"``) is refused, not coerced.
Complex numbers are refused too (NumPy would drop the imaginary part with a warning).
Study effects and variances must lie in :data:`YI_MAX` / :data:`VI_RANGE`, and the variances
within :data:`VI_RATIO_MAX` of each other (see :func:`finite_range`); counts are whole
(:func:`whole`: ``10.7`` or ``True`` refused, never rounded), levels lie in (0, 1)
(:func:`level`), probabilities are finite and sum to one (:func:`probabilities`), and a large
array is sized before it is allocated (:func:`memory`). Positions in messages count from 1.
Text is read with :func:`read_text`, which names the file on every failure (missing, a
directory, a FIFO or device, unreadable, not UTF-8).
"""

from __future__ import annotations

import numbers
import os
import re
import stat
from pathlib import Path

import numpy as np

#: |yi| and vi bounds every engine accepts: beyond them squares and cubes of the inverse-variance
#: weights overflow (or underflow to 0) in double precision.
YI_MAX = 1e100
VI_RANGE = (1e-100, 1e100)
#: largest ratio max(vi)/min(vi) (of the weights 1/vi) accepted together. Sums of weights are
#: formed in double precision (relative rounding unit eps = 2.2e-16): a study whose weight is
#: below eps times the largest adds nothing to Σw or Σwy, so its data would be silently ignored
#: and the pooled value and its SE differ from the exact (rational) ones. At a ratio of 1e12 the
#: smallest weight still counts with ~4500 rounding units (about 3.6 significant digits) in a
#: sum dominated by the largest; beyond it the result is refused, not returned.
VI_RATIO_MAX = 1e12
#: largest array (bytes) a public function allocates at once; larger work is chunked or refused
#: by :func:`memory` with the size and how to reduce it
MEMORY_LIMIT = 2 * 2**30
#: largest number of studies a published summary may claim: its reconstruction builds k pseudo-studies
#: (k = 10,000 reads in about 0.5 s; 1e8 would need ~85 GiB)
K_MAX = 10_000
#: a plain decimal number as a person types it: 12, -0.5, .5, 1e-3 (no "1_0", "nan", "inf", "1,5")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")  # ASCII digits only
NUMBER_RULE = ("numbers are plain decimals with a decimal point, such as 12, -0.5, .5 or 1e-3 (not 1_0, 1,5, "
               "1,000, nan or inf)")


def _not_coercible(name: str, x) -> None:
    """Refuse None, bools, strings and complex numbers anywhere in ``x`` (NumPy would turn them
    into NaN, 1.0 and 0.1, or drop the imaginary part)."""
    if x is None:
        raise ValueError(f"{name} is missing (None); give numbers")
    if isinstance(x, (list, tuple)):
        items = x  # checked one by one: np.asarray([True, 0.5]) is already [1.0, 0.5]
    else:
        arr = np.asarray(x)
        items = arr.ravel() if arr.dtype.kind in "ObUSc" else ()
    for v in items:
        v = v.item() if isinstance(v, np.generic) else v
        if isinstance(v, (bool, str, bytes, complex)):
            raise ValueError(f"{name} must be numeric (real numbers): got {type(v).__name__} {v!r} (give numbers, not text, "
                             "True/False or complex numbers)")


def parse_number(text: str, where: str, *, blank_ok: bool = False, positive: bool = False, whole: bool = False,
                 minimum: int | None = None, maximum: int | None = None) -> float:
    """The number in one cell of a CSV file (or one option), by one rule for every file the package
    reads: a plain decimal (:data:`NUMBER`; spaces around it are ignored) that is finite, and, as
    asked, ``positive`` (> 0), ``whole`` (2 or 2.0, not 2.5), at least ``minimum`` and at most ``maximum``. An empty
    cell, or one of spaces only (a CSV typed with ", " between fields), is NaN where ``blank_ok``,
    else refused. A number too small for a double ("1e-400", which float() reads as 0) is refused.
    Anything else ("1_0", "nan", "inf", "1,5", "1,000", "−0.2" with a Unicode
    minus, an overflow such as "1e400") raises ValueError ``"{where}: expected ..., got '...'"``:
    ``where`` names the place (file, row, column).
    """
    stripped = text.strip()
    if blank_ok and not stripped:
        return float("nan")
    plain = NUMBER.fullmatch(stripped) is not None
    value = float(stripped) if plain else float("nan")  # float() alone takes "1_0" and "nan"
    in_range = np.isfinite(value) and not (value == 0 and re.search(r"[1-9]", stripped.lower().partition("e")[0]))
    if in_range and (not positive or value > 0) and (not whole or value.is_integer()) \
            and (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
        return value
    what = ("a whole number" if whole else "a positive number" if positive else "a number") \
        + ("" if minimum is None else f" >= {minimum:,}") + ("" if maximum is None else f" and <= {maximum:,}") \
        + (" (or leave it blank)" if blank_ok else "")
    if plain:
        why = "" if in_range else " (beyond the range of a double: change the units)"
    elif text:
        why = f"; {NUMBER_RULE}" if stripped else " (only spaces: leave the cell empty or give a number)"
    else:
        why = ""
    raise ValueError(f"{where}: expected {what}, got {text!r}{why}")


def positions(bad: np.ndarray) -> str:
    """``position(s) [..] (counting from 1)`` for a boolean mask: messages count as a reader does."""
    return f"position(s) {(np.flatnonzero(bad) + 1).tolist()} (counting from 1)"


def as_vector(name: str, x, *, min_len: int = 1) -> np.ndarray:
    """Return ``x`` as a 1-d float array; raise ValueError on bools, strings, NaN/inf or too few values."""
    _not_coercible(name, x)
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
        raise ValueError(f"{name} contains NaN or infinite values at {positions(bad)}")
    return arr


def scalar(name: str, value, *, strictly_positive: bool = False, allow_none: bool = False) -> float | None:
    """One finite number (ValueError otherwise), > 0 if ``strictly_positive``; None passes if ``allow_none``."""
    if value is None and allow_none:
        return None
    _not_coercible(name, value)
    if np.ndim(value) == 0 and isinstance(value, numbers.Real) and not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    arr = as_vector(name, value)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got {arr.size} values")
    if strictly_positive:
        positive(name, arr)
    return float(arr[0])


def whole(name: str, value, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number in [minimum, maximum] (``2``, ``2.0``); bools, strings and fractions raise ValueError."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and np.isfinite(value) \
        and float(value).is_integer()
    if not ok or value < minimum or (maximum is not None and value > maximum):
        upto = "" if maximum is None else f" and <= {maximum:,}"
        raise ValueError(f"{name} must be a whole number >= {minimum}{upto}, got {value!r}")
    return int(value)


def finite_range(yi: np.ndarray, vi: np.ndarray, labels=None) -> None:
    """Raise ValueError unless |yi| <= YI_MAX, vi in VI_RANGE and max(vi)/min(vi) <= VI_RATIO_MAX
    (the dynamic-range rule on the weights 1/vi, see :data:`VI_RATIO_MAX`), naming the studies by
    ``labels`` (default: "study 1", "study 2", ... counting from 1)."""
    labels = labels or [f"study {i}" for i in range(1, len(yi) + 1)]
    lo, hi = VI_RANGE
    for arr, what, bad in ((yi, f"yi must lie within ±{YI_MAX:g}", np.abs(yi) > YI_MAX),
                           (vi, f"vi (sei²) must lie in [{lo:g}, {hi:g}]", (vi < lo) | (vi > hi))):
        if bad.any():
            where = ", ".join(f"{labels[i]} ({arr[i]:g})" for i in np.flatnonzero(bad)[:5])
            raise ValueError(f"{what} (beyond it the weights 1/vi overflow double precision; change the "
                             f"units of the effect); got {where}")
    small, large = int(np.argmin(vi)), int(np.argmax(vi))
    if vi[large] > VI_RATIO_MAX * vi[small]:
        raise ValueError(f"the variances span more than {VI_RATIO_MAX:.0e} ({labels[large]}: vi {vi[large]:g}, "
                         f"{labels[small]}: vi {vi[small]:g}, ratio {vi[large] / vi[small]:.2g}): the weights 1/vi "
                         "cannot be summed exactly in double precision, so the smallest weights would be lost; "
                         "check those studies' standard errors, or leave out the studies that carry no information")


def level(value, name: str = "level") -> float:
    """A probability level strictly between 0 and 1 (0.95); bools and text ("0.95") are refused."""
    value = scalar(name, value)
    if not 0 < value < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1 (e.g. 0.95), got {value:g}")
    return value


def probabilities(name: str, values, length: int) -> np.ndarray:
    """``length`` finite probabilities > 0 that sum to one (within 1e-9)."""
    arr = as_vector(name, values)
    if arr.shape != (length,) or (arr <= 0).any() or abs(arr.sum() - 1) > 1e-9:
        raise ValueError(f"{name} must be {length} positive probabilities summing to 1, got {arr.tolist()}")
    return arr


def memory(what: str, shape: tuple, *, copies: int = 1, hint: str) -> None:
    """Raise ValueError before allocating ``copies`` float64 arrays of ``shape`` beyond MEMORY_LIMIT,
    with the size and ``hint`` (how to reduce it)."""
    size = 8.0 * copies * float(np.prod([float(n) for n in shape]))
    if size > MEMORY_LIMIT:
        dims = " x ".join(f"{int(n):,}" for n in shape)
        raise ValueError(f"{what} would need {size / 2**30:.1f} GiB ({copies} array(s) of {dims} numbers; the limit "
                         f"is {MEMORY_LIMIT / 2**30:g} GiB): {hint}")


def _unreadable(path, err: OSError, error):
    """``error(message)`` naming ``path`` and what the operating system said."""
    if isinstance(err, FileNotFoundError):
        return error(f"{path}: no such file")
    if isinstance(err, PermissionError):
        return error(f"{path}: permission denied (the file cannot be read)")
    return error(f"{path}: cannot be read ({err.strerror or err})")


def regular_file(path, error=ValueError) -> Path:
    """``path`` if it names a regular file; ``error(message)`` naming it otherwise (missing, a
    directory, a FIFO, device or socket: reading those could wait for ever)."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        raise _unreadable(path, err, error) from None
    if stat.S_ISDIR(mode):
        raise error(f"{path} is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise error(f"{path} is not a regular file (a pipe, device or socket); save the data to a file and name it")
    return path


def read_text(path, error=ValueError) -> str:
    """The text of a UTF-8 regular file (a byte-order mark is fine); ``error(message)`` naming the file
    otherwise (:func:`regular_file`)."""
    path = regular_file(path, error)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise _unreadable(path, err, error) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(f"{path} is UTF-16 text; save it as 'CSV UTF-8 (comma delimited)'")
    if raw.startswith(b"PK\x03\x04"):
        raise error(f"{path} is a spreadsheet workbook (.xlsx/.ods), not CSV; save it as 'CSV UTF-8 (comma delimited)'")
    if b"\x00" in raw:
        raise error(f"{path} holds NUL bytes: a binary file, not CSV text; save it as 'CSV UTF-8 (comma delimited)'")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise error(f"{path}, line {line}: byte 0x{raw[err.start]:02x} is not UTF-8 (the file is probably "
                    "Latin-1/Windows-1252); save it as 'CSV UTF-8 (comma delimited)'") from None


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
        raise ValueError(f"{name} must be > 0; offending {positions(bad)}")
    return arr


def at_least(name: str, arr: np.ndarray, lower: float) -> np.ndarray:
    """Raise ValueError unless every value is >= lower."""
    bad = arr < lower
    if bad.any():
        raise ValueError(f"{name} must be >= {lower}; offending {positions(bad)}")
    return arr


def seed(value, name: str = "random_seed"):
    """A random seed: None, a whole number >= 0 (not a bool), or a NumPy Generator/SeedSequence."""
    if value is None or isinstance(value, (np.random.Generator, np.random.SeedSequence)):
        return value
    return whole(name, value, minimum=0)


def columns(what: str, table, required) -> None:
    """Raise ValueError unless ``table`` is a DataFrame holding every ``required`` column (named)."""
    if not hasattr(table, "columns"):
        raise ValueError(f"{what} takes a table (pandas DataFrame), got {type(table).__name__}")
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(f"{what}: the table lacks column(s) {missing}")


def choice(name: str, value: str, options) -> str:
    """Raise ValueError unless ``value`` is one of ``options`` (case-sensitive)."""
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of {sorted(options)}")
    return value
