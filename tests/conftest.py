"""Shared fixtures. Material outside the repository is optional for a user, required in CI.

- ``shared``: this workplace's ``../shared`` (seed documents, the tables the data files copy).
  A user's clone has no such folder: those checks skip with the reason, and fail under
  ``CI=true``, where the folder is always laid beside the checkout.
- ``metapsy_csv``: the pinned Metapsy database, found by the library's own loader (``$EVIDENCE_LIB_METAPSY``,
  else the copy shipped in ``data/metapsy/``, so no network and no ``../shared`` are needed);
  when none is reachable (the shipped copy removed, no shared copy, cache or network) the
  tests that need it skip with the loader's message (fail under ``CI=true``).
"""

import os

import pytest

from evidence_lib.app.paths import shared_dir


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: CI always has it, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared():
    path = shared_dir()
    if not path.is_dir():
        _unavailable(f"seed documents not available: {path} does not exist (a workplace folder beside the "
                     "checkout; set EVIDENCE_LIB_SHARED to use another)")
    return path


@pytest.fixture(scope="session")
def metapsy_csv():
    from evidence_lib.loaders.metapsy import locate

    try:
        return locate()
    except (OSError, ValueError) as err:  # not found / download failed / checksum
        _unavailable(f"Metapsy database not available: {err}")
