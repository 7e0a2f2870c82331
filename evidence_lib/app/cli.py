"""evidence-lib: the project's command line.

Commands: run (execute and render the notebooks), exercises (regenerate the student
exercises, or --check that they are current), readings (the frequentist and the
Bayesian reading side by side, for the published results or for a CSV of your own),
worth (model-averaged Bayes factors, a design analysis and what one more trial would
change, for the same inputs) and bias (small-study effects and selective publication:
metafor's methods and a bias-aware model average, for a CSV of study effects).
A malformed input file or an invalid option ends with a one-line message and exit
code 2, never a traceback, and nothing written: every output (--out, --plot) is checked
before any work (not an input file, not another output, not a directory, its folder exists
and is writable) and written to a temporary file in the same folder, then renamed (onto a
symbolic link: written through it, to the file it points to). Only regular files are read.
Ctrl-C or SIGTERM ends any command with one line and exit code 130; a reader that closes
the pipe early (``| head``) ends it quietly with exit code 0.
Help on one command: evidence-lib COMMAND --help.
"""

from __future__ import annotations

import signal
import sys


def _interrupted_on_import(signum, frame):
    print("evidence-lib: interrupted", file=sys.stderr)
    raise SystemExit(130)


if __name__ == "__main__" or sys.argv[0].endswith("evidence-lib"):  # the console script: from its first
    signal.signal(signal.SIGINT, _interrupted_on_import)  # instruction, Ctrl-C gives one line (main takes over)

import argparse  # noqa: E402 (after the handler)
import os  # noqa: E402
import threading  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

from evidence_lib.core.errors import ConvergenceError  # noqa: E402

INTERRUPTED = 130  # as a shell reports a command ended by SIGINT
MAX_N_SIM = 1_000_000  # worth --n-sim: each simulation is an exact refit of the review (2000 take seconds)

USAGE_ERROR = 2
READINGS_COLUMNS = ["measure", "estimate_used", "ci_low", "ci_high", "pval", "post_estimate", "cri_low",
                    "cri_high", "p_benefit", "readings_disagree"]


def _cmd_run(args) -> int:
    import time

    from evidence_lib.app.notebook_runner import Interrupted, NotebooksFailed, run_notebooks

    start = time.perf_counter()
    try:
        timings = run_notebooks(args.notebooks or None, update=args.update, jobs=args.jobs)
    except Interrupted as err:  # SIGINT or SIGTERM: one line, exit 130 like a shell
        print(f"evidence-lib run: {err}", file=sys.stderr)
        return INTERRUPTED
    except NotebooksFailed as err:  # each failure already had its line
        print(f"evidence-lib run: {err}", file=sys.stderr)
        return 1
    total = sum(t["seconds"] for t in timings)
    print(f"all {len(timings)} notebook(s) done in {time.perf_counter() - start:.1f} s wall "
          f"({total:.1f} s of notebook time); HTML in reports/")
    return 0


def _cmd_exercises(args) -> int:
    from evidence_lib.app import exercises
    from evidence_lib.app.paths import REPO_ROOT

    if args.check:
        stale = exercises.stale()
        for path in stale:
            print(f"stale: {path.relative_to(REPO_ROOT)}")
        if stale:
            print("run `evidence-lib exercises` to regenerate them from notebooks/NN_exercise_*.py")
            return 1
        print(f"all {len(exercises.solution_sources())} exercise(s) are up to date")
        return 0
    for path in exercises.generate_all():
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


def _number(text: str) -> float:
    """A number by the rule of the input files (:func:`~evidence_lib.core.checks.parse_number`; float()
    would also take "1_0", "nan" and "inf")."""
    from evidence_lib.core.checks import parse_number

    try:
        return parse_number(text, "")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix(": ")) from None


def _whole(minimum: int, maximum: int | None = None):
    """An argparse type: a whole number in [minimum, maximum] by the same rule (2000, 2000.0 and 2e3
    are the same count; argparse names the option in the error)."""
    def parse(text: str) -> int:
        from evidence_lib.core.checks import parse_number

        try:
            return int(parse_number(text, "", whole=True, minimum=minimum, maximum=maximum))
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err).removeprefix(": ")) from None
    return parse


def _param(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, _number(value)
    except argparse.ArgumentTypeError:
        return key, value


def _prior_set(args):
    from evidence_lib.bayes import priors
    from evidence_lib.published import readings

    if args.prior is None:
        if args.prior_scale is not None or args.prior_param:
            raise ValueError("--prior-scale and --prior-param need --prior NAME")
        return readings.default_prior_set()
    params = {}
    for key, value in args.prior_param:
        if key in params:
            raise ValueError(f"--prior-param {key} is given twice ({params[key]!r} and {value!r}); give it once")
        params[key] = value
    if args.prior_scale is not None:
        if "scale" in params:
            raise ValueError(f"--prior-scale {args.prior_scale:g} and --prior-param scale={params['scale']!r} "
                             "conflict; give the scale once")
        params["scale"] = args.prior_scale
    try:
        tau = priors.get_prior(args.prior, **params)
    except ValueError as err:
        raise ValueError(f"--prior {args.prior}: {err}") from None
    if not isinstance(tau, priors.TauPrior):
        raise ValueError(f"--prior {args.prior!r} is a prior on mu, not on tau; "
                         f"choose one of {sorted(k for k, f in priors.REGISTRY.items() if not k.endswith('_mu'))}")
    return readings.PriorSet(f"{tau.name} tau, flat mu", tau, None)


def _study_reading(path, prior_set, favours):
    """A user's study effects (read once), their REML fit and exact posterior, and both
    readings as one row: ``(studies, fit, post, table)``."""
    from evidence_lib.bayes.exact import exact_posterior
    from evidence_lib.frequentist.rma import random_effects
    from evidence_lib.core.measures import from_analysis_scale
    import pandas as pd

    from evidence_lib.bayes.summaries import summarise
    from evidence_lib.loaders.user_input import InputError, read_studies

    studies = read_studies(path, favours)
    measure = studies.measure
    try:
        fit = random_effects(studies, method="REML", test="z")
        post = exact_posterior(studies, tau_prior=prior_set.tau, mu_prior=prior_set.mu)
    except ValueError as err:
        raise InputError(f"{path.name}: {err}") from None
    bayes = summarise(post, favours=favours)

    def natural(x):
        return from_analysis_scale(x, measure)

    row = {"k": fit.k, "measure": measure or "(as given)", "favours_intervention": favours,
           "prior_set": prior_set.label,
           "estimate": natural(fit.estimate), "ci_low": natural(fit.low), "ci_high": natural(fit.high),
           "pval": fit.pval, "tau": fit.tau, "i2": fit.i2, "q": fit.q,
           "pi_low": natural(fit.pi_low), "pi_high": natural(fit.pi_high),
           "post_estimate": natural(bayes["estimate"]), "cri_low": natural(bayes["low"]),
           "cri_high": natural(bayes["high"]), "p_benefit": bayes["p_benefit"],
           "post_tau": bayes["tau"], "pred_low": natural(bayes["pred_low"]), "pred_high": natural(bayes["pred_high"])}
    import pandas as pd

    return studies, fit, post, pd.DataFrame([row], index=[path.name])


def _summary_readings(path, prior_set) -> pd.DataFrame:
    """Both readings (readings.read_row) of each published summary in a user's CSV."""
    import pandas as pd

    from evidence_lib.published.readings import read_row
    from evidence_lib.loaders.user_input import InputError, read_summaries

    out = {}
    for _, row in read_summaries(path).iterrows():
        try:
            out[row["label"]] = {**row[["measure", "estimate_used", "ci_low", "ci_high"]], **read_row(row, prior_set)}
        except ValueError as err:
            raise InputError(f"{path.name}, row {row['row']}: {err}") from None
    table = pd.DataFrame.from_dict(out, orient="index")
    table.index.name = "label"
    return table


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Text cells and labels starting with = + - @ (or tab, CR) prefixed with a single quote, so that a
    spreadsheet shows them as text instead of running them as a formula (OWASP, CSV injection)."""
    count = 0

    def fix(value):
        nonlocal count
        if isinstance(value, str) and value.startswith(FORMULA_START):
            count += 1
            return "'" + value
        return value

    out = table.copy()
    out.index = out.index.map(fix)
    for col in out.columns[out.dtypes == object]:
        out[col] = out[col].map(fix)
    return out, count


def _check_outputs(outputs: dict, inputs) -> None:
    """Refuse each output (option name -> path) before any work: a directory, in a folder that does not
    exist or cannot be written, an input file, or the same file as another output."""
    seen = {}
    for option, out in outputs.items():
        if out is None:
            continue
        if out.is_dir():
            raise ValueError(f"{option} {out} is a directory; name a file, e.g. {out / 'readings.csv'}")
        target = out.resolve()  # a symbolic link is written through: its target must pass the checks
        if not target.parent.is_dir():
            raise ValueError(f"{option} {out}: folder {target.parent} does not exist")
        if not os.access(target.parent, os.W_OK | os.X_OK):
            raise ValueError(f"{option} {out}: folder {target.parent} is not writable; name a file in another folder")
        for path in inputs:
            if path is not None and (target == Path(path).resolve()
                                     or out.exists() and Path(path).exists() and os.path.samefile(out, path)):
                raise ValueError(f"{option} {out} is the input file {path}: it would be overwritten; name another file")
        if target in seen:
            raise ValueError(f"{option} {out} is also {seen[target]}: one would overwrite the other; name two files")
        seen[target] = f"{option} {out}"


def _write_csv(table, out: Path) -> None:
    """The table as CSV (UTF-8), written whole (:func:`~evidence_lib.core.files.write_atomic`)."""
    from evidence_lib.core.files import write_atomic

    write_atomic(out, table.to_csv())


def _forest_plot(studies, fit, post, args) -> None:
    """The annotated forest plot (plots.forest) of a user's study effects, saved by extension at 150 dpi."""
    import matplotlib

    matplotlib.use("Agg")
    from evidence_lib.figures import plots

    ax = plots.forest(studies, fit=fit, post=post, title=args.title, shrinkage=args.shrinkage, xlim=args.xlim)
    plots.save(ax.figure, args.plot)
    print(f"wrote {args.plot}" + (f" (through the link to {args.plot.resolve()})" if args.plot.is_symlink() else ""))


def _check_favours(args) -> None:
    """--favours goes with --studies (a summaries file has its own favours_intervention column)."""
    if args.favours and not args.studies:
        raise ValueError("--favours applies to --studies only (a summaries file has a favours_intervention column)")
    if args.studies and not args.favours:
        raise ValueError("--studies needs --favours lower|higher: which side of 0 favours the intervention")


def _cmd_readings(args) -> int:
    from evidence_lib.core.display import fmt_p4
    from evidence_lib.loaders.packaged import PUBLISHED_PATH
    from evidence_lib.published.readings import readings_table

    if args.plot and not args.studies:
        raise ValueError("--plot draws the forest plot of --studies FILE; give --studies")
    if args.plot and args.plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ValueError(f"--plot {args.plot}: the file name must end in .png, .svg or .pdf")
    for name in ("title", "shrinkage", "xlim"):
        if getattr(args, name) and not args.plot:
            raise ValueError(f"--{name} sets the forest plot: give --plot FILE.png too")
    if args.xlim and args.xlim[0] >= args.xlim[1]:
        raise ValueError(f"--xlim {args.xlim[0]:g} {args.xlim[1]:g}: LOW must be below HIGH")
    _check_outputs({"--out": args.out, "--plot": args.plot},
                   [args.studies, args.summary] if args.studies or args.summary else [PUBLISHED_PATH])
    prior_set = _prior_set(args)
    _check_favours(args)
    notes = []
    if args.studies:
        studies, fit, post, table = _study_reading(args.studies, prior_set, args.favours)
        shown = table.round(4).assign(pval=table["pval"].map(fmt_p4)).T   # metafor's <0.0001, not a rounded 0.0001
    elif args.summary:
        table = _summary_readings(args.summary, prior_set)
        shown = table[[c for c in READINGS_COLUMNS if c in table]].round(3)
        notes = [f"{label}: {note}" for label, note in table["reading_note"].items()]
    else:
        table = readings_table(prior_set=prior_set).set_index("result_id")
        shown = table.loc[table["ci_low"].notna(), READINGS_COLUMNS].round(3)
        if len(shown) < len(table):
            notes = [f"{len(table) - len(shown)} results published without figures are not shown (--out keeps them)"]
    print(f"prior: {prior_set.label}")
    print(shown.to_string())
    for note in notes:
        print(note)
    if args.out:
        safe, defused = _defuse(table)
        _write_csv(safe, args.out)
        print(f"wrote {args.out}" + (f" (through the link to {args.out.resolve()})" if args.out.is_symlink() else ""))
        if defused:
            print(f"note: {defused} text cell(s) starting with = + - or @ were written with a leading ' so that a "
                  "spreadsheet shows them as text, not as a formula (CSV injection guard, OWASP)")
    if args.plot:
        _forest_plot(studies, fit, post, args)
    return 0


def _cmd_worth(args) -> int:
    """Model averaging, design analysis and next-trial probabilities for a user's file (issue 14)."""
    import numpy as np

    from evidence_lib.questions.design import design_analysis
    from evidence_lib.core.measures import default_threshold, is_ratio
    from evidence_lib.questions.model_averaging import model_average
    from evidence_lib.questions.preposterior import next_trial
    from evidence_lib.published.readings import summary_for_row
    from evidence_lib.loaders.user_input import InputError, read_studies, read_summaries

    from evidence_lib.bayes.priors import normal_mu

    tau_prior = _prior_set(args).tau
    try:
        mu_prior = normal_mu(0.0, args.mu_sd)
    except ValueError as err:
        raise ValueError(f"--mu-sd {args.mu_sd:g}: {err}") from None
    _check_favours(args)
    if args.studies:
        cases = {args.studies.name: read_studies(args.studies, args.favours)}
    else:
        cases = {}
        for _, row in read_summaries(args.summary).iterrows():
            try:
                cases[row["label"]] = summary_for_row(row)
            except ValueError as err:
                raise InputError(f"{args.summary.name}, row {row['row']}: {err}") from None
    print(f"priors: tau {tau_prior.name}; mu N(0, {args.mu_sd:g}^2) (analysis scale)")
    for name, studies in cases.items():
        ratio = is_ratio(studies.measure)
        if studies.measure not in ("SMD", "RR", "OR"):
            raise ValueError(f"{name}: worth needs the measure (SMD, RR or OR) to simulate the next trial; "
                             f"got {studies.measure!r}")
        sign = 1.0 if studies.favours == "higher" else -1.0
        effects = args.true_effect or ([np.log(1.5), np.log(2.0)] if ratio else [0.2, 0.5])
        threshold = args.threshold if args.threshold is not None else default_threshold(studies.measure)
        print(f"\n== {name} (k = {len(studies)}, {studies.measure}, favours {studies.favours})")
        ma = model_average(studies, tau_prior=tau_prior, mu_prior=mu_prior)
        print(ma.table.round(4).to_string(index=False))
        print(f"bf_effect {ma.bf_effect:.4g}, bf_heterogeneity {ma.bf_heterogeneity:.4g}; "
              f"p_benefit_averaged {ma.p_benefit_averaged():.3f} (with the mu = 0 models), "
              f"p_benefit {ma.p_benefit():.3f} (given an effect)")
        design = design_analysis(studies, true_effects=sign * np.abs(effects))
        print(f"design analysis ({design.method}: se {design.se:.4f}, tau {design.tau:.4f}; analysis scale):")
        print(design.table[["true_effect", "power", "type_s", "exaggeration"]].round(4).to_string(index=False))
        nt = next_trial(studies, n_per_arm=args.n_per_arm, n_trials=args.trials, tau_prior=tau_prior, mu_prior=mu_prior,
                        threshold=threshold, target=args.target, control_risk=args.control_risk, n_sim=args.n_sim,
                        random_seed=args.seed, progress=sys.stderr.isatty())  # no bar in a log or pipe
        print(f"next {args.trials} trial(s) of {args.n_per_arm} per arm ({args.n_sim} simulations, seed {args.seed}); "
              f"now p_benefit {nt.current['p_benefit']:.3f}, "
              f"p_benefit_beyond {nt.current['p_benefit_beyond']:.3f} (threshold {threshold:.3g}):")
        print(nt.table.round(4).to_string())
    return 0


def _cmd_bias(args) -> int:
    """Small-study effects and selective publication for a user's study file (issue 20)."""
    from evidence_lib.core.display import fmt_p4
    from evidence_lib.loaders.user_input import read_studies
    from evidence_lib.questions.bias.suite import bias_suite

    if args.plot and args.plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ValueError(f"--plot {args.plot}: the file name must end in .png, .svg or .pdf")
    _check_outputs({"--plot": args.plot}, [args.studies])
    studies = read_studies(args.studies, args.favours)
    suite = bias_suite(studies)
    table = suite.to_frame().set_index("method")
    numbers = table[["estimate", "low", "high", "stat"]]
    shown = numbers.round(3).astype(object).where(numbers.notna(), "")
    shown.insert(3, "stat_type", table["stat_type"].fillna(""))
    shown["pval"] = [fmt_p4(p) if p == p and p is not None else "" for p in table["pval"]]
    shown["note"] = table["note"]
    print(f"{args.studies.name}: k = {len(studies)}, {studies.measure or 'effects as given'} (analysis scale), "
          f"favours {studies.favours}")
    print(shown.to_string())
    if args.bayes:
        from evidence_lib.questions.bias_averaging import bias_model_average

        ma = bias_model_average(studies)
        print(f"bias-aware model averaging (RoBMA's model space and default priors, computed by quadrature): "
              f"bf_effect {ma.bf_effect:.3g}, bf_heterogeneity {ma.bf_heterogeneity:.3g}, bf_bias {ma.bf_bias:.3g}; "
              f"estimate_averaged {ma.estimate_averaged + 0.0:.3f}, cri_low_averaged {ma.low_averaged + 0.0:.3f}, "
              f"cri_high_averaged {ma.high_averaged + 0.0:.3f}, p_benefit_averaged {ma.p_benefit_averaged:.3f} "
              f"(over all models); estimate {ma.estimate + 0.0:.3f}, cri_low {ma.low + 0.0:.3f}, "
              f"cri_high {ma.high + 0.0:.3f}, p_benefit {ma.p_benefit:.3f} (given an effect)")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from evidence_lib.figures import plots

        ax = plots.funnel(studies, fit=None, contours=(0.90, 0.95, 0.99), title=args.title)
        plots.save(ax.figure, args.plot)
        print(f"wrote {args.plot}")
    return 0


def _add_inputs(parser, *, required: bool) -> None:
    """The options ``readings`` and ``worth`` share: the input file and the tau prior."""
    source = parser.add_mutually_exclusive_group(required=required)
    source.add_argument("--studies", type=Path, metavar="FILE.csv", help="a CSV of study effects")
    source.add_argument("--summary", type=Path, metavar="FILE.csv", help="a CSV of published pooled results")
    parser.add_argument("--favours", choices=("lower", "higher"),
                        help="with --studies: the side of 0 that favours the intervention")
    parser.add_argument("--prior", metavar="NAME", help="tau prior by registry name (evidence_lib.bayes.priors.REGISTRY), "
                                                        "e.g. half_normal, half_cauchy, uniform_tau; default "
                                                        "half_normal(0.5)")
    parser.add_argument("--prior-scale", type=_number, metavar="X", help="the prior's scale, e.g. 0.5")
    parser.add_argument("--prior-param", type=_param, action="append", default=[], metavar="KEY=VALUE",
                        help="any other parameter of the prior (repeatable), e.g. df=3")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evidence-lib", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="execute every notebook in order and render HTML to reports/",
        description="Execute notebooks/NN_name.py in order, each in a fresh kernel, and write reports/NN_name.html\n"
                    "(with code), reports/reader/NN_name.html (the reader's edition) and reports/index.html.\n"
                    "A notebook that fails or is interrupted leaves the earlier reports marked stale.",
        epilog="examples:\n  evidence-lib run\n  evidence-lib run 03 --update   # refresh notebooks/03_*.ipynb too",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("notebooks", nargs="*", help="only these notebooks (stem or number prefix, e.g. 03)")
    run.add_argument("--update", action="store_true",
                     help="also write the executed outputs back to notebooks/*.ipynb (refresh the pairs)")
    run.add_argument("--jobs", "-j", type=int, metavar="N",
                     help="notebooks executed at once (default: the number of cores)")
    run.set_defaults(func=_cmd_run)

    ex = sub.add_parser(
        "exercises", help="regenerate exercises/*.ipynb from notebooks/NN_exercise_*.py",
        description="Write the student version of each solution notebook notebooks/NN_exercise_*.py to\n"
                    "exercises/NN_exercise_*.ipynb: every cell tagged 'solution' becomes a hint and a blank\n"
                    "('# your code here' or 'Your answer here.'); the checks after it stay and say \"not done yet\"\n"
                    "until the blank is filled. Exercises whose solution is gone are removed.",
        epilog="examples:\n  evidence-lib exercises\n  evidence-lib exercises --check   # CI: exit 1 if any is stale",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ex.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 listing the exercises that are stale")
    ex.set_defaults(func=_cmd_exercises)

    rd = sub.add_parser(
        "readings", help="frequentist and Bayesian readings side by side",
        description="Without a file: every published result (data/published_results.csv).\n"
                    "--studies FILE: columns study, yi, and sei or vi; optional measure (SMD, MD, RD, RR, OR,\n"
                    "  HR; yi is a log ratio for RR, OR and HR).\n"
                    "--summary FILE: columns label, estimate (blank if only the CI was published),\n"
                    "  ci_low, ci_high (95 %, ratios as ratios), measure (SMD, RR, OR),\n"
                    "  favours_intervention (lower, higher); optional k (<= 10000), q, i2 (percent in [0, 100)), n,\n"
                    "  and i2_definition (Q: RevMan's (Q - df)/Q; tau2: metafor's; needed when i2 is used);\n"
                    "  a row with k >= 2 needs q, i2 or, for an SMD, n (leave k blank to read the estimate alone).\n"
                    "Default prior: half-normal(0.5) on tau, flat on mu.",
        epilog="examples:\n"
               "  evidence-lib readings --out readings.csv\n"
               "  evidence-lib readings --studies trials.csv --favours lower\n"
               "  evidence-lib readings --summary results.csv --prior half_cauchy --prior-scale 0.5\n\n"
               "a studies file:\n  study,yi,sei\n  trial A,-0.53,0.21\n  trial B,-0.10,0.15\n  trial C,0.05,0.18\n\n"
               "a summaries file (a row with k needs q, i2 or, for an SMD, n):\n"
               "  label,estimate,ci_low,ci_high,k,q,n,measure,favours_intervention\n"
               "  secure attachment,8.93,1.25,63.70,2,3.71,,RR,higher\n"
               "  depression,-0.22,-0.46,0.02,4,,356,SMD,lower",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_inputs(rd, required=False)
    rd.add_argument("--out", type=Path, metavar="FILE.csv", help="also save the full table as CSV")
    rd.add_argument("--plot", type=Path, metavar="FILE.png", help="with --studies: save the annotated forest "
                                                                  "plot (.png, .svg or .pdf by extension)")
    rd.add_argument("--title", help="with --plot: the forest plot's title (default: none)")
    rd.add_argument("--shrinkage", action="store_true",
                    help="with --plot: draw each study's Bayesian shrinkage estimate and CrI in its row")
    rd.add_argument("--xlim", type=float, nargs=2, metavar=("LOW", "HIGH"),
                    help="with --plot: x-axis limits on the natural scale (ratios as ratios; must contain the "
                         "null); longer intervals end in arrows")
    rd.set_defaults(func=_cmd_readings)

    wo = sub.add_parser(
        "worth", help="model averaging, design analysis and what one more trial would change",
        description="For each data set: the four-model average (EE/RE x mu = 0/free) with inclusion Bayes factors,\n"
                    "the design analysis of the z test at stated true effects, and the next-trial probabilities.\n"
                    "Files as for `readings` (--studies needs a measure column: SMD, RR or OR).",
        epilog="examples:\n  evidence-lib worth --summary results.csv --n-per-arm 100\n"
               "  evidence-lib worth --studies trials.csv --favours higher --true-effect 0.3 --mu-sd 0.5",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_inputs(wo, required=True)
    wo.add_argument("--mu-sd", type=_number, default=1.0, metavar="SD",
                    help="sd of the N(0, SD^2) prior on mu, analysis scale (default 1; Bayes factors need it proper)")
    wo.add_argument("--true-effect", type=_number, action="append", metavar="X",
                    help="assumed true effect magnitude for the design analysis, analysis scale (repeatable; "
                         "default 0.2 and 0.5 for SMD, log 1.5 and log 2 for ratios)")
    wo.add_argument("--n-per-arm", type=_whole(2, 10**9), default=100, metavar="N",
                    help="size of each new trial's arms (100)")
    wo.add_argument("--trials", type=_whole(1, 1000), default=1, metavar="T", help="number of new trials (1)")
    wo.add_argument("--threshold", type=_number, metavar="X",
                    help="smallest effect that matters, analysis scale (default 0.2 SMD, log 1.25 for ratios)")
    wo.add_argument("--target", type=_number, default=0.9, metavar="P",
                    help="decision target for P(benefit beyond the threshold) (0.9)")
    wo.add_argument("--control-risk", type=_number, metavar="P", help="control arm's event risk (needed for RR/OR)")
    wo.add_argument("--n-sim", type=_whole(1, MAX_N_SIM), default=2000, metavar="N",
                    help=f"simulated next trials (2000; at most {MAX_N_SIM:,})")
    wo.add_argument("--seed", type=_whole(0), default=1, metavar="S", help="random seed (1)")
    wo.set_defaults(func=_cmd_worth)

    bi = sub.add_parser(
        "bias", help="small-study effects and selective publication: the frequentist methods and a bias-aware average",
        description="For a CSV of study effects: Egger's regression test, the rank test, trim and fill, fail-safe N,\n"
                    "PET-PEESE and the 3PSM selection model (metafor parity), each with its adjusted estimate or\n"
                    "a line saying why the data cannot identify it; with --bayes, RoBMA's model average over\n"
                    "effect x heterogeneity x bias computed by quadrature. --plot draws the contour-enhanced funnel.",
        epilog="example:\n  evidence-lib bias --studies trials.csv --favours lower --plot funnel.png",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    bi.add_argument("--studies", type=Path, required=True, metavar="FILE.csv", help="a CSV of study effects")
    bi.add_argument("--favours", choices=("lower", "higher"), required=True,
                    help="the side of 0 that favours the intervention")
    bi.add_argument("--bayes", action=argparse.BooleanOptionalAction, default=True,
                    help="also the bias-aware Bayesian model average (default on)")
    bi.add_argument("--plot", type=Path, metavar="FILE.png", help="the contour-enhanced funnel plot (.png, .svg, .pdf)")
    bi.add_argument("--title", metavar="TEXT", help="a title for the funnel plot")
    bi.set_defaults(func=_cmd_bias)
    return parser


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # first: Ctrl-C or SIGTERM during the (slow) imports below ends with one line, not a traceback
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler), signal.signal(signal.SIGTERM, _stop)
    command = "evidence-lib"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command = f"evidence-lib {args.command}"

        def one_line(message, category, *_args, **_kwargs):
            print(f"{command}: warning: {message}", file=sys.stderr)

        with warnings.catch_warnings():
            warnings.showwarning = one_line
            code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # the reader stopped early (`... | head`): not an error (before OSError, its base)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, ConvergenceError) as err:  # bad file or option (user_input.InputError is one), or a fit
        from evidence_lib.app.paths import restore_hint  # on the user's figures that did not converge

        print(f"{command}: error: {err}{restore_hint(err)}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as err:  # e.g. --out on a full disk or a read-only folder
        where = f"{err.filename}: " if err.filename else ""
        print(f"{command}: error: {where}{err.strerror or err}", file=sys.stderr)
        return USAGE_ERROR
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous[0])
            signal.signal(signal.SIGTERM, previous[1])


if __name__ == "__main__":
    sys.exit(main())
