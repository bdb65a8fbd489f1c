#!/usr/bin/env python3
"""The shared-store benchmarks (bench/README.md, "Shared stores"): a refresh storm across
processes, and a store holding 1,000,000 accounts. Writes storm.csv, load.csv, meta.json,
results.md and the plots.

    stores.py --sandbox PATH --worker PATH --bench-store PATH [--smoke] [--reps N] [--out DIR]

Storm: one account whose access token has expired, seeded into one store; P processes of
tests/stores/store_worker.cpp (T threads each) line up ("ready"), get "go" at once, and each
thread makes one calendars() call. The sandbox rotates refresh tokens and revokes the grant when
a rotated one is reused, so a second refresh would fail calls. Measured per run: the sandbox's
refresh_token grants (must be 1), calls that failed, and the time from the first "go" until the
last call returned (each call's steady-clock time comes from the worker's result line; the
driver's own arrival time is kept as a check). Configurations: P x 1 thread for P in
{1, 4, 16, 64} on the file, SQLite and PostgreSQL stores, and the in-process storm, 1 x 64
threads, on memory: and on each shared store. Each also runs with a token that is still valid
(no refresh; the same processes, store reads and connections): the floor the storm adds to.
Repetitions are interleaved, the order rotating.

Load: the SQLite and PostgreSQL stores are filled once with N accounts (calbridge-bench-store
populate: their own schema, rows as their insert() writes them), then calbridge-bench-store
measure (memory:, SQLite, PostgreSQL, interleaved) verifies a sample through the real store and
times random loads and first session uses. Bytes per account: SQLite's file and WAL after a
checkpoint, PostgreSQL's pg_total_relation_size, the memory store's VmRSS growth; each / N.

The sandbox and the PostgreSQL server are started here (tests/sandbox/sandbox_client.py,
tests/support/postgres_cluster.py), never found running, and stopped at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "sandbox"))
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(HERE))

import postgres_cluster  # noqa: E402
import sandbox_client  # noqa: E402

SHARED = ["file", "sqlite", "postgresql"]
# A wait that never ends on a healthy run (a hung worker, a dead server): fail, never hang.
SAFETY_S = 300.0


class Sizes:
    def __init__(self, smoke: bool) -> None:
        self.processes = [1, 4] if smoke else [1, 4, 16, 64]
        self.in_process_threads = 64
        self.accounts = 10_000 if smoke else 1_000_000
        self.load_samples = 5_000 if smoke else 100_000
        self.session_samples = 2_000 if smoke else 20_000
        self.verify = 200 if smoke else 2_000


def storm_configs(sizes: Sizes) -> list[tuple[str, int, int, str]]:
    """(store kind, processes, threads per process, "expired" or "valid" token)."""
    shapes = [("memory", 1, sizes.in_process_threads)]
    for kind in SHARED:
        shapes.append((kind, 1, sizes.in_process_threads))
        shapes += [(kind, p, 1) for p in sizes.processes]
    return [(*shape, token) for shape in shapes for token in ("expired", "valid")]


def rotated(items: list[Any], rep: int) -> list[Any]:
    k = rep % len(items)
    return items[k:] + items[:k]


# --- the servers ---------------------------------------------------------------------------------


class Servers:
    def __init__(self, sandbox_binary: Path, workdir: Path) -> None:
        sandbox_client.BINARY = str(sandbox_binary)
        self.sandbox = sandbox_client.start_sandbox(workdir / "sandbox", "--timeout", "120")
        # The server runs as `postgres` when we are root: a directory it can reach, not workdir.
        self.pg_dir = tempfile.mkdtemp(prefix="calbridge-bench-pg-")
        try:
            self.pg_url = postgres_cluster.start(self.pg_dir)
        except BaseException:
            shutil.rmtree(self.pg_dir, ignore_errors=True)
            self.sandbox.stop()
            raise
        self.env = dict(os.environ)
        self.env.update({
            "CALBRIDGE_TEST_API_URL": self.sandbox.url,
            "CALBRIDGE_TEST_CA_FILE": str(self.sandbox.ca_file),
            "CALBRIDGE_TEST_CLIENT_ID": self.sandbox.client_id,
            "CALBRIDGE_TEST_CLIENT_SECRET": self.sandbox.client_secret,
        })

    def sql(self, statement: str) -> str:
        return postgres_cluster.sql(self.pg_dir, statement)

    def counters(self) -> dict[str, Any]:
        return self.sandbox.admin_ok("GET", "/admin/counters")

    def stop(self) -> None:
        try:
            postgres_cluster.stop(self.pg_dir)
        finally:
            self.sandbox.stop()


# --- the storm -----------------------------------------------------------------------------------


class StormRun:
    """P worker processes on one store, driven over their pipes from this one thread (a
    selector, no reader threads competing with the workers for the CPUs)."""

    def __init__(self, cmd: list[str], processes: int, env: dict[str, str], log_dir: Path) -> None:
        self.logs = [open(log_dir / f"worker-{i}.log", "wb") for i in range(processes)]  # noqa: SIM115
        self.procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env)
                      for log in self.logs]
        self.selector = selectors.DefaultSelector()
        self.buffers = [b""] * processes
        self.ready = 0
        self.done = 0
        self.results: list[dict[str, Any]] = []
        self.open_pipes = processes
        for i, p in enumerate(self.procs):
            assert p.stdout is not None
            os.set_blocking(p.stdout.fileno(), False)
            self.selector.register(p.stdout.fileno(), selectors.EVENT_READ, i)

    def _line(self, i: int, line: str, arrived_ns: int) -> None:
        if line == "ready":
            self.ready += 1
        elif line == "done":
            self.done += 1
        elif line.startswith("{"):
            result = json.loads(line)
            result["arrived_ns"] = arrived_ns
            self.results.append(result)
        else:
            raise RuntimeError(f"worker {i} printed {line!r}")

    def pump_until(self, condition: Any) -> None:
        deadline = time.monotonic() + SAFETY_S
        while not condition():
            if self.open_pipes == 0:
                codes = [p.poll() for p in self.procs]
                raise RuntimeError(f"the workers exited ({codes}) before they were done; see their logs")
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"a worker hung: {self.ready} ready, {self.done} done of {len(self.procs)}")
            for key, _ in self.selector.select(timeout=left):
                i = key.data
                data = os.read(key.fd, 65536)
                arrived = time.monotonic_ns()
                if not data:
                    self.selector.unregister(key.fd)
                    self.open_pipes -= 1
                    continue
                self.buffers[i] += data
                *lines, self.buffers[i] = self.buffers[i].split(b"\n")
                for line in lines:
                    self._line(i, line.decode(), arrived)

    def go(self) -> int:
        """Every worker ready, then "go" to all; returns the steady-clock time of the first go."""
        self.pump_until(lambda: self.ready == len(self.procs))
        t_go = time.monotonic_ns()
        for p in self.procs:
            assert p.stdin is not None
            p.stdin.write(b"go\n")
            p.stdin.flush()
        return t_go

    def finish(self) -> None:
        self.pump_until(lambda: self.done == len(self.procs))
        for p in self.procs:
            code = p.wait(timeout=SAFETY_S)
            if code != 0:
                raise RuntimeError(f"a worker exited with {code}")

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for stream in (p.stdin, p.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except BrokenPipeError:
                        pass
        self.selector.close()
        for log in self.logs:
            log.close()


def worker_output(worker: Path, args: list[str], env: dict[str, str], stdin: str = "") -> dict[str, Any]:
    out = subprocess.run([str(worker), *args], input=stdin, capture_output=True, text=True, env=env,
                         timeout=SAFETY_S, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"store_worker {args[0]} failed ({out.returncode}): {out.stdout[-500:]} {out.stderr[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def storm(servers: Servers, worker: Path, kind: str, processes: int, threads: int, token: str, workdir: Path,
          run_id: int) -> dict[str, Any]:
    run_dir = workdir / f"storm-{run_id}"
    run_dir.mkdir()
    reply = servers.sandbox.connect()  # a new grant; its refresh token rotates on first use
    account = reply["account_id"]
    expired = ["--expired"] if token == "expired" else []
    refreshes_expected = 1 if token == "expired" else 0
    seed_args: list[str] = []
    if kind == "memory":
        store = "memory:"
        reply_file = run_dir / "reply.json"
        reply_file.write_text(json.dumps(reply))
        seed_args = ["--seed", str(reply_file), *expired]  # each process's own store
    else:
        if kind == "file":
            store = f"file:{run_dir / 'credentials'}"
        elif kind == "sqlite":
            store = f"sqlite:{run_dir / 'credentials.db'}"
        else:
            servers.sql("SET client_min_messages = warning; DROP TABLE IF EXISTS calbridge_credentials CASCADE")
            store = servers.pg_url
        seeded = worker_output(worker, ["seed", "--store", store, "--account", account, *expired], servers.env,
                               json.dumps(reply))["version"]
    cmd = [str(worker), "run", "--store", store, "--account", account, "--threads", str(threads), "--timestamps",
           *seed_args]
    row: dict[str, Any] = {"store": kind, "processes": processes, "threads": threads, "token": token,
                           "callers": processes * threads}
    before = servers.counters()
    t0 = time.perf_counter()
    run = StormRun(cmd, processes, servers.env, run_dir)
    try:
        t_go = run.go()
        run.finish()
    finally:
        run.close()
    row["process_wall_s"] = time.perf_counter() - t0  # start-up of every worker included
    after = servers.counters()
    results = run.results
    failed = [r for r in results if not r.get("ok")]
    row.update({
        "calls": len(results),
        "failed_calls": len(failed),
        "refresh_requests": after["token_requests"]["refresh_token"] - before["token_requests"]["refresh_token"],
        # The "after" request is counted by the sandbox itself, on a connection of its own.
        "server_requests": after["requests"] - before["requests"] - 1,
        "server_connections": after["connections_accepted"] - before["connections_accepted"] - 1,
        "loadavg_1m": os.getloadavg()[0],
    })
    if results and not failed:
        row["time_to_all_ok_ms"] = (max(r["t_ns"] for r in results) - t_go) / 1e6
        row["first_ok_ms"] = (min(r["t_ns"] for r in results) - t_go) / 1e6
        row["driver_last_line_ms"] = (max(r["arrived_ns"] for r in results) - t_go) / 1e6
    if kind != "memory":
        row["versions_moved"] = worker_output(worker, ["load", "--store", store, "--account", account],
                                              servers.env)["version"] - seeded
    errors = []
    if row["calls"] != processes * threads:
        errors.append(f"{row['calls']} result lines, expected {processes * threads}")
    if failed:
        errors.append(f"{len(failed)} calls failed: {sorted({r.get('code') for r in failed})}")
    if row["refresh_requests"] != refreshes_expected:
        errors.append(f"{row['refresh_requests']} refresh requests")
    if row.get("versions_moved", refreshes_expected) != refreshes_expected:
        errors.append(f"the stored version moved by {row['versions_moved']}")
    row["ok"] = not errors
    if errors:
        row["error"] = "; ".join(errors)
    shutil.rmtree(run_dir, ignore_errors=True)
    return row


# --- 1,000,000 accounts ----------------------------------------------------------------------------


def bench_store(binary: Path, command: str, store: str, sizes: Sizes, reply: str, expires_at: int,
                extra: list[str] | None = None) -> dict[str, Any]:
    cmd = [str(binary), command, "--store", store, "--accounts", str(sizes.accounts), "--expires-at", str(expires_at),
           *(extra or [])]
    out = subprocess.run(cmd, input=reply, capture_output=True, text=True, timeout=1800, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"ok": False, "error": f"no JSON (exit {out.returncode})"}
    if not result.get("ok") and out.stderr.strip():
        result["stderr"] = out.stderr.strip()[-1000:]
    return result


def sqlite_sizes(path: Path) -> dict[str, Any]:
    import sqlite3

    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT count(*) FROM credentials").fetchone()[0]
    wal = Path(str(path) + "-wal")
    db_bytes = path.stat().st_size
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    return {"rows": rows, "db_bytes": db_bytes, "wal_bytes": wal_bytes, "disk_bytes": db_bytes + wal_bytes}


def postgres_sizes(servers: Servers) -> dict[str, Any]:
    out = servers.sql("SELECT count(*), pg_total_relation_size('calbridge_credentials'), "
                      "pg_relation_size('calbridge_credentials'), pg_indexes_size('calbridge_credentials') "
                      "FROM calbridge_credentials")
    rows, total, heap, indexes = (int(x) for x in out.split("|"))
    return {"rows": rows, "disk_bytes": total, "heap_bytes": heap, "index_bytes": indexes}


def load_bench(servers: Servers, binary: Path, sizes: Sizes, reps: int, workdir: Path,
               log: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    reply = json.dumps(servers.sandbox.connect())  # the template: real token lengths and fields
    expires_at = int(time.time()) + 30 * 86400
    sqlite_path = workdir / "accounts.db"
    stores = {"memory": "memory:", "sqlite": f"sqlite:{sqlite_path}", "postgresql": servers.pg_url}
    ready = ["memory"]
    for kind in ("sqlite", "postgresql"):
        if kind == "postgresql":
            servers.sql("SET client_min_messages = warning; DROP TABLE IF EXISTS calbridge_credentials CASCADE")
        result = bench_store(binary, "populate", stores[kind], sizes, reply, expires_at)
        row = {"phase": "populate", "store": kind, "rep": 0, **result}
        if result.get("ok"):
            row.update(sqlite_sizes(sqlite_path) if kind == "sqlite" else postgres_sizes(servers))
            row["bytes_per_account"] = row["disk_bytes"] / sizes.accounts
            if row["rows"] != sizes.accounts:
                row.update(ok=False, error=f"{row['rows']} rows, expected {sizes.accounts}")
        if row.get("ok"):
            ready.append(kind)
        rows.append(row)
        log(f"populate {kind:10} {sizes.accounts:,} accounts  {row.get('populate_s', 0):6.1f} s  "
            + ("ok" if row.get("ok") else "FAILED: " + str(row.get("error"))))
    extra = ["--samples", str(sizes.load_samples), "--session-samples", str(sizes.session_samples),
             "--verify", str(sizes.verify)]
    for rep in range(reps):
        for kind in rotated(ready, rep):
            t0 = time.perf_counter()
            result = bench_store(binary, "measure", stores[kind], sizes, reply, expires_at,
                                 extra + ["--seed", str(rep + 1)])
            row = {"phase": "measure", "store": kind, "rep": rep + 1, **result,
                   "process_wall_s": time.perf_counter() - t0, "loadavg_1m": os.getloadavg()[0]}
            rows.append(row)
            log(f"rep {rep + 1} measure {kind:10} load p50 {row.get('load_p50_us', 0):8.2f} µs  "
                + ("ok" if row.get("ok") else "FAILED: " + str(row.get("error"))))
    if sqlite_path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(sqlite_path) + suffix).unlink(missing_ok=True)
    servers.sql("SET client_min_messages = warning; DROP TABLE IF EXISTS calbridge_credentials CASCADE")
    return rows


# --- the run -------------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[dict[str, Any]], first: list[str]) -> None:
    keys = first + sorted({k for r in rows for k in r} - set(first) - {"stderr"})
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in keys})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sandbox", required=True, type=Path)
    ap.add_argument("--worker", required=True, type=Path, help="calbridge_store_worker")
    ap.add_argument("--bench-store", required=True, type=Path, help="calbridge-bench-store")
    ap.add_argument("--smoke", action="store_true", help="tiny counts, one repetition (CI)")
    ap.add_argument("--reps", type=int, help="repetitions (default 5; 1 with --smoke)")
    ap.add_argument("--parts", default="storm,load", help="storm, load or both")
    ap.add_argument("--out", type=Path, help="default: bench/results/stores (build/bench-smoke/stores with --smoke)")
    ap.add_argument("--note", default="", help="a line for results.md (e.g. machine load)")
    args = ap.parse_args()

    sizes = Sizes(args.smoke)
    reps = args.reps or (1 if args.smoke else 5)
    parts = {p for p in args.parts.split(",") if p}
    if not parts <= {"storm", "load"}:
        ap.error(f"unknown part in {args.parts}")
    for f in (args.sandbox, args.worker, args.bench_store):
        if not os.access(f, os.X_OK):
            ap.error(f"{f} is not an executable")
    out = args.out or (ROOT / "build" / "bench-smoke" / "stores" if args.smoke else HERE / "results" / "stores")
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("storm.csv", "load.csv"):  # the directory shows this run only
        (out / stale).unlink(missing_ok=True)

    import harness  # machine_info: the same record as the peers' run

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="calbridge-bench-stores-"))
    storm_rows: list[dict[str, Any]] = []
    load_rows: list[dict[str, Any]] = []
    failures: list[str] = []

    def log(line: str) -> None:
        print(line, flush=True)

    servers = Servers(args.sandbox, workdir)
    try:
        meta = harness.machine_info(argparse.Namespace(wrk="wrk"), servers.sandbox.admin_ok("GET", "/admin/status")["version"])
        meta.pop("wrk", None)
        meta.update({"mode": "smoke" if args.smoke else "full", "reps": reps, "note": args.note, "parts": sorted(parts),
                     "sizes": vars(sizes), "postgresql": servers.sql("SHOW server_version"),
                     "sqlite": __import__("sqlite3").sqlite_version})
        if "storm" in parts:
            configs = storm_configs(sizes)
            total = len(configs) * reps
            run_id = 0
            for rep in range(reps):
                for kind, processes, threads, token in rotated(configs, rep):
                    run_id += 1
                    try:
                        row = storm(servers, args.worker, kind, processes, threads, token, workdir, run_id)
                    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                        row = {"store": kind, "processes": processes, "threads": threads, "token": token,
                               "callers": processes * threads, "ok": False, "error": str(e)}
                    row = {"scenario": "storm", "rep": rep + 1, **row}
                    storm_rows.append(row)
                    status = "ok" if row["ok"] else "FAILED: " + row["error"]
                    log(f"[{run_id}/{total}] rep {rep + 1} storm {kind:10} {processes:2}×{threads:<2} {token:7} "
                        f"{row.get('time_to_all_ok_ms', float('nan')):8.1f} ms  refreshes {row.get('refresh_requests', '?')}  {status}")
                    if not row["ok"]:
                        failures.append(f"storm {kind} {processes}×{threads} {token} rep {rep + 1}: {row['error']}")
        if "load" in parts:
            load_rows = load_bench(servers, args.bench_store, sizes, reps, workdir, log)
            failures += [f"{r['phase']} {r['store']} rep {r['rep']}: {r.get('error')}" for r in load_rows if not r.get("ok")]
        meta["loadavg_end"] = os.getloadavg()
        meta["duration_s"] = round(time.perf_counter() - started, 1)
    finally:
        servers.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    if storm_rows:
        write_csv(out / "storm.csv", storm_rows,
                  ["scenario", "store", "processes", "threads", "token", "callers", "rep", "ok", "refresh_requests",
                   "failed_calls", "calls", "time_to_all_ok_ms", "first_ok_ms", "driver_last_line_ms",
                   "versions_moved", "server_connections", "server_requests", "process_wall_s", "loadavg_1m", "error"])
    if load_rows:
        write_csv(out / "load.csv", load_rows,
                  ["phase", "store", "rep", "ok", "accounts", "populate_s", "insert_s", "rows", "disk_bytes",
                   "bytes_per_account", "load_p50_us", "load_p99_us", "load_mean_us", "load_max_us", "load_samples",
                   "session_p50_us", "session_p99_us", "session_mean_us", "session_max_us", "session_samples",
                   "verified", "json_bytes_mean", "process_wall_s", "loadavg_1m", "error"])
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    subprocess.run([sys.executable, str(HERE / "stores_report.py"), str(out)], check=True)
    print(f"stores: {len(storm_rows)} storm runs, {len(load_rows)} load runs in {meta['duration_s']} s; results in {out}")
    if failures:
        print("stores: failed runs:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
