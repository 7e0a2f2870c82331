"""JupyterLab as the README starts it (scripts/lab.sh): the project's settings are applied, the
file browser reaches notebooks/ and exercises/, and saving a paired .py through the contents API
(what JupyterLab's Save does) writes both files of the pair.

One JupyterLab server on 127.0.0.1, rooted at a temporary copy of the repository's notebook tree
(so the repository is never written), with its own config, settings and workspace folders (so
the user's JupyterLab settings play no part); it is stopped at the end of the module.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jupytext
import pytest

from evidence_lib.app.notebook_runner import kernelspec
from evidence_lib.app.paths import REPO_ROOT

SHIPPED = REPO_ROOT / "scripts" / "jupyterlab_settings.json"
INSTALLED = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / "evidence_lib.json"
TOKEN = "evidence-lib-test"
PAIR = "notebooks/00_start_here"
START_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """A running JupyterLab: ``get``/``put`` call its REST API; ``root`` is the folder it serves."""

    def __init__(self, url: str, root: Path):
        self.url, self.root = url, root

    def call(self, method: str, path: str, body=None, *, raw: bool = False):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {TOKEN}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return text if raw else json.loads(text)

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)

    def put(self, path: str, body):
        return self.call("PUT", path, body)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not INSTALLED.exists():
        pytest.fail(f"{INSTALLED} missing: the project's JupyterLab settings are installed by "
                    f"scripts/_bootstrap.sh (run bash scripts/lab.sh or bash scripts/test.sh once)")
    root = tmp_path_factory.mktemp("repository")
    shutil.copy(REPO_ROOT / "jupytext.toml", root)
    for folder in ("notebooks", "exercises"):
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    home = tmp_path_factory.mktemp("jupyter_home")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "user-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    port = _free_port()
    log = home / "server.log"
    with open(log, "w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
             "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
             f"--ServerApp.root_dir={root}"],
            env=env, cwd=root, stdout=log_file, stderr=subprocess.STDOUT)
    running = Lab(f"http://127.0.0.1:{port}", root)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                running.get("/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.25)
        yield running
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_installed_settings_are_the_shipped_ones():
    assert INSTALLED.exists() and json.loads(INSTALLED.read_text()) == json.loads(SHIPPED.read_text()), (
        f"{INSTALLED} differs from {SHIPPED.relative_to(REPO_ROOT)}: run bash scripts/lab.sh (it re-applies them)")


def test_lab_script_serves_the_repository_root():
    script = (REPO_ROOT / "scripts" / "lab.sh").read_text()
    bootstrap = (REPO_ROOT / "scripts" / "_bootstrap.sh").read_text()
    assert 'cd "$(dirname "${BASH_SOURCE[0]}")/.."' in bootstrap  # the scripts run from the repository root
    assert "_bootstrap.sh" in script and '--ServerApp.root_dir="$PWD"' in script
    assert "unset MPLBACKEND" in script  # figures draw inline in JupyterLab, not with the batch Agg backend


def test_a_py_opens_as_a_jupytext_notebook(lab):
    setting = lab.get("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    # the project's overrides become the schema's defaults; no user setting replaces them here
    assert setting["schema"]["properties"]["defaultViewers"]["default"]["python"] == "Jupytext Notebook"
    assert "defaultViewers" not in setting["settings"]
    page = lab.get("/lab", raw=True)  # the page config lists the jupytext extension that provides that viewer
    assert '"name": "jupyterlab-jupytext"' in page or '"name":"jupyterlab-jupytext"' in page


def test_the_file_browser_reaches_notebooks_and_exercises(lab):
    top = {item["name"]: item["type"] for item in lab.get("/api/contents/")["content"]}
    assert top["notebooks"] == top["exercises"] == "directory"
    exercises = [item["name"] for item in lab.get("/api/contents/exercises")["content"]]
    assert sorted(exercises) == sorted(p.name for p in (REPO_ROOT / "exercises").glob("*.ipynb"))


def test_opening_a_committed_notebook_keeps_its_kernel_metadata(lab):
    """JupyterLab rewrites ``metadata.kernelspec`` with the kernel's spec when the kernel starts;
    a committed notebook that already carries it is not marked as changed."""
    for path in (f"{PAIR}.ipynb", f"{PAIR}.py", "exercises/10_exercise_smd_by_hand.ipynb"):
        model = lab.get(f"/api/contents/{path}?type=notebook&content=1")
        assert model["content"]["metadata"]["kernelspec"] == kernelspec(), path


def test_saving_the_py_without_edits_leaves_both_files_as_committed(lab):
    py, ipynb = lab.root / f"{PAIR}.py", lab.root / f"{PAIR}.ipynb"
    before = py.read_bytes(), ipynb.read_bytes()
    model = lab.get(f"/api/contents/{PAIR}.py?type=notebook&content=1")
    lab.put(f"/api/contents/{PAIR}.py", {"type": "notebook", "format": "json", "content": model["content"]})
    assert (py.read_bytes(), ipynb.read_bytes()) == before


def test_saving_the_py_updates_the_ipynb(lab):
    py, ipynb = lab.root / f"{PAIR}.py", lab.root / f"{PAIR}.ipynb"
    outputs_before = [c.get("outputs") for c in jupytext.read(ipynb).cells if c.cell_type == "code"]
    model = lab.get(f"/api/contents/{PAIR}.py?type=notebook&content=1")
    nb = model["content"]
    edit = "Edited in JupyterLab."
    nb["cells"][0]["source"] += f"\n\n{edit}"
    lab.put(f"/api/contents/{PAIR}.py", {"type": "notebook", "format": "json", "content": nb})
    from_py, from_ipynb = jupytext.read(py), jupytext.read(ipynb)
    assert edit in from_py.cells[0].source and edit in from_ipynb.cells[0].source
    assert [(c.cell_type, c.source) for c in from_py.cells] == [(c.cell_type, c.source) for c in from_ipynb.cells]
    assert [c.get("outputs") for c in from_ipynb.cells if c.cell_type == "code"] == outputs_before  # outputs kept
    assert (REPO_ROOT / f"{PAIR}.py").read_text() != py.read_text()  # the repository's copy is untouched
