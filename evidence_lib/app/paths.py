"""Where the project's files are: the data tables (packaged, or the checkout's data/), the
checkout's notebooks and reports, and the workplace material beside a checkout."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORTS_DIR = REPO_ROOT / "reports"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"


def _data_dir() -> Path:
    """The data tables: ``evidence_lib/_data`` inside an installed wheel (the repository's
    ``data/``, shipped by pyproject's ``force-include``), else the checkout's ``data/``."""
    packaged = resources.files("evidence_lib").joinpath("_data")
    return Path(str(packaged)) if packaged.is_dir() else REPO_ROOT / "data"


DATA_DIR = _data_dir()


def shared_dir() -> Path:
    """``../shared`` beside the checkout, or ``$EVIDENCE_LIB_SHARED`` when set."""
    return Path(os.environ.get("EVIDENCE_LIB_SHARED", REPO_ROOT.parent / "shared"))
