"""Where the project's files are: the data tables (packaged, or the checkout's data/), the
checkout's notebooks and reports, and the workplace material beside a checkout; and how a
checkout restores a damaged data file (:func:`restore_hint`: only the application knows that
it runs from a git checkout)."""

from __future__ import annotations

import os
from pathlib import Path

from evidence_lib.loaders.location import DATA_DIR, shared_dir  # noqa: F401 (where the data layer looks)

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORTS_DIR = REPO_ROOT / "reports"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
#: PyTensor's compile cache (its C modules; its numba cache, base_compiledir/numba, holds nutpie's
#: models) inside the checkout, gitignored, shared by test workers, kernels and later runs
COMPILE_CACHE = REPO_ROOT / ".cache" / "pytensor"


def restore_hint(err: BaseException) -> str:
    """For an error about a damaged packaged data file (``DataValidationError.packaged``) when the
    package runs from a git checkout holding that file: the command that restores it, as a clause
    to append to the message; "" otherwise."""
    name = getattr(err, "packaged", None)
    if name is None or not (REPO_ROOT / ".git").exists() or not (REPO_ROOT / "data" / name).exists():
        return ""
    return f" (in this checkout: git checkout -- data/{name})"


def compile_cache_env(env: dict[str, str], cache: Path | None = None) -> dict[str, str]:
    """``PYTENSOR_FLAGS`` with ``base_compiledir`` set to ``cache`` (default :data:`COMPILE_CACHE`,
    created on demand; quoted as PyTensor's shlex parser reads it, so a path with a comma, quote or
    backslash stays whole), the caller's other flags kept; ``{}`` when the caller names a compile
    directory already (in the flags or a PyTensor config file) or the folder cannot be made or
    written (a read-only checkout: PyTensor's default, ~/.pytensor). scripts/_bootstrap.sh and the
    report runner's kernels use it."""
    flags = env.get("PYTENSOR_FLAGS", "")
    configs = env.get("PYTENSORRC", str(Path.home() / ".pytensorrc")).split(os.pathsep)
    named = "base_compiledir" in flags or any(
        Path(c).is_file() and "base_compiledir" in Path(c).read_text(errors="replace") for c in configs if c)
    if named:
        return {}
    cache = COMPILE_CACHE if cache is None else cache
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return {}
    if not os.access(cache, os.W_OK):
        return {}
    quoted = "'" + str(cache).replace("'", "'\"'\"'") + "'"   # always quoted: shlex.quote leaves a comma bare
    return {"PYTENSOR_FLAGS": f"base_compiledir={quoted}" + (f",{flags}" if flags else "")}
