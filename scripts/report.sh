#!/usr/bin/env bash
# Set up (if needed) and run the main job: execute every notebook in order and
# render it to HTML under reports/, with reports/readings.csv.
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
exec .venv/bin/evidence-lib run "$@"
