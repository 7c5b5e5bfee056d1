"""The loyalty API as members, staff and strangers use it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.loyalty.models import CategoryPointsRule, PointsAccount, PointsEntry
from o2o.members.models import MemberLevel
from o2o.orders.services import complete_orders
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import CategoryFactory, MemberFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


def adjust(caller, member, points, key="k-1", reason="goodwill for a late delivery"):
    return caller.post(
        "loyalty/adjustments",
        {"member_id": member.pk, "points": points, "reason": reason},
        headers={"Idempotency-Key": key},
    )


def test_a_member_sees_own_points_level_and_what_the_next_level_needs(member, store, tea, clerk):
    silver = MemberLevel.objects.create(code="silver", name="银卡", rank=1, min_growth=0)
    MemberLevel.objects.create(code="gold", name="金卡", rank=2, min_growth=3000, points_multiplier=Decimal("2"))
    member.level = silver
    member.save(update_fields=["level"])
    done = paid_pickup_order(member=member, store=store, sku=tea, quantity=4)  # 50.00 -> 50 points
    as_staff(clerk).post("pickup/redeem", {"code": done.pickup_voucher.code})
    complete_orders(now=timezone.now() + timedelta(days=8))
    paid_pickup_order(member=member, store=store, sku=tea, quantity=1)  # 12.50 -> 12 pending

    body = as_member(member).get("loyalty/me").json()

    assert body["available"] == 50 and body["available_value"] == "0.50"
    assert body["pending"] == 12
    assert body["level"]["code"] == "silver"
    assert (body["growth"], body["next_level"]["code"], body["growth_needed"]) == (50, "gold", 2950)
    assert body["expiring_soon"] is None  # expires at the end of next year
    history = as_member(member).get("loyalty/me/history").json()["results"]
    assert [(e["kind"], e["points"], e["order_id"]) for e in history] == [("earn", 50, done.pk)]
    pending = as_member(member).get("loyalty/me/pending").json()["results"]
    assert [(p["points"], p["reversed_points"]) for p in pending] == [(12, 0)]


def test_a_member_cannot_read_another_members_points(member):
    stranger = MemberFactory()
    PointsAccount.objects.create(member=stranger, available=0)

    response = as_member(member).get(f"loyalty/members/{stranger.pk}")

    assert (response.status_code, problem_code(response)) == (403, "forbidden")
    assert as_member(member).get("loyalty/me").json()["member_id"] == member.pk


def test_strangers_get_401():
    assert ApiClient().get("loyalty/me").status_code == 401


def test_staff_have_no_points_of_their_own(clerk):
    response = as_staff(clerk).get("loyalty/me")
    assert (response.status_code, problem_code(response)) == (403, "forbidden")


def test_customer_service_adjusts_with_a_reason_once_per_idempotency_key(cs_agent, member):
    first = adjust(as_staff(cs_agent), member, 300)
    again = adjust(as_staff(cs_agent), member, 300)

    assert first.status_code == 200, first.content
    assert again.json()["id"] == first.json()["id"]
    assert PointsAccount.objects.get(member=member).available == 300
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.points, entry.note, entry.actor_id) == ("adjust", 300, "goodwill for a late delivery",
                                                                      cs_agent.user_id)  # fmt: skip
    status = as_staff(cs_agent).get(f"loyalty/members/{member.pk}").json()
    assert status["available"] == 300


def test_taking_more_than_available_is_refused(hq, member):
    adjust(as_staff(hq), member, 100)

    response = adjust(as_staff(hq), member, -101, key="k-2")

    assert (response.status_code, problem_code(response)) == (409, "insufficient_points")
    assert PointsAccount.objects.get(member=member).available == 100
    assert PointsEntry.objects.count() == 1


def test_a_clerk_may_not_adjust_points(clerk, member):
    response = adjust(as_staff(clerk), member, 100)
    assert (response.status_code, problem_code(response)) == (403, "forbidden")
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"points": "100", "reason": "x"},
        {"points": 1.5, "reason": "x"},
        {"points": True, "reason": "x"},
        {"points": 0, "reason": "x"},
        {"points": 10**12, "reason": "x"},
        {"points": 100, "reason": ""},
        {"points": 100},
    ],
)
def test_bad_adjustments_are_4xx_and_write_nothing(hq, member, body):
    response = as_staff(hq).post("loyalty/adjustments", {"member_id": member.pk, **body})
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert not PointsEntry.objects.exists() and not PointsAccount.objects.exists()


def test_an_adjustment_for_an_unknown_member_is_404(hq):
    response = as_staff(hq).post("loyalty/adjustments", {"member_id": 999999, "points": 5, "reason": "x"})
    assert (response.status_code, problem_code(response)) == (404, "not_found")


def test_hq_saves_a_level_and_bad_rules_are_refused(hq):
    level = {"code": "gold", "name": "金卡", "rank": 2, "min_growth": 3000, "discount_percent": "5.00",
             "points_multiplier": "1.50", "free_delivery": True}  # fmt: skip
    assert as_staff(hq).post("loyalty/levels", level).status_code == 200
    saved = MemberLevel.objects.get(code="gold")
    assert (saved.discount_percent, saved.points_multiplier, saved.free_delivery) == (
        Decimal("5.00"),
        Decimal("1.50"),
        True,
    )

    for bad in ({"discount_percent": "100"}, {"points_multiplier": "0.50"}, {"rank": -1}, {"code": "金"},
                {"discount_percent": "NaN"}, {"min_growth": "3000"}):  # fmt: skip
        response = as_staff(hq).post("loyalty/levels", {**level, "code": "other", **bad})
        assert response.status_code == 422, (bad, response.content)
    clash = as_staff(hq).post("loyalty/levels", {**level, "code": "other"})
    assert (clash.status_code, problem_code(clash)) == (409, "conflict")
    assert list(MemberLevel.objects.values_list("code", flat=True)) == ["gold"]


def test_hq_sets_and_removes_a_category_rule(hq):
    category = CategoryFactory()

    assert (
        as_staff(hq).post("loyalty/category-rules", {"category_id": category.pk, "multiplier": "2.5"}).status_code
        == 200
    )
    assert CategoryPointsRule.objects.get().multiplier == Decimal("2.50")
    assert (
        as_staff(hq).post("loyalty/category-rules", {"category_id": category.pk, "multiplier": None}).status_code == 200
    )
    assert not CategoryPointsRule.objects.exists()

    too_much = as_staff(hq).post("loyalty/category-rules", {"category_id": category.pk, "multiplier": "10.01"})
    unknown = as_staff(hq).post("loyalty/category-rules", {"category_id": 999999, "multiplier": "2"})
    assert (too_much.status_code, unknown.status_code) == (422, 404)
    assert not CategoryPointsRule.objects.exists()


def test_hq_sees_the_points_liability(hq, cs_agent, member, store, tea):
    adjust(as_staff(hq), member, 1234)
    paid_pickup_order(member=member, store=store, sku=tea, quantity=2)  # 25 pending

    body = as_staff(hq).get("loyalty/liability").json()

    assert body == {"accounts": 1, "available": 1234, "available_value": "12.34", "pending": 25,
                    "pending_value": "0.25", "expiring_this_year": 0}  # fmt: skip
    assert as_staff(cs_agent).get("loyalty/liability").status_code == 403
