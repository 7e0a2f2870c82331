# Sourced by scripts/test.sh and scripts/report.sh: make sure uv exists and the
# locked environment in .venv is in place (created when missing, reused otherwise).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_PYTHON_DOWNLOADS=never   # use the machine's Python 3.12 (pyenv, see .python-version)

if command -v uv >/dev/null 2>&1; then
    UV=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
    UV=(python3 -m uv)
else
    echo "==> installing uv (once) with pip"
    python3 -m pip install --quiet uv
    UV=(python3 -m uv)
fi

echo "==> syncing .venv from uv.lock (Python 3.12)"
# --compile-bytecode: write the .pyc files once at install; with PYTHONDONTWRITEBYTECODE=1 (set on
# some machines and containers) every kernel would otherwise compile the whole stack from source
# from uv's cache first (works with no network once the packages were fetched), else from the index
sync=(sync --frozen --extra test --python 3.12 --quiet --compile-bytecode)
"${UV[@]}" "${sync[@]}" --offline 2>/dev/null || "${UV[@]}" "${sync[@]}"
.venv/bin/python -m compileall -q -j 0 evidence_lib   # the project itself (an editable install)
export MPLBACKEND=Agg   # this process draws no windows; notebook kernels render inline (notebook_runner)

# PyTensor's compile cache inside the checkout (.cache/pytensor), shared by the test workers, the
# kernels and later runs, unless the caller names one or it cannot be written (evidence_lib.app.paths)
flags=$(.venv/bin/python -c 'import os; from evidence_lib.app.paths import compile_cache_env
print(compile_cache_env(os.environ).get("PYTENSOR_FLAGS", ""))')
if [[ -n "$flags" ]]; then export PYTENSOR_FLAGS="$flags"; fi

# JupyterLab settings shipped with the project: a .py opens as a notebook (jupytext), so
# saving notebooks/NN_name.py in JupyterLab writes both files of the pair (scripts/lab.sh)
lab_settings=.venv/share/jupyter/lab/settings/overrides.d
mkdir -p "$lab_settings" && cp scripts/jupyterlab_settings.json "$lab_settings/evidence_lib.json"
