"""``python -m calbridge``: the command line (see calbridge.cli)."""

from .cli import main

raise SystemExit(main())
