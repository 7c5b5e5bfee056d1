"""Nearby-store queries over the 10,000 locations: plain box+distance, and with stock to promise."""

from __future__ import annotations

import random
import time

from bench.common import latency_summary
from bench.data import CITY_SPREAD_DEG


def _random_points(plan: dict, count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Where customers stand: around the city centres, a bit wider than the stores."""
    points = []
    for _ in range(count):
        _code, lat0, lng0 = rng.choice(plan["cities"])
        points.append((lat0 + rng.gauss(0, CITY_SPREAD_DEG * 1.2), lng0 + rng.gauss(0, CITY_SPREAD_DEG * 1.2)))
    return points


def explain_bounding_box(latitude: float, longitude: float, radius_km: float) -> str:
    """EXPLAIN ANALYZE of the exact box query locations_within() runs."""
    from o2o.stores.geo import bounding_box
    from o2o.stores.selectors import active_locations

    min_lat, max_lat, min_lng, max_lng = bounding_box(latitude, longitude, radius_km)
    query = active_locations().filter(latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng))
    return query.explain(analyze=True)


def run_nearby(plan: dict, *, count: int, seed: int, radius_km: float = 10.0, log=print) -> dict:
    from o2o.inventory.selectors import nearby_supply
    from o2o.stores.selectors import locations_within

    rng = random.Random(seed)
    points = _random_points(plan, count, rng)
    skus = plan["spread_skus"]
    for lat, lng in points[:5]:  # warm-up
        locations_within(latitude=lat, longitude=lng, radius_km=radius_km)

    plain, found = [], []
    for lat, lng in points:
        t0 = time.perf_counter()
        nearby = locations_within(latitude=lat, longitude=lng, radius_km=radius_km)
        plain.append(time.perf_counter() - t0)
        found.append(len(nearby))

    supply_latency, complete = [], []
    for lat, lng in points:
        wanted = {rng.choice(skus): 1}
        t0 = time.perf_counter()
        supply = nearby_supply(latitude=lat, longitude=lng, wanted=wanted, radius_km=radius_km, limit=10)
        supply_latency.append(time.perf_counter() - t0)
        complete.append(sum(s.can_supply_all for s in supply))

    _code, lat0, lng0 = plan["cities"][0]
    plan_text = explain_bounding_box(lat0, lng0, radius_km)
    uses_index = "location_lat_lng" in plan_text
    result = {
        "queries": count, "radius_km": radius_km,
        "locations_within": latency_summary(plain),
        "nearby_supply": latency_summary(supply_latency),
        "stores_in_radius_mean": round(sum(found) / len(found), 1),
        "stores_in_radius_max": max(found),
        "supplying_of_10_mean": round(sum(complete) / len(complete), 1),
        "explain_uses_location_lat_lng": uses_index,
        "explain": plan_text,
    }
    log(f"  locations_within: p50 {result['locations_within']['p50_ms']} ms  p99 {result['locations_within']['p99_ms']}"
        f" ms ({result['stores_in_radius_mean']} stores in {radius_km:g} km on average, max "
        f"{result['stores_in_radius_max']})")
    log(f"  nearby_supply:    p50 {result['nearby_supply']['p50_ms']} ms  p99 {result['nearby_supply']['p99_ms']} ms "
        f"({result['supplying_of_10_mean']} of the 10 nearest can supply)")
    log(f"  EXPLAIN ANALYZE of the bounding-box query at {plan['cities'][0][0]} centre "
        f"(index location_lat_lng used: {uses_index}):")
    for line in plan_text.splitlines():
        log(f"    {line}")
    return result
