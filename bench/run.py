"""O2O benchmark: seed a 10,000-store chain, then measure orders/s (service layer and HTTP),
voucher redemption and nearby-store latency, profile the hot-SKU path, and end with a stock audit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/o2o_bench .venv/bin/python bench/run.py [--quick]

It WIPES the O2O tables of that database. See bench/README.md for what each figure means.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
PHASES = ["service", "http", "profile", "vouchers", "nearby"]
TARGET_HOT_SERVICE_32 = 300.0


def _fix_sys_path() -> None:
    """`python bench/run.py` puts bench/ first on sys.path, where bench/http.py would shadow the stdlib
    `http`; import the benchmark as the package `bench` from the repository root instead."""
    bench_dir = REPO / "bench"
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != bench_dir]
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


_fix_sys_path()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 s per load level, fewer samples")
    parser.add_argument("--duration", type=float, help="seconds per load level (default 10, --quick 3)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent client processes per level")
    parser.add_argument("--only", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}")
    parser.add_argument("--scenarios", default="hot,spread", help="hot (one SKU at one store), spread (many stores)")
    parser.add_argument("--http-workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--http-threads", type=int, default=4, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--port", type=int, default=8765, help="gunicorn port on 127.0.0.1 (another if taken)")
    parser.add_argument("--start-method", choices=["fork", "spawn"], default="fork",
                        help="how client processes start (fork happens after closing DB connections)")
    parser.add_argument("--quiet-wait", type=float, default=30.0,
                        help="before each level, wait up to this many seconds for the CPUs to be <25%% busy "
                             "(other jobs on a shared machine); 0: do not wait")
    parser.add_argument("--immediate-tasks", action="store_true",
                        help="the development task backend: tasks run inside the request (default: queued, as in "
                             "production)")
    parser.add_argument("--prepared", action="store_true",
                        help="experiment: psycopg server-side binding + prepared statements in the bench's own "
                             "processes (service layer, profile, vouchers, nearby; not gunicorn)")
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--allow-any-db", action="store_true",
                        help="allow a database whose name does not contain 'bench' (it is wiped!)")
    args = parser.parse_args(argv)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    args.phases = [p.strip() for p in args.only.split(",") if p.strip()]
    args.scenario_list = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.phases) - set(PHASES)
    if unknown or not set(args.scenario_list) <= {"hot", "spread"}:
        parser.error(f"unknown phase or scenario: {sorted(unknown) or args.scenarios}")
    args.vouchers = 150 if args.quick else 500
    args.nearby = 200 if args.quick else 500
    args.profile_sizes = (100, 20, 100) if args.quick else (300, 50, 300)
    return args


def log(message: str = "") -> None:
    print(message, flush=True)


def _meta(args: argparse.Namespace, db_name: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync_commit = cursor.fetchone()[0]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "o2o"], cwd=REPO, capture_output=True,
                               text=True, timeout=10).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", []
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick, "duration_s": args.duration,
        "clients": args.client_counts, "phases": args.phases, "cpus": os.cpu_count(),
        "python": platform.python_version(), "postgres": pg_version, "synchronous_commit": sync_commit,
        "database": db_name, "git": commit,
        "git_uncommitted_in_o2o": [line.strip() for line in dirty if line.strip()], "start_method": args.start_method,
        "safety_buffer": os.environ.get("O2O_ONLINE_SAFETY_BUFFER"),
        "prepared_statements_experiment": args.prepared, "tasks_backend": os.environ.get("TASKS_BACKEND"),
    }


def _fmt(value, width: int) -> str:
    text = "-" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))
    return text.rjust(width)


def results_table(results: dict) -> list[str]:
    lines = []
    rows = results.get("service", []) + results.get("http", [])
    if rows:
        lines.append(f"{'layer':8} {'scenario':8} {'clients':>7} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
                     f"{'place/start/callback p50':>24} {'CPU ms/order cli/srv/pg':>23} {'ceiling':>7} "
                     f"{'busy%':>6}  failures")
        for r in rows:
            p = r["phases_p50_ms"]
            phases = "/".join(_fmt(p.get(k), 0).strip() for k in ("place", "start_payment", "callback"))
            c = r.get("cpu_ms_per_order") or {}
            cpu = "/".join(_fmt(c.get(k), 0).strip() for k in ("clients", "server", "postgres"))
            failures = ", ".join(f"{k}={v}" for k, v in sorted(r["failures"].items())) or "0"
            lines.append(f"{r['layer']:8} {r['scenario']:8} {r['clients']:7} {_fmt(r['orders_per_s'], 9)} "
                         f"{_fmt(r['p50_ms'], 8)} {_fmt(r['p99_ms'], 8)} {phases:>24} {cpu:>23}"
                         f" {_fmt(r.get('cpu_ceiling_orders_per_s'), 7)} {_fmt(r['cpu_busy_pct'], 6)}  {failures}")
    target = results.get("target")
    if target:
        lines.append(f"target: hot SKU, service layer, 32 clients >= {target['wanted']:g} orders/s: "
                     f"{target['measured']} -> {'MET' if target['met'] else 'NOT MET'}")
    if v := results.get("vouchers"):
        lines.append(f"voucher redemption (service, {v['redeemed']}/{v['attempted']} at {v['stores']} stores): "
                     f"p50 {v['p50_ms']} ms  p99 {v['p99_ms']} ms  ({v['round_trips_per_redeem']} SQL round trips each)"
                     f"  failures {v['failures'] or 0}")
    if n := results.get("nearby"):
        lines.append(f"locations_within {n['radius_km']:g} km ({n['queries']} random points): "
                     f"p50 {n['locations_within']['p50_ms']} ms  p99 {n['locations_within']['p99_ms']} ms  "
                     f"({n['stores_in_radius_mean']} stores in radius on average)")
        lines.append(f"nearby_supply limit 10:            p50 {n['nearby_supply']['p50_ms']} ms  "
                     f"p99 {n['nearby_supply']['p99_ms']} ms  (index location_lat_lng used: "
                     f"{n['explain_uses_location_lat_lng']})")
    if p := results.get("profile"):
        lines.append(f"hot path, 1 process: {p['order_p50_ms']} ms/order p50 ({p['single_client_orders_per_s']} "
                     f"orders/s); {p['statements_per_order']} SQL + {p['transactions_per_order']} transactions = "
                     f"{p['round_trips_per_order']} round trips/order; {p['db_ms_per_order']} ms in SQL; "
                     f"hot row locked {p['hot_row_lock_held_p50_ms']} ms p50 -> <= {p['hot_row_bound_orders_per_s']} "
                     f"orders/s on one row")
        lines.append(f"  per order (mean): {p['python_cpu_ms_per_order']} ms Python CPU + "
                     f"{p['postgres_cpu_ms_per_order']} ms PostgreSQL CPU + {p['waiting_ms_per_order']} ms waiting; "
                     f"CPU-bound ceiling on {results['meta']['cpus']} CPUs: {p['cpu_bound_orders_per_s']} orders/s")
        lines.append(f"  hot row lock held by (p50 ms): {p['hot_row_lock_parts_p50_ms']}")
        if "pickup_counter_lock_held_p50_ms" in p:
            lines.append(f"  the store's pickup number counter locked {p['pickup_counter_lock_held_p50_ms']} ms p50 "
                         f"(callback): {len(p['statements_while_pickup_counter_locked'])} statements after the draw")
        for phase, e in p["phases"].items():
            if phase == "-":
                continue
            lines.append(f"  {phase:14} p50 {e['p50_ms']} ms, {e['statements']} statements, "
                         f"{e['transactions']} transactions, {e['db_ms']} ms in SQL round trips")
        if d := p.get("discounted_order_statements"):
            lines.append(f"  discounted order (member level 5% off): {d['total']} statements "
                         f"({', '.join(f'{k} {v}' for k, v in d.items() if k != 'total')})")
        if h := results.get("http_statements"):
            lines.append(f"  SQL round trips per HTTP order (incl. BEGIN/COMMIT): {h}")
    if i := results.get("integrity"):
        lines.append(f"integrity: {'OK' if i['ok'] else 'FAILED'} - audit differences {i['audit_differences']}, "
                     f"levels reserved>on_hand or negative {i['levels_reserved_gt_on_hand_or_negative']}, "
                     f"paid lines without stock {i['paid_lines_without_stock']}, hot SKU "
                     f"{i['hot_units_sold_or_held']}/{i['hot_stock_received']} units sold or held")
    return lines


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from bench.common import (
        IMMEDIATE_TASKS_BACKEND,
        RESULTS_DIR,
        database_url_problem,
        setup_django,
        wait_for_quiet,
    )

    url = os.environ.get("DATABASE_URL")
    if problem := database_url_problem(url):
        log(f"bench: {problem}")
        return 2
    db_name = urlparse(url).path.lstrip("/")
    if "bench" not in db_name and not args.allow_any_db:
        log(f"bench: refusing to wipe database {db_name!r}: use a separate database whose name contains 'bench', "
            "e.g.\n  psql -h 127.0.0.1 -p 5433 -U postgres -c 'CREATE DATABASE o2o_bench'\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5433/o2o_bench .venv/bin/python bench/run.py\n"
            "(or pass --allow-any-db)")
        return 2
    if args.prepared:
        os.environ["BENCH_PREPARED_STATEMENTS"] = "1"
    if args.immediate_tasks:
        os.environ["TASKS_BACKEND"] = IMMEDIATE_TASKS_BACKEND
    setup_django()
    from django.core.management import call_command

    from bench import data, integrity, nearby, orders, vouchers
    from bench import http as http_bench

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    results: dict = {"meta": _meta(args, db_name)}
    log(f"bench: {db_name} on PostgreSQL {results['meta']['postgres']}, {os.cpu_count()} CPUs, "
        f"{args.duration:g} s per level, clients {args.client_counts}, phases {args.phases}, code at git "
        f"{results['meta']['git']}{' + uncommitted changes' if results['meta']['git_uncommitted_in_o2o'] else ''}")

    log("seeding ...")
    data.reset()
    plan = data.seed(locations=args.locations, members=args.members, seed=args.seed)
    results["seed"] = {"counts": plan["counts"], "seconds": plan["seconds"], "spread_stores": plan["spread_stores"]}
    log(f"  {plan['counts']} in {plan['seconds']['total']} s; hot store {plan['hot_store']} sku {plan['hot_sku']}, "
        f"spread orders over {plan['spread_stores']} stores x {len(plan['spread_skus'])} SKUs")

    failed = False
    try:
        if "service" in args.phases:
            log("orders through the service layer (place + start payment + simulated gateway callback) ...")
            results["service"] = orders.run_service(
                plan, scenarios=args.scenario_list, client_counts=args.client_counts, duration=args.duration,
                start_method=args.start_method, seed=args.seed, quiet_wait=args.quiet_wait, log=log)
            hot32 = next((r for r in results["service"] if r["scenario"] == "hot" and r["clients"] == 32), None)
            if hot32:
                results["target"] = {"wanted": TARGET_HOT_SERVICE_32, "measured": hot32["orders_per_s"],
                                     "met": (hot32["orders_per_s"] or 0) >= TARGET_HOT_SERVICE_32}
        if "http" in args.phases:
            log(f"orders over HTTP (gunicorn gthread {args.http_workers} workers x {args.http_threads} threads) ...")
            results["http"] = http_bench.run_http(
                plan, scenarios=args.scenario_list, client_counts=args.client_counts, duration=args.duration,
                start_method=args.start_method, seed=args.seed, port=args.port, workers=args.http_workers,
                threads=args.http_threads, quiet_wait=args.quiet_wait, log=log)
        if "profile" in args.phases:
            log("profile of the hot-SKU service path (one process) ...")
            timed, traced, profiled = args.profile_sizes
            if args.quiet_wait:
                wait_for_quiet(args.quiet_wait)
            profile = orders.profile_hot_path(plan, timed=timed, traced=traced, profiled=profiled, log=log)
            profile["hot_row_bound_orders_per_s"] = orders.hot_order_rate_bound(profile)
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            profile_path = RESULTS_DIR / "profile.txt"
            profile_path.write_text(
                "SQL statements of one hot-SKU order (phase, statement shape):\n"
                + "\n".join(profile["statements_of_one_order"]) + "\n\ncProfile:\n" + profile.pop("cprofile")
            )
            profile["cprofile_file"] = str(profile_path.relative_to(REPO))
            results["profile"] = profile
            log("  statements of one order:")
            for line in profile["statements_of_one_order"]:
                log(f"    {line}")
            results["http_statements"] = orders.http_statement_counts(plan, log=log)
            profile["discounted_order_statements"] = orders.discounted_order_statements(plan, log=log)
        if "vouchers" in args.phases:
            log("pickup voucher redemption (service layer) ...")
            results["vouchers"] = vouchers.run_vouchers(plan, count=args.vouchers, seed=args.seed, log=log)
        if "nearby" in args.phases:
            log("nearby-store queries ...")
            results["nearby"] = nearby.run_nearby(plan, count=args.nearby, seed=args.seed, log=log)
    except Exception:
        failed = True
        import traceback

        log(traceback.format_exc())
    finally:
        log("integrity check (audit_stock, constraints, oversell) ...")
        results["integrity"] = integrity.check_integrity(plan)
        results["meta"]["seconds"] = round(time.perf_counter() - started, 1)
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))

    log("")
    log("=" * 118)
    for line in results_table(results):
        log(line)
    log("=" * 118)
    log(f"written {RESULTS_DIR.relative_to(REPO)}/latest.json in {results['meta']['seconds']} s")
    if not results["integrity"]["ok"]:
        log(f"INTEGRITY FAILED: {results['integrity']}")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
