#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: unit, parity and golden tests,
# notebook pair checks, and every notebook under nbval (lax mode).
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
echo "==> running tests and notebooks"
exec .venv/bin/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider "$@"
