"""Tables and sentences for readers: the reader's table and the formats of
:mod:`evidence_lib.core.display` (the human labels of every column, numbers on the row's own
scale, p-values as "<0.001"), a sentence shown as Markdown, and a reader's label for each
published result.
"""

from __future__ import annotations

import pandas as pd

from evidence_lib.core.display import (  # noqa: F401 (the reader's table and its formats, shown by every result)
    COLUMNS, INTERVALS, MINUS, fmt, fmt_p, fmt_p4, fmt_prob, minus, reader_frame, reader_table)


def sentence(text: str):
    """A sentence for the reader, shown as Markdown in Jupyter and in the reports (not as
    program output), with true minus signs (:func:`minus`)."""
    from IPython.display import Markdown  # presentation, imported when shown

    return Markdown(minus(text))


def _short(text: pd.Series) -> pd.Series:
    return text.fillna("").str.split(" (", regex=False).str[0].str.strip()


def result_label(df: pd.DataFrame) -> pd.Series:
    """A reader's label for each published result: review: outcome (comparison, time point),
    with the parenthesised detail of comparison and time point left to the data dictionary."""
    extra = _short(df["comparison"]) + ", " + _short(df["timepoint"])
    return df["review"] + ": " + df["outcome"] + " (" + extra.str.strip(", ") + ")"
