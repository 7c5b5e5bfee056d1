"""Orders through the service layer: place (price + reserve) + start online payment + gateway callback."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager

from bench.common import BenchFailure, describe, latency_summary, ms, percentile, process_cpu_seconds, run_clients


def signed_gateway_callback(payment: dict, gateway_ref: str) -> tuple[bytes, str]:
    """The gateway's signed callback body (and signature) for a payment as the API answered it:
    what the gateway POSTs to /payments/callbacks/simulated once the customer has paid."""
    from decimal import Decimal

    from o2o.payments.models import Payment
    from o2o.payments.simulator import signed_callback

    return signed_callback(Payment(pk=payment["id"], gateway_ref=gateway_ref, amount=Decimal(payment["amount"])))


def gateway_pays(payment) -> str:
    """The gateway's callback for a paid payment, as a real gateway sends it: signed, from outside.

    (`simulate_customer_payment` would look the payment up by its reference first: a statement of
    the development simulator, not of the server, so it is left out of the callback's figures.)"""
    from o2o.payments.gateways import SimulatedGateway
    from o2o.payments.services import handle_gateway_callback
    from o2o.payments.simulator import signed_callback

    body, signature = signed_callback(payment)
    return handle_gateway_callback(gateway_name=SimulatedGateway.name, body=body, signature=signature)


def _pairs(args: dict) -> list[tuple[int, int]]:
    if args["scenario"] == "hot":
        return [(args["hot_store"], args["hot_sku"])]
    return [tuple(p) for p in args["spread_pairs"]]


def service_client(idx: int, clients: int, args: dict) -> Callable[[], dict[str, float]]:
    """One customer after another (members of this client's slice) buying one unit for pickup."""
    from o2o.access.actors import SYSTEM, actor_for_member
    from o2o.members.models import Member
    from o2o.orders.services import LineRequest, OrderRequest, place_order
    from o2o.payments.services import start_online_payment

    members = list(Member.objects.filter(pk__in=args["member_ids"][idx::clients]))
    buyers = [(m, actor_for_member(m)) for m in members]
    pairs = _pairs(args)

    def one() -> dict[str, float]:
        member, actor = random.choice(buyers)
        location_id, sku_id = random.choice(pairs)
        t0 = time.perf_counter()
        order = place_order(actor=actor, member=member, request=OrderRequest(
            channel="app", fulfilment="pickup", fulfilment_location_id=location_id,
            lines=[LineRequest(sku_id, 1)],
        ))
        t1 = time.perf_counter()
        payment, _url = start_online_payment(actor=SYSTEM, order=order)
        t2 = time.perf_counter()
        outcome = gateway_pays(payment)
        t3 = time.perf_counter()
        if outcome != "paid":
            raise BenchFailure(f"callback:{outcome}")
        return {"place": t1 - t0, "start_payment": t2 - t1, "callback": t3 - t2}

    return one


def run_service(plan: dict, *, scenarios: list[str], client_counts: list[int], duration: float,
                start_method: str, seed: int, quiet_wait: float = 0.0, log=print) -> list[dict]:
    rows = []
    for scenario in scenarios:
        for clients in client_counts:
            args = {**plan, "scenario": scenario, "seed": seed}
            result = run_clients(service_client, clients=clients, duration=duration, args=args,
                                 start_method=start_method, quiet_wait=quiet_wait)
            row = {"layer": "service", "scenario": scenario, **result}
            log(describe(row))
            for fatal in row["fatal"]:
                log(fatal)
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- profile of the hot path

_WRITES = {"INSERT", "UPDATE", "DELETE"}
_SHAPE_LITERALS = re.compile(r"'[^']*'|\b\d+(\.\d+)?\b")


def _shape(sql: str) -> str:
    """A short, literal-free form of a statement: the verb and the table(s)."""
    sql = " ".join(sql.split())
    verb = sql.split(" ", 1)[0].upper()
    if verb in {"SAVEPOINT", "RELEASE", "ROLLBACK"}:
        return verb
    tables = re.findall(r'(?:FROM|INTO|UPDATE|JOIN) "?([a-z_]+)\b"?', sql)  # raw SQL may leave names unquoted
    where = re.search(r" WHERE (.*?)(?: ORDER BY| LIMIT| RETURNING|$)", sql)
    detail = _SHAPE_LITERALS.sub("?", where.group(1))[:90] if where else ""
    return f"{verb} {'+'.join(dict.fromkeys(tables))}" + (f" WHERE {detail}" if detail else "")


class _Tracer:
    """Records every statement (with its phase and round-trip time) and every COMMIT on the connection."""

    def __init__(self) -> None:
        self.phase = "-"
        self.statements: list[tuple[str, str, float, float]] = []  # phase, sql, start, seconds
        self.commits: Counter[str] = Counter()
        self.commit_times: list[tuple[str, float, float]] = []  # phase, start, seconds
        self.autocommitted: set[int] = set()  # indexes of statements run outside a transaction (each commits)

    def __call__(self, execute, sql, params, many, context):
        if not context["connection"].in_atomic_block:
            self.autocommitted.add(len(self.statements))
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((self.phase, sql, start, time.perf_counter() - start))

    def autocommitted_writes(self) -> int:
        return sum(1 for i in self.autocommitted if _shape(self.statements[i][1]).split(" ")[0] in _WRITES)

    @contextmanager
    def installed(self):
        from django.db import connections

        conn = connections["default"]
        original_commit = conn.commit

        def counting_commit():
            self.commits[self.phase] += 1
            start = time.perf_counter()
            try:
                return original_commit()
            finally:
                self.commit_times.append((self.phase, start, time.perf_counter() - start))

        conn.commit = counting_commit
        try:
            with conn.execute_wrapper(self):
                yield self
        finally:
            del conn.commit


def profile_hot_path(plan: dict, *, timed: int, traced: int, profiled: int, log=print) -> dict:
    """Where a hot-SKU order's time goes, in one process without contention:
    time per phase, SQL statements and transactions per phase, DB round-trip time vs Python,
    how long the hot stock row stays locked, and the top functions under cProfile."""
    one = service_client(0, 1, {**plan, "scenario": "hot"})
    for _ in range(5):
        one()

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    phases: dict[str, list[float]] = {}
    totals = []
    python_cpu, backend_cpu, wall = time.process_time(), process_cpu_seconds([backend_pid]), time.perf_counter()
    for _ in range(timed):
        t0 = time.perf_counter()
        for phase, seconds in one().items():
            phases.setdefault(phase, []).append(seconds)
        totals.append(time.perf_counter() - t0)
    python_cpu = (time.process_time() - python_cpu) / timed
    backend_cpu = (process_cpu_seconds([backend_pid]) - backend_cpu) / timed
    wall = (time.perf_counter() - wall) / timed

    tracer = _Tracer()
    lock_hold = []
    per_order_db = []
    first_order: list[tuple[str, str]] = []
    lock_parts: dict[str, list[float]] = {"update": [], "statements_after_update": [], "commit": [],
                                          "python_between": []}
    after_update: list[str] = []
    # the store's pickup number counter of the day: the callback's row lock every payment at the store takes
    counter_hold: list[float] = []
    after_counter: list[str] = []
    with tracer.installed():
        traced_one = _traced_client(plan, tracer)
        for _ in range(traced):
            before = len(tracer.statements)
            placed_at, timings = traced_one()
            statements = tracer.statements[before:]
            at = next(i for i, s in enumerate(statements)
                      if s[0] == "place" and _shape(s[1]).startswith("UPDATE inventory_stocklevel"))
            update = statements[at]
            after = [s for s in statements[at + 1:] if s[0] == "place"]
            commit = next(c for c in reversed(tracer.commit_times) if c[0] == "place")
            lock_hold.append(placed_at - update[2])
            lock_parts["update"].append(update[3])
            lock_parts["statements_after_update"].append(sum(s[3] for s in after))
            lock_parts["commit"].append(commit[2])
            lock_parts["python_between"].append(placed_at - update[2] - update[3] - sum(s[3] for s in after)
                                                - commit[2])
            after_update = [_shape(s[1]) for s in after]
            drawn = next(i for i, s in enumerate(statements)
                         if s[0] == "callback" and _shape(s[1]).startswith("INSERT pickup_pickupnumbercounter"))
            if before + drawn in tracer.autocommitted:  # drawn ahead, committed with its statement
                counter_hold.append(statements[drawn][3])
                after_counter = []
            else:  # drawn in the payment's transaction: locked until it commits
                paid = next(c for c in reversed(tracer.commit_times) if c[0] == "callback")
                counter_hold.append(paid[1] + paid[2] - statements[drawn][2])
                after_counter = [_shape(s[1]) for s in statements[drawn + 1:] if s[0] == "callback"]
            per_order_db.append(sum(s[3] for s in statements))
            first_order = first_order or [(p, _shape(sql)) for p, sql, _s, _d in statements]
    n = max(traced, 1)
    by_phase: dict[str, dict] = {}
    for phase, _sql, _start, seconds in tracer.statements:
        if phase == "-":
            continue  # set-up outside an order
        entry = by_phase.setdefault(phase, {"statements": 0, "db_ms": 0.0})
        entry["statements"] += 1
        entry["db_ms"] += seconds * 1000
    for phase, entry in by_phase.items():
        entry["statements"] = round(entry["statements"] / n, 2)
        entry["transactions"] = round(tracer.commits[phase] / n, 2)
        entry["db_ms"] = round(entry["db_ms"] / n, 3)
        entry["p50_ms"] = ms(percentile(phases.get(phase, []), 50))
        # statements + BEGIN and COMMIT of each explicit transaction (psycopg sends BEGIN on its own)
        entry["round_trips"] = round(entry["statements"] + 2 * entry["transactions"], 2)

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(profiled):
        one()
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)

    total = latency_summary(totals)
    statements = sum(e["statements"] for e in by_phase.values())
    result = {
        "orders_timed": timed, "orders_traced": traced, "orders_profiled": profiled,
        "order_p50_ms": total["p50_ms"], "order_mean_ms": total["mean_ms"],
        "single_client_orders_per_s": round(1000 / total["mean_ms"], 1) if total["mean_ms"] else None,
        # where one order's wall time goes: Python CPU (Django + o2o + psycopg), its PostgreSQL backend's CPU,
        # and the rest (waiting: network, WAL flush at COMMIT, scheduling)
        "python_cpu_ms_per_order": round(python_cpu * 1000, 2),
        "postgres_cpu_ms_per_order": round(backend_cpu * 1000, 2),
        "waiting_ms_per_order": round((wall - python_cpu - backend_cpu) * 1000, 2),
        # the most orders/s these CPUs could do if nothing else ran and nothing waited
        "cpu_bound_orders_per_s": round((os.cpu_count() or 1) / (python_cpu + backend_cpu), 1)
        if python_cpu + backend_cpu else None,
        "phases": by_phase,
        "statements_per_order": round(statements, 2),
        "transactions_per_order": round(sum(tracer.commits.values()) / n, 2),
        # writes outside those transactions: each commits on its own (the first payment, the short number)
        "autocommitted_writes_per_order": round(tracer.autocommitted_writes() / n, 2),
        "round_trips_per_order": round(sum(e["round_trips"] for e in by_phase.values()), 2),
        "db_ms_per_order": round(sum(per_order_db) / n * 1000, 3),
        "hot_row_lock_held_p50_ms": ms(percentile(lock_hold, 50)),
        "hot_row_lock_held_p99_ms": ms(percentile(lock_hold, 99)),
        # what the lock-holding stretch is made of (p50 of each part, ms)
        "hot_row_lock_parts_p50_ms": {k: ms(percentile(v, 50)) for k, v in lock_parts.items()},
        "statements_while_hot_row_locked": after_update,
        "pickup_counter_lock_held_p50_ms": ms(percentile(counter_hold, 50)),
        "statements_while_pickup_counter_locked": after_counter,
        "statements_of_one_order": [f"{p:13} {s}" for p, s in first_order],
        "cprofile": stream.getvalue(),
    }
    log(f"  hot path, 1 process: {result['order_p50_ms']} ms/order p50 = {result['python_cpu_ms_per_order']} ms "
        f"Python CPU + {result['postgres_cpu_ms_per_order']} ms PostgreSQL CPU + {result['waiting_ms_per_order']} ms "
        f"waiting (mean); CPU-bound ceiling on {os.cpu_count()} CPUs: {result['cpu_bound_orders_per_s']} orders/s")
    log(f"  hot path, 1 process: {result['order_p50_ms']} ms/order p50, "
        f"{result['statements_per_order']} SQL statements + {result['transactions_per_order']} transactions "
        f"(+ {result['autocommitted_writes_per_order']} writes committed on their own) "
        f"= {result['round_trips_per_order']} round trips/order, {result['db_ms_per_order']} ms of it in SQL "
        f"round trips, hot row locked {result['hot_row_lock_held_p50_ms']} ms p50")
    log(f"  hot row lock held by: {result['hot_row_lock_parts_p50_ms']} (p50 ms); statements after the UPDATE: "
        f"{result['statements_while_hot_row_locked']}")
    log(f"  the store's pickup number counter locked {result['pickup_counter_lock_held_p50_ms']} ms p50 (callback, "
        f"to the draw's commit); statements after the draw: {result['statements_while_pickup_counter_locked']}")
    return result


def _traced_client(
    plan: dict, tracer: _Tracer, member_id: int | None = None
) -> Callable[[], tuple[float, dict[str, float]]]:
    from o2o.access.actors import SYSTEM, actor_for_member
    from o2o.members.models import Member
    from o2o.orders.services import LineRequest, OrderRequest, place_order
    from o2o.payments.services import start_online_payment

    member_id = member_id or plan["member_ids"][0]

    def one() -> tuple[float, dict[str, float]]:
        tracer.phase = "-"
        member = Member.objects.get(pk=member_id)  # as a request reads its member (outside the phases)
        actor = actor_for_member(member)
        tracer.phase = "place"
        t0 = time.perf_counter()
        order = place_order(actor=actor, member=member, request=OrderRequest(
            channel="app", fulfilment="pickup", fulfilment_location_id=plan["hot_store"],
            lines=[LineRequest(plan["hot_sku"], 1)],
        ))
        t1 = time.perf_counter()
        tracer.phase = "start_payment"
        payment, _url = start_online_payment(actor=SYSTEM, order=order)
        t2 = time.perf_counter()
        tracer.phase = "callback"
        outcome = gateway_pays(payment)
        t3 = time.perf_counter()
        tracer.phase = "-"
        if outcome != "paid":
            raise BenchFailure(f"callback:{outcome}")
        return t1, {"place": t1 - t0, "start_payment": t2 - t1, "callback": t3 - t2}

    return one


def discounted_order_statements(plan: dict, *, orders: int = 20, log=print) -> dict:
    """Statements per phase of the same hot-SKU order by a member whose level gives 5% off: what a
    discount costs (the level row, the discount line), next to the undiscounted order above."""
    from decimal import Decimal

    from o2o.members.models import Member, MemberLevel

    level, _created = MemberLevel.objects.get_or_create(
        code="bench-gold",
        defaults={"name": "Bench gold", "rank": 999, "min_growth": 999_999, "discount_percent": Decimal("5")},
    )
    member_id = plan["member_ids"][-1]
    Member.objects.filter(pk=member_id).update(level=level)
    tracer = _Tracer()
    with tracer.installed():
        one = _traced_client(plan, tracer, member_id=member_id)
        for _ in range(orders):
            one()
    counts = Counter(phase for phase, *_rest in tracer.statements if phase != "-")
    result = {phase: round(count / orders, 2) for phase, count in counts.items()}
    result["total"] = round(sum(counts.values()) / orders, 2)
    discount_lines = sorted({_shape(sql) for phase, sql, *_rest in tracer.statements
                             if phase == "place" and ("memberlevel" in sql or "orderlinediscount" in sql)})
    log(f"  discounted order (member level 5% off): {result['total']} SQL statements "
        f"({', '.join(f'{k} {v}' for k, v in result.items() if k != 'total')}); for the discount: {discount_lines}")
    return result


def http_statement_counts(plan: dict, log=print) -> dict:
    """SQL round trips behind each HTTP request of one order (Django test client, in process; Django's
    query log also lists the BEGIN and COMMIT of each transaction, which are round trips too)."""
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from o2o.access.services import issue_token
    from o2o.members.models import Member
    from o2o.payments.gateways import SIGNATURE_HEADER

    member = Member.objects.get(pk=plan["member_ids"][1])
    client = Client()
    auth = {"Authorization": f"Bearer {issue_token(member=member)}"}
    body = {"channel": "app", "fulfilment": "pickup", "location_id": plan["hot_store"],
            "lines": [{"sku_id": plan["hot_sku"], "quantity": 1}]}
    counts: dict[str, int] = {}
    for attempt in range(2):  # the first round warms caches (content types, URL resolver)
        with CaptureQueriesContext(connection) as placed:
            r = client.post("/api/v1/orders", json.dumps(body), content_type="application/json", headers=auth)
        order_id = r.json()["id"]
        with CaptureQueriesContext(connection) as started:
            r = client.post(f"/api/v1/payments/orders/{order_id}/online", content_type="application/json",
                            headers=auth)
        ref = r.json()["pay_url"].rsplit("/", 1)[1]
        callback, signature = signed_gateway_callback(r.json()["payment"], ref)
        with CaptureQueriesContext(connection) as paid:
            r = client.post("/api/v1/payments/callbacks/simulated", callback, content_type="application/json",
                            headers={SIGNATURE_HEADER: signature})
        if r.json().get("outcome") != "paid":
            raise BenchFailure(f"http profile: {r.content!r}")
        if attempt:
            counts = {"POST /orders": len(placed), "POST /payments/orders/{id}/online": len(started),
                      "POST /payments/callbacks/simulated": len(paid)}
    counts["total"] = sum(counts.values())
    log(f"  SQL round trips (statements + BEGIN/COMMIT) per HTTP order: {counts}")
    return counts


def hot_order_rate_bound(profile: dict) -> float | None:
    """Orders/s one hot stock row can pass if each order holds its lock as long as measured."""
    held = profile.get("hot_row_lock_held_p50_ms")
    return round(1000 / held, 0) if held else None
