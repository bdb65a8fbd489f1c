#!/usr/bin/env python3
"""A throwaway PostgreSQL server for the tests, started from Debian's server binaries.

    postgres_cluster.py start DIR     initdb into DIR/data if needed, start, create the database
                                      calbridge_test, write DIR/url and print it (idempotent)
    postgres_cluster.py halt DIR      stop the server, keep DIR (data, port, url): an outage
    postgres_cluster.py restart DIR   halt, then start again on the same port and data
    postgres_cluster.py stop DIR      stop the server and remove DIR

From Python: start(dir), restart(dir) return the URL; halt(dir) and stop(dir) return None;
sql(dir, statement) runs one statement in the test database.
Everything fails loudly (CalledProcessError, ClusterError): a test that needs the server must
fail when it cannot have one, never skip.

The server listens on 127.0.0.1 only (and a unix socket in DIR), on a free port recorded in
DIR/port so a restart keeps it, with trust authentication. initdb and the server refuse to run
as root, so as root they run as the `postgres` system user the server package creates, and DIR
is chowned to it. Standard library only.
"""

import os
import pwd
import shutil
import socket
import subprocess
import sys
import time

DATABASE = "calbridge_test"
SUPERUSER = "postgres"
# A unix socket path is at most 107 bytes (sun_path); the server's is DIR/.s.PGSQL.<port>.
MAX_SOCKET_DIR = 90


class ClusterError(RuntimeError):
    pass


def server_bin():
    """The newest /usr/lib/postgresql/<major>/bin that has initdb, pg_ctl and postgres."""
    root = "/usr/lib/postgresql"
    majors = []
    if os.path.isdir(root):
        for name in os.listdir(root):
            if name.isdigit() and all(
                os.access(os.path.join(root, name, "bin", tool), os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")
            ):
                majors.append(int(name))
    if not majors:
        raise ClusterError(f"no PostgreSQL server binaries under {root} (scripts/setup installs postgresql)")
    return os.path.join(root, str(max(majors)), "bin")


def _server_user():
    """The account the server runs as: `postgres` when we are root, otherwise ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise ClusterError("running as root, and there is no `postgres` user to run the server as") from None


def _run_as_server(args, **kwargs):
    user = _server_user()
    if user is not None:
        args = ["runuser", "-u", user.pw_name, "--", *args]
    return subprocess.run(args, check=True, **kwargs)


def _paths(directory):
    directory = os.path.abspath(directory)
    return {
        "dir": directory,
        "data": os.path.join(directory, "data"),
        "log": os.path.join(directory, "server.log"),
        "port": os.path.join(directory, "port"),
        "url": os.path.join(directory, "url"),
    }


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(port):
    # SO_REUSEADDR as the server sets it: connections of its previous life in TIME_WAIT do
    # not keep it from binding the port again.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _log_tail(paths, lines=30):
    try:
        with open(paths["log"], encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no server log)"


def _running(paths):
    if not os.path.exists(os.path.join(paths["data"], "postmaster.pid")):
        return False
    # pg_ctl status: 0 running, 3 not running, 4 no usable data directory.
    try:
        _run_as_server(
            [os.path.join(server_bin(), "pg_ctl"), "status", "-D", paths["data"]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except subprocess.CalledProcessError:
        return False
    return True


def _initdb(paths):
    directory = paths["dir"]
    os.makedirs(directory, exist_ok=True)
    if os.path.exists(paths["data"]):
        shutil.rmtree(paths["data"])  # a half-made data directory from an interrupted initdb
    user = _server_user()
    if user is not None:
        os.chown(directory, user.pw_uid, user.pw_gid)
        # The server user must reach DIR through every parent.
        probe = subprocess.run(["runuser", "-u", user.pw_name, "--", "test", "-w", directory])
        if probe.returncode != 0:
            raise ClusterError(f"the postgres user cannot write {directory} (a parent directory is not searchable?)")
    os.chmod(directory, 0o700)
    _run_as_server(
        [
            os.path.join(server_bin(), "initdb"),
            "-D", paths["data"],
            "-U", SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",  # a test cluster need not survive a power cut; the server keeps fsync on
        ],
        stdout=subprocess.DEVNULL,
    )
    # Loopback only, trust: nothing else can reach it.
    with open(os.path.join(paths["data"], "pg_hba.conf"), "w", encoding="utf-8") as f:
        f.write("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    with open(os.path.join(paths["data"], "postgresql.conf"), "a", encoding="utf-8") as f:
        f.write("\ninclude 'calbridge.conf'\n")


def _configure(paths, port):
    socket_dir = paths["dir"] if len(paths["dir"]) <= MAX_SOCKET_DIR else ""
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": socket_dir,
        # Many tests run at once, each with a pool, a listener and a few stores.
        "max_connections": "300",
        "shared_buffers": "16MB",
        "log_min_messages": "warning",
    }
    conf = os.path.join(paths["data"], "calbridge.conf")
    with open(conf, "w", encoding="utf-8") as f:
        for key, value in settings.items():
            f.write(f"{key} = '{value}'\n")
    user = _server_user()
    if user is not None:
        for path in (conf, os.path.join(paths["data"], "pg_hba.conf")):
            os.chown(path, user.pw_uid, user.pw_gid)
    with open(paths["port"], "w", encoding="utf-8") as f:
        f.write(f"{port}\n")


def _pg_ctl_start(paths):
    user = _server_user()
    if user is not None and not os.path.exists(paths["log"]):
        open(paths["log"], "a").close()
        os.chown(paths["log"], user.pw_uid, user.pw_gid)
    try:
        _run_as_server(
            [os.path.join(server_bin(), "pg_ctl"), "start", "-w", "-t", "120", "-D", paths["data"], "-l", paths["log"]],
            stdout=subprocess.DEVNULL,
        )
    except subprocess.CalledProcessError:
        return False
    return True


def _psql(paths, port, sql, database="postgres"):
    result = subprocess.run(
        [
            os.path.join(server_bin(), "psql"),
            "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, "-d", database,
            "-c", sql,
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return result.stdout.strip()


def _url(port):
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}"


def start(directory):
    """Starts the server in `directory` (making it first if needed); returns the URL."""
    paths = _paths(directory)
    if not os.path.exists(os.path.join(paths["data"], "PG_VERSION")):
        _initdb(paths)
    port = None
    if os.path.exists(paths["port"]):
        with open(paths["port"], encoding="utf-8") as f:
            port = int(f.read().strip())
    if not _running(paths):
        if port is None:
            # A new server: a free port, and another if someone takes it before the server
            # binds it.
            for _ in range(3):
                port = _free_port()
                _configure(paths, port)
                if _pg_ctl_start(paths):
                    break
            else:
                raise ClusterError(f"the server in {paths['data']} did not start; its log ends:\n{_log_tail(paths)}")
        else:
            # A server that ran before keeps its port: its clients hold the URL.
            if not _port_is_free(port):
                raise ClusterError(f"port {port} of the server in {paths['data']} is taken by someone else")
            _configure(paths, port)
            if not _pg_ctl_start(paths):
                raise ClusterError(f"the server in {paths['data']} did not start; its log ends:\n{_log_tail(paths)}")
    if port is None:
        raise ClusterError(f"{paths['port']} is missing although the server runs")
    if _psql(paths, port, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":
        _psql(paths, port, f"CREATE DATABASE {DATABASE}")
    url = _url(port)
    with open(paths["url"] + ".tmp", "w", encoding="utf-8") as f:
        f.write(url + "\n")
    os.replace(paths["url"] + ".tmp", paths["url"])
    return url


def halt(directory):
    """Stops the server (fast: open sessions are ended), keeping its data, port and URL."""
    paths = _paths(directory)
    if _running(paths):
        _run_as_server(
            [os.path.join(server_bin(), "pg_ctl"), "stop", "-w", "-t", "120", "-m", "fast", "-D", paths["data"]],
            stdout=subprocess.DEVNULL,
        )


def restart(directory):
    """The server restarted under its clients: every open connection breaks. Returns the URL."""
    halt(directory)
    return start(directory)


def sql(directory, statement):
    """Runs `statement` in the test database of the server in `directory`; returns psql's
    unaligned output."""
    paths = _paths(directory)
    with open(paths["port"], encoding="utf-8") as f:
        port = int(f.read().strip())
    return _psql(paths, port, statement, database=DATABASE)


def stop(directory):
    """Stops the server and removes `directory`."""
    paths = _paths(directory)
    if os.path.isdir(paths["data"]):
        halt(directory)
    shutil.rmtree(paths["dir"], ignore_errors=True)


def main(argv):
    commands = {"start": start, "halt": halt, "restart": restart, "stop": stop}
    if len(argv) != 3 or argv[1] not in commands:
        print(f"usage: {argv[0]} start|halt|restart|stop DIR", file=sys.stderr)
        return 2
    began = time.monotonic()
    try:
        url = commands[argv[1]](argv[2])
    except (ClusterError, subprocess.CalledProcessError) as e:
        print(f"postgres_cluster: {argv[1]} {argv[2]} failed: {e}", file=sys.stderr)
        paths = _paths(argv[2])
        if os.path.exists(paths["log"]):
            print(f"server log ({paths['log']}) ends:\n{_log_tail(paths)}", file=sys.stderr)
        return 1
    if url is not None:
        print(url)
    print(f"postgres_cluster: {argv[1]} took {time.monotonic() - began:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
