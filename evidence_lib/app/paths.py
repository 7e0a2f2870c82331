"""Where the project's files are: the data tables (packaged, or the checkout's data/), the
checkout's notebooks and reports, and the workplace material beside a checkout."""

from __future__ import annotations

from pathlib import Path

from evidence_lib.loaders.location import DATA_DIR, shared_dir  # noqa: F401 (where the data layer looks)

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORTS_DIR = REPO_ROOT / "reports"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
