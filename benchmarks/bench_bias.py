"""Speed of the frequentist publication-bias suite (not part of the tests).

Run: .venv/bin/python benchmarks/bench_bias.py

The suite on the Metapsy perinatal comparisons committed with the tests
(tests/reference/metapsy_perinatal_studies.csv, k = 68, more than the k = 62 of the budget):
regtest (rma REML and lm; sei, vi, ninv would need sample sizes, so sei and vi), PET-PEESE,
ranktest, trimfill (L0 and R0), fsn (three types) and selmodel (one and two steps, both
directions). Budget: 1 s for the whole suite. Baseline in the same run: one REML
``random_effects`` fit, printed as a ratio.
"""

import time
import warnings
from pathlib import Path

import pandas as pd

from evidence_lib.core.studies import Studies
from evidence_lib.frequentist.rma import random_effects
from evidence_lib.questions.bias.failsafe import fsn
from evidence_lib.questions.bias.rank import ranktest
from evidence_lib.questions.bias.regression import pet_peese, regtest
from evidence_lib.questions.bias.selection import selmodel
from evidence_lib.questions.bias.trim_and_fill import trimfill

BUDGET_S = 1.0
CSV = Path(__file__).resolve().parents[1] / "tests" / "reference" / "metapsy_perinatal_studies.csv"


def suite(s: Studies) -> None:
    for model in ("rma", "lm"):
        for predictor in ("sei", "vi"):
            regtest(s, model=model, predictor=predictor)
    pet_peese(s, favours="higher")
    ranktest(s)
    for estimator in ("L0", "R0"):
        trimfill(s, estimator=estimator)
    for kind in ("Rosenthal", "Orwin", "Rosenberg"):
        fsn(s, type=kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # weights at their bound are flagged in the result
        for alternative in ("greater", "less"):
            for steps in ((0.025,), (0.025, 0.5)):
                selmodel(s, steps=steps, alternative=alternative)


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    d = pd.read_csv(CSV)
    s = Studies(d["yi"].to_numpy(), d["vi"].to_numpy() ** 0.5, measure="SMD", favours="higher")
    suite(s)  # warm-up (imports, caches)
    baseline = best_of(lambda: random_effects(s, method="REML"), 20)
    wall = best_of(lambda: suite(s), 3)
    verdict = "within" if wall < BUDGET_S else "OVER"
    print(f"bias suite, k = {len(s)}: {wall:.3f} s ({verdict} the {BUDGET_S:.0f} s budget); "
          f"one REML random_effects fit {1e3 * baseline:.2f} ms; ratio {wall / baseline:.0f}x")


if __name__ == "__main__":
    main()
