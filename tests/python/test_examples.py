"""The examples run as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def test_the_quickstart_connects_and_lists() -> None:
    result = subprocess.run([sys.executable, str(EXAMPLES / "quickstart.py")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("connected: Credentials(account_id='acc_sandbox_ada'")
    assert "calendar: Holidays" in lines
    assert any(line.startswith("event: ") for line in lines)
    assert lines[-1] == "typed error: NotFoundError 404"
