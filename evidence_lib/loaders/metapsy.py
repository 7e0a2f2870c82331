"""The open Metapsy database of psychotherapy versus control for depression, pinned to one commit.

The file is found, in order: the ``path`` argument; ``$EVIDENCE_LIB_METAPSY``; the copy shipped
with the package (``data/metapsy/data.csv``, licensed ODC-By 1.0, attribution in
``data/metapsy/SOURCE.md``), so that the default needs no network; then, when that copy was
removed, the shared copy ``shared_dir()/data/metapsy-depression-psyctr/data.csv``, the user
cache (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``evidence_lib/``), else it is downloaded from
the pinned commit into the cache. Every copy is checked against the pinned SHA-256 (the shipped
one also against ``data/MANIFEST.json``): a corrupted cached copy is downloaded again (and, if
that fails, the message names the file to delete); a download that does not match is discarded
and the message names the address, not a temporary file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

import pandas as pd

from evidence_lib.loaders.location import DATA_DIR, shared_dir
from evidence_lib.loaders.packaged import check_manifest

DOI = "10.5281/zenodo.7254845"
COMMIT = "ceeabb718db4a8ed6d5c5e265262d6ed7a392b72"
SHA256 = "4695dcf3fb9e8852411ac53aedf592d697743b9bc081569abbe59eefd587d98d"
URL = f"https://raw.githubusercontent.com/metapsy-project/data-depression-psyctr/{COMMIT}/data.csv"
CITATION = ("Cuijpers P, Miguel C, Harrer M, Plessen CY, Ciharova M, Ebert D, Karyotaki E. "
            "Metapsy database of psychotherapy versus control for depression (data-depression-psyctr), "
            f"commit {COMMIT[:7]} (2025-08-29). Zenodo. doi:{DOI}")
ENV_VAR = "EVIDENCE_LIB_METAPSY"
CACHE_NAME = f"metapsy-depression-psyctr-{COMMIT[:7]}.csv"
#: the pinned file as shipped with the package (unmodified; ODC-By 1.0, see SOURCE.md beside it)
PACKAGED = DATA_DIR / "metapsy" / "data.csv"


class ChecksumError(ValueError):
    """A copy of the database is not the pinned file."""


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/evidence_lib`` or ``~/.cache/evidence_lib``."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "evidence_lib"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _verify(path: Path, what: str | None = None) -> Path:
    """``path`` if its SHA-256 is the pinned one; ChecksumError naming ``what`` (default the path)."""
    digest = _sha256(path)
    if digest != SHA256:
        raise ChecksumError(f"{what or path}: SHA-256 {digest} does not match the pinned Metapsy data.csv "
                            f"(commit {COMMIT}, SHA-256 {SHA256}); the file is altered or another version")
    return path


def _download(url: str, dest: Path) -> None:
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def _fetch() -> Path:
    """Download the pinned file into the cache, verifying it before it lands there."""
    target = cache_dir() / CACHE_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        part = Path(tmp) / "data.csv"
        try:
            _download(URL, part)
        except OSError as err:
            raise FileNotFoundError(
                f"Metapsy data.csv is not available locally and the download failed ({err}). Supply the "
                f"file: load_metapsy(path=...) or set ${ENV_VAR}=/path/to/data.csv (commit {COMMIT}, "
                f"SHA-256 {SHA256}, from {URL})") from err
        try:
            _verify(part, what=f"the download from {URL}")
        except ChecksumError as err:
            raise ChecksumError(f"{err}; it was discarded and nothing was saved in {target.parent}") from None
        part.replace(target)
    return target


def locate(path=None) -> Path:
    """The verified database file (see the module docstring for the search order)."""
    if path is None and os.environ.get(ENV_VAR):
        path = os.environ[ENV_VAR]
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Metapsy data.csv not found at {path}")
        return _verify(path)
    if PACKAGED.is_file():
        check_manifest(PACKAGED)
        return _verify(PACKAGED)
    shared, cached = shared_dir() / "data" / "metapsy-depression-psyctr" / "data.csv", cache_dir() / CACHE_NAME
    if shared.is_file():
        return _verify(shared)
    if cached.is_file():
        try:
            return _verify(cached)
        except ChecksumError as bad:
            try:
                return _fetch()  # replaces the corrupted copy
            except (OSError, ChecksumError) as err:
                raise ChecksumError(f"{bad}. Downloading it again failed ({err}); delete the cached copy "
                                    f"({cached}) and retry with a network connection, or supply the file "
                                    f"with ${ENV_VAR}") from None
    return _fetch()


def load_metapsy(path=None, *, target_group: str | None = "ppd") -> pd.DataFrame:
    """Trials of the pinned Metapsy database as a DataFrame, one row per comparison.

    Parses the semicolon-separated file with decimal commas and "NA" for missing values
    (variables: variable_description.json beside data.csv). The unnamed first column, the
    database row id, becomes ``row_id``; ``.id`` is kept. ``target_group`` filters rows
    ("ppd" = women with perinatal depression, 95 rows at the pinned commit); None keeps all.
    """
    file = locate(path)
    table = pd.read_csv(file, sep=";", decimal=",", na_values=["NA"], keep_default_na=False,
                        encoding="utf-8")
    table = table.rename(columns={table.columns[0]: "row_id"})
    if target_group is None:
        return table
    groups = sorted(table["target_group"].dropna().unique())
    if target_group not in groups:
        raise ValueError(f"unknown target_group {target_group!r}; the database has {groups}")
    return table[table["target_group"] == target_group].reset_index(drop=True)
