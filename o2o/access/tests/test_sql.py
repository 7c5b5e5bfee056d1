"""The token's named SQL finds its owner as the ORM's select_related read does, on both databases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.access import sql
from o2o.access.actors import Actor, actor_for_user
from o2o.access.models import ApiToken
from o2o.access.services import _digest, actor_for_token, issue_token
from o2o.members.models import Member
from o2o.staff.models import Employee
from o2o.testing.factories import EmployeeFactory, UserFactory
from o2o.testing.rows import fields_of

pytestmark = pytest.mark.django_db


def test_a_members_token_finds_the_member_field_by_field(member):
    token = issue_token(member=member)

    user, employee, found = sql.token_owner(key_hash=_digest(token), now=timezone.now())

    assert (user, employee) == (None, None)
    assert fields_of(found) == fields_of(Member.objects.get(pk=member.pk))


def test_a_staff_token_finds_the_user_field_by_field():
    staff = UserFactory()
    token = issue_token(user=staff)

    found, employee, member = sql.token_owner(key_hash=_digest(token), now=timezone.now())

    assert (employee, member) == (None, None)  # a user without an employee record
    assert fields_of(found) == fields_of(type(staff).objects.get(pk=staff.pk))


def test_an_expired_or_unknown_token_finds_nobody(member):
    token = issue_token(member=member)
    expires_at = ApiToken.objects.get(key_hash=_digest(token)).expires_at

    assert sql.token_owner(key_hash=_digest(token), now=expires_at) is None  # expiry is exclusive
    assert sql.token_owner(key_hash=_digest(token), now=expires_at - timedelta(seconds=1)) is not None
    assert sql.token_owner(key_hash=_digest("not-a-token"), now=timezone.now()) is None
    assert actor_for_token("not-a-token") is None


def test_an_anonymised_members_token_gives_no_actor(member):
    token = issue_token(member=member)
    assert actor_for_token(token) == Actor(member=member)

    Member.objects.filter(pk=member.pk).update(anonymised_at=timezone.now())

    assert actor_for_token(token) is None


def test_a_deactivated_staff_users_token_gives_no_actor():
    staff = UserFactory()
    token = issue_token(user=staff)

    type(staff).objects.filter(pk=staff.pk).update(is_active=False)

    assert actor_for_token(token) is None


@pytest.mark.parametrize("role", ["clerk", "regional_supervisor", "hq"])
def test_an_employees_token_gives_the_actor_their_user_gives(role, store, other_store):
    employee = (
        EmployeeFactory(role=role, home_location=None, region=store.region)
        if role == "regional_supervisor"
        else EmployeeFactory(role=role, home_location=store if role == "clerk" else None)
    )
    token = issue_token(user=employee.user)

    user, found, member = sql.token_owner(key_hash=_digest(token), now=timezone.now())
    actor = actor_for_token(token)

    assert member is None
    assert fields_of(found) == fields_of(Employee.objects.get(pk=employee.pk))
    assert found.home_location == employee.home_location
    assert actor == actor_for_user(employee.user)
    assert actor.is_staff


def test_a_deactivated_employees_token_gives_a_user_without_staff_rights(store):
    employee = EmployeeFactory(role="clerk", home_location=store)
    token = issue_token(user=employee.user)

    Employee.objects.filter(pk=employee.pk).update(is_active=False)

    _user, found, _member = sql.token_owner(key_hash=_digest(token), now=timezone.now())
    assert found is None
    assert actor_for_token(token) == actor_for_user(employee.user) == Actor(user=employee.user)
    assert not actor_for_token(token).is_staff
