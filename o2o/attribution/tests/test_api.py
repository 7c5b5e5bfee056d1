"""The attribution API: the matrix, publishing a version, an order's credits; who may, bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.attribution.defaults import DEFAULT_MATRIX
from o2o.attribution.models import LineCredit, MatrixVersion, TouchpointRule, TouchpointShare
from o2o.attribution.tests.conftest import counter_sale, online_order
from o2o.core.models import IdempotencyRecord
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, RegionFactory

pytestmark = pytest.mark.django_db


def _rules(**changes):
    """The default matrix as the API takes it, with some touchpoints' shares replaced."""
    rules = []
    for touchpoint, (lead, shares) in DEFAULT_MATRIX.items():
        shares = changes.get(touchpoint, shares)
        rules.append(
            {
                "touchpoint": touchpoint,
                "lead": lead,
                "shares": [{"party": p, "percent": pc, "is_owner": o} for p, pc, o in shares],
            }
        )
    return rules


def _body(days=0, **changes):
    return {"effective_from": (timezone.localdate() + timedelta(days=days)).isoformat(), "rules": _rules(**changes)}


def _nothing_written():
    return MatrixVersion.objects.count() == 1 and TouchpointRule.objects.count() == len(DEFAULT_MATRIX)


def test_staff_read_the_matrix_in_force_and_its_history(store):
    clerk = EmployeeFactory(home_location=store)

    response = as_staff(clerk).get("attribution/matrix")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["current"]["effective_from"] == "2000-01-01"
    assert [v["effective_from"] for v in body["versions"]] == ["2000-01-01"]
    store_sale = next(r for r in body["rules"] if r["touchpoint"] == "store_sale")
    assert store_sale == {
        "touchpoint": "store_sale",
        "lead": "offline",
        "shares": [
            {"party": "cashier", "percent": "80.00", "is_owner": True},
            {"party": "acquiring_employee", "percent": "20.00", "is_owner": False},
        ],
    }
    assert len(body["rules"]) == 10


def test_members_and_anonymous_callers_do_not_read_the_matrix(member):
    assert as_member(member).get("attribution/matrix").status_code == 403
    assert ApiClient().get("attribution/matrix").status_code == 401


def test_hq_publishes_a_version_and_a_retry_with_the_key_returns_it(hq):
    body = _body(days=3, store_sale=[("cashier", "75.5", True), ("acquiring_employee", "24.5", False)])
    headers = {"Idempotency-Key": "matrix-1"}

    first = as_staff(hq).post("attribution/matrix/versions", body, headers=headers)
    again = as_staff(hq).post("attribution/matrix/versions", body, headers=headers)

    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    version = MatrixVersion.objects.get(pk=first.json()["id"])
    assert version.effective_from == timezone.localdate() + timedelta(days=3)
    shares = TouchpointShare.objects.filter(rule__version=version, rule__touchpoint="store_sale").order_by("party")
    assert [(s.party, str(s.percent), s.is_owner) for s in shares] == [
        ("acquiring_employee", "24.50", False),
        ("cashier", "75.50", True),
    ]
    assert MatrixVersion.objects.count() == 2
    # the version in force today is still the default one
    assert as_staff(hq).get("attribution/matrix").json()["current"]["effective_from"] == "2000-01-01"


def test_only_hq_publishes(store, manager):
    response = as_staff(manager).post("attribution/matrix/versions", _body(days=1))

    assert response.status_code == 403
    assert problem_code(response) == "forbidden"
    assert _nothing_written()


def test_members_and_anonymous_callers_do_not_publish(member):
    by_member = as_member(member).post("attribution/matrix/versions", _body(days=1))
    anonymous = ApiClient().post("attribution/matrix/versions", _body(days=1))

    assert (by_member.status_code, anonymous.status_code) == (403, 401)
    assert _nothing_written()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        # shares adding up to 90
        ({"store_sale": [("cashier", "70", True), ("acquiring_employee", "20", False)]}, 422),
        # two owners
        ({"store_sale": [("cashier", "80", True), ("acquiring_employee", "20", True)]}, 422),
        # no owner
        ({"store_sale": [("cashier", "80", False), ("acquiring_employee", "20", False)]}, 422),
        # the same party twice
        ({"store_sale": [("cashier", "50", True), ("cashier", "50", False)]}, 422),
        # a party that is not in the matrix
        ({"store_sale": [("cashier", "80", True), ("franchise_store", "20", False)]}, 422),
        ({"store_sale": [("cashier", "80", True), ("the_boss", "20", False)]}, 422),
        # zero, negative, above 100, three places
        ({"store_sale": [("cashier", "100", True), ("acquiring_employee", "0", False)]}, 422),
        ({"store_sale": [("cashier", "120", True), ("acquiring_employee", "-20", False)]}, 422),
        ({"store_sale": [("cashier", "79.995", True), ("acquiring_employee", "20.005", False)]}, 422),
        ({"store_sale": []}, 422),
    ],
)
def test_a_matrix_that_does_not_add_up_is_refused(hq, body, status):
    response = as_staff(hq).post("attribution/matrix/versions", _body(days=1, **body))

    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert _nothing_written()


def test_every_touchpoint_must_be_listed_once(hq):
    body = _body(days=1)
    body["rules"] = body["rules"][:-1]
    missing = as_staff(hq).post("attribution/matrix/versions", body)
    body = _body(days=1)
    body["rules"].append(body["rules"][0])
    twice = as_staff(hq).post("attribution/matrix/versions", body)

    assert (missing.status_code, problem_code(missing)) == (422, "invalid")
    assert missing.json()["missing"] == ["support_sale"]
    assert twice.status_code == 422
    assert _nothing_written()


def test_a_version_never_takes_effect_in_the_past(hq):
    response = as_staff(hq).post("attribution/matrix/versions", _body(days=-1))

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert _nothing_written()


def test_one_version_per_date(hq):
    assert as_staff(hq).post("attribution/matrix/versions", _body(days=2)).status_code == 201

    response = as_staff(hq).post("attribution/matrix/versions", _body(days=2))

    assert (response.status_code, problem_code(response)) == (409, "conflict")
    assert MatrixVersion.objects.count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"effective_from": "tomorrow", "rules": []},
        {"effective_from": "2099-01-01", "rules": [{"touchpoint": "nowhere", "lead": "online", "shares": []}]},
        {"effective_from": "2099-01-01", "rules": "all"},
        {"effective_from": "2099-01-01", "rules": [], "note": "x" * 201},
        {"effective_from": "2099-01-01", "rules": [{"touchpoint": "store_sale", "lead": "sideways", "shares": []}]},
        {
            "effective_from": "2099-01-01",
            "rules": [
                {"touchpoint": "store_sale", "lead": "offline", "shares": [{"party": "cashier", "percent": True}]}
            ],
        },
    ],
)
def test_malformed_bodies_are_a_4xx(hq, body):
    response = as_staff(hq).post("attribution/matrix/versions", body)

    assert 400 <= response.status_code < 500, response.content
    assert _nothing_written()


def test_the_same_key_for_another_version_is_a_409(hq):
    headers = {"Idempotency-Key": "k1"}
    assert as_staff(hq).post("attribution/matrix/versions", _body(days=1), headers=headers).status_code == 201

    response = as_staff(hq).post("attribution/matrix/versions", _body(days=5), headers=headers)

    assert (response.status_code, problem_code(response)) == (409, "idempotency_conflict")
    assert MatrixVersion.objects.count() == 2
    assert IdempotencyRecord.objects.filter(key="k1").count() == 1


# --- an order's credits ---------------------------------------------------------------------------


def test_hq_and_the_store_s_manager_see_every_credit_of_an_order(store, clerk, tea, hq, manager):
    acquirer = EmployeeFactory(home_location=store)
    order = counter_sale(clerk, tea, quantity=2, member=MemberFactory(acquiring_employee=acquirer))

    for viewer in (hq, manager):
        response = as_staff(viewer).get(f"attribution/orders/{order.pk}/credits")

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["order_number"] == order.number
        assert body["total"] == "19.98"
        assert [(c["party"], c["employee_id"], c["percent"], c["amount"], c["kind"]) for c in body["credits"]] == [
            ("cashier", clerk.pk, "80.00", "15.98", "credit"),
            ("acquiring_employee", acquirer.pk, "20.00", "4.00", "credit"),
        ]
        assert body["credits"][0]["sku_code"] == tea.code
        assert body["credits"][0]["touchpoint"] == "store_sale"


def test_a_credited_employee_sees_only_their_own_credits(store, clerk, tea):
    acquirer = EmployeeFactory(home_location=LocationFactory())
    order = counter_sale(clerk, tea, quantity=2, member=MemberFactory(acquiring_employee=acquirer))

    response = as_staff(acquirer).get(f"attribution/orders/{order.pk}/credits")

    assert response.status_code == 200
    assert [(c["party"], c["amount"]) for c in response.json()["credits"]] == [("acquiring_employee", "4.00")]
    assert response.json()["total"] == "4.00"


def test_others_get_the_same_404_as_for_a_missing_order(store, other_store, clerk, tea, member):
    order = counter_sale(clerk, tea)
    other_region = LocationFactory(region=RegionFactory(code="BJ-CY", name="朝阳区"))
    strangers = [
        EmployeeFactory(home_location=store),  # a colleague not credited on it
        EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store),  # another store's manager
        EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=other_region.region),
    ]

    for stranger in strangers:
        response = as_staff(stranger).get(f"attribution/orders/{order.pk}/credits")
        assert (response.status_code, problem_code(response)) == (404, "not_found"), stranger.role
    assert as_member(member).get(f"attribution/orders/{order.pk}/credits").status_code == 404
    assert ApiClient().get(f"attribution/orders/{order.pk}/credits").status_code == 401
    missing = as_staff(EmployeeFactory(role=Role.HQ, home_location=None)).get("attribution/orders/999999/credits")
    assert missing.status_code == 404
    bad = as_staff(EmployeeFactory(role=Role.HQ, home_location=None)).get("attribution/orders/0/credits")
    assert bad.status_code == 422


def test_reversals_show_with_their_sign(store, tea, hq):
    order = online_order(MemberFactory(), store, tea, quantity=2)
    as_staff(hq).post(f"orders/{order.pk}/cancel")

    body = as_staff(hq).get(f"attribution/orders/{order.pk}/credits").json()

    assert body["total"] == "0.00"
    kinds = [(c["kind"], c["amount"]) for c in body["credits"]]
    assert kinds == [
        ("credit", "11.99"),
        ("credit", "5.99"),
        ("credit", "2.00"),
        ("reversal", "-11.99"),
        ("reversal", "-5.99"),
        ("reversal", "-2.00"),
    ]
    assert LineCredit.objects.filter(order=order, kind="reversal").count() == 3
