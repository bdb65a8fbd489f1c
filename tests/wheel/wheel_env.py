"""The objects the wheel suite works with: the built distributions, a venv the wheel is installed
into, and a trap for build tools."""

from __future__ import annotations

import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Build tools pip would reach for if it tried to build calbridge from source on the target.
BUILD_TOOLS = ("cc", "c++", "gcc", "g++", "clang", "clang++", "cmake", "ninja", "make", "ld")


@dataclass(frozen=True)
class Distributions:
    sdist: Path
    wheel: Path  # repaired
    unrepaired: Path
    auditwheel_show: str  # what `auditwheel show` said about the repaired wheel

    @property
    def platform_tag(self) -> str:
        return self.wheel.name.removesuffix(".whl").split("-")[-1]


@dataclass(frozen=True)
class Installed:
    venv: Path
    site_packages: Path
    workdir: Path  # a directory outside the repository, the cwd of every command
    install_output: str
    tool_trap_log: Path  # written by any build tool the install step ran

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def package(self) -> Path:
        return self.site_packages / "calbridge"

    @property
    def sandbox(self) -> Path:
        return self.package / "_bin" / "calbridge-sandbox"

    @property
    def libs(self) -> Path:
        return self.site_packages / "calbridge.libs"

    def env(self) -> dict[str, str]:
        """A clean environment: the venv and the system's basic tools on PATH, nothing from the
        build (no LD_LIBRARY_PATH, PYTHONPATH or CALBRIDGE_SANDBOX), a home of its own."""
        return {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(self.workdir / "home"),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.workdir / "tmp"),
        }

    def run(self, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args], cwd=self.workdir, env=self.env(), capture_output=True, text=True, timeout=timeout
        )


def tool_trap(directory: Path, log: Path) -> None:
    """Executables named like the build tools that record being run and fail."""
    directory.mkdir()
    for tool in BUILD_TOOLS:
        script = directory / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\nexit 1\n')
        script.chmod(0o755)


def unpack(wheel: Path, into: Path) -> Path:
    """Unpacks a wheel keeping the executable bits its members carry (as pip does)."""
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            target = Path(archive.extract(member, into))
            mode = (member.external_attr >> 16) & 0o777
            if mode and not member.is_dir():
                target.chmod(mode)
    return into
