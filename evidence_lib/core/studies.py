"""The study table every engine reads: effects and standard errors on the analysis scale.

:class:`Studies` is immutable. ``yi`` and ``sei`` are on the analysis scale (log ratios for
RR, OR, HR), ``vi = sei²`` is derived; ``labels`` name the studies; ``measure`` and
``favours`` (the side of the null that favours the intervention, None when unknown) travel
with the numbers so that no reader has to guess a sign. A reconstruction from a published
summary (:func:`evidence_lib.published.reconstruct.from_published`) is a Studies too, with its
``note`` and ``estimate_only`` set, whose class says ``pseudo``: its studies are pseudo-studies
that stand for the summary, and an engine reports no per-study effects for them. ``data`` holds any further per-study columns (e.g.
sample sizes, Metapsy row ids), one row per study.

Engines take a Studies, or effects ``yi`` with their spread by keyword only: ``(yi, sei=sei)``
or ``(yi, vi=vi)`` (:func:`as_studies`). metafor's ``rma(yi, vi)`` takes variances as its second
positional argument; here a second positional argument is refused (:func:`spread_by_keyword`),
so that call cannot silently read variances as standard errors.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from evidence_lib.core import checks
from evidence_lib.core.measures import check_favours, check_measure, from_analysis_scale


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr, dtype=float)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Studies:
    """k study effects ``yi`` with standard errors ``sei`` (analysis scale); see the module doc."""

    yi: np.ndarray
    sei: np.ndarray
    labels: tuple = ()
    measure: str | None = None
    favours: str | None = None
    note: str = ""
    estimate_only: bool = False
    data: pd.DataFrame | None = field(default=None, repr=False)
    #: True for pseudo-studies that stand for a published summary (a subclass sets it): their
    #: per-study effects mean nothing, so engines do not report them
    pseudo: ClassVar[bool] = False

    def __post_init__(self):
        yi = checks.as_vector("yi", self.yi)
        sei = checks.positive("sei", checks.as_vector("sei", self.sei))
        checks.same_length(yi=yi, sei=sei)
        labels = tuple(str(x) for x in self.labels) if len(self.labels) else \
            tuple(f"study {i}" for i in range(1, len(yi) + 1))
        if len(labels) != len(yi):
            raise ValueError(f"mismatched lengths: labels {len(labels)}, yi {len(yi)}")
        if len(set(labels)) != len(labels):
            raise ValueError(f"study labels must be unique; repeated: "
                             f"{sorted({x for x in labels if labels.count(x) > 1})}")
        checks.finite_range(yi, sei**2, labels)  # every engine takes a Studies: one range check for all
        if self.estimate_only and len(yi) != 1:
            raise ValueError(f"an estimate-only summary holds one estimate, got {len(yi)}")
        if self.data is not None:
            if len(self.data) != len(yi):
                raise ValueError(f"mismatched lengths: data has {len(self.data)} rows, yi {len(yi)}")
            object.__setattr__(self, "data", self.data.reset_index(drop=True))
        object.__setattr__(self, "yi", _frozen(yi))
        object.__setattr__(self, "sei", _frozen(sei))
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "measure", check_measure(self.measure))
        object.__setattr__(self, "favours", check_favours(self.favours))

    @property
    def vi(self) -> np.ndarray:
        """Within-study variances sei²."""
        return self.sei**2

    def __len__(self) -> int:
        return len(self.yi)

    def to_frame(self, natural: bool = False) -> pd.DataFrame:
        """One row per study: label, yi, sei, vi (and, with ``natural``, the effect on the
        natural scale, e.g. the ratio), then the ``data`` columns."""
        df = pd.DataFrame({"label": self.labels, "yi": self.yi, "sei": self.sei, "vi": self.vi})
        if natural:
            df["effect"] = from_analysis_scale(self.yi, self.measure)
        if self.data is not None:
            df = pd.concat([df, self.data.drop(columns=[c for c in df if c in self.data])], axis=1)
        return df

    def require_spread_in_sei(self, method: str) -> None:
        """ValueError naming ``method`` when every study has the same standard error (a
        reconstruction from a published summary has, by construction): small-study methods
        regress on, rank by or fill along the SE and then have nothing to work with."""
        if len(self) and np.ptp(self.sei) <= 1e-12 * float(self.sei.max()):
            raise ValueError(f"{method} is not identified: every study has the same standard error "
                             "(as the pseudo-studies of a published summary have), so the model is not of full rank and effects cannot be "
                             "related to study size; it needs study-level data")

    def subset(self, rows) -> Studies:
        """The studies selected by a boolean mask or positions (same measure and direction)."""
        rows = np.asarray(rows)
        if rows.size == 0:
            raise ValueError("subset: the selection holds no study (an empty list or mask); select at least one")
        if rows.dtype == bool and rows.shape != (len(self),):
            raise ValueError(f"subset: a mask needs one True/False per study ({len(self)}), got {rows.shape}")
        if rows.dtype != bool and (rows.dtype.kind not in "iu" or rows.ndim != 1):
            raise ValueError(f"subset: give a mask or whole positions (counting from 0, as Python does), got {rows!r}")
        if rows.dtype != bool and ((rows >= len(self)) | (rows < -len(self))).any():
            raise ValueError(f"subset: positions must lie in 0..{len(self) - 1} (counting from 0), got {rows.tolist()}")
        idx = np.arange(len(self))[rows]
        if len(idx) == 0:
            raise ValueError("subset: the selection holds no study (the mask is all False); select at least one")
        return replace(self, yi=self.yi[idx], sei=self.sei[idx], labels=tuple(self.labels[i] for i in idx),
                       data=None if self.data is None else self.data.iloc[idx])

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, yi: str = "yi", sei: str | None = None, vi: str | None = None,
                   label: str | None = None, measure=None, favours=None, note: str = "") -> Studies:
        """A Studies from table columns: ``yi`` and exactly one of ``sei``/``vi``; the other
        columns are kept in ``data``."""
        if (sei is None) == (vi is None):
            raise ValueError("name exactly one of sei= or vi= (the column of standard errors or variances)")
        spread = df[sei].to_numpy(float) if sei else np.sqrt(checks.positive(vi, checks.as_vector(vi, df[vi])))
        used = [c for c in (yi, sei, vi, label) if c]
        return cls(df[yi].to_numpy(float), spread, tuple(df[label]) if label else (), measure, favours, note,
                   data=df.drop(columns=used).reset_index(drop=True))

    def __repr__(self) -> str:
        what = "estimate-only summary" if self.estimate_only else f"k={len(self)}"
        return f"{type(self).__name__}({what}, measure={self.measure!r}, favours={self.favours!r})"


SPREAD_MESSAGE = ("takes the studies (a Studies, or the effects yi) as its only positional argument; give the "
                  "spread of yi by keyword: sei=... (standard errors) or vi=... (variances)")


def spread_by_keyword(func):
    """Refuse a second positional argument with a message naming ``sei=`` and ``vi=``."""
    @functools.wraps(func)
    def wrapper(studies, *args, **kwargs):
        if args:
            raise TypeError(f"{func.__name__}() {SPREAD_MESSAGE}")
        return func(studies, **kwargs)
    return wrapper


def one_spread(sei, vi) -> None:
    """ValueError unless exactly one of ``sei=`` and ``vi=`` is given."""
    if (sei is None) == (vi is None):
        raise ValueError("give the spread of yi once: sei= (standard errors) or vi= (variances)")


def variances(*, sei=None, vi=None) -> np.ndarray:
    """The variances of the spread given once (:func:`one_spread`): ``vi``, or ``sei`` squared. The
    values given must be finite and > 0, checked under their own name before any squaring (a
    negative standard error is refused, not squared away); one study per value, or rows of them."""
    one_spread(sei, vi)
    name, given = ("vi", vi) if sei is None else ("sei", sei)
    if np.ndim(given) <= 1:
        arr = checks.as_vector(name, given)  # bools, text, NaN and inf refused by name
    else:
        arr = np.asarray(given, float)
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    checks.positive(name, arr.ravel())
    return arr if sei is None else arr**2


@spread_by_keyword
def as_studies(studies, *, sei=None, vi=None, min_len: int = 1) -> Studies:
    """A :class:`Studies` from a Studies, or from ``yi`` with ``sei=`` or ``vi=`` (keywords).

    ``min_len`` is the number of studies the calling method needs (an estimate-only summary
    passes when the caller accepts one).
    """
    if isinstance(studies, Studies):
        if sei is not None or vi is not None:
            raise ValueError("pass a Studies alone: it carries its own standard errors")
        out = studies
    else:
        one_spread(sei, vi)
        if vi is not None:
            vi = checks.positive("vi", checks.as_vector("vi", vi))
            sei = np.sqrt(vi)
        out = Studies(studies, sei)
    if len(out) < min_len and not out.estimate_only:
        raise ValueError(f"this method needs at least {min_len} studies, got k = {len(out)}")
    return out
