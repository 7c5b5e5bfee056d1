"""The store manager's staff support page and the employee's "my loans" page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from o2o.staff.models import Role
from o2o.staffing.models import Loan, SupportRequest
from o2o.testing.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_manager_asks_a_nearby_manager_lends_and_the_hours_are_confirmed_on_the_page(
    borrower_manager, lender_manager, lent_clerk, clock
):
    asking, lending = _client(borrower_manager), _client(lender_manager)
    starts = timezone.now() + timedelta(hours=2)

    ask = {"role": "clerk", "headcount": "1", "starts_at": _local(starts),
           "ends_at": _local(starts + timedelta(hours=6)), "note": "周末"}  # fmt: skip
    asked = asking.post("/manager/support/", ask)
    request = SupportRequest.objects.get()
    page = lending.get("/manager/support/")
    lent = lending.post(f"/manager/support/requests/{request.pk}/lend/", {"employee": lent_clerk.pk})
    loan = Loan.objects.get()
    accepted = asking.post(f"/manager/support/loans/{loan.pk}/accept/")
    clock(hours=9)
    confirmed = asking.post(f"/manager/support/loans/{loan.pk}/hours/", {"hours": "5.5"})
    mine = _client(lent_clerk).get("/me/support/")

    assert asked.status_code == 302
    assert (request.requesting_location_id, request.headcount, request.note) == (
        borrower_manager.home_location_id, 1, "周末")  # fmt: skip
    assert page.status_code == 200
    assert "人民广场店" in page.content.decode() and "小张" in page.content.decode()
    assert (lent.status_code, accepted.status_code, confirmed.status_code) == (302, 302, 302)
    loan.refresh_from_db()
    assert (loan.state, str(loan.hours_worked)) == ("done", "5.50")
    assert mine.status_code == 200 and "人民广场店" in mine.content.decode()


def test_a_bad_ask_is_a_form_error_and_writes_nothing(borrower_manager):
    now = timezone.now()
    response = _client(borrower_manager).post(
        "/manager/support/",
        {"role": "clerk", "headcount": "0", "starts_at": _local(now + timedelta(hours=3)),
         "ends_at": _local(now + timedelta(hours=1))},  # fmt: skip
    )

    assert response.status_code == 422
    assert SupportRequest.objects.count() == 0


def test_a_clerk_cannot_open_the_manager_page_nor_lend(borrower, lent_clerk, lender_manager):
    starts = timezone.now() + timedelta(hours=2)
    request = SupportRequest.objects.create(requesting_location=borrower, role=Role.CLERK, headcount=1,
                                            starts_at=starts, ends_at=starts + timedelta(hours=4))  # fmt: skip
    clerk = _client(lent_clerk)

    assert clerk.get("/manager/support/").status_code == 403
    lend = f"/manager/support/requests/{request.pk}/lend/"
    assert clerk.post(lend, {"employee": lent_clerk.pk}).status_code == 403
    outsider = _client(EmployeeFactory(role=Role.STORE_MANAGER))
    assert outsider.post(lend, {"employee": lent_clerk.pk}).status_code == 404
    assert Loan.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in_and_a_user_who_is_not_staff_is_refused(borrower, lent_clerk):
    # given: an open request, an anonymous visitor and a signed-in user who is no employee
    starts = timezone.now() + timedelta(hours=2)
    request = SupportRequest.objects.create(requesting_location=borrower, role=Role.CLERK, headcount=1,
                                            starts_at=starts, ends_at=starts + timedelta(hours=4))  # fmt: skip
    lend = f"/manager/support/requests/{request.pk}/lend/"
    anonymous, outsider = Client(), Client()
    outsider.force_login(UserFactory())

    # when
    seen = [c.get(p) for c in (anonymous, outsider) for p in ("/manager/support/", "/me/support/")]
    lent = [c.post(lend, {"employee": lent_clerk.pk}) for c in (anonymous, outsider)]

    # then
    assert [r.status_code for r in seen + lent] == [302, 302, 403, 403, 302, 403]
    assert all("/accounts/login/" in r["Location"] for r in (seen[0], seen[1], lent[0]))
    assert Loan.objects.count() == 0
