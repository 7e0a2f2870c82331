"""Where the data tables are: ``evidence_lib/_data`` inside an installed wheel (the repository's
``data/``, shipped by pyproject's ``force-include``), else the ``data/`` folder beside the package
in a checkout; and the workplace's copy of sources (``$EVIDENCE_LIB_SHARED``, else ``shared/``
beside the checkout), which the Metapsy loader tries after the shipped copy."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

_BESIDE_PACKAGE = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    packaged = resources.files("evidence_lib").joinpath("_data")
    return Path(str(packaged)) if packaged.is_dir() else _BESIDE_PACKAGE / "data"


DATA_DIR = _data_dir()


def shared_dir() -> Path:
    """``../shared`` beside the checkout, or ``$EVIDENCE_LIB_SHARED`` when set."""
    return Path(os.environ.get("EVIDENCE_LIB_SHARED", _BESIDE_PACKAGE.parent / "shared"))
