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


def _snapshot(folder) -> dict:
    """Every entry under ``folder``: the bytes of regular files, the target of links, the kind of others."""
    import hashlib

    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_symlink():
            out[p] = ("link", os.readlink(p))
        elif p.is_file():
            out[p] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[p] = "dir" if p.is_dir() else "special"
    return out


@pytest.fixture
def cli_case(tmp_path, capsys):
    """Run one row of a hostile-input CLI table in-process: ``run(files, argv, code, words)``.

    ``files`` maps a name under tmp_path to its text or bytes, ``("fifo",)`` (a named pipe) or
    ``("link", target)`` (a symbolic link); ``{tmp}`` in ``argv`` is tmp_path. Checks the exit
    code (argparse's SystemExit included), that no traceback reaches stderr, the words (stderr
    on a refusal, else stdout and stderr) and, on a refusal, one error line, no table, and every
    entry under tmp_path (inputs and earlier outputs) unchanged with nothing added.
    """
    from evidence_lib.app.cli import main

    def run(files, argv, code, words):
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if content == ("fifo",):
                os.mkfifo(path)
            elif isinstance(content, tuple):
                path.symlink_to(content[1])
            else:
                path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        before = _snapshot(tmp_path)
        try:
            got = main([a.format(tmp=tmp_path) for a in argv])
        except SystemExit as stop:  # argparse refuses an option: usage lines, one error line, exit 2
            got = stop.code
        out, err = capsys.readouterr()
        assert got == code, (out, err)
        assert "Traceback" not in err
        for word in words:
            assert word in (err if code else out + err), (out, err)
        if code:
            assert len([line for line in err.splitlines() if "error:" in line]) == 1 and out == "", (out, err)
            assert _snapshot(tmp_path) == before  # nothing created, nothing overwritten
        return out, err

    return run
