"""Staff's chain-level tags and notes on a member, through the API as staff and as an attacker:
a store's staff reach only their store's customers (404 otherwise, nothing written), bad tags and
notes are 422, a retry under the same Idempotency-Key writes once; the member's export holds them
and deleting the account erases them."""

import json

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.marketing.models import Segment
from o2o.marketing.tag_rules import create_tag_rule
from o2o.members.models import MemberNote, MemberTag, TagSource
from o2o.privacy.services import delete_my_account
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return EmployeeFactory(role=Role.CS_AGENT, home_location=None)


@pytest.fixture
def customer(store):
    return MemberFactory(acquiring_location=store)


def _api(employee) -> ApiClient:
    return ApiClient(user=employee.user)


def _tags(member) -> list[tuple[str, str]]:
    return list(MemberTag.objects.filter(member=member).order_by("tag").values_list("tag", "source"))


def test_an_agent_tags_a_member_once_however_often_asked(agent, customer):
    api = _api(agent)

    first = api.post(f"customers/{customer.pk}/tags", {"tag": "  爱车  人士 "})
    again = api.post(f"customers/{customer.pk}/tags", {"tag": "爱车 人士"})

    assert first.status_code == 201, first.content
    assert (first.json()["tag"], first.json()["source"], first.json()["created"]) == ("爱车 人士", "manual", True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert _tags(customer) == [("爱车 人士", "manual")]
    assert MemberTag.objects.get(member=customer).added_by_id == agent.user.pk


def test_a_retry_with_the_same_idempotency_key_answers_the_first_tag(agent, customer):
    api = _api(agent)
    headers = {"Idempotency-Key": "tag-1"}

    first = api.post(f"customers/{customer.pk}/tags", {"tag": "VIP"}, headers=headers)
    retry = api.post(f"customers/{customer.pk}/tags", {"tag": "VIP"}, headers=headers)
    other = api.post(f"customers/{customer.pk}/tags", {"tag": "VVIP"}, headers=headers)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert (other.status_code, problem_code(other)) == (409, "idempotency_conflict")
    assert _tags(customer) == [("VIP", "manual")]


@pytest.mark.parametrize("tag", ["x" * 200, "x" * 41, "", "   ", "a\x00b", "right\u202eto left", None, 5, ["VIP"]])
def test_a_bad_tag_is_a_422_and_writes_nothing(agent, customer, tag):
    response = _api(agent).post(f"customers/{customer.pk}/tags", {"tag": tag})

    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert MemberTag.objects.count() == 0


def test_a_tag_of_40_characters_is_kept_whole(agent, customer):
    response = _api(agent).post(f"customers/{customer.pk}/tags", {"tag": "标" * 40})

    assert response.status_code == 201
    assert _tags(customer) == [("标" * 40, "manual")]


def test_a_hand_tag_comes_off_and_a_rules_tag_does_not(agent, customer):
    api = _api(agent)
    api.post(f"customers/{customer.pk}/tags", {"tag": "VIP"})
    create_tag_rule(actor=SYSTEM, tag="everyone", segment_id=Segment.objects.create(name="all", rules=[]).pk)

    removed = api.post(f"customers/{customer.pk}/tags/remove", {"tag": "VIP"})
    rules = api.post(f"customers/{customer.pk}/tags/remove", {"tag": "everyone"})
    missing = api.post(f"customers/{customer.pk}/tags/remove", {"tag": "never had it"})

    assert removed.status_code == 204
    assert (rules.status_code, problem_code(rules)) == (409, "conflict")
    assert missing.status_code == 404
    assert _tags(customer) == [("everyone", TagSource.RULE)]


def test_a_store_manager_tags_the_stores_customers_only(store, other_store, customer):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store)
    api = _api(manager)

    response = api.post(f"customers/{customer.pk}/tags", {"tag": "VIP"})
    note = api.post(f"customers/{customer.pk}/notes", {"body": "看看"})

    assert (response.status_code, note.status_code) == (404, 404)
    assert (MemberTag.objects.count(), MemberNote.objects.count()) == (0, 0)


def test_a_clerk_may_write_notes_but_not_tag(store, customer, clerk):
    api = _api(clerk)

    tag = api.post(f"customers/{customer.pk}/tags", {"tag": "VIP"})
    note = api.post(f"customers/{customer.pk}/notes", {"body": "喜欢下午到店"})

    assert (tag.status_code, problem_code(tag)) == (403, "forbidden")
    assert note.status_code == 201
    assert MemberTag.objects.count() == 0


def test_members_and_anonymous_callers_write_nothing(customer):
    as_customer = as_member(customer)
    attempts = [
        as_customer.post(f"customers/{customer.pk}/tags", {"tag": "VIP"}),
        as_customer.post(f"customers/{customer.pk}/notes", {"body": "我自己"}),
        ApiClient().post(f"customers/{customer.pk}/tags", {"tag": "VIP"}),
        ApiClient().post(f"customers/{customer.pk}/notes", {"body": "x"}),
    ]

    assert [r.status_code for r in attempts] == [403, 403, 401, 401]
    assert (MemberTag.objects.count(), MemberNote.objects.count()) == (0, 0)


@pytest.mark.parametrize("member_id", ["999999", "0", "-1", str(2**64), "abc"])
def test_junk_member_ids_write_nothing(agent, member_id):
    response = _api(agent).post(f"customers/{member_id}/tags", {"tag": "VIP"})

    assert response.status_code in ((404,) if member_id == "999999" else (404, 422))
    assert MemberTag.objects.count() == 0


def test_a_note_is_appended_once_per_idempotency_key(agent, customer):
    api = _api(agent)
    headers = {"Idempotency-Key": "note-1"}

    first = api.post(f"customers/{customer.pk}/notes", {"body": " 投诉过送货慢 "}, headers=headers)
    retry = api.post(f"customers/{customer.pk}/notes", {"body": " 投诉过送货慢 "}, headers=headers)
    unkeyed = api.post(f"customers/{customer.pk}/notes", {"body": "又来电"})

    assert first.status_code == 201
    assert retry.json() == first.json()
    assert first.json()["body"] == "投诉过送货慢"
    assert unkeyed.status_code == 201
    assert list(MemberNote.objects.order_by("pk").values_list("body", "author_id")) == [
        ("投诉过送货慢", agent.user.pk),
        ("又来电", agent.user.pk),
    ]


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001, None, 3])
def test_a_bad_note_is_a_422_and_writes_nothing(agent, customer, body):
    response = _api(agent).post(f"customers/{customer.pk}/notes", {"body": body})

    assert response.status_code == 422
    assert MemberNote.objects.count() == 0


def test_a_deleted_account_takes_no_tags_or_notes(agent):
    gone = MemberFactory(anonymised_at=timezone.now())
    api = _api(agent)

    tag = api.post(f"customers/{gone.pk}/tags", {"tag": "VIP"})
    note = api.post(f"customers/{gone.pk}/notes", {"body": "x"})

    assert (tag.status_code, problem_code(tag)) == (410, "member_anonymised")
    assert (note.status_code, problem_code(note)) == (410, "member_anonymised")
    assert (MemberTag.objects.count(), MemberNote.objects.count()) == (0, 0)


def test_the_members_export_holds_tags_and_notes_without_the_writers(agent, customer):
    api = _api(agent)
    api.post(f"customers/{customer.pk}/tags", {"tag": "VIP"})
    api.post(f"customers/{customer.pk}/notes", {"body": "喜欢电话联系"})

    data = json.loads(as_member(customer).get("privacy/export").content)

    section = data["tags_and_notes"]
    assert [(t["tag"], t["source"]) for t in section["tags"]] == [("VIP", "manual")]
    assert [n["note"] for n in section["notes"]] == ["喜欢电话联系"]
    assert agent.display_name not in json.dumps(section, ensure_ascii=False)


def test_deleting_the_account_removes_tags_and_blanks_notes(agent, customer):
    api = _api(agent)
    api.post(f"customers/{customer.pk}/tags", {"tag": "VIP"})
    api.post(f"customers/{customer.pk}/notes", {"body": "住在漕溪北路88号"})
    client = as_member(customer)
    client.post("privacy/deletion/code")

    delete_my_account(actor=actor_for_member(customer), code=last_code_sent_to(customer.phone), via="api")

    assert MemberTag.objects.filter(member=customer).count() == 0
    assert list(MemberNote.objects.filter(member=customer).values_list("body", flat=True)) == ["[deleted]"]
