"""Pickup voucher redemption at the counter, through the service layer, one clerk per store."""

from __future__ import annotations

import random
import time

from bench.common import BenchFailure, latency_summary


def _top_up(plan: dict, needed: int) -> None:
    """Place and pay pickup orders at the spread stores until `needed` more vouchers are issued."""
    from bench.orders import service_client

    one = service_client(0, 1, {**plan, "scenario": "spread"})
    for _ in range(needed):
        one()


def _clerks_for(location_ids: set[int]) -> dict[int, object]:
    """A clerk (user + employee) per store, created in bulk, and their Actor."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from o2o.access.actors import actor_for_user
    from o2o.staff.models import Employee, Role

    user_model = get_user_model()
    existing = {e.home_location_id: e for e in Employee.objects.filter(
        home_location_id__in=location_ids, role=Role.CLERK, code__startswith="BC").select_related("user")}
    missing = sorted(location_ids - existing.keys())
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        user_model(username=f"bench-clerk-{loc}", password=unusable) for loc in missing
    )
    Employee.objects.bulk_create(
        Employee(user=u, role=Role.CLERK, home_location_id=loc, code=f"BC{loc}", display_name=f"店员{loc}")
        for u, loc in zip(users, missing, strict=True)
    )
    clerks = Employee.objects.filter(home_location_id__in=location_ids, code__startswith="BC").select_related("user")
    return {e.home_location_id: actor_for_user(e.user) for e in clerks}


def run_vouchers(plan: dict, *, count: int, seed: int, log=print) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from o2o.pickup.models import PickupVoucher
    from o2o.pickup.services import redeem_pickup_voucher

    issued = PickupVoucher.objects.filter(state=PickupVoucher.State.ISSUED)
    topped_up = max(0, count - issued.count())
    if topped_up:
        _top_up(plan, topped_up)
    vouchers = list(issued.values_list("code", "location_id"))
    random.Random(seed).shuffle(vouchers)
    vouchers = vouchers[:count]
    clerks = _clerks_for({loc for _code, loc in vouchers})

    latencies = []
    statements = []
    failures: dict[str, int] = {}
    for i, (code, location_id) in enumerate(vouchers):
        capture = i % 10 == 0  # count round trips on every tenth; time the others without the capture cost
        t0 = time.perf_counter()
        try:
            if capture:
                with CaptureQueriesContext(connection) as queries:
                    redeemed = redeem_pickup_voucher(actor=clerks[location_id], presented=code)
                statements.append(len(queries))
            else:
                redeemed = redeem_pickup_voucher(actor=clerks[location_id], presented=code)
            if redeemed.state != PickupVoucher.State.REDEEMED:
                raise BenchFailure(f"state:{redeemed.state}")
        except Exception as exc:  # counted by code
            key = str(getattr(exc, "code", None) or exc)
            failures[key] = failures.get(key, 0) + 1
            continue
        if not capture:
            latencies.append(time.perf_counter() - t0)
    result = {
        "redeemed": len(vouchers) - sum(failures.values()), "attempted": len(vouchers),
        "stores": len(clerks), "orders_placed_for_it": topped_up,
        **latency_summary(latencies),
        # Django's query log lists BEGIN and COMMIT too: these are round trips, not just statements
        "round_trips_per_redeem": round(sum(statements) / len(statements), 1) if statements else None,
        "failures": failures,
    }
    log(f"  vouchers: {result['redeemed']}/{result['attempted']} redeemed at {result['stores']} stores, "
        f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms, {result['round_trips_per_redeem']} SQL round trips "
        f"each (incl. BEGIN/COMMIT), "
        f"failures {failures or '-'}")
    return result
