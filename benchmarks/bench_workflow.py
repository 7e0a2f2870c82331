"""Wall-clock time of the two commands a user runs, serially and as shipped (not part of the tests).

Run: .venv/bin/python benchmarks/bench_workflow.py [--only main|tests] [NOTEBOOK ...]

Times, in the same run, the main job (``bash scripts/report.sh``, i.e. ``evidence-lib run``)
with ``--jobs 1`` and as shipped (one notebook per core), and the test command
(``bash scripts/test.sh``) with ``-n 0`` and as shipped (pytest-xdist ``-n auto``), and prints
both and the ratio serial / shipped per command. The shipped variant runs first, so caches it
warms (bytecode, PyTensor's compile directory) favour the serial run: the ratio is conservative.
Notebook stems or prefixes (e.g. ``00 03``) restrict the main job. Each command's exit code is
printed; a failing command still gets its time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "main": (["bash", "scripts/report.sh"], ["--jobs", "1"]),
    "tests": (["bash", "scripts/test.sh", "-q"], ["-n", "0"]),
}


def timed(argv: list[str]) -> tuple[float, int, str]:
    """Wall seconds, exit code and last output line of ``argv`` run from the repository root."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wall = time.perf_counter() - start
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return wall, done.returncode, lines[-1] if lines else ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(COMMANDS), help="time one command only")
    parser.add_argument("notebooks", nargs="*", help="main job: only these notebooks")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} core(s); load average {os.getloadavg()[0]:.1f} at the start")
    failed = 0
    for name in [args.only] if args.only else list(COMMANDS):
        base, serial = COMMANDS[name]
        base = base + args.notebooks if name == "main" else base
        times = {}
        for label, extra in (("shipped", []), ("serial", serial)):
            wall, code, last = timed(base + extra)
            times[label] = wall
            failed += code != 0
            print(f"{name:5s} {label:7s} {wall:7.1f} s  exit {code}  | {last[:100]}", flush=True)
        print(f"{name:5s} serial / shipped = {times['serial'] / times['shipped']:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
