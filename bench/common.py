"""Shared plumbing: Django bootstrap, client processes, latency statistics, CPU sampling."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"

# Bounds that hold whatever the options say.
MAX_ORDERS_PER_CLIENT = 200_000
READY_TIMEOUT_S = 180
WARMUP_ORDERS = 1
PRODUCTION_TASKS_BACKEND = "django_tasks_db.DatabaseBackend"
IMMEDIATE_TASKS_BACKEND = "django_tasks.backends.immediate.ImmediateBackend"


def bench_env() -> None:
    """Environment every bench process (and gunicorn) runs with."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2o.settings")
    os.environ["O2O_ONLINE_SAFETY_BUFFER"] = "0"
    # The bench pays through the simulator, which production refuses (and production redirects
    # plain-HTTP requests): it runs in development mode, like the test suite.
    os.environ.setdefault("O2O_ENV", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Tasks are queued as production queues them (one row each, for `o2o worker`); the bench runs no
    # worker, so what a worker later does (sending the paid message) is not in its figures.
    # run.py --immediate-tasks: the development backend, which runs each task inside the request.
    os.environ.setdefault("TASKS_BACKEND", PRODUCTION_TASKS_BACKEND)


def database_url_problem(url: str | None) -> str | None:
    if not url:
        return "DATABASE_URL is not set. The benchmark needs PostgreSQL, e.g.\n" \
               "  DATABASE_URL=postgres://postgres@127.0.0.1:5433/o2o_bench .venv/bin/python bench/run.py"
    if not url.startswith(("postgres://", "postgresql://", "pgsql://", "postgis://")):
        return f"DATABASE_URL={url.split(':', 1)[0]}:... is not PostgreSQL. The benchmark refuses SQLite " \
               "(one writer at a time, no row locks): its figures would say nothing about production."
    return None


def setup_django() -> None:
    bench_env()
    import django

    django.setup()
    if os.environ.get("BENCH_PREPARED_STATEMENTS") == "1":
        # Experiment (--prepared): psycopg server-side binding with prepared statements, which Django
        # leaves off by default. Applies to the bench's own processes, not to gunicorn.
        from django.db import connections

        options = connections["default"].settings_dict.setdefault("OPTIONS", {})
        options.update({"server_side_binding": True, "prepare_threshold": 1})


def prepare_standalone_database(url: str) -> None:
    """For the standalone benchmarks (pricing, wallet, commission statements): create the database if
    missing, then migrate and empty it. It is wiped, so its name must contain 'bench'."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to wipe {name!r}: use a database whose name contains 'bench'")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2o.settings")
    os.environ.setdefault("O2O_ENV", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


def nearest_rank(samples: list[float], p: float) -> float:
    """The sample at rank p (0..100) of the sorted samples, without interpolation."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- statistics

def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (p in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def latency_summary(values: list[float]) -> dict[str, float | None]:
    return {"p50_ms": ms(percentile(values, 50)), "p99_ms": ms(percentile(values, 99)),
            "mean_ms": ms(sum(values) / len(values)) if values else None, "n": len(values)}


class CpuSampler:
    """Busy share of all CPUs between start() and stop(), from /proc/stat (Linux)."""

    def __init__(self) -> None:
        self._start: tuple[int, int] | None = None

    @staticmethod
    def _read() -> tuple[int, int] | None:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        except (OSError, ValueError, IndexError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> float | None:
        end = self._read()
        if not self._start or not end or end[0] == self._start[0]:
            return None
        total, idle = end[0] - self._start[0], end[1] - self._start[1]
        return round(100 * (total - idle) / total, 1)


def wait_for_quiet(max_wait: float, busy_below: float = 25.0, sample: float = 1.0) -> float | None:
    """Wait (at most `max_wait` s) until the machine's CPUs are less than `busy_below` % busy over one
    sample, so another job on a shared box does not skew a level; return the last busy % seen."""
    cpu = CpuSampler()
    deadline = time.time() + max_wait
    while True:
        cpu.start()
        time.sleep(sample)
        busy = cpu.stop()
        if busy is None or busy < busy_below or time.time() >= deadline:
            return busy
        time.sleep(min(2.0, max(0.0, deadline - time.time())))


def cpu_seconds_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU time used so far by each of these processes (Linux /proc; vanished ones left out)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        except (OSError, ValueError, IndexError):
            continue
    return used


def process_cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_seconds_by_pid(pids).values())


def cpu_used_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two samples: processes born in between count whole, vanished ones are lost."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def db_backend_pids() -> list[int]:
    """PostgreSQL backends connected to the bench database (other than the one asking)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


# --------------------------------------------------------------------------- client processes

class BenchFailure(Exception):
    """A step did not end as expected; str(self) is the failure code reported."""


def error_code(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    if code is not None and type(exc).__name__ == "DomainError":
        return str(code)
    if isinstance(exc, BenchFailure):
        return str(exc)
    return type(exc).__name__


ClientFactory = Callable[[int, int, dict], Callable[[], dict[str, float]]]


def _client_main(factory: ClientFactory, idx: int, clients: int, args: dict, ready, go, start_at,
                 duration: float, results, finish) -> None:
    """One client process: build the client, warm up, wait for the common start, loop until the deadline."""
    try:
        setup_django()
        from django.db import connection

        random.seed(args.get("seed", 0) * 1000 + idx)
        one = factory(idx, clients, args)
        for _ in range(WARMUP_ORDERS):
            with contextlib.suppress(Exception):  # a warm-up failure shows again in the measured loop
                one()
        ready.put(idx)
        if not go.wait(timeout=READY_TIMEOUT_S + 60):
            results.put({"idx": idx, "fatal": "never got the start signal"})
            return
        begin = start_at.value
        while (pause := begin - time.time()) > 0:
            time.sleep(min(pause, 0.05))
        deadline = begin + duration
        latencies: list[float] = []
        phases: dict[str, list[float]] = {}
        failures: Counter[str] = Counter()
        in_window = 0
        for _ in range(MAX_ORDERS_PER_CLIENT):
            if time.time() >= deadline:
                break
            started = time.perf_counter()
            try:
                timings = one()
            except Exception as exc:  # every failure is counted by its code
                failures[error_code(exc)] += 1
                if type(exc).__module__.startswith(("django.db", "psycopg")):
                    connection.close_if_unusable_or_obsolete()
                continue
            latencies.append(time.perf_counter() - started)
            for phase, seconds in timings.items():
                phases.setdefault(phase, []).append(seconds)
            if time.time() <= deadline:
                in_window += 1
        results.put({"idx": idx, "latencies": latencies, "phases": phases, "failures": dict(failures),
                     "in_window": in_window})
    except BaseException:  # report instead of leaving the parent waiting
        results.put({"idx": idx, "fatal": traceback.format_exc(limit=8)})
    finish.wait(timeout=60)  # stay alive (and connected) until the parent has read our CPU time


def run_clients(factory: ClientFactory, *, clients: int, duration: float, args: dict,
                start_method: str = "fork", quiet_wait: float = 0.0,
                server_pids: Callable[[], list[int]] | None = None) -> dict[str, Any]:
    """Run `clients` processes of `factory` for `duration` seconds from a common start; aggregate.

    Also measures the CPU time the clients, the server (if any) and the PostgreSQL backends spent."""
    from django.db import connections

    connections.close_all()  # never share a connection with a forked child
    busy_before = wait_for_quiet(quiet_wait) if quiet_wait > 0 else None
    ctx = mp.get_context(start_method)
    ready, results = ctx.Queue(), ctx.Queue()
    go, finish = ctx.Event(), ctx.Event()
    start_at = ctx.Value("d", 0.0)
    shared = (ready, go, start_at, duration, results, finish)
    procs = [
        ctx.Process(target=_client_main, args=(factory, i, clients, args, *shared), daemon=True,
                    name=f"bench-client-{i}")
        for i in range(clients)
    ]
    reports: list[dict] = []
    cpu = CpuSampler()
    cpu_used: dict[str, float] = {}
    cpu_busy: float | None = None
    groups: dict[str, list[int]] = {}
    try:
        for p in procs:
            p.start()
        ready_count = 0
        give_up = time.time() + READY_TIMEOUT_S
        while ready_count + len(reports) < clients and time.time() < give_up:
            try:
                ready.get(timeout=0.5)
                ready_count += 1
            except queue.Empty:
                pass
            while True:  # clients that died while starting report through `results`
                try:
                    reports.append(results.get_nowait())
                except queue.Empty:
                    break
            if not any(p.is_alive() for p in procs):
                break
        groups = {"clients": [p.pid for p in procs], "server": server_pids() if server_pids else [],
                  "postgres": db_backend_pids()}
        start_at.value = time.time() + 0.2
        go.set()
        time.sleep(max(0.0, start_at.value - time.time()))
        cpu.start()
        cpu_before = {name: cpu_seconds_by_pid(pids) for name, pids in groups.items()}
        collect_until = start_at.value + duration + 120
        while len(reports) < clients and time.time() < collect_until:
            try:
                reports.append(results.get(timeout=1))
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    break
        cpu_busy = cpu.stop()
        # list the server's and PostgreSQL's processes again: connections may have been replaced meanwhile
        groups_after = {"clients": groups["clients"], "server": server_pids() if server_pids else [],
                        "postgres": db_backend_pids()}
        cpu_used = {name: cpu_used_between(cpu_before[name], cpu_seconds_by_pid(groups_after[name]))
                    for name in groups}
    finally:
        go.set()
        finish.set()
        for p in procs:
            p.join(timeout=15)
        for p in procs:
            if p.is_alive():
                p.terminate()  # one of ours, by its handle
                p.join(timeout=5)
    result = aggregate(reports, clients=clients, duration=duration, cpu_busy=cpu_busy)
    result["cpu_busy_before_pct"] = busy_before
    done = max(result["orders_ok"], 1)
    result["cpu_ms_per_order"] = {name: round(seconds * 1000 / done, 2) for name, seconds in cpu_used.items()
                                  if groups[name]}
    # The application's CPU per order (the server if there is one, else the client processes, which then
    # are the application) plus PostgreSQL's: what the CPUs could do at most with nothing else running.
    app = cpu_used.get("server") if groups.get("server") else cpu_used.get("clients")
    app_ms = ((app or 0) + cpu_used.get("postgres", 0)) * 1000 / done
    result["cpu_ceiling_orders_per_s"] = round((os.cpu_count() or 1) * 1000 / app_ms, 1) \
        if result["orders_ok"] and app_ms else None
    return result


def describe(row: dict) -> str:
    """One log line for a load level."""
    return (f"  {row['layer']:7} {row['scenario']:6} {row['clients']:3} clients: {row['orders_per_s']:8} orders/s  "
            f"p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms  phases p50 {row['phases_p50_ms']}  "
            f"CPU ms/order {row.get('cpu_ms_per_order')} (CPU ceiling {row.get('cpu_ceiling_orders_per_s')} orders/s)  "
            f"machine busy {row['cpu_busy_pct']}% "
            f"(before {row.get('cpu_busy_before_pct')}%)  failures {row['failures'] or '-'}")


def aggregate(reports: list[dict], *, clients: int, duration: float, cpu_busy: float | None) -> dict[str, Any]:
    latencies: list[float] = []
    phases: dict[str, list[float]] = {}
    failures: Counter[str] = Counter()
    fatal = [r["fatal"] for r in reports if "fatal" in r]
    in_window = 0
    for r in reports:
        if "fatal" in r:
            continue
        latencies.extend(r["latencies"])
        for phase, values in r["phases"].items():
            phases.setdefault(phase, []).extend(values)
        failures.update(r["failures"])
        in_window += r["in_window"]
    missing = clients - len(reports)
    if missing:
        failures["client_lost"] += missing
    if fatal:
        failures["client_crashed"] += len(fatal)
    return {
        "clients": clients,
        "duration_s": duration,
        "orders_ok": len(latencies),
        "orders_per_s": round(in_window / duration, 1) if duration else None,
        **latency_summary(latencies),
        "phases_p50_ms": {k: ms(percentile(v, 50)) for k, v in phases.items()},
        "phases_p99_ms": {k: ms(percentile(v, 99)) for k, v in phases.items()},
        "failures": dict(failures),
        "cpu_busy_pct": cpu_busy,
        "fatal": fatal[:2],
    }
