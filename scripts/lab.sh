#!/usr/bin/env bash
# Set up (if needed) and start JupyterLab on the repository root, so that notebooks/ and
# exercises/ are both in its file browser; a paired notebooks/NN_name.py opens as a notebook
# and saving it updates NN_name.ipynb too. Extra arguments go to `jupyter lab`
# (e.g. --no-browser, --allow-root, --port 8889).
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
unset MPLBACKEND   # _bootstrap.sh exports Agg for batch runs; kernels in JupyterLab draw inline
echo "==> starting JupyterLab on $PWD"
exec .venv/bin/jupyter lab --ServerApp.root_dir="$PWD" "$@"
