"""Staff support between stores through the API: ask, lend, accept, confirm the hours (docs/staffing.md)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from o2o.staff.models import Role
from o2o.staffing.models import Loan, SupportRequest
from o2o.staffing.selectors import active_loan, loan_hours
from o2o.staffing.tests.conftest import request_body
from o2o.testing.api import ApiClient, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _ask(client, location, **kwargs) -> dict:
    response = client.post("staffing/requests", request_body(location, **kwargs))
    assert response.status_code == 201, response.content
    return response.json()


def _lend(client, request_id: int, employee, **body):
    return client.post(f"staffing/requests/{request_id}/loans", {"employee_id": employee.pk, **body})


def _lent(client, request_id: int, employee) -> dict:
    response = _lend(client, request_id, employee)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_store_asks_a_nearby_store_lends_the_borrower_accepts_and_confirms_the_hours(
    asking, lending, borrower, lender, lent_clerk, clock
):
    # given: the borrowing store asks for one clerk for 8 hours
    asked = _ask(asking, borrower, headcount=1, hours=8)
    assert (asked["state"], asked["headcount"], asked["taken"], asked["location_id"]) == ("open", 1, 0, borrower.pk)

    # when: the nearby store lends its clerk, the borrower accepts
    loan = _lent(lending, asked["id"], lent_clerk)
    accepted = asking.post(f"staffing/loans/{loan['id']}/accept")

    # then: the loan covers the request's window and the request is filled
    assert loan["state"] == "offered"
    assert (loan["lending_location_id"], loan["borrowing_location_id"]) == (lender.pk, borrower.pk)
    assert (loan["employee_name"], loan["window_hours"]) == ("小张", "8.00")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "accepted"
    assert asking.get(f"staffing/requests/{asked['id']}").json()["state"] == "filled"
    during = parse_datetime(loan["starts_at"]) + timedelta(hours=1)
    assert active_loan(employee_id=lent_clerk.pk, location_id=borrower.pk, at=during).pk == loan["id"]
    assert active_loan(employee_id=lent_clerk.pk, location_id=lender.pk, at=during) is None
    assert active_loan(employee_id=lent_clerk.pk, location_id=borrower.pk, at=during - timedelta(hours=2)) is None

    # when: the window is over and the borrower confirms 7.5 hours
    clock(hours=11)
    confirmed = asking.post(f"staffing/loans/{loan['id']}/confirm-hours", {"hours": "7.50"})

    # then: the loan is done, the request closed, and the hours count on both sides
    assert confirmed.status_code == 200, confirmed.content
    assert (confirmed.json()["state"], confirmed.json()["hours_worked"]) == ("done", "7.50")
    assert SupportRequest.objects.get(pk=asked["id"]).state == "closed"
    hours = loan_hours(since=timezone.now() - timedelta(days=1), until=timezone.now())
    assert hours.lent_by_location == {lender.pk: Decimal("7.50")}
    assert hours.borrowed_by_location == {borrower.pk: Decimal("7.50")}
    assert hours.by_employee == {lent_clerk.pk: Decimal("7.50")}
    assert active_loan(employee_id=lent_clerk.pk, location_id=borrower.pk, at=during).pk == loan["id"]


def test_open_requests_are_listed_same_region_first_then_by_distance(lending, lender, borrower, far_store, region):
    # given: requests of a far store of another region, a nearby store, and a store across the city
    hq = as_staff(EmployeeFactory(role=Role.HQ, home_location=None))
    across = LocationFactory(name="浦东店", region=region, latitude=31.2397, longitude=121.4998)
    far = _ask(hq, far_store)
    near = _ask(hq, borrower)
    across_town = _ask(hq, across)
    own = _ask(hq, lender)  # the lender's own request is not shown to it

    # when
    response = lending.get("staffing/requests", near=lender.pk)

    # then: same region by distance, then the other region
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [row["request"]["id"] for row in rows] == [near["id"], across_town["id"], far["id"]]
    assert own["id"] not in [row["request"]["id"] for row in rows]
    assert [row["same_region"] for row in rows] == [True, True, False]
    assert rows[0]["distance_km"] == 5.3  # haversine: 3.9 km north-south, 3.5 km east-west
    assert rows[2]["distance_km"] > 100


def test_the_same_employee_is_not_lent_for_overlapping_windows(lending, lent_clerk, borrower, region):
    # given: two stores ask for clerks, the second window overlapping the first by an hour
    hq = as_staff(EmployeeFactory(role=Role.HQ, home_location=None))
    second_store = LocationFactory(name="静安店", region=region)
    first = _ask(hq, borrower, start_in_hours=2, hours=8)
    second = _ask(hq, second_store, start_in_hours=9, hours=4)
    later = _ask(hq, second_store, start_in_hours=10, hours=4)
    _lent(lending, first["id"], lent_clerk)

    # when: the same clerk is lent to the overlapping request
    refused = _lend(lending, second["id"], lent_clerk)

    # then: 409, no second loan, the seat still free; a part of the window after the first is fine
    assert refused.status_code == 409
    assert problem_code(refused) == "staff_already_lent"
    assert Loan.objects.filter(employee=lent_clerk).count() == 1
    assert SupportRequest.objects.get(pk=second["id"]).taken == 0
    assert _lent(lending, later["id"], lent_clerk)["state"] == "offered"


def test_a_request_takes_no_more_loans_than_its_headcount(asking, lending, borrower, lender):
    # given: a request for two clerks, both lent
    asked = _ask(asking, borrower, headcount=2)
    first, second, third = (EmployeeFactory(role=Role.CLERK, home_location=lender) for _ in range(3))
    _lent(lending, asked["id"], first)
    _lent(lending, asked["id"], second)

    # when: a third clerk is offered
    refused = _lend(lending, asked["id"], third)

    # then
    assert refused.status_code == 409
    assert problem_code(refused) == "headcount_filled"
    assert Loan.objects.filter(request_id=asked["id"]).count() == 2
    assert SupportRequest.objects.get(pk=asked["id"]).taken == 2


def test_a_cancelled_loan_gives_its_seat_back_and_reopens_a_filled_request(asking, lending, borrower, lender):
    asked = _ask(asking, borrower, headcount=1)
    clerk, other_clerk = (EmployeeFactory(role=Role.CLERK, home_location=lender) for _ in range(2))
    loan = _lent(lending, asked["id"], clerk)
    asking.post(f"staffing/loans/{loan['id']}/accept")

    # when: the lending store calls the accepted loan off
    cancelled = lending.post(f"staffing/loans/{loan['id']}/cancel")

    # then: the request is open again and another clerk can be lent
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["state"] == "cancelled"
    request = SupportRequest.objects.get(pk=asked["id"])
    assert (request.state, request.taken, request.accepted) == ("open", 0, 0)
    assert _lent(lending, asked["id"], other_clerk)["state"] == "offered"
    assert active_loan(employee_id=clerk.pk, location_id=borrower.pk, at=request.starts_at) is None


def test_hours_are_confirmed_only_after_the_window_and_within_its_length(asking, lending, borrower, lent_clerk, clock):
    asked = _ask(asking, borrower, hours=8)
    loan = _lent(lending, asked["id"], lent_clerk)
    asking.post(f"staffing/loans/{loan['id']}/accept")
    path = f"staffing/loans/{loan['id']}/confirm-hours"

    early = asking.post(path, {"hours": "4"})
    clock(hours=11)
    too_many = asking.post(path, {"hours": "8.01"})
    negative = asking.post(path, {"hours": "-1"})
    three_places = asking.post(path, {"hours": "7.505"})
    not_a_number = asking.post(path, {"hours": True})
    by_the_lender = lending.post(path, {"hours": "8"})

    assert (early.status_code, problem_code(early)) == (409, "illegal_transition")
    assert (too_many.status_code, problem_code(too_many)) == (422, "invalid")
    assert [r.status_code for r in (negative, three_places, not_a_number)] == [422, 422, 422]
    assert by_the_lender.status_code == 404  # the lender does not see the borrower's store
    stored = Loan.objects.get(pk=loan["id"])
    assert (stored.state, stored.hours_worked, stored.confirmed_by_id) == ("accepted", None, None)
    assert asking.post(path, {"hours": "8"}).json()["hours_worked"] == "8.00"


def test_illegal_transitions_are_409_and_change_nothing(asking, lending, borrower, lent_clerk, clock):
    asked = _ask(asking, borrower)
    loan = _lent(lending, asked["id"], lent_clerk)
    path = f"staffing/loans/{loan['id']}"

    confirm_offered = asking.post(f"{path}/confirm-hours", {"hours": "1"})
    asking.post(f"{path}/accept")
    accept_twice = asking.post(f"{path}/accept")
    clock(hours=11)
    asking.post(f"{path}/confirm-hours", {"hours": "8"})
    cancel_done = lending.post(f"{path}/cancel")
    confirm_again = asking.post(f"{path}/confirm-hours", {"hours": "2"})
    cancel_closed_request = asking.post(f"staffing/requests/{asked['id']}/cancel")

    for response in (confirm_offered, accept_twice, cancel_done, confirm_again, cancel_closed_request):
        assert (response.status_code, problem_code(response)) == (409, "illegal_transition")
    stored = Loan.objects.get(pk=loan["id"])
    assert (stored.state, stored.hours_worked) == ("done", Decimal("8.00"))
    request = SupportRequest.objects.get(pk=asked["id"])
    assert (request.state, request.taken, request.accepted, request.done) == ("closed", 1, 1, 1)


def test_cancelling_a_request_cancels_its_loans(asking, lending, borrower, lender):
    asked = _ask(asking, borrower, headcount=2)
    clerks = [EmployeeFactory(role=Role.CLERK, home_location=lender) for _ in range(2)]
    loans = [_lent(lending, asked["id"], clerk) for clerk in clerks]
    asking.post(f"staffing/loans/{loans[0]['id']}/accept")

    cancelled = asking.post(f"staffing/requests/{asked['id']}/cancel")

    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["state"] == "cancelled"
    assert set(Loan.objects.filter(request_id=asked["id"]).values_list("state", flat=True)) == {"cancelled"}
    again = _lend(lending, asked["id"], EmployeeFactory(role=Role.CLERK, home_location=lender))
    assert (again.status_code, problem_code(again)) == (409, "illegal_transition")


def test_a_manager_lends_only_their_own_stores_employees_and_asks_only_for_their_own_store(
    asking, lending, borrower, lender, far_store, lent_clerk
):
    asked = _ask(asking, borrower)
    far_clerk = EmployeeFactory(role=Role.CLERK, home_location=far_store)
    clerk = as_staff(lent_clerk)

    someone_elses = _lend(lending, asked["id"], far_clerk)
    for_another_store = lending.post("staffing/requests", request_body(far_store))
    for_the_borrower = lending.post("staffing/requests", request_body(borrower))
    a_clerk_asks = clerk.post("staffing/requests", request_body(lender))
    a_clerk_lends_themself = _lend(clerk, asked["id"], lent_clerk)
    a_member = ApiClient(member=MemberFactory()).post("staffing/requests", request_body(borrower))
    anonymous = ApiClient().post("staffing/requests", request_body(borrower))
    accept_by_stranger = lending.post(f"staffing/loans/{_lent(lending, asked['id'], lent_clerk)['id']}/accept")

    assert someone_elses.status_code == 404
    assert for_another_store.status_code == 404
    assert for_the_borrower.status_code == 404
    assert (a_clerk_asks.status_code, problem_code(a_clerk_asks)) == (403, "forbidden")
    assert a_clerk_lends_themself.status_code == 403
    assert a_member.status_code == 403
    assert anonymous.status_code == 401
    assert accept_by_stranger.status_code == 404
    assert SupportRequest.objects.count() == 1
    assert Loan.objects.filter(state="offered").count() == 1


def test_a_regional_supervisor_asks_and_lends_within_the_region(region, borrower, lender, far_store, lent_clerk):
    supervisor = as_staff(EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=region))

    asked = supervisor.post("staffing/requests", request_body(borrower))
    lent = _lend(supervisor, asked.json()["id"], lent_clerk)
    outside = supervisor.post("staffing/requests", request_body(far_store))

    assert (asked.status_code, lent.status_code, outside.status_code) == (201, 201, 404)


def test_only_an_active_employee_of_the_role_asked_from_another_store_is_lent(asking, lending, borrower, lender):
    asked = _ask(asking, borrower, role=Role.TECHNICIAN)
    clerk = EmployeeFactory(role=Role.CLERK, home_location=lender)
    gone = EmployeeFactory(role=Role.TECHNICIAN, home_location=lender, is_active=False)
    own = EmployeeFactory(role=Role.TECHNICIAN, home_location=borrower)
    outside_window = {"starts_at": (timezone.now() - timedelta(hours=1)).isoformat()}

    wrong_role = _lend(lending, asked["id"], clerk)
    inactive = _lend(lending, asked["id"], gone)
    to_itself = _lend(asking, asked["id"], own)
    too_early = _lend(lending, asked["id"], EmployeeFactory(role=Role.TECHNICIAN, home_location=lender),
                      **outside_window)  # fmt: skip

    for response in (wrong_role, inactive, to_itself, too_early):
        assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert Loan.objects.count() == 0
    assert SupportRequest.objects.get(pk=asked["id"]).taken == 0


@pytest.mark.parametrize(
    "change",
    [
        {"headcount": 0},
        {"headcount": 21},
        {"headcount": "2"},
        {"headcount": True},
        {"role": "hq"},
        {"role": "chef"},
        {"location_id": 0},
        {"location_id": "x"},
        {"starts_at": "not a time"},
        {"ends_at": "2020-01-01T00:00:00+08:00"},
        {"note": "长" * 501},
    ],
)
def test_bad_requests_are_4xx_and_write_nothing(asking, borrower, change):
    response = asking.post("staffing/requests", {**request_body(borrower), **change})

    assert response.status_code in (400, 422), response.content
    assert response["Content-Type"] == "application/problem+json"
    assert SupportRequest.objects.count() == 0


def test_a_window_ending_before_it_starts_or_naive_or_too_long_is_refused(asking, borrower):
    body = request_body(borrower)
    backwards = {**body, "starts_at": body["ends_at"], "ends_at": body["starts_at"]}
    naive = {**body, "starts_at": "2030-01-01T09:00:00", "ends_at": "2030-01-01T18:00:00"}
    too_long = request_body(borrower, hours=24 * 8)
    too_short = request_body(borrower, hours=0.25)

    for bad in (backwards, naive, too_long, too_short):
        response = asking.post("staffing/requests", bad)
        assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert SupportRequest.objects.count() == 0


def test_a_retried_request_with_the_same_key_asks_once(asking, borrower):
    body = request_body(borrower)
    key = {"Idempotency-Key": "ask-1"}

    first = asking.post("staffing/requests", body, headers=key)
    retry = asking.post("staffing/requests", body, headers=key)
    other = asking.post("staffing/requests", {**body, "headcount": 3}, headers=key)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert (other.status_code, problem_code(other)) == (409, "idempotency_conflict")
    assert SupportRequest.objects.count() == 1


def test_an_employee_sees_their_own_loans_only(asking, lending, borrower, lender, lent_clerk):
    asked = _ask(asking, borrower, headcount=2)
    colleague = EmployeeFactory(role=Role.CLERK, home_location=lender)
    mine = _lent(lending, asked["id"], lent_clerk)
    _lent(lending, asked["id"], colleague)

    response = as_staff(lent_clerk).get("staffing/loans/mine")
    by_member = ApiClient(member=MemberFactory()).get("staffing/loans/mine")

    assert response.status_code == 200
    assert [(loan["id"], loan["borrowing_location_name"]) for loan in response.json()] == [(mine["id"], "人民广场店")]
    assert by_member.status_code == 403


def test_missing_or_unseen_ids_are_404(asking, lending, borrower, far_store):
    outsider = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=far_store))
    asked = _ask(asking, borrower)

    assert asking.post("staffing/loans/999999/accept").status_code == 404
    assert asking.get("staffing/requests/999999").status_code == 404
    assert outsider.get(f"staffing/requests/{asked['id']}").status_code == 404
    assert outsider.post(f"staffing/requests/{asked['id']}/cancel").status_code == 404
    assert lending.get("staffing/requests", near=far_store.pk).status_code == 404
    assert SupportRequest.objects.get(pk=asked["id"]).state == "open"


def test_active_loan_is_one_query(asking, lending, borrower, lent_clerk, django_assert_num_queries):
    loan = _lent(lending, _ask(asking, borrower)["id"], lent_clerk)
    asking.post(f"staffing/loans/{loan['id']}/accept")
    during = parse_datetime(loan["starts_at"]) + timedelta(minutes=1)

    with django_assert_num_queries(1):
        found = active_loan(employee_id=lent_clerk.pk, location_id=borrower.pk, at=during)

    assert found.pk == loan["id"]


def test_an_offered_loan_is_not_yet_a_support_sale_nor_are_hours_of_other_stores_counted(
    asking, lending, borrower, lender, far_store, lent_clerk, clock
):
    offered = _lent(lending, _ask(asking, borrower)["id"], lent_clerk)
    during = parse_datetime(offered["starts_at"]) + timedelta(minutes=1)

    assert active_loan(employee_id=lent_clerk.pk, location_id=borrower.pk, at=during) is None
    asking.post(f"staffing/loans/{offered['id']}/accept")
    clock(hours=11)
    asking.post(f"staffing/loans/{offered['id']}/confirm-hours", {"hours": "6"})
    since, until = timezone.now() - timedelta(days=1), timezone.now()
    assert loan_hours(since=since, until=until, location_ids=frozenset({far_store.pk})).by_employee == {}
    assert loan_hours(since=since, until=until, location_ids=frozenset({lender.pk})).lent_by_location == {
        lender.pk: Decimal("6.00")
    }
