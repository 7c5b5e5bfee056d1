"""Demo delivery: three vans at the warehouse and one at the first store, a driver at each
(driver1 signs in at /driver/ with the demo password), and today's runs planned from the packed
delivery orders and requested transfers waiting there. docs/delivery.md."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from o2o.core.errors import DomainError
from o2o.delivery.models import Vehicle
from o2o.delivery.services import plan_within
from o2o.demo.generator.base import Run
from o2o.demo.generator.people import PASSWORD, _password_hash
from o2o.staff.models import Employee, Role
from o2o.stores.models import Location

VANS = (("沪A·D0001", 120, 40), ("沪A·D0002", 120, 40), ("沪A·D0003", 80, 25))


def create_delivery(run: Run) -> None:
    warehouse = Location.objects.filter(kind=Location.Kind.WAREHOUSE, is_active=True).order_by("code").first()
    store = Location.objects.filter(kind=Location.Kind.STORE, is_active=True).order_by("code").first()
    depots = [d for d in (warehouse, store) if d is not None]
    drivers, stops = [], 0
    for n, depot in enumerate(depots, start=1):
        vans = VANS if depot == warehouse else VANS[2:]
        Vehicle.objects.bulk_create(Vehicle(depot=depot, name=f"{name}-{n}", capacity_units=units, max_stops=most)
                                    for name, units, most in vans)  # fmt: skip
        drivers.append(_driver(f"driver{n}", depot, n))
        try:
            runs = plan_within(depot=depot, day=run.today, now=run.at(run.today, 0))
        except DomainError:
            runs = []
        stops += sum(r.stops.count() for r in runs)
    run.say(f"delivery: {Vehicle.objects.count()} vans, {stops} stops planned today; driver login "
            f"{drivers[0] if drivers else '-'} / {PASSWORD} at /driver/")  # fmt: skip


def _driver(username: str, depot: Location, n: int) -> str:
    user = get_user_model().objects.create(
        username=username, password=_password_hash(), last_name="司", first_name=f"机{n}"
    )
    user.groups.add(Group.objects.get_or_create(name=Role.DRIVER)[0])
    Employee.objects.create(
        user=user, role=Role.DRIVER, home_location=depot, code=f"DRV{n:03d}", display_name=f"司机{n}"
    )
    return username
