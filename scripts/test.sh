#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: unit, parity and golden tests,
# notebook pair checks, and every notebook under nbval (lax mode), on every core
# (pytest-xdist; --dist loadscope keeps each notebook's cells, and each test module, on one
# worker, in order). The notebooks come first: they are the longest, so the workers finish
# together. Serial run: bash scripts/test.sh -n 0
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
echo "==> running tests and notebooks"
exec .venv/bin/python -m pytest notebooks tests --nbval-lax -p no:cacheprovider -n auto --dist loadscope "$@"
