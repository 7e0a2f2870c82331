"""The public API: ``import evidence_lib as el`` is all a notebook needs."""

import importlib

import evidence_lib as el

# The names a user of the package relies on; a removal or a rename fails here first.
PUBLIC = {
    "Studies", "as_studies", "to_analysis_scale", "from_analysis_scale",
    "smd", "log_rr", "log_or", "se_from_ci", "smd_table", "aggregate_correlated", "g_from_events",
    "random_effects", "leave_one_out", "egger_test", "subgroup_difference", "funnel_limits",
    "regtest", "pet_peese", "ranktest", "trimfill", "fsn", "selmodel", "bias_suite", "fit_meta_regression",
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


SPREAD_FUNCTIONS = ("random_effects", "leave_one_out", "egger_test", "exact_posterior", "sample_posterior",
                    "sample_meta_regression", "model_average", "design_analysis", "next_trial", "as_studies",
                    "regtest", "pet_peese", "ranktest", "trimfill", "fsn", "selmodel", "bias_suite",
                    "bias_model_average", "selection_profile", "fit_meta_regression", "aggregate_correlated")


def test_a_second_positional_argument_names_both_keywords():
    """metafor's rma(yi, vi) read as (yi, sei) would be silently wrong: it is refused instead."""
    import pytest

    yi, vi = [-0.53, -0.10, 0.05, -0.30], [0.04, 0.02, 0.03, 0.05]
    for name in SPREAD_FUNCTIONS:
        with pytest.raises(TypeError, match=r"sei=.*vi="):
            getattr(el, name)(yi, vi)
    for batch in (el.frequentist.rma.dl_fits, el.plots.forest):
        with pytest.raises(TypeError, match=r"sei=.*vi="):
            batch(yi, vi)
    fit = el.random_effects(yi, vi=vi)
    assert abs(fit.tau2 - 0.0270) < 5e-5  # the intended fit (issue 18: mu -0.1957, tau² 0.0270)


def _imports(tree):
    """(node, module) for every import of evidence_lib in ``tree``, in functions too: ``import
    evidence_lib.x``, ``from evidence_lib.x import y`` (module ``evidence_lib.x.y`` when y is one,
    else ``evidence_lib.x``) and ``importlib.import_module("evidence_lib.x")``."""
    import ast
    import importlib.util

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node, a.name) for a in node.names if a.name.startswith("evidence_lib"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("evidence_lib"):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                yield node, full if importlib.util.find_spec(node.module) and _is_module(full) else node.module
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("evidence_lib")):
            yield node, node.args[0].value


def _is_module(name):
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_no_private_name_crosses_a_module_boundary():
    """The library uses only public names of its own modules (tests may reach further): no private
    name is imported (``from evidence_lib.bayes.exact import _Model``), nor reached as an attribute
    of an imported module or object (``exact._Model``, ``ExactPosterior._marginal``), in functions too."""
    import ast
    from pathlib import Path

    crossing = []
    for path in Path(el.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("evidence_lib"):
                crossing += [f"{path.name}: {a.name}" for a in node.names
                             if a.name.startswith("_") or (a.asname or "").startswith("_")]
                imported |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Import):
                imported |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("evidence_lib")}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                chain, root = [node.attr], node.value
                while isinstance(root, ast.Attribute):
                    chain.append(root.attr)
                    root = root.value
                private = [a for a in chain if a.startswith("_") and not a.startswith("__")]
                if isinstance(root, ast.Name) and root.id in imported and private:
                    crossing.append(f"{path.name}:{node.lineno}: {root.id}.{'.'.join(reversed(chain))}")
    assert not sorted(set(crossing))


def test_read_studies_takes_every_measure_studies_takes(tmp_path):
    """issue 18: read_studies refused MD/RD/HR files that Studies accepts."""
    from evidence_lib.core.measures import MEASURES
    from evidence_lib.loaders.user_input import read_studies

    for measure in MEASURES:
        path = tmp_path / f"{measure}.csv"
        path.write_text(f"study,yi,sei,measure\nA,-0.3,0.2,{measure}\nB,0.1,0.25,{measure}\n")
        assert read_studies(path, "lower").measure == measure


LAYER_ORDER = ("core", "effects", "loaders", "frequentist", "bayes", "published", "questions", "figures", "app")


def test_each_layer_imports_only_the_layers_before_it():
    """The README's layer order, for every import of the package: at module level and inside
    functions (no lazy import reaches a later layer), in every folder of a layer (questions/bias
    is questions)."""
    import ast
    from pathlib import Path

    package = Path(el.__file__).parent
    upward = []
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).parts
        layer = parts[0]
        if len(parts) < 2:
            continue  # evidence_lib/__init__.py: the public facade, which names every layer
        assert layer in LAYER_ORDER, f"{path}: a folder outside the layer order {LAYER_ORDER}"
        for node, module in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            other = module.split(".")[1] if "." in module else None
            if other is None or (other in LAYER_ORDER and LAYER_ORDER.index(other) > LAYER_ORDER.index(layer)):
                upward.append(f"{'/'.join(parts)}:{node.lineno} imports {module}")
    assert not upward
