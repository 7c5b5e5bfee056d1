"""The member's coupon pages in the storefront: My coupons, the claim centre, the coupon at checkout."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.coupons.models import ChannelScope, Coupon, CouponKind, CouponState, CouponTemplate
from o2o.coupons.services import grant_coupon
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderLineDiscount
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db

NEAR_STORE = {"lat": "31.2310", "lng": "121.4740"}  # a few hundred metres from the `store` fixture


@pytest.fixture(autouse=True)
def _no_safety_buffer(settings):
    settings.O2O_ONLINE_SAFETY_BUFFER = 0


@pytest.fixture
def tea():
    return SKUFactory(name="Oolong tea 500ml", price=Decimal("6.50"))


def shop(member=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if member is not None:
        session = client.session
        session[MEMBER_SESSION_KEY] = member.pk
        session.save()
    return client


def template(name="¥5 off", *, kind=CouponKind.AMOUNT_OFF, amount="5.00", scope=ChannelScope.BOTH, **fields):
    now = timezone.now()
    values = {
        "name": name,
        "kind": kind,
        "amount": Decimal(amount) if amount is not None else None,
        "channel_scope": scope,
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
    } | fields
    return CouponTemplate.objects.create(**values)


def give(member, tmpl, reference="test") -> Coupon:
    return grant_coupon(template_id=tmpl.pk, member_id=member.pk, source="grant", reference=reference)


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def put_in_cart(client: Client, sku, quantity: int) -> None:
    response = client.post("/shop/cart/add/", {"sku_id": sku.pk, "quantity": quantity}, headers={"HX-Request": "true"})
    assert response.status_code == 200


def checkout_fields(client: Client, **fields) -> dict:
    page = client.get("/shop/checkout/", NEAR_STORE)
    assert page.status_code == 200
    form = page.context["form"]
    return {"token": form.initial["token"], "lat": form.initial["lat"], "lng": form.initial["lng"], **fields}


# --- My coupons -----------------------------------------------------------------------------------


def test_my_coupons_sorts_mine_into_available_used_and_expired(member):
    available = give(member, template("¥5 off"))
    used = give(member, template("Used one"))
    Coupon.objects.filter(pk=used.pk).update(state=CouponState.USED, order_id=1, used_at=timezone.now())
    expired = give(member, template("Old one"))
    Coupon.objects.filter(pk=expired.pk).update(
        valid_from=timezone.now() - timedelta(days=10), valid_until=timezone.now() - timedelta(days=1)
    )
    void = give(member, template("Returned one"))
    Coupon.objects.filter(pk=void.pk).update(state=CouponState.VOID)
    give(MemberFactory(), template("Someone else's"))
    client = shop(member)

    shown = {tab: client.get("/shop/coupons/", {"tab": tab}) for tab in ("available", "used", "expired")}

    assert all(r.status_code == 200 for r in shown.values())
    assert [s.coupon for s in shown["available"].context["coupons"]] == [available]
    assert [s.coupon for s in shown["used"].context["coupons"]] == [used]
    assert [s.coupon for s in shown["expired"].context["coupons"]] == [void, expired]  # newest first
    assert [s.status for s in shown["expired"].context["coupons"]] == ["Void", "Expired"]
    page = shown["available"].content.decode()
    assert "¥5 off" in page and "¥5.00 off" in page and "Someone else" not in page
    assert timezone.localtime(available.valid_until).strftime("%Y-%m-%d") in page  # the page shows local dates


def test_my_coupons_shows_each_kinds_terms(member, tea):
    give(member, template("Big spender", kind=CouponKind.THRESHOLD, amount="20.00", min_spend=Decimal("100.00")))
    give(member, template("Tenth off", kind=CouponKind.PERCENT_OFF, amount=None, percent=10, cap=Decimal("8.00")))
    give(member, template("Store only", scope=ChannelScope.IN_STORE, min_spend=Decimal("30.00")))
    give(member, template("Free tea", kind=CouponKind.FREE_ITEM, amount=None, free_sku=tea))

    page = shop(member).get("/shop/coupons/").content.decode()

    assert "Spend ¥100.00, save ¥20.00" in page
    assert "10% off (up to ¥8.00)" in page
    assert "¥5.00 off · on orders from ¥30.00 · in store only" in page
    assert "One Oolong tea 500ml free" in page


def test_coupon_pages_are_for_signed_in_members():
    for path in ("/shop/coupons/", "/shop/coupons/claim/"):
        response = shop().get(path)
        assert response.status_code == 302 and response["Location"] == f"/shop/signin/?next={path}"
    assert shop().post("/shop/coupons/claim/", {"template_id": 1, "token": "t"}).status_code == 302
    assert Coupon.objects.count() == 0


# --- claim centre ---------------------------------------------------------------------------------


def test_the_claim_centre_lists_claimable_templates_and_a_claim_issues_one_coupon(member):
    offered = template("Claim me", claimable=True, quota=10)
    template("Not offered")  # not claimable: not listed
    client = shop(member)

    page = client.get("/shop/coupons/claim/")
    assert page.status_code == 200
    assert [t for t, _terms in page.context["templates"]] == [offered]

    claimed = client.post("/shop/coupons/claim/", {"template_id": offered.pk, "token": "k1"}, follow=True)

    coupon = Coupon.objects.get()
    assert (coupon.member, coupon.template, coupon.state, coupon.source) == (member, offered, "available", "claim")
    assert "Coupon claimed: Claim me. Find it in My coupons." in claimed.content.decode()
    offered.refresh_from_db()
    assert offered.issued_count == 1
    # the same tap again (the same token) claims nothing more
    again = client.post("/shop/coupons/claim/", {"template_id": offered.pk, "token": "k1"})
    assert again.status_code == 302 and Coupon.objects.count() == 1


def test_a_second_claim_over_the_member_limit_is_a_message_not_a_coupon(member):
    offered = template("Once each", claimable=True, per_member_limit=1)
    client = shop(member)
    client.post("/shop/coupons/claim/", {"template_id": offered.pk, "token": "k1"}, follow=True)  # (its message read)

    response = client.post("/shop/coupons/claim/", {"template_id": offered.pk, "token": "k2"})

    assert response.status_code == 302 and response["Location"] == "/shop/coupons/claim/"
    assert flashes(response) == ["You already have as many of this coupon as one member may claim."]
    assert Coupon.objects.count() == 1


def test_a_sold_out_coupon_is_a_message(member):
    offered = template("Only one", claimable=True, quota=1)
    shop(MemberFactory()).post("/shop/coupons/claim/", {"template_id": offered.pk, "token": "k1"})

    response = shop(member).post("/shop/coupons/claim/", {"template_id": offered.pk, "token": "k2"})

    assert flashes(response) == ["Sorry, this coupon is all gone."]
    assert not Coupon.objects.filter(member=member).exists()
    offered.refresh_from_db()
    assert offered.issued_count == 1


@pytest.mark.parametrize("template_id", ["", "abc", "-1", "99999999999999999999", "NOT_CLAIMABLE"])
def test_a_bad_or_unclaimable_template_is_a_message_never_a_500(member, template_id):
    hidden = template("Granted only")  # not claimable
    posted = str(hidden.pk) if template_id == "NOT_CLAIMABLE" else template_id

    response = shop(member).post("/shop/coupons/claim/", {"template_id": posted, "token": "k"})

    assert response.status_code == 302
    assert len(flashes(response)) == 1
    assert Coupon.objects.count() == 0


# --- checkout -------------------------------------------------------------------------------------


def test_checkout_offers_usable_coupons_quotes_with_one_and_the_order_redeems_it(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    mine = give(member, template("¥5 off"))
    give(member, template("Counter only", scope=ChannelScope.IN_STORE))  # not usable online
    give(MemberFactory(), template("Not mine"))
    client = shop(member)
    put_in_cart(client, tea, 4)  # 26.00

    page = client.get("/shop/checkout/", NEAR_STORE)
    choices = page.context["form"].fields["coupon"].choices
    assert [value for value, _label in choices] == ["", str(mine.pk)]
    quote = client.get("/shop/checkout/", {**NEAR_STORE, "coupon": mine.pk})
    assert quote.context["total"] == Decimal("21.00") and quote.context["coupon_off"] == Decimal("5.00")
    assert "Coupon: ¥5 off" in quote.content.decode()
    assert Coupon.objects.get(pk=mine.pk).state == "available"  # a quote uses nothing

    placed = client.post(
        "/shop/checkout/", checkout_fields(client, fulfilment="pickup", pickup_store=store.pk, coupon=mine.pk)
    )

    order = Order.objects.get()
    assert placed.status_code == 302 and placed["Location"] == f"/shop/orders/{order.pk}/pay/"
    assert order.total == Decimal("21.00")
    discount = OrderLineDiscount.objects.get(line__order=order)
    assert (discount.source, discount.amount, discount.rule_ref) == ("coupon", Decimal("5.00"), f"coupon:{mine.pk}")
    mine.refresh_from_db()
    assert (mine.state, mine.order_id) == ("used", order.pk)


def test_checkout_without_a_coupon_keeps_it(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    mine = give(member, template("¥5 off"))
    client = shop(member)
    put_in_cart(client, tea, 2)

    client.post("/shop/checkout/", checkout_fields(client, fulfilment="pickup", pickup_store=store.pk, coupon=""))

    assert Order.objects.get().total == Decimal("13.00")
    assert Coupon.objects.get(pk=mine.pk).state == "available"


@pytest.mark.parametrize("whose", ["another member's", "in store only", "used", "garbage"])
def test_an_unusable_coupon_posted_by_hand_is_a_form_error_and_nothing_is_written(tea, store, member, whose):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    if whose == "another member's":
        coupon_id = str(give(MemberFactory(), template()).pk)
    elif whose == "in store only":
        coupon_id = str(give(member, template(scope=ChannelScope.IN_STORE)).pk)
    elif whose == "used":
        used = give(member, template())
        Coupon.objects.filter(pk=used.pk).update(state=CouponState.USED, order_id=1, used_at=timezone.now())
        coupon_id = str(used.pk)
    else:
        coupon_id = "1 OR 1=1"
    before = list(Coupon.objects.order_by("pk").values_list("pk", "state", "order_id"))
    client = shop(member)
    put_in_cart(client, tea, 2)

    response = client.post(
        "/shop/checkout/", checkout_fields(client, fulfilment="pickup", pickup_store=store.pk, coupon=coupon_id)
    )

    assert response.status_code == 422
    assert response.context["form"].errors["coupon"] == [
        "This coupon cannot be used for this order. Choose another or none."
    ]
    assert Order.objects.count() == 0
    assert list(Coupon.objects.order_by("pk").values_list("pk", "state", "order_id")) == before


def test_a_coupon_whose_minimum_is_not_met_is_not_offered_and_stays_available(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    big = give(member, template("Big spender", kind=CouponKind.THRESHOLD, amount="20.00", min_spend=Decimal("100.00")))
    client = shop(member)
    put_in_cart(client, tea, 2)  # 13.00: below the minimum

    quote = client.get("/shop/checkout/", {**NEAR_STORE, "coupon": big.pk})
    assert [value for value, _label in quote.context["form"].fields["coupon"].choices] == [""]
    assert quote.context["total"] == Decimal("13.00") and quote.context["coupon_off"] is None
    response = client.post(
        "/shop/checkout/", checkout_fields(client, fulfilment="pickup", pickup_store=store.pk, coupon=big.pk)
    )

    assert response.status_code == 422
    assert response.context["form"].errors["coupon"] == [
        "This coupon cannot be used for this order. Choose another or none."
    ]
    assert Order.objects.count() == 0
    assert Coupon.objects.get(pk=big.pk).state == "available"


def test_a_threshold_coupon_met_by_the_cart_comes_off_to_the_fen(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=20, actor=SYSTEM)
    big = give(member, template("Big spender", kind=CouponKind.THRESHOLD, amount="20.00", min_spend=Decimal("100.00")))
    client = shop(member)
    put_in_cart(client, tea, 16)  # 104.00

    client.post("/shop/checkout/", checkout_fields(client, fulfilment="pickup", pickup_store=store.pk, coupon=big.pk))

    order = Order.objects.get()
    assert order.total == Decimal("84.00")
    big.refresh_from_db()
    assert (big.state, big.order_id) == ("used", order.pk)


def test_cancelling_the_unpaid_order_puts_its_coupon_back_in_my_coupons(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    mine = give(member, template("¥5 off"))
    client = shop(member)
    put_in_cart(client, tea, 2)
    client.post("/shop/checkout/", checkout_fields(client, fulfilment="pickup", pickup_store=store.pk, coupon=mine.pk))
    order = Order.objects.get()
    assert [s.coupon for s in client.get("/shop/coupons/", {"tab": "used"}).context["coupons"]] == [mine]

    client.post(f"/shop/orders/{order.pk}/cancel/")

    mine.refresh_from_db()
    assert (mine.state, mine.order_id, mine.used_at) == ("available", None, None)
    assert [s.coupon for s in client.get("/shop/coupons/").context["coupons"]] == [mine]


def test_the_claim_centre_says_how_long_a_coupon_lasts_after_the_claim(member):
    template("Week pass", claimable=True, valid_from=None, valid_until=None, valid_days=7)

    page = shop(member).get("/shop/coupons/claim/").content.decode()

    assert "Week pass" in page and "Valid for 7 day(s) after you claim it" in page
