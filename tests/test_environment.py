"""environment.yml (conda users) must list the same packages and bounds as pyproject.toml."""

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from evidence_lib.app.paths import REPO_ROOT


def _pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    specs = {r.name.lower(): str(r.specifier) for r in reqs}
    return specs, project["requires-python"]


def _conda():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    specs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip: section installs the package itself
            assert [d.split("#")[0].strip() for d in dep["pip"]] == ["-e ."]
            continue
        name, _, spec = dep.partition(" ")
        specs[name.lower()] = spec.replace(" ", "")
    return specs


def _normalise(spec: str) -> set[str]:
    return set(filter(None, re.split(r",", spec.replace(" ", ""))))


def test_environment_yml_agrees_with_pyproject():
    py_specs, requires_python = _pyproject()
    conda_specs = _conda()
    assert _normalise(conda_specs.pop("python")) == _normalise(requires_python)
    conda_specs.pop("pip")
    assert set(conda_specs) == set(py_specs), "packages differ between environment.yml and pyproject.toml"
    for name, spec in py_specs.items():
        assert _normalise(conda_specs[name]) == _normalise(spec), f"bounds differ for {name}"


def test_lock_file_is_committed_and_pins_the_stack():
    lock = (REPO_ROOT / "uv.lock").read_text()
    for name in ("pymc", "nutpie", "arviz", "pytensor", "numpy", "scipy", "statsmodels", "pandas"):
        assert re.search(rf'^name = "{name}"\nversion = "[^"]+"', lock, re.M), name
