"""Execute the paired notebooks and render them: the project's main job.

Each ``notebooks/NN_name.py`` (jupytext percent format, the source of truth) is executed
top to bottom in a fresh kernel with nbclient (one kernel per core at a time) and rendered twice: ``reports/NN_name.html``
(code and outputs) and ``reports/reader/NN_name.html`` (the reader's edition: text and
outputs, no code). ``reports/index.html`` links them, one card per notebook with its
question, its headline (the output of the cell tagged ``headline``; the page opens with
notebook 00's cell tagged ``bottom-line``) and its main figure
(the first image of the cell tagged ``main-figure``, else the first image). With
``update=True`` the executed outputs are also written back to ``notebooks/NN_name.ipynb``.

Guards: kernels draw figures inline whatever ``MPLBACKEND`` the caller exported; a report
with fewer images than its notebook's outputs is an error, and so is an update that would
leave the committed ``.ipynb`` with fewer figures than before. Files are written whole
(:func:`~evidence_lib.core.files.write_atomic`: temporary file, then rename). A notebook that
fails gets a visible "stale" banner on its earlier report (its card says so) and its traceback
in ``reports/NN_name.log``; the others go on. When a run is stopped (SIGINT or SIGTERM), every report it did not refresh is marked so.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import jupytext
import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupytext.config import load_jupytext_config
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from evidence_lib.app.paths import NOTEBOOK_DIR, REPORTS_DIR, compile_cache_env
from evidence_lib.core.files import write_atomic

#: the kernels' matplotlib backend: inline, so that ``plt.show()`` puts the figure in the output
KERNEL_MPLBACKEND = "module://matplotlib_inline.backend_inline"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
STALE_CLASS = "evidence-lib-stale"


class FigureLoss(ValueError):
    """A rendering or an update would lose figures."""


class Interrupted(Exception):
    """The run was stopped by SIGINT or SIGTERM; the message says what was kept."""


class NotebooksFailed(Exception):
    """Some notebooks failed (the others were rendered); ``errors`` maps each stem to its exception."""

    def __init__(self, errors: dict[str, BaseException], total: int):
        self.errors = errors
        super().__init__(f"{len(errors)} of {total} notebook(s) failed: {', '.join(errors)} (their reports are "
                         f"marked stale; tracebacks in the .log beside each report)")


def notebook_sources(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebook sources ``NN_*.py``, in order."""
    return sorted(p for p in notebook_dir.glob("[0-9][0-9]_*.py"))


def kernel_env() -> dict[str, str]:
    """The caller's environment with the inline matplotlib backend (scripts export Agg) and the
    project's compile cache (:func:`compile_cache_env`)."""
    return {**os.environ, **compile_cache_env(os.environ), "MPLBACKEND": KERNEL_MPLBACKEND}


def kernelspec(name: str = "python3") -> dict[str, str]:
    """The notebook metadata of the installed kernel ``name``, as JupyterLab writes it when the
    kernel starts (so that opening a committed notebook does not mark it as changed)."""
    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def read_source(source: Path) -> nbformat.NotebookNode:
    """A percent-format source read as JupyterLab's jupytext contents manager reads it: with the
    repository's ``jupytext.toml`` (pairing and metadata filters) and the installed python3 kernel."""
    nb = jupytext.read(source, config=load_jupytext_config(str(Path(source).resolve())))
    nb.metadata["kernelspec"] = kernelspec()
    return nb


def execute(source: Path, *, timeout: int = 1200, kernel_stderr=None, clients: set | None = None
            ) -> nbformat.NotebookNode:
    """Execute one percent-format source in a fresh python3 kernel; return the notebook.

    ``kernel_stderr``: a file for the kernel's own stderr (default: discarded). ``clients``: a set
    holding the NotebookClient while it runs, so that another thread can end its kernel
    (:func:`_kill_kernels`). Outside the main thread nbclient installs no signal handlers: the
    runner's main thread handles SIGINT and SIGTERM.
    """
    nb = read_source(source)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no TCP warning in the progress
                            resources={"metadata": {"path": str(source.parent)}})
    # No stand-in for ipywidgets' Output widget (nbclient's default, which sends each captured output
    # back to the kernel on the shell socket, through a plain shadow of the asyncio socket, from the
    # task that reads IOPub): such a send can swallow the edge-triggered readiness of the execute_reply
    # that the other task awaits on the same socket, which is then read only when that poll times out,
    # after the cell's whole timeout (a widget cell such as notebook 03's slider stalled about 1 run in
    # 20; without the stand-in, never in 300). The reports show no widget output anyway (render).
    client.widget_registry = {}
    clients = set() if clients is None else clients
    clients.add(client)
    try:
        client.execute(env=kernel_env(), stderr=kernel_stderr if kernel_stderr is not None else subprocess.DEVNULL)
    except BaseException:
        if getattr(client, "_async_cleanup_kernel_future", None) is not None:  # nbclient's signal handler ran
            raise KeyboardInterrupt from None
        raise
    finally:
        clients.discard(client)
    if getattr(client, "_async_cleanup_kernel_future", None) is not None:  # a signal reached nbclient, which
        raise KeyboardInterrupt  # stopped the kernel; the notebook may still have come back: never "done"
    _drop_live_outputs(nb)
    return nb


def _kill_kernels(clients: set) -> None:
    """SIGKILL the process group of every running kernel (each kernel is its own session)."""
    for client in list(clients):
        provisioner = getattr(getattr(client, "km", None), "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is None:
            continue
        try:
            if getattr(provisioner, "pgid", None):
                os.killpg(provisioner.pgid, signal.SIGKILL)
            else:
                process.kill()
        except (ProcessLookupError, PermissionError):
            pass


def image_outputs(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """(cell index, MIME type, data) of every image output of the notebook's code cells."""
    return [(i, mime, out["data"][mime]) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) for mime in IMAGE_TYPES if mime in out.get("data", {})]


def html_images(text: str) -> int:
    """Number of ``<img>`` elements and inline SVG images in a rendered report."""
    return len(re.findall(r"<img\b", text)) + len(re.findall(r"<svg\b[^>]*>", text))


def _drop_live_outputs(nb: nbformat.NotebookNode) -> None:
    """Drop the widget state and the outputs of cells tagged ``interactive`` (live widgets, meaningful
    only in a running kernel: the widget's view, what it drew once)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if _tagged(cell, "interactive"):
            cell.outputs = []


def _settle(nb: nbformat.NotebookNode, previous: Path) -> None:
    """Keep diffs of a refreshed pair to real changes: drop execution timestamps and reuse the
    committed notebook's cell ids for cells whose source is unchanged (:func:`execute` has dropped
    the widget state and the live cells' outputs already)."""
    old_ids: dict[str, list[str]] = {}
    if previous.exists():
        for cell in nbformat.read(previous, as_version=4).cells:
            old_ids.setdefault(cell.source, []).append(cell.id)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if old_ids.get(cell.source):
            cell.id = old_ids[cell.source].pop(0)


def check_figures_kept(nb: nbformat.NotebookNode, target: Path) -> None:
    """FigureLoss when ``nb`` has fewer image outputs than the committed ``target``."""
    if not target.exists():
        return
    before, after = len(image_outputs(nbformat.read(target, as_version=4))), len(image_outputs(nb))
    if after < before:
        raise FigureLoss(f"{target.name}: the new outputs hold {after} figure(s), the committed notebook "
                         f"{before}; not written (if figures were removed on purpose, delete {target.name} first)")


def _tagged(cell, tag: str) -> bool:
    return tag in cell.metadata.get("tags", [])


def render(nb: nbformat.NotebookNode, stem: str) -> tuple[str, str]:
    """The full report (code and outputs) and the reader's edition (no code, no prompts).

    Cells tagged ``interactive`` (widgets, live in JupyterLab only) show their code without
    outputs in the full report and nothing in the reader's edition; cells tagged ``check``
    (checks, diagnostics, the compact text lines nbval compares) and ``bottom-line`` (shown
    on the landing page) are left out of the reader's edition.
    """
    resources = {"metadata": {"name": stem}}
    for_full = nbformat.from_dict(nb)
    for cell in for_full.cells:
        if _tagged(cell, "interactive"):
            cell.outputs = []
    full, _ = HTMLExporter().from_notebook_node(for_full, resources=resources)
    for_reader = nbformat.from_dict({**nb, "cells": [c for c in nb.cells if not any(
        _tagged(c, tag) for tag in ("check", "interactive", "bottom-line"))]})
    reader, _ = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                             exclude_output_prompt=True).from_notebook_node(for_reader, resources=resources)
    for name, text, shown in (("report", full, for_full), ("reader's edition", reader, for_reader)):
        wanted = len(image_outputs(shown))
        if html_images(text) < wanted:
            raise FigureLoss(f"{stem}: the {name} holds {html_images(text)} image(s), the notebook {wanted}")
    return full, reader


def _first_paragraph_after(label: str, text: str) -> str:
    match = re.search(rf"\*\*{label}\.?\*\*\.?\s*(.+?)(?:\n\s*\n|\n\*\*|$)", text, flags=re.S)
    return " ".join(match.group(1).split()) if match else ""


def tagged_text(nb: nbformat.NotebookNode, tag: str) -> str:
    """The text the cells tagged ``tag`` show: their stdout and their Markdown outputs (a
    sentence displayed with ``el.sentence``), without Markdown emphasis."""
    parts = [out.get("text", "") if out.get("output_type") == "stream" else out.get("data", {}).get("text/markdown", "")
             for c in nb.cells if _tagged(c, tag) for out in c.get("outputs", [])
             if (out.get("output_type") == "stream" and out["name"] == "stdout") or "text/markdown" in out.get("data", {})]
    return re.sub(r"\*\*|__", "", " ".join(p.strip() for p in parts if p.strip()))


def card(nb: nbformat.NotebookNode, stem: str) -> dict:
    """What the landing page shows for one notebook, taken from its executed cells: the
    question, the headline (cells tagged ``headline``), the bottom line of the whole project
    (cells tagged ``bottom-line``, notebook 00) and the main figure."""
    markdown = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    title = re.search(r"^#\s+(.+)$", markdown, flags=re.M)
    tagged = [i for i, c in enumerate(nb.cells) if _tagged(c, "main-figure")]
    images = image_outputs(nb)
    main = [im for im in images if im[0] in tagged] or images
    thumbnail = None
    if main and main[0][1] == "image/png":
        thumbnail = main[0][2] if isinstance(main[0][2], str) else base64.b64encode(main[0][2]).decode()
    return {"stem": stem, "title": title.group(1).strip() if title else stem,
            "question": _first_paragraph_after("Question", markdown) or _first_paragraph_after("Goal", markdown),
            "headline": tagged_text(nb, "headline"), "bottom_line": tagged_text(nb, "bottom-line"),
            "thumbnail": thumbnail, "images": len(images),
            "rendered": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "stale": None}


def _cards_dir(reports_dir: Path) -> Path:
    return reports_dir / "cards"


def mark_stale(reports_dir: Path, stem: str, reason: str) -> bool:
    """Put a banner on the existing reports of ``stem`` and flag its card; False if none exist."""
    banner = (f'<div class="{STALE_CLASS}" style="background:#fde2e1;border:2px solid #b3261e;padding:0.8em;'
              f'margin:0.5em;font:16px sans-serif">Stale report: {html.escape(reason)} What follows is '
              f'from an earlier run.</div>')
    found = False
    for path in (reports_dir / f"{stem}.html", reports_dir / "reader" / f"{stem}.html"):
        if not path.exists():
            continue
        found = True
        text = path.read_text(encoding="utf-8")
        text = re.sub(rf'<div class="{STALE_CLASS}".*?</div>', "", text, count=1, flags=re.S)
        text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, text, count=1)
        write_atomic(path, text, make_folder=True)
    card_path = _cards_dir(reports_dir) / f"{stem}.json"
    if card_path.exists():
        data = json.loads(card_path.read_text(encoding="utf-8"))
        write_atomic(card_path, json.dumps({**data, "stale": reason}), make_folder=True)
    return found


def write_index(reports_dir: Path, sources: list[Path]) -> Path:
    """``reports/index.html``: one card per notebook, in reading order."""
    cards, bottom = [], ""
    for source in sources:
        stem = source.stem
        path = _cards_dir(reports_dir) / f"{stem}.json"
        if not path.exists() or not (reports_dir / f"{stem}.html").exists():
            cards.append(f'<section class="card missing"><h2>{html.escape(stem)}</h2><p>Not rendered yet: '
                         f'<code>bash scripts/report.sh {stem[:2]}</code></p></section>')
            continue
        c = json.loads(path.read_text(encoding="utf-8"))
        bottom = bottom or c.get("bottom_line", "")
        thumb = (f'<img src="data:image/png;base64,{c["thumbnail"]}" alt="main figure of {html.escape(stem)}">'
                 if c["thumbnail"] else "")
        stale = f'<p class="stale">Stale: {html.escape(c["stale"])}</p>' if c["stale"] else ""
        headline = f'<p class="headline">{html.escape(c["headline"])}</p>' if c["headline"] else ""
        cards.append(
            f'<section class="card"><h2>{html.escape(stem[:2])} · {html.escape(c["title"])}</h2>{stale}'
            f'<p class="question">{html.escape(c["question"])}</p>{headline}{thumb}'
            f'<p class="links"><a href="reader/{stem}.html">read (no code)</a> · '
            f'<a href="{stem}.html">full report with code</a> · {c["images"]} figure(s) · '
            f'rendered {html.escape(c["rendered"])}</p></section>')
    bottom_line = f'<p class="bottom-line"><strong>The bottom line.</strong> {html.escape(bottom)}</p>' if bottom else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>evidence_lib reports</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 16px/1.45 system-ui, sans-serif; max-width: 1180px; margin: 1.5em auto; padding: 0 1em; color: #222; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 1em; }}
.card {{ border: 1px solid #ccc; border-radius: 6px; padding: 0.8em 1em; overflow: hidden; }}
.card h2 {{ font-size: 1.1em; margin: 0 0 0.4em; }}
.card img {{ width: 100%; height: auto; max-height: 320px; object-fit: cover; object-position: top; border: 1px solid #eee; }}
.headline {{ font-size: 0.92em; background: #f5f5f5; padding: 0.4em 0.6em; border-left: 3px solid #888; }}
.bottom-line {{ font-size: 1.1em; background: #eef3f8; padding: 0.7em 1em; border-left: 4px solid #1f5f99; }}
.stale {{ color: #b3261e; font-weight: bold; }}
.links {{ font-size: 0.9em; }}
</style></head><body>
<h1>Parent–infant psychotherapy: the published evidence read twice</h1>
{bottom_line}
<p>Three published meta-analyses (Barlow et al. 2015, Sleed et al. 2023, Huang et al. 2019) read as
the reviews read them (estimate, 95 % confidence interval, p) and as Bayesian hierarchical models
(posterior, credible interval, probability of benefit). Each card: the notebook's question, its
headline numbers from this run, its main figure, and links to the reader's edition (text and
figures) and the full report (with code). Every published result with both readings:
<a href="readings.csv">readings.csv</a>.</p>
<div class="cards">
{chr(10).join(cards)}
</div></body></html>
"""
    target = reports_dir / "index.html"
    write_atomic(target, page, make_folder=True)
    return target


def render_committed(reports_dir: Path, notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """Render the committed ``.ipynb`` (outputs as last refreshed, no execution) into
    ``reports_dir`` as the main job would: full report, reader's edition, cards, index.
    Used by scripts/check_reports.sh, so that CI renders nothing twice."""
    written = []
    for source in notebook_sources(notebook_dir):
        nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
        full, reader = render(nb, source.stem)
        write_atomic(reports_dir / f"{source.stem}.html", full, make_folder=True)
        write_atomic(reports_dir / "reader" / f"{source.stem}.html", reader, make_folder=True)
        write_atomic(_cards_dir(reports_dir) / f"{source.stem}.json", json.dumps(card(nb, source.stem)),
                     make_folder=True)
        written += [reports_dir / f"{source.stem}.html", reports_dir / "reader" / f"{source.stem}.html"]
    return [*written, write_index(reports_dir, notebook_sources(notebook_dir))]


def default_jobs() -> int:
    """The number of cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def select(names: list[str] | None, notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """Sources selected by stem or number prefix (e.g. ``["03"]``); all when ``names`` is empty."""
    sources = notebook_sources(notebook_dir)
    if not names:
        return sources
    blank = [n for n in names if not str(n).strip()]
    if blank:
        raise ValueError(f"an empty notebook name {blank[0]!r} would match every notebook; give a stem or a "
                         f"number prefix such as 03, or no name to run all")
    chosen = [s for s in sources if any(s.stem == n or s.stem.startswith(n) for n in names)]
    if not chosen:
        raise ValueError(f"no notebook matches {names}; have {[s.stem for s in sources]}")
    return chosen


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def last_line(err: BaseException) -> str:
    """The exception's last line, e.g. ``RuntimeError: broken on purpose`` (a cell's error as the kernel
    raised it), without terminal colours."""
    if getattr(err, "ename", None):  # nbclient's CellExecutionError
        text = f"{err.ename}: {err.evalue}"
    else:
        lines = str(err).strip().splitlines()
        text = f"{type(err).__name__}: {lines[-1]}" if lines else type(err).__name__
    return ANSI.sub("", text).strip()


@dataclass
class _Outcome:
    """What a worker did with one notebook: seconds of execution, figures published, or the error."""
    source: Path
    seconds: float
    figures: int = 0
    error: BaseException | None = None
    kernel_stderr: str = ""


def _run_one(source: Path, clients: set, reports_dir: Path, update: bool) -> _Outcome:
    """Run in a worker thread: execute ``source`` and publish it (:func:`_publish`), so that a worker
    finishes one notebook before it starts the next; never raises (the error is returned)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as kernel_stderr:
        try:
            nb = execute(source, kernel_stderr=kernel_stderr, clients=clients)
        except Exception as err:
            kernel_stderr.seek(0)
            return _Outcome(source, time.perf_counter() - start, error=err, kernel_stderr=kernel_stderr.read())
    seconds = time.perf_counter() - start
    try:
        return _Outcome(source, seconds, figures=_publish(nb, source, seconds, reports_dir, update))
    except Exception as err:
        return _Outcome(source, seconds, error=err)


def _previous_seconds(reports_dir: Path, stem: str) -> float:
    try:
        return float(json.loads((_cards_dir(reports_dir) / f"{stem}.json").read_text(encoding="utf-8"))["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def _publish(nb: nbformat.NotebookNode, source: Path, seconds: float, reports_dir: Path, update: bool) -> int:
    """Render an executed notebook, write its reports and card (and with ``update`` its .ipynb);
    return its number of figures."""
    full, reader = render(nb, source.stem)
    target = source.with_suffix(".ipynb")
    if update:
        check_figures_kept(nb, target)
    write_atomic(reports_dir / f"{source.stem}.html", full, make_folder=True)
    write_atomic(reports_dir / "reader" / f"{source.stem}.html", reader, make_folder=True)
    write_atomic(_cards_dir(reports_dir) / f"{source.stem}.json",
                 json.dumps({**card(nb, source.stem), "seconds": round(seconds, 1)}), make_folder=True)
    if update:
        _settle(nb, target)
        text = jupytext.writes(nb, fmt="ipynb")
        write_atomic(target, text if text.endswith("\n") else text + "\n", make_folder=True)
    (reports_dir / f"{source.stem}.log").unlink(missing_ok=True)
    return len(image_outputs(nb))


def _write_log(path: Path, err: BaseException, kernel_stderr: str) -> None:
    text = "".join(traceback.format_exception(err))
    if kernel_stderr.strip():
        text += "\nkernel stderr:\n" + kernel_stderr
    write_atomic(path, ANSI.sub("", text), make_folder=True)


def run_notebooks(names: list[str] | None = None, *, reports_dir: Path = REPORTS_DIR, update: bool = False,
                  notebook_dir: Path = NOTEBOOK_DIR, jobs: int | None = None, echo=print) -> list[dict]:
    """Execute and render notebooks, ``jobs`` at a time (default :func:`default_jobs`), printing one
    line per notebook as it finishes; the index is written last. Return per-notebook timings in
    reading order.

    ``names`` selects notebooks (see :func:`select`). The notebooks that took longest in the last
    run start first (their cards keep the time); without a last run (a fresh clone), the longest
    sources first, which picks the slow notebooks as well. Each notebook runs in its own kernel with its own
    seeds, so results do not depend on ``jobs``. A failing notebook costs one line ("NN_name failed:
    <last line of the error> (full traceback in reports/NN_name.log)"), its report is marked stale and
    the others go on; :class:`NotebooksFailed` is raised at the end. On SIGINT/SIGTERM the kernels are
    ended, every report not refreshed is marked stale, and :class:`Interrupted` is raised.
    """
    sources = select(names, notebook_dir)
    jobs = default_jobs() if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs (--jobs) must be a whole number of at least 1; got {jobs!r}")
    jobs = min(jobs, len(sources))
    reports_dir.mkdir(parents=True, exist_ok=True)
    start_order = sorted(sources, key=lambda s: (-_previous_seconds(reports_dir, s.stem), -s.stat().st_size))
    timings: dict[str, float] = {}
    failed: dict[str, BaseException] = {}
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    clients: set = set()
    # SIGINT and SIGTERM only set a flag, read between waits: an exception raised at a random point of
    # the main thread could leave a future's lock held and its worker blocked
    stop = threading.Event()
    main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook")
    try:
        echo(f"running {len(sources)} notebook(s), {jobs} at a time")
        futures = {pool.submit(_run_one, source, clients, reports_dir, update): source.stem for source in start_order}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if stop.is_set():
                raise KeyboardInterrupt
            for done in sorted((f.result() for f in finished), key=lambda d: sources.index(d.source)):
                stem, count = done.source.stem, len(timings) + len(failed) + 1
                if done.error is not None:
                    failed[stem] = done.error
                    log = reports_dir / f"{stem}.log"
                    _write_log(log, done.error, done.kernel_stderr)
                    mark_stale(reports_dir, stem, f"the run of {when} failed at {stem}.")
                    echo(f"[{count}/{len(sources)}] {stem} failed: {last_line(done.error)} "
                         f"(full traceback in {reports_dir.name}/{log.name})")
                    continue
                timings[stem] = done.seconds
                echo(f"[{count}/{len(sources)}] {stem} done in {done.seconds:.1f} s, {done.figures} figure(s) -> "
                     f"{reports_dir.name}/{stem}.html")
    except KeyboardInterrupt:
        running = [stem for future, stem in futures.items() if future.running()]
        pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + 60
        while not all(future.done() for future in futures) and time.monotonic() < deadline:
            _kill_kernels(clients)  # again and again: a kernel may have been starting
            wait(futures, timeout=0.1)
        refreshed = {f.result().source.stem for f in futures
                     if f.done() and not f.cancelled() and f.result().error is None}
        reason = f"the run of {when} was interrupted."
        left = [s.stem for s in sources if s.stem not in refreshed and s.stem not in failed]
        stale = [stem for stem in left if mark_stale(reports_dir, stem, reason)]
        write_index(reports_dir, notebook_sources(notebook_dir))
        raise Interrupted(f"interrupted during {', '.join(sorted(running)) or 'start-up'}: {len(refreshed)} report(s) "
                          f"refreshed, {len(stale)} older report(s) marked stale, no partial file written") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    write_index(reports_dir, notebook_sources(notebook_dir))
    if failed:
        raise NotebooksFailed(failed, len(sources))
    return [{"notebook": s.stem, "seconds": round(timings[s.stem], 1)} for s in sources]
