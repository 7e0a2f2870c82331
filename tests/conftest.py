import pytest

from evidence_lib.paths import shared_dir


@pytest.fixture(scope="session")
def shared():
    path = shared_dir()
    if not path.is_dir():
        pytest.fail(f"../shared not found at {path}; CI places it beside the checkout")
    return path
