"""evidence_lib: frequentist and Bayesian readings of published meta-analyses.

Public names are imported lazily from the module that defines them, so that
``import evidence_lib`` stays fast and PyMC is only loaded when a sampler is used.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    # the study table and the measure vocabulary
    "Studies": "studies",
    "as_studies": "studies",
    "to_analysis_scale": "measures",
    "from_analysis_scale": "measures",
    # effect sizes
    "smd": "effect_sizes",
    "log_rr": "effect_sizes",
    "log_or": "effect_sizes",
    "se_from_ci": "effect_sizes",
    "smd_table": "effect_sizes",
    "aggregate_correlated": "effect_sizes",
    "g_from_events": "effect_sizes",
    # frequentist engine and tests
    "random_effects": "frequentist",
    "leave_one_out": "frequentist",
    "egger_test": "frequentist",
    "subgroup_difference": "frequentist",
    "funnel_limits": "frequentist",
    # exact Bayesian engine, priors and posterior summaries
    "exact_posterior": "exact",
    "priors": "priors",
    "summarise": "summaries",
    "linear_combinations": "summaries",
    # PyMC models and their diagnostics
    "sample_posterior": "pymc_models",
    "sample_binomial": "pymc_models",
    "sample_meta_regression": "pymc_models",
    "check_diagnostics": "diagnostics",
    "assert_diagnostics": "diagnostics",
    "compare_with_exact": "diagnostics",
    # published summaries: reconstruction and the two readings
    "from_published": "reconstruct",
    "summary_level_check": "reconstruct",
    "readings_table": "readings",
    "read_row": "readings",
    "harmonise": "readings",
    # data
    "load_published": "data",
    "load_trials": "data",
    "result_counts": "data",
    "audit_published": "audit",
    "load_metapsy": "metapsy",
    "select_perinatal_effects": "metapsy_selection",
    # what the borderline evidence is worth: model averaging, design and preposterior analysis
    "model_average": "model_averaging",
    "design_analysis": "design",
    "next_trial": "preposterior",
    "operating_characteristics": "operating",
    # counting outcomes: binomial GLMM, Metapsy binary comparisons
    "random_effects_binomial": "glmm",
    "select_binary": "metapsy_binary",
    # errors, and the data manifest
    "ConvergenceError": "errors",
    "ReconstructionError": "errors",
    "DataValidationError": "data",
    "InputError": "user_input",
    "write_manifest": "data",
    # issue 11: reader tables
    "reader_table": "tables",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:  # a submodule, e.g. evidence_lib.plots
        try:
            return import_module(f"evidence_lib.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"evidence_lib.{name}":
                raise
            raise AttributeError(f"module 'evidence_lib' has no attribute {name!r}") from None
    mod = import_module(f"evidence_lib.{module}")
    return mod if name == module else getattr(mod, name)


def __dir__():
    return sorted(list(globals()) + __all__)
