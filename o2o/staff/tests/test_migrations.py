"""The rights migration on an install from before it: store roles lose the admin, office roles keep it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("staff", "0002_role_groups")]
AFTER = [("staff", "0003_role_admin_rights")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Whatever the test rolled back is applied again, for the tests after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_store_staff_leave_the_admin_and_office_roles_get_their_rights():
    # given an install before the migration, where a store manager and HQ both had is_staff
    old = _migrate(BEFORE)
    User, Employee = old.get_model("auth", "User"), old.get_model("staff", "Employee")  # noqa: N806
    Region, Location = old.get_model("stores", "Region"), old.get_model("stores", "Location")  # noqa: N806
    region = Region.objects.create(code="R", name="区")
    store = Location.objects.create(code="S1", name="店", region=region, address="路", latitude=31, longitude=121)
    for username, role, home in (("manager", "store_manager", store), ("boss", "hq", None)):
        user = User.objects.create(username=username, is_staff=True)
        Employee.objects.create(user=user, role=role, home_location=home, code=username, display_name=username)

    # when it is applied
    new = _migrate(AFTER)

    # then
    users = new.get_model("auth", "User").objects
    hq = new.get_model("auth", "Group").objects.get(name="hq")
    assert dict(users.values_list("username", "is_staff")) == {"manager": False, "boss": True}
    assert hq.permissions.filter(codename="change_location").exists()
    assert not hq.permissions.filter(codename="change_order").exists()
