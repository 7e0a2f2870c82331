"""The shared shape of the bias results: a :class:`~evidence_lib.core.results.Result` whose
tuple fields of numbers (e.g. selection weights) become one column per element."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd

from evidence_lib.core.results import Result


class BiasResult(Result):
    """Base of the bias-method results: ``to_frame()`` is one row of the scalar fields, tuples
    of numbers spread into ``name_1``, ``name_2``, ... (``delta_1`` is the fixed weight 1)."""

    def to_frame(self) -> pd.DataFrame:
        row = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple) and all(v is None or isinstance(v, (int, float, np.number)) for v in value):
                row.update({f"{f.name}_{i}": v for i, v in enumerate(value, 1)})
            elif value is None or isinstance(value, (str, bool, int, float, np.number)):
                row[f.name] = value
        return pd.DataFrame([row])
