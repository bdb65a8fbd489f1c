"""What the install checks (check_install.py for the C API, check_install_cpp.py for the C++
core) share: running a command with its output shown, and checking what was installed."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path


def run(cmd: list[str], expect_failure: bool = False, **kw: object) -> str:
    """Runs ``cmd`` (printed first), shows its output, and stops the check when it fails (or,
    with ``expect_failure``, when it succeeds). Returns the output."""
    print("+", " ".join(shlex.quote(c) for c in cmd), flush=True)
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)  # type: ignore[call-overload]
    print(result.stdout, end="")
    if expect_failure:
        if result.returncode == 0:
            raise SystemExit(f"succeeded but must fail: {' '.join(cmd)}")
    elif result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(cmd)}")
    return str(result.stdout)


def installed_files(prefix: Path, expected: list[Path]) -> list[str]:
    """Stops the check when any of ``expected`` is missing; else prints and returns every file
    (and symlink) under ``prefix``, relative to it, sorted."""
    missing = [str(p) for p in expected if not p.exists()]
    if missing:
        raise SystemExit("not installed: " + ", ".join(missing))
    installed = sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*") if p.is_file() or p.is_symlink())
    print("installed:\n  " + "\n  ".join(installed))
    return installed
