#!/usr/bin/env bash
# Set up (if needed) and run the main job: execute every notebook in order and render it
# to HTML under reports/ (full report with code, reports/reader/ without code, the landing
# page reports/index.html), with reports/readings.csv.
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
exec .venv/bin/evidence-lib run "$@"
