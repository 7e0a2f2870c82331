"""The shared shape of the bias results: a frozen dataclass whose scalar fields make a one-row table."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class BiasResult:
    """Base of the bias-method results: ``to_frame()`` is one row of the scalar fields (tuples
    of numbers, e.g. selection weights, become one column per element: ``delta_1``, ...)."""

    def to_frame(self) -> pd.DataFrame:
        row = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple) and all(v is None or isinstance(v, (int, float, np.number)) for v in value):
                row.update({f"{f.name}_{i}": v for i, v in enumerate(value, 1)})
            elif value is None or isinstance(value, (str, bool, int, float, np.number)):
                row[f.name] = value
        return pd.DataFrame([row])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}")
