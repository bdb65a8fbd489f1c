#!/usr/bin/env python3
"""storm.csv, load.csv + meta.json (bench/stores.py) -> results.md and storm.png, load.png.

    stores_report.py DIR

Cells are the median over the repetitions with the min-max next to it. Ratios compare runs of
the same repetition (they ran interleaved): the ratio of the medians, and in brackets the range
of the per-repetition ratios.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import fmt, number  # noqa: E402

Row = dict[str, Any]
STORE_LABEL = {"memory": "memory:", "file": "file:", "sqlite": "SQLite", "postgresql": "PostgreSQL"}
STORE_COLOR = {"memory": "#7f7f7f", "file": "#8ac926", "sqlite": "#1f4e9c", "postgresql": "#e63946"}
PLOTS = ["storm.png", "load.png"]


def read_csv(path: Path) -> list[Row]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ok(r: Row) -> bool:
    return r.get("ok") == "True"


def values(rows: list[Row], metric: str, ok_only: bool = True) -> list[float]:
    return [v for r in rows if (ok(r) or not ok_only) and (v := number(r.get(metric))) is not None]


def cell(rows: list[Row], metric: str, scale: float = 1.0) -> str:
    v = [x * scale for x in values(rows, metric)]
    if not v:
        return "–"
    med = statistics.median(v)
    if len(v) == 1 or min(v) == max(v):
        return fmt(med)
    return f"{fmt(med)} ({fmt(min(v), 2)}–{fmt(max(v), 2)})"


def ratio(a: list[Row], b: list[Row], metric: str) -> str:
    va, vb = values(a, metric), values(b, metric)
    if not va or not vb or statistics.median(vb) == 0:
        return "–"
    r = statistics.median(va) / statistics.median(vb)
    by_rep_b = {x["rep"]: number(x.get(metric)) for x in b if ok(x)}
    paired = [number(x.get(metric)) / by_rep_b[x["rep"]] for x in a
              if ok(x) and by_rep_b.get(x["rep"]) and number(x.get(metric)) is not None]
    spread = f" [{min(paired):.2f}–{max(paired):.2f}]" if len(paired) > 1 else ""
    return f"{r:.2f}×{spread}"


def count(v: float | None) -> str:
    return "–" if v is None else (f"{v:,.0f}" if v == int(v) else fmt(v))


def listed(rows: list[Row], metric: str) -> str:
    """Every run's value, in repetition order (failed runs included: a count is a result)."""
    return ", ".join(count(number(r.get(metric))) for r in rows)


# --- the storm -------------------------------------------------------------------------------------


def storm_groups(rows: list[Row], token: str = "expired") -> list[tuple[str, int, int, list[Row]]]:
    """The runs of each (store, processes, threads), for one kind of token ("expired": the storm;
    "valid": the same processes without a refresh)."""
    rows = [r for r in rows if r.get("token", "expired") == token]
    keys: list[tuple[str, int, int]] = []
    for r in rows:
        k = (r["store"], int(r["processes"]), int(r["threads"]))
        if k not in keys:
            keys.append(k)
    order = list(STORE_LABEL)
    keys.sort(key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[2] == 1, k[1]))
    return [(s, p, t, sorted((r for r in rows if (r["store"], int(r["processes"]), int(r["threads"])) == (s, p, t)),
                             key=lambda r: int(r["rep"]))) for s, p, t in keys]


def storm_markdown(rows: list[Row], sizes: dict[str, Any]) -> list[str]:
    out: list[str] = []
    w = out.append
    groups = storm_groups(rows)
    floors = {(s, p, t): runs for s, p, t, runs in storm_groups(rows, "valid")}
    memory = next((g[3] for g in groups if g[0] == "memory"), [])
    in_process = {g[0]: g[3] for g in groups if g[1] == 1 and g[2] > 1}
    w(f"## Refresh storm across processes: one expired account, one store (rotation and reuse detection on)")
    w("")
    w("| store | processes × threads | ok | refresh requests (each run) | failed calls | time until every call succeeded, ms "
      "| ÷ in-process storm on memory: | ÷ in-process storm on the same store | first call done, ms | TLS connections "
      "| valid token (no refresh): ms until every call succeeded | storm ÷ valid token |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for store, p, t, runs in groups:
        good = sum(1 for r in runs if ok(r))
        same = in_process.get(store, [])
        floor = floors.get((store, p, t), [])
        w(f"| {STORE_LABEL.get(store, store)} | {p} × {t} | {good}/{len(runs)} | {listed(runs, 'refresh_requests')} | "
          f"{cell(runs, 'failed_calls')} | {cell(runs, 'time_to_all_ok_ms')} | "
          f"{'1' if runs is memory else ratio(runs, memory, 'time_to_all_ok_ms')} | "
          f"{'1' if runs is same else ratio(runs, same, 'time_to_all_ok_ms')} | {cell(runs, 'first_ok_ms')} | "
          f"{cell(runs, 'server_connections')} | {cell(floor, 'time_to_all_ok_ms')} | "
          f"{ratio(runs, floor, 'time_to_all_ok_ms')} |")
    w("")
    floor_runs = [r for runs in floors.values() for r in runs]
    if floor_runs:
        w(f"The valid-token runs (same processes, threads, store and connections; the credentials not yet expired, so "
          f"no lease and no refresh) saw {', '.join(sorted({count(number(r.get('refresh_requests'))) for r in floor_runs}))} "
          f"refresh requests, {sum(1 for r in floor_runs if ok(r))}/{len(floor_runs)} ok.")
        w("")
    w("Each of the processes × threads callers makes one `calendars()` call after \"go\"; every one needs the "
      "refresh first. *Time* runs from the driver's first \"go\" to the last call's return, both on the steady "
      "clock (the workers print theirs). Processes are `tests/stores/store_worker.cpp` with a Client each, built "
      "before \"go\"; each opens its own TLS connection to the sandbox after it (the *TLS connections* column), "
      "threads of one process share its client's pool. Waiters on the file and SQLite stores poll the store "
      f"(`RefreshLeaseOptions::poll_interval`, 50 ms plus up to 25 ms jitter); PostgreSQL's are woken by "
      "LISTEN/NOTIFY. `memory:` is one process only: it has no lease.")
    w("")
    return out


# --- the load --------------------------------------------------------------------------------------


def load_markdown(rows: list[Row], sizes: dict[str, Any]) -> list[str]:
    out: list[str] = []
    w = out.append
    populate = {r["store"]: r for r in rows if r["phase"] == "populate"}
    measure: dict[str, list[Row]] = {}
    for r in rows:
        if r["phase"] == "measure":
            measure.setdefault(r["store"], []).append(r)
    memory = measure.get("memory", [])
    n = sizes.get("accounts", 0)
    w(f"## {n:,} stored accounts: session load latency and bytes per account")
    w("")
    w("| store | ok | populate, s | bytes per account | ÷ memory: | load p50 µs | ÷ memory: | load p99 µs | ÷ memory: "
      "| session first use p50 µs | session p99 µs | verified through the store |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for store in ("memory", "sqlite", "postgresql"):
        runs = sorted(measure.get(store, []), key=lambda r: int(r["rep"]))
        pop = populate.get(store)
        if not runs and pop is None:
            continue
        good = sum(1 for r in runs if ok(r))
        if store == "memory":
            bytes_cell = cell(runs, "bytes_per_account")
            bytes_ratio = "1"
            populate_cell = cell(runs, "insert_s") + " (insert())"
        else:
            b = number(pop.get("bytes_per_account")) if pop and ok(pop) else None
            bytes_cell = fmt(b)
            mem_b = values(memory, "bytes_per_account")
            bytes_ratio = f"{b / statistics.median(mem_b):.2f}×" if b and mem_b else "–"
            populate_cell = fmt(number(pop.get("populate_s"))) if pop and ok(pop) else "failed"
        verified = "–" if not runs else f"{fmt(statistics.median(values(runs, 'verified')) if values(runs, 'verified') else None)} accounts"
        w(f"| {STORE_LABEL[store]} | {good}/{len(runs)} | {populate_cell} | {bytes_cell} | {bytes_ratio} | "
          f"{cell(runs, 'load_p50_us')} | {'1' if store == 'memory' else ratio(runs, memory, 'load_p50_us')} | "
          f"{cell(runs, 'load_p99_us')} | {'1' if store == 'memory' else ratio(runs, memory, 'load_p99_us')} | "
          f"{cell(runs, 'session_p50_us')} | {cell(runs, 'session_p99_us')} | {verified} |")
    w("")
    json_bytes = values(list(populate.values()) + memory, "json_bytes_mean")
    details = []
    if "sqlite" in populate and ok(populate["sqlite"]):
        p = populate["sqlite"]
        details.append(f"SQLite: file {fmt(number(p.get('db_bytes')))} bytes + WAL {fmt(number(p.get('wal_bytes')))} "
                       "after a checkpoint")
    if "postgresql" in populate and ok(populate["postgresql"]):
        p = populate["postgresql"]
        details.append(f"PostgreSQL: `pg_total_relation_size` {fmt(number(p.get('disk_bytes')))} bytes (heap "
                       f"{fmt(number(p.get('heap_bytes')))}, indexes {fmt(number(p.get('index_bytes')))})")
    w(f"Each account's credentials are {fmt(statistics.median(json_bytes)) if json_bytes else '?'} bytes of JSON "
      "(the sandbox's real reply: 43-character tokens, eight scopes, the linking profile and userinfo). "
      + "; ".join(details) + ". The memory store's bytes are the process's VmRSS growth over its inserts "
      "(allocator overhead included). *Load* is `TokenStore::load()` of a random account through the store as "
      "`open_token_store()` opens it (query and JSON parse), one thread, after 1,000 warm-up loads; *session first "
      "use* is `client.session(id).credentials()` for accounts new to the client (no network: the tokens are "
      "valid). Stores were filled in bulk in random key order (the store's own schema and row format; every "
      "measure run first loads a random sample through the store and compares it with what was written).")
    w("")
    return out


# --- the whole ---------------------------------------------------------------------------------------


def markdown(storm: list[Row], load: list[Row], meta: dict[str, Any]) -> str:
    out: list[str] = []
    w = out.append
    sizes = meta.get("sizes", {})
    w("# Shared stores: results")
    w("")
    w(f"Run of {meta['date']} ({meta['mode']} mode, {meta['reps']} interleaved repetitions, "
      f"{meta.get('duration_s', '?')} s in all). Generated by `bench/stores_report.py` from `storm.csv` and "
      "`load.csv`; `bench/README.md` says how, `bench/results/notes.md` what the numbers say.")
    w("")
    w("| machine | |")
    w("|---|---|")
    w(f"| CPU | {meta['cpu_model']}, {meta['cpus']} CPUs, {meta['memory_gib']} GiB |")
    w(f"| system | `{meta['uname']}` |")
    w(f"| load average (1, 5, 15 min) | start {', '.join(f'{x:.2f}' for x in meta['loadavg_start'])}; "
      f"end {', '.join(f'{x:.2f}' for x in meta.get('loadavg_end', []))} |")
    w(f"| toolchain | {meta['compiler']}; PostgreSQL {meta.get('postgresql', '?')} (the harness's own server: "
      f"`tests/support/postgres_cluster.py`, shared_buffers 16 MB, loopback TCP); SQLite {meta.get('sqlite', '?')} |")
    w(f"| calbridge | git {meta['git']}; sandbox {meta['sandbox']} |")
    if meta.get("note"):
        w(f"| note | {meta['note']} |")
    w("")
    if storm:
        out += storm_markdown(storm, sizes)
    if load:
        out += load_markdown(load, sizes)
    fails = [r for r in storm + load if not ok(r)]
    if fails:
        w("## Failed runs")
        w("")
        for r in fails:
            what = (f"storm {r['store']} {r['processes']}×{r['threads']} {r.get('token', '')}" if "processes" in r
                    else f"{r['phase']} {r['store']}")
            w(f"- {what} / rep {r['rep']}: {r.get('error', '')}")
        w("")
    w("Plots: " + ", ".join(f"`{p}`" for p in PLOTS) + " (when matplotlib is installed).")
    w("")
    return "\n".join(out)


def plots(storm: list[Row], load: list[Row], meta: dict[str, Any], directory: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    footer = (f"{meta['date']} · {meta['cpu_model']} ×{meta['cpus']} · load {meta['loadavg_start'][0]:.2f} at start · "
              f"{meta['mode']}, {meta['reps']} reps · median, bars = min–max")

    from matplotlib.ticker import NullFormatter, ScalarFormatter

    def bars(ax: Any, items: list[tuple[str, str, list[float]]], log: bool,
             label: Callable[[float], str] = fmt) -> None:
        items = [i for i in items if i[2]]
        if not items:
            ax.text(0.5, 0.5, "not measured in this run", ha="center", va="center", transform=ax.transAxes)
            return
        meds = [statistics.median(v) for _, _, v in items]
        lo = [m - min(v) for m, (_, _, v) in zip(meds, items)]
        hi = [max(v) - m for m, (_, _, v) in zip(meds, items)]
        y = list(range(len(items)))
        ax.barh(y, meds, xerr=[lo, hi], color=[STORE_COLOR.get(s, "#333333") for _, s, _ in items], capsize=3)
        ax.set_yticks(y)
        ax.set_yticklabels([label for label, _, _ in items])
        ax.invert_yaxis()
        if log and min(meds) > 0:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
        for i, m in enumerate(meds):  # past the error bar, not on it
            ax.text(m + hi[i], i, " " + label(m), va="center", fontsize=8)
        ax.grid(axis="x", alpha=0.3)

    def save(fig: Any, name: str) -> None:
        fig.text(0.01, 0.005, footer, fontsize=6.5, color="#555555")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        fig.savefig(directory / name, dpi=120)
        plt.close(fig)

    if storm:
        groups = storm_groups(storm)
        fig, axes = plt.subplots(1, 2, figsize=(12, 0.32 * len(groups) + 1.6))
        bars(axes[0], [(f"{STORE_LABEL[s]} {p}×{t}", s, values(runs, "time_to_all_ok_ms")) for s, p, t, runs in groups], True)
        floors = {(s, p, t): values(runs, "time_to_all_ok_ms") for s, p, t, runs in storm_groups(storm, "valid")}
        marks = [(statistics.median(floors[(s, p, t)]), i) for i, (s, p, t, _) in enumerate(groups) if floors.get((s, p, t))]
        if marks:
            axes[0].scatter([m for m, _ in marks], [i for _, i in marks], marker="|", s=260, color="#000000", zorder=3,
                            label="valid token (no refresh)")
            axes[0].legend(loc="lower right", fontsize=8)
        axes[0].set_title("Refresh storm: ms until every call succeeded (log)")
        bars(axes[1], [(f"{STORE_LABEL[s]} {p}×{t}", s, values(runs, "refresh_requests", ok_only=False)) for s, p, t, runs in groups], False,
             count)
        axes[1].set_title("Refresh requests the sandbox saw (must be 1)")
        save(fig, "storm.png")

    if load:
        measure = [r for r in load if r["phase"] == "measure"]
        populate = {r["store"]: r for r in load if r["phase"] == "populate" and ok(r)}
        stores = [s for s in ("memory", "sqlite", "postgresql") if any(r["store"] == s for r in measure)]
        fig, axes = plt.subplots(1, 3, figsize=(15, 3.2))
        for ax, metric, title in ((axes[0], "load_p50_us", "load() p50, µs (log)"),
                                  (axes[1], "load_p99_us", "load() p99, µs (log)")):
            bars(ax, [(STORE_LABEL[s], s, values([r for r in measure if r["store"] == s], metric)) for s in stores], True)
            ax.set_title(f"{meta.get('sizes', {}).get('accounts', 0):,} accounts: {title}")
        bytes_items = []
        for s in stores:
            if s == "memory":
                bytes_items.append((STORE_LABEL[s], s, values([r for r in measure if r["store"] == s], "bytes_per_account")))
            elif s in populate:
                bytes_items.append((STORE_LABEL[s], s, values([populate[s]], "bytes_per_account")))
        bars(axes[2], bytes_items, False)
        axes[2].set_title("Bytes per account (disk; memory: RSS)")
        save(fig, "load.png")


def main() -> int:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "results" / "stores"
    storm, load = read_csv(directory / "storm.csv"), read_csv(directory / "load.csv")
    meta = json.loads((directory / "meta.json").read_text())
    (directory / "results.md").write_text(markdown(storm, load, meta))
    try:
        plots(storm, load, meta, directory)
    except ImportError:
        print("stores_report: matplotlib is not installed; no plots", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
