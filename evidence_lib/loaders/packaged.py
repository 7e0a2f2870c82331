"""Load the project's data files under strict rules: published pooled results and trial figures.

Every cell is read as text and parsed explicitly. A cell that breaks a rule raises
:class:`DataValidationError`, whose message names the file, the row as a spreadsheet shows it
(the header is row 1, the first data row is row 2) with its key, the column and the rule (all
problems of a file at once). Nothing is dropped, imputed or coerced. Columns and vocabularies
are documented in data/README.md.

Every CSV under data/ is listed in ``data/MANIFEST.json`` with its number of data rows and
SHA-256 (line endings normalised): a loader refuses a listed file that differs (truncated,
edited) and says how to restore it; :func:`write_manifest` refreshes the manifest after an
intended edit (a test checks that it is current).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from evidence_lib.core.checks import parse_number, read_text
from evidence_lib.core.files import write_atomic
from evidence_lib.core.measures import FAVOURS, PUBLISHED
from evidence_lib.core.measures import from_analysis_scale, is_ratio, to_analysis_scale
from evidence_lib.loaders.location import DATA_DIR

PUBLISHED_PATH = DATA_DIR / "published_results.csv"
TRIALS_DIR = DATA_DIR / "trials"

#: a favours_intervention cell: a side, or "unknown" when the source does not say
FAVOURS_CELL = FAVOURS + ("unknown",)
NO_FIGURES = ("not significant; no figures reported", "not estimable; no figures reported")
REPORTED_AS = ("figures", "CI only") + NO_FIGURES

PUBLISHED_TEXT = ("result_id", "review", "comparison", "outcome", "timepoint", "measure", "measure_stated",
                  "p_reported", "q_p_reported", "favours_intervention", "direction_basis", "method",
                  "reported_as", "source", "notes")
PUBLISHED_DECIMAL = ("estimate", "ci_low", "ci_high", "ci_level", "i2", "tau2_reported", "q")
PUBLISHED_INTEGER = ("k", "n", "q_df")
#: numeric columns whose printed precision the loader keeps as ``<column>_decimals``
PRINTED_PRECISION = ("estimate", "ci_low", "ci_high", "i2", "tau2_reported", "q")

TRIAL_TEXT = ("study", "arm", "arm_role", "timepoint", "citation", "source", "verification", "notes")
TRIAL_CONTINUOUS = {"decimal": ("mean", "sd"), "integer": ("n",), "text": ("instrument", "scale_direction")}
TRIAL_DICHOTOMOUS = {"decimal": (), "integer": ("events", "total"), "text": ("event_definition",)}
TRIAL_OPTIONAL_INTEGER = ("metapsy_row_id", "metapsy_arm")
ARM_ROLES = ("intervention", "control", "alternative treatment")
SCALE_DIRECTIONS = ("higher is worse", "higher is better")
VERIFICATION_PREFIXES = ("verified against Metapsy data.csv", "checked against the trial paper",
                         "secondary source")

MANIFEST_NAME = "MANIFEST.json"


class DataValidationError(ValueError):
    """A data file breaks a rule; the message names file, row, column and rule. ``packaged``: for a
    damaged packaged data file (or its manifest), its name in the data folder (e.g.
    ``"published_results.csv"``), so that an application can say how it restores the file in its
    own setting (:func:`evidence_lib.app.paths.restore_hint` names a checkout's git command);
    None otherwise."""

    def __init__(self, message: str, *, packaged: str | None = None):
        super().__init__(message)
        self.packaged = packaged


def _fingerprint(raw: bytes) -> str:
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def _data_rows(raw: bytes) -> int:
    """Data rows of a CSV separated by commas or, when its header has more of them, semicolons
    (the Metapsy database)."""
    header = raw.split(b"\n", 1)[0]
    sep = ";" if header.count(b";") > header.count(b",") else ","
    return len(pd.read_csv(io.BytesIO(raw), sep=sep, dtype=str, keep_default_na=False))


def manifest_entries(folder=None) -> dict:
    """{path relative to ``folder`` (default data/): {"rows": data rows, "sha256": ...}} of every CSV in it."""
    folder = Path(folder) if folder is not None else DATA_DIR
    return {p.relative_to(folder).as_posix(): {"rows": _data_rows(p.read_bytes()), "sha256": _fingerprint(p.read_bytes())}
            for p in sorted(folder.rglob("*.csv"))}


def write_manifest(folder=None) -> Path:
    """Rewrite ``MANIFEST.json`` in ``folder`` (default data/) from the CSVs there; returns its path."""
    folder = Path(folder) if folder is not None else DATA_DIR
    path = folder / MANIFEST_NAME
    doc = {"about": "expected data rows and SHA-256 (CRLF read as LF) of every CSV under data/, checked by "
                    "evidence_lib.loaders.packaged on load; after an intended edit run "
                    "python -c 'from evidence_lib.loaders.packaged import write_manifest; write_manifest()'",
           "files": manifest_entries(folder)}
    return write_atomic(path, json.dumps(doc, indent=1) + "\n")


def packaged_name(path) -> str | None:
    """``path`` relative to the packaged data folder (``"trials/x.csv"``), None when it lies outside it."""
    try:
        return Path(path).resolve().relative_to(DATA_DIR.resolve()).as_posix()
    except ValueError:
        return None


def _restore_hint(path: Path) -> str:
    """How to restore a damaged file: a packaged data file from the project repository or by
    reinstalling the package (where the files come from is the application's to add, see
    :class:`DataValidationError`); any other file from where it came."""
    name = packaged_name(path)
    return f"; restore data/{name} from the project repository, or reinstall evidence_lib" if name \
        else "; restore it from the project repository"


def read_manifest(manifest: Path) -> dict:
    """The ``files`` entries of a MANIFEST.json; DataValidationError naming it when it is unreadable,
    not JSON, or not shaped {"files": {path: {"rows": int, "sha256": str}}}."""
    hint, packaged = _restore_hint(manifest), packaged_name(manifest)
    try:
        files = json.loads(read_text(manifest, DataValidationError))["files"]
        ok = isinstance(files, dict) and all(isinstance(e, dict) and isinstance(e.get("rows"), int)
                                             and isinstance(e.get("sha256"), str) for e in files.values())
    except json.JSONDecodeError as err:
        raise DataValidationError(f"{manifest}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}), "
                                  f"so the data files cannot be checked{hint}", packaged=packaged) from None
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise DataValidationError(f"{manifest}: expected {{\"files\": {{path: {{\"rows\": ..., \"sha256\": ...}}}}}}, "
                                  f"so the data files cannot be checked{hint}", packaged=packaged)
    return files


def check_manifest(path, required: bool | None = None) -> None:
    """Raise DataValidationError when ``path`` is listed in a MANIFEST.json of its folder or the folder
    above and its content differs from the listed rows and SHA-256; when the manifest is unreadable;
    and, if ``required`` (default: for the packaged data under data/), when there is no manifest or
    it does not list the file (the check is never skipped for the packaged data)."""
    path = Path(path)
    required = packaged_name(path) is not None if required is None else required
    for folder in (path.parent, path.parent.parent):
        manifest = folder / MANIFEST_NAME
        if manifest.exists() or manifest.is_symlink():
            break
    else:
        if required:
            manifest = path.parent / MANIFEST_NAME
            raise DataValidationError(f"{manifest} is missing, so {path.name} cannot be checked against it"
                                      f"{_restore_hint(manifest)}", packaged=packaged_name(manifest))
        return
    key = path.resolve().relative_to(folder.resolve()).as_posix()
    entry = read_manifest(manifest).get(key)
    if entry is None and required:
        raise DataValidationError(f"{path}: not listed in {manifest}; after adding a data file refresh the "
                                  "manifest: evidence_lib.loaders.packaged.write_manifest()")
    raw = path.read_bytes()
    if entry is None or _fingerprint(raw) == entry["sha256"]:
        return
    try:
        rows = f"{_data_rows(raw)} data row(s)"
    except (ValueError, pd.errors.ParserError):
        rows = "unparseable content"
    raise DataValidationError(
        f"{path}: {rows}, SHA-256 {_fingerprint(raw)[:12]}…; {manifest.name} expects {entry['rows']} row(s), "
        f"SHA-256 {entry['sha256'][:12]}…: the file is truncated or was edited{_restore_hint(path)} (after an "
        "intended edit, refresh the manifest: evidence_lib.loaders.packaged.write_manifest())",
        packaged=packaged_name(path))


class _Problems:
    """Collects rule violations of one file and raises them together."""

    def __init__(self, path: Path, keys):
        self.path, self.keys, self.lines = path, list(keys), []

    def where(self, i: int, column: str) -> str:
        """The place of a cell: file, row as a spreadsheet shows it, the row's key, column."""
        return f"{self.path.name}: row {i + 2} ({self.keys[i]}), column '{column}'"

    def __call__(self, i: int, column: str, rule: str, value="") -> None:
        self.add(f"{self.where(i, column)}: {rule}; got {value!r}")

    def add(self, line: str) -> None:
        self.lines.append(line)

    def raise_any(self) -> None:
        if self.lines:
            raise DataValidationError(f"{len(self.lines)} problem(s) in {self.path}:\n" + "\n".join(self.lines))


def _read_text(path: Path, required, manifest_required: bool | None = None) -> pd.DataFrame:
    """Every cell as text ('' when empty); raise when the file cannot be read, differs from the
    manifest (:func:`check_manifest`), repeats or lacks a required column or has no data rows."""
    if not path.exists():
        raise FileNotFoundError(f"data file not found: {path}")
    text = read_text(path, DataValidationError)
    check_manifest(path, manifest_required)
    header = next(csv.reader(io.StringIO(text)), [])
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise DataValidationError(f"{path.name}: header: column(s) {twice} appear more than once; keep one of each")
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataValidationError(f"{path.name}: not a readable CSV ({str(err).strip()})") from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise DataValidationError(f"{path.name}: header: missing required column(s) {missing}")
    return table


def _not_empty(table, path: Path) -> None:
    if table.empty:
        packaged = packaged_name(path)
        raise DataValidationError(f"{path}: header but no data rows{_restore_hint(path) if packaged else ''}",
                                  packaged=packaged)


def _parse(table, columns, problems, *, whole: bool) -> dict[str, np.ndarray]:
    """Parse numeric columns by the package's one rule (:func:`~evidence_lib.core.checks.parse_number`):
    empty cells become NaN (a required column's are reported by :func:`_required_text`), a cell that
    breaks the rule is a problem."""
    out = {}
    for col in columns:
        values = np.full(len(table), np.nan)
        for i, text in enumerate(table[col]):
            try:
                if text != "":
                    values[i] = parse_number(text, problems.where(i, col), whole=whole)
            except ValueError as err:
                problems.add(str(err))
        out[col] = values
    return out


def _decimals(text: str) -> float:
    """Decimal places as printed ("0.22": 2, "1.5e-3": 4); NaN for an empty cell."""
    if text.strip() == "":
        return np.nan
    mantissa, _, exponent = text.strip().lower().partition("e")
    return max(0, len(mantissa.partition(".")[2]) - int(exponent or 0))


def _vocabulary(table, column, allowed, problems, *, allow_empty=False) -> None:
    for i, text in enumerate(table[column]):
        if not (text in allowed or (allow_empty and text == "")):
            problems(i, column, f"must be one of {list(allowed)}", text)


def _required_text(table, columns, problems) -> None:
    for col in columns:
        for i, text in enumerate(table[col]):
            if text.strip() == "":
                problems(i, col, "must not be empty")


def estimate_or_midpoint(measure: str, est: float, lo: float, hi: float) -> tuple[float, bool]:
    """The reported estimate, else the CI midpoint on the analysis scale (log for ratios);
    NaN when there is no CI, or a ratio bound is not positive (no log scale to take it on)."""
    if not np.isnan(est):
        return est, False
    if np.isnan(lo) or np.isnan(hi) or (is_ratio(measure) and min(lo, hi) <= 0):
        return np.nan, False
    mid = (to_analysis_scale(lo, measure) + to_analysis_scale(hi, measure)) / 2
    return float(from_analysis_scale(mid, measure)), True


def _check_published_row(i, text, v, problems) -> None:
    est, lo, hi = v["estimate"][i], v["ci_low"][i], v["ci_high"][i]
    has_ci = not (np.isnan(lo) and np.isnan(hi))
    if np.isnan(lo) != np.isnan(hi):
        problems(i, "ci_low" if np.isnan(lo) else "ci_high", "a CI needs both bounds", "")
    if lo >= hi:
        problems(i, "ci_low", f"ci_low must be < ci_high ({hi:g})", text["ci_low"][i])
    if not np.isnan(est) and lo < hi and not lo <= est <= hi:
        problems(i, "estimate", f"CI ({lo:g} to {hi:g}) must contain the estimate", text["estimate"][i])
    if is_ratio(text["measure"][i]):
        for col in ("estimate", "ci_low", "ci_high"):
            if v[col][i] <= 0:
                problems(i, col, f"{text['measure'][i]} values must be > 0", text[col][i])
    level = v["ci_level"][i]
    if has_ci and not 0 < level < 1:
        problems(i, "ci_level", "a CI needs a level strictly between 0 and 1", text["ci_level"][i])
    for col, low, rule in (("n", 2, "n must be >= 2"), ("k", 1, "k must be >= 1"),
                           ("q_df", 1, "q_df must be >= 1"), ("q", 0, "q must be >= 0"),
                           ("tau2_reported", 0, "tau2_reported must be >= 0")):
        if v[col][i] < low:
            problems(i, col, rule, text[col][i])
    if not np.isnan(v["i2"][i]) and not 0 <= v["i2"][i] <= 100:
        problems(i, "i2", "i2 is a percentage: must lie in [0, 100]", text["i2"][i])

    reported_as = text["reported_as"][i]
    has_est = not np.isnan(est)
    if (has_est or has_ci) and text["measure"][i] == "":
        problems(i, "measure", "a row with figures needs a measure", "")
    expected = {"figures": (True, True), "CI only": (False, True)}.get(reported_as, (False, False))
    if reported_as in REPORTED_AS and (has_est, has_ci) != expected:
        problems(i, "reported_as", f"'{reported_as}' requires estimate {'present' if expected[0] else 'empty'} "
                 f"and CI {'present' if expected[1] else 'empty'}", reported_as)


def result_counts(published: pd.DataFrame, by) -> pd.DataFrame:
    """Published results per group (``by``: a column or list of columns, missing values kept):
    how many, and how many carry figures (a CI)."""
    return (published.assign(with_figures=published["ci_low"].notna())
            .groupby(by, dropna=False).agg(results=("result_id", "size"), with_figures=("with_figures", "sum")))


def load_published(path=None) -> pd.DataFrame:
    """Read and validate ``data/published_results.csv`` (one row per published pooled result).

    Adds ``estimate_used`` (the reported estimate; when none is printed but a CI is, the CI
    midpoint on the analysis scale, log scale for ratio measures, back-transformed) and
    ``estimate_derived`` (True where the midpoint was used), and ``<col>_decimals`` for the
    columns in :data:`PRINTED_PRECISION` (decimal places as printed, for rounding tolerances).
    Raises :class:`DataValidationError` listing every broken rule.
    """
    table = _read_text(Path(path) if path is not None else PUBLISHED_PATH,
                       PUBLISHED_TEXT + PUBLISHED_DECIMAL + PUBLISHED_INTEGER,
                       manifest_required=True if path is None else None)
    path = Path(path) if path is not None else PUBLISHED_PATH
    _not_empty(table, path)
    problems = _Problems(path, table["result_id"].where(table["result_id"] != "", "no result_id"))
    values = _parse(table, PUBLISHED_DECIMAL, problems, whole=False)
    values |= _parse(table, PUBLISHED_INTEGER, problems, whole=True)
    _required_text(table, ("result_id", "review", "comparison", "outcome", "source"), problems)
    for i in np.flatnonzero(table["result_id"].duplicated() & (table["result_id"] != "")):
        problems(i, "result_id", "result_id must be unique", table["result_id"][i])
    _vocabulary(table, "measure", sorted(PUBLISHED), problems, allow_empty=True)
    _vocabulary(table, "measure_stated", ("yes", "no"), problems)
    _vocabulary(table, "favours_intervention", FAVOURS_CELL, problems)
    _vocabulary(table, "reported_as", REPORTED_AS, problems)
    for i in range(len(table)):
        _check_published_row(i, table, values, problems)
    problems.raise_any()

    out = table.copy()
    for col in PUBLISHED_DECIMAL:
        out[col] = values[col]
    for col in PUBLISHED_INTEGER:
        out[col] = pd.array(values[col], dtype="Int64")  # whole numbers (checked); NaN -> NA
    out["measure_stated"] = table["measure_stated"].eq("yes")
    for col in PRINTED_PRECISION:
        out[f"{col}_decimals"] = pd.array([_decimals(t) for t in table[col]], dtype="Int64")
    used = [estimate_or_midpoint(m, e, lo, hi) for m, e, lo, hi in
            zip(table["measure"], values["estimate"], values["ci_low"], values["ci_high"])]
    out["estimate_used"] = [u for u, _ in used]
    out["estimate_derived"] = [d for _, d in used]
    return out


def trial_outcomes(path=None) -> list[str]:
    """Names of the outcomes with a trial-level file (``data/trials/<outcome>.csv``)."""
    folder = Path(path) if path is not None else TRIALS_DIR
    return sorted(p.stem for p in folder.glob("*.csv"))


def _trial_schema(table, path):
    kinds = [name for name, schema in (("continuous", TRIAL_CONTINUOUS), ("dichotomous", TRIAL_DICHOTOMOUS))
             if schema["integer"][0] in table.columns]
    if len(kinds) != 1:
        raise DataValidationError(
            f"{path.name}: header: needs either continuous columns {sum(TRIAL_CONTINUOUS.values(), ())} "
            f"or dichotomous columns {sum(TRIAL_DICHOTOMOUS.values(), ())}, not {'both' if kinds else 'neither'}")
    schema = TRIAL_CONTINUOUS if kinds[0] == "continuous" else TRIAL_DICHOTOMOUS
    missing = [c for c in TRIAL_TEXT + sum(schema.values(), ()) if c not in table.columns]
    if missing:
        raise DataValidationError(f"{path.name}: header: missing required column(s) {missing}")
    return kinds[0], schema


def load_trials(outcome: str, path=None) -> pd.DataFrame:
    """Read and validate the study-level figures for one outcome.

    ``path`` is the folder holding ``<outcome>.csv`` (default ``data/trials``). A file is
    continuous (n, mean, sd per arm) or dichotomous (events, total per arm). Raises ValueError
    for an unknown outcome (listing those available) and :class:`DataValidationError` for
    broken rules.
    """
    folder = Path(path) if path is not None else TRIALS_DIR
    available = trial_outcomes(folder)
    if outcome not in available:
        raise ValueError(f"unknown outcome {outcome!r}; available in {folder}: {available}")
    file = folder / f"{outcome}.csv"
    table = _read_text(file, TRIAL_TEXT, manifest_required=True if path is None else None)
    kind, schema = _trial_schema(table, file)
    _not_empty(table, file)
    keys = (table["study"] + " / " + table["arm"]).where(table["study"] != "", "no study")
    problems = _Problems(file, keys)
    optional = tuple(c for c in TRIAL_OPTIONAL_INTEGER if c in table.columns)
    values = _parse(table, schema["decimal"], problems, whole=False)
    values |= _parse(table, schema["integer"] + optional, problems, whole=True)
    _required_text(table, ("study", "arm", "timepoint", "citation", "source", "verification")
                   + schema["text"] + schema["decimal"] + schema["integer"], problems)
    _vocabulary(table, "arm_role", ARM_ROLES, problems)
    if kind == "continuous":
        _vocabulary(table, "scale_direction", SCALE_DIRECTIONS, problems)
    for i, text in enumerate(table["verification"]):
        if text and not text.startswith(VERIFICATION_PREFIXES):
            problems(i, "verification", f"must start with one of {list(VERIFICATION_PREFIXES)}", text)
    for i in np.flatnonzero(table.duplicated(["study", "arm", "timepoint"])):
        problems(i, "arm", "study, arm and timepoint must be unique", table["arm"][i])
    size = "n" if kind == "continuous" else "total"
    for i in range(len(table)):
        if values[size][i] < 2:
            problems(i, size, f"{size} must be >= 2", table[size][i])
        if kind == "continuous" and values["sd"][i] <= 0:
            problems(i, "sd", "sd must be > 0", table["sd"][i])
        if kind == "dichotomous":
            if values["events"][i] < 0:
                problems(i, "events", "events must be >= 0", table["events"][i])
            if values["events"][i] > values["total"][i]:
                problems(i, "events", f"events must be <= total ({table['total'][i]})", table["events"][i])
        if table["verification"][i].startswith(VERIFICATION_PREFIXES[0]) and (
                len(optional) < 2 or np.isnan(values["metapsy_row_id"][i]) or values["metapsy_arm"][i] not in (1, 2)):
            problems(i, "metapsy_row_id", "a Metapsy-verified row needs metapsy_row_id and metapsy_arm (1 or 2)",
                     table["verification"][i])
    problems.raise_any()

    out = table.copy()
    for col in schema["decimal"]:
        out[col] = values[col]
    for col in schema["integer"] + optional:
        out[col] = pd.array(values[col], dtype="Int64")  # whole numbers (checked); NaN -> NA
    return out
