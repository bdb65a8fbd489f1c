"""What the web examples share about being served: their command line (--host, --port and
how they tell a supervisor they listen) and the announcement itself, made once the socket
listens."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0: any free port")
    parser.add_argument("--ready-file", type=Path, help="written with this server's URL once it listens")
    parser.add_argument(
        "--ready-fd", type=int,
        help="an inherited file descriptor (a pipe) that gets this server's URL once it listens, then is closed",
    )  # fmt: skip


def announce(args: argparse.Namespace, own_url: str) -> None:
    """Tells whoever asked (--ready-file, --ready-fd) that the server listens at ``own_url``:
    {"url": ...} as JSON. The file appears whole; the descriptor is closed after it."""
    ready = json.dumps({"url": own_url})
    if args.ready_file is not None:
        partial = args.ready_file.with_name(args.ready_file.name + ".partial")
        partial.write_text(ready)
        partial.replace(args.ready_file)
    if args.ready_fd is not None:
        with os.fdopen(args.ready_fd, "w") as pipe:
            pipe.write(ready)
