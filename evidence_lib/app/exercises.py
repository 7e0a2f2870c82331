"""Student exercises generated from the solution notebooks.

A solution notebook ``notebooks/NN_exercise_*.py`` marks each answer cell with the tag
``solution`` (``# %% tags=["solution"]`` or ``# %% [markdown] tags=["solution"]``). The
student version in ``exercises/`` opens with a short note on how to work through it and
has, in place of that cell, a hint and an empty cell
(``# your code here`` or *Your answer here.*). The hint is either a code cell's leading
``# HINT: ...`` comment lines or, when the markdown cell just before it is tagged
``hint``, that cell (kept in both versions). A solution cell with neither is an error. Untagged cells, such as the checks that follow an answer, are
kept so students can test their own answers; every code cell after the first answer runs
inside ``with check_answer():`` (:mod:`evidence_lib.app.answer_checks`), so that until the blank it depends on is filled it prints
"Not done yet" and the name it misses instead of raising ``NameError`` (a wrong answer still
fails its assertion).

Exercises live outside ``notebooks/`` so that nbval and the pair checks, which expect
complete notebooks, never collect them. Generation is deterministic (fixed cell ids, no
outputs, sorted JSON; kernel metadata as JupyterLab writes it, from the installed kernel and
the solution's executed ``.ipynb``, so that opening an exercise does not mark it as changed):
a committed exercise is stale exactly when regeneration changes it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import jupytext
import nbformat

from evidence_lib.app.notebook_runner import kernelspec
from evidence_lib.app.paths import NOTEBOOK_DIR, REPO_ROOT
from evidence_lib.core.files import write_atomic

EXERCISE_DIR = REPO_ROOT / "exercises"
HINT_PREFIX = "# HINT:"
STUDENT_NOTE = ("*Exercise.* Run the cells from the top. Where a cell says `# your code here`, write the code "
                "(the hint above it helps); the cell after it checks your answer. Where it says "
                "*Your answer here.*, write a few sentences.")
STUB = {"code": "# your code here", "markdown": "*Your answer here.*"}
CHECK_IMPORT = ("# The checks below say \"not done yet\" until you fill in the blank they check.\n"
                "from evidence_lib.app.answer_checks import check_answer")


def solution_sources(notebook_dir: Path | None = None) -> list[Path]:
    """The solution notebooks ``NN_exercise_*.py`` (default: in notebooks/), in order."""
    return sorted(Path(notebook_dir or NOTEBOOK_DIR).glob("[0-9][0-9]_exercise_*.py"))


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _hint_lines(source: str) -> list[str]:
    lines = []
    for line in source.splitlines():
        if not line.startswith(HINT_PREFIX):
            break
        lines.append(line[len(HINT_PREFIX):].strip())
    return lines


def _student_cells(nb, name: str) -> list[tuple[str, str, list[str]]]:
    """(cell_type, source, tags) of the student version of ``nb``."""
    cells = []
    answered = False  # a solution cell came before: code cells from here on are checks
    for i, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if "solution" not in tags:
            source = cell.source
            if answered and cell.cell_type == "code" and source.strip():
                source = "with check_answer():\n" + textwrap.indent(source, "    ")
                compile(source, f"{name}, cell {i + 1}", "exec")  # the wrapped check is still valid Python
            cells.append((cell.cell_type, source, tags))
            continue
        answered = True
        hint = _hint_lines(cell.source) if cell.cell_type == "code" else []
        previous_is_hint = i > 0 and "hint" in _tags(nb.cells[i - 1])
        if hint:
            cells.append(("markdown", "**Hint:** " + " ".join(hint), ["hint"]))
        elif not previous_is_hint:
            raise ValueError(f"{name}, cell {i + 1}: a solution cell needs a hint: a markdown cell tagged "
                             f"'hint' just before it or, in a code cell, a first line '{HINT_PREFIX} ...'")
        cells.append((cell.cell_type, STUB[cell.cell_type], ["exercise"]))
    if not any(tags == ["exercise"] for _, _, tags in cells):
        raise ValueError(f"{name}: no cell is tagged 'solution', so there is nothing to exercise")
    return cells


def render(source: Path) -> str:
    """The student notebook for one solution source, as the exact text written to disk."""
    source = Path(source)
    solution = jupytext.read(source)
    nb = nbformat.v4.new_notebook()
    executed = source.with_suffix(".ipynb")
    language = nbformat.read(executed, as_version=4).metadata.get("language_info") if executed.exists() else None
    nb.metadata = {
        "kernelspec": kernelspec(),
        "language_info": language or {"name": "python"},
        "jupytext": {"formats": "ipynb"},  # not paired: overrides jupytext.toml for this file
        "evidence_lib": {"generated_from": f"notebooks/{source.name}",
                         "regenerate_with": "evidence-lib exercises"},
    }
    cells = [("markdown", STUDENT_NOTE, ["note"]), ("code", CHECK_IMPORT, ["note"])]
    cells += _student_cells(solution, source.name)
    for i, (cell_type, text, tags) in enumerate(cells, 1):
        make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
        cell = make(text, id=f"cell-{i:02d}")
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def exercise_path(source: Path, exercise_dir: Path | None = None) -> Path:
    """Where the student version of ``source`` is written (default: in exercises/)."""
    return Path(exercise_dir or EXERCISE_DIR) / Path(source).with_suffix(".ipynb").name


def generate(source: Path, dest: Path) -> Path:
    """Write the student version of ``source`` to ``dest``; return ``dest``."""
    return write_atomic(dest, render(source), make_folder=True)


def generate_all(notebook_dir: Path | None = None, exercise_dir: Path | None = None) -> list[Path]:
    """Regenerate every exercise and remove those whose solution is gone; return the written paths."""
    for orphan in _orphans(notebook_dir, exercise_dir):
        orphan.unlink()
    return [generate(s, exercise_path(s, exercise_dir)) for s in solution_sources(notebook_dir)]


def _orphans(notebook_dir: Path | None, exercise_dir: Path | None) -> list[Path]:
    expected = {exercise_path(s, exercise_dir) for s in solution_sources(notebook_dir)}
    return sorted(p for p in Path(exercise_dir or EXERCISE_DIR).glob("*.ipynb") if p not in expected)


def stale(notebook_dir: Path | None = None, exercise_dir: Path | None = None) -> list[Path]:
    """Exercises that are missing, differ from what their solution generates, or have no solution."""
    out = [dest for s in solution_sources(notebook_dir)
           if not (dest := exercise_path(s, exercise_dir)).exists()
           or dest.read_text(encoding="utf-8") != render(s)]
    return sorted(out + _orphans(notebook_dir, exercise_dir))
