"""The wheel installed into a fresh venv without build tools, used from outside the repository
with a clean environment: the module imports, the bundled sandbox runs on the libraries the
wheel ships, and the demo completes the whole flow against it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from elf_deps import foreign_libraries
from wheel_env import ROOT, Distributions, Installed


def test_the_install_built_nothing(installed: Installed) -> None:
    assert not installed.tool_trap_log.exists(), installed.tool_trap_log.read_text()
    assert "Building wheel" not in installed.install_output, installed.install_output
    assert "Successfully installed calbridge-" in installed.install_output, installed.install_output


def test_the_package_imports_from_the_venv(installed: Installed) -> None:
    result = installed.run(
        installed.python, "-c",
        "import calbridge, calbridge._core, calbridge.sandbox as s; "
        "print(calbridge.__file__); print(calbridge._core.__file__); print(s.find_executable())",
    )
    assert result.returncode == 0, result.stderr
    package_file, module_file, sandbox = (Path(line) for line in result.stdout.splitlines())
    for path in (package_file, module_file, Path(sandbox)):
        assert path.resolve().is_relative_to(installed.package.resolve()), path
        assert not path.resolve().is_relative_to(ROOT), path


def test_installed_binaries_need_only_the_allow_list_and_the_wheel(
    installed: Installed, distributions: Distributions
) -> None:
    elves = [installed.sandbox, *installed.package.glob("_core.*.so")]
    assert len(elves) == 2, elves
    for elf in elves:
        foreign = foreign_libraries(elf, installed.libs, distributions.platform_tag, installed.env())
        assert not foreign, f"{elf.name} loads libraries the wheel does not ship: {foreign}"


def test_the_bundled_sandbox_runs(installed: Installed) -> None:
    result = installed.run(installed.sandbox, "--version")
    assert result.returncode == 0, result.stderr
    version = installed.run(installed.python, "-c", "import calbridge; print(calbridge.__version__)").stdout.strip()
    assert result.stdout.strip() == f"calbridge-sandbox {version}", result.stdout


def test_a_connect_flow_against_the_bundled_sandbox(installed: Installed) -> None:
    script = (
        "from calbridge.sandbox import Sandbox\n"
        "with Sandbox.start() as sandbox:\n"
        "    client = sandbox.client()\n"
        "    credentials = sandbox.authorize(client, 'list_calendars')\n"
        "    print(len(client.session(credentials).calendars()))\n"
    )
    result = installed.run(installed.python, "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(result.stdout.strip()) >= 1


def test_the_demo_runs_from_the_venv(installed: Installed) -> None:
    result = installed.run(installed.venv / "bin" / "calbridge", "demo", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    # Every step of the flow printed its header ([1], [2], ...); status 0 means each succeeded.
    steps = re.findall(r"^\[(\d+)\] ", result.stdout, re.MULTILINE)
    assert len(steps) >= 5, result.stdout


# The system's copies of what the wheel ships for calbridge itself (not what Python needs).
PROJECT_LIBRARIES = re.compile(r"(libssl|libcrypto|libsqlite3|libpq)\.so\b")


def test_the_sandbox_and_module_load_with_the_systems_copies_hidden(installed: Installed) -> None:
    # As on a target without OpenSSL, SQLite or libpq: in a private mount namespace the system's
    # files are replaced by empty ones (the loader fails on them), and the sandbox and the module
    # still load, from calbridge.libs.
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) for a private mount namespace")
    hidden = sorted(
        {str(Path(p).resolve()) for p in _system_copies(installed.env()) if PROJECT_LIBRARIES.match(Path(p).name)}
    )
    system_ssl = next((p for p in hidden if Path(p).name.startswith("libssl.so")), None)
    assert system_ssl is not None, hidden
    module = next(installed.package.glob("_core.*.so"))
    script = (
        'for f in "$@"; do mount --bind /dev/null "$f" || exit 90; done\n'
        f'"{installed.sandbox}" --version || exit 91\n'
        f'"{installed.python}" -c "import ctypes; ctypes.CDLL(\'{module}\')" || exit 92\n'
        # The hiding works: the system's OpenSSL no longer loads.
        f'"{installed.python}" -c "import ctypes; ctypes.CDLL(\'{system_ssl}\')" 2>/dev/null && exit 93\n'
        "exit 0\n"
    )
    result = installed.run("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *hidden)
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert result.stdout.startswith("calbridge-sandbox "), result.stdout


def _system_copies(env: dict[str, str]) -> list[str]:
    """The paths of the shared libraries the loader's cache knows (ldconfig -p)."""
    listing = subprocess.run(["/sbin/ldconfig", "-p"], env=env, capture_output=True, text=True, check=True, timeout=60)
    return [line.rsplit("=>", 1)[1].strip() for line in listing.stdout.splitlines() if "=>" in line]
