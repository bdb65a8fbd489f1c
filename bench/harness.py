#!/usr/bin/env python3
"""Runs every peer through every scenario against one sandbox, interleaved, and writes
results.csv, meta.json, results.md and the plots (bench/README.md says what each measures).

    harness.py --sandbox PATH --bench-cpp PATH [--smoke] [--reps N] [--out DIR]

Each (repetition, scenario, peer) is its own child process. Per run the harness records the
child's wall time and CPU (RUSAGE_CHILDREN delta: the whole process, start-up included), the
sandbox's CPU (/proc/PID/stat), and the sandbox's counters (requests, connections, token
requests by grant) around the run; the child reports its own measured-region numbers.
Peers run one after another, never at the same time; their order rotates every repetition.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import json
import os
import platform
import resource
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

PYTHON_PEERS = {
    "calbridge_py": "calbridge_py.py",
    "pycronofy": "pycronofy_peer.py",
    "authlib": "authlib_peer.py",
    "httpx": "httpx_peer.py",
}
ALL_PEERS = ["wrk", "interpreter", "calbridge_cpp", "calbridge_py", "pycronofy", "authlib", "httpx"]
SCENARIOS = ["sequential", "threads", "storm", "storm_rotating", "connect", "events", "memory", "import",
             "first_call"]
WRK_SCENARIOS = {"sequential", "threads"}  # the ceiling only has a meaning for plain GETs

# The import scenario: the statement each Python peer's users write, timed in a fresh
# `python -c` process, and an attribute that must be there afterwards. The interpreter row
# imports nothing: its process time is the bare interpreter start (the baseline).
IMPORTS = {
    "interpreter": ("pass", "sys", "version"),
    "calbridge_py": ("import calbridge", "calbridge", "Client"),
    "pycronofy": ("import pycronofy", "pycronofy", "Client"),
    "authlib": ("import authlib.integrations.requests_client", "authlib.integrations.requests_client",
                "OAuth2Session"),
    "httpx": ("import httpx", "httpx", "Client"),
}
VERSION_MODULE = {"interpreter": None, "calbridge_py": "calbridge", "pycronofy": "pycronofy", "authlib": "authlib",
                  "httpx": "httpx"}
IMPORT_CHILD = """\
import resource, sys, time
m0 = len(sys.modules)
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
{statement}
t1 = time.perf_counter()
r1 = resource.getrusage(resource.RUSAGE_SELF)
m1 = len(sys.modules)
getattr(sys.modules[{module!r}], {attribute!r})
import json
version = {version}
print(json.dumps({{"scenario": "import", "ok": True, "version": version, "calls": 1, "wall_s": t1 - t0,
                  "cpu_user_s": r1.ru_utime - r0.ru_utime, "cpu_sys_s": r1.ru_stime - r0.ru_stime,
                  "modules_added": m1 - m0}}))
"""


def applies(peer: str, scenario: str) -> bool:
    """Whether a peer runs in a scenario: the ceiling only in plain GETs, the bare interpreter
    only as the import baseline, the C++ bench in everything but imports."""
    if peer == "wrk":
        return scenario in WRK_SCENARIOS
    if peer == "interpreter":
        return scenario == "import"
    if peer == "calbridge_cpp":
        return scenario != "import"
    return True


def import_command(peer: str, python: str) -> list[str]:
    statement, module, attribute = IMPORTS[peer]
    version_module = VERSION_MODULE[peer]
    version = ("sys.version.split()[0]" if version_module is None
               else f"sys.modules[{version_module!r}].__version__")
    return [python, "-c", IMPORT_CHILD.format(statement=statement, module=module, attribute=attribute,
                                               version=version)]


def by_name(url: str) -> str:
    """The same URL with the host name `localhost` (the sandbox's certificate names it), so a
    first call includes a name lookup."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(netloc=f"localhost:{parts.port}"))


REDIRECT_URI = "https://app.bench.example/oauth/callback"
STATE = "bench-state-6f1c2a0b9e7d"
SCOPE = ["read_account", "list_calendars", "read_events"]
ADMIN_TOKEN = "bench-admin-" + os.urandom(12).hex()
APP = {"client_id": "bench-app", "client_secret": "bench-secret-" + os.urandom(12).hex()}
# The storm applications: one that does not rotate refresh tokens (every peer's refresh
# pattern can finish, so token requests and time compare), and one with the intermediary's
# likely behaviour (rotation and reuse detection: a second refresh with the same token fails
# and revokes the grant).
STORM_APP = {"client_id": "bench-storm", "client_secret": "bench-storm-secret-" + os.urandom(12).hex()}
ROTATING_APP = {"client_id": "bench-rotating", "client_secret": "bench-rotating-secret-" + os.urandom(12).hex()}
CAL_USER = "acc_bench_calendars"
EVENTS_USER = "acc_bench_events"


class Sizes:
    def __init__(self, smoke: bool) -> None:
        self.sequential_calls = 20 if smoke else 2000
        self.thread_calls = 80 if smoke else 8000
        self.threads = 8
        self.storm_threads = 64
        self.connect_flows = 2 if smoke else 20
        self.events = 300 if smoke else 10000
        self.sessions = 200 if smoke else 10000
        self.wrk_seconds = 1 if smoke else 3


# --- the sandbox --------------------------------------------------------------------------------


class Sandbox:
    def __init__(self, binary: Path, workdir: Path, sizes: Sizes) -> None:
        self.workdir = workdir
        config = {
            "admin_token": ADMIN_TOKEN,
            "settings": {"rate_limit": "off", "code_lifetime": 3600, "access_token_lifetime": 3600, "page_size": 100},
            "applications": [
                {**APP, "name": "calbridge bench"},
                {**STORM_APP, "name": "bench storm", "settings": {"refresh_rotation": False}},
                {
                    **ROTATING_APP,
                    "name": "bench storm (rotating)",
                    "settings": {"refresh_rotation": True, "refresh_reuse_detection": True},
                },
            ],
            "users": [
                {
                    "account_id": CAL_USER,
                    "email": "calendars@bench.example",
                    "name": "Bench Calendars",
                    "calendars": [
                        {"calendar_id": "cal_bench_primary", "calendar_name": "Work", "primary": True},
                        {"calendar_id": "cal_bench_home", "calendar_name": "Home"},
                        {"calendar_id": "cal_bench_team", "calendar_name": "Team"},
                        {"calendar_id": "cal_bench_holidays", "calendar_name": "Holidays", "readonly": True},
                    ],
                },
                {"account_id": EVENTS_USER, "email": "events@bench.example", "generate_events": sizes.events},
            ],
        }
        config_path = workdir / "sandbox.json"
        config_path.write_text(json.dumps(config))
        ready = workdir / "ready.json"
        self.log = open(workdir / "sandbox.log", "w")
        self.proc = subprocess.Popen(
            [str(binary), "--config", str(config_path), "--ready-file", str(ready), "--quiet", "--timeout", "600"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while not ready.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"the sandbox exited ({self.proc.returncode}); see {workdir / 'sandbox.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not become ready in 30 s")
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        self.api_url: str = info["api_url"]
        self.app_url: str = info["app_url"]
        self.ca_file: str = info["ca_file"]
        self.pid: int = info["pid"]
        self.host, port = urllib.parse.urlsplit(self.api_url).netloc.rsplit(":", 1)
        self.port = int(port)
        self.ssl = ssl.create_default_context(cafile=self.ca_file)
        self.admin_conn: http.client.HTTPSConnection | None = None
        self.admin_connections = 0  # connections the harness itself opened (taken out of deltas)
        self.version = self.admin("GET", "/admin/status")["version"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def _request(self, conn: http.client.HTTPSConnection, method: str, path: str, body: bytes | None,
                 headers: dict[str, str]) -> tuple[int, bytes]:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": "Bearer " + ADMIN_TOKEN, "Content-Type": "application/json"}
        data = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            if self.admin_conn is None:
                self.admin_conn = http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=60)
                self.admin_connections += 1
            try:
                status, raw = self._request(self.admin_conn, method, path, data, headers)
                break
            except (http.client.HTTPException, OSError):
                self.admin_conn.close()
                self.admin_conn = None
                if attempt == 2:
                    raise
        if status >= 300:
            raise RuntimeError(f"admin {method} {path}: {status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def counters(self) -> dict[str, Any]:
        c = self.admin("GET", "/admin/counters")
        c["harness_connections"] = self.admin_connections
        return c

    def cpu_seconds(self) -> float:
        """CPU time of every sandbox thread so far, in seconds: schedstat's nanoseconds where
        the kernel has them (clock ticks are too coarse for a short run), else /proc/PID/stat."""
        total_ns = 0
        try:
            for task in Path(f"/proc/{self.pid}/task").iterdir():
                total_ns += int((task / "schedstat").read_text().split()[0])
            return total_ns / 1e9
        except (OSError, ValueError, IndexError):
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    # --- provisioning (outside every measured window) ---

    def authorization_url(self, app: dict[str, str], state: str = STATE) -> str:
        query = urllib.parse.urlencode(
            {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT_URI,
             "scope": " ".join(SCOPE), "state": state},
            quote_via=urllib.parse.quote,
        )
        return f"{self.app_url}/oauth/authorize?{query}"

    def consent(self, app: dict[str, str], user: str) -> str:
        """The redirect back a user's browser would bring: headless approval."""
        return self.admin("POST", "/admin/consent", {"url": self.authorization_url(app), "user": user})["redirect"]

    def grant(self, app: dict[str, str], user: str) -> dict[str, Any]:
        """A fresh grant: consent, then the code exchange (on a connection of its own)."""
        redirect = self.consent(app, user)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)["code"][0]
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=60)
        sent_at = time.time()
        status, raw = self._request(
            conn, "POST", "/oauth/token",
            urllib.parse.urlencode({"grant_type": "authorization_code", "client_id": app["client_id"],
                                    "client_secret": app["client_secret"], "code": code,
                                    "redirect_uri": REDIRECT_URI}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        conn.close()
        if status != 200:
            raise RuntimeError(f"code exchange: {status} {raw[:300]!r}")
        body = json.loads(raw)
        return {
            "access_token": body["access_token"],
            "refresh_token": body["refresh_token"],
            "scope": body["scope"].split(),
            "expires_at": sent_at + float(body["expires_in"]),
            "account_id": body["account_id"],
        }

    def get_json(self, path: str, access_token: str) -> Any:
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=60)
        status, raw = self._request(conn, "GET", path, None, {"Authorization": "Bearer " + access_token})
        conn.close()
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {raw[:300]!r}")
        return json.loads(raw)

    def just_expired(self, app: dict[str, str], user: str) -> dict[str, Any]:
        """A grant whose access token has just expired, on both sides: the server no longer
        accepts it and the client's expiry is one second in the past."""
        token = self.grant(app, user)
        expired = self.admin("POST", "/admin/tokens/expire", {"access_token": token["access_token"]})
        if not expired.get("expired"):
            raise RuntimeError(f"the sandbox did not expire the token: {expired}")
        token["expires_at"] = time.time() - 1
        return token


# --- running one peer ---------------------------------------------------------------------------


def flatten(spec: dict[str, Any], prefix: str = "") -> list[str]:
    """The C++ bench's spec file: 'key value' lines, nested keys joined with '.', lists as
    repeated keys."""
    lines: list[str] = []
    for key, value in spec.items():
        name = prefix + key
        if isinstance(value, dict):
            lines += flatten(value, name + ".")
        elif isinstance(value, list):
            lines += [f"{name} {v}" for v in value]
        else:
            lines.append(f"{name} {value}")
    return lines


WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format(
    '\\nWRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%.3f,"p99_us":%.3f,"mean_us":%.3f,' ..
    '"errors_status":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_timeout":%d,"bytes":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.bytes))
end
"""


def peer_command(peer: str, spec: dict[str, Any], args: argparse.Namespace, workdir: Path,
                 sizes: Sizes) -> tuple[list[str], str | None]:
    if spec["scenario"] == "import":
        return import_command(peer, args.python), None
    if peer in PYTHON_PEERS:
        return [args.python, str(HERE / "peers" / PYTHON_PEERS[peer])], json.dumps(spec)
    if peer == "calbridge_cpp":
        path = workdir / "cpp-spec.txt"
        path.write_text("\n".join(flatten(spec)) + "\n")
        return [str(args.bench_cpp), str(path)], None
    if peer == "wrk":
        lua = workdir / "report.lua"
        lua.write_text(WRK_LUA)
        threads, connections = ("1", "1") if spec["scenario"] == "sequential" else ("2", str(sizes.threads))
        return [args.wrk, "-t", threads, "-c", connections, "-d", f"{sizes.wrk_seconds}s", "--timeout", "10s",
                "-s", str(lua), "-H", "Authorization: Bearer " + spec["token"]["access_token"],
                spec["api_url"] + "/v1/calendars"], None
    raise ValueError(peer)


def parse_output(peer: str, stdout: str) -> dict[str, Any]:
    if peer == "wrk":
        for line in stdout.splitlines():
            if line.startswith("WRK_JSON "):
                w = json.loads(line[len("WRK_JSON "):])
                errors = sum(w[k] for k in w if k.startswith("errors_"))
                wall = w["duration_us"] / 1e6
                return {"ok": errors == 0 and w["requests"] > 0, "calls": w["requests"], "wall_s": wall,
                        "p50_us": w["p50_us"], "p99_us": w["p99_us"], "mean_us": w["mean_us"],
                        **({"error": f"{errors} wrk errors"} if errors else {})}
        return {"ok": False, "error": "no WRK_JSON line in wrk's output"}
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"ok": False, "error": "no JSON on stdout"}
    return json.loads(lines[-1])


def child_env() -> dict[str, str]:
    """The peers' environment: each peer is given the sandbox CA its own way, so CA-bundle
    variables that some HTTP stacks let override that (requests does) are removed."""
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env["PYTHONHASHSEED"] = "0"
    return env


def run_peer(peer: str, spec: dict[str, Any], sandbox: Sandbox, args: argparse.Namespace, workdir: Path,
             sizes: Sizes) -> dict[str, Any]:
    cmd, stdin = peer_command(peer, spec, args, workdir, sizes)
    for wrap in args.wrap:
        name, _, prefix = wrap.partition("=")
        if name == peer:
            cmd = shlex.split(prefix.replace("{scenario}", spec["scenario"])) + cmd
    before = sandbox.counters()
    srv_cpu0 = sandbox.cpu_seconds()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        # Imports run in the scratch directory: `python -c` puts the working directory first
        # on sys.path, and the repository's own directories must not shadow a package.
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=args.timeout,
                              env=child_env(), cwd=workdir if spec["scenario"] == "import" else None)
        stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired:
        stdout, stderr, code = "", f"timed out after {args.timeout} s", -1
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    srv_cpu = sandbox.cpu_seconds() - srv_cpu0
    after = sandbox.counters()

    result = parse_output(peer, stdout)
    if code != 0 and result.get("ok"):
        result = {**result, "ok": False, "error": f"exit status {code}"}
    if not result.get("ok") and stderr.strip():
        result.setdefault("stderr", stderr.strip()[-1500:])
    harness_conns = after["harness_connections"] - before["harness_connections"]
    result.update({
        "process_wall_s": wall,
        "process_cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        "server_cpu_s": srv_cpu,
        # The 'after' counters request is itself counted: take it out.
        "server_requests": after["requests"] - before["requests"] - 1,
        "server_connections": after["connections_accepted"] - before["connections_accepted"] - harness_conns,
        "server_code_requests": after["token_requests"]["authorization_code"] - before["token_requests"]["authorization_code"],
        "server_refresh_requests": after["token_requests"]["refresh_token"] - before["token_requests"]["refresh_token"],
        "server_4xx": after["responses"]["4xx"] - before["responses"]["4xx"],
        "server_5xx": after["responses"]["5xx"] - before["responses"]["5xx"],
        "server_in_flight_peak": after["in_flight_peak"],
        "loadavg_1m": os.getloadavg()[0],
    })
    if peer == "wrk":
        cpu = result["process_cpu_s"]
        result.update({"cpu_user_s": cpu, "cpu_sys_s": 0.0, "cpu_is_whole_process": True})
    return result


# --- the run ------------------------------------------------------------------------------------


def machine_info(args: argparse.Namespace, sandbox_version: str) -> dict[str, Any]:
    def cmd(*argv: str) -> str:
        try:
            out = subprocess.run(list(argv), capture_output=True, text=True, timeout=20)
            return (out.stdout or out.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return "unavailable"

    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
    except (OSError, IndexError, ValueError):
        pass
    git = cmd("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")
    dirty = cmd("git", "-C", str(ROOT), "status", "--porcelain")
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "uname": cmd("uname", "-a"),
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "compiler": cmd("g++", "--version").splitlines()[0] if shutil.which("g++") else "unknown",
        "openssl": cmd("openssl", "version"),
        "wrk": cmd(args.wrk, "-v").splitlines()[0] if shutil.which(args.wrk) else "missing",
        "sandbox": sandbox_version,
        "git": git + (" (uncommitted changes)" if dirty and dirty != "unavailable" else ""),
        "loadavg_start": os.getloadavg(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sandbox", required=True, type=Path)
    ap.add_argument("--bench-cpp", required=True, type=Path)
    ap.add_argument("--python", default=sys.executable, help="the interpreter with calbridge and the peers")
    ap.add_argument("--wrk", default="wrk")
    ap.add_argument("--smoke", action="store_true", help="tiny counts, one repetition (CI)")
    ap.add_argument("--reps", type=int, help="repetitions per scenario (default 5; 1 with --smoke)")
    ap.add_argument("--peers", default=",".join(ALL_PEERS))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--out", type=Path, help="default: bench/results (build/bench-smoke with --smoke)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per peer run")
    ap.add_argument("--wrap", action="append", default=[], metavar="PEER=COMMAND",
                    help="run PEER under COMMAND, e.g. calbridge_cpp='perf record -g -o /tmp/{scenario}.data --' "
                         "(profiling; {scenario} is replaced)")
    ap.add_argument("--note", default="", help="a line for results.md (e.g. machine load)")
    args = ap.parse_args()

    sizes = Sizes(args.smoke)
    reps = args.reps or (1 if args.smoke else 5)
    peers = [p for p in args.peers.split(",") if p]
    scenarios = [s for s in args.scenarios.split(",") if s]
    for p in peers:
        if p not in ALL_PEERS:
            ap.error(f"unknown peer {p}")
    for s in scenarios:
        if s not in SCENARIOS:
            ap.error(f"unknown scenario {s}")
    out = args.out or (ROOT / "build" / "bench-smoke" if args.smoke else HERE / "results")
    out.mkdir(parents=True, exist_ok=True)
    if "wrk" in peers and shutil.which(args.wrk) is None:
        print(f"harness: {args.wrk} not found (apt-get install wrk); the ceiling is left out", file=sys.stderr)
        peers.remove("wrk")

    workdir = Path(tempfile.mkdtemp(prefix="calbridge-bench-"))
    sandbox = Sandbox(args.sandbox, workdir, sizes)
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    started = time.perf_counter()
    try:
        meta = machine_info(args, sandbox.version)
        meta.update({"mode": "smoke" if args.smoke else "full", "reps": reps, "note": args.note,
                     "sizes": vars(sizes), "sandbox_threads": os.cpu_count()})
        # What `localhost` resolves to, in order (the first-call scenario's host name): a first
        # address the sandbox does not listen on would add a refused connection to that scenario.
        meta["localhost"] = [a[4][0] for a in socket.getaddrinfo("localhost", sandbox.port, type=socket.SOCK_STREAM)]
        cal_token = sandbox.grant(APP, CAL_USER)
        events_token = sandbox.grant(APP, EVENTS_USER)
        calendar_ids = [c["calendar_id"] for c in sandbox.get_json("/v1/calendars", cal_token["access_token"])["calendars"]]
        today = dt.datetime.now(dt.timezone.utc).date()
        base = {
            "api_url": sandbox.api_url, "app_url": sandbox.app_url, "ca_file": sandbox.ca_file,
            **APP, "calendar_ids": calendar_ids, "state": STATE, "redirect_uri": REDIRECT_URI,
            "events_from": (today - dt.timedelta(days=30)).isoformat(),
            "events_to": (today + dt.timedelta(days=sizes.events // 3 + 30)).isoformat(),
            "expected_events": sizes.events, "events_token": events_token, "token": cal_token,
        }

        def spec_for(scenario: str) -> dict[str, Any]:
            spec = {**base, "scenario": scenario}
            if scenario == "sequential":
                spec["calls"] = sizes.sequential_calls
            elif scenario == "threads":
                spec.update(calls=sizes.thread_calls, threads=sizes.threads)
            elif scenario in ("storm", "storm_rotating"):
                app = STORM_APP if scenario == "storm" else ROTATING_APP
                spec.update(app, threads=sizes.storm_threads, token=sandbox.just_expired(app, CAL_USER))
            elif scenario == "connect":
                spec["redirects"] = [sandbox.consent(APP, CAL_USER) for _ in range(sizes.connect_flows)]
            elif scenario == "memory":
                spec["sessions"] = sizes.sessions
            elif scenario == "first_call":
                spec["api_url"] = spec["app_url"] = by_name(sandbox.api_url)
            return spec

        total = sum(len([p for p in peers if applies(p, s)]) for s in scenarios) * reps
        done = 0
        for rep in range(reps):
            order = peers[rep % len(peers):] + peers[:rep % len(peers)]
            for scenario in scenarios:
                for peer in order:
                    if not applies(peer, scenario):
                        continue
                    spec = spec_for(scenario)
                    result = run_peer(peer, spec, sandbox, args, workdir, sizes)
                    done += 1
                    row = {"scenario": scenario, "peer": peer, "rep": rep + 1, **result}
                    row.pop("traceback", None)
                    rows.append(row)
                    status = "ok" if row.get("ok") else "FAILED: " + str(row.get("error"))
                    print(f"[{done}/{total}] rep {rep + 1} {scenario:15} {peer:14} "
                          f"{row.get('process_wall_s', 0):6.2f} s  {status}", flush=True)
                    if not row.get("ok"):
                        failures.append(f"{scenario}/{peer}/rep {rep + 1}: {row.get('error')}"
                                        + (f"\n{result.get('stderr')}" if result.get("stderr") else ""))
        meta["loadavg_end"] = os.getloadavg()
        meta["duration_s"] = round(time.perf_counter() - started, 1)
        meta["versions"] = {}
        for row in rows:
            if row.get("version") and row["peer"] not in meta["versions"]:
                meta["versions"][row["peer"]] = row["version"]
        meta["versions"]["wrk"] = meta["wrk"]
    finally:
        sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    write_csv(out / "results.csv", rows)
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    subprocess.run([args.python, str(HERE / "report.py"), str(out)], check=True)
    print(f"harness: {len(rows)} runs in {meta['duration_s']} s; results in {out}")
    if failures:
        print("harness: failed runs:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    first = ["scenario", "peer", "rep", "ok", "version", "calls", "wall_s", "cpu_user_s", "cpu_sys_s",
             "p50_us", "p99_us", "mean_us", "threads", "failed_calls", "time_to_all_ok_s", "refreshes_seen",
             "flows", "events", "sessions", "bytes_per_session", "modules_added", "construct_s",
             "transport_requests", "transport_connections", "transport_handshakes", "server_requests",
             "server_connections", "server_code_requests", "server_refresh_requests", "server_4xx", "server_5xx",
             "server_cpu_s", "server_in_flight_peak", "process_wall_s", "process_cpu_s", "loadavg_1m"]
    keys = first + sorted({k for r in rows for k in r} - set(first) - {"stderr"})
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in keys})


if __name__ == "__main__":
    sys.exit(main())
