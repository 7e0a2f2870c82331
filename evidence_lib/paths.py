"""Where the project's files are: the repository's data/ and the shared material beside it."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
REPORTS_DIR = REPO_ROOT / "reports"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"


def shared_dir() -> Path:
    """``../shared`` beside the checkout, or ``$EVIDENCE_LIB_SHARED`` when set."""
    return Path(os.environ.get("EVIDENCE_LIB_SHARED", REPO_ROOT.parent / "shared"))
