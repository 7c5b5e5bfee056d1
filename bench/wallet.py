"""Wallet spend benchmark: latency of `wallet.spend` in process (p50/p99, one caller), then 32
threads spending at once from 32 wallets (one each) and from one shared wallet (every spend
queues on the same row's conditional UPDATE).

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/o2o_bench_wallet .venv/bin/python bench/wallet.py [--seconds 5]

It creates the database if missing, migrates it, and WIPES it (flush). Prints figures only.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from bench.common import nearest_rank, prepare_standalone_database  # noqa: E402


def _fund(count: int, amount: str):
    """`count` members with `amount` principal each, topped up at a counter."""
    from o2o.access.actors import actor_for_user
    from o2o.testing.factories import EmployeeFactory, MemberFactory
    from o2o.wallet.services import top_up_at_counter

    clerk = EmployeeFactory()
    members = [MemberFactory() for _ in range(count)]
    for member in members:
        top_up_at_counter(actor=actor_for_user(clerk.user), location_id=clerk.home_location_id, member_id=member.pk,
                          amount=amount, method="cash")  # fmt: skip
    return [m.pk for m in members]


def _spend_once(member_id: int, reference: str) -> float:
    from django.db import transaction

    from o2o.wallet.services import spend

    started = time.perf_counter()
    with transaction.atomic():
        spend(member_id=member_id, amount=Decimal("0.01"), reference=reference, actor_id=None)
    return time.perf_counter() - started


def in_process(samples: int) -> None:
    from django.db import connection

    (member_id,) = _fund(1, "4000.00")
    for i in range(50):  # warm-up
        _spend_once(member_id, f"warm:{i}")
    timings = [_spend_once(member_id, f"p:{i}") for i in range(samples)]
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        _spend_once(member_id, "counted")
    connection.close()
    print(
        f"in process, 1 caller, {samples} spends: p50 {statistics.median(timings) * 1000:.2f} ms, "
        f"p99 {nearest_rank(timings, 99) * 1000:.2f} ms; {len(queries)} statements per spend "
        "(BEGIN and COMMIT included)"
    )


def concurrent(label: str, member_ids: list[int], threads: int, seconds: float) -> None:
    from django.db import connection

    timings: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)
    deadline_box: list[float] = []

    def work(index: int) -> None:
        member_id = member_ids[index % len(member_ids)]
        try:
            connection.ensure_connection()
            barrier.wait()
            if index == 0:
                deadline_box.append(time.perf_counter() + seconds)
            while not deadline_box:
                time.sleep(0)
            n = 0
            while time.perf_counter() < deadline_box[0]:
                timings[index].append(_spend_once(member_id, f"{label}:{index}:{n}"))
                n += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done = [t for per_thread in timings for t in per_thread]
    name = "one wallet each" if label == "own" else "one shared wallet"
    print(
        f"{threads} threads, {name}: {len(done) / seconds:.0f} spends/s, "
        f"p50 {statistics.median(done) * 1000:.1f} ms, p99 {nearest_rank(done, 99) * 1000:.1f} ms"
        + (f", {len(errors)} errors: {errors[0]!r}" if errors else "")
    )


def audit() -> None:
    from o2o.wallet import audit as wallet_audit

    problems = wallet_audit.problems()
    print(f"wallet audit: {len(problems)} difference(s)" + (f": {problems[:3]}" if problems else ""))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per concurrent run")
    parser.add_argument("--samples", type=int, default=2000, help="spends timed in process")
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://postgres@127.0.0.1:5433/o2o_bench_wallet")
    prepare_standalone_database(url)
    from django.conf import settings

    print(f"wallet bench on {urlparse(url).path.lstrip('/')}, spend order {settings.O2O_WALLET_SPEND_ORDER}")
    in_process(args.samples)
    many = _fund(args.threads, "4000.00")
    concurrent("own", many, args.threads, args.seconds)
    one = _fund(1, "4000.00")
    concurrent("shared", one, args.threads, args.seconds)
    audit()


if __name__ == "__main__":
    main(sys.argv[1:])
