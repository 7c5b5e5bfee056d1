import pytest
from django.contrib.auth.models import Group

from o2o.staff.models import Role

pytestmark = pytest.mark.django_db


def test_every_role_is_a_permission_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
