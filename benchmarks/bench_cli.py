"""Start-up time of the command line against a bare interpreter timed in the same run (issue 21:
``evidence-lib readings --studies FILE`` at k = 3 under 1 s of wall time; not part of the tests).

Run: .venv/bin/python benchmarks/bench_cli.py [--repeats N]

Times, interleaved so that a busy machine slows all three alike, ``python -c pass`` (the
baseline), ``evidence-lib --help`` and ``evidence-lib readings --studies FILE --favours lower``
on a three-study file, each as a fresh process; prints the median wall and CPU (user + system)
seconds, the ratio of each to the baseline, and whether the readings command is within its
budget. What the readings command must not import is pinned by
tests/test_cli.py::test_readings_of_a_studies_file_imports_no_sampler_or_plotting.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET = 1.0  # seconds of wall time for `readings --studies` (k = 3) on the project's 2-core machine
STUDIES = "study,yi,sei\nA,-0.53,0.21\nB,-0.10,0.15\nC,0.05,0.18\n"


def run(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``argv``; fails loudly on a non-zero exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7, help="runs of each command (7); medians are reported")
    args = parser.parse_args(argv)
    cli = str(Path(sys.executable).with_name("evidence-lib"))
    with tempfile.TemporaryDirectory() as tmp:
        studies = Path(tmp) / "studies.csv"
        studies.write_text(STUDIES)
        commands = {"python -c pass": [sys.executable, "-c", "pass"],
                    "evidence-lib --help": [cli, "--help"],
                    "readings --studies (k = 3)": [cli, "readings", "--studies", str(studies), "--favours", "lower"]}
        print(f"{os.cpu_count()} core(s); load average {os.getloadavg()[0]:.1f} at the start; "
              f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
        for argv_ in commands.values():  # once each, unmeasured: file-system caches warm
            run(argv_)
        times = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, argv_ in commands.items():
                times[name].append(run(argv_))
    base_wall = statistics.median(w for w, _ in times["python -c pass"])
    base_cpu = statistics.median(c for _, c in times["python -c pass"])
    for name, runs in times.items():
        wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
        print(f"{name:28s} wall {wall:6.3f} s ({wall / base_wall:5.1f}x python)   "
              f"CPU {cpu:6.3f} s ({cpu / max(base_cpu, 1e-3):5.1f}x python)")
    wall = statistics.median(w for w, _ in times["readings --studies (k = 3)"])
    within = wall <= BUDGET
    print(f"readings --studies: {wall:.2f} s wall, budget {BUDGET:.1f} s: {'within' if within else 'OVER'}"
          f" (load average {os.getloadavg()[0]:.1f} at the end)")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
