"""Where the project's files are: the data tables (packaged, or the checkout's data/), the
checkout's notebooks and reports, and the workplace material beside a checkout; and how a
checkout restores a damaged data file (:func:`restore_hint`: only the application knows that
it runs from a git checkout)."""

from __future__ import annotations

from pathlib import Path

from evidence_lib.loaders.location import DATA_DIR, shared_dir  # noqa: F401 (where the data layer looks)

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORTS_DIR = REPO_ROOT / "reports"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"


def restore_hint(err: BaseException) -> str:
    """For an error about a damaged packaged data file (``DataValidationError.packaged``) when the
    package runs from a git checkout holding that file: the command that restores it, as a clause
    to append to the message; "" otherwise."""
    name = getattr(err, "packaged", None)
    if name is None or not (REPO_ROOT / ".git").exists() or not (REPO_ROOT / "data" / name).exists():
        return ""
    return f" (in this checkout: git checkout -- data/{name})"
