"""The public API: ``import evidence_lib as el`` is all a notebook needs."""

import importlib

import evidence_lib as el

# The names a user of the package relies on; a removal or a rename fails here first.
PUBLIC = {
    "Studies", "as_studies", "to_analysis_scale", "from_analysis_scale",
    "smd", "log_rr", "log_or", "se_from_ci", "smd_table", "aggregate_correlated", "g_from_events",
    "random_effects", "leave_one_out", "egger_test", "subgroup_difference", "funnel_limits",
    "exact_posterior", "priors", "summarise", "linear_combinations",
    "sample_posterior", "sample_binomial", "sample_meta_regression",
    "check_diagnostics", "assert_diagnostics", "compare_with_exact",
    "from_published", "summary_level_check", "readings_table", "read_row", "harmonise",
    "load_published", "load_trials", "result_counts", "audit_published", "load_metapsy",
    "select_perinatal_effects", "model_average", "bias_model_average", "risk_of_bias_readings", "design_analysis", "next_trial", "operating_characteristics",
    "random_effects_binomial", "select_binary",
    "ConvergenceError", "ReconstructionError", "DataValidationError", "InputError", "write_manifest",
}


def test_all_lists_the_public_names():
    assert PUBLIC <= set(el.__all__), sorted(PUBLIC - set(el.__all__))


def test_every_exported_name_resolves():
    for name in el.__all__:
        assert getattr(el, name) is not None, name


LAYERS = ("core", "effects", "frequentist", "bayes", "published", "questions", "loaders", "figures", "app")


def test_layers_are_reachable():
    for layer in LAYERS:
        assert getattr(el, layer) is importlib.import_module(f"evidence_lib.{layer}")
    assert el.plots is importlib.import_module("evidence_lib.figures.plots")
    assert el.priors is importlib.import_module("evidence_lib.bayes.priors")
