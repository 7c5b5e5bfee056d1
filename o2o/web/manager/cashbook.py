"""The store's cash book: a business day's takings by method, the cash expected in the drawer, and
the daily close (日结) with the cash counted. The figures come from o2o.cashbook, as the API's do."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.cashbook import days, selectors
from o2o.cashbook import services as cashbook
from o2o.cashbook.services import MAX_NOTE_LENGTH
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.payments.models import PaymentMethod
from o2o.staff.models import Role
from o2o.web.auth import staff_page
from o2o.web.manager.scope import StoreScope, store_scope

TEMPLATE = "web/manager/cashbook.html"
CASHBOOK_ROLES = (Role.STORE_MANAGER, Role.REGIONAL_SUPERVISOR)


class DayForm(forms.Form):
    date = forms.DateField(required=False)


class CloseForm(forms.Form):
    business_date = forms.DateField(widget=forms.HiddenInput)
    counted_cash = forms.DecimalField(
        label=gettext_lazy("Cash counted in the drawer (yuan)"), min_value=0, max_digits=12, decimal_places=2
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=MAX_NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Rendered with the form: a double submit carries the same key and closes the day once.
    idempotency_key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)


def kind_labels() -> dict[str, str]:
    return {
        selectors.Kind.COUNTER: _("At the counter"),
        selectors.Kind.TOP_UP: _("Wallet top-ups and pay-backs at the counter"),
        selectors.Kind.REPAYMENT: _("Installment repayments at the counter"),
        selectors.Kind.ONLINE: _("Online, settled through HQ"),
        selectors.Kind.NON_CASH: _("Stored value, points, store credit (not takings)"),
    }


def method_label(method: str) -> str:
    return str(PaymentMethod(method).label) if method in PaymentMethod.values else method


def takings_rows(takings: selectors.Takings) -> list[dict]:
    kinds = kind_labels()
    return [
        {"line": line, "kind": kinds.get(line.kind, line.kind), "method": method_label(line.method)}
        for line in takings.lines
    ]


CLOSE_ERRORS = {
    ErrorCode.DAY_ALREADY_CLOSED: gettext_lazy("This day is closed already."),
    ErrorCode.FORBIDDEN: gettext_lazy("Your role may not close this store's day."),
    ErrorCode.IDEMPOTENCY_CONFLICT: gettext_lazy("This form was already used for another close. Reload it."),
    ErrorCode.INVALID: gettext_lazy("A day that has not begun cannot be closed."),
}


def _page(request: HttpRequest, scope: StoreScope, day, close_form: CloseForm | None = None, status: int = 200):
    actor = request.actor
    try:
        takings = selectors.takings_for(actor=actor, location_id=scope.location.pk, business_date=day)
    except DomainError as error:
        raise PermissionDenied from error
    may_close = (
        may(actor, Operation.CLOSE_BUSINESS_DAY, location_id=scope.location.pk)
        and takings.close is None
        and day <= days.today()
    )
    if close_form is None and may_close:
        close_form = CloseForm(initial={"business_date": day, "idempotency_key": new_token()[:40]})
    context = {
        "scope": scope,
        "section": "cashbook",
        "is_manager": actor.has_role(Role.STORE_MANAGER),
        "day": day,
        "today": days.today(),
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "takings": takings,
        "rows": takings_rows(takings),
        "close": takings.close,
        "flag_above": selectors.variance_alert(),
        "close_form": close_form if may_close else None,
    }
    return render(request, TEMPLATE, context, status=status)


def _day_url(scope: StoreScope, day) -> str:
    query = {"date": day.isoformat()}
    if scope.explicit:
        query["location"] = scope.location.pk
    return f"{reverse('web:manager-cashbook')}?{urlencode(query)}"


@staff_page(*CASHBOOK_ROLES)
def day(request: HttpRequest) -> HttpResponse:
    """A business day of the store's cash book (default: today), with the close form while it is open."""
    scope = store_scope(request)
    form = DayForm(request.GET)
    chosen = form.cleaned_data.get("date") if form.is_valid() else None
    return _page(request, scope, chosen or days.today(), status=200 if form.is_valid() else 422)


@require_POST
@staff_page(*CASHBOOK_ROLES)
def close(request: HttpRequest) -> HttpResponse:
    """Close the day with the cash counted; once, whoever presses first."""
    scope = store_scope(request)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _page(request, scope, days.today(), close_form=form, status=422)
    data = form.cleaned_data
    try:
        closed = cashbook.close_business_day(
            actor=request.actor,
            location_id=scope.location.pk,
            business_date=data["business_date"],
            counted_cash=data["counted_cash"],
            note=data["note"],
            idempotency_key=data["idempotency_key"] or None,
        )
    except DomainError as error:
        if error.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            raise PermissionDenied from error
        messages.error(request, CLOSE_ERRORS.get(error.code, _("The day could not be closed.")))
        return redirect(_day_url(scope, data["business_date"]))
    messages.success(
        request,
        _("Day %(date)s closed: counted ¥%(counted)s, expected ¥%(expected)s, variance ¥%(variance)s.")
        % {
            "date": closed.business_date.isoformat(),
            "counted": closed.counted_cash,
            "expected": closed.expected_cash,
            "variance": closed.variance,
        },
    )
    return redirect(_day_url(scope, closed.business_date))
