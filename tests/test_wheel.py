"""The package works outside this checkout: build the wheel, install it into a fresh virtual
environment (dependencies pinned by uv.lock), and use it from another folder."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = textwrap.dedent("""
    import evidence_lib as el
    assert "site-packages" in el.__file__, el.__file__
    published = el.load_published()
    assert len(published) == 42, len(published)
    fit = el.random_effects([-0.3, -0.1, 0.05, -0.4], vi=[0.04, 0.02, 0.05, 0.03], method="REML")
    post = el.exact_posterior([-0.3, -0.1, 0.05, -0.4], sei=[0.2, 0.15, 0.22, 0.17],
                              tau_prior=el.priors.half_normal(0.5))
    from evidence_lib.loaders import metapsy
    assert metapsy.locate() == metapsy.PACKAGED and "site-packages" in str(metapsy.PACKAGED)
    assert len(el.load_metapsy()) == 95   # the shipped copy: no network, no ../shared
    print(f"{len(published)} {fit.estimate:.6f} {post.prob('mu', upper=0):.6f}")
""")


def _uv() -> list[str]:
    if shutil.which("uv"):
        return ["uv"]
    probe = subprocess.run(["python3", "-m", "uv", "--version"], cwd=ROOT, capture_output=True)
    if probe.returncode == 0:
        return ["python3", "-m", "uv"]
    pytest.fail("uv is needed to build the wheel; scripts/_bootstrap.sh installs it")


#: what uv prints when the package index cannot be reached
NO_NETWORK = ("error sending request", "dns error", "failed to lookup address", "Network is unreachable")


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    """Run ``args``; a uv command that cannot reach the index is run again offline (from uv's cache,
    which the setup filled: the build backend and every pinned wheel)."""
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "EVIDENCE_LIB_SHARED": str(ROOT / "no-such-folder")}
    # PYTHONDONTWRITEBYTECODE dropped: the first run in the fresh venv writes the bytecode of what it
    # imports and the command-line run reuses it (measured: the second run 3.3 s -> 0.9 s)
    for name in ("VIRTUAL_ENV", "EVIDENCE_LIB_METAPSY", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    done = subprocess.run(args, capture_output=True, text=True, env=env, **kwargs)
    if done.returncode != 0 and any(sign in done.stderr for sign in NO_NETWORK):
        done = subprocess.run(args, capture_output=True, text=True, env={**env, "UV_OFFLINE": "1"}, **kwargs)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    uv = _uv()
    _run(uv + ["build", "-q", "--wheel", "-o", str(tmp_path / "dist"), str(ROOT)], cwd=ROOT)
    wheel = next((tmp_path / "dist").glob("evidence_lib-*.whl"))
    pins = tmp_path / "pins.txt"
    _run(uv + ["export", "-q", "--frozen", "--no-emit-project", "--no-hashes", "-o", str(pins)], cwd=ROOT)
    venv = tmp_path / "venv"
    _run(uv + ["venv", "-q", str(venv), "--python", f"{sys.version_info.major}.{sys.version_info.minor}"], cwd=ROOT)
    python = venv / "bin" / "python"
    # no --compile-bytecode here: compiling the whole stack (about 10,000 files) costs more than the two
    # imports of this test compile on the fly (measured: 70 s against 30 s for the test)
    _run(uv + ["pip", "install", "-q", "--python", str(python), "-c", str(pins), str(wheel)], cwd=ROOT)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = _run([str(python), "-c", SCRIPT], cwd=elsewhere).stdout.split()
    assert out[0] == "42" and float(out[1]) < 0 and 0.5 < float(out[2]) < 1

    studies = elsewhere / "studies.csv"
    studies.write_text("study,yi,sei\nA,-0.53,0.21\nB,-0.10,0.15\nC,0.05,0.18\n")
    cli = _run([str(venv / "bin" / "evidence-lib"), "readings", "--studies", str(studies), "--favours", "lower"],
               cwd=elsewhere)
    assert "p_benefit" in cli.stdout
