"""The main job's guards: figures reach the reports, updates keep figures, stopped runs leave
no partial file and mark what they did not refresh; the landing page and reader's edition."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from evidence_lib.app import notebook_runner as nr

PLOT = '''# %% [markdown]
# # A plot
#
# **Question.** Does a figure reach the report?
#
# **Answer.** Yes.

# %%
import matplotlib.pyplot as plt
plt.plot([0, 1], [1, 0])
plt.show()

# %% tags=["headline"]
print("headline: 1 figure")

# %% tags=["check"]
# NBVAL_CHECK_OUTPUT
print("a line for nbval only")

# %% tags=["interactive"]
print("an output for JupyterLab only")
'''
TEXT = '''# %% [markdown]
# # Text only

# %%
print("no figure")
'''
FAIL = '''# %%
raise RuntimeError("broken on purpose")
'''


def _notebooks(folder: Path, **sources: str) -> Path:
    folder.mkdir(exist_ok=True)
    for stem, text in sources.items():
        (folder / f"{stem}.py").write_text(text)
    return folder


def _run(tmp_path, names=None, **kw):
    return nr.run_notebooks(names, reports_dir=tmp_path / "reports", notebook_dir=tmp_path / "nb",
                            echo=lambda *a, **k: None, **kw)


def test_figures_reach_both_editions_under_agg(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")   # what scripts/_bootstrap.sh exports
    _notebooks(tmp_path / "nb", **{"01_plot": PLOT})
    _run(tmp_path, update=True)
    reports = tmp_path / "reports"
    full = (reports / "01_plot.html").read_text()
    reader = (reports / "reader" / "01_plot.html").read_text()
    nb = nbformat.read(tmp_path / "nb" / "01_plot.ipynb", as_version=4)
    assert len(nr.image_outputs(nb)) == 1
    assert nr.html_images(full) >= 1 and nr.html_images(reader) >= 1
    assert "hl-ipython3" in full and "hl-ipython3" not in reader   # code cells in the full report only
    assert "NBVAL_CHECK_OUTPUT" not in reader
    assert "a line for nbval only" in full and "a line for nbval only" not in reader
    assert "an output for JupyterLab only" not in reader and full.count("an output for JupyterLab only") == 1  # code
    index = (reports / "index.html").read_text()
    assert 'href="01_plot.html"' in index and 'href="reader/01_plot.html"' in index
    assert "Does a figure reach the report?" in index and "headline: 1 figure" in index
    assert "data:image/png;base64," in index
    assert not list(reports.rglob(".*.tmp*"))

    # an update that would drop the figure is refused and leaves the committed notebook as it was
    committed = (tmp_path / "nb" / "01_plot.ipynb").read_bytes()
    (tmp_path / "nb" / "01_plot.py").write_text(TEXT)
    with pytest.raises(nr.NotebooksFailed) as caught:
        _run(tmp_path, update=True)
    with pytest.raises(nr.FigureLoss, match="hold 0 figure.*committed notebook 1"):
        raise caught.value.errors["01_plot"]
    assert (tmp_path / "nb" / "01_plot.ipynb").read_bytes() == committed


def test_render_refuses_a_report_without_the_notebooks_images(monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})])])
    full, reader = nr.render(nb, "00_x")
    assert nr.html_images(full) == nr.html_images(reader) == 1
    monkeypatch.setattr(nr, "html_images", lambda text: 0)   # as if the exporter had dropped it
    with pytest.raises(nr.FigureLoss, match="00_x: the report holds 0 image"):
        nr.render(nb, "00_x")


def test_a_failing_notebook_costs_one_line_and_the_others_go_on(tmp_path):
    _notebooks(tmp_path / "nb", **{"01_text": TEXT, "02_text": TEXT, "03_text": TEXT})
    _run(tmp_path, ["01"])   # an earlier report of the notebook that will fail
    (tmp_path / "nb" / "01_text.py").write_text(FAIL)
    (tmp_path / "nb" / "03_text.py").write_text(TEXT.replace("no figure", "changed"))
    lines = []
    with pytest.raises(nr.NotebooksFailed) as caught:
        nr.run_notebooks(None, reports_dir=tmp_path / "reports", notebook_dir=tmp_path / "nb", jobs=2,
                         echo=lambda *a, **k: lines.append(" ".join(map(str, a))))
    assert list(caught.value.errors) == ["01_text"] and isinstance(caught.value.errors["01_text"], CellExecutionError)
    assert "1 of 3 notebook(s) failed: 01_text" in str(caught.value)
    failures = [line for line in lines if "failed" in line]
    assert failures == ["[1/3] 01_text failed: RuntimeError: broken on purpose "
                        "(full traceback in reports/01_text.log)"] or failures[0].endswith(
        "01_text failed: RuntimeError: broken on purpose (full traceback in reports/01_text.log)"), lines
    assert len([line for line in lines if " done in " in line]) == 2, lines
    reports = tmp_path / "reports"
    log = (reports / "01_text.log").read_text()
    assert "broken on purpose" in log and "Traceback" in log and "\x1b[" not in log
    for path in (reports / "01_text.html", reports / "reader" / "01_text.html"):
        assert path.read_text().count(nr.STALE_CLASS) == 1, path
    assert json.loads((reports / "cards" / "01_text.json").read_text())["stale"].endswith("failed at 01_text.")
    assert nr.STALE_CLASS not in (reports / "02_text.html").read_text()   # written by this run
    assert "changed" in (reports / "03_text.html").read_text()         # the run went on after the failure
    assert "Stale: the run of" in (reports / "index.html").read_text()
    (tmp_path / "nb" / "01_text.py").write_text(TEXT)
    _run(tmp_path, ["01"])
    assert nr.STALE_CLASS not in (reports / "01_text.html").read_text()
    assert not (reports / "01_text.log").exists()


def test_run_command_lists_the_failures_and_exits_non_zero(tmp_path, monkeypatch, capsys):
    from evidence_lib.app import cli

    _notebooks(tmp_path / "nb", **{"01_fail": FAIL, "02_text": TEXT})
    monkeypatch.setitem(nr.run_notebooks.__kwdefaults__, "reports_dir", tmp_path / "reports")
    monkeypatch.setitem(nr.run_notebooks.__kwdefaults__, "notebook_dir", tmp_path / "nb")
    assert cli.main(["run", "--jobs", "1"]) == 1
    out, err = capsys.readouterr()
    assert "01_fail failed: RuntimeError: broken on purpose (full traceback in reports/01_fail.log)" in out
    assert "02_text done in" in out and "Traceback" not in out + err
    assert err.strip() == ("evidence-lib run: 1 of 2 notebook(s) failed: 01_fail (their reports are marked stale; "
                           "tracebacks in the .log beside each report)")
    assert cli.main(["run", "--jobs", "0"]) == 2


def test_parallel_run_matches_the_serial_one(tmp_path):
    """Each notebook has its own kernel and seeds: outputs do not depend on the number of workers."""
    seeded = '# %%\nimport numpy as np\nprint(np.random.default_rng(7).normal(size=3))\n'
    _notebooks(tmp_path / "nb", **{"01_a": seeded, "02_b": seeded.replace("7", "8"), "03_c": TEXT})
    outputs = {}
    for jobs in (1, 2):
        reports = tmp_path / f"reports{jobs}"
        timings = nr.run_notebooks(None, reports_dir=reports, notebook_dir=tmp_path / "nb", jobs=jobs,
                                   echo=lambda *a, **k: None)
        assert [t["notebook"] for t in timings] == ["01_a", "02_b", "03_c"]   # reading order
        outputs[jobs] = {p.name: re.sub(r"rendered \d{4}-[^<]*|cell-id=\w+", "", p.read_text())  # time, random ids
                         for p in reports.glob("*.html")}
    assert outputs[1] == outputs[2]


SLEEP = '''# %%
import os, pathlib, time
pathlib.Path(os.environ["KERNEL_PID_FILE"]).write_text(str(os.getpid()))
time.sleep(120)
'''


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_ends_the_run_with_one_line(tmp_path, sig):
    # without a last run the longest source starts first: 01, padded, before 02
    _notebooks(tmp_path / "nb", **{"01_text": TEXT + "#" * len(SLEEP) + "\n", "02_sleep": SLEEP})
    pid_file = tmp_path / "kernel.pid"
    # one at a time, so that 01 is refreshed before 02 starts (and the signal comes)
    script = (f"import sys; from evidence_lib.app import cli, notebook_runner as nr; "
              f"nr.run_notebooks.__kwdefaults__.update(reports_dir=__import__('pathlib').Path({str(tmp_path / 'reports')!r}), "
              f"notebook_dir=__import__('pathlib').Path({str(tmp_path / 'nb')!r})); "
              f"sys.exit(cli.main(['run', '--jobs', '1']))")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "KERNEL_PID_FILE": str(pid_file)})
    deadline = time.monotonic() + 120
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err.strip().count("\n") == 0 and "interrupted during 02_sleep" in err, err
    reports = tmp_path / "reports"
    assert not list(reports.rglob(".*.tmp*"))
    assert not (reports / "02_sleep.html").exists()
    assert nr.STALE_CLASS not in (reports / "01_text.html").read_text()   # refreshed before the signal
    kernel, deadline = int(pid_file.read_text()), time.monotonic() + 10
    while _alive(kernel):                                                  # the kernel is gone
        assert time.monotonic() < deadline, f"kernel {kernel} still runs"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("source", nr.notebook_sources(), ids=lambda p: p.stem)
def test_committed_notebook_reads_well(source):
    """What the main job renders from the committed outputs: figures in both editions (render
    raises otherwise), at least one in 02-06, styled HTML tables in 01, 03, 05, 06, no code
    or nbval markers in the reader's edition, no stderr, an opening question and a headline."""
    nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    full, reader = nr.render(nb, source.stem)
    number = source.stem[:2]
    if number in {"02", "03", "04", "05", "06"}:
        assert nr.image_outputs(nb), f"{source.stem}: no figure"
    if number in {"01", "03", "05", "06"}:
        assert '<table id="T_' in reader, f"{source.stem}: no styled HTML table"
    assert "hl-ipython3" not in reader and "NBVAL_CHECK_OUTPUT" not in reader
    stderr = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("name") == "stderr" or o.get("output_type") == "error"]
    assert not stderr, f"{source.stem}: stderr or error output in cells {stderr}"
    if number <= "08":   # the analysis notebooks (the exercises open with their goal)
        info = nr.card(nb, source.stem)
        assert info["question"].endswith("?") and info["headline"], info
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "seed file" not in text and "seed document" not in text and "seed review" not in text


SLIDERS = '# %%\nimport ipywidgets as w\n' + 30 * (
    '\n# %% tags=["interactive"]\nw.interact(lambda value=0.5: print("drawn", value), value=w.FloatLogSlider(value=0.5));\n'
) + '\n# %%\nprint("after the sliders")\n'


def test_widget_cells_run_without_an_output_widget_stand_in(tmp_path, monkeypatch):
    """Cells tagged interactive run for real (notebook 03's slider): without nbclient's stand-in for
    the Output widget, whose sends on the shell socket could hide a cell's reply until its timeout
    (execute's comment), and with nothing of the widgets left in the executed notebook."""
    clients = []

    class Recorded(nr.NotebookClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            clients.append(self)

    monkeypatch.setattr(nr, "NotebookClient", Recorded)
    source = _notebooks(tmp_path / "nb", **{"01_sliders": SLIDERS}) / "01_sliders.py"
    nb = nr.execute(source)
    assert clients[0].widget_registry == {}
    live = [c for c in nb.cells if "interactive" in c.metadata.get("tags", [])]
    assert len(live) == 30 and all(c.execution_count and c.outputs == [] for c in live)
    assert "widgets" not in nb.metadata and "".join(o["text"] for o in nb.cells[-1].outputs) == "after the sliders\n"


def test_kernels_compile_into_the_project_cache_when_they_can(tmp_path, monkeypatch):
    from evidence_lib.app import paths

    cache = tmp_path / "checkout" / ".cache" / "pytensor"
    env = {"PYTENSORRC": str(tmp_path / "absent.rc")}
    assert paths.compile_cache_env({**env, "PYTENSOR_FLAGS": "floatX=float64"}, cache) == {
        "PYTENSOR_FLAGS": f"base_compiledir='{cache}',floatX=float64"} and cache.is_dir()   # created on demand
    assert paths.compile_cache_env(env, cache) == {"PYTENSOR_FLAGS": f"base_compiledir='{cache}'"}
    assert paths.compile_cache_env({**env, "PYTENSOR_FLAGS": "base_compiledir=/elsewhere"}, cache) == {}  # the caller's
    (tmp_path / "own.rc").write_text("[global]\nbase_compiledir = /mine\n")
    assert paths.compile_cache_env({"PYTENSORRC": str(tmp_path / "own.rc")}, cache) == {}   # a config file's
    (tmp_path / "file").write_text("")
    assert paths.compile_cache_env(env, tmp_path / "file" / "pytensor") == {}   # cannot be made: PyTensor's default
    monkeypatch.delenv("PYTENSOR_FLAGS", raising=False)
    monkeypatch.setenv("PYTENSORRC", str(tmp_path / "absent.rc"))
    monkeypatch.setattr(paths, "COMPILE_CACHE", cache)
    assert nr.kernel_env()["PYTENSOR_FLAGS"] == f"base_compiledir='{cache}'"


@pytest.mark.parametrize("folder", ["Bob's work", "a,b", 'x\\y"z', "with space"])
def test_a_compile_cache_path_stays_whole_in_pytensors_flags(tmp_path, folder):
    """PyTensor splits PYTENSOR_FLAGS with shlex on commas: a quote, backslash or comma in the
    checkout's path must neither break ``import pymc`` nor cut the path."""
    from pytensor.configparser import parse_config_string

    from evidence_lib.app import paths

    cache = tmp_path / folder / ".cache" / "pytensor"
    flags = paths.compile_cache_env({"PYTENSORRC": "", "PYTENSOR_FLAGS": "floatX=float64"}, cache)["PYTENSOR_FLAGS"]
    assert parse_config_string(flags) == {"base_compiledir": str(cache), "floatX": "float64"}


def test_an_executed_notebook_keeps_no_widget_state_or_live_outputs():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("interact(f)", metadata={"tags": ["interactive"]}, execution_count=1,
                                  outputs=[nbformat.v4.new_output("display_data", data={"text/plain": "w"})]),
        nbformat.v4.new_code_cell("print(1)", execution_count=2,
                                  outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")])])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nr._drop_live_outputs(nb)  # what execute() does after the run
    assert "widgets" not in nb.metadata
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count == 1 and nb.cells[1].outputs
