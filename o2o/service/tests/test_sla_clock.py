"""The SLA clock with a frozen clock: business hours, weekends, lunch breaks, pauses, status."""

from datetime import UTC, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from o2o.service.models import BusinessHours, SlaPolicy, Ticket
from o2o.service.sla import breached_q, due_times, shifted_after_pause, sla_status, with_sla_state
from o2o.staff.models import Team

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = count(1)


def at(day: int, hour: int, minute: int = 0, *, month: int = 12) -> datetime:
    """2026-12-01 is a Tuesday; 12-04 a Friday, 12-07 the Monday after."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def team_with_hours(*intervals: tuple[int, str, str]) -> Team:
    team = Team.objects.create(name="Online", kind=Team.Kind.ONLINE)
    BusinessHours.objects.bulk_create(
        BusinessHours(team=team, weekday=d, opens=time.fromisoformat(o), closes=time.fromisoformat(c))
        for d, o, c in intervals
    )
    return team


def office_team(*day_intervals: tuple[str, str]) -> Team:
    """Monday to Friday, the given intervals each day."""
    return team_with_hours(*[(d, o, c) for d in range(5) for o, c in day_intervals])


def ticket(**fields) -> Ticket:
    """A ticket opened Tuesday 09:00 (its state follows the fields: paused waits, resolved is resolved)."""
    if fields.get("paused_at"):
        fields["state"] = Ticket.State.WAITING_ON_CUSTOMER
    if fields.get("resolved_at"):
        fields["state"] = Ticket.State.RESOLVED
    defaults = {
        "number": f"T{next(_numbers):06d}",
        "channel": Ticket.Channel.CHAT,
        "kind": Ticket.Kind.INQUIRY,
        "priority": Ticket.Priority.NORMAL,
        "subject": "Where is my order?",
        "phone": "+8613800000000",
        "first_response_due_at": at(1, 10, 5),
        "resolution_due_at": at(1, 14),
    }
    with time_machine.travel(at(1, 9), tick=False):
        return Ticket.objects.create(**(defaults | fields))


def test_a_ticket_at_17_58_is_answered_by_09_03_the_next_morning():
    team = office_team(("09:00", "18:00"))

    first, resolution = due_times(kind="inquiry", priority="normal", team_id=team.pk, start=at(1, 17, 58))

    # 2 minutes on Tuesday, 3 on Wednesday; resolution (240 min): 2 on Tuesday, 238 on Wednesday
    assert first == at(2, 9, 3)
    assert resolution == at(2, 12, 58)


def test_the_weekend_is_skipped():
    team = office_team(("09:00", "18:00"))

    first, resolution = due_times(kind="inquiry", priority="normal", team_id=team.pk, start=at(4, 17, 58))

    assert first == at(7, 9, 3)
    assert resolution == at(7, 12, 58)


def test_a_ticket_opened_on_saturday_starts_its_clock_on_monday_morning():
    team = office_team(("09:00", "18:00"))

    first, _ = due_times(kind="inquiry", priority="normal", team_id=team.pk, start=at(5, 10))

    assert first == at(7, 9, 5)


def test_the_lunch_break_does_not_count():
    team = office_team(("09:00", "12:00"), ("13:00", "18:00"))

    first, resolution = due_times(kind="inquiry", priority="normal", team_id=team.pk, start=at(1, 11, 58))

    assert first == at(1, 13, 3)
    # 240 minutes: 2 before lunch, 238 after it: 13:00 + 3h58
    assert resolution == at(1, 16, 58)


def test_overlapping_intervals_count_once():
    team = office_team(("09:00", "12:00"), ("11:00", "13:00"))

    first, resolution = due_times(kind="inquiry", priority="normal", team_id=team.pk, start=at(1, 12, 58))

    assert first == at(2, 9, 3)
    assert resolution == at(2, 12, 58)


def test_a_team_without_hours_and_no_team_work_around_the_clock():
    team = Team.objects.create(name="24x7", kind=Team.Kind.ONLINE)

    for team_id in (team.pk, None):
        first, resolution = due_times(kind="complaint", priority="urgent", team_id=team_id, start=at(5, 23, 58))
        assert (first, resolution) == (at(6, 0, 1), at(6, 3, 58))


def test_the_policy_minutes_are_read_when_the_clock_starts():
    SlaPolicy.objects.filter(kind="inquiry", priority="normal").update(first_response_minutes=30)

    first, _ = due_times(kind="inquiry", priority="normal", team_id=None, start=at(1, 10))

    assert first == at(1, 10, 30)


def test_missing_policies_are_put_back_from_the_defaults():
    SlaPolicy.objects.all().delete()  # as a transactional test's flush leaves the table

    first, resolution = due_times(kind="inquiry", priority="normal", team_id=None, start=at(1, 10))

    assert (first, resolution) == (at(1, 10, 5), at(1, 14))
    assert SlaPolicy.objects.count() == 20


def test_the_instant_not_the_zone_of_the_start_counts():
    team = office_team(("09:00", "18:00"))
    in_utc = at(1, 17, 58).astimezone(UTC)  # 09:58 UTC

    first, _ = due_times(kind="inquiry", priority="normal", team_id=team.pk, start=in_utc)

    assert first == at(2, 9, 3)
    assert first.astimezone(UTC) == datetime(2026, 12, 2, 1, 3, tzinfo=UTC)


def test_a_pause_over_the_night_shifts_the_due_time_by_business_minutes_only():
    team = office_team(("09:00", "18:00"))

    # waited 17:00 Tuesday to 10:00 Wednesday: one business hour each side of the night
    shifted = shifted_after_pause(team_id=team.pk, due=at(1, 17, 59), paused_at=at(1, 17), resumed_at=at(2, 10))

    # 17:59 + 2 business hours: 1 minute on Tuesday, 119 on Wednesday
    assert shifted == at(2, 10, 59)


def test_a_pause_outside_business_hours_shifts_nothing():
    team = office_team(("09:00", "18:00"))

    shifted = shifted_after_pause(team_id=team.pk, due=at(2, 9, 3), paused_at=at(1, 18, 30), resumed_at=at(2, 8, 50))

    assert shifted == at(2, 9, 3)


def test_a_pause_without_business_hours_shifts_by_the_wall_clock():
    shifted = shifted_after_pause(team_id=None, due=at(1, 10), paused_at=at(1, 9), resumed_at=at(1, 9, 45))

    assert shifted == at(1, 10, 45)


def test_the_hours_are_local_time_across_a_daylight_saving_change(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    # Sunday 2026-03-29 01:00-04:00 local is only two real hours: 02:00 jumps to 03:00
    team = team_with_hours((6, "01:00", "04:00"), (0, "09:00", "18:00"))
    SlaPolicy.objects.filter(kind="inquiry", priority="normal").update(first_response_minutes=150)

    first, _ = due_times(
        kind="inquiry", priority="normal", team_id=team.pk, start=datetime(2026, 3, 29, 1, tzinfo=berlin)
    )

    assert first == datetime(2026, 3, 30, 9, 30, tzinfo=berlin)


@time_machine.travel(at(1, 10, 3), tick=False)
def test_status_of_an_unanswered_ticket_follows_its_first_response_due_time():
    now = timezone.now()
    on_track = ticket(first_response_due_at=at(1, 10, 6))  # normal: warns 2 minutes before
    due_soon = ticket(first_response_due_at=at(1, 10, 5))
    breached = ticket(first_response_due_at=at(1, 10, 2))
    exactly_due = ticket(first_response_due_at=at(1, 10, 3))

    assert [sla_status(t, now) for t in (on_track, due_soon, breached, exactly_due)] == [
        "on_track",
        "due_soon",
        "breached",
        "due_soon",
    ]


@time_machine.travel(at(1, 15), tick=False)
def test_status_after_the_first_response_follows_the_resolution():
    now = timezone.now()
    late_answer = dict(first_response_due_at=at(1, 10, 5), first_response_at=at(1, 10, 30))
    working = ticket(**late_answer, resolution_due_at=at(1, 16))
    resolved_in_time = ticket(**late_answer, resolution_due_at=at(1, 16), resolved_at=at(1, 14))
    resolved_late = ticket(**late_answer, resolution_due_at=at(1, 13), resolved_at=at(1, 14))
    overdue = ticket(**late_answer, resolution_due_at=at(1, 14, 59))
    # inquiry / normal warns 2 minutes before
    due_soon = ticket(**late_answer, resolution_due_at=at(1, 15, 2))

    statuses = [sla_status(t, now) for t in (working, resolved_in_time, resolved_late, overdue, due_soon)]

    assert statuses == ["on_track", "met", "breached", "breached", "due_soon"]


@time_machine.travel(at(2, 9), tick=False)
def test_a_paused_ticket_does_not_breach_while_it_waits():
    now = timezone.now()
    answered = dict(first_response_due_at=at(1, 10, 5), first_response_at=at(1, 10))
    waiting = ticket(**answered, resolution_due_at=at(1, 14), paused_at=at(1, 13))
    paused_late = ticket(**answered, resolution_due_at=at(1, 12), paused_at=at(1, 13))

    assert sla_status(waiting, now) == "on_track"
    assert sla_status(paused_late, now) == "breached"  # it had breached before it paused


@time_machine.travel(at(1, 15), tick=False)
def test_the_sql_status_agrees_with_sla_status_in_two_queries(django_assert_num_queries):
    now = timezone.now()
    answered = dict(first_response_due_at=at(1, 10, 5), first_response_at=at(1, 10))
    tickets = [
        ticket(first_response_due_at=at(1, 15, 30)),
        ticket(first_response_due_at=at(1, 15, 1), kind="complaint"),
        ticket(first_response_due_at=at(1, 15, 1), priority="low"),  # low warns 5 minutes before
        ticket(first_response_due_at=at(1, 14, 59)),
        ticket(first_response_due_at=at(1, 14), paused_at=at(1, 13, 59)),
        ticket(first_response_due_at=at(1, 14), paused_at=at(1, 14, 1)),
        ticket(**answered, resolution_due_at=at(1, 16)),
        ticket(**answered, resolution_due_at=at(1, 15, 1)),
        ticket(**answered, resolution_due_at=at(1, 14)),
        ticket(**answered, resolution_due_at=at(1, 16), resolved_at=at(1, 14)),
        ticket(**answered, resolution_due_at=at(1, 13), resolved_at=at(1, 14)),
        ticket(**answered, resolution_due_at=at(1, 14), paused_at=at(1, 13)),
        ticket(**answered, resolution_due_at=at(1, 15, 1), paused_at=at(1, 13)),
    ]
    expected = [sla_status(t, now) for t in tickets]

    with django_assert_num_queries(2):  # the policies, then the tickets
        annotated = list(with_sla_state(Ticket.objects.order_by("pk"), now))

    assert [t.sla_state for t in annotated] == expected
    assert expected == [
        "on_track",
        "due_soon",
        "due_soon",
        "breached",
        "on_track",
        "breached",
        "on_track",
        "due_soon",
        "breached",
        "met",
        "breached",
        "on_track",
        "on_track",
    ]
    breached = set(Ticket.objects.filter(breached_q(now)).values_list("pk", flat=True))
    assert breached == {t.pk for t, s in zip(tickets, expected, strict=True) if s == "breached"}


def test_due_times_are_a_whole_number_of_business_minutes_after_a_start_with_seconds():
    team = office_team(("09:00", "18:00"))
    start = at(1, 17, 58) + timedelta(seconds=30)

    first, _ = due_times(kind="inquiry", priority="normal", team_id=team.pk, start=start)

    assert first == at(2, 9, 3) + timedelta(seconds=30)
