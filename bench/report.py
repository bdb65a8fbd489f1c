#!/usr/bin/env python3
"""results.csv + meta.json -> results.md (tables, targets met or missed) and PNG plots.

    report.py DIR

Every number is a median over the repetitions, with the spread (min-max) next to it. Ratios
between peers come from the same run: the ratio of the medians, and in brackets the range of
the per-repetition ratios (peers ran interleaved, so repetition i of one peer ran next to
repetition i of the other).
"""

from __future__ import annotations

import csv
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

PEER_ORDER = ["wrk", "interpreter", "calbridge_cpp", "calbridge_py", "httpx", "authlib", "pycronofy"]
PEER_LABEL = {
    "wrk": "wrk -c1 (ceiling)",
    "interpreter": "bare interpreter (baseline)",
    "calbridge_cpp": "calbridge C++",
    "calbridge_py": "calbridge Python",
    "httpx": "httpx + bearer",
    "authlib": "Authlib OAuth2Session",
    "pycronofy": "pycronofy",
}
PEER_COLOR = {
    "wrk": "#7f7f7f",
    "interpreter": "#bdbdbd",
    "calbridge_cpp": "#1f4e9c",
    "calbridge_py": "#3a86ff",
    "httpx": "#8ac926",
    "authlib": "#ff9f1c",
    "pycronofy": "#e63946",
}

Row = dict[str, Any]


def number(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def load(directory: Path) -> tuple[list[Row], dict[str, Any]]:
    with open(directory / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    meta = json.loads((directory / "meta.json").read_text())
    return rows, meta


# --- derived metrics per run ----------------------------------------------------------------------


def calls_per_s(r: Row) -> float | None:
    calls, wall = number(r.get("calls")), number(r.get("wall_s"))
    return calls / wall if calls and wall else None


def per_call_us(r: Row) -> float | None:
    calls, wall = number(r.get("calls")), number(r.get("wall_s"))
    return wall / calls * 1e6 if calls and wall else None


def cpu_per_call_us(r: Row) -> float | None:
    calls = number(r.get("calls"))
    u, s = number(r.get("cpu_user_s")), number(r.get("cpu_sys_s"))
    return (u + (s or 0)) / calls * 1e6 if calls and u is not None else None


def process_cpu_per_call_us(r: Row) -> float | None:
    calls, cpu = number(r.get("calls")), number(r.get("process_cpu_s"))
    return cpu / calls * 1e6 if calls and cpu is not None else None


def server_cpu_per_call_us(r: Row) -> float | None:
    calls, cpu = number(r.get("calls")), number(r.get("server_cpu_s"))
    return cpu / calls * 1e6 if calls and cpu is not None else None


def field(name: str, scale: float = 1.0) -> Callable[[Row], float | None]:
    def get(r: Row) -> float | None:
        v = number(r.get(name))
        return None if v is None else v * scale

    return get


def per_flow(name: str) -> Callable[[Row], float | None]:
    def get(r: Row) -> float | None:
        v, flows = number(r.get(name)), number(r.get("flows"))
        return v / flows if v is not None and flows else None

    return get


# --- summaries --------------------------------------------------------------------------------------


class Table:
    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows

    def runs(self, scenario: str, peer: str) -> list[Row]:
        return sorted((r for r in self.rows if r["scenario"] == scenario and r["peer"] == peer), key=lambda r: int(r["rep"]))

    def peers(self, scenario: str) -> list[str]:
        present = {r["peer"] for r in self.rows if r["scenario"] == scenario}
        return [p for p in PEER_ORDER if p in present]

    def values(self, scenario: str, peer: str, metric: Callable[[Row], float | None], ok_only: bool = True) -> list[float]:
        out = []
        for r in self.runs(scenario, peer):
            if ok_only and r.get("ok") != "True":
                continue
            v = metric(r)
            if v is not None:
                out.append(v)
        return out

    def median(self, scenario: str, peer: str, metric: Callable[[Row], float | None]) -> float | None:
        v = self.values(scenario, peer, metric)
        return statistics.median(v) if v else None

    def paired_ratios(self, scenario: str, a: str, b: str, metric: Callable[[Row], float | None]) -> list[float]:
        ra = {r["rep"]: metric(r) for r in self.runs(scenario, a) if r.get("ok") == "True"}
        rb = {r["rep"]: metric(r) for r in self.runs(scenario, b) if r.get("ok") == "True"}
        return [ra[k] / rb[k] for k in ra if k in rb and ra[k] is not None and rb[k]]

    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.get("ok") != "True"]


def fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "–"
    if v == 0:
        return "0"
    mag = math.floor(math.log10(abs(v)))
    decimals = max(0, digits - 1 - mag)
    return f"{v:,.{decimals}f}"


def cell(t: Table, scenario: str, peer: str, metric: Callable[[Row], float | None], digits: int = 3) -> str:
    v = t.values(scenario, peer, metric)
    if not v:
        return "–"
    med = statistics.median(v)
    if len(v) == 1 or min(v) == max(v):
        return fmt(med, digits)
    return f"{fmt(med, digits)} ({fmt(min(v), 2)}–{fmt(max(v), 2)})"


def ratio_cell(t: Table, scenario: str, a: str, b: str, metric: Callable[[Row], float | None]) -> str:
    """a's median over b's, with the range of the per-repetition ratios: '–' for a itself."""
    if a == b:
        return "–"
    r, text = ratio_text(t, scenario, a, b, metric)
    return "–" if r is None else text


def cpu_ms(r: Row) -> float | None:
    u, s = number(r.get("cpu_user_s")), number(r.get("cpu_sys_s"))
    return None if u is None else (u + (s or 0)) * 1e3


def ok_cell(t: Table, scenario: str, peer: str) -> str:
    runs = t.runs(scenario, peer)
    good = sum(1 for r in runs if r.get("ok") == "True")
    return f"{good}/{len(runs)}"


# --- the Markdown ------------------------------------------------------------------------------------


def markdown(t: Table, meta: dict[str, Any]) -> str:
    out: list[str] = []
    w = out.append
    sizes = meta.get("sizes", {})
    w("# calbridge against the peers: results")
    w("")
    w(f"Run of {meta['date']} ({meta['mode']} mode, {meta['reps']} interleaved repetitions per scenario, "
      f"{meta.get('duration_s', '?')} s in all). Generated by `bench/report.py` from `results.csv`; "
      "see `bench/README.md` for the method and the caveats.")
    w("")
    w("| machine | |")
    w("|---|---|")
    w(f"| CPU | {meta['cpu_model']}, {meta['cpus']} CPUs, {meta['memory_gib']} GiB |")
    w(f"| system | `{meta['uname']}` |")
    w(f"| load average (1, 5, 15 min) | start {', '.join(f'{x:.2f}' for x in meta['loadavg_start'])}; "
      f"end {', '.join(f'{x:.2f}' for x in meta.get('loadavg_end', []))} |")
    w(f"| toolchain | {meta['compiler']}; {meta['openssl']}; Python {meta['python']} |")
    w(f"| calbridge | git {meta['git']}; sandbox {meta['sandbox']} |")
    versions = meta.get("versions", {})
    w("| peers | " + "; ".join(f"{PEER_LABEL.get(p, p)} {versions[p]}" for p in PEER_ORDER if p in versions) + " |")
    if meta.get("note"):
        w(f"| note | {meta['note']} |")
    w("")
    w("Cells are `median (min–max)` over the repetitions. *CPU/call* is user+system CPU of the client "
      "process over the measured region divided by the calls; *process CPU/call* is the whole child "
      "process (interpreter start-up and imports included) divided by the same calls. *conns* are TLS "
      "connections the sandbox accepted during the run (each one a full handshake), *reqs* the requests it "
      "served; the transport columns are calbridge's own counters (connections opened, TLS handshakes).")
    w("")

    def throughput_table(scenario: str, title: str, n: int) -> None:
        w(f"## {title}")
        w("")
        w("| peer | ok | calls/s | per call µs | p50 µs | p99 µs | CPU/call µs | process CPU/call µs | sandbox CPU/call µs | conns | reqs | transport conns / handshakes |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for p in t.peers(scenario):
            tc = t.median(scenario, p, field("transport_connections"))
            th = t.median(scenario, p, field("transport_handshakes"))
            transport = "–" if tc is None else f"{fmt(tc)} / {fmt(th)}"
            conns = "–" if p == "wrk" else cell(t, scenario, p, field("server_connections"))
            w(f"| {PEER_LABEL[p]} | {ok_cell(t, scenario, p)} | {cell(t, scenario, p, calls_per_s)} | "
              f"{cell(t, scenario, p, per_call_us)} | {cell(t, scenario, p, field('p50_us'))} | "
              f"{cell(t, scenario, p, field('p99_us'))} | {cell(t, scenario, p, cpu_per_call_us)} | "
              f"{cell(t, scenario, p, process_cpu_per_call_us)} | {cell(t, scenario, p, server_cpu_per_call_us)} | "
              f"{conns} | {cell(t, scenario, p, field('server_requests'))} | {transport} |")
        w("")

    if "sequential" in {r["scenario"] for r in t.rows}:
        throughput_table("sequential", f"1. Sequential GET /v1/calendars ({sizes.get('sequential_calls')} calls)", 1)
        w("wrk runs for a fixed time rather than a fixed count; its CPU/call is the whole wrk process. "
          "The warm-up call before the measured calls (one per peer) is in *conns* and *reqs*.")
        w("")
    if "threads" in {r["scenario"] for r in t.rows}:
        throughput_table("threads", f"2. {sizes.get('threads')} threads sharing one session ({sizes.get('thread_calls')} calls)", 2)
        w("The ceiling here is `wrk -t2 -c8` (8 keep-alive connections).")
        w("")

    for scenario, title in (("storm", "3. Refresh storm: 64 threads, token just expired (refresh tokens not rotated)"),
                            ("storm_rotating", "3b. The same storm with rotation and reuse detection on")):
        if scenario not in {r["scenario"] for r in t.rows}:
            continue
        w(f"## {title}")
        w("")
        w("| peer | ok | token requests | failed calls (of 64) | time until all 64 succeed, ms | conns | reqs | transport conns / handshakes |")
        w("|---|---|---|---|---|---|---|---|")
        for p in t.peers(scenario):
            tc = t.median(scenario, p, field("transport_connections"))
            th = t.median(scenario, p, field("transport_handshakes"))
            transport = "–" if tc is None else f"{fmt(tc)} / {fmt(th)}"
            all_ok = [r for r in t.runs(scenario, p) if number(r.get("time_to_all_ok_s")) is not None]
            time_cell = cell(t, scenario, p, field("time_to_all_ok_s", 1e3))
            if len(all_ok) < len(t.runs(scenario, p)):
                time_cell += f" ({len(t.runs(scenario, p)) - len(all_ok)} runs never)"
            w(f"| {PEER_LABEL[p]} | {ok_cell(t, scenario, p)} | {cell(t, scenario, p, field('server_refresh_requests'))} | "
              f"{cell(t, scenario, p, field('failed_calls'))} | {time_cell} | "
              f"{cell(t, scenario, p, field('server_connections'))} | {cell(t, scenario, p, field('server_requests'))} | {transport} |")
        w("")
        if scenario == "storm":
            w("Each peer uses its documented refresh pattern: calbridge just calls (one refresh per account "
              "in flight); pycronofy's README `if is_authorization_expired(): refresh_authorization()` before "
              "the call; Authlib's OAuth2Session auto-refresh; httpx's documented custom `Auth` flow (refresh "
              "on 401). The application does not rotate refresh tokens, so every pattern can finish.")
        else:
            w("Same patterns, with the sandbox's default policy (refresh tokens rotate; reusing a rotated one "
              "revokes the grant), the intermediary's likely behaviour. A failed call here lost the user's "
              "grant or got an `invalid_grant`.")
        w("")

    if "connect" in {r["scenario"] for r in t.rows}:
        w(f"## 4. Connect flow: redirect back → code exchange → first calendar list ({sizes.get('connect_flows')} flows per run)")
        w("")
        w("| peer | ok | per flow p50 ms | per flow mean ms | round trips / flow | TLS handshakes / flow | CPU/flow µs |")
        w("|---|---|---|---|---|---|---|")
        for p in t.peers("connect"):
            w(f"| {PEER_LABEL[p]} | {ok_cell(t, 'connect', p)} | {cell(t, 'connect', p, field('p50_us', 1e-3))} | "
              f"{cell(t, 'connect', p, field('mean_us', 1e-3))} | {cell(t, 'connect', p, per_flow('server_requests'))} | "
              f"{cell(t, 'connect', p, per_flow('server_connections'))} | {cell(t, 'connect', p, cpu_per_call_us)} |")
        w("")
        w("Each peer keeps its application-level object across flows the way its docs show: one calbridge "
          "Client, one httpx.Client; pycronofy and Authlib make a client/OAuth2Session per user.")
        w("")

    if "events" in {r["scenario"] for r in t.rows}:
        w(f"## 5. Reading {sizes.get('events'):,} events over pages of 100")
        w("")
        w("| peer | ok | time ms | events/s | CPU ms | requests | TLS handshakes |")
        w("|---|---|---|---|---|---|---|")
        for p in t.peers("events"):
            w(f"| {PEER_LABEL[p]} | {ok_cell(t, 'events', p)} | {cell(t, 'events', p, field('wall_s', 1e3))} | "
              f"{cell(t, 'events', p, calls_per_s)} | "
              f"{cell(t, 'events', p, lambda r: (number(r.get('cpu_user_s')) or 0) * 1e3 + (number(r.get('cpu_sys_s')) or 0) * 1e3)} | "
              f"{cell(t, 'events', p, field('server_requests'))} | {cell(t, 'events', p, field('server_connections'))} |")
        w("")

    if "memory" in {r["scenario"] for r in t.rows}:
        w(f"## 6. Resident memory for {sizes.get('sessions'):,} live sessions")
        w("")
        w("| peer | ok | bytes per session | RSS growth MiB | time to create ms |")
        w("|---|---|---|---|---|")
        for p in t.peers("memory"):
            w(f"| {PEER_LABEL[p]} | {ok_cell(t, 'memory', p)} | {cell(t, 'memory', p, field('bytes_per_session'))} | "
              f"{cell(t, 'memory', p, lambda r: (number(r.get('rss_after_bytes')) or 0) / 2**20 - (number(r.get('rss_before_bytes')) or 0) / 2**20)} | "
              f"{cell(t, 'memory', p, field('wall_s', 1e3))} |")
        w("")
        w("A session is what each library keeps per user: calbridge's Session (credentials loaded into the "
          "client's account state and its in-memory token store); a pycronofy.Client; an Authlib "
          "OAuth2Session (a requests.Session each); an httpx.Auth holding the tokens, sharing one httpx.Client.")
        w("")

    if "import" in {r["scenario"] for r in t.rows}:
        w("## 7. Import time in a fresh interpreter")
        w("")
        w("| peer | ok | import ms | import CPU ms | modules imported | process wall ms | process CPU ms | "
          "calbridge Python ÷ peer (import ms) |")
        w("|---|---|---|---|---|---|---|---|")
        for p in t.peers("import"):
            # The baseline imports nothing: its in-process numbers are only the timer's floor.
            base = p == "interpreter"
            w(f"| {PEER_LABEL[p]} | {ok_cell(t, 'import', p)} | "
              f"{'no import' if base else cell(t, 'import', p, field('wall_s', 1e3))} | "
              f"{'–' if base else cell(t, 'import', p, cpu_ms)} | {cell(t, 'import', p, field('modules_added'), 1)} | "
              f"{cell(t, 'import', p, field('process_wall_s', 1e3))} | {cell(t, 'import', p, field('process_cpu_s', 1e3))} | "
              f"{'–' if base else ratio_cell(t, 'import', 'calbridge_py', p, field('wall_s'))} |")
        w("")
        w("*import ms* is `time.perf_counter()` around the import statement inside a fresh `python -c` process "
          "(`import calbridge`, `import pycronofy`, `import authlib.integrations.requests_client`, `import httpx`); "
          "*process wall ms* is the whole child process as the harness saw it, interpreter start and exit included. "
          "The bare interpreter's row imports nothing: its process time is the start-up every row includes. "
          "Warm OS page cache (see the caveats).")
        w("")

    if "first_call" in {r["scenario"] for r in t.rows}:
        w("## 8. First call: from nothing to the first calendar list, in a fresh process")
        w("")
        w("| peer | ok | first call ms | of which construction ms | CPU ms | modules imported | conns | reqs | "
          "transport conns / handshakes | calbridge C++ ÷ peer | calbridge Python ÷ peer |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for p in t.peers("first_call"):
            tc = t.median("first_call", p, field("transport_connections"))
            th = t.median("first_call", p, field("transport_handshakes"))
            transport = "–" if tc is None else f"{fmt(tc)} / {fmt(th)}"
            modules = "–" if p == "calbridge_cpp" else cell(t, "first_call", p, field("modules_added"), 1)
            w(f"| {PEER_LABEL[p]} | {ok_cell(t, 'first_call', p)} | {cell(t, 'first_call', p, field('wall_s', 1e3))} | "
              f"{cell(t, 'first_call', p, field('construct_s', 1e3))} | {cell(t, 'first_call', p, cpu_ms)} | {modules} | "
              f"{cell(t, 'first_call', p, field('server_connections'))} | {cell(t, 'first_call', p, field('server_requests'))} | "
              f"{transport} | {ratio_cell(t, 'first_call', 'calbridge_cpp', p, field('wall_s'))} | "
              f"{ratio_cell(t, 'first_call', 'calbridge_py', p, field('wall_s'))} |")
        w("")
        w("Measured inside the process, after its imports: the client (and the user's session or per-user client) "
          "made, then one `GET /v1/calendars` to `https://localhost:PORT` whose calendar ids are checked: "
          "name lookup, TCP connect, TLS handshake, the request and its parsing. *construction* is the part before "
          "the call; *modules imported* are those the library imported lazily inside the region (their cost is "
          "here, not in scenario 7). Ratios are of the first-call times."
          + (f" `localhost` resolved to {', '.join(meta['localhost'])}." if meta.get("localhost") else ""))
        w("")

    w("## Targets")
    w("")
    w("| target | measured (this run) | verdict |")
    w("|---|---|---|")
    for line in targets(t):
        w(line)
    w("")
    fails = t.failures()
    if fails:
        w("## Failed runs")
        w("")
        for r in fails:
            w(f"- {r['scenario']} / {PEER_LABEL.get(r['peer'], r['peer'])} / rep {r['rep']}: {r.get('error', '')}")
        w("")
    w("Plots: " + ", ".join(f"`{p}`" for p in PLOTS) + ".")
    w("")
    return "\n".join(out)


def with_notes(text: str, directory: Path) -> str:
    """A hand-written notes.md next to the results (profiling findings) goes at the end."""
    notes = directory / "notes.md"
    return text + "\n" + notes.read_text() if notes.exists() else text


def ratio_text(t: Table, scenario: str, a: str, b: str, metric: Callable[[Row], float | None]) -> tuple[float | None, str]:
    ma, mb = t.median(scenario, a, metric), t.median(scenario, b, metric)
    if ma is None or not mb:
        return None, "not measured"
    r = ma / mb
    paired = t.paired_ratios(scenario, a, b, metric)
    spread = f" [{min(paired):.2f}–{max(paired):.2f}]" if len(paired) > 1 else ""
    return r, f"{r:.2f}×{spread}"


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


def targets(t: Table) -> list[str]:
    lines = []
    s1 = "sequential"
    r, text = ratio_text(t, s1, "calbridge_py", "pycronofy", calls_per_s)
    lines.append(f"| Python calbridge ≥ 20× pycronofy calls/s (scenario 1) | {text} | {verdict(None if r is None else r >= 20)} |")
    r, text = ratio_text(t, s1, "calbridge_py", "authlib", calls_per_s)
    lines.append(f"| Python calbridge ≥ 4× Authlib+requests calls/s (scenario 1) | {text} | {verdict(None if r is None else r >= 4)} |")
    r, text = ratio_text(t, s1, "calbridge_py", "authlib", cpu_per_call_us)
    r2, text2 = ratio_text(t, s1, "calbridge_py", "authlib", process_cpu_per_call_us)
    lines.append(f"| Python calbridge client CPU/call ≤ 1/10 of Authlib+requests (scenario 1) | {text} of Authlib's "
                 f"(whole process, start-up included: {text2}) | {verdict(None if r is None else r <= 0.1)} |")
    r, text = ratio_text(t, s1, "calbridge_py", "wrk", per_call_us)
    lines.append(f"| Python calbridge ≤ 1.25× the ceiling's per-call time (scenario 1) | {text} | {verdict(None if r is None else r <= 1.25)} |")
    r, text = ratio_text(t, s1, "calbridge_cpp", "wrk", per_call_us)
    lines.append(f"| C++ calbridge ≤ 1.1× the ceiling's per-call time (scenario 1) | {text} | {verdict(None if r is None else r <= 1.1)} |")
    for peer in ("calbridge_py", "calbridge_cpp"):
        a, b = t.median("threads", peer, per_call_us), t.median(s1, peer, per_call_us)
        if a is None or b is None:
            lines.append(f"| {PEER_LABEL[peer]}: scenario 2 faster per call than scenario 1 | not measured | – |")
        else:
            lines.append(f"| {PEER_LABEL[peer]}: scenario 2 faster per call than scenario 1 | {fmt(a)} µs vs {fmt(b)} µs "
                         f"per call ({b / a:.2f}× the throughput) | {verdict(a < b)} |")
    for peer in ("calbridge_py", "calbridge_cpp"):
        for scenario in ("storm", "storm_rotating"):
            refreshes = [number(r.get("server_refresh_requests")) for r in t.runs(scenario, peer)]
            fails = [number(r.get("failed_calls")) for r in t.runs(scenario, peer)]
            if not refreshes:
                continue
            ok = all(x == 1 for x in refreshes) and all(f == 0 for f in fails)
            label = "3" if scenario == "storm" else "3b"
            lines.append(f"| {PEER_LABEL[peer]}: exactly one refresh in scenario {label}, every call succeeds | token requests per run: "
                         f"{', '.join(fmt(x) for x in refreshes)}; failed calls: {', '.join(fmt(x) for x in fails)} | {verdict(ok)} |")
    for peer in ("calbridge_cpp", "calbridge_py"):
        pairs = []
        for scenario in ("sequential", "threads", "storm", "events", "connect"):
            for r in t.runs(scenario, peer):
                c, h = number(r.get("transport_connections")), number(r.get("transport_handshakes"))
                sc = number(r.get("server_connections"))
                if c is not None and h is not None:
                    pairs.append((scenario, c, h, sc))
        if not pairs:
            conns = [number(r.get("server_connections")) for r in t.runs("sequential", peer)]
            lines.append(f"| {PEER_LABEL[peer]}: one TLS handshake per pooled connection | transport counters not exposed; "
                         f"the sandbox saw {', '.join(fmt(c) for c in conns)} connection(s) per scenario-1 run | – |")
            continue
        ok = all(c == h and (sc is None or sc == h) for _, c, h, sc in pairs)
        seq = [f"{fmt(c)}/{fmt(h)}" for s, c, h, _ in pairs if s == "sequential"]
        thr = [f"{fmt(c)}/{fmt(h)}" for s, c, h, _ in pairs if s == "threads"]
        lines.append(f"| {PEER_LABEL[peer]}: one TLS handshake per pooled connection | connections/handshakes, scenario 1: "
                     f"{', '.join(seq)}; scenario 2: {', '.join(thr)} (sandbox agrees: {'yes' if ok else 'no'}) | {verdict(ok)} |")
    for peer in ("calbridge_py", "calbridge_cpp"):
        v = t.median("memory", peer, field("bytes_per_session"))
        lines.append(f"| {PEER_LABEL[peer]}: under 4 KiB per live session (scenario 6) | "
                     f"{'not measured' if v is None else fmt(v) + ' bytes'} | {verdict(None if v is None else v < 4096)} |")
    return lines


# --- the plots -----------------------------------------------------------------------------------------

PLOTS = ["throughput.png", "latency.png", "cpu_per_call.png", "storm.png", "connect_events.png", "memory.png",
         "startup.png"]


def plots(t: Table, meta: dict[str, Any], directory: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    footer = (f"{meta['date']} · {meta['cpu_model']} ×{meta['cpus']} · load {meta['loadavg_start'][0]:.2f} at start · "
              f"{meta['mode']}, {meta['reps']} reps · median, bars = min–max")

    def bars(ax: Any, scenario: str, metric: Callable[[Row], float | None], peers: list[str] | None = None,
             log: bool = False, fmt_label: Callable[[float], str] = lambda v: fmt(v)) -> None:
        peers = peers or t.peers(scenario)
        meds, lo, hi, labels, colors = [], [], [], [], []
        for p in peers:
            v = t.values(scenario, p, metric)
            if not v:
                continue
            m = statistics.median(v)
            meds.append(m)
            lo.append(m - min(v))
            hi.append(max(v) - m)
            labels.append(PEER_LABEL[p])
            colors.append(PEER_COLOR[p])
        if not meds:
            ax.text(0.5, 0.5, "not measured in this run", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            return
        y = range(len(meds))
        ax.barh(list(y), meds, xerr=[lo, hi], color=colors, capsize=3)
        ax.set_yticks(list(y))
        ax.set_yticklabels(labels)
        ax.invert_yaxis()
        if log and min(meds) > 0:
            ax.set_xscale("log")
        for i, m in enumerate(meds):
            ax.text(m, i, " " + fmt_label(m), va="center", fontsize=8)
        ax.grid(axis="x", alpha=0.3)

    def save(fig: Any, name: str) -> None:
        fig.text(0.01, 0.005, footer, fontsize=6.5, color="#555555")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        fig.savefig(directory / name, dpi=120)
        plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], "sequential", calls_per_s, log=True)
    axes[0].set_title("1. Sequential GET /v1/calendars: calls/s (log)")
    bars(axes[1], "threads", calls_per_s, log=True)
    axes[1].set_title("2. Eight threads, one session: calls/s (log)")
    save(fig, "throughput.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], "sequential", field("p50_us"), log=True)
    axes[0].set_title("1. Sequential: p50 latency, µs (log)")
    bars(axes[1], "sequential", field("p99_us"), log=True)
    axes[1].set_title("1. Sequential: p99 latency, µs (log)")
    save(fig, "latency.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], "sequential", cpu_per_call_us, log=True)
    axes[0].set_title("1. Client CPU per call, µs (measured region, log)")
    bars(axes[1], "sequential", server_cpu_per_call_us, log=False)
    axes[1].set_title("1. Sandbox CPU per call, µs")
    save(fig, "cpu_per_call.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], "storm", field("server_refresh_requests"))
    axes[0].set_title("3. Refresh storm (64 threads): token requests")
    bars(axes[1], "storm", field("time_to_all_ok_s", 1e3))
    axes[1].set_title("3. Refresh storm: ms until all 64 calls succeed")
    save(fig, "storm.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], "connect", field("p50_us", 1e-3))
    axes[0].set_title("4. Connect flow (code exchange + first list): ms, p50")
    bars(axes[1], "events", field("wall_s", 1e3), log=True)
    axes[1].set_title(f"5. Reading {meta.get('sizes', {}).get('events', 0):,} paged events: ms (log)")
    save(fig, "connect_events.png")

    fig, ax = plt.subplots(1, 1, figsize=(7, 3.6))
    bars(ax, "memory", field("bytes_per_session"), log=True)
    ax.axvline(4096, color="#333333", linestyle="--", linewidth=1)
    ax.text(4096, 0.02, " 4 KiB target", fontsize=8, transform=ax.get_xaxis_transform())
    ax.set_title(f"6. Resident bytes per live session ({meta.get('sizes', {}).get('sessions', 0):,} sessions, log)")
    save(fig, "memory.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], "import", field("process_wall_s", 1e3))
    axes[0].set_title("7. python -c with the import: process ms")
    bars(axes[1], "first_call", field("wall_s", 1e3), log=True)
    axes[1].set_title("8. First call, fresh process: ms (log)")
    save(fig, "startup.png")


def main() -> int:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "results"
    rows, meta = load(directory)
    t = Table(rows)
    (directory / "results.md").write_text(with_notes(markdown(t, meta), directory))
    plots(t, meta, directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
