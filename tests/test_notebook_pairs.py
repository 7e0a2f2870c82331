"""Every notebook is a jupytext pair in sync, and the committed .ipynb carries outputs."""

import jupytext
import pytest
from nbformat import v4, write

from evidence_lib.app.notebook_runner import NOTEBOOK_DIR, _settle, notebook_sources, read_source

SOURCES = notebook_sources()


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_there_are_notebooks():
    assert SOURCES, "no notebooks/NN_*.py found"


def test_every_ipynb_has_its_source():
    orphans = [p.name for p in NOTEBOOK_DIR.glob("*.ipynb") if not p.with_suffix(".py").exists()]
    assert not orphans


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_pair_in_sync(source):
    ipynb = source.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.name} missing: run `evidence-lib run --update {source.stem[:2]}`"
    assert _cells(jupytext.read(source)) == _cells(jupytext.read(ipynb)), (
        f"{source.name} and {ipynb.name} differ: run `evidence-lib run --update {source.stem[:2]}`")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_ipynb_has_outputs(source):
    nb = jupytext.read(source.with_suffix(".ipynb"))
    code = [c for c in nb.cells if c.cell_type == "code"]
    unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert code and not unexecuted, f"{source.stem}: code cells {unexecuted} were never executed"
    assert any(c.get("outputs") for c in code), f"{source.stem}: no outputs at all"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_ipynb_metadata_is_what_jupyterlab_keeps(source):
    """The committed notebook metadata is what the runner writes and what JupyterLab's jupytext
    contents manager reads and saves back unchanged (the installed kernel's spec, the filters of
    jupytext.toml): opening a committed notebook does not mark it as changed."""
    committed = jupytext.read(source.with_suffix(".ipynb")).metadata
    assert committed.pop("language_info")["name"] == "python"  # written by the kernel at execution
    written = jupytext.reads(jupytext.writes(read_source(source), fmt="ipynb"), fmt="ipynb").metadata
    assert committed == written, (
        f"{source.stem}.ipynb metadata differs from what `evidence-lib run --update {source.stem[:2]}` writes")
    assert not source.read_text(encoding="utf-8").startswith("# ---"), f"{source.name}: no YAML header (jupytext.toml)"


def test_refresh_keeps_cell_ids_and_drops_timestamps(tmp_path):
    old = v4.new_notebook(cells=[v4.new_markdown_cell("# a", id="keep-a"), v4.new_code_cell("x = 1", id="keep-x"),
                                 v4.new_code_cell("", id="empty-1"), v4.new_code_cell("", id="empty-2")])
    write(old, tmp_path / "nb.ipynb")
    new = v4.new_notebook(cells=[v4.new_markdown_cell("# a"), v4.new_code_cell("x = 2"), v4.new_code_cell(""),
                                 v4.new_code_cell(""), v4.new_code_cell("")])
    new.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-11-21T00:00:00Z"}
    fresh_x, fresh_last = new.cells[1].id, new.cells[4].id
    _settle(new, tmp_path / "nb.ipynb")
    assert [c.id for c in new.cells] == ["keep-a", fresh_x, "empty-1", "empty-2", fresh_last]
    assert "execution" not in new.cells[1].metadata
