"""Execute the paired notebooks in order and render them: the project's main job.

Each ``notebooks/NN_name.py`` (jupytext percent format, the source of truth) is
executed top to bottom in a fresh kernel with nbclient and rendered to
``reports/NN_name.html``. With ``update=True`` the executed outputs are also written
back to ``notebooks/NN_name.ipynb``: that is how the committed pair is refreshed.
"""

from __future__ import annotations

import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from evidence_lib.paths import NOTEBOOK_DIR, REPORTS_DIR


def notebook_sources(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebook sources ``NN_*.py``, in order."""
    return sorted(p for p in notebook_dir.glob("[0-9][0-9]_*.py"))


def execute(source: Path, *, timeout: int = 1200) -> nbformat.NotebookNode:
    """Execute one percent-format source in a fresh python3 kernel; return the notebook."""
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no TCP warning in the progress
                   resources={"metadata": {"path": str(source.parent)}}).execute()
    return nb


def _settle(nb: nbformat.NotebookNode, previous: Path) -> None:
    """Keep diffs of a refreshed pair to real changes: drop execution timestamps and reuse the
    committed notebook's cell ids for cells whose source is unchanged (each id once)."""
    old_ids: dict[str, list[str]] = {}
    if previous.exists():
        for cell in nbformat.read(previous, as_version=4).cells:
            old_ids.setdefault(cell.source, []).append(cell.id)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if old_ids.get(cell.source):
            cell.id = old_ids[cell.source].pop(0)


def run_notebooks(names: list[str] | None = None, *, reports_dir: Path = REPORTS_DIR,
                  update: bool = False, notebook_dir: Path = NOTEBOOK_DIR, echo=print) -> list[dict]:
    """Execute and render notebooks in order, printing progress; return per-notebook timings.

    ``names`` selects notebooks by stem or number prefix (e.g. ``["03"]``); default all.
    Raises the first execution error after reporting which notebook failed.
    """
    sources = notebook_sources(notebook_dir)
    if names:
        sources = [s for s in sources if any(s.stem == n or s.stem.startswith(n) for n in names)]
        if not sources:
            raise ValueError(f"no notebook matches {names}; have {[s.stem for s in notebook_sources(notebook_dir)]}")
    reports_dir.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()
    timings = []
    for i, source in enumerate(sources, 1):
        echo(f"[{i}/{len(sources)}] {source.stem} ...", end=" ", flush=True)
        start = time.perf_counter()
        try:
            nb = execute(source)
        except Exception:
            echo("FAILED")
            raise
        seconds = time.perf_counter() - start
        html, _ = exporter.from_notebook_node(nb)
        (reports_dir / f"{source.stem}.html").write_text(html, encoding="utf-8")
        if update:
            target = source.with_suffix(".ipynb")
            _settle(nb, target)
            jupytext.write(nb, target)
        echo(f"done in {seconds:.1f} s -> {reports_dir.name}/{source.stem}.html")
        timings.append({"notebook": source.stem, "seconds": round(seconds, 1)})
    return timings
