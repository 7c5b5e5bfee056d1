"""The employee whose share link brought this customer, remembered in their session.

Opening /shop/e/<code>/ remembers the employee; for REFERRAL_DAYS after that, the storefront's
cart is priced at share-link prices and its orders are placed with channel share_link and that
referrer. The last link opened wins. An employee who has left no longer counts."""

from datetime import datetime, timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from o2o.staff.models import Employee

REFERRER_KEY = "o2o_share_referrer"
REFERRAL_DAYS = 7


def remember_referrer(session: SessionBase, employee: Employee) -> None:
    session[REFERRER_KEY] = {"employee_id": employee.pk, "at": timezone.now().isoformat()}


def referrer_in(session: SessionBase) -> Employee | None:
    """The active employee of the link this customer opened in the last REFERRAL_DAYS, if any."""
    remembered = session.get(REFERRER_KEY)
    if not isinstance(remembered, dict):
        return None
    try:
        at = datetime.fromisoformat(remembered["at"])
        employee_id = int(remembered["employee_id"])
    except (KeyError, TypeError, ValueError):
        return None
    if at < timezone.now() - timedelta(days=REFERRAL_DAYS):
        return None
    return Employee.objects.filter(pk=employee_id, is_active=True).select_related("home_location").first()
