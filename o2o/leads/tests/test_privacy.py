"""A member's data rights reach leads: the export lists what employees noted about them (their
own leads only), and deleting the account blanks the name and phone on every lead about them."""

import pytest

from o2o.leads.models import Lead
from o2o.leads.services import capture_lead
from o2o.testing.api import as_member
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db


def test_the_export_lists_the_leads_about_the_member_and_no_one_elses(clerk):
    me, other = MemberFactory(name="李雷"), MemberFactory()
    capture_lead(employee_id=clerk.pk, member_id=me.pk, source="served", note="喜欢跑鞋")
    capture_lead(employee_id=clerk.pk, phone=other.phone, name="别人", source="manual", note="not mine")

    response = as_member(me).get("privacy/export")

    assert response.status_code == 200
    leads = response.json()["leads_about_me"]
    assert [(row["employee"], row["source"], [n["body"] for n in row["notes"]]) for row in leads] == [
        (clerk.display_name, "served", ["喜欢跑鞋"])
    ]


def test_deleting_the_account_blanks_names_and_phones_on_leads(clerk):
    member = MemberFactory()
    phone = member.phone
    capture_lead(employee_id=clerk.pk, member_id=member.pk, name="李先生", source="acquired")
    colleague = EmployeeFactory(home_location=clerk.home_location)
    capture_lead(employee_id=colleague.pk, phone=phone, name="李先生", source="inquiry")
    client = as_member(member)
    assert client.post("privacy/deletion/code").status_code == 202

    response = client.post("privacy/deletion", {"code": last_code_sent_to(phone)})

    assert response.status_code == 200, response.content
    assert list(Lead.objects.order_by("pk").values_list("name", "phone")) == [
        ("", None),
        ("", f"+999{member.pk:012d}"),
    ]
    assert not Lead.objects.filter(phone=phone).exists()
