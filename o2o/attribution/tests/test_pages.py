"""HQ's touchpoint matrix page: read by staff, published by HQ, bad input a form error (never a 500)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from o2o.attribution.models import MatrixVersion, Touchpoint, TouchpointShare
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory
from o2o.web.hq.touchpoints import rules_as_text

pytestmark = pytest.mark.django_db
PAGE = reverse("web:hq-touchpoints")
PUBLISH = reverse("web:hq-touchpoints-publish")


def _client(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def _default_text() -> str:
    from o2o.attribution.selectors import matrix_of, version_in_force

    return rules_as_text(matrix_of(version_in_force()).rules)


def _form(days=1, rules=None, token="t-1", note="spring"):
    day = (timezone.localdate() + timedelta(days=days)).isoformat()
    return {"effective_from": day, "note": note, "rules": _default_text() if rules is None else rules, "token": token}


def test_hq_sees_the_matrix_in_force_its_history_and_the_form(hq):
    response = _client(hq).get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-touchpoint="') == 10
    assert 'data-party="cashier"' in html
    assert "store_sale offline cashier=80* acquiring_employee=20" in html
    assert f'action="{PUBLISH}"' in html


def test_a_clerk_reads_the_rules_but_gets_no_form(clerk):
    response = _client(clerk).get(PAGE)

    assert response.status_code == 200
    assert response.content.decode().count('data-touchpoint="') == 10
    assert f'action="{PUBLISH}"' not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(PAGE)

    assert response.status_code == 302


def test_hq_publishes_a_version_once_per_form(hq):
    text = _default_text().replace("cashier=80* acquiring_employee=20", "cashier=75* acquiring_employee=25")
    client = _client(hq)

    first = client.post(PUBLISH, _form(rules=text))
    again = client.post(PUBLISH, _form(rules=text))  # a double submit of the same form

    assert first.status_code == again.status_code == 302
    version = MatrixVersion.objects.get(note="spring")
    shares = TouchpointShare.objects.filter(rule__version=version, rule__touchpoint="store_sale").order_by("party")
    assert [(s.party, str(s.percent), s.is_owner) for s in shares] == [
        ("acquiring_employee", "25.00", False),
        ("cashier", "75.00", True),
    ]
    assert MatrixVersion.objects.count() == 2
    upcoming = client.get(PAGE, {"version": version.pk}).content.decode()
    assert "cashier" in upcoming and "75%" in upcoming


# Everything but store_sale, as the page names them: the rules text below lists store_sale alone.
OTHER_TOUCHPOINTS = ", ".join(sorted(set(Touchpoint.values) - {"store_sale"}))


@pytest.mark.parametrize(
    ("changes", "message", "params"),
    [
        (
            {"rules": "store_sale offline cashier=80* acquiring_employee=10"},
            "List every touchpoint once; missing: %(names)s",
            {"names": OTHER_TOUCHPOINTS},
        ),
        ({"days": -1}, "a new version takes effect today or later, never in the past", {}),
        ({"rules": "store_sale offline boss=100*"}, "Unknown party: %(name)s", {"name": "boss"}),
        (
            {"rules": "store_sale sideways cashier=100*"},
            "%(name)s: the lead is online or offline.",
            {"name": "store_sale"},
        ),
        ({"rules": "nowhere offline cashier=100*"}, "Unknown touchpoint: %(name)s", {"name": "nowhere"}),
        ({"rules": "store_sale offline cashier=abc*"}, "%(share)s: write party=percent.", {"share": "cashier=abc*"}),
        ({"rules": "store_sale offline cashier=NaN*"}, "%(share)s: write party=percent.", {"share": "cashier=NaN*"}),
        ({"rules": "store_sale"}, "Each line starts with a touchpoint and its lead.", {}),
        ({"rules": "x" * 5000}, None, {}),
    ],
)
def test_bad_versions_are_form_errors_and_write_nothing(hq, changes, message, params):
    days = changes.pop("days", 1)
    form = _form(days=days, **changes)

    response = _client(hq).post(PUBLISH, form)

    assert response.status_code == 422
    if message is not None:  # the whole message, in the language the page was shown in
        with translation.override(response.wsgi_request.LANGUAGE_CODE):
            expected = translation.gettext(message) % params
        assert escape(expected) in response.content.decode()
    assert MatrixVersion.objects.count() == 1


def test_a_shares_error_names_the_touchpoint(hq):
    text = _default_text().replace("cashier=80* acquiring_employee=20", "cashier=80* acquiring_employee=10")

    response = _client(hq).post(PUBLISH, _form(rules=text))

    assert response.status_code == 422
    assert "store_sale" in response.content.decode()
    assert MatrixVersion.objects.count() == 1


def test_a_store_manager_may_not_publish(manager):
    response = _client(manager).post(PUBLISH, _form())

    assert response.status_code == 403
    assert MatrixVersion.objects.count() == 1


def test_anonymous_visitors_may_not_publish():
    response = Client().post(PUBLISH, _form())

    assert response.status_code == 302
    assert MatrixVersion.objects.count() == 1


def test_junk_query_shows_the_version_in_force(hq):
    for junk in ("abc", "99999999999999999999", "-1", ""):
        assert _client(hq).get(PAGE, {"version": junk}).status_code == 200


def test_a_regional_supervisor_reads_it_too(store):
    supervisor = EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=store.region)

    assert _client(supervisor).get(PAGE).status_code == 200
