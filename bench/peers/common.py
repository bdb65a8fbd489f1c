"""What every Python peer shares: the spec it reads, the scenario drivers, the result it prints.

A peer is a small module with one class (see calbridge_py.py for the shape). The harness runs
it as `python peers/<peer>.py` with the scenario's spec as JSON on stdin, and reads one JSON
object from stdout. Timing and CPU cover the measured region only (imports, set-up and token
provisioning are outside it); the harness also records the whole child process's CPU.

Every call's result is checked (count and ids of calendars, every event's uid): a peer that
skipped parsing or got an error page would fail here, not look fast.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import threading
import time
import traceback
import urllib.parse
from typing import Any, Callable

Spec = dict[str, Any]


class CheckFailed(Exception):
    """A response that parsed but is not what the sandbox holds."""


# --- measuring --------------------------------------------------------------------------------


def cpu_seconds() -> tuple[float, float]:
    """User and system CPU of this whole process (every thread), in seconds."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def rss_bytes() -> int:
    """Resident set size now (VmRSS), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


class Region:
    """Wall time and process CPU of one measured region."""

    def __enter__(self) -> "Region":
        self.cpu0 = cpu_seconds()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        u, s = cpu_seconds()
        self.cpu_user = u - self.cpu0[0]
        self.cpu_sys = s - self.cpu0[1]

    def fields(self) -> dict[str, float]:
        return {"wall_s": self.wall, "cpu_user_s": self.cpu_user, "cpu_sys_s": self.cpu_sys}


def latency_fields(latencies_ns: list[int]) -> dict[str, float]:
    values = sorted(latencies_ns)
    return {
        "p50_us": percentile(values, 50) / 1000.0,
        "p99_us": percentile(values, 99) / 1000.0,
        "mean_us": (sum(values) / len(values) / 1000.0) if values else float("nan"),
    }


# --- checks -----------------------------------------------------------------------------------


def check_calendar_ids(ids: list[str], spec: Spec) -> None:
    want = spec["calendar_ids"]
    if ids != want:
        raise CheckFailed(f"calendars {ids!r}, expected {want!r}")


def redirect_code(redirect_url: str, expected_state: str) -> str:
    """The code from the redirect back, after checking its state (what every app must do)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect_url).query)
    if query.get("state") != [expected_state]:
        raise CheckFailed("state mismatch in the redirect back")
    if "error" in query:
        raise CheckFailed(f"authorization error {query['error']}")
    return query["code"][0]


# --- the scenario drivers ---------------------------------------------------------------------


def run_sequential(call: Callable[[], None], n: int) -> dict[str, Any]:
    latencies: list[int] = []
    clock = time.perf_counter_ns
    with Region() as region:
        for _ in range(n):
            t0 = clock()
            call()
            latencies.append(clock() - t0)
    return {"calls": n, **region.fields(), **latency_fields(latencies)}


def run_threads(call: Callable[[], None], threads: int, total: int) -> dict[str, Any]:
    """`total` calls split over `threads` threads that all start together."""
    per_thread = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    latencies: list[list[int]] = [[] for _ in range(threads)]
    errors: list[str] = []
    start = threading.Barrier(threads + 1)
    clock = time.perf_counter_ns

    def work(i: int) -> None:
        mine = latencies[i]
        start.wait()
        try:
            for _ in range(per_thread[i]):
                t0 = clock()
                call()
                mine.append(clock() - t0)
        except Exception as e:  # reported, and the run fails
            errors.append(f"{type(e).__name__}: {e}")

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    with Region() as region:
        start.wait()
        for w in workers:
            w.join()
    if errors:
        raise RuntimeError(f"{len(errors)} of {threads} threads failed; first: {errors[0]}")
    merged = [x for part in latencies for x in part]
    return {"calls": total, "threads": threads, **region.fields(), **latency_fields(merged)}


def run_storm(call: Callable[[], None], threads: int) -> dict[str, Any]:
    """`threads` threads make one call each at the same moment; time until the last succeeds.
    Failed calls are counted, not raised: losing the grant is a result here."""
    done_at: list[float] = [0.0] * threads
    failures: list[str] = []
    start = threading.Barrier(threads + 1)

    def work(i: int) -> None:
        start.wait()
        try:
            call()
            done_at[i] = time.perf_counter()
        except Exception as e:
            failures.append(f"{type(e).__name__}: {str(e)[:200]}")

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    with Region() as region:
        t0 = time.perf_counter()
        start.wait()
        for w in workers:
            w.join()
    ok_times = [t - t0 for t in done_at if t > 0]
    result: dict[str, Any] = {
        "calls": threads,
        "threads": threads,
        "failed_calls": len(failures),
        **region.fields(),
        "time_to_all_ok_s": max(ok_times) if not failures and ok_times else None,
    }
    if failures:
        result["first_failure"] = failures[0]
    return result


def run_first_call(peer_factory: Callable[[Spec], Any], spec: Spec) -> tuple[Any, dict[str, Any]]:
    """From nothing to the first result in a fresh process whose imports are done: the peer's
    client and the user's session made, then one checked calendar list (name lookup of the
    spec's host, TCP, TLS handshake, the request). `construct_s` is the part before the call;
    `modules_added` counts the modules the library imported lazily inside the region."""
    modules = len(sys.modules)
    with Region() as region:
        peer = peer_factory(spec)
        session = peer.session(spec["token"])
        constructed = time.perf_counter()
        peer.calendars(session)
    return peer, {"calls": 1, **region.fields(), "construct_s": constructed - region.t0,
                  "modules_added": len(sys.modules) - modules}


def run_memory(make: Callable[[int], object], n: int) -> dict[str, Any]:
    """Resident memory per live session: RSS after making `n` sessions (kept alive) minus RSS
    before, divided by `n`. One session is made and dropped first so that lazily loaded code
    and one-off caches are not charged to the sessions."""
    make(0)
    gc.collect()
    before = rss_bytes()
    with Region() as region:
        live = [make(i) for i in range(n)]
        gc.collect()
    after = rss_bytes()
    result = {
        "sessions": n,
        **region.fields(),
        "rss_before_bytes": before,
        "rss_after_bytes": after,
        "bytes_per_session": (after - before) / n,
    }
    del live
    return result


def memory_token(spec: Spec, i: int) -> dict[str, Any]:
    """The i-th user's tokens for the memory scenario: the shape and length of real sandbox
    tokens, each one distinct (no interning or sharing between sessions)."""
    base = spec["token"]
    return {
        "access_token": f"{i:08d}" + base["access_token"][8:],
        "refresh_token": f"{i:08d}" + base["refresh_token"][8:],
        "scope": list(base["scope"]),
        "expires_at": time.time() + 3600,
        "account_id": f"acc_memory_{i:08d}",
    }


# --- the entry point --------------------------------------------------------------------------


def main(peer_factory: Callable[[Spec], Any]) -> None:
    """Reads the spec, runs its scenario with the peer, prints one JSON object."""
    spec: Spec = json.load(sys.stdin)
    scenario = spec["scenario"]
    out: dict[str, Any] = {"scenario": scenario, "ok": False}
    try:
        if scenario == "first_call":
            peer, fields = run_first_call(peer_factory, spec)
            out.update(fields)
        else:
            peer = peer_factory(spec)
        out["version"] = peer.version()
        if scenario == "first_call":
            out.update(peer.transport_stats())
        elif scenario == "sequential":
            session = peer.session(spec["token"])
            peer.calendars(session)  # warm-up: connection, handshake, lazy imports
            out.update(run_sequential(lambda: peer.calendars(session), spec["calls"]))
            out.update(peer.transport_stats())
        elif scenario == "threads":
            session = peer.session(spec["token"])
            peer.calendars(session)
            out.update(run_threads(lambda: peer.calendars(session), spec["threads"], spec["calls"]))
            out.update(peer.transport_stats())
        elif scenario in ("storm", "storm_rotating"):
            session = peer.storm_session(spec["token"])
            out.update(run_storm(lambda: peer.storm_call(session), spec["threads"]))
            out["refreshes_seen"] = peer.refreshes_seen()
            out.update(peer.transport_stats())
        elif scenario == "connect":
            app = peer.connect_app()
            times: list[int] = []
            with Region() as region:
                for redirect_url in spec["redirects"]:
                    t0 = time.perf_counter_ns()
                    peer.connect_flow(app, redirect_url)
                    times.append(time.perf_counter_ns() - t0)
            out.update({"calls": len(times), "flows": len(times), **region.fields(), **latency_fields(times)})
            out.update(peer.transport_stats())
        elif scenario == "events":
            session = peer.session(spec["events_token"])
            with Region() as region:
                count = peer.read_events(session)
            if count != spec["expected_events"]:
                raise CheckFailed(f"read {count} events, expected {spec['expected_events']}")
            out.update({"calls": count, "events": count, **region.fields()})
            out.update(peer.transport_stats())
        elif scenario == "memory":
            out.update(run_memory(peer.memory_session, spec["sessions"]))
        else:
            raise ValueError(f"unknown scenario {scenario}")
        out["ok"] = True
    except Exception as e:
        out["error"] = f"{type(e).__name__}: {str(e)[:500]}"
        out["traceback"] = traceback.format_exc()[-2000:]
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    # Skip interpreter teardown (10,000 sessions' destructors are not what we measure).
    os._exit(0)
