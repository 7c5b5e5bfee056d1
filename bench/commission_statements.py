"""Commission statements benchmark: 500 employees, 1,000,000 order lines (4 per order) spread over
--months months, each line credited to one employee (share-link sale, 100%) with its accrual;
half the orders completed (settled), 1% of the lines partly returned (a reversal credit and entry).
Then every employee's statement for the last month (totals + lines, `selectors.statement`) is timed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/o2o_bench_commission \\
        .venv/bin/python bench/commission_statements.py [--lines 1000000] [--employees 500] [--months 4]

Bulk data goes in by SQL `INSERT ... SELECT generate_series` (minutes, not hours). It creates the
database if missing, migrates it, and WIPES it (flush) on every run, so it is re-runnable.
Prints figures only.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from bench.common import nearest_rank, prepare_standalone_database  # noqa: E402

LINES_PER_ORDER = 4
MAX_LINES = 5_000_000








def _timed(label: str, sql: str, params: dict) -> int:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.rowcount
    print(f"  {label}: {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    return rows


def seed(*, lines: int, employees: int, months: int) -> dict:
    """Stores, employees, SKUs and a plan by the ORM; orders, lines, credits and entries by SQL."""
    from datetime import date
    from decimal import Decimal

    from django.db import connection

    from o2o.attribution.models import MatrixVersion
    from o2o.commission.models import CommissionPlan, PlanRate
    from o2o.testing.factories import CategoryFactory, LocationFactory, ProductFactory, SKUFactory

    stores = [LocationFactory() for _ in range(10)]
    category = CategoryFactory()
    skus = [SKUFactory(product=ProductFactory(category=category), price=Decimal("19.90")) for _ in range(40)]
    first_sku = skus[0].pk
    first_location = min(s.pk for s in stores)
    # flush emptied the seeded matrix: the credits only need a version to point at
    version, _ = MatrixVersion.objects.get_or_create(effective_from=date(2000, 1, 1))
    orders = lines // LINES_PER_ORDER
    start = date(2026, 12 - months + 1, 1) if months <= 12 else date(2026, 1, 1)
    params = {
        "employees": employees, "orders": orders, "months": months, "start": start, "stores": len(stores),
        "first_location": first_location, "first_sku": first_sku, "skus": len(skus), "version": version.pk,
        "per_order": LINES_PER_ORDER,
    }  # fmt: skip
    print(f"seeding {employees} employees, {orders:,} orders x {LINES_PER_ORDER} lines over {months} months")
    _timed("users", """
        INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                               date_joined)
        SELECT '!', false, 'bench' || g, '', '', '', false, true, now() FROM generate_series(1, %(employees)s) g
    """, params)  # fmt: skip
    _timed("employees", """
        INSERT INTO staff_employee (role, code, display_name, is_active, home_location_id, user_id)
        SELECT 'clerk', 'B' || lpad(u.rn::text, 6, '0'), '店员' || u.rn, true,
               %(first_location)s + (u.rn %% %(stores)s), u.id
        FROM (SELECT id, row_number() OVER (ORDER BY id) rn FROM auth_user WHERE username LIKE 'bench%%') u
    """, params)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM staff_employee")
        params["first_employee"] = cursor.fetchone()[0]
    hq_user = connection.cursor()
    hq_user.execute("SELECT min(id) FROM auth_user")
    plan = CommissionPlan.objects.create(name="Bench", effective_from=date(2000, 1, 1),
                                         created_by_id=hq_user.fetchone()[0])  # fmt: skip
    PlanRate.objects.create(plan=plan, percent=Decimal("3.00"))
    params["plan"] = plan.pk
    # order g: employee g mod employees, paid on day g mod 28 of month (g div employees) mod months
    _timed("orders", """
        INSERT INTO orders_order (number, channel, fulfilment, state, delivery_address, subtotal, total,
            refunded_total, idempotency_scope, request_fingerprint, created_at, paid_at, closed_at,
            fulfilment_location_id, selling_location_id, referrer_id, delivery_fee, discount_total, on_hold, offer)
        SELECT 'B' || lpad(g::text, 12, '0'), 'share_link', 'pickup',
               CASE WHEN g %% 2 = 0 THEN 'completed' ELSE 'picked_up' END, '', 79.60, 79.60, 0, '', '', t, t, t,
               %(first_location)s + (g %% %(stores)s), %(first_location)s + (g %% %(stores)s),
               %(first_employee)s + (g %% %(employees)s), 0, 0, false, ''
        FROM generate_series(1, %(orders)s) g,
             LATERAL (SELECT (%(start)s::date + make_interval(months => ((g / %(employees)s) %% %(months)s)::int,
                                                                  days => (g %% 28)::int)
                              + interval '10 hours')::timestamptz AS t) at
    """, params)  # fmt: skip
    _timed("order lines", """
        INSERT INTO orders_orderline (quantity, unit_price, line_total, returned_quantity, order_id, sku_id,
                                      discount_total, net_amount)
        SELECT 2, 9.95, 19.90, CASE WHEN o.id %% 25 = 0 AND k = 0 THEN 1 ELSE 0 END, o.id,
               %(first_sku)s + ((o.id + k) %% %(skus)s), 0, 19.90
        FROM orders_order o, generate_series(0, %(per_order)s - 1) k
    """, params)  # fmt: skip
    _timed("line credits", """
        INSERT INTO attribution_linecredit (touchpoint, party, redirected_from, percent, amount, quantity, kind,
                                            occurred_at, employee_id, line_id, order_id, version_id)
        SELECT 'share_link_sale', 'share_link_employee', '', 100, l.net_amount, l.quantity, 'credit', o.paid_at,
               o.referrer_id, l.id, o.id, %(version)s
        FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
    """, params)  # fmt: skip
    _timed("accruals", """
        INSERT INTO commission_commissionentry (employee_id, kind, credit_id, order_id, line_id, plan_id,
            base_percent, tier_bonus_percent, rate, base, amount, clipped, reversed_base, reversed_amount, period,
            frozen_until, created_at)
        SELECT c.employee_id, 'accrual', c.id, c.order_id, c.line_id, %(plan)s, 3, 0, 3, c.amount,
               round(c.amount * 3 / 100, 2), false, 0, 0,
               date_trunc('month', c.occurred_at AT TIME ZONE 'Asia/Shanghai')::date,
               c.occurred_at + interval '7 days', c.occurred_at
        FROM attribution_linecredit c WHERE c.kind = 'credit'
    """, params)  # fmt: skip
    _timed("reversal credits (1 of 2 units of 1% of lines)", """
        INSERT INTO attribution_linecredit (touchpoint, party, redirected_from, percent, amount, quantity, kind,
                                            occurred_at, employee_id, line_id, order_id, version_id, reverses_id)
        SELECT c.touchpoint, c.party, '', 100, -9.95, 1, 'reversal', c.occurred_at + interval '1 day',
               c.employee_id, c.line_id, c.order_id, c.version_id, c.id
        FROM attribution_linecredit c JOIN orders_orderline l ON l.id = c.line_id
        WHERE c.kind = 'credit' AND l.returned_quantity = 1
    """, params)  # fmt: skip
    _timed("reversal entries", """
        WITH r AS (
            SELECT rc.id AS credit_id, a.id AS accrual_id, a.employee_id, a.order_id, a.line_id, a.period,
                   a.amount - round(a.amount / 2, 2) AS kept
            FROM attribution_linecredit rc JOIN commission_commissionentry a
              ON a.credit_id = rc.reverses_id AND a.kind = 'accrual'
            WHERE rc.kind = 'reversal'
        ), upd AS (
            UPDATE commission_commissionentry a SET reversed_base = 9.95, reversed_amount = a.amount - r.kept
            FROM r WHERE a.id = r.accrual_id RETURNING a.id
        )
        INSERT INTO commission_commissionentry (employee_id, kind, credit_id, order_id, line_id, plan_id,
            base_percent, tier_bonus_percent, rate, base, amount, clipped, reversed_base, reversed_amount, period,
            reverses_id, created_at)
        SELECT r.employee_id, 'reversal', r.credit_id, r.order_id, r.line_id, %(plan)s, 3, 0, 3, -9.95,
               -(a.amount - r.kept), false, 0, 0, r.period, r.accrual_id, now()
        FROM r JOIN commission_commissionentry a ON a.id = r.accrual_id
    """, params)  # fmt: skip
    _timed("settlements (completed orders)", """
        INSERT INTO commission_commissionentry (employee_id, kind, credit_id, order_id, line_id, plan_id,
            base_percent, tier_bonus_percent, rate, base, amount, clipped, reversed_base, reversed_amount, period,
            created_at)
        SELECT a.employee_id, 'settlement', a.credit_id, a.order_id, a.line_id, a.plan_id, 3, 0, 3,
               a.base - a.reversed_base, a.amount - a.reversed_amount, false, 0, 0, a.period, now()
        FROM commission_commissionentry a JOIN orders_order o ON o.id = a.order_id
        WHERE a.kind = 'accrual' AND o.state = 'completed'
    """, params)  # fmt: skip
    _timed("months", """
        INSERT INTO commission_commissionmonth (employee_id, period, volume, accrued)
        SELECT employee_id, period, sum(base), sum(amount) FROM commission_commissionentry
        WHERE kind = 'accrual' GROUP BY employee_id, period
    """, params)  # fmt: skip
    _timed("balances", """
        INSERT INTO commission_commissionbalance (employee_id, frozen, settled)
        SELECT employee_id,
               sum(amount) FILTER (WHERE kind IN ('accrual', 'reversal'))
               - coalesce(sum(amount) FILTER (WHERE kind = 'settlement'), 0),
               coalesce(sum(amount) FILTER (WHERE kind IN ('settlement', 'clawback')), 0)
        FROM commission_commissionentry GROUP BY employee_id
    """, params)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    last = date(start.year + (start.month - 1 + months - 1) // 12, (start.month - 1 + months - 1) % 12 + 1, 1)
    return {"period": last}


def time_statements(period) -> None:
    from django.db import connection, reset_queries

    from o2o.commission.selectors import statement
    from o2o.staff.models import Employee

    samples, rows, queries = [], 0, []
    employees = list(Employee.objects.filter(code__startswith="B").order_by("pk"))
    started = time.perf_counter()
    for employee in employees:
        reset_queries()
        t0 = time.perf_counter()
        result = statement(employee=employee, period=period)
        samples.append(time.perf_counter() - t0)
        rows += len(result.lines)
        queries.append(len(connection.queries))
        lines_total = sum(line.accrued for line in result.lines)
        assert lines_total == result.totals.accrued, (employee.pk, lines_total, result.totals.accrued)
    total = time.perf_counter() - started
    print(f"statements for {period:%Y-%m}: {len(employees)} employees, {rows:,} lines, {total:.1f} s in all")
    p50, p99 = statistics.median(samples) * 1000, nearest_rank(samples, 99) * 1000
    print(f"  per statement: p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
          f"max {max(samples) * 1000:.0f} ms; {rows / len(employees):.0f} lines each; queries each: {max(queries)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--employees", type=int, default=500)
    parser.add_argument("--months", type=int, default=4)
    args = parser.parse_args()
    if not (LINES_PER_ORDER <= args.lines <= MAX_LINES and 1 <= args.employees <= 10_000 and 1 <= args.months <= 12):
        raise SystemExit(f"--lines 4..{MAX_LINES:,}, --employees 1..10000, --months 1..12")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database (e.g. .../o2o_bench_commission)")
    os.environ["DEBUG"] = os.environ.get("DEBUG", "1")
    prepare_standalone_database(url)
    from django.conf import settings

    settings.DEBUG = True  # count queries per statement
    started = time.perf_counter()
    seeded = seed(lines=args.lines, employees=args.employees, months=args.months)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders_orderline")
        line_count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM commission_commissionentry")
        entry_count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM attribution_linecredit")
        credit_count = cursor.fetchone()[0]
    print(f"seeded in {time.perf_counter() - started:.0f} s: {line_count:,} order lines, {credit_count:,} credits, "
          f"{entry_count:,} commission entries")
    time_statements(seeded["period"])
    from o2o.commission import audit

    started = time.perf_counter()
    findings = audit.balances_against_ledger() + audit.months_against_accruals()
    took = time.perf_counter() - started
    print(f"audit (balances, months against the ledger): {len(findings)} findings in {took:.1f} s")


if __name__ == "__main__":
    main()
