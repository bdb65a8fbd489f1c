"""The suite runs against the sandbox through the calbridge.testing plugin (enabled in
pyproject.toml's addopts): fixtures calbridge_sandbox, calbridge_client, calbridge_credentials
and calbridge_session."""

from __future__ import annotations

import sys
from pathlib import Path

# helpers.py sits next to the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))
