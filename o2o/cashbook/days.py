"""Business days: the local date (settings.TIME_ZONE) and the moments it starts and ends."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def start_of(day: date) -> datetime:
    """Midnight at the start of `day`, local time, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of(day: date) -> datetime:
    """Midnight at the start of the next day (exclusive)."""
    return start_of(day + timedelta(days=1))


def today() -> date:
    return timezone.localdate()


def business_date_of(moment: datetime) -> date:
    return timezone.localtime(moment).date()
