"""Speed of the bias-aware model averaging (issue 20; not part of the tests).

Run: .venv/bin/python benchmarks/bench_bias_averaging.py

``bias_model_average`` on the Metapsy perinatal comparisons (k = 68, 20 models, the largest a
4-D quadrature) within BUDGET_S; baseline in the same run: ``model_average`` (the four no-bias
models by the exact engine) on the same data, printed as a ratio.
"""

import time

from evidence_lib.bayes.priors import robma_priors
from evidence_lib.loaders.metapsy_selection import select_perinatal_effects
from evidence_lib.questions.bias_averaging import bias_model_average
from evidence_lib.questions.model_averaging import model_average

BUDGET_S = 10.0


def main() -> None:
    studies = select_perinatal_effects().studies
    p = robma_priors()
    model_average(studies, tau_prior=p.heterogeneity, mu_prior=p.effect)  # warm-up
    start = time.perf_counter()
    model_average(studies, tau_prior=p.heterogeneity, mu_prior=p.effect)
    base = time.perf_counter() - start
    start = time.perf_counter()
    res = bias_model_average(studies)
    wall = time.perf_counter() - start
    verdict = "within" if wall < BUDGET_S else "OVER"
    print(f"bias_model_average k = {len(studies)}: {wall:5.2f} s ({verdict} the {BUDGET_S:.0f} s budget); "
          f"model_average (4 no-bias models) {base:6.3f} s, ratio {wall / base:6.1f}x; "
          f"bf_bias {res.bf_bias:.3g}")


if __name__ == "__main__":
    main()
