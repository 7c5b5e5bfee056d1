"""Who is credited for each order line: every touchpoint, a missing party, franchise, rounding."""

import pytest
from django.db import IntegrityError, transaction

from o2o.attribution.models import LineCredit, Party, Touchpoint
from o2o.attribution.services import SaleFacts, touchpoint_for
from o2o.attribution.tests.conftest import counter_sale, lend, online_order, rows
from o2o.testing.factories import EmployeeFactory, MemberFactory


@pytest.mark.parametrize(
    ("facts", "touchpoint"),
    [
        # a referrer wins over everything, even at the counter
        (SaleFacts(True, True, True, True, "in_store"), Touchpoint.SHARE_LINK_SALE),
        (SaleFacts(True, False, False, False, "delivery"), Touchpoint.SHARE_LINK_SALE),
        (SaleFacts(False, True, True, True, "in_store"), Touchpoint.SUPPORT_SALE),
        (SaleFacts(False, True, False, True, "pickup"), Touchpoint.ENDLESS_AISLE),
        (SaleFacts(False, True, False, True, "delivery"), Touchpoint.ENDLESS_AISLE),
        (SaleFacts(False, True, False, False, "in_store"), Touchpoint.STORE_SALE),
        (SaleFacts(False, False, False, False, "pickup"), Touchpoint.STORE_PICKUP),
        (SaleFacts(False, False, False, True, "delivery"), Touchpoint.ONLINE_ORDER),
    ],
)
def test_the_touchpoint_table(facts, touchpoint):
    assert touchpoint_for(facts) == touchpoint


@pytest.mark.django_db
def test_a_store_sale_credits_the_cashier_and_the_employee_who_acquired_the_member(store, clerk, tea):
    # given: a member another clerk signed up
    acquirer = EmployeeFactory(home_location=store)
    member = MemberFactory(acquiring_employee=acquirer, acquiring_location=store)

    # when: the clerk sells two units at the counter (net 19.98)
    order = counter_sale(clerk, tea, quantity=2, member=member)

    # then: 80 / 20
    assert {c.touchpoint for c in LineCredit.objects.filter(order=order)} == {Touchpoint.STORE_SALE}
    assert rows(order) == [
        ("cashier", "", clerk.pk, None, "80.00", "15.98"),
        ("acquiring_employee", "", acquirer.pk, None, "20.00", "4.00"),
    ]


@pytest.mark.django_db
def test_a_missing_party_s_share_goes_to_the_owner_and_says_whose_it_was(clerk, tea):
    # when: a walk-in customer (no member, so nobody acquired them) buys one unit
    order = counter_sale(clerk, tea)

    # then: the acquiring employee's 20 % goes to the cashier, the owner, marked as such
    assert rows(order) == [
        ("cashier", "", clerk.pk, None, "80.00", "7.99"),
        ("cashier", "acquiring_employee", clerk.pk, None, "20.00", "2.00"),
    ]


@pytest.mark.django_db
def test_endless_aisle_credits_the_cashier_and_the_store_that_fulfils(store, other_store, clerk, tea):
    order = counter_sale(clerk, tea, at=other_store, fulfilment="pickup")

    assert LineCredit.objects.filter(order=order).first().touchpoint == Touchpoint.ENDLESS_AISLE
    assert rows(order) == [
        ("cashier", "", clerk.pk, None, "70.00", "6.99"),
        ("fulfilling_store", "", None, other_store.pk, "30.00", "3.00"),
    ]


@pytest.mark.django_db
def test_a_share_link_sale_splits_three_ways_and_adds_up_to_the_net(store, other_store, tea):
    # given: the member was acquired by one employee and buys through another's share link
    seller = EmployeeFactory(home_location=store)
    acquirer = EmployeeFactory(home_location=other_store)
    member = MemberFactory(acquiring_employee=acquirer)

    # when: one unit (9.99) for pickup at the other store
    order = online_order(member, other_store, tea, referrer=seller)

    # then: 70 % of 9.99 is 6.993 -> 6.99; 20 % 1.998 -> 2.00; 10 % the rest, 1.00
    assert LineCredit.objects.filter(order=order).first().touchpoint == Touchpoint.SHARE_LINK_SALE
    assert rows(order) == [
        ("share_link_employee", "", seller.pk, None, "70.00", "6.99"),
        ("fulfilling_store", "", None, other_store.pk, "20.00", "2.00"),
        ("acquiring_employee", "", acquirer.pk, None, "10.00", "1.00"),
    ]


@pytest.mark.django_db
def test_a_pickup_order_credits_online_operations_and_the_pickup_store(store, tea):
    order = online_order(MemberFactory(), store, tea, quantity=3)

    assert LineCredit.objects.filter(order=order).first().touchpoint == Touchpoint.STORE_PICKUP
    assert rows(order) == [
        ("online_operations", "", None, None, "60.00", "17.98"),
        ("fulfilling_store", "", None, store.pk, "30.00", "8.99"),
        ("online_operations", "acquiring_employee", None, None, "10.00", "3.00"),
    ]


@pytest.mark.django_db
def test_a_delivery_order_credits_online_operations_and_the_acquirer(store, tea):
    acquirer = EmployeeFactory(home_location=store)
    order = online_order(MemberFactory(acquiring_employee=acquirer), store, tea, fulfilment="delivery", quantity=4)

    assert LineCredit.objects.filter(order=order).first().touchpoint == Touchpoint.ONLINE_ORDER
    # net 39.96 (the delivery fee is not a sale)
    assert rows(order) == [
        ("online_operations", "", None, None, "90.00", "35.96"),
        ("acquiring_employee", "", acquirer.pk, None, "10.00", "4.00"),
    ]


@pytest.mark.django_db
def test_a_lent_clerk_s_sale_is_a_support_sale_shared_with_the_lending_store(store, other_store, tea):
    # given: a clerk of the other store lent to this store for the afternoon
    lent = EmployeeFactory(home_location=other_store)
    lend(lent, to_store=store)

    # when: they sell at this store's counter (goods from this store)
    order = counter_sale(lent, tea, quantity=2, at=store)

    # then: cashier 70, the store that lent them 10, the store where they sold 20
    assert LineCredit.objects.filter(order=order).first().touchpoint == Touchpoint.SUPPORT_SALE
    assert rows(order) == [
        ("cashier", "", lent.pk, None, "70.00", "13.99"),
        ("lending_store", "", None, other_store.pk, "10.00", "1.99"),
        ("selling_store", "", None, store.pk, "20.00", "4.00"),
    ]


@pytest.mark.django_db
def test_without_a_loan_the_same_sale_is_endless_aisle(store, other_store, tea):
    clerk_elsewhere = EmployeeFactory(home_location=other_store)

    order = counter_sale(clerk_elsewhere, tea, at=store)

    assert LineCredit.objects.filter(order=order).first().touchpoint == Touchpoint.ENDLESS_AISLE


@pytest.mark.django_db
def test_every_line_s_shares_add_up_to_its_net_exactly(store, clerk, tea):
    member = MemberFactory(acquiring_employee=EmployeeFactory(home_location=store))
    orders = [counter_sale(clerk, tea, quantity=q, member=member) for q in (1, 2, 3, 7)]
    orders.append(online_order(member, store, tea, quantity=5))

    for order in orders:
        line = order.lines.get()
        credited = sum(c.amount for c in LineCredit.objects.filter(line=line).exclude(party=Party.FRANCHISE_STORE))
        assert credited == line.net_amount


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("party", "employee", "location", "valid"),
    [
        (Party.SELLING_STORE, False, True, True),
        (Party.SELLING_STORE, True, True, False),  # a store party that also names an employee
        (Party.CASHIER, False, True, False),  # an employee party credited to a store
        (Party.ONLINE_OPERATIONS, False, True, False),  # the pool is nobody's
    ],
)
def test_the_database_keeps_the_recipient_with_its_party(store, clerk, tea, party, employee, location, valid):
    order = counter_sale(clerk, tea)
    credit = LineCredit.objects.filter(order=order, party=Party.CASHIER, redirected_from="").get()
    credit.pk, credit.party, credit.redirected_from = None, party, Party.LENDING_STORE  # a fresh unique key
    credit.employee_id = clerk.pk if employee else None
    credit.location_id = store.pk if location else None

    if valid:
        credit.save()
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            credit.save()

    assert LineCredit.objects.filter(order=order).count() == (3 if valid else 2)
