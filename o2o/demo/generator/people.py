"""Staff (users, employees, role groups) and members."""

import functools
import math
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from o2o.demo.generator.base import Record, Run, Writer, chinese_name, chunks, record, scatter
from o2o.demo.generator.data import MOBILE_PREFIXES
from o2o.demo.generator.places import Places
from o2o.members.models import Member
from o2o.staff.admin_rights import ADMIN_ROLES, grant_admin_rights
from o2o.staff.models import Employee, Role
from o2o.stores.models import Location, Region

PASSWORD = "demo1234"
DEMO_MEMBER_PHONE = "+8613800138000"
DEMO_MEMBER_NAME = "演示会员"
EXTRA_CLERKS = ("b", "c")  # clerk1b, clerk1c, ... besides clerk1
MemberRow = record(Member)


@functools.cache
def _password_hash() -> str:
    """Hashed once: PBKDF2 takes ~0.5 s per call, and thousands of staff share the demo password."""
    return make_password(PASSWORD)


# ---- groups ------------------------------------------------------------------------------------


def create_groups() -> dict[str, Group]:
    """One group per role (DESIGN §1) with its least-privilege back-office rights (staff.admin_rights)."""
    grant_admin_rights()
    return {role.value: Group.objects.get(name=role.value) for role in Role}


# ---- staff -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counter:
    """Someone who works a store's counter: sells, takes payments, hands over pickups."""

    user_id: int
    employee_id: int


@dataclass
class Staff:
    counters: dict[int, list[Counter]] = field(default_factory=dict)  # store pk -> manager + clerks
    clerks: dict[int, list[Counter]] = field(default_factory=dict)  # store pk -> clerks only


@dataclass(frozen=True)
class _Hire:
    username: str
    role: str
    home: Location | None = None
    region: Region | None = None


def _hires(places: Places) -> Iterator[_Hire]:
    yield _Hire("hq", Role.HQ)
    first = places.stores[0]
    yield _Hire("supervisor", Role.REGIONAL_SUPERVISOR, region=first.region)
    yield _Hire("warehouse", Role.WAREHOUSE_CLERK, home=places.warehouse)
    for i, store in enumerate(places.stores, start=1):
        yield _Hire(f"manager{i}", Role.STORE_MANAGER, home=store)
        for suffix in ("", *EXTRA_CLERKS):
            yield _Hire(f"clerk{i}{suffix}", Role.CLERK, home=store)


def create_staff(run: Run, *, places: Places, groups: dict[str, Group]) -> Staff:
    rng = run.rng("staff")
    User = get_user_model()  # noqa: N806 - the usual Django spelling
    staff = Staff()
    hired = 0
    for chunk in chunks(_hires(places), run.batch_size):
        names = [chinese_name(rng) for _ in chunk]
        users = User.objects.bulk_create(
            User(
                username=h.username,
                password=_password_hash(),
                first_name=n[1:],
                last_name=n[0],
                is_staff=h.role in ADMIN_ROLES,  # the back office is for office roles only
            )
            for h, n in zip(chunk, names, strict=True)
        )
        employees = Employee.objects.bulk_create(
            Employee(
                user=u, role=h.role, home_location=h.home, region=h.region, code=f"E{hired + k + 1:04d}", display_name=n
            )
            for k, (u, h, n) in enumerate(zip(users, chunk, names, strict=True))
        )
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=u.pk, group_id=groups[h.role].pk) for u, h in zip(users, chunk, strict=True)
        )
        for e, h in zip(employees, chunk, strict=True):
            _remember(staff, e, h)
        hired += len(chunk)
    run.say(f"staff: {hired} users and employees (password {PASSWORD})")
    return staff


def _remember(staff: Staff, employee: Employee, hire: _Hire) -> None:
    if hire.home is None or hire.role not in (Role.STORE_MANAGER, Role.CLERK):
        return
    counter = Counter(employee.user_id, employee.pk)
    staff.counters.setdefault(hire.home.pk, []).append(counter)
    if hire.role == Role.CLERK:
        staff.clerks.setdefault(hire.home.pk, []).append(counter)


# ---- members -----------------------------------------------------------------------------------


@dataclass
class Members:
    """Every member's key and join time: compact arrays, so a million members fit easily."""

    ids: array = field(default_factory=lambda: array("q"))
    joined: array = field(default_factory=lambda: array("d"))  # POSIX seconds

    def pick(self, rng: random.Random, *, before: datetime) -> int | None:
        """A random member, or None if the one drawn had not joined yet at `before`.

        Drawing from everyone (not only from those who had joined) spreads orders in proportion to
        membership time instead of piling the first weeks' orders onto the first few members.
        The demo member (first) is left out: their few orders are made on purpose.
        """
        if len(self.ids) < 2:
            return None
        k = rng.randrange(1, len(self.ids))
        return self.ids[k] if self.joined[k] < before.timestamp() else None

    @property
    def demo_member_id(self) -> int:
        return self.ids[0]


# (registration channel, weight, acquired by a store?)
_CHANNELS = [
    (Member.RegistrationChannel.APP, 25, False),
    (Member.RegistrationChannel.H5, 15, False),
    (Member.RegistrationChannel.STORE_QR, 30, True),
    (Member.RegistrationChannel.POS, 20, True),
    (Member.RegistrationChannel.SHARE_LINK, 10, True),
]


def create_members(run: Run, *, count: int, places: Places, staff: Staff) -> Members:
    rng = run.rng("members")
    members = Members()
    phones = _phones(rng.randrange(10**8))
    span = (run.end - run.start).total_seconds()
    writer = Writer([Member], run.batch_size)
    for chunk in chunks(range(count), run.batch_size):
        rows = []
        for i in chunk:
            # Many join in the launch weeks, fewer later (the share joined by x is 1 - (1 - x)^2).
            joined = run.start + timedelta(seconds=span * (1 - math.sqrt(1 - (i + rng.random()) / count)))
            rows.append(
                _demo_member(places, staff, run.start) if i == 0 else _member(rng, next(phones), joined, places, staff)
            )
        for member in rows:
            writer.add(member)
        writer.flush()
        members.ids.extend(m.pk for m in rows)
        members.joined.extend(m.created_at.timestamp() for m in rows)
        done = chunk[-1] + 1
        if done == count or done % 100_000 < len(chunk):
            run.say(f"members: {done}/{count}")
    writer.finish()
    return members


def _phones(offset: int) -> Iterator[str]:
    """Distinct valid mainland mobile numbers (+86 1xx xxxx xxxx), never the demo member's."""
    k = 0
    while True:
        prefix = MOBILE_PREFIXES[k % len(MOBILE_PREFIXES)]
        rest = scatter(k // len(MOBILE_PREFIXES), modulus=10**8, multiplier=48_271_193, offset=offset)
        k += 1
        phone = f"+86{prefix}{rest:08d}"
        if phone != DEMO_MEMBER_PHONE:
            yield phone


def _demo_member(places: Places, staff: Staff, joined: datetime) -> Record:
    store = places.stores[0]
    return MemberRow(
        phone=DEMO_MEMBER_PHONE,
        name=DEMO_MEMBER_NAME,
        marketing_consent=True,
        marketing_consent_at=joined,
        marketing_consent_source=f"{Member.RegistrationChannel.STORE_QR.value}:{store.code}",
        registration_channel=Member.RegistrationChannel.STORE_QR,
        acquiring_location=store,
        acquiring_employee_id=staff.clerks[store.pk][0].employee_id,
        created_at=joined,
    )


def _member(rng: random.Random, phone: str, joined: datetime, places: Places, staff: Staff) -> Record:
    channel, _weight, in_store = rng.choices(_CHANNELS, weights=[c[1] for c in _CHANNELS])[0]
    store = rng.choice(places.stores) if in_store else None
    # A store QR scanned without a clerk's code credits only the store.
    credited = in_store and (channel != Member.RegistrationChannel.STORE_QR or rng.random() < 0.7)
    employee = rng.choice(staff.clerks[store.pk]).employee_id if credited and store else None
    name = chinese_name(rng)
    consent = rng.random() < 0.6  # ticked the box when joining: recorded with its time and source
    return MemberRow(
        phone=phone,
        name=name,
        marketing_consent=consent,
        marketing_consent_at=joined if consent else None,
        marketing_consent_source=(f"{channel.value}:{store.code}" if store else channel.value) if consent else "",
        registration_channel=channel,
        acquiring_location=store,
        acquiring_employee_id=employee,
        created_at=joined,
    )
