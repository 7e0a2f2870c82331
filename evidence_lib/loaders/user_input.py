"""Read a user's CSV of study effects or of published summaries, or say exactly what is wrong.

Every problem raises :class:`InputError` naming the file, the row as a spreadsheet shows it
(the header is row 1, so the first data row is row 2), the column and what was expected. Column
names are matched case-insensitively; an unknown column is an error, so a misspelt
optional column (``I2 `` for ``i2``) cannot silently drop its figures. Files are
comma-separated, UTF-8 (a spreadsheet's byte-order mark is fine), decimal point; numbers are
plain decimals (``-0.5``, ``.5``, ``1e-3``; not ``1_0``, ``nan``, ``1,5`` or a cell of spaces), by the
rule of every file the package reads (:func:`~evidence_lib.core.checks.parse_number`). A file that is
missing, a directory, unreadable, UTF-16 or Latin-1 is named in the message with a hint.
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import pandas as pd

from evidence_lib.core.checks import K_MAX, VI_RANGE, YI_MAX, parse_number, read_text
from evidence_lib.core.measures import FAVOURS, MEASURES, PUBLISHED
from evidence_lib.loaders.packaged import estimate_or_midpoint
from evidence_lib.core.studies import Studies

STUDY_COLUMNS = {"required": ("study", "yi"), "optional": ("sei", "vi", "measure")}
SUMMARY_COLUMNS = {"required": ("label", "estimate", "ci_low", "ci_high", "measure", "favours_intervention"),
                   "optional": ("k", "q", "i2", "i2_definition", "n")}


class InputError(ValueError):
    """A user's file cannot be read as asked; the message says where and why."""


class InputWarning(UserWarning):
    """A user's file is readable but a value is probably not what was meant."""


def _rows(path: Path, columns: dict) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (row number, {column: text}) for each non-blank data row, after the shape checks."""
    path = Path(path)
    name = path.name
    accepted = columns["required"] + columns["optional"]
    text = read_text(path, InputError)
    if not text.strip():
        raise InputError(f"{name} is empty: expected a header row with the columns {', '.join(accepted)}")
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader)]
    if len(header) == 1 and ";" in header[0]:
        raise InputError(f"{name}, header: expected comma-separated columns, but the header uses ';' "
                         "(save the file as CSV with commas and decimal points)")
    for i, col in enumerate(header):
        if col in header[:i]:
            raise InputError(f"{name}, header: column '{col}' appears twice "
                             f"(columns {header.index(col) + 1} and {i + 1})")
        if col not in accepted:
            raise InputError(f"{name}, header: unknown column '{col}'; accepted columns: {', '.join(accepted)}")
    missing = [c for c in columns["required"] if c not in header]
    if missing:
        raise InputError(f"{name}, header: missing column(s) {', '.join(missing)}; "
                         f"required: {', '.join(columns['required'])}")
    rows = []
    for fields in reader:
        row = reader.line_num  # the row number a spreadsheet shows (the header is row 1)
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise InputError(f"{name}, row {row}: expected {len(header)} fields as in the header, got {len(fields)}")
        rows.append((row, {c: f.strip() or f for c, f in zip(header, fields)}))  # spaces kept for messages
    if not rows:
        raise InputError(f"{name} has a header but no data rows")
    return header, rows


def _number(name, row, col, text, *, blank_ok=False, positive=False, whole=False):
    """The number in a cell by the package's one rule (:func:`~evidence_lib.core.checks.parse_number`);
    whole numbers (k, n) are >= 1."""
    try:
        return parse_number(text, f"{name}, row {row}, column {col}", blank_ok=blank_ok, positive=positive,
                            whole=whole, minimum=1 if whole else None)
    except ValueError as err:
        raise InputError(str(err)) from None


def _word(name, row, col, text, options):
    value = text.upper() if col == "measure" else text.lower()
    if value not in options:
        raise InputError(f"{name}, row {row}, column {col}: expected one of {', '.join(options)}, got {text!r}")
    return value


def _unique(name, rows, col):
    seen = {}
    for row, values in rows:
        if values[col].strip() == "":
            raise InputError(f"{name}, row {row}, column {col}: expected a non-empty {col}, got {values[col]!r}")
        if values[col] in seen:
            raise InputError(f"{name}, row {row}, column {col}: expected a unique {col}, "
                             f"but {values[col]!r} is also in row {seen[values[col]]}")
        seen[values[col]] = row


def read_studies(path, favours=None) -> Studies:
    """Study effects: columns ``study``, ``yi`` and one of ``sei``/``vi``; optional ``measure``.

    Returns a :class:`~evidence_lib.core.studies.Studies` labelled by ``study``, with the file's one
    ``measure`` (None when the file has no measure column), the side that ``favours`` the
    intervention as given, and ``data["row"]`` (row number as a spreadsheet shows it). ``yi``
    is on the analysis scale: log ratios for RR and OR.
    """
    name = Path(path).name
    header, rows = _rows(path, STUDY_COLUMNS)
    spread = [c for c in ("sei", "vi") if c in header]
    if len(spread) != 1:
        raise InputError(f"{name}, header: expected exactly one of the columns sei (standard error) "
                         f"or vi (variance), got {spread or 'neither'}")
    _unique(name, rows, "study")
    if len(rows) < 2:
        raise InputError(f"{name}: a random-effects analysis needs at least 2 studies (data rows), "
                         f"got {len(rows)} (row {rows[0][0]})")
    col = spread[0]
    out = []
    for row, v in rows:
        spread_value = _number(name, row, col, v[col], positive=True)
        yi = _number(name, row, "yi", v["yi"])
        if abs(yi) > YI_MAX:
            raise InputError(f"{name}, row {row}, column yi: expected |yi| <= {YI_MAX:g} (beyond it squares "
                             f"overflow double precision; change the units), got {v['yi']!r}")
        limits = VI_RANGE if col == "vi" else tuple(math.sqrt(b) for b in VI_RANGE)
        if not limits[0] <= spread_value <= limits[1]:  # sei checked before squaring: 1e300**2 overflows
            raise InputError(f"{name}, row {row}, column {col}: expected {col} in [{limits[0]:g}, {limits[1]:g}] "
                             f"(beyond it the weights 1/vi overflow double precision), got {v[col]!r}")
        vi = spread_value**2 if col == "sei" else spread_value
        out.append({"row": row, "study": v["study"], "yi": yi, "sei": math.sqrt(vi),
                    "measure": _word(name, row, "measure", v["measure"], MEASURES) if "measure" in v else ""})
    measures = {r["measure"] for r in out}
    if len(measures) > 1:
        first = out[0]["measure"]
        other = next(r for r in out if r["measure"] != first)
        raise InputError(f"{name}, row {other['row']}, column measure: expected the same measure in every row "
                         f"({first}, as in row {out[0]['row']}), got {other['measure']!r}")
    table = pd.DataFrame(out)
    try:
        return Studies.from_frame(table.drop(columns="measure"), sei="sei", label="study",
                                  measure=table["measure"].iloc[0] or None, favours=favours)
    except ValueError as err:  # e.g. the variances' dynamic range (studies named by the column study)
        raise InputError(f"{name}: {err}") from None


def read_summaries(path) -> pd.DataFrame:
    """Published pooled results, one per row, in the columns :func:`readings.read_row` expects.

    Required: ``label``, ``estimate`` (may be blank when only the CI was published: the CI
    midpoint on the analysis scale is used, as for the published results), ``ci_low``,
    ``ci_high`` (95 %, natural scale: ratios as ratios), ``measure`` (SMD, RR, OR),
    ``favours_intervention`` (lower/higher). Optional, blank when not reported: ``k``
    (<= :data:`~evidence_lib.core.checks.K_MAX`), ``q`` (Cochran's Q), ``i2`` (percent in [0, 100);
    an :class:`InputWarning` when every i2 of the file is below 1, i.e. probably a fraction),
    ``i2_definition`` (needed with ``i2`` when ``q`` is blank: "Q" for RevMan's (Q - df)/Q,
    "tau2" for metafor's tau²-based I²), ``n`` (total participants).

    A row with k >= 2 needs a heterogeneity figure, by the rule of
    :func:`evidence_lib.published.reconstruct.from_published`: q, or i2, or, for an SMD, n (which gives
    the within-study variance); otherwise InputError says what to add (k left blank reads the
    pooled estimate alone, and the reading's note says so).
    """
    name = Path(path).name
    _, rows = _rows(path, SUMMARY_COLUMNS)
    _unique(name, rows, "label")
    out = []
    for row, v in rows:
        measure = _word(name, row, "measure", v["measure"], PUBLISHED)
        est, lo, hi = (_number(name, row, col, v[col], blank_ok=col == "estimate")
                       for col in ("estimate", "ci_low", "ci_high"))
        for col, value in (("estimate", est), ("ci_low", lo), ("ci_high", hi)):
            if abs(value) > YI_MAX:
                raise InputError(f"{name}, row {row}, column {col}: expected |{col}| <= {YI_MAX:g} (beyond it "
                                 f"squares overflow double precision; change the units), got {v[col]!r}")
        rec = {"row": row, "label": v["label"], "measure": measure,
               "favours_intervention": _word(name, row, "favours_intervention", v["favours_intervention"], FAVOURS),
               "estimate_used": estimate_or_midpoint(measure, est, lo, hi)[0], "ci_low": lo, "ci_high": hi}
        for col in ("k", "q", "i2", "n"):
            rec[col] = _number(name, row, col, v.get(col, ""), blank_ok=True,
                               whole=col in ("k", "n"))
        definition = v.get("i2_definition", "").strip()
        if definition not in ("", "Q", "tau2"):
            raise InputError(f"{name}, row {row}, column i2_definition: expected Q (RevMan's (Q - df)/Q) or "
                             f"tau2 (metafor's tau²-based I²), or blank, got {definition!r}")
        rec["i2_definition"] = definition or None
        _check_heterogeneity(name, row, v, rec)
        out.append(rec)
    i2 = [r["i2"] for r in out if not math.isnan(r["i2"])]
    if i2 and max(i2) < 1 and max(i2) > 0:
        warnings.warn(InputWarning(f"{name}, column i2: every value is below 1 ({', '.join(f'{x:g}' for x in i2)});"
                                   " i2 is read as a percent (0.75 = 0.75 %), so if you meant 75 % write 75"),
                      stacklevel=2)
    return pd.DataFrame(out)


def _check_heterogeneity(name, row, text, rec) -> None:
    """k within K_MAX, i2 a percent in [0, 100), and k >= 2 with something to rebuild the heterogeneity."""
    if rec["k"] > K_MAX:
        raise InputError(f"{name}, row {row}, column k: expected k <= {K_MAX:,} (the reconstruction builds k "
                         f"pseudo-studies), got {text['k']!r}")
    if rec["n"] < 2 * rec["k"]:
        raise InputError(f"{name}, row {row}, column n: n = {text['n']} participants cannot fill k = {text['k']} "
                         f"two-arm studies: expected n >= 2k = {2 * int(rec['k'])}")
    if not math.isnan(rec["i2"]) and not 0 <= rec["i2"] < 100:
        raise InputError(f"{name}, row {row}, column i2: expected I² as a percent in [0, 100), got {text['i2']!r}")
    usable_n = rec["measure"] == "SMD" and not math.isnan(rec["n"])
    if rec["k"] >= 2 and math.isnan(rec["q"]) and math.isnan(rec["i2"]) and not usable_n:
        what = "q (Cochran's Q), i2 (percent) or n (total participants)" if rec["measure"] == "SMD" \
            else f"q (Cochran's Q) or i2 (percent); n does not give the variance of an {rec['measure']}"
        raise InputError(f"{name}, row {row}, column q: k = {text['k']} but no heterogeneity figure: add {what}, "
                         "or leave k blank to read the pooled estimate alone")
