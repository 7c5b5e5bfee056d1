"""Templates, the claim centre, claims, grants (single, bulk, remedy, registration) through the API
and the published services; quota, per-member limit, idempotency, control group, bad input."""

from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.core.errors import DomainError
from o2o.coupons import services
from o2o.coupons.models import Coupon, CouponTemplate
from o2o.coupons.tests.conftest import window
from o2o.members.services import register_member
from o2o.pricing.models import Campaign, in_control_group
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def marketer():
    return as_staff(EmployeeFactory(role=Role.MARKETER, home_location=None))


def test_a_marketer_creates_a_template_and_sees_its_counts(marketer, member, template):
    sku = SKUFactory()
    response = marketer.post(
        "coupon-templates",
        {
            "name": "满100减20",
            "kind": "threshold",
            "amount": "20.00",
            "min_spend": "100.00",
            "valid_days": 7,
            "quota": 50,
            "sku_ids": [sku.pk],
            "claimable": True,
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["kind"], created["amount"], created["min_spend"], created["sku_ids"]) == (
        "threshold",
        "20.00",
        "100.00",
        [sku.pk],
    )
    as_member(member).post("coupons/claim", {"template_id": created["id"]})

    listed = {t["id"]: t for t in marketer.get("coupon-templates").json()}

    assert (listed[created["id"]]["issued_count"], listed[created["id"]]["used_count"]) == (1, 0)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "amount_off", "valid_days": 7},  # no amount
        {"kind": "amount_off", "amount": "5.001", "valid_days": 7},
        {"kind": "amount_off", "amount": "-5", "valid_days": 7},
        {"kind": "percent_off", "percent": 100, "valid_days": 7},
        {"kind": "percent_off", "percent": 10, "amount": "5.00", "valid_days": 7},
        {"kind": "amount_off", "amount": "5.00", "cap": "1.00", "valid_days": 7},
        {"kind": "threshold", "amount": "20.00", "min_spend": "10.00", "valid_days": 7},
        {"kind": "threshold", "amount": "20.00", "valid_days": 7},
        {"kind": "free_item", "valid_days": 7},
        {"kind": "free_item", "free_sku_id": 999999, "valid_days": 7},
        {"kind": "amount_off", "amount": "5.00"},  # no validity
        {"kind": "amount_off", "amount": "5.00", "valid_days": 7, "valid_from": "2026-01-01T00:00:00+08:00",
         "valid_until": "2026-02-01T00:00:00+08:00"},  # fmt: skip
        {"kind": "amount_off", "amount": "5.00", "valid_from": "2026-02-01T00:00:00+08:00",
         "valid_until": "2026-01-01T00:00:00+08:00"},  # fmt: skip
        {"kind": "amount_off", "amount": "5.00", "valid_from": "2026-01-01T00:00:00",
         "valid_until": "2026-02-01T00:00:00"},  # fmt: skip
        {"kind": "amount_off", "amount": "5.00", "valid_days": 7, "location_ids": [999999]},
        {"kind": "amount_off", "amount": "5.00", "valid_days": 7, "quota": 0},
        {"kind": "amount_off", "amount": "5.00", "valid_days": 7, "campaign_id": 999999},
        {"kind": "bogus", "amount": "5.00", "valid_days": 7},
        {"kind": "amount_off", "amount": "5.00", "valid_days": 7, "claimable": "yes"},
    ],
)
def test_bad_templates_are_4xx_problems_and_nothing_is_written(marketer, body):
    response = marketer.post("coupon-templates", {"name": "bad", **body})

    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert CouponTemplate.objects.count() == 0


def test_the_claim_centre_shows_public_templates_without_counts_to_anyone(template):
    shown = template(name="shown", claimable=True, quota=5)
    template(name="not claimable")
    template(name="off", claimable=True, is_active=False)

    response = ApiClient().get("coupons/claimable")

    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [shown.pk]
    assert "issued_count" not in response.json()[0] and "quota" not in response.json()[0]


def test_a_claim_retried_with_the_same_key_gives_one_coupon(member, template):
    tpl = template(claimable=True, per_member_limit=3)
    client = as_member(member)

    first = client.post("coupons/claim", {"template_id": tpl.pk}, headers={"Idempotency-Key": "claim-1"})
    again = client.post("coupons/claim", {"template_id": tpl.pk}, headers={"Idempotency-Key": "claim-1"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Coupon.objects.count() == 1
    tpl.refresh_from_db()
    assert tpl.issued_count == 1


def test_the_per_member_limit_and_the_quota_refuse_with_409_and_write_nothing(member, template):
    tpl = template(claimable=True, quota=2)
    client = as_member(member)
    assert client.post("coupons/claim", {"template_id": tpl.pk}).status_code == 201

    over_limit = client.post("coupons/claim", {"template_id": tpl.pk})
    assert (over_limit.status_code, problem_code(over_limit)) == (409, "coupon_limit_reached")
    assert as_member(MemberFactory()).post("coupons/claim", {"template_id": tpl.pk}).status_code == 201
    exhausted = as_member(MemberFactory()).post("coupons/claim", {"template_id": tpl.pk})

    assert (exhausted.status_code, problem_code(exhausted)) == (409, "coupon_quota_exhausted")
    tpl.refresh_from_db()
    assert (tpl.issued_count, Coupon.objects.count()) == (2, 2)


@pytest.mark.parametrize("fields", [{"claimable": False}, {"claimable": True, "is_active": False}])
def test_a_template_not_in_the_claim_centre_cannot_be_claimed(member, template, fields):
    tpl = template(**fields)

    response = as_member(member).post("coupons/claim", {"template_id": tpl.pk})

    assert (response.status_code, problem_code(response)) == (404, "not_found")
    assert Coupon.objects.count() == 0


def test_a_member_held_out_by_the_campaign_is_offered_nothing(template):
    campaign = Campaign.objects.create(name="Test", starts_at=timezone.now(), control_percent=50)
    members = [MemberFactory() for _ in range(12)]
    held = next(m for m in members if in_control_group(campaign_id=campaign.pk, control_percent=50, member_id=m.pk))
    tpl = template(claimable=True, campaign_id=campaign.pk)

    assert as_member(held).get("coupons/claimable").json() == []
    assert as_member(held).post("coupons/claim", {"template_id": tpl.pk}).status_code == 404
    outcome = services.grant_coupons(template_id=tpl.pk, member_ids=[m.pk for m in members], source="grant",
                                     reference="push")  # fmt: skip
    held_out = [m for m in members if campaign.holds_out(m.pk)]
    assert (outcome.granted, outcome.held_out) == (len(members) - len(held_out), len(held_out))
    assert not Coupon.objects.filter(member__in=held_out).exists()


def test_an_expired_coupon_shows_as_expired_and_someone_elses_is_404(member, coupon_of):
    coupon = coupon_of(member)
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now())

    mine = as_member(member).get("me/coupons", state="expired").json()["results"]

    assert [(c["id"], c["state"]) for c in mine] == [(coupon.pk, "expired")]
    assert as_member(member).get("me/coupons", state="available").json()["results"] == []
    assert as_member(MemberFactory()).get(f"me/coupons/{coupon.pk}").status_code == 404
    assert as_member(MemberFactory()).get("me/coupons").json()["results"] == []


def test_usable_coupons_fit_the_channel_and_store(member, coupon_of, store, other_store):
    anywhere = coupon_of(member, reference="a")
    here = coupon_of(member, reference="b", location_ids=[store.pk])
    coupon_of(member, reference="c", channel_scope="in_store")

    usable = as_member(member).get("coupons/usable", channel="app", location_id=store.pk).json()
    elsewhere = as_member(member).get("coupons/usable", channel="app", location_id=other_store.pk).json()

    assert sorted(c["id"] for c in usable) == sorted([anywhere.pk, here.pk])
    assert [c["id"] for c in elsewhere] == [anywhere.pk]
    assert as_member(member).get("coupons/usable", channel="teleport").status_code == 422


def test_a_grant_is_idempotent_on_its_reference(member, template):
    tpl = template(per_member_limit=5)

    first = services.grant_coupon(template_id=tpl.pk, member_id=member.pk, source="referral", reference="ref:9")
    again = services.grant_coupon(template_id=tpl.pk, member_id=member.pk, source="referral", reference="ref:9")

    assert first.pk == again.pk
    tpl.refresh_from_db()
    assert (tpl.issued_count, Coupon.objects.count()) == (1, 1)


def test_a_grant_of_an_inactive_template_is_not_found(member, template):
    tpl = template(is_active=False)

    with pytest.raises(DomainError) as refused:
        services.grant_coupon(template_id=tpl.pk, member_id=member.pk, source="grant", reference="x")

    assert refused.value.code == "not_found"
    assert Coupon.objects.count() == 0


def test_a_bulk_grant_never_goes_over_quota(marketer, template):
    tpl = template(quota=3)
    members = [MemberFactory() for _ in range(5)]

    response = marketer.post(
        f"coupon-templates/{tpl.pk}/grants",
        {"member_ids": [m.pk for m in members[:4]], "phones": [members[4].phone, "+8613900000000", "nonsense"],
         "reference": "segment:7"},
    )  # fmt: skip
    repeat = {"member_ids": [members[0].pk], "reference": "segment:7"}
    again = marketer.post(f"coupon-templates/{tpl.pk}/grants", repeat)

    assert response.status_code == 201, response.content
    assert response.json() == {"granted": 3, "already": 0, "refused": 4, "held_out": 0}
    assert again.json() == {"granted": 0, "already": 1, "refused": 0, "held_out": 0}
    tpl.refresh_from_db()
    assert (tpl.issued_count, Coupon.objects.count()) == (3, 3)


def test_customer_service_gives_a_remedy_once_per_reason(member, template):
    agent = as_staff(EmployeeFactory(role=Role.CS_AGENT, home_location=None))
    tpl = template()

    first = agent.post("coupons/remedies", {"template_id": tpl.pk, "member_id": member.pk, "reason": "ticket:55"})
    again = agent.post("coupons/remedies", {"template_id": tpl.pk, "member_id": member.pk, "reason": "ticket:55"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["source"], Coupon.objects.count()) == ("remedy", 1)


def test_a_clerk_cannot_give_remedies_or_create_templates(member, template, store):
    clerk = as_staff(EmployeeFactory(home_location=store))

    remedy = clerk.post("coupons/remedies", {"template_id": template().pk, "member_id": member.pk, "reason": "x"})
    created = clerk.post("coupon-templates", {"name": "x", "kind": "amount_off", "amount": "5.00", "valid_days": 7})

    assert (remedy.status_code, created.status_code) == (403, 403)
    assert Coupon.objects.count() == 0 and CouponTemplate.objects.count() == 1


def test_a_new_member_gets_the_registration_coupons(template):
    gift = template(on_registration=True, **window(-1, 30))
    template(name="not a gift")

    member, created = register_member(phone="13800138000", channel="app")
    _again, created_again = register_member(phone="13800138000", channel="app")

    assert (created, created_again) == (True, False)
    assert [(c.template_id, c.source) for c in Coupon.objects.filter(member=member)] == [(gift.pk, "registration")]


def test_switching_a_template_off_stops_claims(marketer, member, template):
    tpl = template(claimable=True)

    response = marketer.post(f"coupon-templates/{tpl.pk}/active", {"active": False})

    assert (response.status_code, response.json()["is_active"]) == (200, False)
    assert as_member(member).post("coupons/claim", {"template_id": tpl.pk}).status_code == 404
    assert marketer.post("coupon-templates/999999/active", {"active": True}).status_code == 404
