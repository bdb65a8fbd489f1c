"""The wheel suite: scripts/wheel builds the sdist and the repaired wheel once per run, and the
wheel is installed into a fresh venv where no compiler or build tool can be reached.

    .venv/bin/python -m pytest -q tests/wheel          (scripts/test runs it in the release variant)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# elf_deps.py and wheel_env.py sit next to the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from wheel_env import ROOT, Distributions, Installed, tool_trap  # noqa: E402


@pytest.fixture(scope="session")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    out = tmp_path_factory.mktemp("dist")
    work = tmp_path_factory.mktemp("wheel-work")
    command = [str(ROOT / "scripts" / "wheel"), "--out", str(out), "--work", str(work)]
    if os.environ.get("CALBRIDGE_WHEEL_FROM_SDIST") == "1":
        command.append("--from-sdist")
    subprocess.run(command, check=True, timeout=3600)
    (sdist,) = out.glob("calbridge-*.tar.gz")
    (wheel,) = out.glob("calbridge-*.whl")
    (unrepaired,) = (work / "unrepaired").glob("calbridge-*.whl")
    return Distributions(sdist, wheel, unrepaired, (work / "show.log").read_text())


@pytest.fixture(scope="session")
def installed(distributions: Distributions, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The repaired wheel in a fresh venv, installed with only the trap's build tools on PATH
    (and no index, binaries only): a build from source would fail and leave a trace."""
    base = tmp_path_factory.mktemp("installed")
    workdir = base / "work"
    for d in (workdir, workdir / "home", workdir / "tmp"):
        d.mkdir()
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    trap_log = base / "build-tools-run.log"
    tool_trap(base / "trap", trap_log)
    env = {
        "PATH": f"{base / 'trap'}:{venv / 'bin'}",
        "HOME": str(workdir / "home"),
        "LANG": "C.UTF-8",
        "TMPDIR": str(workdir / "tmp"),
        "PIP_CONFIG_FILE": os.devnull,  # no index or find-links from the machine's pip.conf
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index", "--only-binary", ":all:",
         "--no-cache-dir", str(distributions.wheel)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    platlib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])"],
        cwd=workdir, env=env, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()
    return Installed(venv, Path(platlib), workdir, result.stdout + result.stderr, trap_log)
