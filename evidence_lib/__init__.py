"""evidence_lib: frequentist and Bayesian readings of published meta-analyses.

Public names are imported lazily from the module that defines them, so that
``import evidence_lib`` stays fast and PyMC is only loaded when a sampler is used.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    # the study table and the measure vocabulary
    "Studies": "core.studies",
    "as_studies": "core.studies",
    "to_analysis_scale": "core.measures",
    "from_analysis_scale": "core.measures",
    # effect sizes
    "smd": "effects.effect_sizes",
    "log_rr": "effects.effect_sizes",
    "log_or": "effects.effect_sizes",
    "se_from_ci": "effects.effect_sizes",
    "smd_table": "effects.effect_sizes",
    "aggregate_correlated": "effects.effect_sizes",
    "g_from_events": "effects.effect_sizes",
    # frequentist engine and tests
    "random_effects": "frequentist.rma",
    "leave_one_out": "frequentist.rma",
    "subgroup_difference": "frequentist.rma",
    "funnel_limits": "frequentist.rma",
    # publication bias and small-study effects
    "egger_test": "questions.bias.regression",
    "regtest": "questions.bias.regression",
    "pet_peese": "questions.bias.regression",
    "ranktest": "questions.bias.rank",
    "trimfill": "questions.bias.trim_and_fill",
    "fsn": "questions.bias.failsafe",
    "selmodel": "questions.bias.selection",
    "bias_suite": "questions.bias.suite",
    "adjusted_table": "questions.bias.suite",
    "fit_meta_regression": "frequentist.meta_regression",
    # exact Bayesian engine, priors and posterior summaries
    "exact_posterior": "bayes.exact",
    "priors": "bayes.priors",
    "summarise": "bayes.summaries",
    "linear_combinations": "bayes.summaries",
    "p_benefit_given_tau": "bayes.summaries",
    # PyMC models and their diagnostics
    "sample_posterior": "bayes.mcmc",
    "sample_binomial": "bayes.mcmc",
    "sample_meta_regression": "bayes.mcmc",
    "check_diagnostics": "bayes.diagnostics",
    "assert_diagnostics": "bayes.diagnostics",
    "compare_with_exact": "bayes.diagnostics",
    # published summaries: reconstruction and the two readings
    "from_published": "published.reconstruct",
    "summary_level_check": "published.reconstruct",
    "readings_table": "published.readings",
    "read_row": "published.readings",
    "summary_for_row": "published.readings",
    "harmonise": "published.readings",
    "standard_prior_sets": "published.readings",
    "default_prior_set": "published.readings",
    "PriorSet": "published.readings",
    "readings_under_priors": "published.readings",
    "p_benefit_by_tau_scale": "published.readings",
    "BORDERLINE_P": "published.readings",
    # data
    "load_published": "loaders.packaged",
    "load_trials": "loaders.packaged",
    "result_counts": "loaders.packaged",
    "audit_published": "published.audit",
    "load_metapsy": "loaders.metapsy",
    "select_perinatal_effects": "loaders.metapsy_selection",
    "dyadic_screen": "loaders.metapsy_selection",
    "export_studies": "loaders.metapsy_selection",
    # what the borderline evidence is worth: model averaging, design and preposterior analysis
    "model_average": "questions.model_averaging",
    "bias_model_average": "questions.bias_averaging",
    "selection_profile": "questions.bias_averaging",
    "risk_of_bias_readings": "questions.risk_of_bias",
    "rob_scores": "questions.risk_of_bias",
    "design_analysis": "questions.design",
    "next_trial": "questions.preposterior",
    "operating_characteristics": "questions.operating",
    # counting outcomes: binomial GLMM, Metapsy binary comparisons
    "random_effects_binomial": "frequentist.glmm",
    "select_binary": "loaders.metapsy_binary",
    "export_binary": "loaders.metapsy_binary",
    "readings_of_counts": "questions.counts",
    "coverage_simulation": "questions.counts",
    # where the main job writes its reports
    "REPORTS_DIR": "app.paths",
    # errors, and the data manifest
    "ConvergenceError": "core.errors",
    "ReconstructionError": "core.errors",
    "DataValidationError": "loaders.packaged",
    "InputError": "loaders.user_input",
    "read_studies": "loaders.user_input",
    "read_summaries": "loaders.user_input",
    "write_manifest": "loaders.packaged",
    "write_atomic": "core.files",
    # figures and reader tables
    "plots": "figures.plots",
    "palette": "figures.palette",
    "tables": "figures.tables",
    "reader_table": "core.display",
    "sentence": "figures.tables",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:  # a subpackage, e.g. evidence_lib.figures
        try:
            return import_module(f"evidence_lib.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"evidence_lib.{name}":
                raise
            raise AttributeError(f"module 'evidence_lib' has no attribute {name!r}") from None
    mod = import_module(f"evidence_lib.{module}")
    return mod if module.rsplit(".", 1)[-1] == name else getattr(mod, name)


def __dir__():
    return sorted(list(globals()) + __all__)
