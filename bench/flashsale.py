"""A flash sale over HTTP: 100 units, 2,000 buyers pressing "buy" at the opening second.

    psql -h 127.0.0.1 -p 5433 -U postgres -c 'CREATE DATABASE flashsale_bench'
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/flashsale_bench .venv/bin/python bench/flashsale.py

gunicorn (o2o.wsgi) runs on 127.0.0.1; 32 client threads, each on a keep-alive connection, share
the 2,000 members (one bearer token each) and POST /flash-sales/{id}/orders once per member, all
from the opening second. Prints: time to sell out, p50/p99 of the sold-out answers (and of the
sales), the statements one sold-out answer runs (none may touch the stock row), and that exactly
the quantity was sold. The database name must contain "bench"; the run adds rows, it wipes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# `python bench/flashsale.py` puts bench/ first on sys.path, where bench/http.py shadows the stdlib.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from bench.common import database_url_problem, percentile, setup_django  # noqa: E402
from bench.http import API, HOST, Gunicorn, free_port  # noqa: E402


def log(message: str) -> None:
    print(message, flush=True)


def prepare(units: int, buyers: int, opens_in: float):
    from django.core.management import call_command
    from django.utils import timezone

    from o2o.access.actors import SYSTEM
    from o2o.access.services import issue_token
    from o2o.flashsale.services import create_flash_sale
    from o2o.inventory.services import receive_stock
    from o2o.members.models import Member
    from o2o.testing.factories import LocationFactory, SKUFactory

    call_command("migrate", verbosity=0, interactive=False)
    run = int(time.time()) % 100_000
    store = LocationFactory(code=f"FB{run}")
    sku = SKUFactory(code=f"FLASH{run}", barcode=f"69{run:05d}{int(time.time() * 1000) % 1_000_000:06d}",
                     price=Decimal("4999.00"))  # fmt: skip
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=units * 10)
    members = Member.objects.bulk_create(
        Member(phone=f"+86170{run:05d}{n:04d}"[:20], name=f"bench{n}", registration_channel="h5") for n in range(buyers)
    )  # fmt: skip
    tokens = [issue_token(member=m) for m in members]
    starts = timezone.now() + timedelta(seconds=opens_in)
    sale = create_flash_sale(actor=SYSTEM, sku_id=sku.pk, location_id=store.pk, price=Decimal("1999.00"),
                             quantity=units, per_member_limit=1, starts_at=starts,
                             ends_at=starts + timedelta(hours=1))  # fmt: skip
    return sale, store, sku, tokens


def crowd(
    port: int, sale_id: int, tokens: list[str], clients: int, opens_at: float
) -> list[tuple[int, str, float, float]]:
    """Every token buys once; answers are (status, code, seconds, finished at)."""
    answers: list[tuple[int, str, float, float]] = []
    lock = threading.Lock()
    path = f"{API}/flash-sales/{sale_id}/orders"

    def client(mine: list[str]) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while time.time() < opens_at:
            time.sleep(0.001)
        for token in mine:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                       "Idempotency-Key": token[:40]}  # fmt: skip
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=b"{}", headers=headers)
                response = conn.getresponse()
                raw = response.read()
                status = response.status
                code = "sold" if status == 201 else json.loads(raw).get("code", "?")
            except (OSError, http.client.HTTPException, ValueError) as exc:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                status, code = 0, type(exc).__name__
            finished = time.time()
            with lock:
                answers.append((status, code, time.perf_counter() - started, finished))
        conn.close()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, [tokens[i::clients] for i in range(clients)]))
    return answers


def statements_per_sold_out_answer(sale_id: int, token: str) -> tuple[int, int, list[str]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as captured:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "late-" + token[:30]}
        response = client.post(
            f"{API}/flash-sales/{sale_id}/orders", b"{}", content_type="application/json", headers=headers
        )
    assert response.status_code == 409, response.content
    sql = [q["sql"] for q in captured]
    return len(sql), sum("inventory_stocklevel" in s for s in sql), [s.split(" WHERE ")[0][:90] for s in sql]


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if problem := database_url_problem(url):
        log(f"bench: {problem}")
        return 2
    if "bench" not in url.rsplit("/", 1)[-1]:
        log("bench: use a database whose name contains 'bench', e.g. flashsale_bench")
        return 2
    setup_django()
    log(f"preparing {args.buyers} members with tokens and a sale of {args.units} units ...")
    sale, store, sku, tokens = prepare(args.units, args.buyers, opens_in=0)
    from django.utils import timezone

    from o2o.flashsale.models import FlashSale, FlashSaleUnit
    from o2o.inventory.models import StockLevel
    from o2o.orders.models import Order

    server = Gunicorn(port=free_port(args.port), workers=args.workers, threads=args.threads)
    try:
        server.start()
        opens_at = time.time() + 2
        FlashSale.objects.filter(pk=sale.pk).update(starts_at=timezone.now() + timedelta(seconds=2))
        log(f"gunicorn gthread {args.workers}x{args.threads}; {args.clients} clients; sale opens in 2 s")
        answers = crowd(server.port, sale.pk, tokens, args.clients, opens_at)
    finally:
        server.stop()
    tally = Counter((status, code) for status, code, _, _ in answers)
    sold = [a for a in answers if a[0] == 201]
    refused = [a for a in answers if a[1] == "flash_sale_sold_out"]
    last_sale = max((a[3] for a in sold), default=opens_at)
    taken = FlashSaleUnit.objects.filter(sale=sale, order_id__isnull=False).count()
    orders = Order.objects.filter(lines__discounts__rule_ref=f"flash:{sale.pk}").count()
    reserved = StockLevel.objects.get(location=store, sku=sku).reserved
    statements, on_stock, shapes = statements_per_sold_out_answer(sale.pk, tokens[-1])
    log(f"answers: {dict(tally)}")
    log(f"time to sell out (opening second -> last 201): {last_sale - opens_at:.2f} s; whole crowd answered in "
        f"{max(a[3] for a in answers) - opens_at:.2f} s")  # fmt: skip
    log(f"sold-out answers: {len(refused)}, p50 {ms(percentile([a[2] for a in refused], 50))}, "
        f"p99 {ms(percentile([a[2] for a in refused], 99))}")  # fmt: skip
    log(f"sales: {len(sold)}, p50 {ms(percentile([a[2] for a in sold], 50))}, "
        f"p99 {ms(percentile([a[2] for a in sold], 99))}")  # fmt: skip
    log(f"statements per sold-out answer: {statements} ({on_stock} touching inventory_stocklevel)")
    for shape in shapes:
        log(f"    {shape}")
    exact = len(sold) == taken == orders == reserved == args.units
    log(f"units taken {taken}, flash orders {orders}, stock reserved {reserved}: "
        f"{'exactly ' + str(args.units) + ' sold' if exact else 'MISMATCH'}")  # fmt: skip
    return 0 if exact and on_stock == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
