"""A member's coupon at a counter sale: listed after the member is found, applied to the basket,
redeemed by the sale; another member's or an online-only coupon is refused with a message."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.coupons.models import ChannelScope, Coupon, CouponKind, CouponTemplate
from o2o.coupons.services import grant_coupon
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderLineDiscount, OrderState
from o2o.pricing.models import Campaign
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def tea():
    return SKUFactory(name="Jasmine tea 500ml", barcode="6901234567892", price=Decimal("4.50"))


@pytest.fixture
def counter(clerk) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk.user)
    return client


def template(name="¥3 off", *, amount="3.00", scope=ChannelScope.BOTH, **fields) -> CouponTemplate:
    now = timezone.now()
    values = {
        "name": name,
        "kind": CouponKind.AMOUNT_OFF,
        "amount": Decimal(amount),
        "channel_scope": scope,
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
    } | fields
    return CouponTemplate.objects.create(**values)


def give(member, tmpl) -> Coupon:
    return grant_coupon(template_id=tmpl.pk, member_id=member.pk, source="grant", reference="test")


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def ring_up(counter: Client, tea, times: int, member=None) -> None:
    for _ in range(times):
        counter.post(reverse("web:counter-sale-scan"), {"barcode": tea.barcode}, **HTMX)
    if member is not None:
        found = counter.post(reverse("web:counter-customer"), {"phone": member.phone[3:], "back": "sale"}, **HTMX)
        assert found.status_code == 200


def sale_page(counter: Client):
    page = counter.get(reverse("web:counter-sale"))
    assert page.status_code == 200
    return page


def test_the_members_in_store_coupons_are_listed_applied_and_redeemed_by_the_sale(counter, store, tea, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    both = give(member, template("¥3 off"))
    in_store = give(member, template("Counter treat", amount="1.00", scope=ChannelScope.IN_STORE))
    give(member, template("Online only", scope=ChannelScope.ONLINE))
    give(MemberFactory(), template("Not theirs"))
    ring_up(counter, tea, 4, member)  # 18.00

    listed = [shown.coupon for shown in sale_page(counter).context["coupons"]]
    assert sorted(c.pk for c in listed) == sorted([both.pk, in_store.pk])

    applied = counter.post(reverse("web:counter-sale-coupon"), {"coupon_id": both.pk})
    assert applied.status_code == 302 and applied["Location"] == reverse("web:counter-sale")
    page = sale_page(counter)
    assert (page.context["basket"].total, page.context["basket"].coupon_off) == (Decimal("15.00"), Decimal("3.00"))
    assert "Coupon: ¥3 off" in page.content.decode() and "Take payment ¥15.00" in page.content.decode()
    assert Coupon.objects.get(pk=both.pk).state == "available"  # applying uses nothing yet

    paid = counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": page.context["token"]})

    order = Order.objects.get()
    assert paid.status_code == 302 and paid["Location"] == reverse("web:counter-receipt", args=[order.pk])
    assert (order.state, order.member, order.total) == (OrderState.PICKED_UP, member, Decimal("15.00"))
    discount = OrderLineDiscount.objects.get(line__order=order)
    assert (discount.source, discount.amount, discount.rule_ref) == ("coupon", Decimal("3.00"), f"coupon:{both.pk}")
    both.refresh_from_db()
    assert (both.state, both.order_id) == ("used", order.pk)
    assert Coupon.objects.get(pk=in_store.pk).state == "available"
    assert sale_page(counter).context["applied_coupon"] is None  # the counter is clear for the next customer


def test_finding_the_member_brings_their_coupons_into_the_page(counter, store, tea, member):
    give(member, template("¥3 off"))
    ring_up(counter, tea, 1)

    found = counter.post(reverse("web:counter-customer"), {"phone": member.phone[3:], "back": "sale"}, **HTMX)

    html = found.content.decode()
    assert 'id="coupons" class="card" aria-labelledby="coupons-title" hx-swap-oob="true"' in html
    assert "¥3 off" in html and "¥3.00 off" in html


def test_a_coupon_can_be_taken_off_again(counter, store, tea, member):
    coupon = give(member, template("¥3 off"))
    ring_up(counter, tea, 2, member)  # 9.00
    counter.post(reverse("web:counter-sale-coupon"), {"coupon_id": coupon.pk})
    assert sale_page(counter).context["basket"].total == Decimal("6.00")

    counter.post(reverse("web:counter-sale-coupon-remove"))

    page = sale_page(counter)
    assert (page.context["basket"].total, page.context["applied_coupon"]) == (Decimal("9.00"), None)


@pytest.mark.parametrize(
    ("whose", "message"),
    [
        ("another member's", "This coupon is not this member's. Only the member's own coupons can be used."),
        ("online only", "This coupon is for online orders only."),
        ("expired", "This coupon cannot be used: it is used, void, expired or not valid yet."),
        ("another store's", "This coupon cannot be used at this store."),
    ],
)
def test_a_coupon_that_cannot_be_used_here_is_refused_with_a_message(
    counter, store, other_store, tea, member, whose, message
):
    if whose == "another member's":
        coupon = give(MemberFactory(), template())
    elif whose == "online only":
        coupon = give(member, template(scope=ChannelScope.ONLINE))
    elif whose == "expired":
        coupon = give(member, template())
        Coupon.objects.filter(pk=coupon.pk).update(
            valid_from=timezone.now() - timedelta(days=9), valid_until=timezone.now() - timedelta(days=1)
        )
    else:
        elsewhere = template()
        elsewhere.locations.set([other_store])
        coupon = give(member, elsewhere)
    ring_up(counter, tea, 2, member)

    response = counter.post(reverse("web:counter-sale-coupon"), {"coupon_id": coupon.pk})

    assert response.status_code == 302
    assert flashes(response) == [message]
    page = sale_page(counter)
    assert (page.context["basket"].total, page.context["applied_coupon"]) == (Decimal("9.00"), None)
    assert Coupon.objects.get(pk=coupon.pk).state == "available"


@pytest.mark.parametrize("coupon_id", ["", "x", "0", "99999999999999999999"])
def test_bad_input_is_a_message_never_a_500(counter, store, tea, member, coupon_id):
    ring_up(counter, tea, 1, member)

    response = counter.post(reverse("web:counter-sale-coupon"), {"coupon_id": coupon_id})

    assert response.status_code == 302
    assert flashes(response) == ["Choose one of the member's coupons."]


def test_a_coupon_needs_the_member_found_first(counter, store, tea, member):
    coupon = give(member, template())
    ring_up(counter, tea, 1)

    response = counter.post(reverse("web:counter-sale-coupon"), {"coupon_id": coupon.pk})

    assert flashes(response) == ["Find the member first: a coupon is used by the member it was given to."]
    assert sale_page(counter).context["applied_coupon"] is None


def test_changing_the_member_takes_the_coupon_off(counter, store, tea, member):
    coupon = give(member, template())
    ring_up(counter, tea, 2, member)
    counter.post(reverse("web:counter-sale-coupon"), {"coupon_id": coupon.pk})

    counter.post(reverse("web:counter-customer-forget"), {"back": "sale"}, **HTMX)
    other = MemberFactory()
    counter.post(reverse("web:counter-customer"), {"phone": other.phone[3:], "back": "sale"}, **HTMX)

    page = sale_page(counter)
    assert (page.context["basket"].total, page.context["applied_coupon"]) == (Decimal("9.00"), None)
    assert page.context["customer"].id == other.pk


def test_a_coupon_used_online_meanwhile_refuses_the_sale_and_nothing_is_sold(counter, store, tea, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    coupon = give(member, template())
    ring_up(counter, tea, 2, member)
    counter.post(reverse("web:counter-sale-coupon"), {"coupon_id": coupon.pk})
    token = sale_page(counter).context["token"]
    Coupon.objects.filter(pk=coupon.pk).update(state="used", order_id=999, used_at=timezone.now())  # used elsewhere

    response = counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": token})

    assert response.status_code == 422
    assert response.context["checkout_error"].startswith("The coupon cannot be used for this sale")
    assert Order.objects.count() == 0
    assert Coupon.objects.get(pk=coupon.pk).order_id == 999


def test_coupons_of_one_template_redeem_online_and_in_store_alike(counter, store, tea, member):
    """Journey 7's redemption: a template for both channels, one coupon used in the storefront and
    one at the counter, each discount line naming its coupon and the template's campaign."""
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    now = timezone.now()
    campaign = Campaign.objects.create(
        name="Spring", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=9)
    )
    both = template("Spring ¥3 off", campaign=campaign, per_member_limit=2)
    online = grant_coupon(template_id=both.pk, member_id=member.pk, source="grant", reference="spring:1")
    in_store = grant_coupon(template_id=both.pk, member_id=member.pk, source="grant", reference="spring:2")
    shop = Client()
    session = shop.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    shop.post("/shop/cart/add/", {"sku_id": tea.pk, "quantity": 2}, headers={"HX-Request": "true"})
    form = shop.get("/shop/checkout/", {"lat": "31.2310", "lng": "121.4740"}).context["form"]
    fields = {"token": form.initial["token"], "lat": form.initial["lat"], "lng": form.initial["lng"]}
    shop.post("/shop/checkout/", {**fields, "fulfilment": "pickup", "pickup_store": store.pk, "coupon": online.pk})
    ring_up(counter, tea, 2, member)
    counter.post(reverse("web:counter-sale-coupon"), {"coupon_id": in_store.pk})
    counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": sale_page(counter).context["token"]})

    orders = {o.channel: o for o in Order.objects.all()}
    assert (orders["h5"].total, orders["pos"].total) == (Decimal("6.00"), Decimal("6.00"))
    lines = OrderLineDiscount.objects.order_by("line__order__channel").values_list(
        "line__order__channel", "rule_ref", "campaign_id", "amount"
    )
    assert list(lines) == [
        ("h5", f"coupon:{online.pk}", campaign.pk, Decimal("3.00")),
        ("pos", f"coupon:{in_store.pk}", campaign.pk, Decimal("3.00")),
    ]
    assert set(Coupon.objects.values_list("state", "order_id")) == {
        ("used", orders["h5"].pk),
        ("used", orders["pos"].pk),
    }
