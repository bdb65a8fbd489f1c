"""The sdist holds every tracked source a build needs, and nothing from a build or a venv.

By default the suite builds the wheel from the source tree (incremental in build/python) and
checks the sdist's file list. CALBRIDGE_WHEEL_FROM_SDIST=1 builds the wheel from the unpacked
sdist instead (`scripts/wheel --from-sdist`: a second build directory, a minute with a warm
ccache, several without), so every test of the wheel is then also a test of the sdist.
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
from wheel_env import ROOT, Distributions


def _left_out(name: str) -> bool:
    """Tracked but deliberately not in the sdist (pyproject.toml's sdist.exclude): measurements,
    and hidden top-level directories (CI and tool settings), not sources."""
    return name.startswith("bench/results/") or (name.startswith(".") and "/" in name)


# What a build from the sdist reads: pyproject.toml, the CMake project and every source it compiles.
BUILD_INPUTS = ("pyproject.toml", "CMakeLists.txt", "README.md", "cmake/", "core/", "capi/", "sandbox/", "bindings/", "python/calbridge/")


def _git_files(*args: str) -> set[str]:
    result = subprocess.run(["git", "ls-files", "-z", *args], cwd=ROOT, capture_output=True, timeout=60)
    if result.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    return {name for name in result.stdout.decode().split("\0") if name}


def _members(sdist: Path) -> set[str]:
    prefix = sdist.name.removesuffix(".tar.gz") + "/"
    with tarfile.open(sdist) as archive:
        names = [m.name for m in archive.getmembers() if not m.isdir()]
    assert all(name.startswith(prefix) for name in names), names
    return {name.removeprefix(prefix) for name in names}


def test_the_sdist_holds_every_tracked_source(distributions: Distributions) -> None:
    tracked = _git_files()
    wanted = {f for f in tracked if not _left_out(f)}
    missing = sorted(wanted - _members(distributions.sdist))
    assert not missing, f"tracked files missing from the sdist: {missing}"
    for prefix in BUILD_INPUTS:
        assert any(f.startswith(prefix) for f in wanted), f"no tracked file under {prefix}"


def test_the_sdist_holds_nothing_untracked_or_ignored(distributions: Distributions) -> None:
    # New, not yet ignored files of a working tree are fair game; build products, venvs and
    # ignored tool state are not.
    allowed = _git_files() | _git_files("--others", "--exclude-standard") | {"PKG-INFO"}
    extra = sorted(_members(distributions.sdist) - allowed)
    assert not extra, f"files in the sdist that are not sources: {extra}"
    assert not [f for f in _members(distributions.sdist) if _left_out(f)]
