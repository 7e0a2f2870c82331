"""Student exercises: generated from the solution notebooks, deterministic, and committed up to date."""

import json

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from evidence_lib.app import exercises
from evidence_lib.app.answer_checks import check_answer
from evidence_lib.app.notebook_runner import kernel_env

TOY = '''# %% [markdown]
# # Toy exercise

# %%
x = 2

# %% tags=["solution"]
# HINT: square x and call it y.
y = x ** 2

# %%
assert y == 4

# %% [markdown] tags=["hint"]
# **Hint:** think of squares.

# %% [markdown] tags=["solution"]
# Because 2 squared is 4.
'''


@pytest.fixture
def toy(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    source = notebooks / "90_exercise_toy.py"
    source.write_text(TOY)
    return source


def _cells(path):
    nb = json.loads(path.read_text())
    return [(c["cell_type"], "".join(c["source"]), c["metadata"].get("tags", [])) for c in nb["cells"]]


def test_solution_cells_become_hint_and_stub(toy, tmp_path):
    dest = exercises.generate(toy, tmp_path / "out" / "90.ipynb")
    cells = _cells(dest)
    assert ("markdown", "**Hint:** square x and call it y.", ["hint"]) in cells
    assert ("code", "# your code here", ["exercise"]) in cells
    assert ("markdown", "*Your answer here.*", ["exercise"]) in cells
    assert ("code", "with check_answer():\n    assert y == 4", []) in cells  # the check stays for the student
    assert ("code", "x = 2", []) in cells  # set-up before the first answer is not a check
    assert cells[:2] == [("markdown", exercises.STUDENT_NOTE, ["note"]), ("code", exercises.CHECK_IMPORT, ["note"])]
    text = dest.read_text()
    assert "y = x ** 2" not in text and "Because 2 squared" not in text
    assert all(not c.get("outputs") for c in json.loads(text)["cells"])


def test_generation_is_byte_identical_on_rerun(toy, tmp_path):
    first = exercises.generate(toy, tmp_path / "a.ipynb").read_bytes()
    second = exercises.generate(toy, tmp_path / "b.ipynb").read_bytes()
    assert first == second
    assert json.loads(first)["metadata"]["jupytext"] == {"formats": "ipynb"}  # never paired


def test_solution_without_hint_is_an_error(tmp_path):
    source = tmp_path / "91_exercise_bad.py"
    source.write_text('# %%\nx = 1\n\n# %% tags=["solution"]\ny = x\n')
    with pytest.raises(ValueError, match=r"91_exercise_bad.py, cell 2: a solution cell needs a hint"):
        exercises.render(source)


def test_notebook_without_solution_is_an_error(tmp_path):
    source = tmp_path / "92_exercise_empty.py"
    source.write_text("# %%\nx = 1\n")
    with pytest.raises(ValueError, match="no cell is tagged 'solution'"):
        exercises.render(source)


def test_stale_lists_missing_changed_and_orphaned(toy, tmp_path):
    notebooks, out = toy.parent, tmp_path / "exercises"
    assert exercises.stale(notebooks, out) == [out / "90_exercise_toy.ipynb"]  # missing
    assert exercises.generate_all(notebooks, out) == [out / "90_exercise_toy.ipynb"]
    assert exercises.stale(notebooks, out) == []
    toy.write_text(TOY.replace("x = 2", "x = 3"))
    assert exercises.stale(notebooks, out) == [out / "90_exercise_toy.ipynb"]  # changed
    orphan = out / "93_exercise_gone.ipynb"
    orphan.write_text("{}")
    assert orphan in exercises.stale(notebooks, out)
    exercises.generate_all(notebooks, out)
    assert not orphan.exists() and exercises.stale(notebooks, out) == []


def test_the_three_exercises_exist():
    assert [s.stem[:2] for s in exercises.solution_sources()] == ["10", "11", "12"]


def test_committed_exercises_are_up_to_date():
    stale = exercises.stale()
    assert not stale, f"stale exercises {[p.name for p in stale]}: run `evidence-lib exercises`"


@pytest.mark.parametrize("source", exercises.solution_sources(), ids=lambda p: p.stem)
def test_no_answer_leaks_into_the_exercise(source):
    """No assignment from a solution cell (``name = ...``) reappears in a hint or check cell."""
    student = exercises.exercise_path(source).read_text()
    for cell in jupytext.read(source).cells:
        if "solution" in cell.metadata.get("tags", []) and cell.cell_type == "code":
            answer = [line for line in cell.source.splitlines()
                      if " = " in line and not line.startswith(exercises.HINT_PREFIX)]
            leaked = [line for line in answer if json.dumps(line, ensure_ascii=False)[1:-1] in student]
            assert not leaked, f"{source.name}: solution lines in the exercise: {leaked}"


def test_check_answer_says_not_done_yet_for_a_missing_name(capsys):
    with check_answer():
        s_pooled  # noqa: B018, F821 - the blank the student has not filled yet
    assert capsys.readouterr().out.startswith("Not done yet: `s_pooled` is not defined.")
    with pytest.raises(AssertionError, match="wrong"), check_answer():
        assert 1 == 2, "wrong"  # a filled but wrong answer still fails its check


@pytest.mark.parametrize("source", exercises.solution_sources(), ids=lambda p: p.stem)
def test_untouched_exercise_says_not_done_yet_in_every_check(source):
    """The committed student notebook, run from the top as a student who has filled nothing."""
    path = exercises.exercise_path(source)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=kernel_env())  # CellExecutionError if any cell raises
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("with check_answer():")]
    assert checks, f"{path.name}: no check cells"
    for cell in checks:
        stdout = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
        assert "Not done yet: `" in stdout, f"{path.name}, cell {cell.id}: {stdout!r}"
