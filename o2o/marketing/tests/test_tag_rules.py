"""Tags by rules: a TagRule keeps a member tag on exactly the members of its segment, refreshed in
bulk (a fixed number of statements whatever the number of members); the "oil change due" rule
kind (category_not_bought_within); the tag-rule API (marketers and HQ only)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.marketing import rules as segment_rules
from o2o.marketing.models import Segment, TagRule
from o2o.marketing.tag_rules import create_tag_rule, refresh_tag_rules
from o2o.members.models import MemberTag, TagSource
from o2o.orders.models import Order
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, problem_code
from o2o.testing.factories import CategoryFactory, EmployeeFactory, MemberFactory, ProductFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer():
    return EmployeeFactory(role=Role.MARKETER, home_location=None)


@pytest.fixture
def api(marketer):
    return ApiClient(user=marketer.user)


def _bought(member, store, *, days_ago: int, price: str = "10.00", category=None) -> Order:
    product = ProductFactory(category=category) if category else ProductFactory()
    sku = SKUFactory(product=product, price=Decimal(price))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    order = paid_pickup_order(member=member, store=store, sku=sku)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=days_ago))
    return order


def _tagged(tag: str) -> set[int]:
    return set(MemberTag.objects.filter(tag=tag).values_list("member_id", flat=True))


def _segment(rules) -> Segment:
    return Segment.objects.create(name="s", rules=segment_rules.validate(rules))


def test_oil_change_due_is_bought_the_category_once_and_not_since(store):
    oil = CategoryFactory(name="机油")
    synthetic = CategoryFactory(name="全合成机油", parent=oil)
    due, recent, never, other_category = MemberFactory(), MemberFactory(), MemberFactory(), MemberFactory()
    _bought(due, store, days_ago=200, category=synthetic)  # a child category counts
    _bought(recent, store, days_ago=200, category=oil)
    _bought(recent, store, days_ago=30, category=oil)
    _bought(other_category, store, days_ago=200)
    rules = segment_rules.validate([{"kind": "category_not_bought_within", "category_id": oil.pk, "days": 180}])

    matching = set(segment_rules.members_matching(rules).values_list("pk", flat=True))

    assert matching == {due.pk}
    assert never.pk not in matching


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "category_not_bought_within", "days": 180},
        {"kind": "category_not_bought_within", "category_id": 3},
        {"kind": "category_not_bought_within", "category_id": "3", "days": 180},
        {"kind": "category_not_bought_within", "category_id": 3, "days": 0},
        {"kind": "category_not_bought_within", "category_id": 3, "days": True},
    ],
)
def test_a_bad_oil_change_rule_is_a_422_and_saves_nothing(api, rule):
    response = api.post("marketing/segments", {"name": "due", "rules": [rule]})

    assert response.status_code == 422
    assert problem_code(response) == "invalid"
    assert Segment.objects.count() == 0


def test_a_rule_tags_the_segment_and_a_second_refresh_changes_nothing(store):
    big, small, both = MemberFactory(), MemberFactory(), MemberFactory()
    _bought(big, store, days_ago=10, price="600.00")
    _bought(small, store, days_ago=10, price="20.00")
    _bought(both, store, days_ago=5, price="700.00")
    segment = _segment([{"kind": "spend_at_least", "amount": "500.00", "days": 90}])
    rule, first = create_tag_rule(actor=SYSTEM, tag="high value", segment_id=segment.pk)
    before = list(MemberTag.objects.order_by("pk").values_list("pk", "member_id", "tag", "source", "rule_id"))

    again = refresh_tag_rules()

    assert (first.added, first.removed) == (2, 0)
    assert [(r.added, r.removed) for r in again] == [(0, 0)]
    assert list(MemberTag.objects.order_by("pk").values_list("pk", "member_id", "tag", "source", "rule_id")) == before
    assert _tagged("high value") == {big.pk, both.pk}
    assert set(MemberTag.objects.values_list("source", flat=True)) == {TagSource.RULE}


def test_a_member_who_leaves_the_segment_loses_the_tag_and_a_new_one_gets_it(store):
    leaver, joiner = MemberFactory(), MemberFactory()
    order = _bought(leaver, store, days_ago=10, price="600.00")
    segment = _segment([{"kind": "spend_at_least", "amount": "500.00", "days": 90}])
    create_tag_rule(actor=SYSTEM, tag="high value", segment_id=segment.pk)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=120))  # out of the window
    _bought(joiner, store, days_ago=1, price="520.00")

    done = refresh_tag_rules()

    assert [(r.added, r.removed) for r in done] == [(1, 1)]
    assert _tagged("high value") == {joiner.pk}


def test_a_refresh_is_a_fixed_number_of_statements_however_many_members(store):
    segment = _segment([{"kind": "registered_within", "days": 30}])
    MemberFactory.create_batch(3)
    create_tag_rule(actor=SYSTEM, tag="new", segment_id=segment.pk)
    MemberFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        refresh_tag_rules()
    MemberFactory.create_batch(40)
    MemberTag.objects.filter(tag="new").delete()

    with CaptureQueriesContext(connection) as many:
        done = refresh_tag_rules()

    assert done[0].added == 45
    assert len(many) == len(few)
    assert MemberTag.objects.filter(tag="new").count() == 45


def test_a_hand_tag_of_the_same_name_stays_a_hand_tag(store, clerk):
    member = MemberFactory()
    MemberTag.objects.create(member=member, tag="VIP", source=TagSource.MANUAL, added_by=clerk.user)
    segment = _segment([])  # everyone

    rule, done = create_tag_rule(actor=SYSTEM, tag="VIP", segment_id=segment.pk)
    refresh_tag_rules()

    row = MemberTag.objects.get(member=member, tag="VIP")
    assert (row.source, row.rule_id, row.added_by_id) == (TagSource.MANUAL, None, clerk.user.pk)
    assert done.added == 0


def test_anonymised_members_are_never_tagged(store):
    gone = MemberFactory(anonymised_at=timezone.now())
    here = MemberFactory()

    create_tag_rule(actor=SYSTEM, tag="everyone", segment_id=_segment([]).pk)

    assert _tagged("everyone") == {here.pk}
    assert gone.pk


def test_switching_a_rule_off_takes_its_tags_off_and_on_puts_them_back(api):
    members = MemberFactory.create_batch(3)
    segment = _segment([])
    created = api.post("customers/tag-rules", {"tag": "所有人", "segment_id": segment.pk})
    rule_id = created.json()["rule"]["id"]

    off = api.post(f"customers/tag-rules/{rule_id}/active", {"active": False})
    after_off = _tagged("所有人")
    on = api.post(f"customers/tag-rules/{rule_id}/active", {"active": True})

    assert created.status_code == 201, created.content
    assert created.json()["added"] == 3
    assert off.status_code == 200
    assert (off.json()["removed"], off.json()["rule"]["active"], off.json()["rule"]["members"]) == (3, False, 0)
    assert after_off == set()
    assert on.json()["added"] == 3
    assert _tagged("所有人") == {m.pk for m in members}
    assert refresh_tag_rules()[0].added == 0


def test_a_switched_off_rule_is_left_alone_by_the_job():
    MemberFactory()
    rule, _done = create_tag_rule(actor=SYSTEM, tag="x", segment_id=_segment([]).pk)
    TagRule.objects.filter(pk=rule.pk).update(active=False)

    done = refresh_tag_rules()

    assert [(r.added, r.removed) for r in done] == [(0, 1)]
    assert refresh_tag_rules() == []


def test_the_tag_rule_api_refuses_bad_input_and_a_second_rule_for_a_tag(api):
    segment = _segment([])
    api.post("customers/tag-rules", {"tag": "vip", "segment_id": segment.pk})

    blank = api.post("customers/tag-rules", {"tag": "   ", "segment_id": segment.pk})
    long = api.post("customers/tag-rules", {"tag": "x" * 200, "segment_id": segment.pk})
    no_segment = api.post("customers/tag-rules", {"tag": "y", "segment_id": 999999})
    junk_segment = api.post("customers/tag-rules", {"tag": "y", "segment_id": 2**64})
    twice = api.post("customers/tag-rules", {"tag": " vip ", "segment_id": segment.pk})
    missing_rule = api.post("customers/tag-rules/999999/active", {"active": False})

    assert [blank.status_code, long.status_code, junk_segment.status_code] == [422, 422, 422]
    assert no_segment.status_code == 404
    assert (twice.status_code, problem_code(twice)) == (409, "conflict")
    assert missing_rule.status_code == 404
    assert list(TagRule.objects.values_list("tag", flat=True)) == ["vip"]


@pytest.mark.parametrize("role", [Role.CS_AGENT, Role.CLERK, Role.STORE_MANAGER, Role.ONLINE_OPERATOR])
def test_only_marketers_and_hq_manage_tag_rules(role, store):
    segment = _segment([])
    caller = ApiClient(user=EmployeeFactory(role=role, home_location=store).user)

    response = caller.post("customers/tag-rules", {"tag": "vip", "segment_id": segment.pk})
    listed = caller.get("customers/tag-rules")

    assert (response.status_code, listed.status_code) == (403, 403)
    assert TagRule.objects.count() == 0


def test_a_member_or_anonymous_caller_cannot_touch_tag_rules(member):
    segment = _segment([])

    as_member = ApiClient(member=member).post("customers/tag-rules", {"tag": "vip", "segment_id": segment.pk})
    anonymous = ApiClient().post("customers/tag-rules", {"tag": "vip", "segment_id": segment.pk})

    assert (as_member.status_code, anonymous.status_code) == (403, 401)
    assert TagRule.objects.count() == 0


def test_hq_sees_the_rules_with_their_member_counts(store):
    hq = ApiClient(user=EmployeeFactory(role=Role.HQ, home_location=None).user)
    MemberFactory.create_batch(2)
    create_tag_rule(actor=actor_for_user(EmployeeFactory(role=Role.HQ, home_location=None).user), tag="a",
                    segment_id=_segment([]).pk)  # fmt: skip

    response = hq.get("customers/tag-rules")

    assert response.status_code == 200
    assert [(r["tag"], r["members"], r["active"]) for r in response.json()] == [("a", 2, True)]
